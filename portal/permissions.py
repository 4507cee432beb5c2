"""Who may do what: policy functions, and the decorators that tag every view with its rule.

tests/test_permissions.py fails if any endpoint has no `access_rule` and is not in
PUBLIC_ENDPOINTS, so a new view cannot ship without an access decision (AUTHZ-01).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from limits import parse
from sqlalchemy.exc import SQLAlchemyError

from portal import clock
from portal.db import get_session
from portal.extensions import limiter
from portal.models import AuditEvent, Organisation, OrgRole, User

ViewFn = Callable[..., ResponseReturnValue]
log = logging.getLogger(__name__)

# Endpoints with no decorator of ours: Flask's static files only.
PUBLIC_ENDPOINTS = frozenset({"static"})
# When this session last proved its password (seconds since the epoch), for sensitive actions.
AUTHENTICATED_AT_KEY = "authenticated_at"


def can_act_for(user: User, organisation: Organisation, roles: tuple[OrgRole, ...]) -> bool:
    """Coordinators may act for any organisation; others need one of `roles` in it."""
    return user.is_coordinator or user.role_in(organisation) in roles


def refuse(status: int, rule: str, *, organisation: Organisation | None = None,
           target_type: str | None = None, target_id: int | None = None) -> NoReturn:
    """Refuse a signed-in person's request (404 or 403) and leave an audit trail (AUTHZ-10)."""
    record_refusal(status, rule, organisation=organisation, target_type=target_type,
                   target_id=target_id)
    abort(status)


def record_refusal(status: int, rule: str, *, organisation: Organisation | None = None,
                   target_type: str | None = None, target_id: int | None = None) -> None:
    """One `access.denied` audit event: ids, the endpoint and the rule, no personal data.

    Every refusal is logged; the audit table gets at most ACCESS_DENIED_AUDIT_LIMIT events per
    person and endpoint, so nobody can flood it by repeating a request. The event is written in
    a session of its own and committed at once: the refused request itself changes nothing.
    """
    if not current_user.is_authenticated:
        return  # anonymous visitors are sent to sign in, not refused
    endpoint = request.endpoint or "unknown"
    log.warning("security.access_denied", extra={
        "endpoint": endpoint, "status": status, "rule": rule, "user_id": current_user.id})
    if not _first_refusal_in_window(current_user.id, endpoint):
        return
    event = AuditEvent(action="access.denied", outcome="denied", actor_id=current_user.id,
                       organisation_id=organisation.id if organisation is not None else None,
                       target_type=target_type, target_id=target_id,
                       request_id=g.get("request_id"),
                       details={"endpoint": endpoint, "method": request.method,
                                "status": status, "rule": rule})
    try:
        with current_app.extensions["portal.sessionmaker"]() as db:
            db.add(event)
            db.commit()
    except SQLAlchemyError:
        log.exception("security.access_denied_not_audited")  # the refusal stands regardless


def _first_refusal_in_window(user_id: int, endpoint: str) -> bool:
    """Counted in the rate-limit store, shared by every instance when that is Redis."""
    item = parse(current_app.config["ACCESS_DENIED_AUDIT_LIMIT"])
    try:
        return limiter.limiter.hit(item, current_app.config["RATELIMIT_KEY_PREFIX"],
                                   "access-denied", str(user_id), endpoint)
    except Exception:  # noqa: BLE001 - a store outage must not stop the event being recorded
        log.warning("security.access_denied_store_unavailable")
        return True


def public(view: ViewFn) -> ViewFn:
    """Anyone may use this view, signed in or not."""
    view.access_rule = "public"  # type: ignore[attr-defined]
    return view


def sign_in_required(view: ViewFn) -> ViewFn:
    """Any signed-in person may use this view."""
    wrapped = login_required(view)
    wrapped.access_rule = "signed_in"  # type: ignore[attr-defined]
    return wrapped


def coordinator_required(view: ViewFn) -> ViewFn:
    """Only scheme coordinators; everybody else gets 404, so the page's existence stays private."""
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_coordinator:
            refuse(404, "coordinators_only")
        return view(*args, **kwargs)

    wrapped.access_rule = "coordinator"  # type: ignore[attr-defined]
    return wrapped


def organisation_role_required(*roles: OrgRole) -> Callable[[ViewFn], ViewFn]:
    """Load the organisation named by `<int:org_id>`, check the user's role, and pass it on.

    404 if unknown or the user has no role in it (another employer's id reveals nothing), 403 if
    a member without the role. Coordinators may act for every organisation.
    """
    def decorator(view: ViewFn) -> ViewFn:
        @wraps(view)
        @login_required
        def wrapped(org_id: int, **kwargs: Any) -> ResponseReturnValue:
            organisation = get_session().get(Organisation, org_id)
            if organisation is None:
                refuse(404, "no_such_organisation", target_type="organisation", target_id=org_id)
            if not current_user.is_coordinator and current_user.role_in(organisation) is None:
                refuse(404, "other_organisation", organisation=organisation,
                       target_type="organisation", target_id=org_id)
            if not can_act_for(current_user, organisation, roles):
                refuse(403, "role", organisation=organisation, target_type="organisation",
                       target_id=org_id)
            return view(organisation=organisation, **kwargs)

        wrapped.access_rule = ("organisation", roles)  # type: ignore[attr-defined]
        return wrapped
    return decorator


def confidential_to_organisation(view: ViewFn) -> ViewFn:
    """Below `organisation_role_required(OrgRole.HR_LEAD)`: only the organisation's own HR leads,
    not coordinators acting for it (a self-assessment is the organisation's; coordinators see
    only figures across organisations). 404 for anyone else, as for another employer's id."""
    @wraps(view)
    def wrapped(organisation: Organisation, **kwargs: Any) -> ResponseReturnValue:
        if current_user.role_in(organisation) != OrgRole.HR_LEAD:
            refuse(404, "confidential_to_organisation", organisation=organisation,
                   target_type="organisation", target_id=organisation.id)
        return view(organisation=organisation, **kwargs)

    return wrapped


def mark_recently_authenticated() -> None:
    """Record that the person has just entered their password in this session."""
    session[AUTHENTICATED_AT_KEY] = clock.timestamp()


def authenticated_recently() -> bool:
    stamp = session.get(AUTHENTICATED_AT_KEY)
    window = current_app.config["RECENT_AUTHENTICATION_WINDOW"].total_seconds()
    return isinstance(stamp, int) and 0 <= clock.timestamp() - stamp <= window


def recent_authentication_required(view: ViewFn | None = None, *,
                                   return_to: str | None = None) -> Any:
    """The person must have entered their password in the last RECENT_AUTHENTICATION_WINDOW.

    Goes below an access decorator, which decides who may use the view at all. Otherwise the
    person is sent to confirm their password, then back to this page, or to the `return_to`
    endpoint (with the same arguments) for downloads, which cannot be a page to come back to.
    """
    def decorator(view: ViewFn) -> ViewFn:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not authenticated_recently():
                if return_to is not None:
                    target = url_for(return_to, **request.args.to_dict())
                else:
                    target = request.full_path.rstrip("?")
                return redirect(url_for("auth.confirm_password", next=target))
            return view(*args, **kwargs)

        wrapped.requires_recent_authentication = True  # type: ignore[attr-defined]
        return wrapped
    return decorator(view) if view is not None else decorator
