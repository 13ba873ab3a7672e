// The sign-in forms' script, a little help where scripts run (every form works without it):
// each password field gets a button that shows or hides what was typed, and a form being sent
// says so and is not sent twice.
"use strict";

for (const field of document.querySelectorAll('input[type="password"]')) {
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "link reveal";
  toggle.setAttribute("aria-controls", field.id);
  const show = (shown) => {
    field.type = shown ? "text" : "password";
    toggle.textContent = shown ? "Hide password" : "Show password";
    toggle.setAttribute("aria-pressed", String(shown));
  };
  show(false);
  toggle.addEventListener("click", () => show(field.type === "password"));
  // Sent as a password field, so that the browser offers to save it as one.
  field.form?.addEventListener("submit", () => show(false));
  field.after(toggle);
}

const sending = (form, busy, submitter) => {
  form.toggleAttribute("aria-busy", busy);
  for (const button of form.querySelectorAll("button:not([type=button])")) {
    button.disabled = busy;
    if (busy && button === submitter) {
      button.dataset.label = button.textContent;
      button.textContent = "Please wait…";
    } else if (!busy && button.dataset.label) {
      button.textContent = button.dataset.label;
    }
  }
};

for (const form of document.querySelectorAll('form[method="post"]')) {
  form.addEventListener("submit", (event) => {
    if (form.hasAttribute("aria-busy")) {
      event.preventDefault();
      return;
    }
    // After the browser has read the form's fields: a disabled button is not sent.
    setTimeout(() => sending(form, true, event.submitter));
  });
}

// Back to this page from the browser's cache: the form can be sent again.
addEventListener("pageshow", (event) => {
  if (event.persisted) {
    for (const form of document.querySelectorAll("form[aria-busy]")) sending(form, false);
  }
});
