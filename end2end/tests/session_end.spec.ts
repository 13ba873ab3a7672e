// Sessions end when they are ended, not an hour later when their tokens
// expire: a copy of the cookies taken before logout opens nothing after it,
// and an administrator removed from Admin loses the console within the
// server's check interval (SESSION_CHECK_SECONDS, set in playwright.config.ts).
// And they do not end when they should not: two tabs refreshing at once, with
// refresh tokens rotated at each refresh, both stay signed in.
import { expect, test } from "@playwright/test";
import { APP, newEmail, register, signIn } from "./pool";

const ADMIN = { email: "admin@example.com", password: "admin password" };
const PASSWORD = "correct horse battery staple";
const CHECK_SECONDS = Number(process.env.SESSION_CHECK_SECONDS ?? "5");

test("cookies copied before logout open nothing after it", async ({ page, browser }) => {
  const email = newEmail("copied");
  await register(page, email, PASSWORD);
  const copied = await page.context().cookies(APP);
  const accessToken = copied.find((c) => c.name === "access_token")!.value;
  expect((await page.request.get("/api/me", { headers: { Authorization: `Bearer ${accessToken}` } })).status()).toBe(200);

  await page.getByRole("button", { name: "Logout" }).click();
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();

  const thief = await browser.newContext();
  await thief.addCookies(copied);
  const stolen = await thief.newPage();
  await stolen.goto(`${APP}/profile`);
  await expect(stolen.getByRole("heading", { name: `Hello ${email}` })).toHaveCount(0);
  await stolen.goto(`${APP}/`);
  await expect(stolen.getByRole("button", { name: "Sign In" })).toBeVisible();
  // The access token is refused as a bearer token too.
  const bearer = await thief.request.get(`${APP}/api/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  expect(bearer.status()).toBe(401);
  await thief.close();
});

test("two tabs that refresh the session at once both stay signed in", async ({ page }) => {
  const email = newEmail("tabs");
  await register(page, email, PASSWORD);
  const refreshToken = async () =>
    (await page.context().cookies(APP)).find((c) => c.name === "refresh_token")!.value;
  const before = await refreshToken();
  const tabs = [page, await page.context().newPage()];
  await Promise.all(tabs.map((tab) => tab.goto("/profile")));
  // Both refreshes are answered (their cookies set) before the tabs load the page again; a new
  // navigation, not a reload, so that one still following the form's redirect is replaced.
  await Promise.all(
    tabs.map((tab) =>
      Promise.all([
        tab.waitForResponse((response) => response.url().includes("/api/refresh_session")),
        tab.getByRole("button", { name: "Refresh my session" }).click(),
      ]),
    ),
  );
  for (const tab of tabs) {
    await tab.goto("/profile");
    await expect(tab.getByRole("heading", { name: "Your profile" })).toBeVisible();
  }
  // The refresh token was rotated, and the new one refreshes again.
  expect(await refreshToken()).not.toBe(before);
  await page.getByRole("button", { name: "Refresh my session" }).click();
  await page.goto("/");
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});

test("an administrator removed from Admin loses the console within the check interval", async ({ browser }) => {
  const email = newEmail("demoted");
  const colleague = await (await browser.newContext()).newPage();
  await register(colleague, email, PASSWORD);
  const admin = await signIn(browser, ADMIN.email, ADMIN.password);

  const consoleRow = async () => {
    await admin.goto("/admin");
    await admin.getByLabel("Search by email").fill(email);
    await admin.getByRole("button", { name: "Search" }).click();
    return admin.getByRole("row", { name: email });
  };

  await test.step("the administrator makes the colleague an administrator too", async () => {
    const row = await consoleRow();
    await row.getByLabel(`Group for ${email}`).selectOption("Admin");
    await row.getByRole("button", { name: "Add to group" }).click();
    await expect(admin.getByRole("status")).toHaveText(`Added ${email} to Admin.`);
    await colleague.goto("/profile");
    await colleague.getByRole("button", { name: "Refresh my session" }).click();
    await expect(colleague.locator("dd.groups")).toContainText("Admin");
    const page = await colleague.goto("/admin");
    expect(page?.status()).toBe(200);
  });

  await test.step("and takes it back: the colleague's session, still holding Admin tokens, is refused", async () => {
    const row = await consoleRow();
    admin.once("dialog", (dialog) => dialog.accept());
    await row.getByRole("button", { name: `Remove ${email} from Admin` }).click();
    await expect(admin.getByRole("status")).toHaveText(`Removed ${email} from Admin.`);
    const removed = Date.now();
    await expect
      .poll(async () => (await colleague.request.get(`${APP}/admin`)).status(), {
        intervals: [250],
        timeout: (CHECK_SECONDS + 10) * 1000,
      })
      .toBe(403);
    console.log(
      `session check: Admin refused ${((Date.now() - removed) / 1000).toFixed(1)} s after the removal ` +
        `(check interval ${CHECK_SECONDS} s)`,
    );
  });
});
