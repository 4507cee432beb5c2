"""PDFs (certificates, and the base for other documents): real text in an embedded Unicode font,
so any name prints correctly."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from fpdf import FPDF

from portal.models import Certificate, User

FONTS = Path(__file__).resolve().parent / "data" / "fonts"
DATE_FORMAT = "%-d %B %Y"


def display_name(full_name: str) -> str:
    """First name and last initial, as /verify shows the holder to anyone with the code."""
    parts = full_name.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0]}."


def new_document(title: str, *, orientation: str = "portrait") -> FPDF:
    """An A4 PDF with a neutral title and the embedded DejaVu fonts (regular and bold)."""
    scheme = current_app.config["SCHEME_NAME"]
    pdf = FPDF(orientation=orientation, format="A4")
    pdf.set_title(f"{title} – {scheme}")
    pdf.set_author(scheme)
    pdf.set_lang("en-GB")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    return pdf


def certificate_pdf(certificate: Certificate, holder: User) -> bytes:
    scheme = current_app.config["SCHEME_NAME"]
    pdf = new_document("Certificate", orientation="landscape")
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    _line(pdf, scheme, 16, bold=True, after=18)
    _line(pdf, "Certificate of completion", 30, bold=True, after=16)
    _line(pdf, "This is to certify that", 14, after=6)
    _line(pdf, holder.full_name, 26, bold=True, after=10)
    _line(pdf, "has completed the course", 14, after=6)
    _line(pdf, certificate.course.title, 20, bold=True, after=14)
    _line(pdf, f"Issued {certificate.issued_at.strftime(DATE_FORMAT)}", 12, after=4)
    if certificate.expires_at is not None:
        _line(pdf, f"Valid until {certificate.expires_at.strftime(DATE_FORMAT)}", 12, after=4)
    base_url = current_app.config["BASE_URL"].rstrip("/")
    _line(pdf, f"Verification code {certificate.code} – check it at {base_url}/verify", 11,
          after=0)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, size: int, *, bold: bool = False, after: int) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(after)
