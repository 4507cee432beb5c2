"""HR leads: their organisation's overview, details, sites, HR leads and renewal."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal.db import get_session
from portal.forms.champions import InviteHrLeadForm
from portal.forms.organisations import ActionForm
from portal.models import Organisation, OrgRole, utcnow
from portal.permissions import organisation_role_required
from portal.services import invitations as invites
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
        renewal_window=current_app.config["RENEWAL_WINDOW_DAYS"])


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
