// deskguard: the live retry countdown of a throttled code step (C5). A file, not
// inline script, so the Content-Security-Policy stays strict. The server refuses
// early codes whatever this script does; it only saves a pointless wait-and-refuse.
//
// <p data-countdown="SECONDS" data-countdown-button="ID" data-countdown-field="ID"
//    data-countdown-one="… {seconds} second." data-countdown-many="… {seconds} seconds."
//    data-countdown-done="…" hidden>
// The words come from the page, in its language (L4); English when it gives none.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-countdown]").forEach((line) => {
    const button = document.getElementById(line.dataset.countdownButton);
    const field = document.getElementById(line.dataset.countdownField);
    const end = Date.now() + 1000 * Number(line.dataset.countdown);
    const left = () => Math.max(0, Math.ceil((end - Date.now()) / 1000));
    const show = () => {
      const seconds = left();
      if (seconds > 0) {
        const words = seconds === 1
          ? line.dataset.countdownOne || "You can enter a code again in {seconds} second."
          : line.dataset.countdownMany || "You can enter a code again in {seconds} seconds.";
        line.textContent = words.replace("{seconds}", String(seconds));
        if (button) button.disabled = true;
        return true;
      }
      line.textContent = line.dataset.countdownDone || "You can enter a code again now.";
      if (button) button.disabled = false;
      if (field) field.focus();
      return false;
    };
    line.hidden = false;
    if (!show()) return;
    const timer = setInterval(() => { if (!show()) clearInterval(timer); }, 250);
  });
});
