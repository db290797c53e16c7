// deskguard: small progressive enhancements. Loaded as a file so the
// Content-Security-Policy can forbid inline script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: <button data-copy-target="id" data-copied="Copied"> (the page's
  // language gives the word, L4)
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copyTarget);
      if (!source) return;
      const text = source.dataset.copyText || source.innerText.trim();
      try {
        await navigator.clipboard.writeText(text);
        const label = button.textContent;
        button.textContent = button.dataset.copied || "Copied";
        setTimeout(() => { button.textContent = label; }, 1500);
      } catch (err) {
        window.getSelection().selectAllChildren(source);
      }
    });
  });
  // Download buttons: <button data-download-target="id" data-filename="x.txt">
  document.querySelectorAll("[data-download-target]").forEach((button) => {
    button.addEventListener("click", () => {
      const source = document.getElementById(button.dataset.downloadTarget);
      if (!source) return;
      const text = source.dataset.copyText || source.innerText.trim();
      const url = URL.createObjectURL(new Blob([text + "\n"], { type: "text/plain" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = button.dataset.filename || "download.txt";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
  });
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // "I have saved these codes" enables the Continue button.
  document.querySelectorAll("[data-enables]").forEach((box) => {
    const target = document.getElementById(box.dataset.enables);
    if (!target) return;
    const sync = () => { target.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });
  // The code field opens the numeric keypad on phones; a recovery code has letters.
  document.querySelectorAll("[data-recovery-mode]").forEach((button) => {
    button.addEventListener("click", () => {
      const input = document.getElementById(button.dataset.recoveryMode);
      if (!input) return;
      input.inputMode = "text";
      input.placeholder = "xxxx-xxxx-xxxx-xxxx";
      input.value = "";
      input.focus();
    });
  });
  // A page of work in progress (an audit export) reloads itself every few seconds.
  // Done here, not with <meta http-equiv="refresh">, which axe rates critical (L5):
  // the reload waits while the reader is typing or has focused a control.
  const refresh = document.querySelector('meta[name="deskguard-refresh"]');
  if (refresh) {
    const seconds = Math.max(1, parseInt(refresh.content, 10) || 0);
    const reload = () => {
      const active = document.activeElement;
      if (active && active !== document.body && active.matches("input, select, textarea")) {
        setTimeout(reload, seconds * 1000);
      } else {
        window.location.reload();
      }
    };
    setTimeout(reload, seconds * 1000);
  }
  // Confirmation for destructive buttons: <button data-confirm="text">
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
});
