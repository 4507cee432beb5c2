"""A champion takes a module in a real browser: fails, retakes, passes, gets a certificate."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.models import Certificate, Module, OrgRole, QuizAttempt
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.printing import assert_prints_alone
from tests.browser.test_layout import sign_in
from tests.factories import make_organisation, make_user, sync_courses

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "training"


def setup_champion(server: LiveServer) -> tuple[str, dict[str, int]]:
    with server.db() as session:
        sync_courses(session, FIXTURES)
        user = make_user(session, organisation=make_organisation(session),
                         role=OrgRole.CHAMPION, full_name="Łucja Nowak-Öztürk")
        session.commit()
        return user.email, {m.key: m.id for m in session.scalars(select(Module))}


def answer_quiz(page: Page, server: LiveServer, *, right: bool) -> None:
    page.wait_for_url("**/training/attempts/*")  # the quiz page of the attempt just started
    public_id = uuid.UUID(page.url.rsplit("/", 1)[1])
    with server.db() as session:
        attempt = session.scalar(select(QuizAttempt).where(QuizAttempt.public_id == public_id))
        questions = {q["id"]: q for q in attempt.module_version.questions}
        for number, item in enumerate(attempt.drawn, 1):
            keys = [a["key"] for a in questions[item["question"]]["answers"]
                    if a["correct"] == right]
            for key in keys if right else keys[:1]:
                page.check(f"input[name='question-{number}'][value='{key}']")
    assert_accessible(page)
    page.get_by_role("button", name="Submit your answers").click()


def take_module(page: Page, server: LiveServer, module_id: int, *, right: bool) -> None:
    page.goto(f"{server.url}/training/modules/{module_id}")
    assert_accessible(page)
    page.get_by_role("button", name="Start the quiz").or_(
        page.get_by_role("button", name="Continue the quiz")).click()
    answer_quiz(page, server, right=right)
    assert_accessible(page)


def test_fail_retake_pass_certificate_and_verify(page: Page, live_server) -> None:
    email, modules = setup_champion(live_server)
    sign_in(page, live_server, email)
    page.goto(live_server.url + "/training")
    assert_accessible(page)

    take_module(page, live_server, modules["second-module"], right=True)
    expect(page.get_by_text("You passed")).to_be_visible()

    take_module(page, live_server, modules["first-module"], right=False)
    expect(page.get_by_role("heading", name="You did not pass this time")).to_be_visible()
    page.get_by_role("button", name="Try the quiz again").click()
    answer_quiz(page, live_server, right=True)
    expect(page.get_by_text("You passed")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="View and download your certificate").click()
    expect(page.get_by_role("heading", name="Certificate of completion")).to_be_visible()
    expect(page.get_by_text("Łucja Nowak-Öztürk")).to_be_visible()
    expect(
        page.get_by_role("img", name="QR code that opens this certificate’s check"),
    ).to_be_visible()
    assert_accessible(page)
    assert_prints_alone(page, "Print the certificate", "Łucja Nowak-Öztürk")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the certificate (PDF)").click()
    assert download.value.suggested_filename == "certificate.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    with live_server.db() as session:
        code = session.scalar(select(Certificate.code))
    page.goto(f"{live_server.url}/verify/{code}")  # where the certificate's QR code leads
    expect(page.get_by_role("heading", name="This certificate is valid")).to_be_visible()
    expect(page.get_by_text("Ł. N.")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server.url + "/verify")
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_role("heading", name="This certificate is valid")).to_be_visible()
    expect(page.get_by_text("Ł. N.")).to_be_visible()
    assert_accessible(page)
