"""Inviting champions from a CSV file: all or nothing, with a reason for every bad row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, Invitation, OrgRole, OutboxMessage, SchemeStatus
from tests.conftest import csrf_token
from tests.factories import make_member_organisation, make_site, make_user

HEADER = "Full name,Work email,Site,Job title\r\n"


@pytest.fixture
def org(session):
    organisation = make_member_organisation(session, name="Wirral Waste")
    make_site(session, organisation, name="Depot")
    return organisation


@pytest.fixture
def hr(session, org, signed_in):
    return signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))


def multipart(fields: dict[str, str], file: tuple[str, bytes] | None) -> bytes:
    """A multipart body as a browser sends it (the test client would spool big files to disk
    and leave them open)."""
    parts = [f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    if file is not None:
        filename, data = file
        parts.append(f'--b\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                     + data + b"\r\n")
    return b"".join(parts) + b"--b--\r\n"


def upload(client, org, content: bytes | str, filename: str = "champions.csv", **extra):  # noqa: ANN001, ANN201
    data = content.encode() if isinstance(content, str) else content
    fields = {"csrf_token": csrf_token(client, "/dashboard"), **extra}
    return client.post(f"/organisations/{org.id}/champions/upload",
                       data=multipart(fields, (filename, data)),
                       content_type="multipart/form-data; boundary=b")


def counts(session) -> tuple[int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Invitation)),
            session.scalar(select(func.count()).select_from(OutboxMessage)))


def test_the_template_is_a_csv_with_the_headings(hr, org) -> None:
    response = hr.get(f"/organisations/{org.id}/champions/upload/template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="champions-template.csv"'
    assert response.get_data(as_text=True) == "\ufeff" + HEADER


def test_a_good_file_invites_everyone_in_it(hr, session, org) -> None:
    content = ("\ufeff" + HEADER + "Sam Patel,sam@example.org,head office,Driver\r\n"
               "\r\n,,,\r\n"
               '"Nowak-Öztürk, Łucja",lucja@example.org,Depot,\r\n'
               "Jo Murphy,JO@example.org,DEPOT\r\n")
    response = upload(hr, org, content)
    assert response.status_code == 303
    assert "3 invitations sent" in hr.get(response.headers["Location"]).get_data(as_text=True)
    invitations = session.scalars(select(Invitation).order_by(Invitation.id)).all()
    assert [(i.full_name, i.email, i.site.name, i.job_title) for i in invitations] == [
        ("Sam Patel", "sam@example.org", "Head office", "Driver"),
        ("Nowak-Öztürk, Łucja", "lucja@example.org", "Depot", None),
        ("Jo Murphy", "jo@example.org", "Depot", None)]
    assert counts(session) == (3, 3)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "invitations.uploaded"))
    assert event.details == {"count": 3}


def test_a_bad_row_in_the_middle_rejects_the_whole_file(hr, session, org) -> None:
    content = (HEADER + "Sam Patel,sam@example.org,Depot,\r\n"
               "Bad Person,not-an-email,Depot,\r\n"
               "Jo Murphy,jo@example.org,Depot,\r\n")
    response = upload(hr, org, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "we have not invited anyone" in html
    assert "Row 3: enter an email address in the correct format" in html
    assert "Row 2" not in html and "Row 4" not in html
    assert counts(session) == (0, 0)


@pytest.mark.parametrize(("row", "problem"), [
    ("=HYPERLINK(\"https://evil.example\"),a@example.org,Depot,", "the full name must not start "
                                                                "with ="),
    ("+441234,a@example.org,Depot,", "the full name must not start with ="),
    ("-Sam,a@example.org,Depot,", "the full name must not start with ="),
    ("@SUM(A1),a@example.org,Depot,", "the full name must not start with ="),
    ("\tSam,a@example.org,Depot,", "the full name must not start with ="),
    ("Sam,a@example.org,Depot,=1+1", "the job title must not start with ="),
    (",a@example.org,Depot,", "enter the full name"),
    ("Sam,,Depot,", "enter the champion’s work email address"),
    ("Sam,a@b@example.org,Depot,", "enter an email address in the correct format"),
    ("Sam,a@example.org,,", "enter the site"),
    ("Sam,a@example.org,Moon base,", "there is no site called ‘Moon base’. Use one of: Depot, "
                                     "Head office"),
    ("Sam,a@example.org,Depot,Driver,extra", "has more than 4 columns"),
    ("\"Sam\nPatel\",a@example.org,Depot,", "the full name must be on one line"),
    ("S" * 201 + ",a@example.org,Depot,", "the full name must be 200 characters or fewer"),
    ("Sam,a@example.org,Depot," + "j" * 101, "the job title must be 100 characters or fewer"),
])
def test_each_kind_of_bad_row_has_a_reason(hr, session, org, row, problem) -> None:
    html = upload(hr, org, HEADER + "Fine Person,fine@example.org,Depot,\r\n" + row + "\r\n") \
        .get_data(as_text=True)
    assert f"Row 3: {problem}" in html.replace("&#39;", "'").replace("&#34;", '"'), html[-3000:]
    assert counts(session) == (0, 0)


def test_people_already_invited_members_and_repeats_are_rows_with_problems(hr, session,
                                                                          org) -> None:
    make_user(session, organisation=org, role=OrgRole.CHAMPION, email="member@example.org")
    session.commit()
    upload(hr, org, HEADER + "Invited Once,invited@example.org,Depot,\r\n")
    html = upload(hr, org, HEADER + "Member,MEMBER@example.org,Depot,\r\n"
                  "Invited,invited@example.org,Depot,\r\n"
                  "New,new@example.org,Depot,\r\n"
                  "New Again,New@Example.org,Depot,\r\n").get_data(as_text=True)
    assert "Row 2: this person already has a role in your organisation" in html
    assert "Row 3: you have already invited this person" in html
    assert "Row 5: this email address is also on row 4" in html
    assert counts(session) == (1, 1)


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "champions.csv", "must be a CSV file"),
    (HEADER + "Sam,sam@example.org,Depot,\r\n", "champions.xlsx", "must be a CSV file"),
    ("Name,Email\r\nSam,sam@example.org\r\n", "champions.csv", "The first row must be the "
                                                               "column headings"),
    ("Sam,sam@example.org,Depot,\r\n", "champions.csv", "The first row must be the column"),
    ("Full name,Work email,Site,Job title\r\nZoë,zoe@example.org,Depot,\r\n".encode("latin-1"),
     "champions.csv", "must be saved as UTF-8"),
    (b"", "champions.csv", "The selected file is empty"),
    ("   \r\n", "champions.csv", "The selected file is empty"),
    (HEADER, "champions.csv", "The file has no champions in it"),
    (HEADER + '"Sam,' + "x" * 200_000 + ",a@example.org,Depot,\r\n", "champions.csv",
     "could not be read"),
])
def test_files_that_are_not_usable_csv_get_a_clear_message(hr, session, org, content,
                                                           filename, message) -> None:
    response = upload(hr, org, content, filename)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert counts(session) == (0, 0)


def test_no_file_selected(hr, session, org) -> None:
    response = hr.post(f"/organisations/{org.id}/champions/upload",
                       data=multipart({"csrf_token": csrf_token(hr, "/dashboard")}, None),
                       content_type="multipart/form-data; boundary=b")
    assert "Select a CSV file" in response.get_data(as_text=True)


def test_too_many_rows(hr, session, org) -> None:
    rows = "".join(f"Person {n},p{n}@example.org,Depot,\r\n" for n in range(501))
    response = upload(hr, org, HEADER + rows)
    assert "The file has 501 champions. Upload 500 or fewer at a time" in \
        response.get_data(as_text=True)
    assert counts(session) == (0, 0)


def test_a_file_over_the_csv_limit(hr, session, org) -> None:
    big = HEADER + "Sam,sam@example.org,Depot," + "x" * (1024 * 1024) + "\r\n"
    response = upload(hr, org, big)
    assert "must be smaller than 1MB" in response.get_data(as_text=True)


def test_an_oversized_upload_gets_the_friendly_413_page(hr, session, org) -> None:
    response = upload(hr, org, b"x" * (7 * 1024 * 1024))
    assert response.status_code == 413
    assert "The file or form you sent is too large" in response.get_data(as_text=True)
    assert counts(session) == (0, 0)


def test_suspended_organisations_cannot_upload(signed_in, session) -> None:
    org = make_member_organisation(session, scheme_status=SchemeStatus.SUSPENDED)
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    response = upload(client, org, HEADER + "Sam,sam@example.org,Head office,\r\n")
    assert "once the organisation’s membership is approved" in response.get_data(as_text=True)
    assert counts(session) == (0, 0)


def test_extra_form_fields_are_ignored(hr, session, org) -> None:
    other = make_member_organisation(session)
    session.commit()
    upload(hr, org, HEADER + "Sam,sam@example.org,Depot,\r\n", role="hr_lead",
           organisation_id=str(other.id), status="approved")
    invitation = session.scalar(select(Invitation))
    assert invitation.role == OrgRole.CHAMPION and invitation.organisation_id == org.id


def test_names_in_row_problems_are_escaped(hr, session, org) -> None:
    html = upload(hr, org, HEADER + "Sam,sam@example.org,<script>x</script>,\r\n") \
        .get_data(as_text=True)
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
