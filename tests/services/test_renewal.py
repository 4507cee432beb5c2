"""Renewal windows: a certificate is renewed from its window (months before expiry) to its
grace period (months after), running on from the old expiry date; never re-issued before the
window opens; every certification kept with its own dates."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from portal.models import Certificate, utcnow
from portal.services import training
from tests.factories import make_member_organisation
from tests.training_steps import load_basics, make_champion, pass_module

MONTH = relativedelta(months=1)


def setup(session):  # noqa: ANN001, ANN201
    course, modules = load_basics(session)  # 24-month refresher
    course.renewal_window_months, course.renewal_grace_months = 6, 3
    person = make_champion(session, make_member_organisation(session))
    return course, list(modules.values()), person


def pass_all(session, person, modules, when) -> None:  # noqa: ANN001
    for module in modules:
        pass_module(session, person, module, when)


def certificates(session, person) -> list[Certificate]:  # noqa: ANN001
    return list(session.scalars(select(Certificate).where(Certificate.user_id == person.id)
                                .order_by(Certificate.issued_at)))


def test_renewed_in_the_window_from_the_old_expiry_and_history_kept(session) -> None:  # noqa: ANN001
    course, modules, person = setup(session)
    start = utcnow() - 30 * MONTH
    pass_all(session, person, modules, start)
    (first,) = certificates(session, person)
    assert first.expires_at == start + 24 * MONTH
    pass_all(session, person, modules, start + 12 * MONTH)  # the window is not open yet
    assert len(certificates(session, person)) == 1
    assert training.renewal_state(first, course, start + 19 * MONTH) \
        == training.RenewalState.OPEN
    pass_all(session, person, modules, start + 20 * MONTH)
    first_again, renewed = certificates(session, person)
    assert (first_again.id, first_again.expires_at) == (first.id, start + 24 * MONTH)
    assert renewed.expires_at == start + 48 * MONTH  # renewing early loses nothing


def test_renewed_in_the_grace_period_and_afresh_after_it(session) -> None:  # noqa: ANN001
    course, modules, person = setup(session)
    start = utcnow() - 40 * MONTH
    pass_all(session, person, modules, start)
    (first,) = certificates(session, person)
    assert training.renewal_state(first, course, start + 25 * MONTH) \
        == training.RenewalState.GRACE
    pass_all(session, person, modules, start + 25 * MONTH)
    assert certificates(session, person)[-1].expires_at == start + 48 * MONTH

    late = make_champion(session, make_member_organisation(session))
    pass_all(session, late, modules, start)
    assert training.renewal_state(certificates(session, late)[0], course,
                                  start + 28 * MONTH) == training.RenewalState.CLOSED
    pass_all(session, late, modules, start + 28 * MONTH)
    assert certificates(session, late)[-1].expires_at == start + 52 * MONTH


def test_a_course_needing_a_session_renews_only_with_a_session_in_the_window(session) -> None:  # noqa: ANN001
    course, modules, person = setup(session)
    course.requires_live_session = False
    start = utcnow() - 30 * MONTH
    pass_all(session, person, modules, start)
    course.requires_live_session = True  # from now on the course asks for a session as well
    pass_all(session, person, modules, start + 20 * MONTH)
    assert len(certificates(session, person)) == 1


def test_the_refresher_path_renews_with_fewer_modules(session) -> None:  # noqa: ANN001
    course, modules, person = setup(session)
    first_module, second_module = modules
    first_module.in_refresher = False  # as `refresher_modules: [second-module]` syncs
    start = utcnow() - 20 * MONTH
    pass_all(session, person, modules, start)
    pass_module(session, person, second_module, start + 19 * MONTH)  # in the window
    assert len(certificates(session, person)) == 2
    late = make_champion(session, make_member_organisation(session))
    pass_all(session, late, modules, start - 10 * MONTH)
    pass_module(session, late, second_module, start + 19 * MONTH)  # window closed: all again
    assert len(certificates(session, late)) == 1
