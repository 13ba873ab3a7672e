// What the tests need to know of the embedded user pool: where it is, how to call
// its Cognito API, its dev-only outbox, and how to fill in its hosted-UI forms.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { expect, type APIRequestContext, type Browser, type Page } from "@playwright/test";

export const POOL = "http://127.0.0.1:9229";
export const APP = "http://127.0.0.1:3000";
/** The app client of the embedded pool (userpool.toml). */
export const CLIENT_ID = "1ocal4pp5c1ient0leptos0cog";

/** The admin key pair of the shipped userpool.toml: its public, local development pair. */
export function adminCredentials(): { accessKeyId: string; secretAccessKey: string } {
  const toml = readFileSync(path.resolve(__dirname, "../../userpool.toml"), "utf8");
  const block = toml.split("[[admin_credentials]]")[1] ?? "";
  const field = (name: string) => {
    const value = block.match(new RegExp(`^${name} = "([^"]+)"`, "m"))?.[1];
    if (!value) throw new Error(`userpool.toml has no admin_credentials.${name}`);
    return value;
  };
  return { accessKeyId: field("access_key_id"), secretAccessKey: field("secret_access_key") };
}

/** AWS's own SDK client for the pool's Cognito API, signing (SigV4) with the pool's admin keys. */
export function cognitoApi(endpoint = POOL): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: "us-east-1",
    credentials: adminCredentials(),
    maxAttempts: 1,
  });
}

/** A fresh address per run, so tests never collide with earlier users. */
export function newEmail(name: string): string {
  return `${name}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** The code of the newest mail the pool "sent" to `email`: a 6-digit verification code, or what `pattern` (one group) finds. */
export async function latestCode(
  request: APIRequestContext,
  email: string,
  pattern = /Your verification code is (\d{6})\./,
  pool = POOL,
): Promise<string> {
  const response = await request.get(`${pool}/_dev/outbox.json?to=${encodeURIComponent(email)}`);
  expect(response.ok()).toBeTruthy();
  const mails: { to: string; body: string }[] = await response.json();
  expect(mails.length).toBeGreaterThan(0);
  expect(mails[0].to).toBe(email);
  const code = mails[0].body.match(pattern);
  expect(code, `a code in: ${mails[0].body}`).not.toBeNull();
  return code![1];
}

export async function fillSignUp(page: Page, email: string, password: string, pool = POOL) {
  await expect(page).toHaveURL(new RegExp(`^${pool}/signup`));
  await page.locator("input[name=username]").fill(email);
  await page.locator("input[name=password]").fill(password);
  await page.locator("form:has(input[name=password]) button[type=submit]:not([formaction])").click();
}

export async function fillSignIn(page: Page, email: string, password: string, pool = POOL) {
  await expect(page).toHaveURL(new RegExp(`^${pool}/login`));
  await page.locator("input[name=username]").fill(email);
  await page.locator("input[name=password]").fill(password);
  await page.locator("form:has(input[name=password]) button[type=submit]:not([formaction])").click();
}

export async function fillCode(page: Page, code: string, pool = POOL) {
  // The confirm page, or the same form shown again after "Resend code".
  await expect(page).toHaveURL(new RegExp(`^${pool}/(confirm|resend)`));
  await page.locator("input[name=code]").fill(code);
  await page.locator("form:has(input[name=code]) button[type=submit]").click();
}

/** Signs `email` in from the app's home page, in a browser context of its own. */
export async function signIn(browser: Browser, email: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await fillSignIn(page, email, password);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
  return page;
}

/** The demo administrator a development pool starts with (README). */
export const ADMIN = { email: "admin@example.com", password: "admin password" };

/** The admin console, showing the users whose email starts with `search`. */
export async function consoleFor(page: Page, search: string) {
  await page.getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { name: "Admin console" })).toBeVisible();
  await page.getByLabel("Search by email").fill(search);
  await page.getByRole("button", { name: "Search" }).click();
}

/** Registers `email` from the app's home page and confirms it with the mailed code. */
export async function register(page: Page, email: string, password: string) {
  await page.goto("/");
  await page.getByRole("button", { name: "Register" }).click();
  await fillSignUp(page, email, password);
  await fillCode(page, await latestCode(page.request, email));
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
}

/** The environment for a pool or app that a test starts with a configuration of its own:
 * USERPOOL_* variables (the e2e run sets some) and DATABASE_URL would override it. */
export function ownConfigEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("USERPOOL_") && name !== "DATABASE_URL"),
  );
}

/** Chromium's virtual platform authenticator on `page`, one that verifies its user as a phone's
 * or a laptop's does, and always finds them present. */
export async function addAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/** The code an authenticator app shows for the base32 `secret` at `at` (RFC 6238: HMAC-SHA-1,
 * six digits, 30-second steps), computed here, independently of the pool. */
export function totpCode(secret: string, at = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const letter of secret.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(letter).toString(2).padStart(5, "0");
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, "0");
}
