"""seed-demo gives the demo organisations what joining would: sites, sector, commitment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.models import (
    CommitmentSignature,
    Membership,
    Organisation,
    OrgRole,
    SchemeStatus,
    Site,
    utcnow,
)
from tests.factories import make_member_organisation


def test_seed_demo_adds_sites_sectors_and_a_signed_commitment_once(app, session) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    organisations = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    assert [len(o.sites) for o in organisations] == [2, 1]
    assert all(o.scheme_status == SchemeStatus.APPROVED and o.renewal_due_on for o in organisations)
    assert {o.sector.value for o in organisations} == {"private", "voluntary"}
    assert session.scalar(select(func.count()).select_from(CommitmentSignature)) == 2
    assert session.scalar(select(func.count()).select_from(Site)) == 3
    champions = session.scalars(select(Membership).where(Membership.role == OrgRole.CHAMPION))
    assert all(m.site is not None and m.site.organisation_id == m.organisation_id
               for m in champions)


def test_lapse_memberships_marks_overdue_members_lapsed(app, session) -> None:
    yesterday = utcnow().date() - timedelta(days=1)
    overdue = make_member_organisation(session, renewal_due_on=yesterday)
    make_member_organisation(session)
    session.commit()
    result = app.test_cli_runner().invoke(args=["lapse-memberships"])
    assert result.exit_code == 0 and "1 membership lapsed." in result.output
    session.expire_all()
    assert session.get(Organisation, overdue.id).scheme_status == SchemeStatus.LAPSED
