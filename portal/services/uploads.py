"""Evidence uploads: what we accept, how we store it, and the virus-scanner hook (SECURITY.md B.8).

Files are PDF, DOCX or ODT only, up to UPLOAD_MAX_BYTES, recognised by their content (never by
name or the browser's content type), then opened with a parser and refused if they do not parse
or hold active content (services/upload_content.py). DOCX and ODT are ZIP archives: archives
that claim a huge uncompressed size or too many entries are refused from the central directory
alone, before anything is unpacked (FILE-06); within those limits the parser reads each entry
through a chunk at a time, never whole into memory or onto disk. Bytes are kept outside static/
under a random storage key; the name the person chose is cleaned and kept for display only.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import socket
import struct
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from portal.services import upload_content
from portal.services.errors import PortalError

MAX_ZIP_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # a real document rarely passes 20; bombs reach thousands
MAX_DISPLAY_NAME = 120
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
WORD_MAIN_PART = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str
    label: str


PDF = FileKind("pdf", "application/pdf", "PDF")
DOCX = FileKind("docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "Word document (DOCX)")
ODT = FileKind("odt", "application/vnd.oasis.opendocument.text", "OpenDocument text (ODT)")
KINDS = {kind.extension: kind for kind in (PDF, DOCX, ODT)}
ALLOWED_TYPES_TEXT = "a PDF, a Word document (DOCX) or an OpenDocument text file (ODT)"


class UploadRejected(PortalError):
    """The file is not one we accept; `reason` is a sentence to show the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScannerUnavailable(PortalError):
    """The virus scanner could not give an answer: the upload is refused (fail closed)."""


@dataclass(frozen=True)
class CheckedUpload:
    kind: FileKind
    data: bytes
    display_name: str


def check_upload(data: bytes, filename: str | None, *, max_bytes: int) -> CheckedUpload:
    """Accept a PDF, DOCX or ODT whose content and name agree, or raise UploadRejected."""
    if not data:
        raise UploadRejected("The selected file is empty")
    if len(data) > max_bytes:
        megabytes = max_bytes // (1024 * 1024)
        raise UploadRejected(f"The selected file must be smaller than {megabytes}MB")
    kind = sniff(data)
    name = clean_filename(filename or "", kind)
    stated = Path(filename or "").suffix.lower().lstrip(".")
    if stated != kind.extension:
        raise UploadRejected(f"The file is {_a(kind.label)} but its name does not end in "
                             f".{kind.extension}. Rename it or choose another file")
    try:
        if kind == PDF:
            upload_content.check_pdf(data)
        else:
            upload_content.check_office_document(data, label=kind.label, odt=kind == ODT)
    except upload_content.ContentRejected as refused:
        raise UploadRejected(refused.reason) from refused
    return CheckedUpload(kind=kind, data=data, display_name=name)


def _a(label: str) -> str:
    return ("an " if label[0] in "AEIOU" else "a ") + label


def sniff(data: bytes) -> FileKind:
    """What the bytes are, whatever the file is called."""
    if data.startswith(b"%PDF-"):
        return PDF  # opened and checked whole by upload_content.check_pdf
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    raise UploadRejected("The selected file must be " + ALLOWED_TYPES_TEXT)


def _sniff_zip(data: bytes) -> FileKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            _check_archive_size(entries)
            names = {entry.filename for entry in entries}
            if entries and entries[0].filename == "mimetype":
                if _read_small(archive, entries[0]).strip() == ODT_MIMETYPE \
                        and "content.xml" in names:
                    return ODT
            elif "[Content_Types].xml" in names and "word/document.xml" in names:
                if WORD_MAIN_PART in _read_small(archive, archive.getinfo("[Content_Types].xml")):
                    return DOCX
    except (*upload_content.ZIP_ERRORS, struct.error):  # zlib.error too: damaged entries
        pass
    raise UploadRejected("The selected file must be " + ALLOWED_TYPES_TEXT)


def _check_archive_size(entries: list[zipfile.ZipInfo]) -> None:
    """Refuse archive bombs from the central directory alone, before unpacking anything."""
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRejected("The selected file has too many parts to be a normal document")
    total = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise UploadRejected("The selected file is too large when unpacked to be a normal "
                             "document")


def _read_small(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int = 256 * 1024
                ) -> bytes:
    """At most `limit` bytes of one entry, however large it claims or turns out to be."""
    with archive.open(entry) as stream:
        return stream.read(limit)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]")


def clean_filename(filename: str, kind: FileKind) -> str:
    """A display name: no path, no control or direction-changing characters, at most 120 long.

    Used only to show people which file they uploaded; downloads use a neutral name instead.
    """
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", filename))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = _UNSAFE.sub("", name)
    name = " ".join(name.split())
    stem = name[: -len(kind.extension) - 1] if name.lower().endswith("." + kind.extension) \
        else name
    stem = stem.strip(". ")[: MAX_DISPLAY_NAME - len(kind.extension) - 1].rstrip(". ")
    return f"{stem or 'document'}.{kind.extension}"


class FileStore:
    """Evidence files on disk, under random names in one private directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError("not a storage key")
        return self.root / key

    def write(self, data: bytes) -> str:
        """Store the bytes whole or not at all: a temporary file renamed into place."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(32)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


def scan(data: bytes, address: str | None, *, timeout: float = 30) -> bool:
    """True if clean. With no scanner configured every file counts as clean.

    `address` is clamd's "host:port" or "unix:/path/to/socket". Any failure to get a clear
    answer raises ScannerUnavailable, so an unscanned file is never kept (FILE-07).
    """
    if not address:
        return True
    try:
        with _clamd_connection(address, timeout) as connection:
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), 64 * 1024):
                chunk = data[start:start + 64 * 1024]
                connection.sendall(struct.pack(">I", len(chunk)) + chunk)
            connection.sendall(struct.pack(">I", 0))
            reply = _read_reply(connection)
    except OSError as error:
        raise ScannerUnavailable(str(error)) from error
    if reply.endswith(b"OK"):
        return True
    if reply.endswith(b"FOUND"):
        return False
    raise ScannerUnavailable(reply.decode("ascii", "replace")[:200])


def _clamd_connection(address: str, timeout: float) -> socket.socket:
    if address.startswith("unix:"):
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target: str | tuple[str, int] = address[len("unix:"):]
    else:
        host, _, port = address.rpartition(":")
        connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    connection.settimeout(timeout)
    try:
        connection.connect(target)
    except OSError:
        connection.close()
        raise
    return connection


def _read_reply(connection: socket.socket) -> bytes:
    reply = b""
    while not reply.endswith(b"\0") and len(reply) < 4096:
        chunk = connection.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply.rstrip(b"\0").strip()
