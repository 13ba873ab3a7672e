// AWS's own JWT verifier for Cognito (aws-jwt-verify) accepts the pool's tokens.
// CognitoJwtVerifier only trusts issuers shaped like AWS's, so this story runs
// the standalone pool with `aws_issuer = true` (its keys stay local) and hands
// the verifier the pool's JWKS, which it would otherwise fetch over https.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CreateGroupCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { expect, test } from "@playwright/test";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { cognitoApi, ownConfigEnv } from "./pool";

const ROOT = path.resolve(__dirname, "../..");
const PORT = 9339;
const POOL = `http://127.0.0.1:${PORT}`;
const POOL_ID = "us-east-1_LocalPool";
const SCRIPTS_CLIENT = "5cr1pt5c1ient0leptos0cog";
const PASSWORD = "correct horse battery";

let pool: ChildProcess;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "userpool-jwt-"));
  const config = readFileSync(path.join(ROOT, "userpool.toml"), "utf8")
    .replace('listen = "127.0.0.1:9229"', `listen = "127.0.0.1:${PORT}"`)
    .replace('public_url = "http://127.0.0.1:9229"', `public_url = "${POOL}"`)
    .replace('data_dir = "data"', `data_dir = "${dataDir}"`)
    .replace("aws_issuer = false", "aws_issuer = true");
  writeFileSync(path.join(dataDir, "userpool.toml"), config);
  const env = ownConfigEnv();
  pool = spawn(path.join(ROOT, "target/debug/userpool"), ["serve", "--config", path.join(dataDir, "userpool.toml")], {
    stdio: "ignore",
    env,
  });
  await expect
    .poll(async () => (await fetch(`${POOL}/healthz`).catch(() => null))?.status, { timeout: 30_000 })
    .toBe(200);
});

test.afterAll(() => {
  pool?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

test("tokens from the pool pass aws-jwt-verify, and a tampered one fails", async () => {
  const email = `verified.${Date.now()}@example.com`;
  // AWS's SDK signs the admin calls with the pool's admin keys.
  const cognito = cognitoApi(POOL);
  await cognito.send(new CreateGroupCommand({ UserPoolId: POOL_ID, GroupName: "Admin" }));
  await cognito.send(new AdminCreateUserCommand({ UserPoolId: POOL_ID, Username: email, MessageAction: "SUPPRESS" }));
  await cognito.send(
    new AdminSetUserPasswordCommand({ UserPoolId: POOL_ID, Username: email, Password: PASSWORD, Permanent: true }),
  );
  await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: POOL_ID, Username: email, GroupName: "Admin" }));
  const { AuthenticationResult: result } = await cognito.send(
    new InitiateAuthCommand({
      ClientId: SCRIPTS_CLIENT,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: email, PASSWORD },
    }),
  );
  const tokens = { IdToken: result!.IdToken!, AccessToken: result!.AccessToken! };

  const jwks = await (await fetch(`${POOL}/${POOL_ID}/.well-known/jwks.json`)).json();
  const idVerifier = CognitoJwtVerifier.create({
    userPoolId: POOL_ID,
    tokenUse: "id",
    clientId: SCRIPTS_CLIENT,
    groups: "Admin",
  });
  idVerifier.cacheJwks(jwks);
  const idClaims = await idVerifier.verify(tokens.IdToken);
  expect(idClaims.email).toBe(email);
  expect(idClaims["cognito:groups"]).toEqual(["Admin"]);

  const accessVerifier = CognitoJwtVerifier.create({
    userPoolId: POOL_ID,
    tokenUse: "access",
    clientId: SCRIPTS_CLIENT,
    groups: "Admin",
  });
  accessVerifier.cacheJwks(jwks);
  expect((await accessVerifier.verify(tokens.AccessToken)).client_id).toBe(SCRIPTS_CLIENT);

  // The wrong token use, the wrong client, a group the user lacks, and a tampered payload all fail.
  await expect(idVerifier.verify(tokens.AccessToken)).rejects.toThrow();
  const otherClient = CognitoJwtVerifier.create({ userPoolId: POOL_ID, tokenUse: "id", clientId: "someoneelse" });
  otherClient.cacheJwks(jwks);
  await expect(otherClient.verify(tokens.IdToken)).rejects.toThrow();
  const readers = CognitoJwtVerifier.create({ userPoolId: POOL_ID, tokenUse: "id", clientId: SCRIPTS_CLIENT, groups: "Readers" });
  readers.cacheJwks(jwks);
  await expect(readers.verify(tokens.IdToken)).rejects.toThrow();
  const [header, payload, signature] = tokens.IdToken.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, email: "mallory@example.com" })).toString("base64url");
  await expect(idVerifier.verify(`${header}.${forged}.${signature}`)).rejects.toThrow();
});
