"""The CSS holds the GOV.UK Frontend components the portal uses, and no others.

portal/assets/scss/main.scss builds GOV.UK Frontend's base, core, objects, utilities and
overrides, and then only the components it names, and only the spacing overrides (`govuk-!-
margin-...`) it names (issue 22: most of the full framework was never used). These tests keep
that list honest both ways: a page that starts using a component, a macro or a spacing override
that is not built fails here, and so does a component that is built but no longer used.

"Used" is read from the portal's own files: GOV.UK macros imported by templates (and the macros
they call in turn), components rendered with govuk_component(), the govuk-frontend-wtf widgets
the forms use, and govuk-* classes written in templates, Python, JavaScript and course content.
"""

from __future__ import annotations

import re
from pathlib import Path

import govuk_frontend_jinja
import govuk_frontend_wtf
from govuk_frontend_wtf import wtforms_widgets

ROOT = Path(__file__).resolve().parents[1]
MAIN_SCSS = ROOT / "portal" / "assets" / "scss" / "main.scss"
BUILT_CSS = ROOT / "portal" / "static" / "css" / "main.css"
GOVUK_SASS = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
FULL_CSS = GOVUK_SASS / "govuk-frontend.min.css"  # the whole framework, as GOV.UK ships it
MACROS = Path(govuk_frontend_jinja.__file__).parent / "templates" / "components"
WIDGET_TEMPLATES = Path(govuk_frontend_wtf.__file__).parent / "templates"
# What the portal itself wrote (built files and GOV.UK Frontend's own JavaScript excluded).
SOURCES = [*(ROOT / "portal").rglob("*.html"), *(ROOT / "portal").rglob("*.py"),
           *(ROOT / "portal" / "assets" / "js").rglob("*.js"), *(ROOT / "courses").rglob("*.md"),
           *(ROOT / "portal" / "data").rglob("*.yaml")]

CLASS = re.compile(r"govuk-[a-z0-9!_-]+")
MACRO_IMPORT = re.compile(r"components/([a-z-]+)/macro\.html")
COMPONENT_CALL = re.compile(r"""govuk_component\(\s*["']([a-z-]+)["']""")
WIDGET = re.compile(r"\bGov[A-Z][A-Za-z]+\b")
BUILT_COMPONENT = re.compile(r'^@use "govuk-frontend/dist/govuk/components/([a-z-]+)"', re.M)
# Words that look like classes but name packages (govuk-frontend-jinja), and classes that only
# JavaScript looks for, which have no style of their own.
NOT_CLASSES = {"govuk-frontend", "govuk-frontend-jinja", "govuk-frontend-wtf"}
SCRIPT_HOOK = re.compile(r"govuk-js-")


def components() -> set[str]:
    text = (GOVUK_SASS / "components" / "_index.scss").read_text()
    return set(re.findall(r'^@use "([a-z-]+)";', text, re.M))


def source_texts() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in SOURCES
            if "static" not in path.relative_to(ROOT).parts}


def classes_used() -> set[str]:
    return {name for text in source_texts().values() for name in CLASS.findall(text)
            if name not in NOT_CLASSES}


def component_of(name: str, known: set[str]) -> str | None:
    """`govuk-summary-list__row` -> summary-list; `govuk-body` -> None (core, not a component)."""
    block = re.split(r"__|--", name.removeprefix("govuk-"), maxsplit=1)[0]
    return block if block in known else None


def with_the_macros_they_call(names: set[str]) -> set[str]:
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for template in (MACROS / name).glob("*.html"):
            todo.extend(MACRO_IMPORT.findall(template.read_text()))
    return found


def components_used() -> set[str]:
    known = components()
    texts = "\n".join(source_texts().values())
    used = set(MACRO_IMPORT.findall(texts)) | set(COMPONENT_CALL.findall(texts))
    for widget_name in set(WIDGET.findall(texts)):
        template = getattr(getattr(wtforms_widgets, widget_name, None), "template", None)
        if template:  # "govuk_frontend_wtf/input.html"
            used |= set(MACRO_IMPORT.findall(
                (WIDGET_TEMPLATES / template.split("/", 1)[1]).read_text()))
    used |= {component for name in classes_used()
             if (component := component_of(name, known)) is not None}
    return with_the_macros_they_call(used) & known


def components_built() -> set[str]:
    return set(BUILT_COMPONENT.findall(MAIN_SCSS.read_text()))


def test_the_used_components_are_found() -> None:
    """The reading above works: the components every page shows are among those found."""
    used = components_used()
    assert {"skip-link", "service-navigation", "exit-this-page", "footer", "generic-header",
            "button", "input", "label", "table", "tag"} <= used
    assert "summary-list" in used and "task-list" in used and "checkboxes" in used


def test_every_component_used_is_built_and_every_component_built_is_used() -> None:
    used, built = components_used(), components_built()
    assert built <= components(), f"not GOV.UK Frontend components: {built - components()}"
    assert not used - built, f"add to portal/assets/scss/main.scss: {sorted(used - built)}"
    assert not built - used, f"no longer used, take out of main.scss: {sorted(built - used)}"


def selectors(css: str) -> set[str]:
    return {name.replace("\\", "") for name in re.findall(r"\.(govuk-(?:\\!|[a-z0-9_-])+)", css)}


def test_the_built_css_has_every_govuk_class_the_pages_use() -> None:
    """Against the CSS `make assets` built (portal/static, as the browser tests use it): every
    govuk-* class written in the portal that the whole framework has a rule for has one here
    too, including the spacing overrides main.scss lists one by one. (Some classes GOV.UK's
    macros write have no rule anywhere, such as `govuk-table__row`.) Classes put together in a
    template (`govuk-input--width-{{ n }}`) are covered by their component's test above."""
    css, full = selectors(BUILT_CSS.read_text()), selectors(FULL_CSS.read_text())
    written = {name for name in classes_used()
               if not name.endswith(("-", "_")) and not SCRIPT_HOOK.match(name)}
    missing = sorted((written & full) - css)
    assert not missing, f"no CSS for {missing}: build it (portal/assets/scss/main.scss)"


def test_no_unused_spacing_override_is_built() -> None:
    css = selectors(BUILT_CSS.read_text())
    built = {name for name in css if name.startswith(("govuk-!-margin", "govuk-!-padding"))}
    assert not built - classes_used(), f"unused: {sorted(built - classes_used())}"
