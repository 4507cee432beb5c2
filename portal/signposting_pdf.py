"""The signposting card as a one-page A4 PDF, for noticeboards and staff rooms."""

from __future__ import annotations

from flask import current_app
from fpdf import FPDF

from portal.certificates import new_document
from portal.services.signposting import SignpostingCard
from portal.services.support import SupportService

BODY = 9.5
# A full card (every policy element, every service with long opening hours) is set smaller
# until it fits on one sheet; most cards print at full size.
SCALES = (1.0, 0.92, 0.85, 0.78, 0.72, 0.66)
EMERGENCY = ("In an emergency, call 999. If you cannot speak, call 999 from a mobile, stay on "
             "the line and press 55 when you are asked (the Silent Solution).")


def card_pdf(card: SignpostingCard) -> bytes:
    for scale in SCALES:
        pdf = _render(card, scale)
        document = bytes(pdf.output())  # output() also releases the font files
        if pdf.pages_count == 1:
            break
    return document


def _render(card: SignpostingCard, scale: float) -> FPDF:
    pdf = new_document("Signposting card")
    pdf.scale = scale  # read by _text; fpdf2 objects take extra attributes
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    _text(pdf, current_app.config["SCHEME_NAME"], 10, bold=True)
    _text(pdf, "Where to get help", 20, bold=True, after=1)
    _text(pdf, card.organisation.name, 12, after=4)
    _emergency(pdf)
    _heading(pdf, "Talk to a Workplace Champion")
    _text(pdf, "A Workplace Champion will listen, in confidence, and help you find support. "
          "You do not have to give details.", BODY)
    _text(pdf, card.champion_contact or "Ask your HR team how to reach a Workplace Champion.",
          BODY, bold=bool(card.champion_contact))
    _heading(pdf, "What our policy offers you")
    if card.has_policy:
        for point in card.policy_points:
            _text(pdf, f"•  {point}", BODY)
        if card.policy_review_on:
            _text(pdf, f"Next review: {card.policy_review_on.strftime('%-d %B %Y')}", BODY)
    else:
        _text(pdf, "Ask your HR team for a copy of our workplace policy.", BODY)
    _heading(pdf, "Support services")
    for service in [*card.national_services, *card.local_services]:
        _service(pdf, service)
    base_url = current_app.config["BASE_URL"].rstrip("/")
    pdf.ln(2)
    _text(pdf, f"Every service, for every area: {base_url}/support", BODY)
    return pdf


def _emergency(pdf: FPDF) -> None:
    pdf.set_fill_color(243, 242, 241)
    pdf.set_draw_color(212, 53, 28)
    pdf.set_line_width(1)
    pdf.set_font("DejaVu", "B", 10.5 * pdf.scale)
    pdf.multi_cell(0, 5.2 * pdf.scale, EMERGENCY, border="L", fill=True, padding=2.5,
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _service(pdf: FPDF, service: SupportService) -> None:
    _text(pdf, service.name, BODY, bold=True, after=0)
    ways = [part for part in (service.phone and f"Phone {service.phone}",
                              "open 24 hours" if service.open_24_hours else service.hours,
                              service.website_label)
            if part]
    _text(pdf, " · ".join(ways), BODY, after=1.2)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(1)
    _text(pdf, text, 13, bold=True, after=1)


def _text(pdf: FPDF, text: str, size: float, *, bold: bool = False, after: float = 0.8) -> None:
    size *= pdf.scale
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.48, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(after * pdf.scale)
