// The session timeout warning (WCAG 2.2.1 Timing adjustable; the GOV.UK / HMRC pattern).
//
// Signed-in pages carry a <dialog> with the seconds the session has left. Shortly before the
// idle limit the dialog opens as a modal, says how long is left and counts down; screen readers
// hear the time when it opens and then each minute (every 15 seconds in the last minute), not
// every second. "Stay signed in" posts the form (with its CSRF token) in the background and
// starts the clock again; at zero the page goes to a "You have been signed out" page that
// offers the way back.

const MINUTE = 60;

function inWords(seconds) {
  if (seconds >= MINUTE) {
    const minutes = Math.ceil(seconds / MINUTE);
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

export function initTimeoutWarning(dialog) {
  const countdown = dialog.querySelector(".portal-timeout__countdown");
  const announce = dialog.querySelector("[data-timeout-announce]");
  const keepForm = dialog.querySelector("[data-timeout-keep]");
  const warnBefore = Number(dialog.dataset.warnBefore);
  let deadline = 0;
  let timer = null;
  let lastAnnounced = null;

  const secondsLeft = () => Math.max(0, Math.round((deadline - performance.now()) / 1000));

  function end() {
    const here = window.location.pathname + window.location.search;
    window.location.href = `${dialog.dataset.endedUrl}?next=${encodeURIComponent(here)}`;
  }

  function tick() {
    const left = secondsLeft();
    if (left <= 0) {
      end();
      return;
    }
    if (left > warnBefore) {
      if (dialog.open) dialog.close();
      return;
    }
    countdown.textContent = inWords(left);
    const step = left > MINUTE ? inWords(left) : `${Math.ceil(left / 15) * 15}s`;
    if (!dialog.open) {
      dialog.showModal();
      lastAnnounced = null;
    }
    if (step !== lastAnnounced) {
      lastAnnounced = step;
      announce.textContent = `You will be signed out in ${inWords(left)}.`;
    }
  }

  function start(seconds) {
    deadline = performance.now() + seconds * 1000;
    clearInterval(timer);
    timer = setInterval(tick, 1000);
    tick();
  }

  keepForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const response = await fetch(keepForm.action, {
        method: "POST",
        body: new FormData(keepForm),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        redirect: "error",
      });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      dialog.close();
      announce.textContent = "";
      start(Number(data.secondsLeft));
    } catch {
      end(); // the session had already ended, or the token was refused
    }
  });

  // The dialog never closes silently (which would leave the session to run out unseen). Escape
  // itself still leaves the site, as it does on every page of the scheme (app.js).
  dialog.addEventListener("cancel", (event) => event.preventDefault());

  start(Number(dialog.dataset.secondsLeft));
}
