// The golden path, as a person lives it: register, confirm with the emailed
// code, be greeted (by HTML the server rendered), log out, sign in again.
import { test, expect } from "@playwright/test";
import { APP, CLIENT_ID, POOL, fillCode, fillSignIn, fillSignUp, latestCode, newEmail } from "./pool";

const PASSWORD = "correct horse battery staple";

test("a new user registers, confirms, is greeted, logs out and signs in again", async ({ page, browser }) => {
  const email = newEmail("ada");

  await test.step("the signed-out home page offers Sign In and Register", async () => {
    await page.goto("/");
    await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Register" })).toBeVisible();
  });

  await test.step("Register leads to the pool's sign-up page, with PKCE", async () => {
    await page.getByRole("button", { name: "Register" }).click();
    await expect(page).toHaveURL(new RegExp(`^${POOL}/signup\\?`));
    const url = new URL(page.url());
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("scope")).toBe("openid email profile aws.cognito.signin.user.admin");
    await fillSignUp(page, email, PASSWORD);
  });

  await test.step("a wrong code is refused with a message, the emailed one accepted", async () => {
    const code = await latestCode(page.request, email);
    const wrong = code === "000000" ? "111111" : "000000";
    await fillCode(page, wrong);
    await expect(page.getByText("Invalid verification code provided, please try again.")).toBeVisible();
    await fillCode(page, code);
  });

  await test.step("back at the app, the user is greeted and the code is gone from the address bar", async () => {
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    await expect(page).toHaveURL(`${APP}/`);
    await expect(page.getByRole("button", { name: "Logout" })).toBeVisible();
  });

  await test.step("the server renders the greeting: the HTML holds it before any script runs", async () => {
    const html = await (await page.request.get("/")).text();
    expect(html).toContain(`Hello ${email}`);
    // The signed-in home page has no islands, so it loads no WASM at all.
    expect(html).not.toMatch(/\.wasm|\.js"/);

    const noScript = await browser.newContext({ javaScriptEnabled: false });
    await noScript.addCookies(await page.context().cookies(APP));
    const plain = await noScript.newPage();
    await plain.goto(`${APP}/`);
    await expect(plain.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    await noScript.close();
  });

  await test.step("a reload and a new tab still show the greeting", async () => {
    await page.reload();
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    const tab = await page.context().newPage();
    await tab.goto("/");
    await expect(tab.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    await tab.close();
  });

  await test.step("session cookies are HttpOnly and SameSite=Lax", async () => {
    const cookies = await page.context().cookies(APP);
    const session = cookies.filter((c) => ["id_token", "access_token", "refresh_token"].includes(c.name));
    expect(session).toHaveLength(3);
    for (const cookie of session) {
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe("Lax");
    }
  });

  await test.step("Logout ends the session at the app and at the pool", async () => {
    const refreshToken = (await page.context().cookies(APP)).find((c) => c.name === "refresh_token")!.value;
    await page.getByRole("button", { name: "Logout" }).click();
    await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
    await expect(page).toHaveURL(`${APP}/`);
    await expect(page.getByRole("status")).toHaveText("You have been signed out.");
    // Said once: a reload shows the plain signed-out page.
    await page.reload();
    await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
    await expect(page.getByText("You have been signed out.")).toHaveCount(0);
    const html = await (await page.request.get("/")).text();
    expect(html).not.toContain(`Hello ${email}`);
    const appCookies = await page.context().cookies(APP);
    expect(appCookies.filter((c) => c.name.endsWith("_token"))).toHaveLength(0);
    // The app revoked the refresh token at the pool: it mints nothing any more.
    const refresh = await page.request.post(`${POOL}/oauth2/token`, {
      form: { grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: refreshToken },
    });
    expect(refresh.status()).toBe(400);
    expect(await refresh.json()).toEqual({ error: "invalid_grant" });
  });

  await test.step("Sign In asks for the password again (the pool's session is gone) and works", async () => {
    await page.getByRole("button", { name: "Sign In" }).click();
    await fillSignIn(page, email, PASSWORD);
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    await expect(page).toHaveURL(`${APP}/`);
  });
});
