"""HR leads: their organisation's dashboard, details, sites, HR leads, renewal and assignments."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms import SelectChoice

from portal import clock
from portal.db import get_session
from portal.forms.assignments import AssignTrainingForm, CancelAssignmentForm
from portal.forms.champions import InviteHrLeadForm
from portal.forms.organisations import (
    ActionForm,
    CommitmentForm,
    OrganisationDetailsForm,
    SiteForm,
    headcount_of,
)
from portal.models import (
    AssignmentSource,
    Borough,
    Course,
    Membership,
    Module,
    Organisation,
    OrgRole,
    Sector,
    Site,
    utcnow,
)
from portal.permissions import organisation_role_required, refuse
from portal.services import action_plan, champion_list
from portal.services import assignments as assigning
from portal.services import invitations as invites
from portal.services import organisations as orgs
from portal.services.commitments import current_commitment
from portal.services.hr_dashboard import (
    EXPIRY_NOTICE_DAYS,
    INVITATION_WAIT_DAYS,
    organisation_dashboard,
)
from portal.services.organisations import hr_leads
from portal.views.champions import (
    add_invitee_problem,
    champion_filters,
    champion_pagination,
    current_champions,
    page_number,
    send_invitation_from_form,
)

bp = Blueprint("organisations", __name__, url_prefix="/organisations/<int:org_id>")


@bp.route("")
@organisation_role_required(OrgRole.HR_LEAD)
def overview(organisation: Organisation) -> ResponseReturnValue:
    """The HR lead's dashboard: champions' training, coverage, policy, tier, what needs doing.

    A fixed number of queries however many champions (tests/views/test_dashboard.py counts):
    the figures are aggregates, and the champions' table is a page of 50 with the champion
    list's search and filters.
    """
    session = get_session()
    now = utcnow()
    dashboard = organisation_dashboard(
        session, organisation, now=now,
        target_per_100=current_app.config["COVERAGE_TARGET_PER_100_STAFF"])
    parsed = champion_filters(organisation)
    champions = None
    if organisation.approved_at is not None:  # the dashboard shows from approval on
        champions = champion_list.champion_page(
            session, organisation, parsed.filters, page_number(), now,
            modules=dashboard.required_modules, summary=dashboard.summary,
            everyone=dashboard.figures.champions)
    return render_template(
        "organisations/overview.html", organisation=organisation, now=now,
        form=ActionForm(), hr_leads=hr_leads(session, organisation),
        dashboard=dashboard, tier_assessment=dashboard.assessment,
        champions=champions, parsed=parsed, statuses=champion_list.STATUSES,
        sorts=champion_list.SORTS,
        pagination=champion_pagination(".overview", organisation, champions, parsed.filters,
                                       "champions") if champions else None,
        # The plan is the organisation's own: not for coordinators acting for it.
        next_actions=action_plan.whats_next(session, organisation)
        if current_user.role_in(organisation) == OrgRole.HR_LEAD else None,
        expiry_days=EXPIRY_NOTICE_DAYS, invitation_wait_days=INVITATION_WAIT_DAYS,
        hr_invitations=invites.unaccepted_invitations(session, organisation, OrgRole.HR_LEAD),
        status_reason=orgs.STATUS_REASONS.get(organisation.status_reason or ""),
        renew_opens=orgs.renewal_opens_on(organisation,
                                          current_app.config["RENEWAL_WINDOW_DAYS"]))


@bp.route("/hr-leads/invite", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def invite_hr_lead(organisation: Organisation) -> ResponseReturnValue:
    form = InviteHrLeadForm()
    valid = form.validate_on_submit()
    add_invitee_problem(organisation, form)
    if valid and not form.email.errors:
        invitee = invites.Invitee(form.full_name.data, form.email.data, OrgRole.HR_LEAD,
                                  job_title=form.job_title.data)
        if send_invitation_from_form(organisation, invitee, form):
            flash("Invitation sent", "success")
            return redirect(url_for(".overview", org_id=organisation.id), code=303)
    return render_template("organisations/invite_hr_lead.html", organisation=organisation,
                           form=form, active=organisation.is_member)


def _back_to_organisation(organisation: Organisation) -> ResponseReturnValue:
    """Coordinators go back to their own page for the organisation, HR leads to its overview."""
    if current_user.is_coordinator and current_user.role_in(organisation) is None:
        return redirect(url_for("coordinator.organisation", org_id=organisation.id), code=303)
    return redirect(url_for(".overview", org_id=organisation.id), code=303)


def _refuse_if_closed(organisation: Organisation) -> ResponseReturnValue | None:
    """HR leads of a declined, withdrawn or lapsed organisation go back to its page, which says
    why and what they can do; coordinators can still correct its record."""
    if organisation.details_can_change or current_user.is_coordinator:
        return None
    flash("The organisation’s details cannot be changed now. Its page says why.", "important")
    return redirect(url_for(".overview", org_id=organisation.id), code=303)


@bp.route("/edit", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def edit(organisation: Organisation) -> ResponseReturnValue:
    """Change the organisation's details (HR leads, and coordinators for any organisation)."""
    if closed := _refuse_if_closed(organisation):
        return closed
    form = OrganisationDetailsForm(data={
        "name": organisation.name, "registered_number": organisation.registered_number,
        "sector": organisation.sector.value,
        "listed_publicly": "yes" if organisation.listed_publicly else "no"})
    if form.validate_on_submit():
        session = get_session()
        changed = orgs.update_details(
            session, organisation, actor=current_user, name=form.name.data,
            registered_number=form.registered_number.data, sector=Sector(form.sector.data),
            listed_publicly=form.listed_publicly.data == "yes")
        session.commit()
        flash("Details saved" if changed else "Nothing was changed", "success")
        return _back_to_organisation(organisation)
    return render_template("organisations/edit.html", organisation=organisation, form=form)


def _site(organisation: Organisation, site_id: int) -> Site:
    site = orgs.site_in(get_session(), organisation, site_id)
    if site is None:
        refuse(404, "not_in_organisation", organisation=organisation, target_type="site",
               target_id=site_id)
    return site


def _site_answers(form: SiteForm) -> orgs.SiteAnswers:
    return orgs.SiteAnswers(form.name.data, Borough(form.borough.data),
                            headcount_of(form.headcount))


@bp.route("/sites/add", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def add_site(organisation: Organisation) -> ResponseReturnValue:
    return _site_form(organisation, None, SiteForm())


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def edit_site(organisation: Organisation, site_id: int) -> ResponseReturnValue:
    site = _site(organisation, site_id)
    form = SiteForm(data={"name": site.name, "borough": site.borough.value,
                          "headcount": str(site.headcount)})
    return _site_form(organisation, site, form)


def _site_form(organisation: Organisation, site: Site | None,
               form: SiteForm) -> ResponseReturnValue:
    """Add a site (site is None) or save changes to one; names are unique per organisation."""
    if closed := _refuse_if_closed(organisation):
        return closed
    if form.validate_on_submit():
        session = get_session()
        try:
            if site is None:
                orgs.add_site(session, organisation, _site_answers(form), actor=current_user)
            else:
                orgs.update_site(session, site, _site_answers(form), actor=current_user)
        except orgs.DuplicateSiteError:
            form.name.errors.append("The organisation already has a site with this name")
        else:
            session.commit()
            flash("Site added" if site is None else "Site saved", "success")
            return _back_to_organisation(organisation)
    return render_template("organisations/site.html", organisation=organisation, form=form,
                           site=site)


@bp.route("/sites/<int:site_id>/remove", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def remove_site(organisation: Organisation, site_id: int) -> ResponseReturnValue:
    site = _site(organisation, site_id)
    if closed := _refuse_if_closed(organisation):
        return closed
    form = ActionForm()
    problem = None
    if form.validate_on_submit():
        session = get_session()
        try:
            orgs.remove_site(session, site, actor=current_user)
        except orgs.LastSiteError:
            problem = "The organisation must have at least one site. Add another site first"
        except orgs.SiteInUseError:
            problem = ("Champions or open invitations are linked to this site. Withdraw them or "
                       "invite them to another site first")
        else:
            session.commit()
            flash("Site removed", "success")
            return _back_to_organisation(organisation)
    return render_template("organisations/remove_site.html", organisation=organisation,
                           site=site, form=form, problem=problem)


@bp.route("/renew", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def renew(organisation: Organisation) -> ResponseReturnValue:
    """Renew before the renewal date by signing the current commitment again."""
    config = current_app.config
    form = CommitmentForm()
    commitment = current_commitment()
    if orgs.can_renew(organisation, config["RENEWAL_WINDOW_DAYS"]) and form.validate_on_submit():
        session = get_session()
        try:
            orgs.renew_membership(
                session, organisation, actor=current_user,
                renewal_months=config["RENEWAL_MONTHS"],
                window_days=config["RENEWAL_WINDOW_DAYS"], commitment_version=commitment.version,
                signatory_name=form.signatory_name.data,
                signatory_job_title=form.signatory_job_title.data)
        except orgs.RenewalNotDueError:
            session.rollback()  # renewed by someone else a moment ago
        else:
            session.commit()
            flash("Membership renewed", "success")
        return _back_to_organisation(organisation)
    return render_template(
        "organisations/renew.html", organisation=organisation, form=form, commitment=commitment,
        can_renew=orgs.can_renew(organisation, config["RENEWAL_WINDOW_DAYS"]),
        opens=orgs.renewal_opens_on(organisation, config["RENEWAL_WINDOW_DAYS"]))


# --- Assignments -----------------------------------------------------------------------------

def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1


@bp.route("/assignments")
@organisation_role_required(OrgRole.HR_LEAD)
def assignments(organisation: Organisation) -> ResponseReturnValue:
    """The champions' assignments with their status (never scores or attempts)."""
    page = _page_number()
    rows, total = assigning.organisation_assignments(get_session(), organisation, now=utcnow(),
                                                     page=page)
    return render_template("organisations/assignments.html", organisation=organisation,
                           rows=rows, total=total, page=page,
                           pages=max((total + assigning.PAGE_SIZE - 1) // assigning.PAGE_SIZE, 1))


def _training_choices(courses: list[Course]) -> tuple[list[SelectChoice], list[dict]]:
    """Each course as a whole, then its modules; and a hint for each radio."""
    choices, hints = [], []
    for course in courses:
        modules = [m for m in course.modules if m.retired_at is None and m.current_version]
        choices.append(SelectChoice(f"course-{course.id}", course.title))
        hints.append({"hint": {"text": f"The whole course ({len(modules)} modules)"}})
        for module in modules:
            choices.append(SelectChoice(f"module-{module.id}", module.current_version.title))
            hints.append({"hint": {"text": f"One module of {course.title}"}})
    return choices, hints


def _chosen_training(value: str) -> tuple[Course | None, Module | None]:
    kind, _, number = value.partition("-")
    item = get_session().get(Course if kind == "course" else Module, int(number))
    return (item, None) if kind == "course" else (None, item)


@bp.route("/assignments/new", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def assign(organisation: Organisation) -> ResponseReturnValue:
    """Assign a course or a module to one, several or all current champions, by a date."""
    session = get_session()
    today = clock.today()
    form = AssignTrainingForm(today=today)
    form.training.choices, hints = _training_choices(assigning.assignable_courses(session))
    champions = current_champions(organisation)
    form.champions.choices = [SelectChoice(str(m.id), m.user.full_name + (f", {m.site.name}"
                                                                           if m.site else ""))
                              for m in champions]
    if not organisation.is_member or not champions:
        return render_template("organisations/assign.html", organisation=organisation,
                               form=form, hints=hints, champions=champions)
    if form.validate_on_submit():
        chosen = _chosen_champions(form, champions)
        course, module = _chosen_training(form.training.data)
        made, already = assigning.assign(session, organisation, chosen, actor=current_user,
                                         due_on=form.due_on.data, today=today, course=course,
                                         module=module)
        session.commit()
        flash(_assigned_message(made, already), "success")
        return redirect(url_for(".assignments", org_id=organisation.id), code=303)
    status = 400 if form.foreign_champions() else 200  # ids of others' people (QUIZ-11)
    return render_template("organisations/assign.html", organisation=organisation, form=form,
                           hints=hints, champions=champions), status


def _chosen_champions(form: AssignTrainingForm, champions: list[Membership]) -> list[Membership]:
    if form.who.data == "all":
        return champions
    wanted = set(form.champions.data)
    return [m for m in champions if str(m.id) in wanted]


def _assigned_message(made: int, already: int) -> str:
    message = f"Training assigned to {made} {'champion' if made == 1 else 'champions'}"
    if already:
        who = "champion already has" if already == 1 else "champions already have"
        message += f". {already} {who} it to do, so their due date stays as it was"
    return message


@bp.route("/assignments/<int:assignment_id>/cancel", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def cancel_assignment(organisation: Organisation, assignment_id: int) -> ResponseReturnValue:
    """Ask first, then cancel an assignment an HR lead made (required training stays)."""
    session = get_session()
    assignment = assigning.assignment_in(session, organisation, assignment_id)
    if assignment is None:
        abort(404)
    form = CancelAssignmentForm()
    cancellable = assignment.is_pending and assignment.source == AssignmentSource.HR_LEAD
    if cancellable and form.validate_on_submit():
        try:
            assigning.cancel_assignment(session, assignment, actor=current_user)
        except assigning.NotCancellableError:
            session.rollback()
        else:
            session.commit()
            flash("Assignment cancelled", "success")
        return redirect(url_for(".assignments", org_id=organisation.id), code=303)
    return render_template("organisations/cancel_assignment.html", organisation=organisation,
                           assignment=assignment, form=form, cancellable=cancellable)
