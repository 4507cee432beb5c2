"""The support directory: the public search, and coordinators keeping it current."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.db import get_session
from portal.forms.support import (
    MarkCheckedForm,
    RetireServiceForm,
    SupportSearchForm,
    SupportServiceForm,
)
from portal.models import SupportService
from portal.permissions import coordinator_required, public
from portal.services import support
from portal.views.helpers import commit

bp = Blueprint("support", __name__)


@bp.route("/support")
@public
def index() -> ResponseReturnValue:
    """Search the directory. Nothing records what anyone searched for or looked at."""
    form = SupportSearchForm(request.args)
    form.validate()
    search = search_from(form)
    results = support.find_services(get_session(), search)
    return render_template("support/index.html", form=form, search=search, results=results,
                           pagination=pagination(results),
                           boroughs=support.BOROUGHS, categories=support.CATEGORIES)


def search_from(form: SupportSearchForm) -> support.Search:
    """The search as asked, leaving out any part with an error (shown on the page)."""
    return support.Search(
        text="" if form.q.errors else (form.q.data or ""),
        borough=None if form.borough.errors else (form.borough.data or None),
        categories=() if form.category.errors else tuple(form.category.data or ()),
        open_24_hours=bool(form.open_24_hours.data),
        page=request.args.get("page", 1, type=int),
    )


def pagination(results: support.ResultsPage) -> dict | None:
    """GOV.UK pagination whose links keep the search (first, last and nearby pages)."""
    if results.pages < 2:
        return None
    query = {name: value for name, value in request.args.lists() if name != "page"}

    def link(number: int) -> str:
        return url_for("support.index", **query, page=number)

    items: list[dict] = []
    for number in range(1, results.pages + 1):
        if number in (1, results.pages) or abs(number - results.page) <= 1:
            items.append({"number": number, "href": link(number),
                          "current": number == results.page})
        elif not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    params: dict = {"items": items}
    if results.page > 1:
        params["previous"] = {"href": link(results.page - 1)}
    if results.page < results.pages:
        params["next"] = {"href": link(results.page + 1)}
    return params


# --- Coordinators ------------------------------------------------------------------------

def service_or_404(service_id: int) -> SupportService:
    service = get_session().get(SupportService, service_id)
    if service is None:
        abort(404)
    return service


@bp.route("/coordinator/support-services")
@coordinator_required
def manage() -> ResponseReturnValue:
    session = get_session()
    due = support.services_due_for_check(session, support.uk_today())
    return render_template("support/manage.html", services=support.all_services(session),
                           due_count=len(due), boroughs=support.BOROUGHS)


@bp.route("/coordinator/support-services/due-for-check")
@coordinator_required
def due_for_check() -> ResponseReturnValue:
    """Services nobody has checked for six months, with a button to record a check."""
    today = support.uk_today()
    services = support.services_due_for_check(get_session(), today)
    return render_template("support/due_for_check.html", services=services,
                           cutoff=support.months_before(today, support.CHECK_EVERY_MONTHS),
                           form=MarkCheckedForm(return_to="due"))


@bp.route("/coordinator/support-services/new", methods=["GET", "POST"])
@coordinator_required
def add() -> ResponseReturnValue:
    form = SupportServiceForm()
    if form.validate_on_submit():
        try:
            service = support.add_service(get_session(), form.service_data(),
                                          added_by=current_user, today=support.uk_today())
        except support.InvalidServiceError as error:
            form.show_errors(error.errors)
        else:
            commit()
            flash(f"{service.name} has been added to the directory", "success")
            return redirect(url_for("support.manage"), code=303)
    return render_template("support/service_form.html", form=form, service=None)


@bp.route("/coordinator/support-services/<int:service_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit(service_id: int) -> ResponseReturnValue:
    service = service_or_404(service_id)
    form = SupportServiceForm()
    if form.validate_on_submit():
        try:
            changed = support.update_service(get_session(), service, form.service_data(),
                                             updated_by=current_user)
        except support.InvalidServiceError as error:
            form.show_errors(error.errors)
        else:
            commit()
            flash(f"{service.name} has been updated" if changed else "Nothing was changed",
                  "success")
            return redirect(url_for("support.manage"), code=303)
    elif request.method == "GET":
        form.fill_from(service)
    return render_template("support/service_form.html", form=form, service=service,
                           checked_form=MarkCheckedForm(return_to="edit"))


@bp.route("/coordinator/support-services/<int:service_id>/retire", methods=["GET", "POST"])
@coordinator_required
def retire(service_id: int) -> ResponseReturnValue:
    """Ask first; retiring takes the service off the public directory."""
    service = service_or_404(service_id)
    form = RetireServiceForm()
    if service.is_retired:
        flash(f"{service.name} is already retired", "info")
        return redirect(url_for("support.manage"), code=303)
    if form.validate_on_submit():
        support.retire_service(get_session(), service, retired_by=current_user)
        commit()
        flash(f"{service.name} has been retired. It no longer appears in the directory.",
              "success")
        return redirect(url_for("support.manage"), code=303)
    return render_template("support/retire.html", form=form, service=service)


@bp.route("/coordinator/support-services/<int:service_id>/check", methods=["POST"])
@coordinator_required
def mark_checked(service_id: int) -> ResponseReturnValue:
    """Record that a coordinator confirmed the details today."""
    service = service_or_404(service_id)
    form = MarkCheckedForm()
    if not form.validate_on_submit():
        abort(400)
    support.mark_checked(get_session(), service, checked_by=current_user,
                         today=support.uk_today())
    commit()
    flash(f"{service.name} has been marked as checked today", "success")
    if form.return_to.data == "edit":
        return redirect(url_for("support.edit", service_id=service.id), code=303)
    return redirect(url_for("support.due_for_check"), code=303)
