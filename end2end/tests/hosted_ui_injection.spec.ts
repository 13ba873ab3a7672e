// Whatever an attacker puts in a link or a form, the pages show it as text:
// no markup of theirs reaches the DOM and no script of theirs runs.
import { test, expect, type Page } from "@playwright/test";
import { APP, CLIENT_ID, POOL } from "./pool";

const PAYLOAD = `"'><script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"><svg onload="window.__pwned=1">`;

/** Valid authorize parameters, each free-text one replaced by the payload. */
function oauthQuery(extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: `${APP}/callback`,
    state: PAYLOAD,
    scope: `openid ${PAYLOAD}`,
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
    nonce: PAYLOAD,
    ...extra,
  }).toString();
}

async function expectNothingInjected(page: Page) {
  await expect(page.locator("body")).toBeVisible();
  // The pool's own scripts (`/static/…`) are the only ones a page may have.
  expect(await page.locator('script:not([src^="/static/"]), img[src=x], svg').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
}

test.beforeEach(async ({ page }) => {
  page.on("dialog", (dialog) => {
    throw new Error(`a dialog opened: ${dialog.message()}`);
  });
});

for (const path of ["/login", "/signup", "/confirm", "/forgotPassword", "/confirmForgotPassword"]) {
  test(`${path} shows attacker-controlled query parameters as text only`, async ({ page }) => {
    const response = await page.goto(`${POOL}${path}?${oauthQuery({ username: PAYLOAD })}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await expectNothingInjected(page);
    // The hidden fields carry the values back unchanged, as data.
    await expect(page.locator("input[name=state]").first()).toHaveValue(PAYLOAD);
  });
}

test("form fields echoed back after a refused sign-in or sign-up are text only", async ({ page }) => {
  await page.goto(`${POOL}/login?${oauthQuery()}`);
  await page.locator("input[name=username]").evaluate((input: HTMLInputElement, value) => {
    input.type = "text"; // let the browser submit what no email field would
    input.value = value;
  }, PAYLOAD);
  await page.locator("input[name=password]").fill(PAYLOAD);
  await page.locator("form:has(input[name=password]) button[type=submit]:not([formaction])").click();
  await expect(page.getByRole("alert")).toContainText("Incorrect username or password.");
  await expectNothingInjected(page);
  await expect(page.locator("input[name=username]")).toHaveValue(PAYLOAD);

  await page.goto(`${POOL}/signup?${oauthQuery()}`);
  await page.locator("input[name=username]").evaluate((input: HTMLInputElement, value) => {
    input.type = "text";
    input.value = value;
  }, PAYLOAD);
  await page.locator("input[name=password]").fill("long enough password");
  await page.locator("form:has(input[name=password]) button[type=submit]:not([formaction])").click();
  await expect(page.getByRole("alert")).toContainText("Invalid email address format.");
  await expectNothingInjected(page);
});

test("the app's callback page shows a pool's error description as text only", async ({ page }) => {
  await page.goto(`${APP}/callback?${new URLSearchParams({ error: "access_denied", error_description: PAYLOAD, state: "x" })}`);
  await expect(page.getByRole("alert")).toContainText(PAYLOAD);
  // The app's own scripts are there; none of the attacker's markup is.
  expect(await page.locator("img[src=x], svg").count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});
