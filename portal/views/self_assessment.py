"""The self-assessment and the action plan: an organisation's HR leads only (confidential to the
organisation; coordinators see counts across organisations on their dashboard)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal import clock
from portal.db import get_session
from portal.forms.auth import ContinueForm
from portal.forms.self_assessment import ActionForm, PlanForm, section_form
from portal.models import (
    ActionStatus,
    Organisation,
    OrgRole,
    OwnerRole,
    PlanAction,
    SelfAssessment,
    utcnow,
)
from portal.permissions import confidential_to_organisation, organisation_role_required
from portal.services import action_plan
from portal.services import self_assessment as assessments
from portal.services.policy_framework import policy_framework

bp = Blueprint("assessment", __name__, url_prefix="/organisations/<int:org_id>")

DEFAULT_PLAN_DAYS = 90


@bp.route("/self-assessment")
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def overview(organisation: Organisation) -> ResponseReturnValue:
    session = get_session()
    history = assessments.history(session, organisation)
    latest = history[0] if history else None
    draft = assessments.draft_for(session, organisation)
    return render_template("assessment/overview.html", organisation=organisation,
                           draft=draft, history=history,
                           resume_at=assessments.resume_at(draft) if draft else None,
                           current=assessments.is_current(latest, utcnow()),
                           questions=assessments.question_set(), form=ContinueForm())


@bp.route("/self-assessment/start", methods=["POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def start(organisation: Organisation) -> ResponseReturnValue:
    if not ContinueForm().validate_on_submit():
        return redirect(url_for(".overview", org_id=organisation.id), code=303)
    session = get_session()
    assessments.start(session, organisation, actor=current_user, now=utcnow())
    session.commit()
    first = assessments.question_set().sections[0]
    return redirect(url_for(".section", org_id=organisation.id, key=first.key), code=303)


def _draft(organisation: Organisation) -> SelfAssessment:
    draft = assessments.draft_for(get_session(), organisation)
    if draft is None:  # nothing in progress: start from the overview
        abort(404)
    return draft


@bp.route("/self-assessment/sections/<key>", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def section(organisation: Organisation, key: str) -> ResponseReturnValue:
    questions = assessments.question_set()
    found = questions.section(key)
    if found is None:
        abort(404)
    draft = _draft(organisation)
    form = section_form(found, draft.answers, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        assessments.save_answers(draft, form.answers(), now=utcnow())
        get_session().commit()
        if form.later.data:
            flash("Your answers have been saved. You can come back to them at any time",
                  "success")
            return redirect(url_for(".overview", org_id=organisation.id), code=303)
        following = questions.after(found)
        target = url_for(".section", org_id=organisation.id, key=following.key) \
            if following is not None else url_for(".check", org_id=organisation.id)
        return redirect(target, code=303)
    number = questions.sections.index(found) + 1
    return render_template("assessment/section.html", organisation=organisation, form=form,
                           section=found, number=number, total=len(questions.sections))


@bp.route("/self-assessment/check", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def check(organisation: Organisation) -> ResponseReturnValue:
    draft = _draft(organisation)
    form = ContinueForm()
    missing: list[assessments.Question] = []
    if form.validate_on_submit():
        session = get_session()
        try:
            assessments.submit(session, organisation, draft, actor=current_user, now=utcnow())
        except assessments.UnansweredError as error:
            missing = error.questions
        else:
            session.commit()
            flash("Your self-assessment has been submitted", "success")
            return redirect(url_for(".report", org_id=organisation.id, assessment_id=draft.id),
                            code=303)
    return render_template("assessment/check.html", organisation=organisation, draft=draft,
                           questions=assessments.question_set(), labels=assessments.ANSWER_LABELS,
                           missing=missing, form=form)


@bp.route("/self-assessment/<int:assessment_id>", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def report(organisation: Organisation, assessment_id: int) -> ResponseReturnValue:
    session = get_session()
    assessment = assessments.submitted_in(session, organisation, assessment_id)
    if assessment is None:
        abort(404)
    today = clock.today()
    in_plan = action_plan.open_question_keys(session, organisation)
    addable = [r for r in assessments.recommendations(assessment)
               if r.question.key not in in_plan]
    form = PlanForm(addable, today=today,
                    data={"due_on": today + timedelta(days=DEFAULT_PLAN_DAYS)})
    if form.validate_on_submit():
        added = action_plan.add_recommendations(
            session, organisation, assessment, form.recommendations.data,
            due_on=form.due_on.data, actor=current_user, now=utcnow())
        session.commit()
        flash(f"{added} {'action' if added == 1 else 'actions'} added to your action plan",
              "success")
        return redirect(url_for(".plan", org_id=organisation.id), code=303)
    return render_template("assessment/report.html", organisation=organisation,
                           assessment=assessment, questions=assessments.question_set(),
                           recommendations=assessments.recommendations(assessment),
                           in_plan=in_plan, form=form, framework=policy_framework(),
                           owners=OwnerRole)


@bp.route("/action-plan")
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def plan(organisation: Organisation) -> ResponseReturnValue:
    return render_template("assessment/plan.html", organisation=organisation,
                           actions=action_plan.actions_for(get_session(), organisation),
                           today=clock.today())


@bp.route("/action-plan/<int:action_id>", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def action(organisation: Organisation, action_id: int) -> ResponseReturnValue:
    session = get_session()
    found = action_plan.action_in(session, organisation, action_id)
    if found is None:
        abort(404)
    form = ActionForm(data={"status": found.status.value, "owner_role": found.owner_role.value,
                            "due_on": found.due_on})
    if form.validate_on_submit():
        changes = action_plan.ActionChanges(status=ActionStatus(form.status.data),
                                            owner_role=OwnerRole(form.owner_role.data),
                                            due_on=form.due_on.data)
        changed = action_plan.update_action(session, organisation, found, changes,
                                            actor=current_user, now=utcnow())
        session.commit()
        flash(_saved_message(found) if changed else "Nothing was changed", "success")
        return redirect(url_for(".plan", org_id=organisation.id), code=303)
    element = policy_framework().get(found.element_key) if found.element_key else None
    return render_template("assessment/action.html", organisation=organisation, action=found,
                           form=form, element=element)


def _saved_message(found: PlanAction) -> str:
    if found.status == ActionStatus.DONE and found.element_key:
        element = policy_framework().get(found.element_key)
        title = element.title if element else found.element_key
        return f"Action completed. {title} is now recorded as in place"
    return "Action saved"
