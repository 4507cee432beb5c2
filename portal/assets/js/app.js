// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "./govuk-frontend.min.js";
import { initCheckboxPicker } from "./checkbox-picker.js";
import { initQuizAnswers } from "./quiz-answers.js";
import { initTimeoutWarning } from "./timeout-warning.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// The scheme's own pages leave on Escape as well as on Shift pressed three times (DESIGN.md).
const exitLink = document.querySelector(".govuk-js-exit-this-page-button");
if (exitLink) {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      window.location.href = exitLink.getAttribute("href");
    }
  });
}

const timeoutDialog = document.getElementById("timeout-warning");
if (timeoutDialog) initTimeoutWarning(timeoutDialog);
initQuizAnswers();
for (const picker of document.querySelectorAll("[data-checkbox-picker]")) {
  initCheckboxPicker(picker);
}

// Print buttons on documents (a certificate, the signposting card): the print stylesheet shows the
// document alone, as its PDF does.
for (const button of document.querySelectorAll("[data-portal-print]")) {
  button.addEventListener("click", () => window.print());
}
