"""Certificates and signposting cards as PDFs (portal/documents.py): each made from its page's own
template and stylesheet, tagged for accessibility (PDF/UA-1: a structure tree, marked content, the
document's language and title, alternative text for the QR code) and saying what the page says."""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import html5lib
from pypdf import PdfReader

from portal import clock, documents
from portal.models import Borough, ElementStatus, Membership, OrgRole, PolicyElementRecord
from portal.services.policy_framework import policy_framework
from portal.services.signposting import NATIONAL_SERVICE_KEYS
from portal.services.two_factor import qr_code
from portal.views.formatting import govuk_date
from tests.conftest import sign_in
from tests.factories import (
    make_certificate,
    make_course,
    make_member_organisation,
    make_support_service,
    make_user,
)

# Set DOCUMENTS_DUMP to a folder to keep the PDFs the tests make, to look at them.
DUMP = os.environ.get("DOCUMENTS_DUMP")


def pdf_of(response, name: str) -> PdfReader:  # noqa: ANN001
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    if DUMP:
        (Path(DUMP) / name).write_bytes(response.data)
    return PdfReader(io.BytesIO(response.data))


def tokens(text: str) -> list[str]:
    """The words and numbers of a text, in order, without punctuation, bullets or spacing."""
    return re.findall(r"\w+", text)


def article_text(html: str) -> str:
    """The text of the page's document (its <article>) as a reader of the page meets it; an SVG's
    <title> is its alternative text, which the PDF carries as the figure's, not as text."""
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    article = tree.find(".//article")
    assert article is not None
    for parent in article.iter():
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "title":
                parent.remove(child)
    return " ".join(article.itertext())


def pdf_text(reader: PdfReader) -> str:
    return " ".join(page.extract_text() for page in reader.pages)


def text_sizes(reader: PdfReader) -> dict[str, float]:
    """Each line of the first page with the size it is set at, in points."""
    sizes: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.setdefault(text.strip(), round(size * tm[3] * cm[3], 2))

    reader.pages[0].extract_text(visitor_text=visit)
    return sizes


def structure(reader: PdfReader) -> list[tuple[str, str]]:
    """The structure tree's elements, in reading order, as (type, alternative text)."""
    found = []

    def walk(node) -> None:  # noqa: ANN001
        node = node.get_object()
        found.append((node["/S"], str(node.get("/Alt", ""))))
        children = node.get("/K", [])
        for child in children if isinstance(children, list) else [children]:
            child = child.get_object()
            if hasattr(child, "keys") and "/S" in child:
                walk(child)

    root = reader.trailer["/Root"]["/StructTreeRoot"]["/K"]
    for node in root if isinstance(root, list) else [root]:
        walk(node)
    return found


def assert_tagged(reader: PdfReader, title: str) -> None:
    """What a PDF/UA checker looks at first: the catalogue says the content is marked and in
    which language, a structure tree orders it, and the title is shown rather than the file name."""
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "en-GB"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == f"{title} – Workplace Champions"
    kinds = [kind for kind, _ in structure(reader)]
    assert kinds[0] == "/Document" and "/H1" in kinds and "/P" in kinds


def assert_no_pdf_ua_errors(caplog) -> None:  # noqa: ANN001
    """WeasyPrint logs an error for what PDF/UA requires and the document lacks (an image without
    alternative text, no language); the portal keeps its errors (portal/documents.py)."""
    errors = [r.getMessage() for r in caplog.records
              if r.name.startswith("weasyprint") and r.levelno >= logging.ERROR]
    assert errors == []


def certificate_for(session, holder, title: str = "Champion essentials"):  # noqa: ANN001, ANN201
    return make_certificate(session, holder, make_course(session, title=title))


def test_the_certificate_pdf_is_tagged_and_says_what_its_page_says(session, signed_in, client,
                                                                    caplog) -> None:
    organisation = make_member_organisation(session, name="Halton Homes")
    holder = make_user(session, organisation=organisation, role=OrgRole.CHAMPION,
                       full_name="Łucja Nowak-Öztürk")
    certificate = certificate_for(session, holder)
    champion = signed_in(holder)
    page = champion.get(f"/training/certificates/{certificate.id}").get_data(as_text=True)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = pdf_of(champion.get(f"/training/certificates/{certificate.id}/pdf"),
                     "certificate.pdf")
    assert_no_pdf_ua_errors(caplog)

    assert_tagged(pdf, "Certificate")
    assert len(pdf.pages) == 1
    assert pdf.pages[0].mediabox.width > pdf.pages[0].mediabox.height  # landscape A4
    assert tokens(pdf_text(pdf)) == tokens(article_text(page))
    address = f"portal.test/verify/{certificate.code}"
    for content in ("Łucja Nowak-Öztürk", "of Halton Homes", "Champion essentials",
                    f"Issued {govuk_date(certificate.issued_at)}",
                    f"Valid until {govuk_date(certificate.expires_at)}",
                    f"Verification code {certificate.code}"):
        assert " ".join(content.split()) in " ".join(pdf_text(pdf).split()), content
    assert address in pdf_text(pdf).replace("\n", "")
    # The QR code is a figure with alternative text, and encodes the certificate's own page.
    assert ("/Figure", f"QR code that opens this certificate’s check at {address}") \
        in structure(pdf)
    assert f'd="{qr_code("https://" + address).path}"' in page
    checked = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate is valid" in checked and "Ł. N." in checked
    # Initials only, unless the holder chooses otherwise; the organisation is shown (issue 23).
    assert "Nowak-Öztürk" not in checked and "Halton Homes" in checked


def test_the_certificate_names_the_holders_current_employers(session, signed_in) -> None:
    holder = make_user(session, organisation=make_member_organisation(session, name="Alder Foods"),
                       role=OrgRole.CHAMPION)
    session.add(Membership(user=holder, role=OrgRole.HR_LEAD,
                           organisation=make_member_organisation(session, name="Birch Care")))
    session.add(Membership(user=holder, role=OrgRole.CHAMPION, withdrawn_at=clock.now(),
                           organisation=make_member_organisation(session, name="Cedar Ltd")))
    certificate = certificate_for(session, holder)
    client = signed_in(holder)
    pdf = pdf_text(pdf_of(client.get(f"/training/certificates/{certificate.id}/pdf"),
                          "certificate-two-employers.pdf"))
    assert "of Alder Foods and Birch Care" in " ".join(pdf.split())
    assert "Cedar" not in pdf

    coordinator = make_user(session, is_coordinator=True, full_name="Dana Coordinator")
    certificate = certificate_for(session, coordinator)
    page = signed_in(coordinator).get(f"/training/certificates/{certificate.id}")
    text = " ".join(article_text(page.get_data(as_text=True)).split())
    assert "This is to certify that Dana Coordinator has completed the course" in text


def full_card(session):  # noqa: ANN001, ANN201
    organisation = make_member_organisation(session, name="Halton <Homes> & Co",
                                            champion_contact="Email champions@halton.example")
    for key in NATIONAL_SERVICE_KEYS:
        make_support_service(session, key=key, name=f"Helpline {key}", open_24_hours=True)
    for n in range(8):
        make_support_service(session, name=f"Liverpool service {n}", boroughs=["liverpool"],
                             phone=f"0151 496 {n:04d}",
                             hours="Monday to Friday, 9am to 5pm, and some evenings " * 3)
    today = clock.today()
    for element in policy_framework().elements:
        session.add(PolicyElementRecord(organisation_id=organisation.id,
                                        element_key=element.key, status=ElementStatus.IN_PLACE,
                                        in_place_on=today, review_on=today + timedelta(days=700)))
    return organisation


def test_the_card_pdf_is_a_tagged_one_page_poster_saying_what_its_page_says(session, signed_in,
                                                                            caplog) -> None:
    organisation = full_card(session)
    client = signed_in(make_user(session, organisation=organisation, role=OrgRole.CHAMPION))
    path = f"/organisations/{organisation.id}/signposting-card"
    page = client.get(path).get_data(as_text=True)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = pdf_of(client.get(path + "/pdf"), "card.pdf")
    assert_no_pdf_ua_errors(caplog)

    assert_tagged(pdf, "Signposting card")
    assert len(pdf.pages) == 1
    assert tokens(pdf_text(pdf)) == tokens(article_text(page))
    text = " ".join(pdf_text(pdf).split())
    assert "Halton <Homes> & Co" in text
    for key in NATIONAL_SERVICE_KEYS:
        assert f"Helpline {key} Phone 0808 2000 247, open 24 hours" in text
    for n in range(5):  # the card lists five local services
        assert f"Liverpool service {n} Phone 0151 496 {n:04d}." in text
    assert "In an emergency, call 999" in text and "press 55" in text
    assert "Email champions@halton.example" in text
    kinds = [kind for kind, _ in structure(pdf)]
    assert kinds.count("/H2") >= 4 and "/L" in kinds and "/Link" in kinds


def test_a_card_with_less_on_it_is_set_larger_to_fill_the_sheet(session, signed_in) -> None:
    full = full_card(session)
    sparse = make_member_organisation(session, name="Knowsley Bakery")
    sparse.sites[0].borough = Borough.KNOWSLEY  # no local services there: the national ones only
    sizes = {}
    for organisation in (full, sparse):
        client = signed_in(make_user(session, organisation=organisation, role=OrgRole.HR_LEAD))
        pdf = pdf_of(client.get(f"/organisations/{organisation.id}/signposting-card/pdf"),
                     f"card-{organisation.id}.pdf")
        assert len(pdf.pages) == 1
        sizes[organisation] = text_sizes(pdf)["Where to get help"]
    # Poster sizes: the sparse card's heading is far larger, the full one's still legible.
    assert sizes[sparse] >= 1.3 * sizes[full] and sizes[full] >= 16


def test_pdf_downloads_are_rate_limited_per_person(app_factory, session) -> None:
    """REL-17 (15.1.3): each PDF is a few layouts' work, so each person gets a few an hour."""
    organisation = make_member_organisation(session)
    first, second = (make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
                     for _ in range(2))
    certificate = certificate_for(session, first)
    session.commit()
    app = app_factory(DOCUMENT_LIMIT_PER_ACCOUNT="2 per hour")
    clients = {}
    for person in (first, second):
        clients[person] = app.test_client()
        assert sign_in(clients[person], person.email).status_code == 303
    card = f"/organisations/{organisation.id}/signposting-card"
    statuses = [clients[first].get(card + "/pdf").status_code,
                clients[first].get(f"/training/certificates/{certificate.id}/pdf").status_code,
                clients[first].get(card + "/pdf").status_code]
    assert statuses == [200, 200, 429]
    # The pages themselves, and other people's downloads, are not held back.
    assert clients[first].get(card).status_code == 200
    assert clients[second].get(card + "/pdf").status_code == 200


def test_documents_fetch_nothing(app) -> None:
    """A document is its template and the portal's stylesheet: an address in either (an image, a
    stylesheet) is never fetched, so a PDF cannot be made to call out (SSRF) or wait on a host."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            self.send_error(404)

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}"
    html = (f'<html lang="en-GB"><head><title>T</title>'
            f'<link rel="stylesheet" href="{address}/s.css"></head>'
            f'<body><img src="{address}/i.png" alt="x"><p>Text</p></body></html>')
    try:
        with app.test_request_context():
            document = documents._render(html)
    finally:
        server.shutdown()
        server.server_close()
    assert len(document.pages) == 1 and asked == []


def test_the_qr_codes_page_checks_any_code_it_is_given(session, client) -> None:
    """/verify/<code>, where a certificate's QR code leads: the same check as the form, for a code
    typed from paper as well (lower case, spaces), and a clear answer for one that is not a code."""
    holder = make_user(session, full_name="Zoë Adeyemi-Clarke")
    certificate = certificate_for(session, holder)
    session.commit()
    typed = client.get(f"/verify/{certificate.code.lower()}").get_data(as_text=True)
    assert "This certificate is valid" in typed and "Z. A." in typed
    for wrong in ("NOTACODE", "x" * 500, "%3Cscript%3E"):
        response = client.get(f"/verify/{wrong}")
        assert response.status_code == 200
        assert "We could not find a certificate with that code" in response.get_data(as_text=True)
