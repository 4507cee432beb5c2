"""Policy adoption pages: recording elements, evidence uploads and downloads, optimistic locking,
coordinators' verification, the model policy (SECURITY.md B.8; issue acceptance items 3 and 4)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.models import (
    AuditEvent,
    ElementStatus,
    Organisation,
    OrgRole,
    PolicyDocument,
    PolicyElementEvent,
    PolicyElementRecord,
    Tier,
    Verification,
    utcnow,
)
from portal.services import uploads
from portal.services.policy_framework import policy_framework
from tests.conftest import csrf_token
from tests.factories import make_certificate, make_member_organisation, make_user, pdf_document

PDF = pdf_document()
ELEMENT = "/organisations/{org}/policy/written-policy"


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def app(app_factory, upload_dir: Path) -> Flask:
    return app_factory(UPLOAD_DIR=upload_dir)


@pytest.fixture
def org(session):
    return make_member_organisation(session, name="Halton Homes")


@pytest.fixture
def hr_user(session, org):
    return make_user(session, organisation=org, role=OrgRole.HR_LEAD, full_name="Hana Lead")


@pytest.fixture
def hr(hr_user, signed_in):
    return signed_in(hr_user)


@pytest.fixture
def coordinator(session, signed_in):
    return signed_in(make_user(session, is_coordinator=True, full_name="Cora Ordinator"))


def path(org: Organisation, template: str = ELEMENT) -> str:
    return template.format(org=org.id)


def answers(**overrides: object) -> dict:
    values = {"status": "in_place", "in_place_on": ["3", "2", "2026"],
              "review_on": ["3", "2", "2028"], "evidence_note": "Board minute 14/3 approved it.",
              "version": "0"}
    values.update(overrides)
    return values


def multipart(fields: dict, file: tuple[bytes, str] | None) -> bytes:
    """A multipart body built in memory (the test client spools big bodies to unclosed files)."""
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         f"{item}\r\n".encode())
    if file is not None:
        data, filename = file
        parts.append(f'--b\r\nContent-Disposition: form-data; name="document"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
    return b"".join(parts) + b"--b--\r\n"


def save(client, org, data: dict, *, file: tuple[bytes, str] | None = None,  # noqa: ANN001, ANN201
         element: str = ELEMENT, token_from: str | None = None):
    target = element.format(org=org.id)
    form = {"csrf_token": csrf_token(client, token_from or "/dashboard"), **data}
    return client.post(target, data=multipart(form, file),
                       content_type="multipart/form-data; boundary=b")


def records(session: Session) -> list[PolicyElementRecord]:
    session.expire_all()
    return list(session.scalars(select(PolicyElementRecord).order_by(PolicyElementRecord.id)))


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def stored_files(upload_dir: Path) -> list[Path]:
    return sorted(upload_dir.iterdir()) if upload_dir.exists() else []


# The HR lead's pages.

def test_the_list_shows_every_framework_element_and_the_tier(hr, org) -> None:
    page = hr.get(f"/organisations/{org.id}/policy").get_data(as_text=True)
    for element in policy_framework().elements:
        assert element.title in page
    assert "0 of 10 in place" in page and "Committed" in page
    assert "To reach Active:" in page and "Model policy" not in page.split("<title>")[1][:60]
    assert f'href="/organisations/{org.id}/policy/safe-leave"' in page


def test_the_element_page_shows_its_guidance_and_the_form(hr, org) -> None:
    response = hr.get(path(org))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The board, trustees or senior leadership team have formally approved it" in page
    assert 'name="version" value="0"' in page and 'enctype="multipart/form-data"' in page
    assert "<title>Written policy approved by leadership – Workplace Champions</title>" in page
    assert hr.get(f"/organisations/{org.id}/policy/no-such-element").status_code == 404
    assert hr.get(f"/organisations/{org.id}/policy/written_policy").status_code == 404


def test_saving_records_the_element_its_history_and_an_audit_event(hr, session, org) -> None:
    response = save(hr, org, answers())
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organisations/{org.id}/policy"
    [record] = records(session)
    assert (record.element_key, record.status, record.in_place_on, record.review_on) == \
        ("written_policy", ElementStatus.IN_PLACE, date(2026, 2, 3), date(2028, 2, 3))
    assert record.evidence_note == "Board minute 14/3 approved it."
    assert record.verification == Verification.UNVERIFIED and record.version == 1
    [event] = session.scalars(select(PolicyElementEvent)).all()
    assert event.action == "updated" and event.status == ElementStatus.IN_PLACE
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "policy.element_saved"))
    assert audit.details == {"element": "written_policy", "status": "in_place",
                             "document": False}
    page = hr.get(path(org)).get_data(as_text=True)
    assert "Hana Lead" in page and "Board minute 14/3 approved it." in page
    assert 'name="version" value="1"' in page


def test_saving_the_written_policy_can_raise_the_tier(hr, session, org) -> None:
    champion = make_user(session, organisation=org, role=OrgRole.CHAMPION)
    make_certificate(session, champion)
    session.commit()
    save(hr, org, answers())
    session.expire_all()
    assert session.get(Organisation, org.id).tier == Tier.ACTIVE


@pytest.mark.parametrize(("data", "message"), [
    ({"status": ""}, "Select where the organisation is with this"),
    ({"in_place_on": ["", "", ""]}, "Enter the date it came into place"),
    ({"in_place_on": ["31", "2", "2026"]}, "The date it came into place must be a real date"),
    ({"in_place_on": ["3", "", "2026"]}, "The date it came into place must include a month"),
    ({"in_place_on": ["3", "2", "26"]}, "The date it came into place must be a real date"),
    ({"in_place_on": ["x", "2", "2026"]}, "The date it came into place must be a real date"),
    ({"review_on": ["1", "1", "2026"]}, "The review date must be after the date it came into "
                                        "place"),
    ({"evidence_note": "x" * 501}, "The evidence note must be 500 characters or fewer"),
    ({"evidence_note": ""}, "Add an evidence note or upload a document"),
])
def test_bad_input_is_shown_with_the_input_kept(hr, session, org, data: dict,
                                                message: str) -> None:
    response = save(hr, org, answers(**data))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert "There is a problem" in page and "<title>Error: " in page
    if "evidence_note" not in data:
        assert "Board minute 14/3 approved it." in page
    assert records(session) == []


def test_a_future_date_is_refused(hr, session, org) -> None:
    tomorrow = date.today() + timedelta(days=2)
    response = save(hr, org, answers(in_place_on=[str(tomorrow.day), str(tomorrow.month),
                                                  str(tomorrow.year)]))
    assert "must be today or in the past" in response.get_data(as_text=True)
    assert records(session) == []


def test_a_tampered_date_or_version_never_breaks_the_page(hr, session, org) -> None:
    response = save(hr, org, {**answers(), "in_place_on": "3", "review_on": ["1"] * 5})
    assert response.status_code == 200
    response = save(hr, org, answers(version="not-a-number"))
    assert response.status_code == 409 and records(session) == []


def test_elements_not_in_place_need_no_date_or_evidence(hr, session, org) -> None:
    response = save(hr, org, answers(status="in_progress", in_place_on=["", "", ""],
                                     evidence_note=""))
    assert response.status_code == 303
    [record] = records(session)
    assert record.status == ElementStatus.IN_PROGRESS and record.in_place_on is None


def test_changed_evidence_asks_for_verification_again_a_new_review_date_does_not(
        hr, session, org) -> None:
    save(hr, org, answers())
    [record] = records(session)
    record.verification = Verification.VERIFIED
    session.commit()
    save(hr, org, answers(version="2", review_on=["3", "2", "2029"]))
    [record] = records(session)
    assert record.verification == Verification.VERIFIED and record.review_on.year == 2029
    save(hr, org, answers(version="3", review_on=["3", "2", "2029"], evidence_note="New minute."))
    [record] = records(session)
    assert record.verification == Verification.UNVERIFIED


def test_saving_nothing_new_changes_nothing(hr, session, org) -> None:
    save(hr, org, answers())
    response = save(hr, org, answers(version="1"))
    assert response.status_code == 303
    assert "Nothing was changed" in hr.get(f"/organisations/{org.id}/policy").get_data(
        as_text=True)
    assert count(session, PolicyElementEvent) == 1 and records(session)[0].version == 1


def test_a_new_element_preselects_nothing_and_saving_not_started_records_nothing(
        hr, session, org) -> None:
    page = hr.get(path(org)).get_data(as_text=True)
    assert not re.search(r'name="status"[^>]*checked', page)
    response = save(hr, org, {"status": "not_started", "version": "0"})
    assert response.status_code == 303
    assert "Nothing was changed" in hr.get(f"/organisations/{org.id}/policy").get_data(
        as_text=True)
    assert records(session) == [] and count(session, PolicyElementEvent) == 0


# Two HR leads at once (acceptance item 4).

def test_the_second_save_is_refused_with_its_input_kept_and_the_first_intact(
        hr, session, org, signed_in) -> None:
    other = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD,
                                full_name="Omar Other"))
    # Both open the page while nothing is recorded (version 0).
    assert 'name="version" value="0"' in hr.get(path(org)).get_data(as_text=True)
    assert 'name="version" value="0"' in other.get(path(org)).get_data(as_text=True)
    first = save(hr, org, answers(evidence_note="First lead's evidence."))
    assert first.status_code == 303
    second = save(other, org, answers(status="in_progress", evidence_note="Second lead's draft."),
                  file=(PDF, "policy.pdf"))
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Your changes have not been saved" in page
    assert "Second lead&#39;s draft." in page  # their input stays on screen
    assert "First lead&#39;s evidence." in page  # and they see what was saved meanwhile
    assert "Your file was not saved. Choose it again" in page
    assert 'name="version" value="1"' in page  # a deliberate re-save is based on the latest
    [record] = records(session)
    assert record.evidence_note == "First lead's evidence." and record.version == 1
    assert record.status == ElementStatus.IN_PLACE and record.document_id is None
    assert count(session, PolicyElementEvent) == 1 and count(session, PolicyDocument) == 0
    # Saving again from the refreshed form is accepted.
    again = save(other, org, answers(status="in_progress", evidence_note="Second lead's draft.",
                                     version="1"))
    assert again.status_code == 303
    assert records(session)[0].evidence_note == "Second lead's draft."


def test_a_stale_update_is_refused_too(hr, session, org) -> None:
    save(hr, org, answers())
    save(hr, org, answers(version="1", evidence_note="Newer."))
    response = save(hr, org, answers(version="1", evidence_note="Based on the old page."))
    assert response.status_code == 409
    assert records(session)[0].evidence_note == "Newer."


# Uploads and downloads (FILE rows).

def test_a_genuine_pdf_is_stored_privately_and_downloaded_as_an_attachment(
        hr, session, org, upload_dir, coordinator) -> None:
    response = save(hr, org, answers(evidence_note=""), file=(PDF, "../../etc/Board Policy.pdf"))
    assert response.status_code == 303
    [document] = session.scalars(select(PolicyDocument)).all()
    [stored] = stored_files(upload_dir)
    assert stored.name == document.storage_key and re.fullmatch(r"[0-9a-f]{64}", stored.name)
    assert stored.read_bytes() == PDF
    assert document.filename == "Board Policy.pdf" and document.content_type == "application/pdf"
    assert records(session)[0].document_id == document.id
    page = hr.get(path(org)).get_data(as_text=True)
    assert "Board Policy.pdf" in page
    for client in (hr, coordinator):
        download = client.get(f"/organisations/{org.id}/policy/documents/{document.id}")
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["Content-Disposition"] == \
            f'attachment; filename="evidence-{document.id}.pdf"'
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == "sandbox"
        assert "no-store" in download.headers["Cache-Control"]
    assert hr.get(f"/static/../{stored.name}").status_code == 404


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"MZ\x90\x00" + bytes(500), "policy.pdf", "must be a PDF, a Word document"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "policy.pdf",
     "must be a PDF, a Word document"),
    (PDF, "policy.exe", "is a PDF but its name does not end in .pdf"),
    (PDF, "../../app.py", "is a PDF but its name does not end in .pdf"),
    (PDF + bytes(5 * 1024 * 1024), "policy.pdf", "must be smaller than 5MB"),
    # FILE-02: opened by a parser (tests/services/test_uploads.py builds many more).
    (PDF + b"%" + b" " * 5000 + b"\n%<html><script>alert(1)</script>\n", "policy.pdf",
     "contains web page code"),
    (PDF.replace(b"/Type /Catalog", b"/Type /Catalog\n/OpenAction << /S /JavaScript "
                 b"/JS (app.alert\\(1\\)) >>"), "policy.pdf", "contains JavaScript"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 4, "policy.pdf", "not a PDF that can be opened"),
])
def test_unacceptable_files_are_refused_and_nothing_is_kept(hr, session, org, upload_dir,
                                                          data: bytes, name: str,
                                                          message: str) -> None:
    response = save(hr, org, answers(), file=(data, name))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert "Board minute 14/3 approved it." in page
    assert records(session) == [] and count(session, PolicyDocument) == 0
    assert stored_files(upload_dir) == []


def test_a_very_long_name_is_shortened_for_display(hr, session, org) -> None:
    save(hr, org, answers(), file=(PDF, "a" * 300 + ".pdf"))
    [document] = session.scalars(select(PolicyDocument)).all()
    assert len(document.filename) == 120 and document.filename.endswith(".pdf")


def test_an_oversized_request_gets_the_friendly_413_page(hr, session, org, upload_dir) -> None:
    """FILE-01: over MAX_CONTENT_LENGTH, refused before the form is read."""
    response = save(hr, org, answers(), file=(PDF + bytes(7 * 1024 * 1024), "big.pdf"))
    assert response.status_code == 413
    assert "The file or form you sent is too large" in response.get_data(as_text=True)
    assert records(session) == [] and stored_files(upload_dir) == []


def test_another_organisations_document_is_404(hr, session, org, signed_in) -> None:
    """FILE-05: a document is found only through its own organisation."""
    save(hr, org, answers(), file=(PDF, "policy.pdf"))
    [document] = session.scalars(select(PolicyDocument)).all()
    other_org = make_member_organisation(session)
    other_hr = signed_in(make_user(session, organisation=other_org, role=OrgRole.HR_LEAD))
    assert other_hr.get(f"/organisations/{other_org.id}/policy/documents/{document.id}") \
        .status_code == 404
    assert other_hr.get(f"/organisations/{org.id}/policy/documents/{document.id}") \
        .status_code == 404
    champion = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    assert champion.get(f"/organisations/{org.id}/policy/documents/{document.id}") \
        .status_code == 403
    assert hr.get(f"/organisations/{org.id}/policy/documents/999999").status_code == 404


def test_a_storage_failure_is_a_clear_error_with_nothing_half_saved(hr, session, org,
                                                                    upload_dir,
                                                                    monkeypatch) -> None:
    """FILE-08: the disk is full."""
    def full(_store: uploads.FileStore, _data: bytes) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(uploads.FileStore, "write", full)
    response = save(hr, org, answers(), file=(PDF, "policy.pdf"))
    assert response.status_code == 503
    assert "We could not save the file. Try again later" in response.get_data(as_text=True)
    assert records(session) == [] and count(session, PolicyDocument) == 0
    assert stored_files(upload_dir) == []


def test_a_database_failure_removes_the_file_already_written(hr, session, org, upload_dir,
                                                             monkeypatch) -> None:
    """Never a half-written record: the file is written first, and removed if the commit fails."""
    written = []
    real_write = uploads.FileStore.write

    def write(store: uploads.FileStore, data: bytes) -> str:
        written.append(real_write(store, data))
        return written[-1]

    def commit(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(uploads.FileStore, "write", write)
    token = csrf_token(hr, "/dashboard")
    monkeypatch.setattr(Session, "commit", commit)
    response = hr.post(path(org), data=multipart({**answers(), "csrf_token": token},
                                                 (PDF, "policy.pdf")),
                       content_type="multipart/form-data; boundary=b")
    monkeypatch.undo()
    assert response.status_code == 503 and len(written) == 1
    assert stored_files(upload_dir) == []
    assert records(session) == [] and count(session, PolicyDocument) == 0


def test_an_infected_file_is_refused_and_audited(hr, session, org, upload_dir,
                                                 monkeypatch) -> None:
    """FILE-07 with the scanner mocked."""
    monkeypatch.setattr(uploads, "scan", lambda data, address: False)
    response = save(hr, org, answers(), file=(PDF, "policy.pdf"))
    assert "The selected file contains a virus" in response.get_data(as_text=True)
    assert records(session) == [] and stored_files(upload_dir) == []
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.action == "policy.document_rejected"))
    assert event.outcome == "infected" and event.organisation_id == org.id


def test_a_scanner_outage_refuses_the_upload(hr, session, org, upload_dir, monkeypatch) -> None:
    def down(data: bytes, address: str | None) -> bool:
        raise uploads.ScannerUnavailable("timed out")

    monkeypatch.setattr(uploads, "scan", down)
    response = save(hr, org, answers(), file=(PDF, "policy.pdf"))
    assert "We could not check the file for viruses" in response.get_data(as_text=True)
    assert records(session) == [] and stored_files(upload_dir) == []


# Who may see what.

@pytest.mark.parametrize("template", ["/organisations/{org}/policy", ELEMENT,
                                      "/organisations/{org}/model-policy",
                                      "/organisations/{org}/model-policy/download"])
def test_champions_get_403_and_other_organisations_404(session, org, signed_in, client,
                                                       template: str) -> None:
    champion = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    other = signed_in(make_user(session, organisation=make_member_organisation(session),
                                role=OrgRole.HR_LEAD))
    assert champion.get(path(org, template)).status_code == 403
    assert other.get(path(org, template)).status_code == 404
    assert client.get(path(org, template)).status_code == 302


def test_coordinator_pages_are_404_for_everyone_else(hr, org) -> None:
    assert hr.get("/coordinator/policy").status_code == 404
    review = f"/coordinator/organisations/{org.id}/policy/written-policy"
    assert hr.get(review).status_code == 404
    token = csrf_token(hr, "/dashboard")
    assert hr.post(review + "/verify", data={"csrf_token": token}).status_code == 404


# Coordinators verify or return.

def test_the_queue_lists_elements_waiting_oldest_first_with_pages(hr, session, org,
                                                                  coordinator) -> None:
    save(hr, org, answers())
    save(hr, org, answers(), element="/organisations/{org}/policy/safe-leave")
    save(hr, org, answers(status="in_progress"), element="/organisations/{org}/policy/"
                                                          "staff-informed")
    page = coordinator.get("/coordinator/policy").get_data(as_text=True)
    assert "2 waiting" in page
    assert page.index("Written policy approved by leadership") < page.index("Safe leave")
    assert "Staff told about the policy" not in page
    others = [make_member_organisation(session) for _ in range(50)]
    for other in others:
        session.add(PolicyElementRecord(organisation_id=other.id, element_key="safe_leave",
                                        status=ElementStatus.IN_PLACE,
                                        verification=Verification.UNVERIFIED,
                                        updated_at=utcnow() + timedelta(minutes=1)))
    session.commit()
    first = coordinator.get("/coordinator/policy").get_data(as_text=True)
    assert "52 waiting" in first and 'href="/coordinator/policy?page=2"' in first
    second = coordinator.get("/coordinator/policy?page=2").get_data(as_text=True)
    assert second.count("govuk-table__row") == 3  # the header and the 2 left over
    assert coordinator.get("/coordinator/policy?page=x").status_code == 200


def test_verifying_is_audited_kept_in_the_history_and_leaves_the_queue(hr, session, org,
                                                                       coordinator) -> None:
    save(hr, org, answers())
    review = f"/coordinator/organisations/{org.id}/policy/written-policy"
    page = coordinator.get(review).get_data(as_text=True)
    assert "Board minute 14/3 approved it." in page and 'name="verify-version" value="1"' in page
    response = coordinator.post(review + "/verify", data={
        "csrf_token": csrf_token(coordinator, review), "verify-version": "1"})
    assert response.status_code == 303 and response.headers["Location"] == "/coordinator/policy"
    [record] = records(session)
    assert record.verification == Verification.VERIFIED and record.verified_at is not None
    assert session.scalar(select(AuditEvent).where(
        AuditEvent.action == "policy.element_verified")).details == {"element": "written_policy"}
    assert "Nothing is waiting" in coordinator.get("/coordinator/policy").get_data(as_text=True)
    history = hr.get(path(org)).get_data(as_text=True)
    assert "Cora Ordinator" in history and "Verified" in history
    audit = coordinator.get(f"/coordinator/organisations/{org.id}/audit").get_data(as_text=True)
    assert "Policy element verified" in audit and "Policy element updated" in audit
    assert "Written policy approved by leadership" in audit
    assert "Tier changed" in audit and "no tier to Committed" in audit


def test_returning_needs_a_comment_which_the_hr_lead_then_sees(hr, session, org,
                                                                coordinator) -> None:
    save(hr, org, answers())
    review = f"/coordinator/organisations/{org.id}/policy/written-policy"
    token = csrf_token(coordinator, review)
    empty = coordinator.post(review + "/return", data={"csrf_token": token,
                                                       "return-version": "1",
                                                       "return-comment": " "})
    assert empty.status_code == 200
    assert "Enter a comment saying why you are returning it" in empty.get_data(as_text=True)
    long = coordinator.post(review + "/return", data={"csrf_token": token, "return-version": "1",
                                                      "return-comment": "x" * 501})
    assert "500 characters or fewer" in long.get_data(as_text=True)
    assert records(session)[0].verification == Verification.UNVERIFIED
    response = coordinator.post(review + "/return", data={
        "csrf_token": token, "return-version": "1",
        "return-comment": "Please add the board minute itself."})
    assert response.status_code == 303
    [record] = records(session)
    assert record.verification == Verification.RETURNED
    assert record.verification_comment == "Please add the board minute itself."
    assert session.scalar(select(AuditEvent).where(
        AuditEvent.action == "policy.element_returned")) is not None
    listing = hr.get(f"/organisations/{org.id}/policy").get_data(as_text=True)
    assert "Please add the board minute itself." in listing and "Returned" in listing
    # New evidence puts it back in the queue.
    save(hr, org, answers(version=str(record.version), evidence_note="Minute attached."))
    assert records(session)[0].verification == Verification.UNVERIFIED
    assert "1 waiting" in coordinator.get("/coordinator/policy").get_data(as_text=True)


def test_a_decision_on_evidence_changed_meanwhile_is_refused(hr, session, org,
                                                             coordinator) -> None:
    save(hr, org, answers())
    review = f"/coordinator/organisations/{org.id}/policy/written-policy"
    token = csrf_token(coordinator, review)  # the coordinator opens version 1
    save(hr, org, answers(version="1", evidence_note="Changed while they looked."))
    response = coordinator.post(review + "/verify", data={"csrf_token": token,
                                                          "verify-version": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Nothing has been changed" in page and "Changed while they looked." in page
    assert records(session)[0].verification == Verification.UNVERIFIED
    returned = coordinator.post(review + "/return", data={
        "csrf_token": token, "return-version": "1", "return-comment": "My careful comment."})
    assert returned.status_code == 409 and "My careful comment." in returned.get_data(
        as_text=True)


def test_only_elements_in_place_can_be_verified(hr, session, org, coordinator) -> None:
    save(hr, org, answers(status="in_progress", in_place_on=["", "", ""]))
    review = f"/coordinator/organisations/{org.id}/policy/written-policy"
    page = coordinator.get(review).get_data(as_text=True)
    assert "nothing to verify yet" in page and "/verify" not in page
    response = coordinator.post(review + "/verify", data={
        "csrf_token": csrf_token(coordinator, "/dashboard"), "verify-version": "1"})
    assert response.status_code == 303
    assert records(session)[0].verification == Verification.UNVERIFIED


def test_the_coordinator_organisation_page_summarises_the_policy(hr, session, org,
                                                                 coordinator) -> None:
    save(hr, org, answers())
    page = coordinator.get(f"/coordinator/organisations/{org.id}").get_data(as_text=True)
    assert "1 of 10 elements in place, 0 verified, 1 waiting for verification" in page
    assert f'href="/coordinator/organisations/{org.id}/policy/written-policy"' in page
    assert "To reach Active:" in page


# The model policy.

def test_the_model_policy_page_and_its_editable_download(hr, org) -> None:
    page = hr.get(f"/organisations/{org.id}/model-policy").get_data(as_text=True)
    assert "<title>Model policy – Workplace Champions</title>" in page
    assert "What domestic abuse is" in page and 'class="govuk-heading-m"' in page
    response = hr.get(f"/organisations/{org.id}/model-policy/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="model-workplace-policy.docx"'
    assert response.headers["Content-Type"] == uploads.DOCX.content_type
    assert uploads.check_upload(response.data, "model.docx", max_bytes=10**7).kind == uploads.DOCX
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        document = archive.read("word/document.xml").decode()
    assert '<w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t xml:space="preserve">3. What ' \
        "domestic abuse is</w:t>" in document
    assert "<w:b/>" in document and "[Organisation name]" in document
    assert "&amp;" not in document or "&amp;amp;" not in document


# Escaping, the training side of tiers, seed data, and real concurrency.

def test_evidence_and_names_are_escaped_everywhere(hr, session, org, coordinator) -> None:
    """XSS-03: HR leads' text shown to coordinators and back."""
    payload = '<img src=x onerror=alert(1)>"><svg onload=alert(2)>'
    save(hr, org, answers(evidence_note=payload), file=(PDF, "<script>x</script>.pdf"))
    review = f"/coordinator/organisations/{org.id}/policy/written-policy"
    for client, url in ((hr, path(org)), (hr, f"/organisations/{org.id}/policy"),
                        (coordinator, review), (coordinator, "/coordinator/policy")):
        page = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in page and "<svg onload" not in page and "<script>x" not in page


def test_passing_the_champion_course_raises_the_tier(hr, session, org, signed_in) -> None:
    """Quiz completion and certificate issue refresh the tier in the same request."""
    from portal.models import Module
    from tests.factories import sync_courses
    from tests.views.test_training import FIXTURES, complete_course

    sync_courses(session, FIXTURES)
    modules = {m.key: m for m in session.scalars(select(Module))}
    save(hr, org, answers())
    session.expire_all()
    assert session.get(Organisation, org.id).tier == Tier.COMMITTED
    user = make_user(session, organisation=org, role=OrgRole.CHAMPION)
    champion = signed_in(user)
    assert complete_course(champion, session, user, modules) is not None
    session.expire_all()
    assert session.get(Organisation, org.id).tier == Tier.ACTIVE


def test_seed_demo_records_policy_elements_and_verifies_one(app, session) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # once only
    rows = records(session)
    assert [r.element_key for r in rows] == ["written_policy", "staff_informed",
                                             "named_champions", "review_date"]
    assert [r.verification for r in rows].count(Verification.VERIFIED) == 1
    assert sum(r.status == ElementStatus.IN_PLACE for r in rows) == 3
    tiers = session.scalars(select(Organisation.tier)).all()
    assert tiers == [Tier.COMMITTED, Tier.COMMITTED]


@pytest.mark.pg
def test_simultaneous_saves_of_one_element_keep_exactly_one(pg_url, tmp_path) -> None:
    """Two or more HR leads pressing save at the same instant: one wins, the rest are told."""
    from tests.conftest import make_app, sign_in
    from tests.views.test_training import race

    app = make_app(pg_url, UPLOAD_DIR=tmp_path)
    with app.extensions["portal.sessionmaker"]() as session:
        organisation = make_member_organisation(session)
        lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        org_id, email = organisation.id, lead.email
    target = f"/organisations/{org_id}/policy/written-policy"
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    codes = race(app, email, target, answers(), page=target, threads=6)
    assert sorted(codes) == [303] + [409] * 5, codes
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(select(func.count()).select_from(PolicyElementRecord)) == 1
        assert session.scalar(select(func.count()).select_from(PolicyElementEvent)) == 1
    # The same for an update of an existing record (version 1 → 2).
    codes = race(app, email, target, answers(version="1", evidence_note="Changed."),
                 page=target, threads=6)
    assert sorted(codes) == [303] + [409] * 5, codes
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(select(PolicyElementRecord.version)) == 2
        assert session.scalar(select(func.count()).select_from(PolicyElementEvent)) == 2
    app.extensions["portal.engine"].dispose()
