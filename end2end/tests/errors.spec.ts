// When sign-in goes wrong, the user reads what happened and can start again;
// nobody is left half signed in.
import { test, expect } from "@playwright/test";
import { APP, POOL, fillSignIn, newEmail, register } from "./pool";

test("a callback that this browser did not start is refused, with a way to start again", async ({ page }) => {
  await page.goto("/callback?code=forged-code&state=forged-state");
  await expect(page.getByRole("alert")).toContainText("already been used");
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
  const html = await (await page.request.get("/")).text();
  expect(html).not.toContain("Hello ");
});

test("a callback URL replayed after a sign-in is refused without asking the pool for tokens", async ({ page }) => {
  const email = newEmail("replay");
  const callbacks: string[] = [];
  page.on("request", (request) => {
    if (request.url().startsWith(`${APP}/callback?`)) callbacks.push(request.url());
  });
  await register(page, email, "correct horse battery staple");
  expect(callbacks).toHaveLength(1);
  // The verifier, state and nonce were spent with the first use: nothing is left in storage.
  const stored = await page.evaluate(() => Object.keys(window.localStorage));
  expect(stored).toEqual([]);

  const tokenRequests: string[] = [];
  page.on("request", (request) => {
    if (request.url().startsWith(`${POOL}/oauth2/token`)) tokenRequests.push(request.url());
  });
  await page.goto(callbacks[0]);
  await expect(page.getByRole("alert")).toContainText("already been used");
  expect(tokenRequests).toEqual([]);
});

test("a callback whose state does not match the sign-in in progress is refused", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
  await page.goto("/callback?code=some-code&state=not-the-state");
  await expect(page.getByRole("alert")).toContainText("does not belong to the sign-in you started");
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
});

test("a user who cancels at the hosted UI comes back to a message and Sign In", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(new RegExp(`^${APP}/callback\\?`));
  await expect(page.getByRole("alert")).toContainText("cancelled");
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
});

test("a wrong password is refused with Cognito's message and no hint whether the user exists", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await fillSignIn(page, newEmail("nobody"), "not the password");
  await expect(page.getByText("Incorrect username or password.")).toBeVisible();
});

test("an expired or forged session cookie shows the signed-out page and is cleared", async ({ page }) => {
  await page.context().addCookies([
    { name: "id_token", value: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", url: APP },
    { name: "access_token", value: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", url: APP },
  ]);
  await page.goto("/");
  await expect(page.getByText("Your session has expired. Please sign in again.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
  const cookies = await page.context().cookies(APP);
  expect(cookies.filter((c) => c.name.endsWith("_token"))).toHaveLength(0);
});

test("without JavaScript, Sign In and Register stay disabled rather than leave without PKCE, and the page says why", async ({ browser }) => {
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const page = await noScript.newPage();
  await page.goto(`${APP}/`);
  await expect(page.getByRole("button", { name: "Sign In" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Register" })).toBeDisabled();
  // Beside them, what a slow connection shows until the WASM is ready.
  await expect(page.getByText("Loading…")).toBeVisible();
  // And the page says why, in a <noscript> (Playwright turns script execution off, not the
  // parser's scripting flag, so Chromium keeps that element's content as its text: read it so).
  expect(await page.locator("noscript").evaluateAll((all) => all.map((n) => n.textContent).join(" "))).toContain(
    "Signing in needs JavaScript",
  );
  await noScript.close();
});
