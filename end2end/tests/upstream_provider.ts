// An independent OpenID provider for the federation tests: oidc-provider (npm, the reference
// implementation, OpenID Certified), with its development login page, which takes any login and
// password and makes the login the user's `sub`. Its clients: the pool (an upstream of its
// sign-ins), and an app server of its own (any_openid_provider.spec.ts). Logins that start with
// "admin" are in its Admin group.
import type { Server } from "node:http";
import Provider from "oidc-provider";
import { POOL } from "./pool";

export const UPSTREAM_PORT = 3500;
export const UPSTREAM = `http://127.0.0.1:${UPSTREAM_PORT}`;
export const UPSTREAM_CLIENT = { id: "userpool", secret: "upstream-client-secret-for-tests-only" };
/** The app, run with this provider instead of a user pool (OIDC_ISSUER=UPSTREAM). */
export const OPENID_APP = "http://127.0.0.1:3200";
export const OPENID_APP_CLIENT = { id: "leptos-cognito", secret: "app-client-secret-for-tests-only" };

/** The address the upstream gives the user whose login is `login`. */
export function upstreamEmail(login: string): string {
  return `${login}@upstream.example`;
}

export async function startUpstream(): Promise<{ close: () => Promise<void> }> {
  const provider = new Provider(UPSTREAM, {
    clients: [
      {
        client_id: UPSTREAM_CLIENT.id,
        client_secret: UPSTREAM_CLIENT.secret,
        redirect_uris: [`${POOL}/oauth2/idpresponse`],
        response_types: ["code"],
        grant_types: ["authorization_code"],
      },
      {
        client_id: OPENID_APP_CLIENT.id,
        client_secret: OPENID_APP_CLIENT.secret,
        redirect_uris: [`${OPENID_APP}/callback`],
        post_logout_redirect_uris: [`${OPENID_APP}/`],
        response_types: ["code"],
        grant_types: ["authorization_code", "refresh_token"],
      },
    ],
    // As oidc-provider does by default, scopes' claims go to userInfo, not into the id token.
    claims: { openid: ["sub"], email: ["email", "email_verified"], groups: ["groups"] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          const groups = id.startsWith("admin") ? ["Admin"] : [];
          return { sub: id, email: upstreamEmail(id), email_verified: true, groups };
        },
      };
    },
    // Refresh tokens for every client allowed the grant, as Keycloak issues them.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    features: { revocation: { enabled: true } },
    cookies: { keys: ["upstream-cookie-key-for-tests-only"] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, RefreshToken: 3600 },
  });
  const server: Server = await new Promise((resolve) => {
    const listening = provider.listen(UPSTREAM_PORT, "127.0.0.1", () => resolve(listening));
  });
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
