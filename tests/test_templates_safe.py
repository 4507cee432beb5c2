"""Template hygiene (XSS-05): autoescaping stays on, and nothing bypasses it unreviewed.

Every `|safe` in a template and every `Markup(...)` in Python must be on the allow-list below,
with the reason it cannot carry a script. A new one fails this test until someone reviews it and
adds it here; an entry that no longer matches anything fails too, so the list stays true.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

PORTAL = Path(__file__).resolve().parent.parent / "portal"
TEMPLATES = PORTAL / "templates"

SAFE_FILTER = re.compile(r"\{\{(?P<expression>[^}]*?)\|\s*safe\b[^}]*\}\}")
ESCAPE_SWITCHES = re.compile(r"\{%-?\s*autoescape\s+false|\|\s*safe\b|\bMarkup\b|\|\s*unsafe")
MARKUP_CALL = re.compile(r"\bMarkup\(|render_template_string\(|autoescape\s*=\s*False")

COURSE_HTML = ("course Markdown is rendered to HTML and cleaned with nh3's allow-list in "
               "portal/courses/markdown.py, the one place course text becomes HTML (XSS-01)")

# (template, the expression before |safe): why it is safe.
ALLOWED_SAFE = {
    ("training/course.html", "progress.course.description_html"): COURSE_HTML,
    ("training/module.html", "version.body_html"): COURSE_HTML,
    # prompt is question.prompt_html; a one-paragraph prompt goes in the legend without its
    # outer <p> (a legend holds phrasing content only), which leaves the rest as sanitised.
    ("training/quiz.html", "prompt"): COURSE_HTML,
    ("training/quiz.html", "prompt[3:-4]"): COURSE_HTML,
    ("training/quiz.html", "answers[key].text_html"): COURSE_HTML,
    ("training/result.html", "question.prompt_html"): COURSE_HTML,
    ("training/result.html", "answer.text_html"): COURSE_HTML,
    ("training/result.html", "answer.feedback_html"): COURSE_HTML,
    ("training/result.html", "question.explanation_html"): COURSE_HTML,
}

# (Python file, the line's code): why it is safe.
ALLOWED_MARKUP = {
    ("services/commitments.py", "html = Markup(cleaned)"):
        "the scheme commitment's Markdown, from the repository, cleaned with nh3 on the line "
        "before",
    ("services/model_policy.py", "page = Markup(render_markdown(body))"):
        "the model policy's Markdown, from the repository, through the course renderer, which "
        "sanitises with nh3",
}


def safe_uses() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for match in SAFE_FILTER.finditer(text):
                found.add((path.relative_to(TEMPLATES).as_posix(),
                           match.group("expression").strip()))
    return found


def markup_uses() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PORTAL.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0].strip()
            if MARKUP_CALL.search(code):
                found.add((path.relative_to(PORTAL).as_posix(), code))
    return found


def test_every_safe_filter_is_on_the_allow_list() -> None:
    """XSS-05: `|safe` only where the list says why the value is already clean HTML."""
    unreviewed = safe_uses() - set(ALLOWED_SAFE)
    assert not unreviewed, f"Review these |safe uses and add them to ALLOWED_SAFE: {unreviewed}"


def test_no_other_way_of_switching_escaping_off_in_templates() -> None:
    """`{% autoescape false %}`, `|unsafe`, or Markup outside a counted `{{ x | safe }}`."""
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file():
            continue
        text = SAFE_FILTER.sub("", path.read_text(encoding="utf-8"))
        assert not ESCAPE_SWITCHES.search(text), path.relative_to(TEMPLATES)


def test_every_markup_call_in_python_is_on_the_allow_list() -> None:
    """XSS-05: Markup(...), render_template_string(...) and autoescape=False are reviewed."""
    unreviewed = markup_uses() - set(ALLOWED_MARKUP)
    assert not unreviewed, f"Review these and add them to ALLOWED_MARKUP: {unreviewed}"


def test_the_allow_lists_have_no_stale_entries() -> None:
    assert set(ALLOWED_SAFE) <= safe_uses()
    assert set(ALLOWED_MARKUP) <= markup_uses()


def test_autoescaping_is_on_for_every_html_template(app: Flask) -> None:
    """HTML templates end .html, which Flask escapes; .txt is only for plain-text e-mails."""
    assert app.jinja_env.autoescape("any/page.html") is True
    kinds = {path.suffix for path in TEMPLATES.rglob("*") if path.is_file()}
    assert kinds <= {".html", ".txt"}, kinds
    assert all(path.parent.name == "email" for path in TEMPLATES.rglob("*.txt"))
