// Every screen a person meets, checked by axe-core in the light and the dark theme,
// at desktop and phone widths: the app's pages signed out and signed in, with their
// notices, the admin console, the pool's sign-in, sign-up, code and password-reset pages and its dev
// outbox. Each screen is also photographed into the test's output (CI keeps it).
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type Page, expect, test } from "@playwright/test";
import { ADMIN, POOL, fillSignIn, newEmail } from "./pool";

const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

async function checked(page: Page, screen: string) {
  const name = `${screen}-${test.info().title.split(" ").pop()}`;
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: test.info().outputPath(`${name}-${size}.png`), fullPage: true });
  }
  const { violations } = await new AxeBuilder({ page }).analyze();
  const found = violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(found, screen).toEqual([]);
}

async function everyScreen(browser: Browser, colorScheme: "light" | "dark") {
  const page = await (await browser.newContext({ colorScheme })).newPage();
  await page.goto("/");
  await expect(page.getByRole("button", { name: "Sign In" })).toBeEnabled();
  await checked(page, "home");

  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: "Sign up" })).toBeVisible();
  await checked(page, "pool-sign-up");
  await page.getByRole("link", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await checked(page, "pool-sign-in");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await checked(page, "pool-forgot-password");
  // Nobody's address: the pages look the same for it, and no one's mail is rationed.
  const nobody = newEmail("a11y");
  await page.getByLabel("Email").fill(nobody);
  await page.getByRole("button", { name: "Reset my password" }).click();
  await expect(page.getByRole("status")).toBeVisible();
  await checked(page, "pool-reset-password");

  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await page.getByLabel("Email").fill(nobody);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await checked(page, "pool-sign-in-refused");
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await fillSignIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Hello ${ADMIN.email}` })).toBeVisible();
  await checked(page, "home-signed-in");
  await page.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await checked(page, "profile");
  await page.getByRole("button", { name: "Refresh my session" }).click();
  await expect(page.getByRole("status")).toContainText("Your session has been refreshed");
  await checked(page, "profile-refreshed");
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("row", { name: ADMIN.email })).toBeVisible();
  await checked(page, "admin-console");

  await page.goto("/");
  await page.getByRole("button", { name: "Logout" }).click();
  await expect(page.getByRole("status")).toHaveText("You have been signed out.");
  await checked(page, "home-after-logout");

  await page.goto(`${POOL}/_dev/outbox`);
  await checked(page, "dev-outbox");
  await page.context().close();
}

test("every screen passes axe-core: light", async ({ browser }) => {
  await everyScreen(browser, "light");
});

test("every screen passes axe-core: dark", async ({ browser }) => {
  await everyScreen(browser, "dark");
});
