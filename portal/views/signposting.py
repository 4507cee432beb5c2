"""Each member organisation's signposting card: a page that prints on one sheet, and a PDF."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal import documents
from portal.db import get_session
from portal.forms.signposting import ChampionContactForm
from portal.models import Organisation, OrgRole
from portal.permissions import organisation_role_required
from portal.services.audit import record_event
from portal.services.signposting import build_card, clean_contact_route, set_contact_route
from portal.views.helpers import attachment

NOTHING_ENTERED = "Enter how staff can reach your champions at work"

bp = Blueprint("signposting", __name__, url_prefix="/organisations/<int:org_id>")


@bp.route("/signposting-card")
@organisation_role_required(OrgRole.HR_LEAD, OrgRole.CHAMPION)
def card(organisation: Organisation) -> ResponseReturnValue:
    return render_template("signposting/card.html",
                           card=build_card(get_session(), organisation))


@bp.route("/signposting-card/pdf")
@organisation_role_required(OrgRole.HR_LEAD, OrgRole.CHAMPION)
@documents.rate_limited
def card_download(organisation: Organisation) -> ResponseReturnValue:
    pdf = documents.render_poster("signposting/card.html", ".portal-card", "card-end",
                                  card=build_card(get_session(), organisation))
    return attachment(pdf.data, "signposting-card.pdf", "application/pdf")


@bp.route("/signposting-card/contact", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def change_contact(organisation: Organisation) -> ResponseReturnValue:
    form = ChampionContactForm(data={"champion_contact": organisation.champion_contact})
    if form.validate_on_submit():
        new = clean_contact_route(form.champion_contact.data)
        if new == organisation.champion_contact and not new:
            form.champion_contact.errors.append(NOTHING_ENTERED)
        else:
            return _save_contact(organisation, new)
    return render_template("signposting/contact.html", organisation=organisation, form=form)


def _save_contact(organisation: Organisation, new: str | None) -> ResponseReturnValue:
    if new == organisation.champion_contact:
        flash("Nothing was changed", "success")
        return redirect(url_for(".card", org_id=organisation.id), code=303)
    session = get_session()
    set_contact_route(organisation, new)
    record_event(session, "organisation.champion_contact_changed",
                 organisation=organisation, target=organisation)
    session.commit()
    flash("How staff can reach your champions has been saved" if new else
          "The contact route has been removed. The card now tells staff to ask HR", "success")
    return redirect(url_for(".card", org_id=organisation.id), code=303)
