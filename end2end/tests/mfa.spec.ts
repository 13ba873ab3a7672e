// A second sign-in step after the password, as people set it up and use it: an authenticator
// app turned on from the profile (the test is the app: it reads the key on the page and
// computes the codes), codes by email read from the outbox, and a pool that requires MFA
// making a new user set an app up in the hosted UI at their first sign-in.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  SetUserPoolMfaConfigCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, cognitoApi, consoleFor, fillSignIn, latestCode, newEmail, register, signIn, totpCode } from "./pool";

const PASSWORD = "a long enough password";

async function signOutAndBackIn(page: Page, email: string) {
  await page.goto("/");
  await page.getByRole("button", { name: "Logout" }).click();
  await expect(page.getByRole("button", { name: "Sign In" })).toBeEnabled();
  await page.getByRole("button", { name: "Sign In" }).click();
  await fillSignIn(page, email, PASSWORD);
}

test("a user turns on an authenticator app on the profile and signs in with its code", async ({ page }) => {
  const email = newEmail("totp");
  await register(page, email, PASSWORD);

  await page.goto("/profile");
  await expect(page.locator(".app-state")).toHaveText("off");
  await page.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await page.locator("#app-secret").textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill(totpCode(secret));
  await page.locator(".app-setup").getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByRole("status")).toContainText("Your authenticator app is on");
  await expect(page.locator(".app-state")).toHaveText("on");

  await signOutAndBackIn(page, email);
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  const code = page.getByLabel("Code from your authenticator app");
  await expect(code).toHaveAttribute("autocomplete", "one-time-code");
  await expect(code).toHaveAttribute("inputmode", "numeric");
  // A wrong code is refused and may be corrected. (The set-up spent this step's code: the
  // app's next one is good.)
  const next = totpCode(secret, Date.now() + 30_000);
  await code.fill(next === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid verification code");
  await page.getByLabel("Code from your authenticator app").fill(next);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();

  // Turned off, the password alone signs in again.
  await page.goto("/profile");
  await page.locator(".factors li", { hasText: "Authenticator app" }).getByRole("button", { name: "Turn off" }).click();
  await expect(page.locator(".app-state")).toHaveText("off");
  await signOutAndBackIn(page, email);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});

test("a user with email codes on signs in with the code from their mail, until an administrator resets them", async ({
  page,
  browser,
}) => {
  const email = newEmail("emailmfa");
  await register(page, email, PASSWORD);
  await page.goto("/profile");
  await page.locator(".factors li", { hasText: "Email codes" }).getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator(".email-state")).toHaveText("on");

  await signOutAndBackIn(page, email);
  await expect(page.getByText("We have sent a sign-in code to")).toContainText("***@e***");
  const code = await latestCode(page.request, email, /Your sign-in code is (\d{6})\./);
  await page.getByLabel("Code from the email").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();

  // The user lost access to their mail: an administrator turns the second step off.
  const admin = await signIn(browser, ADMIN.email, ADMIN.password);
  await consoleFor(admin, email);
  const row = admin.getByRole("row", { name: email });
  await expect(row.locator(".mfa")).toHaveText("email codes");
  admin.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: "Reset second step" }).click();
  await expect(admin.getByRole("status")).toHaveText(`${email}'s second sign-in step is off.`);
  await expect(admin.getByRole("row", { name: email }).locator(".mfa")).toHaveText("none");
  await signOutAndBackIn(page, email);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});

test("a pool that requires MFA has a new user set up an app at their first sign-in", async ({ page }) => {
  const site = createServer((_, response) => {
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end("<h1>Signed in</h1>");
  });
  await new Promise<void>((listening) => site.listen(0, "127.0.0.1", listening));
  const callbackUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/callback`;
  const api = cognitoApi();
  const { UserPool } = await api.send(new CreateUserPoolCommand({ PoolName: "strict", UsernameAttributes: ["email"] }));
  const poolId = UserPool!.Id!;
  await api.send(
    new SetUserPoolMfaConfigCommand({
      UserPoolId: poolId,
      MfaConfiguration: "ON",
      SoftwareTokenMfaConfiguration: { Enabled: true },
    }),
  );
  const { UserPoolClient } = await api.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: "strict-web",
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ["code"],
      AllowedOAuthScopes: ["openid", "email"],
      CallbackURLs: [callbackUrl],
      SupportedIdentityProviders: ["COGNITO"],
    }),
  );
  const prefix = `strict-${randomBytes(4).toString("hex")}`;
  await api.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
  const domain = `http://${prefix}.localhost:9229`;
  const email = newEmail("required");
  const password = "Strict-Password-9";
  await api.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: email,
      MessageAction: "SUPPRESS",
      UserAttributes: [{ Name: "email_verified", Value: "true" }],
    }),
  );
  await api.send(
    new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: email, Password: password, Permanent: true }),
  );

  try {
    const authorize = new URL(`${domain}/oauth2/authorize`);
    authorize.search = new URLSearchParams({
      response_type: "code",
      client_id: UserPoolClient!.ClientId!,
      redirect_uri: callbackUrl,
      scope: "openid email",
      state: "strict-state",
      code_challenge: createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url"),
      code_challenge_method: "S256",
    }).toString();
    await page.goto(authorize.toString());
    await fillSignIn(page, email, password, domain);

    await expect(page.getByRole("heading", { name: "Set up your authenticator app" })).toBeVisible();
    await expect(page.getByRole("img", { name: "QR code of the authenticator key" })).toBeVisible();
    const secret = (await page.locator("#secret").textContent())!.trim();
    await page.getByLabel("Code from your authenticator app").fill("000000" === totpCode(secret) ? "111111" : "000000");
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("Invalid verification code");
    await page.getByLabel("Code from your authenticator app").fill(totpCode(secret));
    await page.getByRole("button", { name: "Verify and sign in" }).click();
    await expect(page.getByRole("heading", { name: "Signed in" })).toBeVisible();
    const callback = new URL(page.url());
    expect(callback.searchParams.get("state")).toBe("strict-state");
    expect(callback.searchParams.get("code")).toMatch(/.+/);
  } finally {
    site.close();
    await api.send(new DeleteUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
    await api.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
  }
});
