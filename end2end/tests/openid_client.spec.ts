// A strict relying party against the pool: openid-client (npm, a certified OpenID Connect RP)
// discovers the embedded pool from its issuer, sends a user through the hosted UI with the code
// flow and PKCE (state and nonce checked), validates the ID token, reads userInfo, refreshes,
// and signs the user out through the discovered end_session_endpoint with an id_token_hint and
// post_logout_redirect_uri, after which the pool asks them to sign in again.
import { expect, test } from "@playwright/test";
import * as client from "openid-client";
import { AdminCreateUserCommand, AdminSetUserPasswordCommand } from "@aws-sdk/client-cognito-identity-provider";
import { APP, CLIENT_ID, POOL, cognitoApi, fillSignIn, newEmail } from "./pool";

const ISSUER = `${POOL}/us-east-1_LocalPool`;
const CALLBACK = `${APP}/callback`;
const PASSWORD = "strict relying party 5";

test("openid-client discovers the pool, signs in with PKCE, refreshes and logs out", async ({ page }) => {
  const email = newEmail("rp");
  const api = cognitoApi();
  const UserPoolId = "us-east-1_LocalPool";
  await api.send(new AdminCreateUserCommand({ UserPoolId, Username: email, MessageAction: "SUPPRESS" }));
  await api.send(new AdminSetUserPasswordCommand({ UserPoolId, Username: email, Password: PASSWORD, Permanent: true }));

  const config = await client.discovery(new URL(ISSUER), CLIENT_ID, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  expect(config.serverMetadata().end_session_endpoint).toBe(`${POOL}/logout`);
  expect(config.serverMetadata().supportsPKCE()).toBe(true);

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorize = client.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: "openid email",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  // The callback URL is the app's: its page loads without its WASM here, which would
  // redeem the code itself (Playwright routes no request a redirect makes).
  await page.route((url) => url.origin === APP && url.pathname.startsWith("/pkg/"), (route) => route.abort());
  await page.goto(authorize.href);
  await fillSignIn(page, email, PASSWORD);
  await page.waitForURL((url) => url.href.startsWith(`${CALLBACK}?`));
  const redirected = page.url();

  const tokens = await client.authorizationCodeGrant(config, new URL(redirected), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  expect(claims?.email).toBe(email);
  expect(claims?.aud).toBe(CLIENT_ID);
  const info = await client.fetchUserInfo(config, tokens.access_token, claims!.sub);
  expect(info.email).toBe(email);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.access_token).not.toBe(tokens.access_token);
  expect(refreshed.claims()?.sub).toBe(claims?.sub);

  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token!,
    post_logout_redirect_uri: `${APP}/`,
    state: "signed-out",
  });
  await page.goto(logout.href);
  await page.waitForURL(`${APP}/?state=signed-out`);
  // The pool's session ended: the next authorization asks for the password again.
  await page.goto(authorize.href);
  await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
});
