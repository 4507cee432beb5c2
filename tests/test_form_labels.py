"""Every question visible (issue 18): each fieldset has a legend with text, each field a visible
label, and aria-describedby names only elements with text, on every page of the app.

axe has no rule for a radio group whose legend was dropped: the options are labelled, so it passes,
yet a sighted person sees six sector radios and no question. The page walk is the security sweep's
(tests/security_world.py): every GET route, as every kind of person, on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.form_labels import form_label_problems
from tests.joining_steps import ACCOUNT, post_step
from tests.security_world import build_security_world, clients_for, get_paths


@dataclass(frozen=True)
class Rendered:
    role: str
    path: str
    html: str


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> list[Rendered]:
    path = tmp_path_factory.mktemp("labels") / "portal.db"
    path.write_bytes(sqlite_template.read_bytes())
    app = make_app(f"sqlite:///{path}")
    with app.extensions["portal.sessionmaker"]() as session:
        world = build_security_world(app, session)
    clients = clients_for(app, world)
    pages = []
    for role, client in clients.items():
        for url in get_paths(app, world):
            response = client.get(url)
            body = response.get_data()  # read to the end: exports are streamed
            response.close()
            if response.status_code == 200 and response.mimetype == "text/html":
                pages.append(Rendered(role, url, body.decode()))
    # The joining steps as someone applying, and each with its error messages shown.
    applicant = app.test_client()
    assert post_step(applicant, "/join/account", ACCOUNT).status_code == 303
    for url in ("/join/organisation", "/join/sites/add", "/join/commitment"):
        pages.append(Rendered("applicant", url, applicant.get(url).get_data(as_text=True)))
        response = post_step(applicant, url, {})
        assert response.status_code == 200, url
        pages.append(Rendered("applicant", f"{url} (errors)", response.get_data(as_text=True)))
    app.extensions["portal.engine"].dispose()
    return pages


def test_every_question_has_a_visible_legend_or_label(rendered: list[Rendered]) -> None:
    problems = [f"{page.role} {page.path}: {problem}" for page in rendered
                for problem in form_label_problems(page.html)]
    assert len(rendered) > 100
    assert {"/join/organisation", "/join/sites/add"} <= {page.path for page in rendered}
    assert problems == []


def test_the_check_finds_a_dropped_legend_and_an_empty_hint() -> None:
    """What govuk-frontend-wtf renders when `fieldset` is passed without legend text."""
    dropped = """<form><div class="govuk-form-group"><fieldset class="govuk-fieldset"
        aria-describedby="sector-hint"><div id="sector-hint" class="govuk-hint"></div>
        <div class="govuk-radios"><div class="govuk-radios__item">
        <input class="govuk-radios__input" id="sector" name="sector" type="radio" value="a">
        <label class="govuk-label govuk-radios__label" for="sector">Private</label></div></div>
        </fieldset></div></form>"""
    assert form_label_problems(dropped) == [
        "fieldset <fieldset>: no legend as its first child",
        "<fieldset>: aria-describedby 'sector-hint' is empty",
    ]


def test_the_check_finds_unlabelled_and_loose_fields() -> None:
    page = """<form>
        <fieldset><legend class="govuk-visually-hidden">Day</legend>
          <input class="govuk-date-input__input" id="due-day" name="due-day"></fieldset>
        <input class="govuk-date-input__input" id="loose-day" name="loose-day">
        <label for="loose-day">Day</label>
        <label for="name" class="govuk-visually-hidden">Name</label><input id="name" name="name">
        <input type="radio" id="yes" name="answer"><label for="yes">Yes</label>
        <select id="size" name="size" aria-describedby="gone"></select>
        <input type="hidden" name="csrf_token"><button type="submit">Save</button>
        <label><input type="checkbox" name="agree"> I agree</label>
        </form>"""
    assert form_label_problems(page) == [
        "fieldset <fieldset>: legend is visually hidden",
        "text due-day: no label with text",
        "text loose-day: not inside a fieldset with a legend",
        "text name: label is visually hidden",
        "radio yes: not inside a fieldset with a legend",
        "select size: no label with text",
        "<select size>: aria-describedby 'gone' is missing",
    ]
