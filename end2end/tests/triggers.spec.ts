// Triggers with Amplify JS v6 in Chromium: a pool (the standalone `userpool` binary, started here)
// whose userpool.toml declares its custom-authentication and pre-token-generation triggers as
// webhooks of this spec. An Amplify app signs a user in without a password (CUSTOM_WITHOUT_SRP):
// the first answer is wrong and asked again, the second signs in, and the ID token Amplify keeps
// carries the claim the pre-token-generation trigger added.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import type * as Auth from "aws-amplify/auth";
import { AdminCreateUserCommand, AdminSetUserPasswordCommand } from "@aws-sdk/client-cognito-identity-provider";
import { serveAmplifyApp } from "./amplify_site";
import { cognitoApi, newEmail } from "./pool";

declare global {
  interface Window {
    amplify: typeof Auth;
  }
}

const ROOT = path.resolve(__dirname, "../..");
const SITE_PORT = 3101;
const POOL_PORT = 9331;
const POOL_URL = `http://127.0.0.1:${POOL_PORT}`;
/** The shipped configuration's scripts client, which signs in from browsers' code. */
const SCRIPTS_CLIENT = "5cr1pt5c1ient0leptos0cog";

/** Each trigger's event, as the webhook received it. */
const events: { trigger: string; event: any }[] = [];
let hooks: Server;
let site: Server;
let pool: ChildProcess;

/** The custom challenge: "What is 6 x 7?", until it is answered right. */
function answer(trigger: string, event: any): any {
  const session: { challengeResult: boolean }[] = event.request.session ?? [];
  switch (trigger) {
    case "define":
      if (session.at(-1)?.challengeResult) Object.assign(event.response, { issueTokens: true, failAuthentication: false });
      else Object.assign(event.response, { challengeName: "CUSTOM_CHALLENGE", issueTokens: false, failAuthentication: false });
      break;
    case "create":
      event.response.publicChallengeParameters = { question: "What is 6 x 7?" };
      event.response.privateChallengeParameters = { answer: "42" };
      break;
    case "verify":
      event.response.answerCorrect = event.request.challengeAnswer === event.request.privateChallengeParameters.answer;
      break;
    case "tokens":
      event.response.claimsOverrideDetails = { claimsToAddOrOverride: { plan: "pro" } };
      break;
  }
  return event;
}

async function waitUntilHealthy(url: string) {
  for (let tries = 0; tries < 150; tries++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((wait) => setTimeout(wait, 200));
  }
  throw new Error(`${url} did not start`);
}

test.beforeAll(async () => {
  hooks = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const trigger = (request.url ?? "").slice(1);
      const event = JSON.parse(body);
      events.push({ trigger, event: structuredClone(event) });
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(answer(trigger, event)));
    });
  });
  await new Promise<void>((listening) => hooks.listen(0, "127.0.0.1", listening));
  const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;

  const dir = mkdtempSync(path.join(tmpdir(), "triggers-"));
  let config = readFileSync(path.join(ROOT, "userpool.toml"), "utf8")
    .replace('listen = "127.0.0.1:9229"', `listen = "127.0.0.1:${POOL_PORT}"`)
    .replace('public_url = "http://127.0.0.1:9229"', `public_url = "${POOL_URL}"`)
    .replace('data_dir = "data"', `data_dir = "${dir}"`)
    .replace(
      '"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH"',
      '"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH", "ALLOW_CUSTOM_AUTH"',
    );
  expect(config).toContain("ALLOW_CUSTOM_AUTH");
  config += `
[triggers]
define_auth_challenge = "${hookUrl}/define"
create_auth_challenge = "${hookUrl}/create"
verify_auth_challenge_response = "${hookUrl}/verify"
pre_token_generation = "${hookUrl}/tokens"
`;
  const configPath = path.join(dir, "userpool.toml");
  writeFileSync(configPath, config);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("USERPOOL_") && name !== "DATABASE_URL"));
  pool = spawn(path.join(ROOT, "target/debug/userpool"), ["serve", "--config", configPath], {
    env: {
      ...env,
      USERPOOL_DEV_OUTBOX: "true",
      USERPOOL_TRIGGER_SECRET: "a-trigger-secret-of-the-tests",
      USERPOOL_ALLOWED_ORIGINS: `http://127.0.0.1:${SITE_PORT}`,
    },
    stdio: "ignore",
  });
  await waitUntilHealthy(POOL_URL);

  site = await serveAmplifyApp(`http://127.0.0.1:${SITE_PORT}`);
});

test.afterAll(async () => {
  pool?.kill("SIGTERM");
  await Promise.all([hooks, site].map((server) => new Promise<void>((closed) => (server ? server.close(() => closed()) : closed()))));
});

test("an Amplify app signs in with a custom challenge the pool's webhooks make and judge", async ({ page }) => {
  const email = newEmail("custom");
  const api = cognitoApi(POOL_URL);
  const UserPoolId = "us-east-1_LocalPool";
  await api.send(
    new AdminCreateUserCommand({
      UserPoolId,
      Username: email,
      MessageAction: "SUPPRESS",
      UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }],
    }),
  );
  // A password they will not need (a temporary one would be changed first, as in Cognito).
  await api.send(new AdminSetUserPasswordCommand({ UserPoolId, Username: email, Password: "unused pass phrase 9", Permanent: true }));
  const query = new URLSearchParams({ pool: "us-east-1_LocalPool", client: SCRIPTS_CLIENT, endpoint: POOL_URL });
  await page.goto(`http://127.0.0.1:${SITE_PORT}/?${query}`);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true");

  const started = await page.evaluate(
    async (username) => (await window.amplify.signIn({ username, options: { authFlowType: "CUSTOM_WITHOUT_SRP" } })).nextStep,
    email,
  );
  expect(started).toMatchObject({
    signInStep: "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE",
    additionalInfo: { question: "What is 6 x 7?" },
  });
  const wrong = await page.evaluate(async () => (await window.amplify.confirmSignIn({ challengeResponse: "41" })).nextStep);
  expect(wrong.signInStep).toBe("CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE");
  const right = await page.evaluate(async () => await window.amplify.confirmSignIn({ challengeResponse: "42" }));
  expect(right).toMatchObject({ isSignedIn: true });

  const session = await page.evaluate(async () => {
    const { tokens } = await window.amplify.fetchAuthSession();
    return { email: tokens?.idToken?.payload.email, plan: tokens?.idToken?.payload.plan };
  });
  expect(session).toEqual({ email, plan: "pro" });
  expect(events.map((e) => e.trigger)).toEqual(["define", "create", "verify", "define", "create", "verify", "define", "tokens"]);
  const define = events[0].event;
  expect(define.triggerSource).toBe("DefineAuthChallenge_Authentication");
  expect(define.callerContext.clientId).toBe(SCRIPTS_CLIENT);
  expect(define.request.session).toEqual([]);
});
