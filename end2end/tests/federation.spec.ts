// Signing in through another OpenID provider, as a person lives it: the pool's sign-in page
// offers "Continue with Upstream" (an independent provider, oidc-provider from npm, set up with
// AWS's own SDK through CreateIdentityProvider), the person signs in there, and the app greets
// them with the address the upstream gave. The pool is the upstream's relying party: code flow
// with PKCE, the id token checked against the upstream's keys.
import { test, expect, type Page } from "@playwright/test";
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminLinkProviderForUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CreateIdentityProviderCommand,
  DeleteIdentityProviderCommand,
  DescribeIdentityProviderCommand,
  DescribeUserPoolClientCommand,
  UpdateUserPoolClientCommand,
  type UserPoolClientType,
} from "@aws-sdk/client-cognito-identity-provider";
import { APP, CLIENT_ID, POOL, cognitoApi, newEmail } from "./pool";
import { UPSTREAM, UPSTREAM_CLIENT, startUpstream, upstreamEmail } from "./upstream_provider";

const POOL_ID = "us-east-1_LocalPool";
const api = cognitoApi();
let upstream: { close: () => Promise<void> };
let appClient: UserPoolClientType;

/** Points the app's client at `providers` (UpdateUserPoolClient replaces every setting: all are given). */
async function supportProviders(providers: string[]) {
  await api.send(
    new UpdateUserPoolClientCommand({
      ...appClient,
      UserPoolId: POOL_ID,
      ClientId: CLIENT_ID,
      SupportedIdentityProviders: providers,
    }),
  );
}

test.beforeAll(async () => {
  upstream = await startUpstream();
  await api.send(
    new CreateIdentityProviderCommand({
      UserPoolId: POOL_ID,
      ProviderName: "Upstream",
      ProviderType: "OIDC",
      ProviderDetails: {
        client_id: UPSTREAM_CLIENT.id,
        client_secret: UPSTREAM_CLIENT.secret,
        authorize_scopes: "openid email",
        oidc_issuer: UPSTREAM,
        attributes_request_method: "GET",
      },
      AttributeMapping: { email: "email", email_verified: "email_verified" },
      IdpIdentifiers: ["upstream.example"],
    }),
  );
  appClient = (await api.send(new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: CLIENT_ID })))
    .UserPoolClient!;
  await supportProviders(["COGNITO", "Upstream"]);
});

test.afterAll(async () => {
  await supportProviders(["COGNITO"]);
  await api.send(new DeleteIdentityProviderCommand({ UserPoolId: POOL_ID, ProviderName: "Upstream" }));
  await upstream.close();
});

/** From the app's home page, through "Continue with Upstream", to the upstream's sign-in as `login`. */
async function continueWithUpstream(page: Page, login: string) {
  await page.goto(`${APP}/`);
  await page.getByRole("button", { name: "Sign In" }).click();
  await expect(page).toHaveURL(new RegExp(`^${POOL}/login`));
  await page.getByRole("link", { name: "Continue with Upstream" }).click();
  await expect(page).toHaveURL(new RegExp(`^${UPSTREAM}/interaction/`));
  await page.locator("input[name=login]").fill(login);
  await page.locator("input[name=password]").fill("any password the upstream takes");
  await page.getByRole("button", { name: "Sign-in" }).click();
}

test("the pool describes the provider as Cognito does", async () => {
  const described = await api.send(
    new DescribeIdentityProviderCommand({ UserPoolId: POOL_ID, ProviderName: "Upstream" }),
  );
  const provider = described.IdentityProvider!;
  expect(provider.ProviderType).toBe("OIDC");
  expect(provider.ProviderDetails?.attributes_url_add_attributes).toBe("false");
  expect(provider.AttributeMapping).toEqual({ email: "email", email_verified: "email_verified", username: "sub" });
  expect(provider.CreationDate).toBeInstanceOf(Date);
});

test("a person continues with the upstream, is greeted with its address, and comes back as the same user", async ({
  page,
}) => {
  const login = `ada${Date.now()}`;
  await test.step("the upstream signs them in and asks to share their address with the pool", async () => {
    await continueWithUpstream(page, login);
    await page.getByRole("button", { name: "Continue" }).click();
  });

  await test.step("back at the app, the server greets them with the upstream's address", async () => {
    await expect(page.getByRole("heading", { name: `Hello ${upstreamEmail(login)}` })).toBeVisible();
    await expect(page).toHaveURL(`${APP}/`);
  });

  await test.step("the pool made an EXTERNAL_PROVIDER user <ProviderName>_<sub> in the provider's group", async () => {
    const username = `Upstream_${login}`;
    const user = await api.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: username }));
    expect(user.UserStatus).toBe("EXTERNAL_PROVIDER");
    const attributes = Object.fromEntries(user.UserAttributes!.map((a) => [a.Name, a.Value]));
    expect(attributes.email).toBe(upstreamEmail(login));
    expect(attributes.email_verified).toBe("true");
    const identities = JSON.parse(attributes.identities!);
    expect(identities).toEqual([
      expect.objectContaining({ userId: login, providerName: "Upstream", providerType: "OIDC", primary: "true" }),
    ]);
    const groups = await api.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL_ID, Username: username }));
    expect(groups.Groups!.map((g) => g.GroupName)).toContain(`${POOL_ID}_Upstream`);
  });

  await test.step("after logging out, signing in again through the upstream finds the same user", async () => {
    await page.getByRole("button", { name: "Logout" }).click();
    await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
    await page.getByRole("button", { name: "Sign In" }).click();
    await page.getByRole("link", { name: "Continue with Upstream" }).click();
    // The upstream still knows this browser: it answers at once, without its pages.
    await expect(page.getByRole("heading", { name: `Hello ${upstreamEmail(login)}` })).toBeVisible();
  });
});

test("an upstream identity linked to a user of the pool signs in as that user", async ({ page }) => {
  const login = `grace${Date.now()}`;
  const local = newEmail("grace.local");
  await api.send(
    new AdminCreateUserCommand({
      UserPoolId: POOL_ID,
      Username: local,
      UserAttributes: [{ Name: "email", Value: local }],
      MessageAction: "SUPPRESS",
    }),
  );
  await api.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: POOL_ID,
      Username: local,
      Password: "a password of grace's own",
      Permanent: true,
    }),
  );
  await api.send(
    new AdminLinkProviderForUserCommand({
      UserPoolId: POOL_ID,
      DestinationUser: { ProviderName: "Cognito", ProviderAttributeValue: local },
      SourceUser: { ProviderName: "Upstream", ProviderAttributeName: "Cognito_Subject", ProviderAttributeValue: login },
    }),
  );
  await continueWithUpstream(page, login);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { name: `Hello ${local}` })).toBeVisible();
});

test("a person who cancels at the upstream comes back to the app with its reason", async ({ page }) => {
  await continueWithUpstream(page, `linus${Date.now()}`);
  await page.getByRole("link", { name: "[ Cancel ]" }).click();
  await expect(page).toHaveURL(new RegExp(`^${APP}/`));
  await expect(page.getByRole("alert")).toContainText("End-User aborted interaction");
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
});

test("idp_identifier sends the browser straight to the upstream, and an unknown one back with an error", async ({
  page,
}) => {
  const authorize = (extra: string) =>
    `${POOL}/oauth2/authorize?response_type=code&client_id=${CLIENT_ID}` +
    `&redirect_uri=${encodeURIComponent(`${APP}/callback`)}&state=s1&scope=openid` +
    `&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&${extra}`;
  // The app's own scripts are not needed to follow the redirects.
  await page.route("**/pkg/**", (route) => route.abort());
  await page.goto(authorize("idp_identifier=upstream.example"));
  await expect(page).toHaveURL(new RegExp(`^${UPSTREAM}/interaction/`));
  await page.goto(authorize("idp_identifier=elsewhere.example"));
  await page.waitForURL(new RegExp(`^${APP}/callback\\?`));
  const answer = new URL(page.url());
  expect(answer.searchParams.get("error")).toBe("invalid_request");
  expect(answer.searchParams.get("state")).toBe("s1");
});
