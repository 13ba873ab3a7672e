// The app with any OpenID provider instead of a Cognito pool, as a person lives it. An app
// server of its own runs with OIDC_ISSUER naming an independent provider (oidc-provider from
// npm, OpenID Certified) and a confidential client there: it finds the provider's endpoints by
// discovery, sends Sign In to the provider's own pages with PKCE, redeems the code on the server
// with the client's secret, and greets the person with the address the provider's userInfo gave.
// Refreshing gets new tokens there; Logout ends the provider's session too (RP-Initiated Logout).
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { ownConfigEnv } from "./pool";
import { OPENID_APP, OPENID_APP_CLIENT, UPSTREAM, startUpstream, upstreamEmail } from "./upstream_provider";

const ROOT = path.resolve(__dirname, "../..");
let provider: { close: () => Promise<void> };
let server: ChildProcess;

test.beforeAll(async () => {
  provider = await startUpstream();
  server = spawn(path.join(ROOT, process.env.SERVER_BINARY ?? "target/debug/server"), [], {
    cwd: ROOT,
    stdio: "ignore",
    env: {
      ...ownConfigEnv(),
      APP_URL: OPENID_APP,
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_ADDR: new URL(OPENID_APP).host,
      OIDC_ISSUER: UPSTREAM,
      OIDC_CLIENT_ID: OPENID_APP_CLIENT.id,
      OIDC_CLIENT_SECRET: OPENID_APP_CLIENT.secret,
      OIDC_SCOPES: "openid email groups",
    },
  });
  await expect
    .poll(async () => (await fetch(`${OPENID_APP}/healthz`).catch(() => null))?.status, { timeout: 30_000 })
    .toBe(200);
});

test.afterAll(async () => {
  server?.kill("SIGTERM");
  await provider?.close();
});

/** From the app's home page to the provider's sign-in, signed in there as `login`. */
async function signInAtTheProvider(page: Page, login: string) {
  await page.goto(`${OPENID_APP}/`);
  await page.getByRole("button", { name: "Sign In" }).click();
  await expect(page).toHaveURL(new RegExp(`^${UPSTREAM}/interaction/`));
  await page.locator("input[name=login]").fill(login);
  await page.locator("input[name=password]").fill("any password the provider takes");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

async function cookie(context: BrowserContext, name: string) {
  return (await context.cookies(OPENID_APP)).find((c) => c.name === name);
}

test("a person signs in at the provider, is greeted with its address, refreshes, and logs out there too", async ({
  page,
  context,
}) => {
  const login = `ada${Date.now()}`;
  await test.step("Sign In leaves for the provider's own pages, with PKCE", async () => {
    const authorize = page.waitForRequest((request) => request.url().startsWith(`${UPSTREAM}/auth?`));
    await signInAtTheProvider(page, login);
    const query = new URL((await authorize).url()).searchParams;
    expect(query.get("client_id")).toBe(OPENID_APP_CLIENT.id);
    expect(query.get("code_challenge_method")).toBe("S256");
    expect(query.get("scope")).toBe("openid email groups");
  });

  await test.step("back at the app, the server greets them with the provider's address", async () => {
    await expect(page.getByRole("heading", { name: `Hello ${upstreamEmail(login)}` })).toBeVisible();
    await expect(page).toHaveURL(`${OPENID_APP}/`);
    expect((await cookie(context, "id_token"))?.httpOnly).toBe(true);
    // Not an administrator: no Admin in the navigation.
    await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  });

  await test.step("Refresh my session gets new tokens from the provider", async () => {
    await page.getByRole("link", { name: "Profile" }).click();
    await expect(page.locator("dd").first()).toHaveText(upstreamEmail(login));
    // Passkeys and a second step are a Cognito pool's: this provider has its own.
    await expect(page.getByRole("heading", { name: "Passkeys" })).toHaveCount(0);
    // The provider's access tokens are opaque and new at each refresh (an id token made in
    // the same second as the last can be the same, byte for byte).
    const before = await cookie(context, "access_token");
    await page.getByRole("button", { name: "Refresh my session" }).click();
    await expect(page.getByRole("status")).toContainText("Your session has been refreshed");
    const after = await cookie(context, "access_token");
    expect(after?.value).toBeTruthy();
    expect(after?.value).not.toBe(before?.value);
    expect((await cookie(context, "id_token"))?.value).toBeTruthy();
  });

  await test.step("Logout ends the session at the provider's end_session_endpoint too", async () => {
    await page.getByRole("link", { name: "Home" }).click();
    const logout = page.waitForRequest((request) => request.url().startsWith(`${UPSTREAM}/session/end?`));
    await page.getByRole("button", { name: "Logout" }).click();
    const query = new URL((await logout).url()).searchParams;
    expect(query.get("post_logout_redirect_uri")).toBe(`${OPENID_APP}/`);
    expect(query.get("id_token_hint")).toBeTruthy();
    await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await expect(page.getByText("You have been signed out.")).toBeVisible();
    expect(await cookie(context, "id_token")).toBeUndefined();
  });

  await test.step("signing in again asks for the login: the provider's session ended", async () => {
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page.locator("input[name=login]")).toBeVisible();
  });
});

test("the provider's groups claim opens the admin pages to its Admin members", async ({ page }) => {
  await signInAtTheProvider(page, `admin${Date.now()}`);
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { name: "Admin console" })).toBeVisible();
  // Its users are the provider's to manage, and the console says so.
  await expect(page.getByRole("alert")).toContainText("signs in with another OpenID provider");
});

test("a person who cancels at the provider comes back to the app with its reason", async ({ page }) => {
  await page.goto(`${OPENID_APP}/`);
  await page.getByRole("button", { name: "Sign In" }).click();
  await page.getByRole("link", { name: "[ Cancel ]" }).click();
  await expect(page).toHaveURL(new RegExp(`^${OPENID_APP}/`));
  await expect(page.getByRole("alert")).toContainText("End-User aborted interaction");
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
});
