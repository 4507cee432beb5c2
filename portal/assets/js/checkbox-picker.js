// A long list of checkboxes gets a search box and "Select all shown" / "Clear selection"
// buttons (progressive enhancement: without JavaScript the plain checkboxes work as before).
// Searching hides the boxes whose label does not match; hidden boxes keep their state.

let pickers = 0;

export function initCheckboxPicker(container) {
  const fieldset = container.querySelector("fieldset");
  const items = [...container.querySelectorAll(".govuk-checkboxes__item")];
  if (!fieldset || items.length < 2) return;
  pickers += 1;
  const noun = container.dataset.pickerNoun || "items";
  const id = `picker-search-${pickers}`;

  const controls = document.createElement("div");
  controls.className = "portal-picker";
  controls.innerHTML = `
    <div class="govuk-form-group govuk-!-margin-bottom-3">
      <label class="govuk-label govuk-label--s" for="${id}">Search ${noun}</label>
      <input class="govuk-input govuk-!-width-two-thirds" id="${id}" type="search" autocomplete="off" spellcheck="false">
    </div>
    <div class="govuk-button-group govuk-!-margin-bottom-2">
      <button type="button" class="govuk-button govuk-button--secondary" data-picker-all>Select all shown</button>
      <button type="button" class="govuk-button govuk-button--secondary" data-picker-none>Clear selection</button>
    </div>
    <p class="govuk-body govuk-!-margin-bottom-2" aria-live="polite" data-picker-status></p>`;
  fieldset.querySelector(".govuk-checkboxes").before(controls);

  const search = controls.querySelector("input");
  const status = controls.querySelector("[data-picker-status]");
  const boxes = () => items.map((item) => item.querySelector("input"));
  const shown = () => items.filter((item) => !item.hidden);

  function report() {
    const chosen = boxes().filter((box) => box.checked).length;
    status.textContent = `${shown().length} of ${items.length} ${noun} shown, ${chosen} selected`;
  }

  function chooseSome() {
    const some = document.querySelector("input[name='who'][value='some']");
    if (some) some.checked = true;
  }

  search.addEventListener("input", () => {
    const words = search.value.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
    for (const item of items) {
      const text = item.textContent.toLocaleLowerCase();
      item.hidden = !words.every((word) => text.includes(word));
    }
    report();
  });
  // Enter in the search box must not send the form.
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  controls.querySelector("[data-picker-all]").addEventListener("click", () => {
    for (const item of shown()) item.querySelector("input").checked = true;
    chooseSome();
    report();
  });
  controls.querySelector("[data-picker-none]").addEventListener("click", () => {
    for (const box of boxes()) box.checked = false;
    report();
  });
  container.addEventListener("change", report);
  report();
}
