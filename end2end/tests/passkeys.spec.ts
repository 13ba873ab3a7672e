// A user adds a passkey and signs in with it through the hosted UI, no password typed; once
// they delete it, the sign-in page says there is none. Browsers keep passkeys from IP
// addresses, so this story runs its own app and pool under "localhost" (the pool's relying
// party), with Chromium's virtual authenticator standing in for the device's.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { fillCode, fillSignUp, latestCode, newEmail, ownConfigEnv } from "./pool";

const ROOT = path.resolve(__dirname, "../..");
const APP_PORT = 3130;
const POOL_PORT = 9469;
const APP = `http://localhost:${APP_PORT}`;
const POOL = `http://localhost:${POOL_PORT}`;
/** The pool's scripts client (userpool.toml), which may sign in with USER_PASSWORD_AUTH. */
const SCRIPTS_CLIENT = "5cr1pt5c1ient0leptos0cog";
const PASSWORD = "passkeys make this easy";

let server: ChildProcess;
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
  rmSync(dir, { recursive: true, force: true });
});

/** A platform authenticator that verifies its user, as a phone's or a laptop's does. */
async function addAuthenticator(page: Page) {
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

/** Calls the pool's Cognito API from a page of the pool's own origin, as its hosted pages would. */
async function cognito(page: Page, operation: string, body: object): Promise<Record<string, unknown>> {
  return page.evaluate(
    async ([operation, body]) => {
      const reply = await fetch("/", {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
      });
      const json = await reply.json();
      if (!reply.ok) throw new Error(`${operation}: ${json.__type}: ${json.message}`);
      return json;
    },
    [operation, body] as [string, object],
  );
}

/** Registers a passkey for `email` (signed in with the password for an access token): the
 * ceremony an app runs with StartWebAuthnRegistration and CompleteWebAuthnRegistration. */
async function addPasskey(page: Page, email: string): Promise<string> {
  await page.goto(`${POOL}/healthz`);
  const signedIn = await cognito(page, "InitiateAuth", {
    ClientId: SCRIPTS_CLIENT,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD },
  });
  const token = (signedIn.AuthenticationResult as { AccessToken: string }).AccessToken;
  const started = await cognito(page, "StartWebAuthnRegistration", { AccessToken: token });
  const credential = await page.evaluate(async (options: any) => {
    const bytes = (text: string) =>
      Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)), (c) =>
        c.charCodeAt(0),
      );
    const text = (buffer: ArrayBuffer) =>
      btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const made = (await navigator.credentials.create({
      publicKey: {
        ...options,
        challenge: bytes(options.challenge),
        user: { ...options.user, id: bytes(options.user.id) },
        excludeCredentials: (options.excludeCredentials ?? []).map((c: any) => ({ ...c, id: bytes(c.id) })),
      },
    })) as PublicKeyCredential;
    const response = made.response as AuthenticatorAttestationResponse;
    return {
      id: made.id,
      rawId: text(made.rawId),
      type: made.type,
      authenticatorAttachment: made.authenticatorAttachment,
      clientExtensionResults: made.getClientExtensionResults(),
      response: {
        clientDataJSON: text(response.clientDataJSON),
        attestationObject: text(response.attestationObject),
        transports: response.getTransports(),
      },
    };
  }, started.CredentialCreationOptions);
  await cognito(page, "CompleteWebAuthnRegistration", { AccessToken: token, Credential: credential });
  return token;
}

test("a user adds a passkey, signs in with it at the hosted UI, and after deleting it is told there is none", async ({
  page,
}) => {
  await addAuthenticator(page);
  const email = newEmail("passkey");
  await page.goto(APP);
  await page.getByRole("button", { name: "Register" }).click();
  await fillSignUp(page, email, PASSWORD, POOL);
  await fillCode(page, await latestCode(page.request, email, undefined, POOL), POOL);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
  await page.getByRole("button", { name: "Logout" }).click();
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();

  const token = await addPasskey(page, email);

  await test.step("signs in with the passkey: the email, one button, no password", async () => {
    await page.goto(APP);
    await page.getByRole("button", { name: "Sign In" }).click();
    await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
    await page.locator("input[name=username]").fill(email);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
    await page.getByRole("button", { name: "Logout" }).click();
    await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
  });

  await test.step("deletes it: the sign-in page says there is none, and the password still works", async () => {
    await page.goto(`${POOL}/healthz`);
    const listed = await cognito(page, "ListWebAuthnCredentials", { AccessToken: token });
    const [passkey] = listed.Credentials as { CredentialId: string }[];
    await cognito(page, "DeleteWebAuthnCredential", { AccessToken: token, CredentialId: passkey.CredentialId });
    await page.goto(APP);
    await page.getByRole("button", { name: "Sign In" }).click();
    await page.locator("input[name=username]").fill(email);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.getByRole("alert")).toContainText("There is no passkey for this account here.");
    // The sign-in form is shown again, the email kept.
    await expect(page.locator("input[name=username]")).toHaveValue(email);
    await page.locator("input[name=password]").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
  });
});
