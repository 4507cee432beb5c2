"""The self-assessment and action plan in a real browser: take it, save and come back later,
resume, check the answers and submit; turn recommendations into a plan; complete an action that
records its policy element as in place. axe on every page, the error states included."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from portal.models import OrgRole
from portal.services.self_assessment import question_set
from tests.browser.conftest import LiveServer, assert_accessible
from tests.browser.test_joining import click, go, sign_in, sign_out
from tests.factories import DEFAULT_PASSWORD, make_member_organisation, make_user

WRITTEN_POLICY = ("Does the organisation have a written domestic abuse policy, approved by "
                  "leadership?")


def seed(server: LiveServer) -> tuple[int, str]:
    with server.db() as session:
        organisation = make_member_organisation(session, name="Halton Homes")
        hr = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        return organisation.id, hr.email


def choose(page: Page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def answer_section(page: Page, answers: dict[str, str], default: str = "Yes") -> None:
    for fieldset in page.locator("fieldset").all():
        question = fieldset.locator("legend").inner_text().strip()
        choose(page, question, answers.get(question, default))


def test_take_resume_finish_plan_and_complete_an_action(page: Page, live_server) -> None:
    org_id, hr = seed(live_server)
    sign_in(page, live_server, hr, DEFAULT_PASSWORD)
    go(page, live_server, f"/organisations/{org_id}")
    click(page, "link", "Take the self-assessment")
    click(page, "button", "Start the self-assessment")
    expect(page.get_by_role("heading", name="Policy")).to_be_visible()
    choose(page, WRITTEN_POLICY, "Not yet")
    click(page, "button", "Save and come back later")
    total = len(question_set().questions)
    expect(page.get_by_text(f"1 of {total} questions answered")).to_be_visible()
    sign_out(page, live_server)

    sign_in(page, live_server, hr, DEFAULT_PASSWORD)
    go(page, live_server, f"/organisations/{org_id}/self-assessment")
    click(page, "link", "Check your answers and submit")
    click(page, "button", "Submit your self-assessment")  # the rest unanswered: the errors
    assert page.title().startswith("Error: ")
    go(page, live_server, f"/organisations/{org_id}/self-assessment")
    click(page, "link", "Continue your self-assessment")
    assert page.get_by_role("group", name=WRITTEN_POLICY).get_by_label(
        "Not yet", exact=True).is_checked()  # resumed where it was left
    answer_section(page, {WRITTEN_POLICY: "Not yet"})
    click(page, "button", "Save and continue")
    answer_section(page, {"Have line managers been trained to respond to a disclosure?":
                          "Does not apply"})
    click(page, "button", "Save and continue")
    answer_section(page, {"Have you checked that staff actually know about the policy and "
                          "the champions?": "Partly"})
    click(page, "button", "Save and continue")
    answer_section(page, {})
    click(page, "button", "Save and continue")
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    click(page, "button", "Submit your self-assessment")
    expect(page.get_by_role("row", name="Policy 67%")).to_be_visible()
    expect(page.get_by_role("row", name="Training 100%")).to_be_visible()

    click(page, "button", "Add to the action plan")  # nothing chosen: an error
    assert page.title().startswith("Error: ")
    page.get_by_label("Adapt the model policy and have leadership approve it.").check()
    page.get_by_label("Run an anonymous staff awareness pulse.").check()
    click(page, "button", "Add to the action plan")
    expect(page.get_by_text("2 actions added to your action plan")).to_be_visible()

    go(page, live_server, f"/organisations/{org_id}")
    expect(page.get_by_role("heading", name="What’s next in your action plan")).to_be_visible()
    click(page, "link", "Adapt the model policy and have leadership approve it.")
    page.get_by_label("Done").check()
    page.get_by_label("Senior leadership").check()
    click(page, "button", "Save")
    expect(
        page.get_by_text("Written policy approved by leadership is now recorded as in "
                            "place"),
    ).to_be_visible()
    go(page, live_server, f"/organisations/{org_id}/policy/written-policy")
    expect(page.get_by_text("Completed in the action plan").first).to_be_visible()
    go(page, live_server, f"/organisations/{org_id}/self-assessment")
    expect(page.get_by_role("button", name="Take it again")).to_be_visible()
    assert_accessible(page)
