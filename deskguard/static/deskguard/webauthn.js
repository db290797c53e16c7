// deskguard: security keys and passkeys (WebAuthn), as a static file so the
// Content-Security-Policy can forbid inline script.
//
// A form with data-webauthn="register" or "authenticate" carries the server's options
// (JSON) in data-webauthn-options and a hidden input named "credential". Its submit
// button asks the browser for the key; the reply is put in the hidden input as JSON
// and the form is submitted. Byte fields travel as base64url, as py_webauthn expects.
// In a form that also takes a typed code (re-authentication), only the buttons marked
// data-webauthn-start ask for the key; the others submit the code as usual.
"use strict";
(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  const toText = (buffer) => {
    let binary = "";
    new Uint8Array(buffer).forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const creationOptions = (json) => ({
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  });
  const requestOptions = (json) => ({
    ...json,
    challenge: toBytes(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  });

  const registrationJSON = (credential) => ({
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
    clientExtensionResults: credential.getClientExtensionResults(),
  });
  const assertionJSON = (credential) => ({
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      authenticatorData: toText(credential.response.authenticatorData),
      signature: toText(credential.response.signature),
      userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
    },
    clientExtensionResults: credential.getClientExtensionResults(),
  });

  const say = (form, text) => {
    const status = form.querySelector("[data-webauthn-status]");
    if (status) status.textContent = text;
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-webauthn]").forEach((form) => {
      const starters = form.querySelectorAll("[data-webauthn-start]");
      if (!window.PublicKeyCredential) {
        say(form, form.dataset.webauthnUnsupported || "This browser cannot use security keys.");
        const buttons = starters.length ? starters : form.querySelectorAll("button[type=submit]");
        buttons.forEach((b) => { b.disabled = true; });
        return;
      }
      form.addEventListener("submit", async (event) => {
        if (starters.length && !(event.submitter && event.submitter.hasAttribute("data-webauthn-start"))) {
          return; // a typed code: the form goes as it is
        }
        const field = form.querySelector("input[name=credential]");
        if (field.value) return; // the key already answered: let the form go
        event.preventDefault();
        const options = JSON.parse(form.dataset.webauthnOptions);
        say(form, form.dataset.webauthnWaiting || "Waiting for your security key…");
        try {
          if (form.dataset.webauthn === "register") {
            const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
            field.value = JSON.stringify(registrationJSON(credential));
          } else {
            const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
            field.value = JSON.stringify(assertionJSON(credential));
          }
          form.submit();
        } catch (error) {
          // Cancelled, timed out, or no matching key: say so and let the user retry.
          say(form, form.dataset.webauthnFailed || "The security key did not answer. Try again.");
        }
      });
    });
  });
})();
