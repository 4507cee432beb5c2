"""The directory's data file: every entry is valid and loads; `directory load` is all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from portal.models import AuditEvent, SupportService
from portal.services.directory import DATA_FILE, read_directory
from portal.services.support import validate_service

# Every service the seed documents name with a way to reach it (reference/seeds/003 lists them),
# except the "Worst Kept Secret Helpline": its operator, area and hours could not be confirmed
# from the service's own material, so it is left out (issue 20;
# tests/courses/test_content_safety.py).
SEEDED_NUMBERS = {
    "999", "101", "0800 555 111", "0808 2000 247", "0808 801 0327",
    "0800 999 5428", "0330 363 0063", "116 123", "0151 443 2610", "0151 548 3333",
    "0151 443 2600",
}
SEEDED_WEBSITES = {"https://www.victimcaremerseyside.org/", "https://www.thefirststep.org.uk/",
                   "https://www.womensaid.org.uk/information-support/", "https://refuge.org.uk/"}


def raw_entries() -> list[dict]:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["services"]


@pytest.mark.parametrize("entry", raw_entries(), ids=lambda entry: entry["key"])
def test_every_seeded_entry_passes_validation(entry: dict) -> None:
    validate_service(entry)  # the same rules as the coordinators' forms
    assert entry["source"].strip() and entry["last_checked"]


def test_the_file_reads_cleanly_and_includes_the_seeded_services() -> None:
    entries = read_directory()
    assert len(entries) == len(raw_entries()) == len({e.key for e in entries})
    assert SEEDED_NUMBERS <= {e.details.phone for e in entries}
    assert SEEDED_WEBSITES <= {e.details.website for e in entries}
    assert "savera-uk" in {e.key for e in entries}  # named in seed 000


def load(app, *args: str):  # noqa: ANN201 - a click Result
    return app.test_cli_runner().invoke(args=["directory", "load", *args])


def count(session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_directory_load_is_idempotent(app, session) -> None:
    first = load(app)
    assert first.exit_code == 0, first.output
    total = len(raw_entries())
    assert f"{total} created, 0 updated, 0 unchanged." in first.output
    again = load(app)
    assert f"0 created, 0 updated, {total} unchanged." in again.output
    assert count(session, SupportService) == total
    assert count(session, AuditEvent) == 1  # one record of the load that changed something
    samaritans = session.scalar(select(SupportService).where(SupportService.key == "samaritans"))
    assert samaritans.tel_link == "tel:116123" and samaritans.open_24_hours is True
    assert samaritans.borough_keys == ["national"]


def write(tmp_path: Path, services: list[dict]) -> Path:
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "services": services}), encoding="utf-8")
    return path


def entry(key: str, **changes: object) -> dict:
    values = {"key": key, "name": f"Service {key}", "summary": "Support by phone.",
              "phone": "0808 2000 247", "boroughs": ["national"],
              "categories": ["domestic-abuse"], "source": "Its own website",
              "last_checked": "2026-11-01"}
    values.update(changes)
    return values


def test_an_invalid_entry_means_nothing_is_written(app, session, tmp_path: Path) -> None:
    path = write(tmp_path, [
        entry("good"),
        entry("bad-phone", phone="+44 808 2000 247"),
        entry("bad-link", website="javascript:alert(1)", summary="<b>hi</b>"),
        entry("good"),
        entry("Bad Key", colour="blue"),
        entry("no-date", last_checked="soon", source=""),
    ])
    result = load(app, "--file", str(path))
    assert result.exit_code != 0
    output = result.output
    assert f'{path}: service "bad-phone": phone: Enter the phone number using only digits' \
        in output
    assert f'{path}: service "bad-link": website: Enter a website address that starts with ' \
        'https://' in output
    assert f'{path}: service "bad-link": summary: Summary must not include the characters' in output
    assert f'{path}: service "good": key: the key is used by another service' in output
    assert f'{path}: service "Bad Key": key: Key must be lower-case' in output
    assert f'{path}: service "Bad Key": colour: unknown field "colour"' in output
    assert f'{path}: service "no-date": last_checked: last_checked must be a date' in output
    assert f'{path}: service "no-date": source: source must say where' in output
    assert "Nothing was loaded" in output
    assert count(session, SupportService) == 0


@pytest.mark.parametrize(("text", "message"), [
    ("version: 2\nservices: []\n", "must be a mapping with version: 1"),
    ("version: 1\nservices: []\n", "must have a list of services"),
    ("version: 1\nservices: [\n", "cannot be read"),
    ("- just a list\n", "must be a mapping with version: 1"),
])
def test_a_broken_file_is_refused(app, session, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "services.yaml"
    path.write_text(text, encoding="utf-8")
    result = load(app, "--file", str(path))
    assert result.exit_code != 0 and f"{path}: {message}" in result.output


def test_reload_keeps_coordinators_edits_until_the_file_changes(app, session,
                                                                tmp_path: Path) -> None:
    path = write(tmp_path, [entry("one"), entry("two")])
    assert "2 created" in load(app, "--file", str(path)).output
    one = session.scalar(select(SupportService).where(SupportService.key == "one"))
    one.phone = "0800 555 111"  # as if a coordinator had edited it
    session.commit()
    reloaded = load(app, "--file", str(path))
    assert "0 created, 0 updated, 2 unchanged." in reloaded.output
    session.refresh(one)
    assert one.phone == "0800 555 111"

    write(tmp_path, [entry("one", summary="New summary.", source="Changed source"),
                     entry("two", source="Only the source changed"), entry("three")])
    changed = load(app, "--file", str(path))
    assert "1 created, 1 updated, 1 unchanged." in changed.output
    assert "updated: one" in changed.output
    session.refresh(one)
    assert (one.summary, one.phone) == ("New summary.", "0808 2000 247")  # the file wins


def test_loading_never_brings_back_a_retired_service(app, session, tmp_path: Path) -> None:
    path = write(tmp_path, [entry("one")])
    load(app, "--file", str(path))
    service = session.scalar(select(SupportService))
    service.retired_at = service.created_at
    session.commit()
    write(tmp_path, [entry("one", summary="Changed.")])
    assert "1 updated" in load(app, "--file", str(path)).output
    session.refresh(service)
    assert service.is_retired and service.summary == "Changed."


# Issue 20: the directory covers the city region and the specialist services named there. Halton
# has no borough-only domestic abuse service yet: its only published number was found on a news
# aggregator, not on the council's or the service's own pages (see the comment above the Liverpool
# entry in support-services.yaml), so the test says so. Liverpool's comes from the city council's
# own news site.
CITY_REGION = ["halton", "knowsley", "liverpool", "sefton", "st-helens", "wirral"]
BOROUGH_ONLY_DOMESTIC_ABUSE = {"knowsley", "liverpool", "sefton", "st-helens", "wirral"}


@pytest.mark.parametrize("borough", CITY_REGION)
def test_every_city_region_borough_has_local_services(borough: str) -> None:
    local = [e for e in raw_entries() if borough in e["boroughs"]]
    assert local, borough
    borough_only = [e for e in local if e["boroughs"] == [borough]
                    and "domestic-abuse" in e["categories"]]
    assert bool(borough_only) == (borough in BOROUGH_ONLY_DOMESTIC_ABUSE), borough


@pytest.mark.parametrize(("key", "category"), [
    ("national-stalking-helpline", "stalking"),
    ("rape-crisis-24-7-support-line", "sexual-violence"),
    ("hourglass", "domestic-abuse"),
    ("signhealth-domestic-abuse-service", "domestic-abuse"),
    ("southall-black-sisters", "domestic-abuse"),
    ("liverpool-domestic-abuse-services", "domestic-abuse"),
])
def test_the_specialist_services_of_issue_20_are_listed(key: str, category: str) -> None:
    entries = {e["key"]: e for e in raw_entries()}
    assert category in entries[key]["categories"]
    assert "checked 2026-12-07" in entries[key]["source"]



# Gaps recorded by issue 20, not filled because nothing could be verified from the service's own
# published material (checked 2026-12-07): a disabled-led domestic abuse service with national
# reach, and a national helpline run by and for Black and minoritised victims besides Southall
# Black Sisters. The directory's by-and-for services are exactly these two; adding one must come
# with its source and an update to this note.
def test_the_by_and_for_services_are_the_two_verified_ones() -> None:
    by_and_for = {e["key"] for e in raw_entries()
                  if any(words in e["summary"].lower()
                         for words in ("by-and-for", "run by and for", "deaf-led"))}
    assert by_and_for == {"signhealth-domestic-abuse-service", "southall-black-sisters"}
