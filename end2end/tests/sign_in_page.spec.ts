// The pool's sign-in page as someone who mistypes meets it: they can look at the password
// they typed, the page says that it is working while it does, and after a refusal the
// address is still there and the cursor waits in the password field. All of it from the
// pool's own script, under a policy that allows nothing inline.
import { expect, test } from "@playwright/test";
import { newEmail } from "./pool";

test("the sign-in page shows the password on request, says it is working, and after a refusal waits in the password field", async ({
  page,
}) => {
  const blocked: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) blocked.push(message.text());
  });
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page).toHaveTitle("Sign in · leptos-cognito");

  // Nobody's address, so that no account counts the refusal.
  const email = newEmail("mistyped");
  await page.getByLabel("Email").fill(email);
  const password = page.getByLabel("Password");
  await password.fill("not the password");
  await page.getByRole("button", { name: "Show password" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await page.getByRole("button", { name: "Hide password" }).click();
  await expect(password).toHaveAttribute("type", "password");

  // What the buttons say while the form is on its way (the answer replaces the page).
  await page.evaluate(() => {
    const form = document.querySelector("form")!;
    form.addEventListener("submit", () =>
      setTimeout(() => {
        const buttons = [...form.querySelectorAll("button:not([type=button])")] as HTMLButtonElement[];
        sessionStorage.setItem("sending", JSON.stringify(buttons.map((b) => [b.textContent, b.disabled])));
      }, 10),
    );
  });
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await expect(page.getByLabel("Password")).toBeFocused();
  await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeEnabled();
  expect(JSON.parse((await page.evaluate(() => sessionStorage.getItem("sending")))!)).toEqual([
    ["Please wait…", true],
    ["Email me a code instead", true],
  ]);
  expect(blocked).toEqual([]);
});
