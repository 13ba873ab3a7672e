// A shop brands its pool's sign-in page as it would on Cognito (SetUICustomization, with AWS's
// own SDK): its logo above the pool's name and its colour on the button, at desktop and phone
// widths, photographed into the test's output, and still without accessibility violations. And a reader far from the server sees the
// session's expiry on the profile in their own time zone.
import { randomBytes } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  SetUICustomizationCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { expect, test } from "@playwright/test";
import { ADMIN, cognitoApi, fillSignIn } from "./pool";

// A 160×48 PNG in the shop's green.
const LOGO = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAKAAAAAwCAIAAAAZy+Y5AAAAZUlEQVR42u3RQQ0AAAjEsHtjCW14xwYhTaZgTU3rcbEAsAALsAALsAALMGABFmABFmABFmDAAizAAizAAizAAgxYgAVYgAVYgAUYsAALsAALsAALMGABFmABFmABFmABBizAut4CUQy9S2Sd31kAAAAASUVORK5CYII=",
  "base64",
);
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

test("a shop's sign-in page carries its logo and colours", async ({ page }) => {
  const api = cognitoApi();
  const { UserPool } = await api.send(new CreateUserPoolCommand({ PoolName: "Green Grocer", UsernameAttributes: ["email"] }));
  const poolId = UserPool!.Id!;
  const callback = "http://127.0.0.1:3999/callback";
  const { UserPoolClient } = await api.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: "grocer-web",
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ["code"],
      AllowedOAuthScopes: ["openid", "email"],
      CallbackURLs: [callback],
      SupportedIdentityProviders: ["COGNITO"],
    }),
  );
  const prefix = `grocer-${randomBytes(4).toString("hex")}`;
  await api.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
  try {
    const { UICustomization } = await api.send(
      new SetUICustomizationCommand({
        UserPoolId: poolId,
        ClientId: "ALL",
        CSS: ".submitButton-customizable { background-color: #0a7d3b; } .submitButton-customizable:hover { background-color: #075e2c; }",
        ImageFile: LOGO,
      }),
    );
    expect(UICustomization?.ImageUrl).toContain(`http://${prefix}.localhost:9229/static/ui/ALL/logo`);

    const login = new URL(`http://${prefix}.localhost:9229/login`);
    login.search = new URLSearchParams({
      response_type: "code",
      client_id: UserPoolClient!.ClientId!,
      redirect_uri: callback,
      scope: "openid email",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    }).toString();
    await page.goto(login.toString());
    await expect(page).toHaveTitle("Sign in · Green Grocer");
    const logo = page.locator("img.logo-customizable");
    await expect(logo).toBeVisible();
    expect(await logo.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(160);
    const button = page.getByRole("button", { name: "Sign in", exact: true });
    await expect(button).toHaveCSS("background-color", "rgb(10, 125, 59)");
    // The shop's colours still read: axe-core finds nothing on the branded page.
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.map((v) => v.id)).toEqual([]);
    for (const [size, viewport] of Object.entries(SIZES)) {
      await page.setViewportSize(viewport);
      const box = (await logo.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      await page.screenshot({ path: test.info().outputPath(`branded-sign-in-${size}.png`), fullPage: true });
    }
  } finally {
    await api.send(new DeleteUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
    await api.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
  }
});

test("the profile says when the session expires in the reader's own time zone", async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: "Asia/Tokyo", locale: "en-GB" });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByRole("button", { name: "Sign In" }).click();
  await fillSignIn(page, ADMIN.email, ADMIN.password);
  await expect(page.getByRole("heading", { name: `Hello ${ADMIN.email}` })).toBeVisible();
  await page.getByRole("link", { name: "Profile" }).click();
  const expiry = page.locator("dl.profile time");
  const utc = await expiry.getAttribute("datetime");
  // Tokyo is 9 hours ahead of UTC all year; en-GB writes "02/12/2026, 19:00:00".
  const tokyo = new Date(Date.parse(utc!) + 9 * 3600_000);
  const two = (n: number) => String(n).padStart(2, "0");
  const expected =
    `${two(tokyo.getUTCDate())}/${two(tokyo.getUTCMonth() + 1)}/${tokyo.getUTCFullYear()}, ` +
    `${two(tokyo.getUTCHours())}:${two(tokyo.getUTCMinutes())}:${two(tokyo.getUTCSeconds())}`;
  await expect(expiry).toHaveText(expected);
  await context.close();
});
