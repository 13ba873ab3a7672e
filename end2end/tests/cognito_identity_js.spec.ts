// amazon-cognito-identity-js, the library under many apps (and older Amplify), signs in with SRP
// (USER_SRP_AUTH) by default: the pool answers its PASSWORD_VERIFIER challenge and checks its
// proof, then refreshes, changes the password and signs out everywhere as Cognito does. It runs
// in Node here, against the pool the app's server embeds.
import { AdminCreateUserCommand, AdminSetUserPasswordCommand } from "@aws-sdk/client-cognito-identity-provider";
import { expect, test } from "@playwright/test";
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoRefreshToken,
  type CognitoUserSession,
} from "amazon-cognito-identity-js";
import { POOL, cognitoApi, newEmail } from "./pool";

const POOL_ID = "us-east-1_LocalPool";
const userPool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: "5cr1pt5c1ient0leptos0cog", endpoint: `${POOL}/` });

function signIn(user: CognitoUser, password: string): Promise<CognitoUserSession> {
  const details = new AuthenticationDetails({ Username: user.getUsername(), Password: password });
  return new Promise((resolve, reject) => user.authenticateUser(details, { onSuccess: resolve, onFailure: reject }));
}

function refresh(user: CognitoUser, token: CognitoRefreshToken): Promise<CognitoUserSession> {
  return new Promise((resolve, reject) =>
    user.refreshSession(token, (error: Error | null, session: CognitoUserSession) => (error ? reject(error) : resolve(session))),
  );
}

test("a user signs in with SRP, refreshes, changes the password and signs out everywhere", async () => {
  const email = newEmail("srp");
  const api = cognitoApi();
  await api.send(new AdminCreateUserCommand({ UserPoolId: POOL_ID, Username: email, MessageAction: "SUPPRESS" }));
  await api.send(
    new AdminSetUserPasswordCommand({ UserPoolId: POOL_ID, Username: email, Password: "first password 1", Permanent: true }),
  );
  const user = new CognitoUser({ Username: email, Pool: userPool });

  await test.step("a wrong password is refused as Cognito refuses it", async () => {
    await expect(signIn(user, "not the password")).rejects.toMatchObject({
      code: "NotAuthorizedException",
      message: "Incorrect username or password.",
    });
  });

  const session = await signIn(user, "first password 1");
  expect(session.getIdToken().payload.email).toBe(email);

  const refreshed = await refresh(user, session.getRefreshToken());
  expect(refreshed.getAccessToken().getJwtToken()).not.toBe(session.getAccessToken().getJwtToken());

  await new Promise<void>((resolve, reject) =>
    user.changePassword("first password 1", "second password 2", (error) => (error ? reject(error) : resolve())),
  );
  await expect(signIn(new CognitoUser({ Username: email, Pool: userPool }), "first password 1")).rejects.toMatchObject({
    code: "NotAuthorizedException",
  });
  const again = await signIn(user, "second password 2");

  await new Promise<void>((resolve, reject) => user.globalSignOut({ onSuccess: () => resolve(), onFailure: reject }));
  await expect(refresh(user, again.getRefreshToken())).rejects.toMatchObject({ code: "NotAuthorizedException" });
});
