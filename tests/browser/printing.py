"""Documents printed from the browser: the print button and what paper gets."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PAGE_FURNITURE = (".govuk-template__header", ".govuk-footer", ".govuk-exit-this-page",
                  ".portal-no-print", ".govuk-back-link")


def assert_prints_alone(page: Page, button: str, text: str) -> None:
    """The document's print button opens the browser's printing (window.print, from app.js), and
    in print media the document is all there is, its text never justified."""
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name=button).click()
    assert page.evaluate("() => window.printed") == 1
    page.emulate_media(media="print")
    try:
        for hidden in PAGE_FURNITURE:
            expect(page.locator(hidden).first, hidden).not_to_be_visible()
        expect(page.get_by_text(text).first).to_be_visible()
        justified = page.evaluate("""() => [...document.querySelectorAll(".portal-document *")]
            .filter((element) => getComputedStyle(element).textAlign === "justify").length""")
        assert justified == 0
    finally:
        page.emulate_media(media="screen")
