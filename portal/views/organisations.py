"""HR leads: their organisation's overview, details, sites, HR leads and renewal."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.db import get_session
from portal.forms.champions import InviteHrLeadForm
from portal.forms.organisations import (
    ActionForm,
    CommitmentForm,
    OrganisationDetailsForm,
    SiteForm,
    headcount_of,
)
from portal.models import Borough, Organisation, OrgRole, Sector, Site, utcnow
from portal.permissions import organisation_role_required
from portal.services import invitations as invites
from portal.services import organisations as orgs
from portal.services.commitments import current_commitment
from portal.services.organisations import hr_leads
from portal.views.champions import current_champions, send_invitation_from_form

bp = Blueprint("organisations", __name__, url_prefix="/organisations/<int:org_id>")


@bp.route("")
@organisation_role_required(OrgRole.HR_LEAD)
def overview(organisation: Organisation) -> ResponseReturnValue:
    """The organisation's home page for its HR leads (later issues add dashboards here)."""
    session = get_session()
    return render_template(
        "organisations/overview.html", organisation=organisation, now=utcnow(),
        form=ActionForm(), hr_leads=hr_leads(session, organisation),
        champions=current_champions(organisation),
        pending_champions=invites.count_open_invitations(session, organisation,
                                                         OrgRole.CHAMPION),
        hr_invitations=[i for i in invites.invitations_for(session, organisation,
                                                           OrgRole.HR_LEAD)
                        if i.accepted_at is None],
        renew_opens=orgs.renewal_opens_on(organisation,
                                          current_app.config["RENEWAL_WINDOW_DAYS"]))


@bp.route("/hr-leads/invite", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def invite_hr_lead(organisation: Organisation) -> ResponseReturnValue:
    form = InviteHrLeadForm()
    if form.validate_on_submit():
        invitee = invites.Invitee(form.full_name.data, form.email.data, OrgRole.HR_LEAD,
                                  job_title=form.job_title.data)
        if send_invitation_from_form(organisation, invitee, form):
            flash("Invitation sent", "success")
            return redirect(url_for(".overview", org_id=organisation.id), code=303)
    return render_template("organisations/invite_hr_lead.html", organisation=organisation,
                           form=form, active=organisation.is_approved)


def _back_to_organisation(organisation: Organisation) -> ResponseReturnValue:
    """Coordinators go back to their own page for the organisation, HR leads to its overview."""
    if current_user.is_coordinator and current_user.role_in(organisation) is None:
        return redirect(url_for("coordinator.organisation", org_id=organisation.id), code=303)
    return redirect(url_for(".overview", org_id=organisation.id), code=303)


@bp.route("/edit", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def edit(organisation: Organisation) -> ResponseReturnValue:
    """Change the organisation's details (HR leads, and coordinators for any organisation)."""
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
        abort(404)
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
