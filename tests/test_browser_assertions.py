"""Browser tests assert what a page shows with Playwright's `expect`, which waits for it.

`assert locator.is_visible()` reads the page once: right after a click the next page may not
have loaded yet, so such a test passes or fails with the machine's load (it failed in CI).
"""

from __future__ import annotations

import ast
from pathlib import Path

BROWSER_TESTS = Path(__file__).parent / "browser"


def visibility_read_once(source: str) -> list[int]:
    """Lines of `source` whose assert reads `is_visible()` instead of waiting for it."""
    return sorted({node.lineno for node in ast.walk(ast.parse(source))
                   if isinstance(node, ast.Assert)
                   for call in ast.walk(node.test)
                   if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                   and call.func.attr == "is_visible"})


def test_the_check_finds_a_visibility_read_once() -> None:
    assert visibility_read_once("def t(page):\n    assert page.get_by_text('x').is_visible()\n"
                                "    expect(page.get_by_text('y')).to_be_visible()\n") == [2]


def test_browser_tests_wait_for_what_they_expect_to_see() -> None:
    found = {path.name: lines for path in sorted(BROWSER_TESTS.glob("*.py"))
             if (lines := visibility_read_once(path.read_text(encoding="utf-8")))}
    assert found == {}, "use expect(locator).to_be_visible(), which waits: " + str(found)
