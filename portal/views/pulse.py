"""The staff awareness pulse: HR leads open one and see its results; anyone with the link answers.

The answer pages set no cookie. They never touch the session (no flash, no CSRF token), so Flask
sends no session cookie; the portal's other pages behave as before. The answer form has no CSRF
token, by decision: CSRF protects a signed-in person from having something done in their name,
and an answer here is in nobody's name (it only adds 1 to anonymous totals), so a forged answer
is exactly as good as the forger answering themselves. Floods are refused by a limit per link,
which needs nothing about the person answering.

A pulse's own pages are its organisation's HR leads' only; coordinators see awareness only
added up across organisations (services/assessment_figures.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.db import get_session
from portal.extensions import csrf, limiter
from portal.forms.auth import ContinueForm
from portal.forms.pulse import WHOLE_ORGANISATION, OpenPulseForm, PulseAnswerForm
from portal.models import AwarenessPulse, Organisation, OrgRole, utcnow
from portal.permissions import confidential_to_organisation, organisation_role_required, public
from portal.services import policy
from portal.services import pulse as pulses
from portal.services.policy_framework import policy_framework
from portal.settings import settings_of

bp = Blueprint("pulse", __name__)


@bp.route("/organisations/<int:org_id>/pulses")
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def index(organisation: Organisation) -> ResponseReturnValue:
    return render_template("pulse/index.html", organisation=organisation,
                           pulses=pulses.pulses_for(get_session(), organisation),
                           today=clock.today(), minimum=pulses.MINIMUM_RESPONDENTS)


@bp.route("/organisations/<int:org_id>/pulses/new", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def new(organisation: Organisation) -> ResponseReturnValue:
    form = OpenPulseForm(organisation)
    if form.is_submitted():
        valid = form.validate()
        today = clock.today()
        if form.closes_on.data is None and not form.closes_on.errors:
            form.closes_on.errors.append("Enter the closing date")
        elif form.closes_on.data is not None:
            try:
                pulses.check_closing_date(form.closes_on.data, today)
            except pulses.PulsePeriodError as error:
                form.closes_on.errors.append(str(error))
        if valid and not form.errors:
            return _open(organisation, form)
    return render_template("pulse/new.html", organisation=organisation, form=form,
                           minimum=pulses.MINIMUM_RESPONDENTS)


def _open(organisation: Organisation, form: OpenPulseForm) -> ResponseReturnValue:
    site = None
    if form.group.data != WHOLE_ORGANISATION:
        site = next(s for s in organisation.sites if str(s.id) == form.group.data)
    session = get_session()
    pulse = pulses.open_pulse(session, organisation, site, closes_on=form.closes_on.data,
                              actor=current_user, today=clock.today())
    session.commit()
    flash("The pulse is open. Share its link with staff", "success")
    return redirect(url_for(".show", org_id=organisation.id, pulse_id=pulse.id), code=303)


def _pulse(organisation: Organisation, pulse_id: int) -> AwarenessPulse:
    pulse = pulses.pulse_in(get_session(), organisation, pulse_id)
    if pulse is None:
        abort(404)
    return pulse


@bp.route("/organisations/<int:org_id>/pulses/<int:pulse_id>")
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def show(organisation: Organisation, pulse_id: int) -> ResponseReturnValue:
    pulse = _pulse(organisation, pulse_id)
    return render_template("pulse/show.html", organisation=organisation, pulse=pulse,
                           link=pulses.public_link(settings_of(get_session()), pulse),
                           results=pulses.results(pulse),
                           today=clock.today(), minimum=pulses.MINIMUM_RESPONDENTS,
                           element=policy_framework().get(pulses.EVIDENCE_ELEMENT))


@bp.route("/organisations/<int:org_id>/pulses/<int:pulse_id>/close", methods=["POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def close(organisation: Organisation, pulse_id: int) -> ResponseReturnValue:
    pulse = _pulse(organisation, pulse_id)
    form = ContinueForm()
    if form.validate_on_submit() and pulse.is_open(clock.today()):
        session = get_session()
        pulses.close_pulse(session, pulse, actor=current_user, today=clock.today())
        session.commit()
        flash("The pulse is closed. Its link no longer takes answers", "success")
    return redirect(url_for(".show", org_id=organisation.id, pulse_id=pulse.id), code=303)


@bp.route("/organisations/<int:org_id>/pulses/<int:pulse_id>/evidence", methods=["POST"])
@organisation_role_required(OrgRole.HR_LEAD)
@confidential_to_organisation
def evidence(organisation: Organisation, pulse_id: int) -> ResponseReturnValue:
    """Add the results to the evidence of the "staff told about the policy" element."""
    pulse = _pulse(organisation, pulse_id)
    form = ContinueForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            attached = pulses.attach_as_evidence(session, pulse, actor=current_user, now=utcnow())
            session.commit()
        except (policy.StaleRecordError, StaleDataError):
            session.rollback()
            attached = False
        if attached:
            title = policy_framework().get(pulses.EVIDENCE_ELEMENT).title
            flash(f"The results have been added to the evidence for {title}", "success")
        else:
            flash("The results could not be added: there are not enough answers yet, or "
                  "someone changed the element at the same moment. Try again")
    return redirect(url_for(".show", org_id=organisation.id, pulse_id=pulse.id), code=303)


# The public answer pages: anyone with the link, signed in or not.

def _open_pulse_or_page(token: str) -> AwarenessPulse | ResponseReturnValue:
    pulse = pulses.pulse_by_token(get_session(), token)
    if pulse is None:
        abort(404)
    if not pulse.is_open(clock.today()):
        return render_template("pulse/closed.html"), 410
    return pulse


def _link_key() -> str:
    """Rate limits count answers per link, never per person or address."""
    return "pulse-link:" + str((request.view_args or {}).get("token", ""))[:64]


@bp.route("/pulse/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit(lambda: current_app.config["PULSE_ANSWER_LIMIT_PER_LINK"], key_func=_link_key,
               methods=["POST"])
def answer(token: str) -> ResponseReturnValue:
    found = _open_pulse_or_page(token)
    if not isinstance(found, AwarenessPulse):
        return found
    form = PulseAnswerForm()
    if form.validate_on_submit():
        session = get_session()
        pulses.record_answers(session, found, form.answers())
        session.commit()
        return redirect(url_for(".thanks", token=token), code=303)
    return render_template("pulse/answer.html", form=form)


@bp.route("/pulse/<token>/thank-you")
@public
def thanks(token: str) -> ResponseReturnValue:
    if pulses.pulse_by_token(get_session(), token) is None:
        abort(404)
    return render_template("pulse/thanks.html")
