// How long a sign-in takes in the browser, phase by phase: printed, never
// asserted (timings belong to benchmarks). Typing is left out: the clock runs
// from the click on Sign In to the sign-in page, then from the click on the
// pool's submit button to the greeting. Every time is the browser's own: a
// click is when the page received it (the event's time stamp), not when
// Playwright was asked for it (its checks before a click take tens of ms).
import { expect, test, type Page } from "@playwright/test";
import { APP, POOL, newEmail, register } from "./pool";

/** The times of the clicks on every page of `page` from now on, in order, by the browser's clock. */
async function recordClicks(page: Page): Promise<number[]> {
  const clicks: number[] = [];
  await page.exposeBinding("__clicked", (_source, time: number) => clicks.push(time));
  await page.addInitScript(() =>
    document.addEventListener(
      "click",
      (event) => (window as unknown as { __clicked(time: number): void }).__clicked(performance.timeOrigin + event.timeStamp),
      { capture: true },
    ),
  );
  return clicks;
}

test("a returning user's sign-in, timed from click to greeting", async ({ page }) => {
  const email = newEmail("timed");
  const password = "correct horse battery staple";
  const clicks = await recordClicks(page);
  await register(page, email, password);
  await page.getByRole("button", { name: "Logout" }).click();
  const signIn = page.getByRole("button", { name: "Sign In" });
  await expect(signIn).toBeEnabled();

  // When each step's response ended, by the browser's own clock (the first of its kind).
  const at: Record<string, number> = {};
  page.on("requestfinished", (request) => {
    const url = request.url();
    const method = request.method();
    const step =
      url.startsWith(`${POOL}/login`) && method === "GET"
        ? "sign-in page"
        : url.startsWith(`${POOL}/login`) && method === "POST"
          ? "sign-in POST"
          : url.startsWith(`${POOL}/oauth2/token`)
            ? "token exchange"
            : url.startsWith(`${APP}/api/start_session`)
              ? "session post"
              : null;
    const timing = request.timing();
    if (step) at[step] ??= timing.startTime + timing.responseEnd;
  });

  const clicked = clicks.length;
  await signIn.click();
  await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
  await page.locator("input[name=username]").fill(email);
  await page.locator("input[name=password]").fill(password);
  const shown = at["sign-in page"];
  const submitted = clicks.length;
  await page.locator("form:has(input[name=password]) button[type=submit]").click();
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
  // The greeting is in the home page's HTML, so it shows at that page's first contentful paint.
  // (The assertion above polls at growing intervals, up to a second apart, so its own return
  // time would measure the polling.)
  const greeted = await page.evaluate(() => {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    return paint ? performance.timeOrigin + paint.startTime : Date.now();
  });

  const phases: [string, number][] = [
    ["authorize (click → sign-in page)", shown - clicks[clicked]],
    ["sign-in POST (Argon2id)", at["sign-in POST"] - clicks[submitted]],
    ["callback page + token exchange", at["token exchange"] - at["sign-in POST"]],
    ["session post", at["session post"] - at["token exchange"]],
    ["render (greeting visible)", greeted - at["session post"]],
  ];
  for (const [name, ms] of phases) {
    expect(ms, name).toBeGreaterThanOrEqual(0);
  }
  const total = phases.reduce((sum, [, ms]) => sum + ms, 0);
  const withoutArgon2 = total - phases[1][1];
  console.log(
    `browser round trip: ${withoutArgon2.toFixed(0)} ms without the sign-in POST, ${total.toFixed(0)} ms in all ` +
      `(${phases.map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(", ")}) (target ≤ 300 ms without Argon2)`,
  );
});
