// On a phone (390 × 844): the people who open the app there can use every screen
// without scrolling sideways, and the pool's pages say whose sign-in they are.
import { type Page, expect, test } from "@playwright/test";
import { ADMIN, POOL, consoleFor, newEmail, register, signIn } from "./pool";

const PHONE = { width: 390, height: 844 };

/** How much wider than the screen the page is (0: it fits). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test("on a phone, the admin console and the dev outbox fit the screen", async ({ browser }) => {
  // A new member, so that the outbox holds mail and the console a second row.
  const member = newEmail("phone");
  const newcomer = await (await browser.newContext({ viewport: PHONE })).newPage();
  await newcomer.goto("/");
  await newcomer.getByRole("button", { name: "Register" }).click();
  await expect(newcomer.locator("p.brand")).toHaveText("leptos-cognito");
  expect(await overflow(newcomer)).toBe(0);
  await register(newcomer, member, "phone password 1");

  const admin = await signIn(browser, ADMIN.email, ADMIN.password);
  await admin.setViewportSize(PHONE);
  await consoleFor(admin, member);
  const row = admin.getByRole("row", { name: member });
  await expect(row).toContainText("Confirmed");
  await expect(row.getByRole("button", { name: "Delete" })).toBeVisible();
  expect(await overflow(admin)).toBe(0);

  await admin.goto(`${POOL}/_dev/outbox`);
  await expect(admin.getByText(member).first()).toBeVisible();
  await expect(admin.getByRole("link", { name: "Refresh" })).toBeVisible();
  expect(await overflow(admin)).toBe(0);
});
