"""Evidence files: types by content, opened by a parser, no active content, archive bombs, clean
names, whole-or-nothing storage, the scanner hook (SECURITY.md FILE-02, FILE-03, FILE-06,
FILE-07, FILE-08). The hostile files are built here, with pypdf's writer and zipfile."""

from __future__ import annotations

import errno
import io
import os
import socket
import struct
import threading
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from portal.services import uploads
from portal.services.model_policy import model_policy_docx
from portal.services.uploads import (
    DOCX,
    ODT,
    PDF,
    FileStore,
    ScannerUnavailable,
    UploadRejected,
    check_upload,
    clean_filename,
    scan,
)
from tests.factories import pdf_document

MAX = 5 * 1024 * 1024
PDF_BYTES = pdf_document()


def pdf_with(change) -> bytes:  # noqa: ANN001 - a function of the writer
    """A real one-page PDF, changed by `change(writer)` before it is written."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def action(kind: str, **entries: object) -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject(kind),
                             **{NameObject(f"/{key}"): value for key, value in entries.items()}})


def open_action(kind: str, **entries: object):  # noqa: ANN201 - a writer change
    def change(writer: PdfWriter) -> None:
        writer._root_object[NameObject("/OpenAction")] = action(kind, **entries)
    return change


def link_annotation(kind: str, **entries: object):  # noqa: ANN201 - a writer change
    """A link on the page whose action is `kind`: active content off the catalogue's path."""
    def change(writer: PdfWriter) -> None:
        link = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(50),
                                              NumberObject(50)]),
            NameObject("/A"): action(kind, **entries)})
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    return change


def docx_bytes(*, content_types: bool = True, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if content_types:
            archive.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.'
                             'xml" ContentType="application/vnd.openxmlformats-officedocument.'
                             'wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odt_bytes(*, mimetype_first: bool = True, content: bytes = b"<office:document-content/>",
              extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if not mimetype_first:
            archive.writestr("content.xml", content)
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_STORED)
        if mimetype_first:
            archive.writestr("content.xml", content)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def claims_size(data: bytes, name: str, size: int) -> bytes:
    """The archive with its central directory claiming `size` unpacked bytes for `name`."""
    start = data.index(b"PK\x01\x02")
    while start != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + name_length] == name.encode():
            data = data[:start + 24] + struct.pack("<I", size) + data[start + 28:]
        start = data.find(b"PK\x01\x02", start + 4)
    return data


@pytest.mark.parametrize(("data", "name", "kind"), [
    (PDF_BYTES, "Our policy.pdf", PDF),
    (docx_bytes(), "policy.DOCX", DOCX),
    (odt_bytes(), "policy.odt", ODT),
    (model_policy_docx(), "model.docx", DOCX),
])
def test_genuine_documents_are_accepted(data: bytes, name: str, kind: uploads.FileKind) -> None:
    checked = check_upload(data, name, max_bytes=MAX)
    assert checked.kind == kind and checked.data == data


@pytest.mark.parametrize(("data", "name"), [
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "policy.pdf"),  # HTML renamed
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200), "policy.pdf"),  # EXE renamed
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "policy.svg"),
    (b"<html><body>hello</body></html>", "policy.html"),
    (docx_bytes(content_types=False), "policy.docx"),  # DOCX missing [Content_Types].xml
    (odt_bytes(mimetype_first=False), "policy.odt"),
    (b"PK\x03\x04not really a zip", "policy.docx"),
    (b"MZ" + docx_bytes(), "policy.docx"),  # an executable with an archive appended
    (b"plain text", "policy.txt"),
])
def test_disguised_or_dangerous_types_are_rejected_with_a_reason(data: bytes, name: str) -> None:
    with pytest.raises(UploadRejected) as rejected:
        check_upload(data, name, max_bytes=MAX)
    assert "must be a PDF, a Word document (DOCX) or an OpenDocument text file (ODT)" in \
        rejected.value.reason


def polyglot() -> bytes:
    """A valid PDF that is also a web page: the markup well past the first 4 KiB, where a check
    of the start alone never looked, inside a comment a PDF reader skips."""
    document = PDF_BYTES
    return document + b"%" + b" " * 5000 + b"\n%<html><script>alert(document.domain)</script>\n"


JAVASCRIPT = TextStringObject("app.alert('hello')")
HOSTILE_PDFS = {
    "polyglot": (polyglot(), "web page code"),
    "open action javascript": (pdf_with(open_action("/JavaScript", JS=JAVASCRIPT)), "JavaScript"),
    "javascript on a link": (pdf_with(link_annotation("/JavaScript", JS=JAVASCRIPT)),
                             "JavaScript"),
    "launch action": (pdf_with(open_action("/Launch", F=TextStringObject("calc.exe"))),
                      "starts a program"),
    "embedded file": (pdf_with(lambda writer: writer.add_attachment("run.exe", b"MZ\x90")),
                      "attached files"),
    "form submission": (pdf_with(link_annotation(
        "/SubmitForm", F=TextStringObject("https://collector.example/"))), "send or fetch"),
    # An object no cross-reference table lists, which a repairing reader would still find.
    "action outside the cross-reference table": (
        PDF_BYTES + b"99 0 obj\n<< /S /Launch /F (calc.exe) >>\nendobj\n", "must not have"),
}


@pytest.mark.parametrize("name", list(HOSTILE_PDFS))
def test_pdfs_with_markup_or_active_content_are_refused_with_a_reason(name: str) -> None:
    """FILE-02: the polyglot (HTML after 4 KiB), JavaScript (opening the file or behind a
    link), launch actions, attached files and form submissions are each refused, saying what
    was found and how to make a clean copy."""
    data, found = HOSTILE_PDFS[name]
    assert uploads.sniff(data) == PDF  # the first bytes alone would have let it through
    with pytest.raises(UploadRejected) as rejected:
        check_upload(data, "policy.pdf", max_bytes=MAX)
    assert found in rejected.value.reason, rejected.value.reason
    assert "upload that copy" in rejected.value.reason


def test_active_content_is_found_by_parsing_not_by_spelling() -> None:
    """FILE-02: a name written with #xx escapes (/J#61vaScript) defeats a byte search, not the
    parser, which reads it as /JavaScript (the damaged offsets are repaired as a reader would)."""
    data = pdf_with(open_action("/JavaScript", JS=JAVASCRIPT))
    disguised = data.replace(b"/S /JavaScript", b"/S /J#61vaScript").replace(b"/JS ", b"/J#53 ")
    assert b"/JavaScript" not in disguised and b"/JS " not in disguised
    with pytest.raises(UploadRejected, match="JavaScript"):
        check_upload(disguised, "policy.pdf", max_bytes=MAX)


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",  # no pages
    b"%PDF-1.7\n" + bytes(range(256)) * 20,  # the signature and noise
    PDF_BYTES[: len(PDF_BYTES) // 2],  # cut short
])
def test_pdfs_that_do_not_parse_are_refused(data: bytes) -> None:
    """FILE-02: a file that starts like a PDF but cannot be opened as one is refused."""
    with pytest.raises(UploadRejected, match="not a PDF that can be opened"):
        check_upload(data, "policy.pdf", max_bytes=MAX)


def test_a_pdf_that_needs_a_password_is_refused_but_restrictions_alone_are_not() -> None:
    locked = pdf_with(lambda writer: writer.encrypt(user_password="open sesame",
                                                    algorithm="RC4-128"))
    with pytest.raises(UploadRejected, match="protected with a password"):
        check_upload(locked, "policy.pdf", max_bytes=MAX)
    restricted = pdf_with(lambda writer: writer.encrypt(user_password="",
                                                        owner_password="owner only",
                                                        algorithm="RC4-128"))
    assert check_upload(restricted, "policy.pdf", max_bytes=MAX).kind == PDF


MACRO_CONTENT_TYPES = ('<Types><Override PartName="/word/document.xml" ContentType="application/'
                       'vnd.ms-word.document.macroEnabled.main+xml"/></Types>')


@pytest.mark.parametrize(("data", "name"), [
    (docx_bytes(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 VBA"}), "policy.docx"),
    (docx_bytes(extra={"word/vbaData.xml": b"<wne:vbaSuppData/>"}), "policy.docx"),
    (docx_bytes(extra={"word/activeX/activeX1.xml": b"<ax:ocx/>"}), "policy.docx"),
    (docx_bytes(extra={"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"}), "policy.docx"),
    (docx_bytes(extra={"[Content_Types].xml.bak": b"x",
                       "customUI/vbaProject.bin": b"VBA"}), "policy.docx"),
    (odt_bytes(extra={"Basic/Standard/Module1.xml": b"<script:module/>"}), "policy.odt"),
    (odt_bytes(extra={"Scripts/python/run.py": b"import os"}), "policy.odt"),
    (odt_bytes(content=b'<office:document-content><office:event-listeners><script:event-'
                       b'listener script:event-name="dom:load" xlink:href="vnd.sun.star.script:'
                       b'Standard.Module1.Main"/></office:event-listeners>'
                       b'</office:document-content>'), "policy.odt"),
])
def test_macro_enabled_documents_are_refused_with_a_reason(data: bytes, name: str) -> None:
    """FILE-02: Word macros (vbaProject.bin and its data), ActiveX controls, embedded OLE
    programs, and OpenDocument Basic or script macros and the events that start them."""
    with pytest.raises(UploadRejected) as rejected:
        check_upload(data, name, max_bytes=MAX)
    assert "contains macros or embedded programs" in rejected.value.reason
    assert "without macros" in rejected.value.reason


def test_a_macro_enabled_word_type_is_refused_even_under_a_docx_name() -> None:
    """FILE-02: a .docm (macro-enabled main part) renamed .docx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", MACRO_CONTENT_TYPES)
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(UploadRejected):
        check_upload(buffer.getvalue(), "policy.docx", max_bytes=MAX)


def test_archives_that_do_not_read_through_are_refused() -> None:
    """FILE-02: every entry is decompressed and its checksum checked: damage is refused."""
    data = docx_bytes(extra={"word/media/notes.txt": b"evidence " * 200})
    damaged = bytearray(data)
    start = data.index(b"word/media/notes.txt") + len("word/media/notes.txt") + 10
    damaged[start] ^= 0xFF  # one byte of the compressed entry
    with pytest.raises(UploadRejected, match="damaged or is not a Word document"):
        check_upload(bytes(damaged), "policy.docx", max_bytes=MAX)



def test_a_damaged_part_read_while_recognising_the_type_is_refused_not_a_crash() -> None:
    """FILE-02: a corrupt deflate stream raises zlib.error, which is not an OSError: it once
    escaped as a 500 while the type was being recognised (found by mutating documents)."""
    data = docx_bytes(extra={})
    damaged = bytearray(data)
    start = data.index(b"[Content_Types].xml") + len("[Content_Types].xml")
    for offset in range(4, 12):
        damaged[start + offset] ^= 0x5A
    with pytest.raises(UploadRejected):
        check_upload(bytes(damaged), "policy.docx", max_bytes=MAX)


def test_name_and_content_must_agree() -> None:
    with pytest.raises(UploadRejected, match="is a PDF but its name does not end in .pdf"):
        check_upload(PDF_BYTES, "policy.docx", max_bytes=MAX)
    with pytest.raises(UploadRejected, match="does not end in .docx"):
        check_upload(docx_bytes(), "policy.exe", max_bytes=MAX)
    with pytest.raises(UploadRejected, match="does not end in .pdf"):
        check_upload(PDF_BYTES, "policy", max_bytes=MAX)


def test_empty_and_oversized_files_are_rejected() -> None:
    with pytest.raises(UploadRejected, match="empty"):
        check_upload(b"", "policy.pdf", max_bytes=MAX)
    with pytest.raises(UploadRejected, match="smaller than 5MB"):
        check_upload(PDF_BYTES + bytes(MAX), "policy.pdf", max_bytes=MAX)


def test_archive_bombs_are_rejected_from_the_directory_alone() -> None:
    """FILE-06: a huge uncompressed size or thousands of entries, refused before unpacking."""
    bomb = claims_size(docx_bytes(extra={"word/media/zeros.bin": bytes(1024)}),
                       "word/media/zeros.bin", 4 * 1024 ** 3 - 1)
    with pytest.raises(UploadRejected, match="too large when unpacked"):
        check_upload(bomb, "policy.docx", max_bytes=MAX)
    dense = docx_bytes(extra={"word/media/zeros.bin": bytes(8 * 1024 * 1024)})
    with pytest.raises(UploadRejected, match="too large when unpacked"):
        check_upload(dense, "policy.docx", max_bytes=MAX)
    many = docx_bytes(extra={f"word/part{n}.xml": b"x" for n in range(2100)})
    with pytest.raises(UploadRejected, match="too many parts"):
        check_upload(many, "policy.docx", max_bytes=MAX)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../app.pdf", "app.pdf"),
    ("..\\..\\windows\\policy.pdf", "policy.pdf"),
    ("/etc/passwd.pdf", "passwd.pdf"),
    ("policy\x00.pdf", "policy.pdf"),
    ("our\r\npolicy.pdf", "ourpolicy.pdf"),
    ("\u202efdp.exe.pdf", "fdp.exe.pdf"),  # right-to-left override removed
    ("policy 🙂 final.pdf", "policy 🙂 final.pdf"),
    ("  ..hidden.pdf  ", "hidden.pdf"),
    ('a<b>c:"d"|e?f*.pdf', "abcdef.pdf"),
    (".pdf", "document.pdf"),
    ("", "document.pdf"),
])
def test_display_names_are_cleaned(name: str, expected: str) -> None:
    assert clean_filename(name, PDF) == expected


def test_very_long_names_keep_their_extension_within_120_characters() -> None:
    cleaned = clean_filename("x" * 500 + ".pdf", PDF)
    assert len(cleaned) == 120 and cleaned.endswith("x.pdf")


def test_store_writes_under_random_keys_and_deletes(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "uploads")
    first, second = store.write(b"one"), store.write(b"one")
    assert first != second and len(first) == 64
    assert store.read(first) == b"one"
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == sorted([first, second])
    store.delete(first)
    store.delete(first)  # already gone: fine
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [second]
    with pytest.raises(ValueError):
        store.read("../../etc/passwd")


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch) -> None:
    """FILE-08: the disk fills up mid-write."""
    store = FileStore(tmp_path)

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        store.write(b"x" * 1000)
    assert list(tmp_path.iterdir()) == []


class FakeClamd:
    """A clamd stand-in on a loopback port that answers INSTREAM with a fixed reply."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.received = b""
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            while not self.received.endswith(b"\0\0\0\0"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                self.received += chunk
            connection.sendall(self.reply)

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


@pytest.mark.parametrize(("reply", "clean"), [(b"stream: OK\0", True),
                                              (b"stream: Eicar-Signature FOUND\0", False)])
def test_scanner_answers_clean_or_infected(reply: bytes, clean: bool) -> None:
    clamd = FakeClamd(reply)
    try:
        assert scan(PDF_BYTES, clamd.address, timeout=5) is clean
    finally:
        clamd.close()
    assert clamd.received.startswith(b"zINSTREAM\0") and PDF_BYTES in clamd.received


def test_scanner_failures_fail_closed() -> None:
    """FILE-07: an unreachable scanner or an unclear answer never lets a file through."""
    clamd = FakeClamd(b"INSTREAM size limit exceeded. ERROR\0")
    try:
        with pytest.raises(ScannerUnavailable):
            scan(PDF_BYTES, clamd.address, timeout=5)
    finally:
        clamd.close()
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    with pytest.raises(ScannerUnavailable):
        scan(PDF_BYTES, f"127.0.0.1:{port}", timeout=2)
    assert scan(PDF_BYTES, None) is True  # no scanner configured (development)
