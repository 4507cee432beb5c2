"""Who may do what: policy functions, and the decorators that tag every view with its rule.

tests/test_permissions.py fails if any endpoint has no `access_rule` and is not in
PUBLIC_ENDPOINTS, so a new view cannot ship without an access decision (AUTHZ-01).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.db import get_session
from portal.models import Organisation, OrgRole, User

ViewFn = Callable[..., ResponseReturnValue]

# Endpoints with no decorator of ours: Flask's static files only.
PUBLIC_ENDPOINTS = frozenset({"static"})


def can_act_for(user: User, organisation: Organisation, roles: tuple[OrgRole, ...]) -> bool:
    """Coordinators may act for any organisation; others need one of `roles` in it."""
    return user.is_coordinator or user.role_in(organisation) in roles


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
            abort(404)
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
                abort(404)
            if not current_user.is_coordinator and current_user.role_in(organisation) is None:
                abort(404)
            if not can_act_for(current_user, organisation, roles):
                abort(403)
            return view(organisation=organisation, **kwargs)

        wrapped.access_rule = ("organisation", roles)  # type: ignore[attr-defined]
        return wrapped
    return decorator
