// The smallest browser app on Amplify JS v6, as an app would configure it for a local pool:
// Amplify's Auth functions on `window.amplify`, for the story in amplify.spec.ts to call.
import { Amplify } from "aws-amplify";
import * as auth from "aws-amplify/auth";

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

Object.assign(window, { amplify: auth });
document.body.dataset.ready = "true";
