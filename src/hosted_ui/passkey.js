// The passkey page's script: asks the browser for the account's passkey with the options
// the pool put on the form (PublicKeyCredentialRequestOptionsJSON), and posts the answer
// (AuthenticationResponseJSON) with the form. The only script of the hosted UI.
"use strict";

const form = document.getElementById("passkey-form");
const status = document.getElementById("passkey-status");
const again = document.getElementById("passkey-start");

const bytes = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)), (c) =>
    c.charCodeAt(0),
  );
const text = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

async function signIn() {
  again.disabled = true;
  status.textContent = "Waiting for your passkey…";
  const options = JSON.parse(form.dataset.options);
  options.challenge = bytes(options.challenge);
  for (const credential of options.allowCredentials ?? []) {
    credential.id = bytes(credential.id);
  }
  try {
    const credential = await navigator.credentials.get({ publicKey: options });
    const answer = credential.response;
    form.elements.credential.value = JSON.stringify({
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: text(answer.clientDataJSON),
        authenticatorData: text(answer.authenticatorData),
        signature: text(answer.signature),
        userHandle: answer.userHandle ? text(answer.userHandle) : undefined,
      },
    });
    status.textContent = "Signing you in…";
    form.submit();
  } catch (error) {
    status.textContent = `Your passkey did not sign you in (${error.name}). Try again, or go back and use your password.`;
    again.disabled = false;
  }
}

again.addEventListener("click", signIn);
signIn();
