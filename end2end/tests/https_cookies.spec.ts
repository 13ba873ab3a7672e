// Served over https (here behind a TLS-terminating proxy, as in production),
// the session cookies are Secure and carry the __Host- prefix; over plain http
// they are neither (the golden path checks that side).
//
// This story runs its own app server: APP_URL says https, and its embedded pool
// (on another port, with its own data) registers the https callback URL.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { fillSignIn, fillSignUp, fillCode, ownConfigEnv } from "./pool";

const ROOT = path.resolve(__dirname, "../..");
const APP_PORT = 3110; // the app server, plain http behind the proxy
const TLS_PORT = 3443; // the proxy browsers talk to
const POOL_PORT = 9449;
const APP = `https://localhost:${TLS_PORT}`;
const POOL = `http://127.0.0.1:${POOL_PORT}`;

let server: ChildProcess;
let proxy: https.Server;
let dir: string;

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "https-app-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  const config = readFileSync(path.join(ROOT, "userpool.toml"), "utf8")
    .replaceAll("127.0.0.1:9229", `127.0.0.1:${POOL_PORT}`)
    .replace('data_dir = "data"', `data_dir = "${path.join(dir, "data")}"`)
    .replace('callback_urls = ["http://127.0.0.1:3000/callback"]', `callback_urls = ["${APP}/callback"]`)
    .replace('logout_urls = ["http://127.0.0.1:3000/"]', `logout_urls = ["${APP}/"]`);
  writeFileSync(path.join(dir, "userpool.toml"), config);
  const env = ownConfigEnv();
  // The same build as the other tests' server (playwright.config.ts), so it finds the same bundle.
  server = spawn(path.join(ROOT, process.env.SERVER_BINARY ?? "target/debug/server"), [], {
    cwd: ROOT,
    stdio: "ignore",
    env: {
      ...env,
      APP_URL: APP,
      USERPOOL_CONFIG: path.join(dir, "userpool.toml"),
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_ADDR: `127.0.0.1:${APP_PORT}`,
    },
  });
  // The TLS-terminating proxy: https in front, the app's plain http behind.
  proxy = https.createServer(
    { key: readFileSync(path.join(dir, "key.pem")), cert: readFileSync(path.join(dir, "cert.pem")) },
    (request, response) => {
      const upstream = http.request(
        { host: "127.0.0.1", port: APP_PORT, path: request.url, method: request.method, headers: request.headers },
        (reply) => {
          response.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(response);
        },
      );
      upstream.on("error", () => response.writeHead(502).end());
      request.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => proxy.listen(TLS_PORT, "127.0.0.1", resolve));
  await expect
    .poll(async () => (await fetch(`http://127.0.0.1:${APP_PORT}/healthz`).catch(() => null))?.status, {
      timeout: 30_000,
    })
    .toBe(200);
});

test.afterAll(async () => {
  server?.kill("SIGTERM");
  await new Promise((resolve) => proxy?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test.use({ ignoreHTTPSErrors: true });

test("over https the session cookies are Secure, __Host- and HttpOnly, and logout clears them", async ({ page }) => {
  const email = `tls.${Date.now()}@example.com`;
  const password = "correct horse battery staple";
  await page.goto(`${APP}/`);
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page).toHaveURL(new RegExp(`^${POOL}/signup`));
  await fillSignUpAt(page, email, password);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();

  const cookies = await page.context().cookies(APP);
  const session = cookies.filter((c) => ["id_token", "access_token", "refresh_token"].some((n) => c.name.endsWith(n)));
  expect(session.map((c) => c.name).sort()).toEqual(["__Host-access_token", "__Host-id_token", "__Host-refresh_token"]);
  for (const cookie of session) {
    expect(cookie.secure, cookie.name).toBe(true);
    expect(cookie.httpOnly, cookie.name).toBe(true);
    expect(cookie.sameSite, cookie.name).toBe("Lax");
    expect(cookie.path, cookie.name).toBe("/");
  }
  // The server reads them back: a reload is still greeted.
  await page.reload();
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();

  await page.getByRole("button", { name: "Logout" }).click();
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();
  const left = (await page.context().cookies(APP)).filter((c) => c.name.startsWith("__Host-"));
  expect(left).toEqual([]);
  // And signing in again works through the same proxy.
  await page.getByRole("button", { name: "Sign In" }).click();
  await fillSignIn(page, email, password, POOL);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});

/** Sign-up and confirmation at this story's own pool. */
async function fillSignUpAt(page: import("@playwright/test").Page, email: string, password: string) {
  await fillSignUp(page, email, password, POOL);
  const response = await page.request.get(`${POOL}/_dev/outbox.json?to=${encodeURIComponent(email)}`);
  const mails: { body: string }[] = await response.json();
  const code = mails[0].body.match(/(\d{6})/)![1];
  await fillCode(page, code, POOL);
}
