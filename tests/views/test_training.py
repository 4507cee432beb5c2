"""Taking modules: quizzes graded on the server, completions, certificates (QUIZ rows)."""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from portal.models import (
    Certificate,
    Module,
    ModuleCompletion,
    ModuleVersion,
    OrgRole,
    QuizAttempt,
    utcnow,
)
from tests.conftest import csrf_token, make_app, visible_text
from tests.factories import make_organisation, make_user, sync_courses

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "training"


@pytest.fixture
def courses(session) -> dict[str, Module]:
    sync_courses(session, FIXTURES)
    return {m.key: m for m in session.scalars(select(Module))}


@pytest.fixture
def champion(session):
    organisation = make_organisation(session)
    user = make_user(session, organisation=organisation, role=OrgRole.CHAMPION,
                     full_name="Łucja Nowak-Öztürk")
    session.commit()
    return user


def start(client, module: Module) -> str:
    token = csrf_token(client, f"/training/modules/{module.id}")
    response = client.post(f"/training/modules/{module.id}/quiz", data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def latest_attempt(session, user) -> QuizAttempt:
    session.expire_all()
    return session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user.id)
                           .order_by(QuizAttempt.id.desc())).first()


def answers(attempt: QuizAttempt, *, right: bool) -> dict[str, list[str]]:
    """Form data answering every drawn question, all right or all wrong."""
    questions = {q["id"]: q for q in attempt.module_version.questions}
    data = {}
    for number, item in enumerate(attempt.drawn, 1):
        question = questions[item["question"]]
        pick = [a["key"] for a in question["answers"] if a["correct"] == right]
        data[f"question-{number}"] = pick if right else pick[:1]
    return data


def take(client, session, user, module: Module, *, right: bool):  # noqa: ANN201
    location = start(client, module)
    attempt = latest_attempt(session, user)
    data = answers(attempt, right=right) | {"csrf_token": csrf_token(client, location)}
    return client.post(location, data=data), attempt


def test_your_training_lists_courses_for_the_persons_role(signed_in, session, courses,
                                                          champion) -> None:
    page = signed_in(champion).get("/training").get_data(as_text=True)
    assert "Basics course" in page and "First module" in page and "Not started" in page
    outsider = make_user(session)  # no role in any organisation
    assert "Basics course" not in signed_in(outsider).get("/training").get_data(as_text=True)
    assert signed_in(outsider).get(f"/training/modules/{courses['first-module'].id}") \
        .status_code == 404


def test_module_page_shows_the_content_note_first_then_lesson_then_quiz(signed_in, courses,
                                                                        champion) -> None:
    page = signed_in(champion).get(f"/training/modules/{courses['first-module'].id}") \
        .get_data(as_text=True)
    assert page.index("CONTENT-NOTE-MARKER") < page.index("LESSON-MARKER") \
        < page.index("Start the quiz")
    # Template syntax stays literal (QUIZ-14).
    assert "{{ 7*7 }}" in page and "49" not in visible_text(page)
    assert "<title>Training module – Workplace Champions</title>" in page  # neutral (P6)


def test_quiz_page_never_contains_the_answers(signed_in, session, courses, champion) -> None:
    """QUIZ-01."""
    client = signed_in(champion)
    page = client.get(start(client, courses["first-module"])).get_data(as_text=True)
    for marker in ("FEEDBACK-RIGHT-MARKER", "FEEDBACK-WRONG-MARKER", "EXPLANATION-MARKER",
                   "correct", "data-correct"):
        assert marker not in page
    assert page.count('name="question-') >= 3


def test_draw_and_order_are_stored_and_starting_again_resumes(signed_in, session, courses,
                                                              champion) -> None:
    client = signed_in(champion)
    first = start(client, courses["first-module"])
    assert start(client, courses["first-module"]) == first
    attempt = latest_attempt(session, champion)
    assert len(attempt.drawn) == 3
    assert session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_passing_records_a_completion_and_shows_feedback(signed_in, session, courses,
                                                         champion) -> None:
    client = signed_in(champion)
    response, attempt = take(client, session, champion, courses["first-module"], right=True)
    assert response.status_code == 303
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You passed" in result and "EXPLANATION-MARKER" in result
    assert session.scalar(select(func.count()).select_from(ModuleCompletion)) == 1
    assert "Passed" in client.get("/training").get_data(as_text=True)


def test_failing_shows_feedback_and_allows_a_retake_with_a_new_draw(signed_in, session,
                                                                    courses, champion) -> None:
    client = signed_in(champion)
    response, first = take(client, session, champion, courses["first-module"], right=False)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You did not pass this time" in result and "FEEDBACK-WRONG-MARKER" in result
    assert session.scalar(select(func.count()).select_from(ModuleCompletion)) == 0
    _, second = take(client, session, champion, courses["first-module"], right=True)
    assert second.id != first.id
    assert session.scalar(select(func.count()).select_from(ModuleCompletion)) == 1


def test_forged_score_fields_are_ignored(signed_in, session, courses, champion) -> None:
    """QUIZ-02."""
    client = signed_in(champion)
    location = start(client, courses["first-module"])
    attempt = latest_attempt(session, champion)
    data = answers(attempt, right=False) | {"score": "100", "passed": "1", "correct[]": "x",
                                             "csrf_token": csrf_token(client, location)}
    client.post(location, data=data)
    attempt = latest_attempt(session, champion)
    assert attempt.score == 0 and attempt.passed is False


def test_answers_from_another_question_are_refused(signed_in, session, courses,
                                                   champion) -> None:
    """QUIZ-03: 400, nothing saved."""
    client = signed_in(champion)
    location = start(client, courses["first-module"])
    attempt = latest_attempt(session, champion)
    data = answers(attempt, right=True)
    data["question-1"], data["question-2"] = data["question-2"], data["question-1"]
    data["csrf_token"] = csrf_token(client, location)
    assert client.post(location, data=data).status_code == 400
    assert latest_attempt(session, champion).status == "in_progress"
    data = answers(attempt, right=True) | {"csrf_token": csrf_token(client, location)}
    data["question-1"] = data["question-1"] * 2  # the same answer twice
    assert client.post(location, data=data).status_code == 400


def test_unanswered_questions_are_shown_with_the_answers_kept(signed_in, session, courses,
                                                              champion) -> None:
    client = signed_in(champion)
    location = start(client, courses["first-module"])
    attempt = latest_attempt(session, champion)
    data = answers(attempt, right=True)
    kept = data.pop("question-2")
    data.pop("question-3")
    data["csrf_token"] = csrf_token(client, location)
    response = client.post(location, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Answer question 2" in page
    assert "Answer question 3" in page and "<title>Error: Quiz" in page
    assert f'value="{data["question-1"][0]}" checked' in page
    assert kept  # question 2 stays unanswered: nothing invented
    assert latest_attempt(session, champion).status == "in_progress"


def test_a_second_submission_returns_the_existing_result(signed_in, session, courses,
                                                         champion) -> None:
    """QUIZ-04, QUIZ-06: a resubmitted or stale page never overwrites the recorded answers."""
    client = signed_in(champion)
    location = start(client, courses["first-module"])
    attempt = latest_attempt(session, champion)
    data = answers(attempt, right=True) | {"csrf_token": csrf_token(client, location)}
    first = client.post(location, data=data)
    second = client.post(location, data=answers(attempt, right=False) | {
        "csrf_token": data["csrf_token"]})
    assert first.headers["Location"] == second.headers["Location"]
    assert latest_attempt(session, champion).score == 100
    assert session.scalar(select(func.count()).select_from(ModuleCompletion)) == 1


def test_result_before_submitting_goes_back_to_the_quiz(signed_in, session, courses,
                                                        champion) -> None:
    """QUIZ-08."""
    client = signed_in(champion)
    location = start(client, courses["first-module"])
    assert client.get(location + "/result").headers["Location"] == location


def test_max_attempts_is_enforced(signed_in, session, courses, champion) -> None:
    client = signed_in(champion)
    module = courses["second-module"]
    for _ in range(2):
        take(client, session, champion, module, right=False)
    token = csrf_token(client, f"/training/modules/{module.id}")
    response = client.post(f"/training/modules/{module.id}/quiz", data={"csrf_token": token})
    assert "used all your attempts" in client.get(response.headers["Location"]) \
        .get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(QuizAttempt)) == 2


def test_other_peoples_attempts_and_certificates_are_404(signed_in, session, courses,
                                                         champion) -> None:
    """AUTHZ-06."""
    client = signed_in(champion)
    location = start(client, courses["first-module"])
    colleague = make_user(session, organisation=make_organisation(session),
                          role=OrgRole.CHAMPION)
    other = signed_in(colleague)
    assert other.get(location).status_code == 404
    assert other.get(location + "/result").status_code == 404


def complete_course(client, session, user, courses) -> Certificate:
    take(client, session, user, courses["first-module"], right=True)
    take(client, session, user, courses["second-module"], right=True)
    session.expire_all()
    return session.scalar(select(Certificate).where(Certificate.user_id == user.id))


def test_completing_every_module_earns_a_certificate(signed_in, session, courses,
                                                     champion) -> None:
    client = signed_in(champion)
    certificate = complete_course(client, session, champion, courses)
    assert certificate is not None and len(certificate.code) >= 10
    assert certificate.expires_at.year == certificate.issued_at.year + 2
    page = client.get(f"/training/certificates/{certificate.id}").get_data(as_text=True)
    assert "Łucja Nowak-Öztürk" in page and certificate.code in page
    pdf = client.get(f"/training/certificates/{certificate.id}/pdf")
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="certificate.pdf"'
    other = signed_in(make_user(session))
    assert other.get(f"/training/certificates/{certificate.id}").status_code == 404
    assert other.get(f"/training/certificates/{certificate.id}/pdf").status_code == 404


def test_verify_shows_only_first_name_initial_course_and_dates(client, signed_in, session,
                                                               courses, champion) -> None:
    certificate = complete_course(signed_in(champion), session, champion, courses)
    page = client.get(f"/verify?code={certificate.code.lower()}").get_data(as_text=True)
    assert "This certificate is valid" in page and "Ł. N." in page
    assert "Nowak-Öztürk" not in page and champion.email not in page
    with time_machine.travel(utcnow() + timedelta(days=2 * 366)):
        assert "This certificate has expired" in client.get(
            f"/verify?code={certificate.code}").get_data(as_text=True)
    assert "could not find a certificate" in client.get("/verify?code=NOPE").get_data(
        as_text=True)


def bump(tmp_path: Path, file: str, old: str, new: str) -> Path:
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES, root)
    path = root / "basics" / file
    path.write_text(path.read_text().replace(old, new))
    return root


def test_version_bump_marks_only_that_module_for_refresher(signed_in, session, courses,
                                                           champion, tmp_path) -> None:
    """Acceptance 4: passing v1 then syncing v2 of one module."""
    client = signed_in(champion)
    complete_course(client, session, champion, courses)
    sync_courses(session, bump(tmp_path, "01-first.md", "version: 1", "version: 2"))
    page = client.get("/training").get_data(as_text=True)
    assert page.count("Needs refresher") == 1 and page.count("Passed") == 1
    assert session.scalar(select(func.count()).select_from(ModuleVersion)) == 3


def test_a_typo_fix_asks_nobody_to_redo_anything(signed_in, session, courses, champion,
                                                 tmp_path) -> None:
    client = signed_in(champion)
    complete_course(client, session, champion, courses)
    sync_courses(session, bump(tmp_path, "01-first.md", "Lesson text", "Lesson txet"))
    page = client.get("/training").get_data(as_text=True)
    assert "Needs refresher" not in page and page.count("Passed") == 2
    assert session.scalar(select(func.count()).select_from(ModuleVersion)) == 3


def test_an_attempt_is_graded_on_the_version_it_started_on(signed_in, session, courses,
                                                           champion, tmp_path) -> None:
    """QUIZ-13."""
    client = signed_in(champion)
    location = start(client, courses["second-module"])
    attempt = latest_attempt(session, champion)
    data = answers(attempt, right=True) | {"csrf_token": csrf_token(client, location)}
    sync_courses(session, bump(tmp_path, "02-second.md", "- [x] A\n- [ ] B",
                               "- [ ] A\n- [x] B"))
    client.post(location, data=data)
    assert latest_attempt(session, champion).passed is True


def test_sync_is_idempotent_and_retires_removed_modules(session, courses, tmp_path) -> None:
    sync_courses(session, FIXTURES)
    assert session.scalar(select(func.count()).select_from(ModuleVersion)) == 2
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES, root)
    course = root / "basics" / "course.md"
    course.write_text(course.read_text().replace("  - 02-second\n", ""))
    (root / "basics" / "02-second.md").unlink()
    sync_courses(session, root)
    session.expire_all()
    retired = session.scalar(select(Module).where(Module.key == "second-module"))
    assert retired.retired_at is not None
    assert session.scalar(select(func.count()).select_from(ModuleVersion)) == 2


def test_courses_check_reports_file_and_line(app, tmp_path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\nid: x\ntitle: X\nversion: 1\nquiz:\n  pass_mark: 80\n---\n\n"
                      "<quiz>\nA question?\n- [ ] One\n- [ ] Two\n</quiz>\n")
    result = app.test_cli_runner().invoke(args=["courses", "check", str(broken)])
    assert result.exit_code != 0
    assert "broken.md:9:" in result.output or "broken.md:10:" in result.output


def test_the_real_curriculum_passes_courses_check(app) -> None:
    result = app.test_cli_runner().invoke(args=["courses", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.pg
def test_eight_simultaneous_submissions_make_one_result(pg_url) -> None:
    """QUIZ-05: one submission, one completion, one certificate, no 500."""
    app = make_app(pg_url)
    with app.extensions["portal.sessionmaker"]() as session:
        sync_courses(session, FIXTURES)
        modules = {m.key: m for m in session.scalars(select(Module))}
        user = make_user(session, organisation=make_organisation(session),
                         role=OrgRole.CHAMPION)
        session.commit()
        client = signed_in_client(app, user.email)
        take(client, session, user, modules["first-module"], right=True)
        location = start(client, modules["second-module"])
        attempt = latest_attempt(session, user)
        data = answers(attempt, right=True)
    codes = race(app, user.email, location, data, page=location, threads=8)
    assert all(code in (303, 409) for code in codes), codes
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(select(func.count()).select_from(ModuleCompletion)
                              .where(ModuleCompletion.attempt_id == attempt.id)) == 1
        assert session.scalar(select(func.count()).select_from(Certificate)) == 1
    app.extensions["portal.engine"].dispose()


def signed_in_client(app: Flask, email: str):  # noqa: ANN201
    from tests.conftest import sign_in
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def race(app: Flask, email: str, path: str, data: dict, *, page: str, threads: int) -> list[int]:
    """POST `data` to `path` from `threads` signed-in clients at the same instant."""
    clients = [signed_in_client(app, email) for _ in range(threads)]
    payloads = [data | {"csrf_token": csrf_token(c, page)} for c in clients]
    barrier, codes = threading.Barrier(threads), []

    def post(client, payload) -> None:  # noqa: ANN001
        barrier.wait()
        codes.append(client.post(path, data=payload).status_code)

    workers = [threading.Thread(target=post, args=pair)
               for pair in zip(clients, payloads, strict=True)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return codes


@pytest.mark.pg
def test_simultaneous_starts_make_one_attempt(pg_url) -> None:
    """QUIZ-07: at most one attempt in progress per person and module."""
    app = make_app(pg_url)
    with app.extensions["portal.sessionmaker"]() as session:
        sync_courses(session, FIXTURES)
        module = session.scalar(select(Module).where(Module.key == "first-module"))
        user = make_user(session, organisation=make_organisation(session),
                         role=OrgRole.CHAMPION)
        session.commit()
        module_id = module.id
    codes = race(app, user.email, f"/training/modules/{module_id}/quiz", {},
                 page=f"/training/modules/{module_id}", threads=6)
    assert codes == [303] * 6
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    app.extensions["portal.engine"].dispose()
