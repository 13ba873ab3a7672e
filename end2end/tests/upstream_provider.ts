// An independent OpenID provider for the federation tests: oidc-provider (npm, the reference
// implementation, OpenID Certified), with its development login page, which takes any login and
// password and makes the login the user's `sub`. The pool is its one client.
import type { Server } from "node:http";
import Provider from "oidc-provider";
import { POOL } from "./pool";

export const UPSTREAM_PORT = 3500;
export const UPSTREAM = `http://127.0.0.1:${UPSTREAM_PORT}`;
export const UPSTREAM_CLIENT = { id: "userpool", secret: "upstream-client-secret-for-tests-only" };

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
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: upstreamEmail(id), email_verified: true };
        },
      };
    },
    cookies: { keys: ["upstream-cookie-key-for-tests-only"] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  const server: Server = await new Promise((resolve) => {
    const listening = provider.listen(UPSTREAM_PORT, "127.0.0.1", () => resolve(listening));
  });
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
