"""Opening each evidence upload with a parser, and refusing active content (FILE-02).

Recognising a file by its first bytes (uploads.sniff) says what it claims to be; this module
checks that it is one. A PDF is read with pypdf: every object in its cross-reference table is
opened, and the file is refused if it does not parse, if it holds web page markup anywhere (an
HTML/PDF polyglot that a browser could render), or if it holds active content: JavaScript,
launch actions, embedded files, rich media or XFA forms. DOCX and ODT are ZIP archives: every
entry is read through (its checksum checked, within the size limits uploads.py has already
applied from the central directory), and macros, ActiveX controls and embedded programs are
refused. Evidence is read by people; nothing in it needs to run.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from portal.services.errors import PortalError

log = logging.getLogger(__name__)

# Web page markup anywhere in a PDF: a browser told (or guessing) it is HTML would run it.
MARKUP = re.compile(rb"<\s*(?:!doctype|html|script|svg|body|iframe)\b", re.IGNORECASE)
# PDF names that make a document do something rather than show something. Actions (/S) ...
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute",
                            "/GoToE", "/SubmitForm", "/Rendition"})
# ... and keys or types that carry scripts, programs or other files.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/XFA",
                         "/RichMedia", "/RichMediaContent"})
ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/FileAttachment", "/RichMedia", "/Movie",
                          "/Sound", "/Screen"})
# The same names as they appear in the raw bytes: a backstop for objects a damaged cross-reference
# table leaves out, which some readers would still find (short names like /JS would match
# compressed data by chance, so only long ones).
RAW_ACTIVE_NAMES = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia)\b")
MAX_PDF_OBJECTS = 200_000
MAX_NESTING = 64
READ_CHUNK = 64 * 1024

# Office documents: Word macros (vbaProject.bin, and its data part), ActiveX controls, OLE
# objects and macro-enabled files embedded inside; OpenDocument Basic and script macros.
MACRO_PARTS = re.compile(r"(?:^|/)(?:vbaProject\.bin|vbaData\.xml)$|^word/activeX/|"
                         r"^(?:Basic|Scripts)/|\.(?:bin|docm|dotm|xlsm|xltm|xlam|pptm|potm|"
                         r"ppam|exe|dll|js|vbs|bat|cmd|ps1)$", re.IGNORECASE)
MACRO_CONTENT_TYPES = (b"macroEnabled", b"vbaProject", b"ms-office.activeX")
# OpenDocument event handlers that run macros or scripts when the document is opened.
ODF_SCRIPT_MARKERS = (b"script:event-listener", b"<office:scripts", b"<office:script ",
                      b"vnd.sun.star.script:")
ODF_XML_PARTS = ("content.xml", "styles.xml", "settings.xml", "META-INF/manifest.xml")
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError,
              RuntimeError, ValueError, OSError)

NOT_A_PDF = ("The selected file is not a PDF that can be opened. Save or print it as a PDF "
             "again and upload that copy")
PDF_MARKUP = ("The selected PDF contains web page code, which a document does not need. Save "
              "or print it as a PDF again and upload that copy")
PDF_ACTIVE = ("The selected PDF contains {what}, which evidence must not have. Save or print "
              "it as a PDF again without them and upload that copy")
PDF_LOCKED = ("The selected PDF is protected with a password. Upload a copy without a "
              "password")
NOT_A_DOCUMENT = ("The selected file is damaged or is not a {label} that can be opened. Save "
                  "it again and upload that copy")
HAS_MACROS = ("The selected file contains macros or embedded programs, which evidence must not "
              "have. Save it as {label} without macros and upload that copy")


class ContentRejected(PortalError):
    """The file does not parse, or holds active content; `reason` is shown to the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# PDF

def check_pdf(data: bytes) -> None:
    """Refuse a PDF that does not parse or that holds markup or active content."""
    if MARKUP.search(data):
        raise ContentRejected(PDF_MARKUP)
    try:
        found = _active_content(_open_pdf(data))
    except ContentRejected:
        raise
    except Exception as error:
        # A parser fed hostile bytes can fail in any way its authors did not foresee (PyPdfError,
        # struct, zlib, recursion, key and type errors...): each means "not a PDF we accept",
        # never a 500.
        log.info("upload.pdf_unreadable", extra={"error": type(error).__name__})
        raise ContentRejected(NOT_A_PDF) from error
    if found is None and RAW_ACTIVE_NAMES.search(data):
        found = "scripts, actions or attached files"  # in an object the parser did not list
    if found:
        raise ContentRejected(PDF_ACTIVE.format(what=found))


def _open_pdf(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        # Restrictions with no password to open (an empty user password) read as they are.
        try:
            opened = reader.decrypt("")
        except (PyPdfError, NotImplementedError) as error:
            raise ContentRejected(PDF_LOCKED) from error
        if opened == PasswordType.NOT_DECRYPTED:
            raise ContentRejected(PDF_LOCKED)
    if len(reader.pages) == 0:
        raise ContentRejected(NOT_A_PDF)
    return reader


def _active_content(reader: PdfReader) -> str | None:
    """What kind of active content the PDF holds (a phrase for the message), or None."""
    for value in _all_objects(reader):
        for dictionary in _dictionaries(value, depth=0):
            what = _active_in(dictionary)
            if what:
                return what
    return None


def _all_objects(reader: PdfReader) -> Iterator[object]:
    """The trailer and every object the cross-reference table (and object streams) list."""
    yield reader.trailer
    numbers = {number for by_number in reader.xref.values() for number in by_number}
    numbers |= set(reader.xref_objStm)
    if len(numbers) > MAX_PDF_OBJECTS:
        raise ContentRejected(NOT_A_PDF)
    for number in sorted(numbers):
        if number > 0:
            yield reader.get_object(number)


def _dictionaries(value: object, depth: int) -> Iterator[DictionaryObject]:
    """Every dictionary within one object, without following references (every referenced
    object is visited in its own right)."""
    if depth > MAX_NESTING:
        raise ContentRejected(NOT_A_PDF)
    if isinstance(value, IndirectObject):
        return
    if isinstance(value, DictionaryObject):
        yield value
        children: Iterable[Any] = value.values()
    elif isinstance(value, ArrayObject):
        children = value
    else:
        return
    for child in children:
        yield from _dictionaries(child, depth + 1)


def _active_in(dictionary: DictionaryObject) -> str | None:
    keys = {str(key) for key in dictionary}
    action = dictionary.get("/S")
    kind = dictionary.get("/Type"), dictionary.get("/Subtype")
    if "/JS" in keys or "/JavaScript" in keys or action == NameObject("/JavaScript"):
        return "JavaScript"
    if action == NameObject("/Launch"):
        return "an action that starts a program"
    if keys & {"/EmbeddedFiles", "/EF"} or any(k in ACTIVE_TYPES for k in kind if k):
        return "attached files or media"
    if isinstance(action, NameObject) and str(action) in ACTIVE_ACTIONS:
        return "actions that run, send or fetch something"
    if keys & ACTIVE_KEYS:
        return "scripts or interactive forms"
    return None


# DOCX and ODT

def check_office_document(data: bytes, *, label: str, odt: bool) -> None:
    """Read every entry (checksums checked) and refuse macros and embedded programs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_entry_names(entries, label=label)
            for entry in entries:
                _read_through(archive, entry)
            _check_declared_content(archive, entries, label=label, odt=odt)
    except ContentRejected:
        raise
    except (*ZIP_ERRORS, struct.error) as error:
        raise ContentRejected(NOT_A_DOCUMENT.format(label=label)) from error


def _check_entry_names(entries: list[zipfile.ZipInfo], *, label: str) -> None:
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names) or any(
            name.startswith(("/", "\\")) or ".." in name.split("/") or "\\" in name
            for name in names):
        raise ContentRejected(NOT_A_DOCUMENT.format(label=label))  # a crafted archive
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise ContentRejected(NOT_A_DOCUMENT.format(label=label))  # encrypted entries
    if any(MACRO_PARTS.search(name) for name in names):
        raise ContentRejected(HAS_MACROS.format(label=_a(label)))


def _read_through(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Decompress one entry to the end: zipfile checks its CRC and stops at its stated size
    (the sizes were limited from the central directory before, uploads._check_archive_size)."""
    with archive.open(entry) as stream:
        while stream.read(READ_CHUNK):
            pass


def _check_declared_content(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], *,
                            label: str, odt: bool) -> None:
    names = {entry.filename for entry in entries}
    parts = ODF_XML_PARTS if odt else ("[Content_Types].xml",)
    markers = ODF_SCRIPT_MARKERS if odt else MACRO_CONTENT_TYPES
    for part in parts:
        if part in names and _contains(archive, part, markers):
            raise ContentRejected(HAS_MACROS.format(label=_a(label)))


def _contains(archive: zipfile.ZipFile, part: str, markers: tuple[bytes, ...]) -> bool:
    """Whether one entry holds any of the markers (any case), read a chunk at a time."""
    wanted = [marker.lower() for marker in markers]
    overlap = max(len(marker) for marker in wanted) - 1
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(READ_CHUNK):
            window = tail + chunk.lower()
            if any(marker in window for marker in wanted):
                return True
            tail = window[-overlap:]
    return False


def _a(label: str) -> str:
    return ("an " if label[0] in "AEIOU" else "a ") + label
