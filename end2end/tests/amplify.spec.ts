// An app built on Amplify JS v6 (npm `aws-amplify`, bundled with esbuild from amplify/main.ts)
// runs in Chromium against the local pool, configured only with `userPoolEndpoint`: it signs a
// user up, confirms them with the mailed code (which signs them in: autoSignIn), signs them in
// with its default flow (SRP), refreshes the session, moves them to a new email address proved
// with a code, changes an attribute and deletes the account; and it signs users in by choice
// (USER_AUTH), as Amplify's passwordless-era apps do, and with an authenticator app as the second
// step (set up by the user, or at the first sign-in where the pool requires MFA). The page is served from an origin the pool allows
// (USERPOOL_ALLOWED_ORIGINS), as a real app's would be.
import type { Server } from "node:http";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import type * as Auth from "aws-amplify/auth";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  SetUserPoolMfaConfigCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { serveAmplifyApp } from "./amplify_site";
import { APP, POOL, addAuthenticator, cognitoApi, latestCode, newEmail, totpCode } from "./pool";

declare global {
  interface Window {
    /** The Amplify Auth functions amplify/main.ts puts on the page. */
    amplify: typeof Auth;
  }
}

const PASSWORD = "amplify meadow lantern 7";
let site: Server;
/** The app's origin: one the pool lets call its API (USERPOOL_ALLOWED_ORIGINS in playwright.config.ts). */
const siteUrl = "http://127.0.0.1:3100";

test.beforeAll(async () => {
  site = await serveAmplifyApp(siteUrl);
});

test.afterAll(() => new Promise<void>((closed) => site.close(() => closed())));

/** Opens the app (at `origin`), configured for the declared pool and its scripts client. */
async function openApp(page: Page, origin = siteUrl) {
  const query = new URLSearchParams({ pool: "us-east-1_LocalPool", client: "5cr1pt5c1ient0leptos0cog", endpoint: POOL });
  await page.goto(`${origin}/?${query}`);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true");
}

/** The Cognito operations the page calls, as "Operation" or "Operation:AuthFlow/ChallengeName". */
function recordCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on("request", (sent) => {
    const target = sent.headers()["x-amz-target"];
    if (target) {
      const body = sent.postDataJSON() ?? {};
      const detail = body.AuthFlow ?? body.ChallengeName;
      calls.push(target.replace("AWSCognitoIdentityProviderService.", "") + (detail ? `:${detail}` : ""));
    }
  });
  return calls;
}

/** Amplify's signUp (asking it to sign the user in once confirmed), then confirmSignUp with
 * the mailed code: the two next steps it reports. */
async function signUpAndConfirm(page: Page, request: APIRequestContext, email: string, auto: boolean | { authFlowType: "USER_AUTH" }) {
  const signedUp = await page.evaluate(
    async ([username, password, autoSignIn]) =>
      (
        await window.amplify.signUp({
          username,
          password,
          options: { userAttributes: { email: username }, autoSignIn },
        })
      ).nextStep.signUpStep,
    [email, PASSWORD, auto] as [string, string, boolean | { authFlowType: "USER_AUTH" }],
  );
  const code = await latestCode(request, email);
  const confirmed = await page.evaluate(
    async ([username, confirmationCode]) =>
      (await window.amplify.confirmSignUp({ username, confirmationCode })).nextStep.signUpStep,
    [email, code],
  );
  return [signedUp, confirmed];
}

/** Amplify's autoSignIn after a confirmation: signed in, and as whom; then signed out. */
async function autoSignIn(page: Page) {
  return page.evaluate(async () => {
    const { isSignedIn } = await window.amplify.autoSignIn();
    const user = await window.amplify.getCurrentUser();
    await window.amplify.signOut();
    return [isSignedIn, user.signInDetails?.loginId];
  });
}

test("an Amplify app signs a user up and in (automatically, then with SRP), refreshes, proves a new address, updates and deletes the account", async ({
  page,
  request,
}) => {
  const calls = recordCalls(page);
  await openApp(page);
  const email = newEmail("amplify");

  await test.step("sign-up, the mailed code, and the automatic sign-in after it", async () => {
    expect(await signUpAndConfirm(page, request, email, true)).toEqual(["CONFIRM_SIGN_UP", "COMPLETE_AUTO_SIGN_IN"]);
    expect(await autoSignIn(page)).toEqual([true, email]);
  });

  await test.step("a wrong password is refused", async () => {
    const refused = await page.evaluate(async (username) => {
      try {
        await window.amplify.signIn({ username, password: "not the password" });
        return "signed in";
      } catch (error) {
        return (error as Error).name;
      }
    }, email);
    expect(refused).toBe("NotAuthorizedException");
  });

  await test.step("sign-in (SRP) and a forced refresh", async () => {
    const signedIn = await page.evaluate(
      async ([username, password]) => (await window.amplify.signIn({ username, password })).isSignedIn,
      [email, PASSWORD],
    );
    expect(signedIn).toBe(true);
    const [before, after] = await page.evaluate(async () => {
      const first = await window.amplify.fetchAuthSession();
      const second = await window.amplify.fetchAuthSession({ forceRefresh: true });
      return [first.tokens?.accessToken.toString(), second.tokens?.accessToken.toString()];
    });
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    // Its default flow is SRP, answered with the password verifier; it refreshes with GetTokensFromRefreshToken.
    expect(calls).toEqual(
      expect.arrayContaining([
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "GetTokensFromRefreshToken",
      ]),
    );
    expect(calls.filter((call) => call.includes("USER_PASSWORD_AUTH"))).toEqual([]);
  });

  const movedEmail = email.replace("amplify.", "amplify-moved.");
  await test.step("a new email address, proved with the code mailed to it", async () => {
    const step = await page.evaluate(async (address) => {
      const result = await window.amplify.updateUserAttributes({ userAttributes: { email: address } });
      return [result.email.isUpdated, result.email.nextStep.updateAttributeStep];
    }, movedEmail);
    expect(step).toEqual([false, "CONFIRM_ATTRIBUTE_WITH_CODE"]);
    // Until then the old address is the user's.
    expect(await page.evaluate(async () => (await window.amplify.fetchUserAttributes()).email)).toBe(email);
    const code = await latestCode(request, movedEmail);
    const attributes = await page.evaluate(async (confirmationCode) => {
      await window.amplify.confirmUserAttribute({ userAttributeKey: "email", confirmationCode });
      const { email, email_verified } = await window.amplify.fetchUserAttributes();
      return { email, email_verified };
    }, code);
    expect(attributes).toEqual({ email: movedEmail, email_verified: "true" });
  });

  await test.step("an attribute changed, then the account deleted", async () => {
    const name = await page.evaluate(async () => {
      await window.amplify.updateUserAttributes({ userAttributes: { name: "Ada" } });
      return (await window.amplify.fetchUserAttributes()).name;
    });
    expect(name).toBe("Ada");
    expect(await page.evaluate(() => window.amplify.deleteUser().then(() => "deleted"))).toBe("deleted");
    const afterwards = await page.evaluate(async ([username, password]) => {
      try {
        await window.amplify.signIn({ username, password });
        return "signed in";
      } catch (error) {
        return (error as Error).name;
      }
    }, [movedEmail, PASSWORD]);
    expect(afterwards).toBe("NotAuthorizedException");
  });
});

test("an Amplify app signs a user in by choice (USER_AUTH): automatically after confirming, by choosing the password, preferring SRP, and with a mailed code", async ({
  page,
  request,
}) => {
  const calls = recordCalls(page);
  await openApp(page);
  const email = newEmail("amplify-choice");

  await test.step("the confirmation's session signs the new user in, with nothing asked again", async () => {
    const steps = await signUpAndConfirm(page, request, email, { authFlowType: "USER_AUTH" });
    expect(steps).toEqual(["CONFIRM_SIGN_UP", "COMPLETE_AUTO_SIGN_IN"]);
    calls.length = 0;
    expect(await autoSignIn(page)).toEqual([true, email]);
    expect(calls.filter((call) => !call.startsWith("RevokeToken"))).toEqual(["InitiateAuth:USER_AUTH"]);
  });

  await test.step("without a preference the user is offered both ways, and chooses the password", async () => {
    const offer = await page.evaluate(
      async (username) => (await window.amplify.signIn({ username, options: { authFlowType: "USER_AUTH" } })).nextStep,
      email,
    );
    expect(offer).toEqual({
      signInStep: "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION",
      availableChallenges: ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"],
    });
    const steps = await page.evaluate(async (password) => {
      const chosen = await window.amplify.confirmSignIn({ challengeResponse: "PASSWORD" });
      const done = await window.amplify.confirmSignIn({ challengeResponse: password });
      await window.amplify.signOut();
      return [chosen.nextStep.signInStep, done.isSignedIn];
    }, PASSWORD);
    expect(steps).toEqual(["CONFIRM_SIGN_IN_WITH_PASSWORD", true]);
    expect(calls).toContain("RespondToAuthChallenge:SELECT_CHALLENGE");
  });

  await test.step("preferring SRP goes straight to the password verifier", async () => {
    calls.length = 0;
    const signedIn = await page.evaluate(
      async ([username, password]) =>
        (
          await window.amplify.signIn({
            username,
            password,
            options: { authFlowType: "USER_AUTH", preferredChallenge: "PASSWORD_SRP" },
          })
        ).isSignedIn,
      [email, PASSWORD],
    );
    expect(signedIn).toBe(true);
    expect(calls).toEqual(["InitiateAuth:USER_AUTH", "RespondToAuthChallenge:PASSWORD_VERIFIER"]);
    await page.evaluate(() => window.amplify.signOut());
  });

  await test.step("without the password: a code mailed to the user", async () => {
    const next = await page.evaluate(
      async (username) =>
        (
          await window.amplify.signIn({
            username,
            options: { authFlowType: "USER_AUTH", preferredChallenge: "EMAIL_OTP" },
          })
        ).nextStep,
      email,
    );
    expect(next).toMatchObject({
      signInStep: "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
      codeDeliveryDetails: { deliveryMedium: "EMAIL", destination: expect.stringMatching(/^a\*\*\*@e\*\*\*$/) },
    });
    const code = await latestCode(request, email, /\b(\d{8})\b/);
    const done = await page.evaluate(async (challengeResponse) => {
      const { isSignedIn } = await window.amplify.confirmSignIn({ challengeResponse });
      return [isSignedIn, (await window.amplify.getCurrentUser()).signInDetails?.loginId];
    }, code);
    expect(done).toEqual([true, email]);
  });
});

test("an Amplify app registers a passkey for its user, signs in with it, and deletes it", async ({ page, request }) => {
  // Chromium's virtual authenticator, on a page under a domain name: browsers keep passkeys
  // from IP addresses.
  await addAuthenticator(page);
  await openApp(page, "http://localhost:3100");
  const calls = recordCalls(page);
  const email = newEmail("amplify-passkey");
  await signUpAndConfirm(page, request, email, { authFlowType: "USER_AUTH" });
  expect(await page.evaluate(async () => (await window.amplify.autoSignIn()).isSignedIn)).toBe(true);

  await test.step("the signed-in user adds a passkey", async () => {
    const listed = await page.evaluate(async () => {
      await window.amplify.associateWebAuthnCredential();
      return (await window.amplify.listWebAuthnCredentials()).credentials;
    });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ relyingPartyId: "localhost", authenticatorAttachment: "platform" });
    expect(calls).toEqual(expect.arrayContaining(["StartWebAuthnRegistration", "CompleteWebAuthnRegistration"]));
    await page.evaluate(() => window.amplify.signOut());
  });

  await test.step("signs in with it, no password asked", async () => {
    calls.length = 0;
    const signedIn = await page.evaluate(
      async (username) =>
        (await window.amplify.signIn({ username, options: { authFlowType: "USER_AUTH", preferredChallenge: "WEB_AUTHN" } }))
          .isSignedIn,
      email,
    );
    expect(signedIn).toBe(true);
    expect(calls).toEqual(["InitiateAuth:USER_AUTH", "RespondToAuthChallenge:WEB_AUTHN"]);
  });

  await test.step("deletes it, and it no longer signs in", async () => {
    const left = await page.evaluate(async () => {
      const [passkey] = (await window.amplify.listWebAuthnCredentials()).credentials;
      await window.amplify.deleteWebAuthnCredential({ credentialId: passkey.credentialId! });
      const remaining = (await window.amplify.listWebAuthnCredentials()).credentials.length;
      await window.amplify.signOut();
      return remaining;
    });
    expect(left).toBe(0);
    const next = await page.evaluate(
      async (username) =>
        (await window.amplify.signIn({ username, options: { authFlowType: "USER_AUTH", preferredChallenge: "WEB_AUTHN" } }))
          .nextStep.signInStep,
      email,
    );
    expect(next).toBe("CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION");
  });
});

test("an Amplify app sets up an authenticator app for its user, who then signs in with its codes; a pool that requires MFA has a new user set one up", async ({
  page,
  request,
}) => {
  const calls = recordCalls(page);
  await openApp(page);
  const email = newEmail("amplifytotp");
  expect(await signUpAndConfirm(page, request, email, false)).toEqual(["CONFIRM_SIGN_UP", "DONE"]);

  await test.step("setUpTOTP, verifyTOTPSetup with the app's first code, updateMFAPreference", async () => {
    const secret = await page.evaluate(async ([username, password]) => {
      await window.amplify.signIn({ username, password });
      return (await window.amplify.setUpTOTP()).sharedSecret;
    }, [email, PASSWORD]);
    await page.evaluate(async (code) => {
      await window.amplify.verifyTOTPSetup({ code });
      await window.amplify.updateMFAPreference({ totp: "PREFERRED" });
    }, totpCode(secret));
    const preference = await page.evaluate(async () => window.amplify.fetchMFAPreference());
    expect(preference).toEqual({ enabled: ["TOTP"], preferred: "TOTP" });

    await page.evaluate(async () => window.amplify.signOut());
    calls.length = 0;
    const step = await page.evaluate(
      async ([username, password]) => (await window.amplify.signIn({ username, password })).nextStep.signInStep,
      [email, PASSWORD],
    );
    expect(step).toBe("CONFIRM_SIGN_IN_WITH_TOTP_CODE");
    // The set-up spent this step's code: the app's next one signs in.
    const done = await page.evaluate(
      async (challengeResponse) => (await window.amplify.confirmSignIn({ challengeResponse })).isSignedIn,
      totpCode(secret, Date.now() + 30_000),
    );
    expect(done).toBe(true);
    expect(calls).toEqual([
      "InitiateAuth:USER_SRP_AUTH",
      "RespondToAuthChallenge:PASSWORD_VERIFIER",
      "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
    ]);
    await page.evaluate(async () => window.amplify.signOut());
  });

  await test.step("in a pool with MFA ON, a new user's first sign-in sets up the app (MFA_SETUP)", async () => {
    const api = cognitoApi();
    const { UserPool } = await api.send(new CreateUserPoolCommand({ PoolName: "amplify-mfa", UsernameAttributes: ["email"] }));
    const poolId = UserPool!.Id!;
    try {
      await api.send(
        new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: "ON", SoftwareTokenMfaConfiguration: { Enabled: true } }),
      );
      const { UserPoolClient } = await api.send(
        new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: "amplify", ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }),
      );
      const strict = "Amplify-Strict-Password-9";
      const user = newEmail("amplifysetup");
      await api.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: user, MessageAction: "SUPPRESS" }));
      await api.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: user, Password: strict, Permanent: true }));
      const query = new URLSearchParams({ pool: poolId, client: UserPoolClient!.ClientId!, endpoint: POOL });
      await page.goto(`${siteUrl}/?${query}`);
      await expect(page.locator("body")).toHaveAttribute("data-ready", "true");
      const next = await page.evaluate(async ([username, password]) => {
        const { nextStep } = await window.amplify.signIn({ username, password });
        return nextStep.signInStep === "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
          ? [nextStep.signInStep, nextStep.totpSetupDetails.sharedSecret]
          : [nextStep.signInStep, ""];
      }, [user, strict]);
      expect(next[0]).toBe("CONTINUE_SIGN_IN_WITH_TOTP_SETUP");
      const signedIn = await page.evaluate(
        async (challengeResponse) => (await window.amplify.confirmSignIn({ challengeResponse })).isSignedIn,
        totpCode(next[1]),
      );
      expect(signedIn).toBe(true);
      expect(await page.evaluate(async () => (await window.amplify.fetchMFAPreference()).enabled)).toEqual(["TOTP"]);
    } finally {
      await api.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
    }
  });
});

test("the pool's API answers browsers from the app clients' origins and the allowed ones, and no others", async ({
  request,
}) => {
  const preflight = async (origin: string) =>
    (
      await request.fetch(`${POOL}/`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "cache-control,content-type,x-amz-target,x-amz-user-agent",
        },
      })
    ).headers();
  for (const allowed of [APP, siteUrl]) {
    const headers = await preflight(allowed);
    expect(headers["access-control-allow-origin"]).toBe(allowed);
    expect(headers["access-control-allow-headers"]).toContain("x-amz-target");
  }
  expect((await preflight("http://127.0.0.1:3999"))["access-control-allow-origin"]).toBeUndefined();
  expect((await preflight("https://evil.example"))["access-control-allow-origin"]).toBeUndefined();
});
