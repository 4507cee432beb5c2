"""Every question visible: the checks axe has no rule for, on a page's HTML.

- every fieldset has a legend, its first child, with text;
- every radio, date part and checkbox of a group sits in such a fieldset;
- every input, select and textarea has a label with text that is not visually hidden;
- every id that aria-describedby names exists and has text.

Used on the pages the view tests render (tests/test_form_labels.py) and, in the browser tests,
on every page visited (tests/browser/conftest.py).
"""

from __future__ import annotations

from collections import Counter

import html5lib
from lxml import etree

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}
GROUPED_TYPES = {"radio", "checkbox"}
HIDDEN_CLASS = "govuk-visually-hidden"


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _hidden(element: etree._Element) -> bool:
    """Visually hidden or not rendered: the element or one of its ancestors says so."""
    for node in (element, *element.iterancestors()):
        if HIDDEN_CLASS in _classes(node) or node.get("hidden") is not None:
            return True
    return False


def _is_date_part(element: etree._Element) -> bool:
    return "govuk-date-input__input" in _classes(element)


def form_label_problems(html: str) -> list[str]:
    """What is wrong with the page's questions, one line each; [] when all is well."""
    root = html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False)
    return _legend_problems(root) + _label_problems(root) + _description_problems(root)


def _legend_problems(root: etree._Element) -> list[str]:
    problems = []
    for fieldset in root.iter("fieldset"):
        children = [c for c in fieldset if isinstance(c.tag, str)]
        legend = children[0] if children and children[0].tag == "legend" else None
        where = _describe(fieldset)
        if legend is None:
            problems.append(f"fieldset {where}: no legend as its first child")
        elif not _text(legend):
            problems.append(f"fieldset {where}: empty legend")
        elif _hidden(legend):
            problems.append(f"fieldset {where}: legend is visually hidden")
    return problems


def _label_problems(root: etree._Element) -> list[str]:
    labels: dict[str, list[etree._Element]] = {}
    for label in root.iter("label"):
        if label.get("for") and _text(label):
            labels.setdefault(label.get("for"), []).append(label)
    # A single checkbox ("I agree") is its own question; radios and several checkboxes are a group.
    counts = Counter(field.get("name") for field in root.iter("input")
                     if (field.get("type") or "").lower() in GROUPED_TYPES)
    problems = []
    for field in root.iter("input", "select", "textarea"):
        kind = (field.get("type") or "text").lower() if field.tag == "input" else field.tag
        if kind in UNLABELLED_TYPES:
            continue
        name = field.get("id") or field.get("name") or kind
        grouped = kind == "radio" or _is_date_part(field) or (
            kind in GROUPED_TYPES and counts[field.get("name")] > 1)
        if grouped and next(field.iterancestors("fieldset"), None) is None:
            problems.append(f"{kind} {name}: not inside a fieldset with a legend")
        own = labels.get(field.get("id") or "\0", [])
        own += [label for label in field.iterancestors("label") if _text(label)]
        if not own:
            problems.append(f"{kind} {name}: no label with text")
        elif all(_hidden(label) for label in own) and _hidden_label_not_allowed(field):
            problems.append(f"{kind} {name}: label is visually hidden")
    return problems


def _description_problems(root: etree._Element) -> list[str]:
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("aria-describedby"):
            continue
        for target in element.get("aria-describedby").split():
            if target not in by_id:
                problems.append(f"{_describe(element)}: aria-describedby {target!r} is missing")
            elif not _text(by_id[target]):
                problems.append(f"{_describe(element)}: aria-describedby {target!r} is empty")
    return problems


def _hidden_label_not_allowed(field: etree._Element) -> bool:
    """A field may have a visually hidden label only inside a table row that names it."""
    return next(field.iterancestors("td"), None) is None


def _describe(element: etree._Element) -> str:
    ident = element.get("id") or element.get("name")
    return f"<{element.tag}{' ' + ident if ident else ''}>"
