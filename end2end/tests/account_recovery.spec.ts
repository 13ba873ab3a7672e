// People lose things: the mail with their sign-up code, their password. The
// hosted UI lets them get back in with a new code, by email, or sign in with a
// one-time code instead of the password.
import { test, expect } from "@playwright/test";
import { fillCode, fillSignIn, fillSignUp, latestCode, newEmail, register } from "./pool";

test("a user whose sign-up code got lost asks for a new one and confirms with it", async ({ page }) => {
  const email = newEmail("lost.code");
  await page.goto("/");
  await page.getByRole("button", { name: "Register" }).click();
  await fillSignUp(page, email, "first password 1");
  // The page says where the code went, masked as Cognito masks it.
  await expect(page.getByRole("status")).toContainText("We have sent an email to l***@e***. Enter the code in it");
  const first = await latestCode(page.request, email);

  await page.getByRole("button", { name: "Resend code" }).click();
  await expect(page.getByRole("status")).toContainText("We have sent a new code by email to l***@e***.");
  const second = await latestCode(page.request, email);
  expect(second).toMatch(/^\d{6}$/);

  if (second !== first) {
    await fillCode(page, first);
    await expect(page.getByRole("alert")).toContainText("Invalid verification code provided");
  }
  await fillCode(page, second);
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});

test("a user who forgot their password resets it with an emailed code and signs in with the new one", async ({ page }) => {
  const email = newEmail("forgetful");
  await register(page, email, "the old password");
  await page.getByRole("button", { name: "Logout" }).click();
  await expect(page.getByRole("button", { name: "Sign In" })).toBeVisible();

  await page.getByRole("button", { name: "Sign In" }).click();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await page.locator("input[name=username]").fill(email);
  await page.getByRole("button", { name: "Reset my password" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();

  await page.locator("input[name=code]").fill(await latestCode(page.request, email));
  await page.locator("input[name=password]").fill("the new password");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password has been changed.");
  // The change was answered with a redirect to the sign-in page: reloading it posts nothing again.
  await expect(page).toHaveURL(/\/login\?.*notice=password_reset/);
  await page.reload();
  await expect(page.getByRole("status")).toContainText("Your password has been changed.");

  // The sign-in form has the email already filled in.
  await expect(page.locator("input[name=username]")).toHaveValue(email);
  await page.locator("input[name=password]").fill("the old password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("Incorrect username or password.");
  await fillSignIn(page, email, "the new password");
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});

test("a user who would rather not type their password signs in with a code mailed to them", async ({ page }) => {
  const email = newEmail("passwordless");
  await register(page, email, "a password they forget");
  await page.getByRole("button", { name: "Logout" }).click();

  await page.getByRole("button", { name: "Sign In" }).click();
  await page.locator("input[name=username]").fill(email);
  await page.getByRole("button", { name: "Email me a code instead" }).click();
  await expect(page.getByRole("heading", { name: "Enter your sign-in code" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText("we have sent it a sign-in code");
  const code = await latestCode(page.request, email, /Your sign-in code is (\d{8})\./);

  // A mistyped code may be corrected.
  await page.getByLabel("Sign-in code").fill(code === "00000000" ? "11111111" : "00000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid verification code provided");
  await page.getByLabel("Sign-in code").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: `Hello ${email}` })).toBeVisible();
});
