// A pool set up with code, as suites written for AWS set theirs up: created through the
// Cognito API (with AWS's own SDK), given an app client and a domain, then used in a real
// browser. Its hosted UI answers on its domain, one label below the server's name
// (Chromium resolves every *.localhost name to loopback by itself).
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { expect, test } from "@playwright/test";
import { POOL, cognitoApi, fillCode, fillSignUp, latestCode, newEmail } from "./pool";

test("a pool created through the API signs a new user up and in on its own domain", async ({ page }) => {
  // The shop's own site: here only its callback page.
  const shop = createServer((_, response) => {
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end("<h1>Shop</h1>");
  });
  await new Promise<void>((listening) => shop.listen(0, "127.0.0.1", listening));
  const callbackUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}/callback`;
  const api = cognitoApi();
  const { UserPool } = await api.send(
    new CreateUserPoolCommand({
      PoolName: "shop",
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
      Policies: { PasswordPolicy: { MinimumLength: 10 } },
    }),
  );
  const poolId = UserPool!.Id!;
  const { UserPoolClient } = await api.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: "shop-web",
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ["code"],
      AllowedOAuthScopes: ["openid", "email"],
      CallbackURLs: [callbackUrl],
      SupportedIdentityProviders: ["COGNITO"],
    }),
  );
  const clientId = UserPoolClient!.ClientId!;
  const prefix = `shop-${randomBytes(4).toString("hex")}`;
  await api.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
  const domain = `http://${prefix}.localhost:9229`;

  try {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const authorize = new URL(`${domain}/oauth2/authorize`);
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: callbackUrl,
      scope: "openid email",
      state: "shop-state",
      code_challenge: challenge,
      code_challenge_method: "S256",
    })) {
      authorize.searchParams.set(name, value);
    }

    // A new customer signs up on the shop's pool, with the code mailed to them.
    const email = newEmail("shopper");
    const password = "a long shop password";
    await page.goto(authorize.toString());
    await expect(page).toHaveURL(new RegExp(`^${domain}/login\\?`));
    await page.goto(`${domain}/signup?${authorize.searchParams}`);
    await fillSignUp(page, email, password, domain);
    await fillCode(page, await latestCode(page.request, email), domain);
    await expect(page.getByRole("heading", { name: "Shop" })).toBeVisible();
    const callback = new URL(page.url());
    expect(callback.origin + callback.pathname).toBe(callbackUrl);
    expect(callback.searchParams.get("state")).toBe("shop-state");
    const code = callback.searchParams.get("code")!;

    // The shop's server exchanges the code at the pool's token endpoint (on its domain:
    // Node resolves no *.localhost names, so the request names the domain in its Host).
    const response = await page.request.post(`${POOL}/oauth2/token`, {
      headers: { Host: `${prefix}.localhost:9229` },
      form: {
        grant_type: "authorization_code",
        client_id: clientId,
        code,
        redirect_uri: callbackUrl,
        code_verifier: verifier,
      },
    });
    expect(response.status()).toBe(200);
    const tokens = await response.json();
    const claims = JSON.parse(Buffer.from(tokens.id_token.split(".")[1], "base64url").toString());
    expect(claims.iss).toBe(`${POOL}/${poolId}`);
    expect(claims.aud).toBe(clientId);
    expect(claims.email).toBe(email);

    // The app's own pool knows nothing of the shop's client.
    await page.goto(`${POOL}/login?${authorize.searchParams}`);
    await expect(page.locator("body")).toContainText("client_id");

    // Signed in on the shop's domain, the customer is signed in at once the next time.
    await page.goto(authorize.toString());
    await expect(page.getByRole("heading", { name: "Shop" })).toBeVisible();
    expect(new URL(page.url()).searchParams.get("code")).toMatch(/.+/);
  } finally {
    shop.close();
    await api.send(new DeleteUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
    await api.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
  }
});
