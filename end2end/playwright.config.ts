import { defineConfig } from "@playwright/test";

// Playwright starts the app that `cargo leptos build --split` built, with its embedded
// user pool (a fresh data directory from `make test`), waits until it answers,
// and stops it afterwards. It runs the binary itself rather than
// `cargo leptos serve`, whose server child would outlive a stopped run.
// Browsers cannot be downloaded here, so the tests drive Debian's Chromium.
export default defineConfig({
  webServer: {
    // SERVER_BINARY=target/release/server (after `make release`) times the release build.
    command: process.env.SERVER_BINARY ?? "target/debug/server",
    cwd: "..",
    // The embedded pool keeps its data in SQLite (USERPOOL_DATA_DIR), even where DATABASE_URL is set.
    // SESSION_CHECK_SECONDS: sessions are asked about every 5 s (default 30), so that
    // session_end.spec.ts sees a demoted administrator refused within seconds.
    env: {
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_SITE_ADDR: "127.0.0.1:3000",
      DATABASE_URL: "",
      SESSION_CHECK_SECONDS: process.env.SESSION_CHECK_SECONDS ?? "5",
      // The origins of the Amplify app of amplify.spec.ts, which calls the pool from the browser
      // (under a domain name too: browsers keep passkeys from IP addresses).
      USERPOOL_ALLOWED_ORIGINS: "http://127.0.0.1:3100,http://localhost:3100",
      USERPOOL_WEBAUTHN_RELYING_PARTY_ID: "localhost",
    },
    url: "http://127.0.0.1:3000/",
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL: "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
