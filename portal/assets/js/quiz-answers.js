// Quiz answers in progress survive a timeout: each choice is kept in this tab's sessionStorage
// (never localStorage) under the attempt's id, put back when the quiz page opens again, and
// removed when the result page for that attempt opens. Exit this page clears site storage.

const PREFIX = "quiz-answers:";

function key(attemptId) {
  return PREFIX + attemptId;
}

function save(form, attemptId) {
  const chosen = {};
  for (const input of form.querySelectorAll("input[type=radio], input[type=checkbox]")) {
    if (input.checked) (chosen[input.name] ||= []).push(input.value);
  }
  try {
    sessionStorage.setItem(key(attemptId), JSON.stringify(chosen));
  } catch {
    // Storage full or switched off: the answers still go with the form.
  }
}

function restore(form, attemptId) {
  let chosen = null;
  try {
    chosen = JSON.parse(sessionStorage.getItem(key(attemptId)) || "null");
  } catch {
    chosen = null;
  }
  if (!chosen || typeof chosen !== "object") return;
  for (const input of form.querySelectorAll("input[type=radio], input[type=checkbox]")) {
    const values = chosen[input.name];
    if (Array.isArray(values) && values.includes(input.value)) input.checked = true;
  }
}

export function initQuizAnswers() {
  const form = document.querySelector("form[data-quiz-attempt]");
  if (form) {
    const attemptId = form.dataset.quizAttempt;
    restore(form, attemptId);
    form.addEventListener("change", () => save(form, attemptId));
  }
  const finished = document.querySelector("[data-quiz-finished]");
  if (finished) {
    try {
      sessionStorage.removeItem(key(finished.dataset.quizFinished));
    } catch {
      // nothing kept
    }
  }
}
