"""The demo data `flask --app portal seed-demo` loads: two organisations, their HR leads and
champions, the coordinator, some training and policy progress. Never in production.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.courses import load_catalogue
from portal.models import (
    ActionStatus,
    Assignment,
    AttemptStatus,
    AwarenessPulse,
    Borough,
    CommitmentSignature,
    Course,
    ElementStatus,
    Membership,
    Module,
    Organisation,
    OrgRole,
    QuizAttempt,
    SchemeStatus,
    Sector,
    SelfAssessment,
    SessionMode,
    Site,
    User,
    utcnow,
)
from portal.services import action_plan, live_sessions, pulse, self_assessment
from portal.services.assignments import (
    assign,
    assign_required_courses,
    assign_required_for_organisation,
)
from portal.services.catalogue import sync_catalogue
from portal.services.commitments import current_commitment
from portal.services.organisations import add_months
from portal.services.policy import ElementAnswers, record_for, save_element, verify_element
from portal.services.tiers import refresh_tier
from portal.services.training import record_completion

DEMO_PASSWORD = "demo-password-for-local-use-only"  # noqa: S105 - local demos only  # nosec B105
# The demo coordinator's authenticator key: public, like the password, and only for local demos.
DEMO_COORDINATOR = "coordinator@example.org"
DEMO_TOTP_SECRET = "DEMOCOORDINATORKEYLOCALUSEONLY22"  # noqa: S105 - local demos  # nosec B105
DEMO_ORGANISATIONS = {
    "Mersey Ferries Trading Ltd": ("Hannah Reid", ["Sam Patel", "Jo Murphy"]),
    "Knowsley Community Bakery": ("Omar Haddad", ["Łucja Nowak-Öztürk", "Chris Doyle"]),
}

# Sector, registered number, public listing and sites (name, borough, headcount) of each.
DEMO_MEMBERSHIP = {
    "Mersey Ferries Trading Ltd": (Sector.PRIVATE, "01234567", True,
                                   [("Pier Head terminal", Borough.LIVERPOOL, 180),
                                    ("Seacombe terminal", Borough.WIRRAL, 60)]),
    "Knowsley Community Bakery": (Sector.VOLUNTARY, "1123456", False,
                                  [("Bakery and shop", Borough.KNOWSLEY, 35)]),
}




def load_demo(session: Session, password_hash: str) -> None:
    now = utcnow()
    session.add(User(email=DEMO_COORDINATOR, full_name="Dana Coordinator",
                     is_coordinator=True, password_hash=password_hash, exit_explained_at=now))
    for number, (org_name, (hr_name, champions)) in enumerate(DEMO_ORGANISATIONS.items(), 1):
        organisation = Organisation(name=org_name, scheme_status=SchemeStatus.APPROVED,
                                    champion_contact=f"Email champions{number}@example.org "
                                                     "or search 'Champions' on the intranet")
        session.add(organisation)
        people = [(hr_name, f"hr{number}@example.org", OrgRole.HR_LEAD)]
        people += [(name, f"champion{number}{i}@example.org", OrgRole.CHAMPION)
                   for i, name in enumerate(champions, 1)]
        for full_name, email, role in people:
            user = User(email=email, full_name=full_name, password_hash=password_hash)
            session.add(Membership(user=user, organisation=organisation, role=role))


def complete_demo_memberships(session: Session) -> None:
    """Give the demo organisations their sites, sector and signed commitment, once."""
    now = utcnow()
    for name, (sector, number, listed, sites) in DEMO_MEMBERSHIP.items():
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None or organisation.sites:
            continue
        organisation.sector, organisation.registered_number = sector, number
        organisation.listed_publicly = listed
        organisation.submitted_at = organisation.approved_at = now
        organisation.renewal_due_on = add_months(now.date(), current_app.config["RENEWAL_MONTHS"])
        for site_name, borough, headcount in sites:
            session.add(Site(organisation=organisation, name=site_name, borough=borough,
                             headcount=headcount))
        _sign_and_place_demo_people(session, organisation, now)


def _sign_and_place_demo_people(session: Session, organisation: Organisation, now: object) -> None:
    session.flush()
    hr_lead = next(m.user for m in organisation.memberships if m.role == OrgRole.HR_LEAD)
    session.add(CommitmentSignature(organisation=organisation, version=current_commitment().version,
                                    signed_by=hr_lead, signatory_name=hr_lead.full_name,
                                    signatory_job_title="Head of People", signed_at=now))
    for index, membership in enumerate(organisation.memberships):
        membership.user.email_verified_at = membership.user.email_verified_at or now
        if membership.role == OrgRole.CHAMPION:
            membership.site = organisation.sites[index % len(organisation.sites)]


# The first demo organisation's policy: some elements in place, one of them verified.
DEMO_POLICY = [
    ("written_policy", ElementStatus.IN_PLACE, 120,
     "Policy approved by the board on the date shown; minute 14/3 records the decision.", True),
    ("staff_informed", ElementStatus.IN_PLACE, 90,
     "Intranet page and team briefing for every terminal; added to the induction programme.",
     False),
    ("named_champions", ElementStatus.IN_PROGRESS, None, None, False),
    ("review_date", ElementStatus.IN_PLACE, 120,
     "The policy's front page sets the review for two years after approval.", False),
]


def seed_demo_policy(session: Session) -> None:
    """Record the demo policy once, through the same service HR leads and coordinators use."""
    organisation = session.scalar(select(Organisation).where(
        Organisation.name == next(iter(DEMO_ORGANISATIONS))))
    if organisation is None or record_for(session, organisation, DEMO_POLICY[0][0]):
        return
    hr_lead = next(m.user for m in organisation.memberships if m.role == OrgRole.HR_LEAD)
    coordinator = session.scalar(select(User).where(User.email == "coordinator@example.org"))
    now = utcnow()
    for key, status, days_ago, note, verified in DEMO_POLICY:
        in_place_on = (now - timedelta(days=days_ago)).date() if days_ago else None
        review_on = add_months(in_place_on, 24) if in_place_on else None
        result = save_element(session, organisation, key,
                              ElementAnswers(status, in_place_on, review_on, note),
                              version=0, actor=hr_lead, now=now)
        if verified and coordinator is not None:
            verify_element(session, result.record, version=result.record.version,
                           actor=coordinator, now=now)
    for other in session.scalars(select(Organisation).where(
            Organisation.name.in_(list(DEMO_ORGANISATIONS)))):
        refresh_tier(session, other, now)


def demo_training(session: Session) -> None:
    """The courses, and the first demo organisation's assignments: some overdue, some due soon,
    one set by its HR lead, and a champion part-way through. Once only."""
    if session.scalar(select(Course.id).limit(1)) is None:
        catalogue, errors = load_catalogue(current_app.config["COURSES_DIR"])
        if errors:
            return
        sync_catalogue(session, catalogue)
    organisation = session.scalar(select(Organisation).where(
        Organisation.name == next(iter(DEMO_ORGANISATIONS))))
    if organisation is None or session.scalar(select(Assignment.id).where(
            Assignment.organisation_id == organisation.id).limit(1)) is not None:
        return
    today = clock.today()
    people = {m.user.email: m for m in organisation.memberships}
    # Joined 40, 25 and 10 days ago: required training overdue, due in 5 days, due in 20.
    for email, days_ago in (("champion11@example.org", 40), ("champion12@example.org", 25),
                            ("hr1@example.org", 10)):
        assign_required_courses(session, people[email], today=today - timedelta(days=days_ago))
    course = session.scalar(select(Course).where(Course.key == "champion-essentials"))
    if course is None or len(course.modules) < 5:
        return
    jo = people["champion12@example.org"]
    for module in course.modules[:3]:
        _demo_pass(session, jo.user_id, module)
    assign(session, organisation, [jo], actor=people["hr1@example.org"].user,
           module=course.modules[4], due_on=today + timedelta(days=14), today=today)
    for other in DEMO_MEMBERSHIP:  # the other organisation: as joining would leave it
        org = session.scalar(select(Organisation).where(Organisation.name == other))
        if org is not None and org is not organisation:
            assign_required_for_organisation(session, org)
    demo_certificates_and_session(session, course)


def demo_certificates_and_session(session: Session, course: Course) -> None:
    """Łucja holds a current certificate, Chris one in its renewal window (earned 20 months
    ago, 24-month refresher, 6-month window), and a live session in ten days has two places
    booked and Chris on its waiting list."""
    people = {u.email: u for u in session.scalars(select(User).where(User.email.in_(
        ["champion11@example.org", "champion21@example.org", "champion22@example.org",
         DEMO_COORDINATOR])))}
    if len(people) < 4:
        return
    now = utcnow()
    for module in course.modules:
        _demo_pass(session, people["champion21@example.org"].id, module)
        _demo_pass(session, people["champion22@example.org"].id, module,
                   when=now - relativedelta(months=20))
    starts = datetime.combine(clock.today() + timedelta(days=10), time(10),
                              tzinfo=clock.LONDON)
    live_session = live_sessions.schedule(session, live_sessions.SessionDetails(
        course=course, mode=SessionMode.IN_PERSON, starts_at=starts,
        ends_at=starts + timedelta(hours=6), capacity=2, venue="Central Library, Room 2",
        borough=Borough.LIVERPOOL, access_info="Step-free entrance on William Brown Street; "
        "hearing loop in the room."), actor=people[DEMO_COORDINATOR])
    for email in ("champion11@example.org", "champion21@example.org", "champion22@example.org"):
        live_sessions.book(session, live_session, people[email], actor=people[email], now=now)


def _demo_pass(session: Session, user_id: int, module: Module, when: datetime | None = None
               ) -> None:
    now = when or utcnow()
    attempt = QuizAttempt(user_id=user_id, module_id=module.id,
                          module_version_id=module.current_version_id, drawn=[],
                          status=AttemptStatus.SUBMITTED, score=100, passed=True,
                          started_at=now, submitted_at=now)
    session.add(attempt)
    session.flush()
    record_completion(session, attempt, now)


# The first demo organisation's self-assessment: a year's progress, and a plan from the latest.
DEMO_ANSWERS = {"written_policy": "yes", "confidentiality": "partly", "perpetrators": "no",
                "champions_named": "partly", "managers_trained": "no", "hr_trained": "yes",
                "staff_informed": "yes", "awareness_checked": "no", "leadership_visible": "partly",
                "safe_leave": "partly", "safety_measures": "not_applicable",
                "support_displayed": "no"}
DEMO_PULSE_ANSWERS = 14  # enough for results to show


def seed_demo_self_assessment(session: Session) -> None:
    """A submitted self-assessment with a plan made from its recommendations (one action
    overdue, one under way), through the services HR leads use. Once only."""
    organisation = _first_demo_organisation(session)
    if organisation is None or session.scalar(select(SelfAssessment.id).where(
            SelfAssessment.organisation_id == organisation.id).limit(1)) is not None:
        return
    hr_lead = next(m.user for m in organisation.memberships if m.role == OrgRole.HR_LEAD)
    now = utcnow()
    assessment = self_assessment.start(session, organisation, actor=hr_lead, now=now)
    self_assessment.save_answers(assessment, dict(DEMO_ANSWERS), now=now)
    self_assessment.submit(session, organisation, assessment, actor=hr_lead, now=now)
    keys = [r.question.key for r in self_assessment.recommendations(assessment)]
    action_plan.add_recommendations(session, organisation, assessment, keys,
                                    due_on=clock.today() + timedelta(days=60), actor=hr_lead,
                                    now=now)
    session.flush()
    actions = action_plan.actions_for(session, organisation)
    actions[0].due_on = clock.today() - timedelta(days=5)
    actions[1].status = ActionStatus.IN_PROGRESS


def seed_demo_pulse(session: Session) -> AwarenessPulse | None:
    """An open staff awareness pulse with enough answers to show results; the open one."""
    organisation = _first_demo_organisation(session)
    if organisation is None:
        return None
    today = clock.today()
    found = next((p for p in pulse.pulses_for(session, organisation) if p.is_open(today)), None)
    if found is not None:
        return found
    hr_lead = next(m.user for m in organisation.memberships if m.role == OrgRole.HR_LEAD)
    found = pulse.open_pulse(session, organisation, None, closes_on=today + timedelta(days=21),
                             actor=hr_lead, today=today)
    for number in range(DEMO_PULSE_ANSWERS):
        pulse.record_answers(session, found, {
            "policy": "yes" if number % 4 else "not_sure",
            "champions": ("both", "who_only", "no")[number % 3],
            "support": "yes" if number % 2 else "no"})
    return found


def _first_demo_organisation(session: Session) -> Organisation | None:
    return session.scalar(select(Organisation).where(
        Organisation.name == next(iter(DEMO_ORGANISATIONS))))


def enrol_demo_coordinator(session: Session) -> None:
    """The demo coordinator's two-factor sign-in uses a fixed, printed key (never in production)."""
    coordinator = session.scalar(select(User).where(User.email == DEMO_COORDINATOR))
    if coordinator is not None and not coordinator.has_two_factor:
        coordinator.totp_secret = DEMO_TOTP_SECRET
        coordinator.totp_confirmed_at = utcnow()




