"""The learner's side: Your training, modules, quizzes, results and certificates."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import documents
from portal.certificates import certificate_context, certificate_pdf, employers
from portal.db import get_session, reads_only
from portal.forms.base import search_text
from portal.models import Certificate, Course, Module, ModuleVersion, QuizAttempt, User, utcnow
from portal.models.training import REVOCATION_REASONS
from portal.permissions import public, refuse, sign_in_required
from portal.services import lessons, member_list, training, your_training
from portal.services.credentials import holder_name
from portal.views.helpers import attachment

bp = Blueprint("training", __name__)


def _visible_module(module_id: int) -> Module:
    """A module of a course this person may take, or 404."""
    module = get_session().get(Module, module_id, options=[joinedload(Module.course)])
    if module is None or module.retired_at is not None or module.current_version_id is None:
        abort(404)
    if not is_course_for(current_user, module.course):
        abort(404)
    return module


def is_course_for(user: User, course: Course) -> bool:
    return your_training.course_is_for(user, course.audience, course.retired_at)


def _own_attempt(attempt_id: uuid.UUID) -> QuizAttempt:
    attempt = get_session().scalar(
        select(QuizAttempt).options(joinedload(QuizAttempt.module_version)
                                    .joinedload(ModuleVersion.module).joinedload(Module.course))
        .where(QuizAttempt.public_id == attempt_id, QuizAttempt.user_id == current_user.id))
    if attempt is None:
        refuse(404, "not_own_attempt")  # someone else's attempt reveals nothing (AUTHZ-06)
    return attempt


def _own_certificate(certificate_id: int) -> Certificate:
    certificate = get_session().scalar(select(Certificate).where(
        Certificate.id == certificate_id, Certificate.user_id == current_user.id))
    if certificate is None:
        refuse(404, "not_own_certificate", target_type="certificate", target_id=certificate_id)
    return certificate


@bp.route("/training")
@reads_only
@sign_in_required
def index() -> ResponseReturnValue:
    return render_template("training/index.html",
                           overview=your_training.overview(get_session(), current_user,
                                                           utcnow()))


@bp.route("/training/courses/<int:course_id>")
@reads_only
@sign_in_required
def course(course_id: int) -> ResponseReturnValue:
    progress = training.learner_progress(get_session(), current_user, utcnow())
    found = next((p for p in progress if p.course.id == course_id), None)
    if found is None:
        abort(404)
    now = utcnow()
    latest = training.latest_certificate(get_session(), current_user.id, found.course)
    return render_template(
        "training/course.html", progress=found, latest=latest,
        renewal=training.renewal_state(latest, found.course, now) if latest else None,
        renewal_closes=training.renewal_closes(latest, found.course) if latest else None,
        attended=training.attended_live_session(get_session(), current_user.id, found.course,
                                                now, latest=latest))


@bp.route("/training/modules/<int:module_id>")
@reads_only
@sign_in_required
def module(module_id: int) -> ResponseReturnValue:
    found = your_training.module_page(get_session(), current_user, module_id)
    if found is None:
        abort(404)
    return render_template("training/module.html", module=found,
                           version=lessons.lesson(get_session(), found.current_version_id))


@bp.route("/training/modules/<int:module_id>/quiz", methods=["POST"])
@sign_in_required
def start_quiz(module_id: int) -> ResponseReturnValue:
    found = _visible_module(module_id)
    session = get_session()
    try:
        attempt = training.start_attempt(session, current_user, found)
    except training.AttemptLimitReachedError:
        flash("You have used all your attempts at this quiz. Ask your organisation’s HR lead "
              "what to do next, or use Contact at the bottom of the page to ask the scheme "
              "team.", "info")
        return redirect(url_for("training.module", module_id=module_id), code=303)
    session.commit()
    return redirect(url_for("training.quiz", attempt_id=attempt.public_id), code=303)


def _selected_answers(attempt: QuizAttempt) -> dict[str, list[str]]:
    """Answers from the form, by question position; unknown fields are ignored (QUIZ-02)."""
    selected = {}
    for number, item in enumerate(attempt.drawn, 1):
        chosen = request.form.getlist(f"question-{number}")
        if chosen:
            selected[item["question"]] = chosen
    return selected


@bp.route("/training/attempts/<uuid:attempt_id>", methods=["GET", "POST"])
@reads_only
@sign_in_required
def quiz(attempt_id: uuid.UUID) -> ResponseReturnValue:
    attempt = _own_attempt(attempt_id)
    if attempt.status != training.AttemptStatus.IN_PROGRESS:
        return redirect(url_for("training.result", attempt_id=attempt_id), code=303)
    selected, missing = {}, []
    if request.method == "POST":
        selected = _selected_answers(attempt)
        try:
            training.submit_attempt(get_session(), attempt, selected)
        except training.InvalidAnswerError:
            abort(400)
        except training.UnansweredQuestionsError as error:
            missing = error.question_ids
        else:
            get_session().commit()
            return redirect(url_for("training.result", attempt_id=attempt_id), code=303)
    return render_template("training/quiz.html", attempt=attempt, selected=selected,
                           missing=missing, questions=_questions(attempt))


def _questions(attempt: QuizAttempt) -> dict[str, dict]:
    return {q["id"]: q for q in attempt.module_version.questions}


@bp.route("/training/attempts/<uuid:attempt_id>/result")
@reads_only
@sign_in_required
def result(attempt_id: uuid.UUID) -> ResponseReturnValue:
    attempt = _own_attempt(attempt_id)
    if attempt.status != training.AttemptStatus.SUBMITTED:
        return redirect(url_for("training.quiz", attempt_id=attempt_id), code=303)
    module = get_session().get(Module, attempt.module_id)
    certificate = get_session().scalar(select(Certificate).join(
        Certificate.course).where(Certificate.user_id == current_user.id,
                                  Course.id == module.course_id)
        .order_by(Certificate.issued_at.desc()).limit(1))
    progress = training.learner_progress(get_session(), current_user, utcnow())
    course = next((p for p in progress if p.course.id == module.course_id), None)
    following = training.next_module_after(course, module.id) if course else None
    return render_template("training/result.html", attempt=attempt, module=module,
                           questions=_questions(attempt), certificate=certificate,
                           next_module=following)


@bp.route("/training/certificates/<int:certificate_id>")
@reads_only
@sign_in_required
def certificate(certificate_id: int) -> ResponseReturnValue:
    found = _own_certificate(certificate_id)
    return render_template("training/certificate.html",
                           **certificate_context(found, current_user))


@bp.route("/training/certificates/<int:certificate_id>/pdf")
@sign_in_required
@documents.rate_limited
def certificate_download(certificate_id: int) -> ResponseReturnValue:
    found = _own_certificate(certificate_id)
    return attachment(certificate_pdf(found, current_user), "certificate.pdf",
                      "application/pdf")


@bp.route("/verify")
@public
def verify() -> ResponseReturnValue:
    """Anyone can check a certificate code (current, expired or revoked; the holder's initials or
    the name they chose to show; course, organisation, dates) or
    whether an organisation is a current member (by its exact name or registered number)."""
    return _verify_page(request.args.get("code", ""))


@bp.route("/verify/<code>")
@public
def verify_certificate(code: str) -> ResponseReturnValue:
    """A certificate's own page: what its QR code opens. The same check as /verify?code=."""
    return _verify_page(code)


def _verify_page(code: str) -> ResponseReturnValue:
    code = code[:64]
    found, holder, organisations, checked = None, "", [], bool(code.strip())
    if checked:
        found = get_session().scalar(select(Certificate).where(
            Certificate.code == training.normalise_certificate_code(code)))
    if found is not None:
        person = get_session().get(User, found.user_id)
        holder = holder_name(person.full_name, show_full_name=found.show_full_name)
        organisations = employers(person)
    organisation = search_text(request.args.get("organisation"))
    members = member_list.current_members_matching(get_session(), organisation) \
        if organisation else []
    errors = {}  # a search with an empty box does nothing, so it says what is missing
    if "code" in request.args and not checked:
        errors["code"] = "Enter the verification code from the certificate"
    if "organisation" in request.args and not organisation:
        errors["organisation"] = "Enter the organisation’s name, or its Companies House or " \
                                 "charity number"
    now = utcnow()
    return render_template("training/verify.html", code=code, checked=checked,
                           certificate=found, holder=holder, organisations=organisations,
                           status=found.status_at(now) if found else None,
                           reasons=REVOCATION_REASONS, now=now,
                           organisation=organisation, members=members, errors=errors), \
        400 if errors else 200
