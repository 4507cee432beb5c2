"""The model workplace policy: versioned Markdown in portal/data/model-policy/, shown as a page and
offered as an editable Word document.

The document is built here with zipfile from the same Markdown: headings, paragraphs, bulleted and
numbered lists, bold and italic. That is everything the model policy uses, and a minimal Office
Open XML package opens in Word, LibreOffice and Google Docs without adding a dependency.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

import markdown
import nh3
import yaml
from markupsafe import Markup

from portal.courses import render_markdown

MODEL_POLICY_DIR = Path(__file__).resolve().parent.parent / "data" / "model-policy"
DOWNLOAD_NAME = "model-workplace-policy.docx"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A fixed timestamp keeps the file byte-for-byte the same for the same Markdown.
FIXED_DATE_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ModelPolicy:
    version: int
    title: str
    effective: date
    page_html: Markup  # GOV.UK-styled, headings starting at h2 under the page's own h1
    document_html: str  # plain structure for the Word document, headings from h1


def parse_model_policy(text: str) -> ModelPolicy:
    """Front matter (version, title, effective) between `---` lines, then the Markdown body."""
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    # Repository content, reviewed like code; sanitised all the same, once, here.
    page = Markup(render_markdown(body))  # noqa: S704  # nosec B704 - sanitised by render_markdown
    return ModelPolicy(version=int(meta["version"]), title=str(meta["title"]),
                       effective=meta["effective"], page_html=page,
                       document_html=nh3.clean(markdown.markdown(body)))


@cache
def model_policies() -> dict[int, ModelPolicy]:
    policies = [parse_model_policy(path.read_text(encoding="utf-8"))
                for path in sorted(MODEL_POLICY_DIR.glob("v*.md"))]
    return {policy.version: policy for policy in policies}


def current_model_policy() -> ModelPolicy:
    """The newest version: the one HR leads read and download."""
    policies = model_policies()
    return policies[max(policies)]


@cache
def model_policy_docx() -> bytes:
    return build_docx(current_model_policy().document_html)


@dataclass
class _Paragraph:
    style: str | None = None
    runs: list[tuple[str, bool, bool]] = field(default_factory=list)  # (text, bold, italic)


class _HtmlToParagraphs(HTMLParser):
    """Walk the (already sanitised) HTML of the Markdown and collect Word paragraphs."""

    BLOCKS = {"h1": "Heading1", "h2": "Heading2", "h3": "Heading3", "h4": "Heading3",
              "p": None, "li": None}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[_Paragraph] = []
        self.current: _Paragraph | None = None
        self.lists: list[list] = []  # stack of [kind, counter]
        self.bold = 0
        self.italic = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("ul", "ol"):
            self._close()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._close()
            self.current = _Paragraph(style="ListParagraph")
            if self.lists:
                self.lists[-1][1] += 1
                kind, number = self.lists[-1]
                self.current.runs.append(("• " if kind == "ul" else f"{number}. ", False, False))
        elif tag in self.BLOCKS:
            self._close()
            self.current = _Paragraph(style=self.BLOCKS[tag])
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "br" and self.current is not None:
            self.current.runs.append(("\n", False, False))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self._close()
            if self.lists:
                self.lists.pop()
        elif tag in self.BLOCKS:
            self._close()
        elif tag in ("strong", "b"):
            self.bold = max(self.bold - 1, 0)
        elif tag in ("em", "i"):
            self.italic = max(self.italic - 1, 0)

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split()) if not data.isspace() else (" " if data else "")
        if data[:1].isspace() and text and not text.startswith(" "):
            text = " " + text
        if data[-1:].isspace() and text and not text.endswith(" "):
            text += " "
        if not text.strip() and self.current is None:
            return
        if self.current is None:
            self.current = _Paragraph()
        self.current.runs.append((text, self.bold > 0, self.italic > 0))

    def _close(self) -> None:
        if self.current is not None and "".join(r[0] for r in self.current.runs).strip():
            self.paragraphs.append(self.current)
        self.current = None


def _run_xml(text: str, bold: bool, italic: bool) -> str:
    properties = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    properties = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    parts = text.split("\n")
    pieces = []
    for index, part in enumerate(parts):
        if index:
            pieces.append("<w:br/>")
        pieces.append(f'<w:t xml:space="preserve">{escape(part)}</w:t>')
    return f"<w:r>{properties}{''.join(pieces)}</w:r>"


def _paragraph_xml(paragraph: _Paragraph) -> str:
    runs = list(paragraph.runs)
    if runs:  # no stray spaces at either end of a paragraph
        text, bold, italic = runs[0]
        runs[0] = (text.lstrip(), bold, italic)
        text, bold, italic = runs[-1]
        runs[-1] = (text.rstrip(), bold, italic)
    style = f'<w:pPr><w:pStyle w:val="{paragraph.style}"/></w:pPr>' if paragraph.style else ""
    return f"<w:p>{style}{''.join(_run_xml(*run) for run in runs if run[0])}</w:p>"


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.styles+xml"/>'
    "</Types>")
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>")
DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>")


def _style(style_id: str, name: str, size: int, *, bold: bool = False, before: int = 0,
           after: int = 160, indent: int = 0) -> str:
    run = f'<w:rPr>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
    spacing = f'<w:spacing w:before="{before}" w:after="{after}"/>'
    indentation = f'<w:ind w:left="{indent}" w:hanging="284"/>' if indent else ""
    outline = ('<w:keepNext/>' if style_id.startswith("Heading") else "")
    return (f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>{outline}{spacing}{indentation}'
            f"</w:pPr>{run}</w:style>")


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:styles xmlns:w="{W}">'
    '<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Arial" w:hAnsi="Arial" '
    'w:cs="Arial" w:eastAsia="Arial"/><w:sz w:val="24"/><w:lang w:val="en-GB"/></w:rPr>'
    '</w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="276" '
    'w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    "<w:qFormat/></w:style>"
    + _style("Heading1", "heading 1", 40, bold=True, before=240, after=240)
    + _style("Heading2", "heading 2", 32, bold=True, before=360, after=160)
    + _style("Heading3", "heading 3", 26, bold=True, before=240, after=120)
    + _style("ListParagraph", "List Paragraph", 24, after=80, indent=567)
    + "</w:styles>")



def build_docx(html: str) -> bytes:
    """A minimal Office Open XML word-processing package holding the HTML's text and structure."""
    parser = _HtmlToParagraphs()
    parser.feed(html)
    parser.close()
    parser._close()
    body = "".join(_paragraph_xml(p) for p in parser.paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W}"><w:body>{body}'
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" '
                'w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" '
                'w:gutter="0"/></w:sectPr></w:body></w:document>')
    parts = [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", PACKAGE_RELS),
             ("word/document.xml", document), ("word/_rels/document.xml.rels", DOCUMENT_RELS),
             ("word/styles.xml", STYLES)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()
