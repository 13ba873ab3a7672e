// The smallest browser app on Amplify JS v6, as an app would configure it for a local pool:
// the Amplify Auth calls a page makes, on `window.amplify` for the story in amplify.spec.ts.
import { Amplify } from "aws-amplify";
import {
  confirmSignUp,
  deleteUser,
  fetchAuthSession,
  fetchUserAttributes,
  signIn,
  signOut,
  signUp,
  updateUserAttributes,
} from "aws-amplify/auth";

const config = new URLSearchParams(location.search);
Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId: config.get("pool") ?? "",
      userPoolClientId: config.get("client") ?? "",
      userPoolEndpoint: config.get("endpoint") ?? "",
    },
  },
});

Object.assign(window, {
  amplify: {
    confirmSignUp,
    deleteUser,
    fetchAuthSession,
    fetchUserAttributes,
    signIn,
    signOut,
    signUp,
    updateUserAttributes,
  },
});
document.body.dataset.ready = "true";
