// The passkey pages' script. On the sign-in page of a
// passkey it asks the browser for the account's passkey with the options the pool put on the
// form (PublicKeyCredentialRequestOptionsJSON) and posts the answer (AuthenticationResponseJSON);
// on the sign-in page (data-mode="autofill") it asks for whichever of the pool's passkeys the
// browser offers in the username field's autofill (conditional mediation), and posts it if the
// user picks one; on the offer after a password sign-in (data-mode="create") it makes one with
// the registration's options (PublicKeyCredentialCreationOptionsJSON) and posts it
// (RegistrationResponseJSON).
"use strict";

const form = document.getElementById("passkey-form");
const status = document.getElementById("passkey-status");
const start = document.getElementById("passkey-start");
const mode = form.dataset.mode;
const creating = mode === "create";
const autofill = mode === "autofill";
const say = (words) => {
  if (status) status.textContent = words;
};

const bytes = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)), (c) =>
    c.charCodeAt(0),
  );
const text = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const withIds = (credentials) => (credentials ?? []).map((credential) => ({ ...credential, id: bytes(credential.id) }));

/** The browser's answer, in WebAuthn's JSON. */
function answer(credential) {
  const response = credential.response;
  const common = {
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
  if (creating) {
    return {
      ...common,
      response: {
        clientDataJSON: text(response.clientDataJSON),
        attestationObject: text(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
    };
  }
  return {
    ...common,
    response: {
      clientDataJSON: text(response.clientDataJSON),
      authenticatorData: text(response.authenticatorData),
      signature: text(response.signature),
      userHandle: response.userHandle ? text(response.userHandle) : undefined,
    },
  };
}

async function ceremony() {
  if (start) start.disabled = true;
  if (!autofill) say(creating ? "Making your passkey…" : "Waiting for your passkey…");
  const options = JSON.parse(form.dataset.options);
  options.challenge = bytes(options.challenge);
  try {
    let credential;
    if (creating) {
      options.user = { ...options.user, id: bytes(options.user.id) };
      options.excludeCredentials = withIds(options.excludeCredentials);
      credential = await navigator.credentials.create({ publicKey: options });
    } else {
      options.allowCredentials = withIds(options.allowCredentials);
      const request = { publicKey: options };
      if (autofill) request.mediation = "conditional";
      credential = await navigator.credentials.get(request);
    }
    form.elements.credential.value = JSON.stringify(answer(credential));
    say(creating ? "Saving your passkey…" : "Signing you in…");
    form.submit();
  } catch (error) {
    // In the autofill, the user may still type a name and a password.
    if (autofill) return;
    say(
      creating
        ? `No passkey was made (${error.name}). Try again, or continue without one.`
        : `Your passkey did not sign you in (${error.name}). Try again, or go back and use your password.`,
    );
    start.disabled = false;
  }
}

if (start) start.addEventListener("click", ceremony);
if (autofill) {
  // Only browsers that can offer passkeys in the autofill are asked.
  const available = window.PublicKeyCredential?.isConditionalMediationAvailable;
  if (available) {
    available.call(PublicKeyCredential).then((yes) => yes && ceremony());
  }
} else if (!creating) {
  // Signing in by name starts at once; making a passkey waits for the user to ask.
  ceremony();
}
