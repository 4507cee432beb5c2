"""Your training says where to continue and when the certificate runs out; results lead on
(issue 19, champions)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.models import Certificate, Module, OrgRole
from portal.services.lessons import CONTENTS_FROM, with_contents
from tests.factories import make_organisation, make_user, sync_courses
from tests.views.test_training import FIXTURES, complete_course, start, take


@pytest.fixture
def courses(session) -> dict[str, Module]:
    sync_courses(session, FIXTURES)
    return {m.key: m for m in session.scalars(select(Module))}


@pytest.fixture
def champion(session):
    user = make_user(session, organisation=make_organisation(session), role=OrgRole.CHAMPION)
    session.commit()
    return user


def test_a_new_champion_is_offered_their_first_module(signed_in, courses, champion) -> None:
    page = signed_in(champion).get("/training").get_data(as_text=True)
    resume = page.split('class="portal-resume', 1)[1].split("</div>", 1)[0]
    assert "Your next module" in resume and "First module" in resume
    assert f'href="/training/modules/{courses["first-module"].id}"' in resume


def test_a_started_module_is_where_they_continue(signed_in, courses, champion) -> None:
    client = signed_in(champion)
    start(client, courses["second-module"])
    page = client.get("/training").get_data(as_text=True)
    resume = page.split('class="portal-resume', 1)[1].split("</div>", 1)[0]
    assert "Continue where you left off" in resume and "Second module" in resume
    assert ">Continue<" in resume


def test_with_everything_passed_the_certificate_date_shows(signed_in, session, courses,
                                                            champion) -> None:
    client = signed_in(champion)
    certificate = complete_course(client, session, champion, courses)
    page = client.get("/training").get_data(as_text=True)
    assert "portal-resume" not in page
    expires = certificate.expires_at
    assert f"valid until <strong>{expires.day} {expires:%B %Y}</strong>" in page


def test_a_passed_result_offers_the_next_module(signed_in, session, courses, champion) -> None:
    client = signed_in(champion)
    response, attempt = take(client, session, champion, courses["first-module"], right=True)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Next module" in html
    assert f'href="/training/modules/{courses["second-module"].id}"' in html


def test_the_last_module_passed_offers_the_certificate_not_a_next_module(
        signed_in, session, courses, champion) -> None:
    client = signed_in(champion)
    take(client, session, champion, courses["first-module"], right=True)
    response, _ = take(client, session, champion, courses["second-module"], right=True)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Next module" not in html and "View and download your certificate" in html
    assert session.scalar(select(Certificate)) is not None


def test_a_failed_result_offers_try_again_before_the_answers(signed_in, session, courses,
                                                             champion) -> None:
    client = signed_in(champion)
    response, _ = take(client, session, champion, courses["first-module"], right=False)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert html.index("Try the quiz again") < html.index("Your answers")
    assert "Next module" not in html


def test_long_lessons_get_a_contents_list(signed_in, session, champion, tmp_path: Path) -> None:
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES, root)
    path = root / "basics" / "01-first.md"
    sections = "".join(f"\n## Part {n} & more\n\nText {n}.\n" for n in range(1, CONTENTS_FROM + 1))
    path.write_text(path.read_text().replace("# First module\n", "# First module\n" + sections))
    sync_courses(session, root)
    module = session.scalar(select(Module).where(Module.key == "first-module"))
    html = signed_in(champion).get(f"/training/modules/{module.id}").get_data(as_text=True)
    contents = html.split('aria-labelledby="contents-heading"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="#(section-\d+)">Part \d &amp; more', contents) == [
        f"section-{n}" for n in range(1, CONTENTS_FROM + 1)]
    assert 'href="#quiz"' in contents and 'id="quiz"' in html
    for n in range(1, CONTENTS_FROM + 1):
        assert f'<h2 id="section-{n}"' in html


def test_short_lessons_are_left_as_they_are() -> None:
    body = '<h2 class="govuk-heading-m">Only</h2><p class="govuk-body">x</p>'
    assert with_contents(body) == (body, ())
