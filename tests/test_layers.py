"""Imports point one way: views -> forms and services -> models (issue 16, acceptance 3).

Read from the source with `ast`, so a forbidden import fails here even inside a function.
Services take what they need from a request as arguments and their settings from the session
(`portal.settings`); they never reach for Flask's request, app or URL building themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parent.parent / "portal"

# For each layer (a folder or module of portal/), the modules it may not import.
FORBIDDEN = {
    "models": ("flask", "portal.services", "portal.views", "portal.forms",
               "portal.privacy_registry", "portal.db", "portal.settings"),
    "services": ("flask", "werkzeug", "portal.views", "portal.forms", "portal.db",
                 "portal.permissions", "portal.security"),
    "forms": ("portal.views",),
    "privacy_registry.py": ("flask", "portal.services", "portal.views", "portal.forms"),
    "settings.py": ("flask", "portal.services", "portal.views", "portal.forms"),
    "caching.py": ("flask", "portal.services", "portal.views", "portal.forms"),
}
# Names that only mean something inside a Flask request or app context.
FLASK_CONTEXT = {"current_app", "request", "url_for", "g", "session", "has_app_context",
                 "has_request_context"}


def modules_of(layer: str) -> list[Path]:
    path = PORTAL / layer
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def imported(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) for every import in the file, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, tuple(a.name for a in node.names)))
    return found


def is_within(module: str, banned: str) -> bool:
    return module == banned or module.startswith(banned + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_downwards(layer: str) -> None:
    wrong = [f"{path.relative_to(PORTAL.parent)}:{line} imports {module}"
             for path in modules_of(layer) for line, module, _names in imported(path)
             if any(is_within(module, banned) for banned in FORBIDDEN[layer])]
    assert not wrong, "\n".join(wrong)


def test_services_use_nothing_of_a_flask_request_or_app() -> None:
    """Not even through another module: no service names current_app, request or url_for."""
    wrong = []
    for path in modules_of("services"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = node.id if isinstance(node, ast.Name) else \
                node.attr if isinstance(node, ast.Attribute) else None
            if name in {"current_app", "url_for", "has_app_context", "has_request_context"}:
                wrong.append(f"{path.relative_to(PORTAL.parent)}:{node.lineno} uses {name}")
        for line, module, names in imported(path):
            if module.split(".")[0] in {"flask", "werkzeug", "flask_login"} \
                    and FLASK_CONTEXT & set(names):
                wrong.append(f"{path.relative_to(PORTAL.parent)}:{line} imports {names}")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The walker finds imports inside functions too, so the tests above can fail."""
    source = tmp_path / "example.py"
    source.write_text("def f():\n    from flask import current_app\n    import portal.views.x\n",
                      encoding="utf-8")
    assert imported(source) == [(2, "flask", ("current_app",)), (3, "portal.views.x", ())]
