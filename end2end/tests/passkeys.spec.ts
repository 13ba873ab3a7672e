// A user adds a passkey on their profile and signs in with it through the hosted UI, no
// password typed (from the username field's autofill, or by name and one button in a browser
// without it); a passkey made on a page of another origin is refused; once they delete theirs,
// the sign-in page says there is none, and after a password sign-in the pool offers to add one. Browsers keep passkeys from IP
// addresses, so this story runs its own app and pool under "localhost" (the pool's relying
// party), with Chromium's virtual authenticator standing in for the device's.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { addAuthenticator, fillCode, fillSignUp, latestCode, newEmail, ownConfigEnv } from "./pool";

const ROOT = path.resolve(__dirname, "../..");
const APP_PORT = 3130;
const POOL_PORT = 9469;
const APP = `http://localhost:${APP_PORT}`;
const POOL = `http://localhost:${POOL_PORT}`;
/** The pool's scripts client (userpool.toml), which may sign in with USER_PASSWORD_AUTH. */
const SCRIPTS_CLIENT = "5cr1pt5c1ient0leptos0cog";
/** A page of another origin under the same name, which the pool does not list. */
const OTHER_PORT = 3199;
const PASSWORD = "passkeys make this easy";

let server: ChildProcess;
let other: Server;
let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "passkey-app-"));
  const config = readFileSync(path.join(ROOT, "userpool.toml"), "utf8")
    .replace('listen = "127.0.0.1:9229"', `listen = "127.0.0.1:${POOL_PORT}"`)
    .replace('public_url = "http://127.0.0.1:9229"', `public_url = "${POOL}"`)
    .replace('# webauthn_relying_party_id = "localhost"', 'webauthn_relying_party_id = "localhost"')
    .replace('data_dir = "data"', `data_dir = "${path.join(dir, "data")}"`)
    .replace('callback_urls = ["http://127.0.0.1:3000/callback"]', `callback_urls = ["${APP}/callback"]`)
    .replace('logout_urls = ["http://127.0.0.1:3000/"]', `logout_urls = ["${APP}/"]`);
  writeFileSync(path.join(dir, "userpool.toml"), config);
  other = createServer((_, response) => response.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>Elsewhere</title>"));
  await new Promise<void>((listening) => other.listen(OTHER_PORT, "127.0.0.1", listening));
  server = spawn(path.join(ROOT, process.env.SERVER_BINARY ?? "target/debug/server"), [], {
    cwd: ROOT,
    stdio: "ignore",
    env: {
      ...ownConfigEnv(),
      APP_URL: APP,
      USERPOOL_CONFIG: path.join(dir, "userpool.toml"),
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_ADDR: `127.0.0.1:${APP_PORT}`,
    },
  });
  await expect
    .poll(async () => (await fetch(`http://127.0.0.1:${APP_PORT}/healthz`).catch(() => null))?.status, {
      timeout: 30_000,
    })
    .toBe(200);
});

test.afterAll(() => {
  server?.kill("SIGTERM");
  other?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Calls the pool's Cognito API as a script would (no browser, so no CORS). */
async function cognito(request: APIRequestContext, operation: string, body: object) {
  const reply = await request.post(`${POOL}/`, {
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    data: JSON.stringify(body),
  });
  return { status: reply.status(), body: await reply.json() };
}

test("a user adds a passkey on their profile, signs in with it at the hosted UI, and deletes it", async ({
  page,
  request,
}) => {
  await addAuthenticator(page);
  const email = newEmail("passkey");
  await page.goto(APP);
  await page.getByRole("button", { name: "Register" }).click();
  await fillSignUp(page, email, PASSWORD, POOL);
  await fillCode(page, await latestCode(page.request, email, undefined, POOL), POOL);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();

  await test.step("adds a passkey on the profile page", async () => {
    await page.getByRole("link", { name: "Profile" }).click();
    await expect(page.getByText("You have no passkeys yet.")).toBeVisible();
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await expect(page.getByRole("status")).toContainText("Passkey added.");
    await expect(page.locator("ul.passkeys li")).toHaveCount(1);
    await expect(page.locator("ul.passkeys li")).toContainText("on a device's own authenticator");
    await page.getByRole("link", { name: "Home" }).click();
    await page.getByRole("button", { name: "Logout" }).click();
    await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
  });

  await test.step("signs in with it from the sign-in page's autofill, typing nothing", async () => {
    // The username field offers the browser's passkeys (conditional mediation); Chromium's
    // virtual authenticator picks the one it has, as a user picks it from the autofill.
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
  });

  await test.step("a passkey made on a page of another origin is refused", async () => {
    const signedIn = await cognito(request, "InitiateAuth", {
      ClientId: SCRIPTS_CLIENT,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: email, PASSWORD },
    });
    const token = signedIn.body.AuthenticationResult.AccessToken;
    const started = await cognito(request, "StartWebAuthnRegistration", { AccessToken: token });
    await page.goto(`http://localhost:${OTHER_PORT}/`);
    const credential = await page.evaluate(async (options) => {
      // A new passkey on the same authenticator: the one made on the profile is not excluded here.
      const made = (await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON({ ...options, excludeCredentials: [] }),
      })) as PublicKeyCredential;
      return made.toJSON();
    }, started.body.CredentialCreationOptions);
    const completed = await cognito(request, "CompleteWebAuthnRegistration", { AccessToken: token, Credential: credential });
    expect(completed.status).toBe(400);
    expect(completed.body.__type).toBe("WebAuthnOriginNotAllowedException");
  });

  await test.step("deletes it on the profile page, and the sign-in page then says there is none", async () => {
    await page.goto(`${APP}/profile`);
    await expect(page.locator("ul.passkeys li")).toHaveCount(1);
    await page.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByRole("status")).toContainText("Passkey deleted.");
    await expect(page.getByText("You have no passkeys yet.")).toBeVisible();
    await page.getByRole("link", { name: "Home" }).click();
    await page.getByRole("button", { name: "Logout" }).click();
    await page.getByRole("button", { name: "Sign In" }).click();
    // The authenticator still offers the deleted passkey in the autofill: it is refused, and the
    // page that says so offers no autofill.
    await expect(page.getByRole("alert")).toContainText("That passkey did not sign you in.");
    await page.locator("input[name=username]").fill(email);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByRole("alert")).toContainText("There is no passkey for this account here.");
    // The sign-in form is shown again, the email kept: the password still works.
    await expect(page.locator("input[name=username]")).toHaveValue(email);
    await page.locator("input[name=password]").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  });

  await test.step("after that password sign-in the pool offers to add a passkey, and adds one", async () => {
    await expect(page.getByRole("heading", { name: "Sign in faster next time" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Not now" })).toHaveAttribute("href", new RegExp(`^${APP}/callback\\?code=`));
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    await page.getByRole("link", { name: "Profile" }).click();
    await expect(page.locator("ul.passkeys li")).toHaveCount(1);
  });

  await test.step("in a browser without passkey autofill: the email, one button, no password", async () => {
    await page.addInitScript(() => {
      Object.defineProperty(PublicKeyCredential, "isConditionalMediationAvailable", {
        value: () => Promise.resolve(false),
      });
    });
    await page.getByRole("link", { name: "Home" }).click();
    await page.getByRole("button", { name: "Logout" }).click();
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
    await expect(page.locator("input[name=username]")).toHaveAttribute("autocomplete", "username webauthn");
    await page.locator("input[name=username]").fill(email);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
  });
});
