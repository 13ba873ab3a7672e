// Authorization by group, as the people involved live it: an administrator
// invites a colleague and puts them in a group; the colleague chooses their own
// password and is greeted; a member who is not an administrator sees no admin
// link and is refused by the server; a group granted by the administrator
// reaches the member's session when it is refreshed. The console works on any of
// the server's pools, picked by the administrator.
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { type Page, expect, test } from "@playwright/test";
import { ADMIN, APP, CLIENT_ID, POOL, cognitoApi, consoleFor, fillSignIn, newEmail, signIn } from "./pool";

/** The app's own pool (userpool.toml). */
const APP_POOL = "us-east-1_LocalPool";
// The demo member a development pool starts with (README).
const MEMBER = { email: "user@example.com", password: "user password" };

async function temporaryPassword(page: Page, email: string): Promise<string> {
  const response = await page.request.get(`${POOL}/_dev/outbox.json?to=${encodeURIComponent(email)}`);
  const mails: { body: string }[] = await response.json();
  const found = mails.map((m) => m.body.match(/temporary password is (\S+)\.$/)).find(Boolean);
  expect(found, JSON.stringify(mails)).toBeTruthy();
  return found![1];
}

test("an administrator invites a colleague, who chooses a password and is greeted", async ({ browser }) => {
  const colleague = newEmail("colleague");
  const group = `Editors-${Date.now()}`;
  const admin = await signIn(browser, ADMIN.email, ADMIN.password);

  await test.step("the administrator's own row offers nothing that would lock them out", async () => {
    await consoleFor(admin, ADMIN.email);
    const own = admin.getByRole("row", { name: ADMIN.email });
    await expect(own).toContainText("Admin");
    await expect(own.getByRole("button", { name: "Delete" })).toHaveCount(0);
    await expect(own.getByRole("button", { name: "Disable" })).toHaveCount(0);
    await expect(own.getByRole("button", { name: `Remove ${ADMIN.email} from Admin` })).toHaveCount(0);
  });

  await test.step("the administrator creates a group and the user", async () => {
    await consoleFor(admin, colleague);
    await admin.getByLabel("New group's name").fill(group);
    await admin.getByRole("button", { name: "Create group" }).click();
    await expect(admin.getByRole("status")).toHaveText(`Created the group ${group}.`);
    await admin.getByLabel("New user's email").fill(colleague);
    await admin.getByRole("button", { name: "Create user" }).click();
    await expect(admin.getByRole("status")).toContainText(`Created ${colleague}.`);
    const row = admin.getByRole("row", { name: colleague });
    await expect(row).toContainText("Must change password");
  });

  await test.step("and adds them to the group", async () => {
    const row = admin.getByRole("row", { name: colleague });
    await row.getByLabel(`Group for ${colleague}`).selectOption(group);
    await row.getByRole("button", { name: "Add to group" }).click();
    await expect(admin.getByRole("status")).toHaveText(`Added ${colleague} to ${group}.`);
    await expect(admin.getByRole("row", { name: colleague })).toContainText(group);
  });

  await test.step("the colleague signs in with the mailed password and must choose their own", async () => {
    const temporary = await temporaryPassword(admin, colleague);
    const page = await (await browser.newContext()).newPage();
    await page.goto("/");
    await page.getByRole("button", { name: "Sign In" }).click();
    await fillSignIn(page, colleague, temporary);
    await expect(page.getByRole("heading", { name: "Change your password" })).toBeVisible();
    await page.getByLabel("New password").fill("my very own password");
    await page.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByRole("heading", { name: `Hello ${colleague}` })).toBeVisible();
    await page.getByRole("link", { name: "Profile" }).click();
    await expect(page.locator("dd.groups")).toHaveText(group);
    // Not an administrator: no link to the console.
    await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  });

  await test.step("disabling and deleting ask for confirmation and show the result", async () => {
    const row = admin.getByRole("row", { name: colleague });
    await row.getByRole("button", { name: "Disable" }).click();
    await expect(admin.getByRole("status")).toHaveText(`${colleague} is disabled.`);
    await expect(admin.getByRole("row", { name: colleague })).toContainText("(disabled)");
    admin.once("dialog", (dialog) => dialog.dismiss());
    await admin.getByRole("row", { name: colleague }).getByRole("button", { name: "Delete" }).click();
    await expect(admin.getByRole("row", { name: colleague })).toBeVisible();
    admin.once("dialog", (dialog) => dialog.accept());
    await admin.getByRole("row", { name: colleague }).getByRole("button", { name: "Delete" }).click();
    await expect(admin.getByRole("status")).toHaveText(`Deleted ${colleague}.`);
    await expect(admin.getByRole("row", { name: colleague })).toHaveCount(0);
  });
});

test("a member who is not an administrator is refused, and sees new groups after a refresh", async ({ browser }) => {
  const member = await signIn(browser, MEMBER.email, MEMBER.password);

  await test.step("no admin link, and the server refuses the page and the server function", async () => {
    await expect(member.getByRole("link", { name: "Profile" })).toBeVisible();
    await expect(member.getByRole("link", { name: "Admin" })).toHaveCount(0);
    const page = await member.goto("/admin");
    expect(page?.status()).toBe(403);
    await expect(member.getByRole("heading", { name: "Not allowed" })).toBeVisible();
    const call = await member.request.post("/api/list_users", {
      form: { search: "" },
      headers: { Origin: APP },
    });
    expect(call.status()).toBe(403);
    expect(await call.json()).toEqual({ Forbidden: "Admin" });
    // Signed out, it is 401.
    const anonymous = await browser.newContext();
    const signedOut = await anonymous.request.post(`${APP}/api/list_users`, {
      form: { search: "" },
      headers: { Origin: APP },
    });
    expect(signedOut.status()).toBe(401);
  });

  await test.step("an administrator adds the member to a group; a refresh brings it into the session", async () => {
    const group = `Readers-${Date.now()}`;
    const admin = await signIn(browser, ADMIN.email, ADMIN.password);
    await consoleFor(admin, MEMBER.email);
    await admin.getByLabel("New group's name").fill(group);
    await admin.getByRole("button", { name: "Create group" }).click();
    await expect(admin.getByRole("status")).toHaveText(`Created the group ${group}.`);
    const row = admin.getByRole("row", { name: MEMBER.email });
    await row.getByLabel(`Group for ${MEMBER.email}`).selectOption(group);
    await row.getByRole("button", { name: "Add to group" }).click();
    await expect(admin.getByRole("status")).toHaveText(`Added ${MEMBER.email} to ${group}.`);

    await member.goto("/profile");
    await expect(member.locator("dd.groups")).not.toContainText(group);
    await member.getByRole("button", { name: "Refresh my session" }).click();
    await expect(member.getByRole("status")).toHaveText("Your session has been refreshed: these are the pool's latest tokens.");
    await expect(member.locator("dd.groups")).toContainText(group);
    // The refreshed tokens are in the cookies: a reload renders the group on the server.
    await member.reload();
    await expect(member.locator("dd.groups")).toContainText(group);

    // Taken away again, for the next run.
    const again = admin.getByRole("row", { name: MEMBER.email });
    admin.once("dialog", (dialog) => dialog.accept());
    await again.getByRole("button", { name: `Remove ${MEMBER.email} from ${group}` }).click();
    await expect(admin.getByRole("status")).toHaveText(`Removed ${MEMBER.email} from ${group}.`);
  });
});

test("a script signs in with the admin password flow and calls the bearer API", async ({ request }) => {
  // AWS's SDK, signing with the pool's admin keys (AdminInitiateAuth is an admin operation).
  const { AuthenticationResult: tokens } = await cognitoApi().send(
    new AdminInitiateAuthCommand({
      UserPoolId: APP_POOL,
      ClientId: CLIENT_ID,
      AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: ADMIN.email, PASSWORD: ADMIN.password },
    }),
  );
  if (!tokens?.AccessToken || !tokens.IdToken) throw new Error("no tokens from AdminInitiateAuth");

  const me = await request.get(`${APP}/api/me`, { headers: { Authorization: `Bearer ${tokens.AccessToken}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).groups).toContain("Admin");
  const users = await request.get(`${APP}/api/admin/users?search=admin`, {
    headers: { Authorization: `Bearer ${tokens.AccessToken}` },
  });
  expect(users.status()).toBe(200);
  expect((await users.json()).users.map((u: { email: string }) => u.email)).toContain(ADMIN.email);

  const idToken = await request.get(`${APP}/api/me`, { headers: { Authorization: `Bearer ${tokens.IdToken}` } });
  expect(idToken.status()).toBe(401);
  expect(idToken.headers()["www-authenticate"]).toBe('Bearer error="invalid_token"');
  const none = await request.get(`${APP}/api/me`);
  expect(none.status()).toBe(401);
});

test("an administrator picks a pool created through the API and sees its users only", async ({ browser }) => {
  const api = cognitoApi();
  const poolName = `console-${Date.now()}`;
  const { UserPool } = await api.send(
    new CreateUserPoolCommand({ PoolName: poolName, UsernameAttributes: ["email"] }),
  );
  const poolId = UserPool!.Id!;
  try {
    const customer = newEmail("customer");
    await api.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: customer,
        UserAttributes: [{ Name: "email", Value: customer }],
        MessageAction: "SUPPRESS",
      }),
    );
    const admin = await signIn(browser, ADMIN.email, ADMIN.password);
    await admin.getByRole("link", { name: "Admin" }).click();
    const picker = admin.getByLabel("User pool");

    await test.step("the console starts on the app's own pool, listed first", async () => {
      await expect(picker).toHaveValue(APP_POOL);
      await expect(picker.locator("option").first()).toHaveText(`leptos-cognito (${APP_POOL})`);
      await expect(picker.locator("option", { hasText: `${poolName} (${poolId})` })).toHaveCount(1);
      await expect(admin.getByRole("row", { name: ADMIN.email })).toBeVisible();
      await expect(admin.getByRole("row", { name: customer })).toHaveCount(0);
    });

    await test.step("picking the new pool shows its user, and not the app pool's", async () => {
      await picker.selectOption({ label: `${poolName} (${poolId})` });
      await expect(admin.getByRole("row", { name: customer })).toContainText("Must change password");
      await expect(admin.getByRole("row", { name: ADMIN.email })).toHaveCount(0);
      await admin.getByLabel("Search by email").fill(ADMIN.email);
      await admin.getByRole("button", { name: "Search" }).click();
      await expect(admin.getByRole("row", { name: customer })).toHaveCount(0);
      await expect(admin.getByRole("row", { name: ADMIN.email })).toHaveCount(0);
    });

    await test.step("a pool the server does not list is refused by the server", async () => {
      const call = await admin.request.post("/api/list_users", {
        form: { search: "", pool: "us-east-1_NoSuchPool" },
        headers: { Origin: APP },
      });
      expect(call.status()).toBe(404);
      expect(await call.json()).toEqual({ NoSuchPool: "us-east-1_NoSuchPool" });
    });

    await test.step("the keyboard brings the app's pool back", async () => {
      await picker.focus();
      await admin.keyboard.press("Home");
      await expect(picker).toHaveValue(APP_POOL);
      await expect(admin.getByRole("row", { name: ADMIN.email })).toBeVisible();
    });
  } finally {
    await api.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
  }
});
