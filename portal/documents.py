"""Printable documents (certificates, signposting cards) as tagged, accessible PDF.

A document is its page: the same template, rendered inside `documents/layout.html` instead of
`base.html` (`{% extends "documents/layout.html" if pdf else "base.html" %}`, so the page's chrome
is left out), styled by the portal's own stylesheet in print media, and laid out by WeasyPrint as
PDF/UA-1 (a structure tree, the document's language and title, alternative text for figures) with
Debian's Pango. Nothing is fetched while rendering: the stylesheet is read from portal/static and
any other address is refused.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app, render_template
from flask_login import current_user

from portal.extensions import limiter

if TYPE_CHECKING:
    from weasyprint import CSS, Document
    from weasyprint.urls import URLFetcher

# WeasyPrint is imported when the first document is made, not when the portal starts: it takes
# about 32 MB of every process, and most processes (the worker, exports, most web requests)
# never lay out a PDF.

PDF_VARIANT = "pdf/ua-1"
# WeasyPrint warns about each rule of the stylesheet it does not support (media features such as
# min-width, vendor pseudo-elements), which is by design: the stylesheet is the browser's too.
# Errors (a figure without alternative text, a missing language) are still logged.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
# A poster's text: laid out first at the reference size, then at the size that would fill
# POSTER_FILL of the sheet, in half-point steps between the minimum and the maximum (a full
# signposting card fits at about 9.5pt, one with only the national services at about 14pt).
POSTER_REFERENCE_PT = 10.0
POSTER_MINIMUM_PT, POSTER_MAXIMUM_PT, POSTER_STEP_PT = 7.0, 20.0, 0.5
POSTER_FILL = 0.94
# One layout at a time in each process: WeasyPrint does not promise to be thread-safe (gunicorn
# runs threads), and its work is Python under the GIL, so waiting costs next to nothing.
_one_at_a_time = threading.Lock()


def rate_limited(view):  # noqa: ANN001, ANN201
    """A PDF download: a few layouts' work, so each person gets DOCUMENT_LIMIT_PER_ACCOUNT,
    counted across every kind of document."""
    return limiter.shared_limit(lambda: current_app.config["DOCUMENT_LIMIT_PER_ACCOUNT"],
                                scope="documents",
                                key_func=lambda: f"document:{current_user.id}")(view)


class StylesheetMissingError(RuntimeError):
    """portal/static has not been built (`make assets`), so a document cannot be styled."""


def _nothing_fetched() -> URLFetcher:
    """A URL fetcher that refuses every address (images in the stylesheet, links someone might
    inject): a document is made only from its template and the stylesheet given to it."""
    return _nothing_fetched_class()()


@cache
def _nothing_fetched_class() -> type[URLFetcher]:
    from weasyprint.urls import URLFetcher

    class NothingFetched(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None) -> None:  # noqa: ARG002
            raise ValueError(f"documents fetch nothing: {url[:60]}")

    return NothingFetched


@dataclass(frozen=True)
class _Stylesheet:
    path: Path
    modified: float
    css: CSS


_stylesheet: _Stylesheet | None = None


def stylesheet() -> CSS:
    """The portal's stylesheet (portal/static/css/main.css), parsed once per build of it."""
    global _stylesheet
    path = Path(current_app.static_folder) / "css" / "main.css"
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        raise StylesheetMissingError(f"{path} is missing: run `make assets`") from None
    if _stylesheet is None or _stylesheet.path != path or _stylesheet.modified != modified:
        from weasyprint import CSS

        _stylesheet = _Stylesheet(path, modified, CSS(filename=str(path),
                                                      url_fetcher=_nothing_fetched()))
    return _stylesheet.css


def render_pdf(template: str, **context: object) -> PdfDocument:
    """The page `template` as a tagged PDF (PDF/UA-1)."""
    return _pdf(_render(_html(template, context)))


def render_poster(template: str, selector: str, end: str, **context: object) -> PdfDocument:
    """The page `template` as a poster filling one sheet: `selector`, whose sizes all follow its
    font size, set as large as fits on one page. `end` is the id of an element at the end of the
    poster, whose place tells how much of the sheet a size fills: the area of the text grows with
    the square of its size, so one layout at the reference size gives a near guess, and smaller
    steps follow until it fits (two or three layouts, not one for each size)."""
    html = _html(template, context)
    layout = _render(html, _size_css(selector, POSTER_REFERENCE_PT))
    guess = POSTER_REFERENCE_PT * (POSTER_FILL / _filled(layout, end)) ** 0.5
    size = max(POSTER_MINIMUM_PT, min(POSTER_MAXIMUM_PT, round(guess * 2) / 2))
    if size != POSTER_REFERENCE_PT:
        layout = _render(html, _size_css(selector, size))
    while len(layout.pages) > 1 and size > POSTER_MINIMUM_PT:
        size -= POSTER_STEP_PT
        layout = _render(html, _size_css(selector, size))
    return _pdf(layout)


def _size_css(selector: str, size: float) -> str:
    return f"{selector} {{ font-size: {size}pt }}"


def _filled(layout: Document, end: str) -> float:
    """How many sheets the laid-out poster fills, as a fraction: 0.5 is half of the first one."""
    for number, page in enumerate(layout.pages):
        if end in page.anchors:
            return number + max(page.anchors[end][1], 1) / page.height
    raise ValueError(f"no element #{end} in the poster")


@dataclass(frozen=True)
class PdfDocument:
    data: bytes
    pages: int


def _html(template: str, context: dict[str, object]) -> str:
    return render_template(template, pdf=True, **context)


def _render(html: str, extra_css: str = "") -> Document:
    from weasyprint import CSS, HTML

    base_url = current_app.config["BASE_URL"].rstrip("/") + "/"
    with _one_at_a_time:
        stylesheets = [stylesheet()]
        if extra_css:
            stylesheets.append(CSS(string=extra_css, url_fetcher=_nothing_fetched()))
        return HTML(string=html, base_url=base_url, url_fetcher=_nothing_fetched()).render(
            stylesheets=stylesheets, pdf_variant=PDF_VARIANT)


def _pdf(document: Document) -> PdfDocument:
    with _one_at_a_time:
        data = document.write_pdf(pdf_variant=PDF_VARIANT)
    return PdfDocument(data=data, pages=len(document.pages))
