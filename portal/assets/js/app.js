// Progressive enhancement only: every page works without JavaScript. The classes saying that
// JavaScript runs and GOV.UK Frontend is supported are set before first paint, by the script at
// the top of <body> in base.html, so nothing moves when this module runs.
import {
  Accordion, Button, CharacterCount, Checkboxes, ErrorSummary, ExitThisPage, FileUpload,
  NotificationBanner, PasswordInput, Radios, ServiceNavigation, SkipLink, Tabs, createAll,
} from "./govuk-frontend.min.js";
import { initCheckboxPicker } from "./checkbox-picker.js";
import { initQuizAnswers } from "./quiz-answers.js";
import { initTimeoutWarning } from "./timeout-warning.js";

// GOV.UK Frontend's Exit this page leaves with `window.location.href = …` and offers no setting
// for it (its only config is its text), so Back would return to the page the person fled.
// Ours does the same on the way out (hide the page, announce it) but replaces this page in the
// history instead.
class PortalExitThisPage extends ExitThisPage {
  exitPage() {
    if (!this.$updateSpan) {
      return;
    }
    this.$updateSpan.textContent = "";
    document.body.classList.add("govuk-exit-this-page-hide-content");
    this.$overlay = document.createElement("div");
    this.$overlay.className = "govuk-exit-this-page-overlay";
    this.$overlay.setAttribute("role", "alert");
    document.body.appendChild(this.$overlay);
    this.$overlay.textContent = this.i18n.t("activated");
    window.location.replace(this.$button.href);
  }
}

// What initAll does, with our Exit this page in place of GOV.UK's.
for (const Component of [Accordion, Button, CharacterCount, Checkboxes, ErrorSummary, FileUpload,
  NotificationBanner, PasswordInput, Radios, ServiceNavigation, SkipLink, Tabs]) {
  createAll(Component);
}
const [exitThisPage] = createAll(PortalExitThisPage);

// The scheme's own pages leave on Escape as well as on Shift pressed three times (DESIGN.md).
const exitLink = document.querySelector(".govuk-js-exit-this-page-button");
if (exitLink) {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      if (exitThisPage) {
        exitThisPage.exitPage();
      } else {
        window.location.replace(exitLink.getAttribute("href"));
      }
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
