"""HR leads: their organisation's champions and the invitations they have sent."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from wtforms import SelectChoice

from portal import clock
from portal.db import get_session
from portal.forms.champions import (
    ChampionFilterInput,
    InviteChampionForm,
    UploadChampionsForm,
    WithdrawChampionForm,
    parse_champion_filters,
)
from portal.forms.organisations import ActionForm
from portal.models import (
    Invitation,
    Membership,
    Organisation,
    OrgRole,
    WithdrawalReason,
    utcnow,
)
from portal.permissions import organisation_role_required, refuse
from portal.services import bulk_invitations, champion_list, emails, exports
from portal.services import champions as champion_service
from portal.services import invitations as invites
from portal.services.organisations import site_in

bp = Blueprint("champions", __name__, url_prefix="/organisations/<int:org_id>")

ALREADY_MEMBER = "This person already has a role in your organisation"
NOT_ACTIVE = "You can invite people once the organisation’s membership is approved and active"
ALREADY_INVITED = ("You have already invited this person. You can send the invitation again "
                   "from the list of invitations")
RACED = "Someone invited one of these people a moment ago. Check the list of invitations"
MAX_LISTED_PROBLEMS = 100


def current_champions(organisation: Organisation) -> list[Membership]:
    session = get_session()
    return list(session.scalars(
        select(Membership).options(selectinload(Membership.user), selectinload(Membership.site))
        .where(Membership.organisation_id == organisation.id,
               Membership.is_current_champion)
        .order_by(Membership.created_at)))


def champion_filters(organisation: Organisation) -> ChampionFilterInput:
    """The list's filters from the query string, with an error for each that is not valid."""
    return parse_champion_filters(request.args, {site.id for site in organisation.sites})


def page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000 else 1


@bp.route("/champions")
@organisation_role_required(OrgRole.HR_LEAD)
def index(organisation: Organisation) -> ResponseReturnValue:
    session = get_session()
    parsed = champion_filters(organisation)
    now = utcnow()
    results = champion_list.champion_page(session, organisation, parsed.filters, page_number(),
                                          now)
    return render_template(
        "champions/index.html", organisation=organisation, now=now, form=ActionForm(),
        results=results, filters=parsed.filters, parsed=parsed,
        pagination=champion_pagination(".index", organisation, results, parsed.filters,
                                       "current"),
        statuses=champion_list.STATUSES, sorts=champion_list.SORTS,
        invitations=invites.invitations_for(session, organisation, OrgRole.CHAMPION))


def champion_pagination(endpoint: str, organisation: Organisation,
                        results: champion_list.ChampionPage,
                        filters: champion_list.ChampionFilters, anchor: str) -> dict | None:
    """GOV.UK pagination keeping the filters: the first and last pages, this one and its
    neighbours, with previous and next."""
    if results.pages < 2:
        return None
    args = filters.query_args()

    def link(number: int) -> str:
        return url_for(endpoint, org_id=organisation.id, page=number, **args, _anchor=anchor)

    shown = sorted({1, results.pages, results.page - 1, results.page, results.page + 1}
                   & set(range(1, results.pages + 1)))
    items: list[dict] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": f"{number:,}", "current": number == results.page,
                      "href": link(number)})
        previous = number
    pagination: dict = {"items": items, "landmarkLabel": "Pages of champions"}
    if results.page > 1:
        pagination["previous"] = {"href": link(results.page - 1)}
    if results.page < results.pages:
        pagination["next"] = {"href": link(results.page + 1)}
    return pagination


@bp.route("/champions/training-status.csv")
@organisation_role_required(OrgRole.HR_LEAD)
def status_download(organisation: Organisation) -> ResponseReturnValue:
    """Every current champion's training status (statuses, counts and dates; never scores)."""
    champions = champion_list.listed_champions(get_session(), organisation, utcnow())
    name = exports.filename(current_app.config["SCHEME_NAME"], "champions-training",
                            clock.today())
    return Response(champion_list.status_csv(champions), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Security-Policy": "sandbox"})


def _site_choices(organisation: Organisation) -> list[SelectChoice]:
    return [SelectChoice(str(site.id), site.name) for site in organisation.sites]


@bp.route("/champions/invite", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def invite(organisation: Organisation) -> ResponseReturnValue:
    """Invite one champion by e-mail; a suggested site can come from ?site=<id>."""
    form = InviteChampionForm()
    form.site.choices = _site_choices(organisation)
    if request.method == "GET" and request.args.get("site"):
        form.site.data = request.args["site"]
    valid = form.validate_on_submit()
    add_invitee_problem(organisation, form)
    if valid and not form.email.errors:
        site = site_in(get_session(), organisation, int(form.site.data))
        invitee = invites.Invitee(form.full_name.data, form.email.data, OrgRole.CHAMPION,
                                  site=site, job_title=form.job_title.data)
        if send_invitation_from_form(organisation, invitee, form):
            flash("Invitation sent", "success")
            return redirect(url_for(".index", org_id=organisation.id), code=303)
    return render_template("champions/invite.html", organisation=organisation, form=form,
                           active=organisation.is_member)


def add_invitee_problem(organisation: Organisation, form: object) -> None:
    """With the form's own checks, say at once if the address is already a member or invited."""
    if not form.is_submitted() or form.email.errors or not form.email.data:
        return
    try:
        invites.check_invitee(get_session(), organisation, form.email.data)
    except invites.AlreadyMemberError:
        form.email.errors.append(ALREADY_MEMBER)
    except invites.AlreadyInvitedError:
        form.email.errors.append(ALREADY_INVITED)


def send_invitation_from_form(organisation: Organisation, invitee: invites.Invitee,
                              form: object) -> bool:
    """Create, e-mail and commit one invitation; or put the reason on the form and return False."""
    session = get_session()
    try:
        invitation, token = invites.create_invitation(
            session, organisation, invitee, invited_by=current_user,
            days=current_app.config["INVITATION_DAYS"])
        emails.send_invitation(session, invitation, token)
        session.commit()
    except IntegrityError:  # the same address was invited by someone else a moment ago
        session.rollback()
        form.email.errors.append(ALREADY_INVITED)
    except invites.MembershipNotActiveError:
        form.email.errors.append(NOT_ACTIVE)
    except invites.AlreadyMemberError:
        form.email.errors.append(ALREADY_MEMBER)
    except invites.AlreadyInvitedError:
        form.email.errors.append(ALREADY_INVITED)
    else:
        return True
    return False


def _invitation(organisation: Organisation, invitation_id: int) -> Invitation:
    invitation = invites.invitation_in(get_session(), organisation, invitation_id)
    if invitation is None:
        refuse(404, "not_in_organisation", organisation=organisation, target_type="invitation",
               target_id=invitation_id)
    return invitation


def _back_to_list(invitation: Invitation) -> ResponseReturnValue:
    endpoint = ".index" if invitation.role == OrgRole.CHAMPION else "organisations.overview"
    return redirect(url_for(endpoint, org_id=invitation.organisation_id), code=303)


@bp.route("/invitations/<int:invitation_id>/resend", methods=["POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def resend(organisation: Organisation, invitation_id: int) -> ResponseReturnValue:
    invitation = _invitation(organisation, invitation_id)
    if ActionForm().validate_on_submit():
        session = get_session()
        config = current_app.config
        try:
            token = invites.resend_invitation(session, invitation, actor=current_user,
                                              days=config["INVITATION_DAYS"],
                                              per_day=config["INVITATION_RESENDS_PER_DAY"])
        except invites.ResendLimitError:
            flash(f"An invitation can be sent again {config['INVITATION_RESENDS_PER_DAY']} times "
                  "a day. Try again tomorrow.")
        except invites.MembershipNotActiveError:
            flash(NOT_ACTIVE)
        except invites.InvitationClosedError:
            flash("This invitation has already been accepted or withdrawn")
        else:
            emails.send_invitation(session, invitation, token)
            session.commit()
            flash("Invitation sent again. The earlier link no longer works.", "success")
    return _back_to_list(invitation)


@bp.route("/champions/invitations/resend", methods=["POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def resend_many(organisation: Organisation) -> ResponseReturnValue:
    """Send several invitations again at once: those that can be sent go, in one transaction;
    the page says how many went and why any did not."""
    back = redirect(url_for(".index", org_id=organisation.id, _anchor="invitations"), code=303)
    if not ActionForm().validate_on_submit():
        return back
    ids = {int(v) for v in request.form.getlist("invitation")[:1000]
           if v.isascii() and v.isdigit() and len(v) < 10}
    if not ids:
        flash("Select the invitations to send again", "info")
        return back
    session = get_session()
    sent, problems = 0, []
    for invitation in invites.invitations_by_ids(session, organisation, ids):
        problem = _resend_one(session, invitation)
        if problem is None:
            sent += 1
        else:
            problems.append(f"{invitation.full_name}: {problem}")
    session.commit()
    if sent:
        flash(f"{sent:,} {'invitation' if sent == 1 else 'invitations'} sent again. The earlier "
              "links no longer work.", "success")
    for problem in problems[:20]:
        flash(problem, "info")
    return back


def _resend_one(session: Session, invitation: Invitation) -> str | None:
    config = current_app.config
    per_day = config["INVITATION_RESENDS_PER_DAY"]
    try:
        with session.begin_nested():
            token = invites.resend_invitation(session, invitation, actor=current_user,
                                              days=config["INVITATION_DAYS"], per_day=per_day)
            emails.send_invitation(session, invitation, token)
    except invites.ResendLimitError:
        return f"not sent: an invitation can be sent again {per_day} times a day"
    except invites.MembershipNotActiveError:
        return NOT_ACTIVE
    except invites.InvitationClosedError:
        return "not sent: it has already been accepted or withdrawn"
    return None


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def revoke(organisation: Organisation, invitation_id: int) -> ResponseReturnValue:
    """Withdraw an invitation, after a page asking the HR lead to confirm."""
    invitation = _invitation(organisation, invitation_id)
    if request.method == "GET":
        if not invitation.is_open:
            return _back_to_list(invitation)
        return render_template("champions/revoke.html", organisation=organisation,
                               invitation=invitation, form=ActionForm())
    if ActionForm().validate_on_submit():
        session = get_session()
        try:
            invites.revoke_invitation(session, invitation, actor=current_user)
        except invites.InvitationClosedError:
            flash("This invitation has already been accepted or withdrawn")
        else:
            session.commit()
            flash("Invitation withdrawn. The link in it no longer works.", "success")
    return _back_to_list(invitation)


@bp.route("/champions/upload", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def upload(organisation: Organisation) -> ResponseReturnValue:
    """Invite many champions from a CSV file: all of them, or none if any row is wrong."""
    form = UploadChampionsForm()
    problems: list[tuple[int, str]] = []
    if form.validate_on_submit():
        try:
            count = _invite_from_file(organisation, _uploaded_bytes(form))
        except bulk_invitations.ChampionFileError as error:
            form.file.errors.append(str(error))
        except bulk_invitations.ChampionRowsError as error:
            problems = error.problems
            form.file.errors.append("The file has problems, so we have not invited anyone. "
                                    "Fix the rows listed and upload the file again")
        else:
            flash(f"{count} {'invitation' if count == 1 else 'invitations'} sent", "success")
            return redirect(url_for(".index", org_id=organisation.id), code=303)
    return render_template("champions/upload.html", organisation=organisation, form=form,
                           problems=problems[:MAX_LISTED_PROBLEMS],
                           more_problems=max(len(problems) - MAX_LISTED_PROBLEMS, 0),
                           active=organisation.is_member)


def _uploaded_bytes(form: UploadChampionsForm) -> bytes:
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        raise bulk_invitations.ChampionFileError("Select a CSV file")
    if not upload.filename.lower().endswith(".csv"):
        raise bulk_invitations.ChampionFileError("The selected file must be a CSV file")
    limit = current_app.config["CHAMPION_CSV_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise bulk_invitations.ChampionFileError(
            f"The selected file must be smaller than {limit // 1024 // 1024}MB")
    return data


def _invite_from_file(organisation: Organisation, data: bytes) -> int:
    session = get_session()
    people = bulk_invitations.invitees_from_file(
        session, organisation, data, max_rows=current_app.config["CHAMPION_CSV_MAX_ROWS"])
    try:
        created = bulk_invitations.invite_many(session, organisation, people,
                                             invited_by=current_user,
                                             days=current_app.config["INVITATION_DAYS"])
        for invitation, token in created:
            emails.send_invitation(session, invitation, token)
        session.commit()
    except invites.MembershipNotActiveError as error:
        session.rollback()
        raise bulk_invitations.ChampionFileError(NOT_ACTIVE) from error
    except IntegrityError as error:
        session.rollback()
        raise bulk_invitations.ChampionFileError(RACED) from error
    return len(created)


@bp.route("/champions/upload/template.csv")
@organisation_role_required(OrgRole.HR_LEAD)
def upload_template(organisation: Organisation) -> ResponseReturnValue:
    return Response(bulk_invitations.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition":
                             'attachment; filename="champions-template.csv"'})


def _champion(organisation: Organisation, membership_id: int) -> Membership:
    membership = champion_service.champion_in(get_session(), organisation, membership_id)
    if membership is None:
        refuse(404, "not_in_organisation", organisation=organisation, target_type="membership",
               target_id=membership_id)
    return membership


@bp.route("/champions/<int:membership_id>/withdraw", methods=["GET", "POST"])
@organisation_role_required(OrgRole.HR_LEAD)
def withdraw(organisation: Organisation, membership_id: int) -> ResponseReturnValue:
    """Withdraw a champion: their account and training record stay; a replacement is suggested."""
    membership = _champion(organisation, membership_id)
    if not membership.is_current:
        abort(404)
    form = WithdrawChampionForm()
    if form.validate_on_submit():
        session = get_session()
        champion_service.withdraw_champion(session, membership, actor=current_user,
                                           reason=WithdrawalReason(form.reason.data))
        session.commit()
        return redirect(url_for(".withdrawn", org_id=organisation.id,
                                membership_id=membership.id), code=303)
    return render_template("champions/withdraw.html", organisation=organisation,
                           membership=membership, form=form)


@bp.route("/champions/<int:membership_id>/withdrawn")
@organisation_role_required(OrgRole.HR_LEAD)
def withdrawn(organisation: Organisation, membership_id: int) -> ResponseReturnValue:
    """Confirmation, and the prompt to nominate a replacement for the same site."""
    membership = _champion(organisation, membership_id)
    if membership.is_current:
        return redirect(url_for(".index", org_id=organisation.id), code=303)
    return render_template("champions/withdrawn.html", organisation=organisation,
                           membership=membership)
