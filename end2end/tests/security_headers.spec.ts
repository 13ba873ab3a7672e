// The app's pages come with a Content-Security-Policy whose scripts need this
// response's nonce, and the headers that keep them out of frames and keep the
// callback's code from other sites. Under that policy a whole sign-in works
// (the islands hydrate, the callback's WASM reaches the pool, Logout posts) and
// Chromium reports no violation.
import { test, expect, type APIResponse, type Page, type Response } from "@playwright/test";
import { APP, fillSignIn, newEmail, register } from "./pool";

const PASSWORD = "correct horse battery staple";

/** The nonce the response's policy asks scripts for, after checking the other headers. */
function checkedNonce(response: Response | APIResponse): string {
  const headers = response.headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  const policy = headers["content-security-policy"] ?? "";
  for (const directive of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "'strict-dynamic'"]) {
    expect(policy).toContain(directive);
  }
  const nonce = policy.match(/'nonce-([A-Za-z0-9_-]+)'/);
  expect(nonce, policy).not.toBeNull();
  return nonce![1];
}

/** The `nonce` of every script of the page, as the browser keeps it. */
async function scriptNonces(page: Page): Promise<string[]> {
  return page.evaluate(() => Array.from(document.scripts, (script) => script.nonce));
}

/** Collects what Chromium reports against a Content-Security-Policy, on any page of `page`. */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction("reportViolation", (report: string) => violations.push(report));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = `${event.violatedDirective} blocked ${event.blockedURI} on ${document.location.pathname}`;
      (window as unknown as { reportViolation: (r: string) => void }).reportViolation(report);
    });
  });
  return violations;
}

test("pages send a nonce-based CSP that the islands and a whole sign-in live with", async ({ page }) => {
  const violations = await watchViolations(page);
  const email = newEmail("csp");

  await test.step("the home page's scripts carry its response's nonce, and its island hydrates", async () => {
    const response = await page.goto("/");
    const nonce = checkedNonce(response!);
    const scripts = await scriptNonces(page);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.every((found) => found === nonce), JSON.stringify(scripts)).toBe(true);
    // The buttons are enabled by the hydrated island.
    await expect(page.getByRole("button", { name: "Sign In" })).toBeEnabled();
    await expect(page.getByText("Loading…")).toHaveCount(0);
    // Another response, another nonce.
    const again = await page.request.get("/");
    expect(checkedNonce(again)).not.toBe(nonce);
  });

  await test.step("the callback page has its own nonce on every script", async () => {
    const response = await page.request.get("/callback?code=some-code&state=some-state");
    const nonce = checkedNonce(response);
    const scripts = [...(await response.text()).matchAll(/<script([^>]*)>/g)].map((tag) => tag[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toContain(`nonce="${nonce}"`);
  });

  await test.step("register, sign in through the callback, log out and sign in again", async () => {
    const callbacks: Response[] = [];
    page.on("response", (response) => {
      if (response.url().startsWith(`${APP}/callback?`)) callbacks.push(response);
    });
    await register(page, email, PASSWORD);
    expect(callbacks).toHaveLength(1);
    checkedNonce(callbacks[0]);

    await page.getByRole("button", { name: "Logout" }).click();
    await expect(page.getByRole("button", { name: "Sign In" })).toBeEnabled();
    await page.getByRole("button", { name: "Sign In" }).click();
    await fillSignIn(page, email, PASSWORD);
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    expect(callbacks).toHaveLength(2);
  });

  expect(violations).toEqual([]);
});
