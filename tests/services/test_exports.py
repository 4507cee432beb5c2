"""CSV building blocks: formula neutralising (CSV-01), file names, and the benchmark entry point."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from portal.models import Borough, Sector
from portal.services import exports, monitoring
from portal.services.organisation_search import OrganisationSearch
from tests.monitoring_data import NOW, build_fixed_data, make_champion, make_org
from tests.services.test_small_numbers_attack import build_attack_data, every_view

HOSTILE = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=cmd",
           "\r=cmd", " =1+1", "\n=1", "＝1+1", "＠SUM(A1)"]


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+44 151", "'+44 151"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd", "'\t=cmd"), ("\r=cmd", "'\r=cmd"), ("  =1+1", "'  =1+1"), ("\n=1", "'\n=1"),
    ("＝1+1", "'＝1+1"), ("Alder Foods", "Alder Foods"), ("O'Brien", "O'Brien"),
    ("a=b", "a=b"), ("", ""), (-5, -5), (12, 12), (None, None), (2.5, 2.5),
])
def test_neutralise(value: object, expected: object) -> None:
    assert exports.neutralise(value) == expected


def test_chunks_start_with_a_byte_order_mark_and_quote_properly() -> None:
    text = "".join(exports.csv_chunks(("Name", "Note"), [("=x", 'say "hi", then\nleave')]))
    assert text.startswith("\ufeffName,Note\r\n")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["Name", "Note"],
                                                       ["'=x", 'say "hi", then\nleave']]


def test_an_export_without_rows_is_the_header_alone() -> None:
    assert list(exports.csv_chunks(("Name", "Note"), [])) == ["\ufeffName,Note\r\n"]


def test_large_exports_come_in_several_chunks() -> None:
    chunks = list(exports.csv_chunks(("n",), ((n,) for n in range(1200))))
    assert len(chunks) == 3 and "".join(chunks).count("\r\n") == 1201


@pytest.mark.parametrize(("scheme", "expected"), [
    ("Workplace Champions", "workplace-champions-champions-2026-11-21.csv"),
    ("  Safe @ Work!! ", "safe-work-champions-2026-11-21.csv"),
    ("***", "export-champions-2026-11-21.csv"),
])
def test_file_names_are_neutral_and_safe(scheme: str, expected: str) -> None:
    assert exports.filename(scheme, "champions", date(2026, 11, 21)) == expected


def test_the_champions_export_is_the_header_and_the_current_champions_of_members(session) -> None:
    build_fixed_data(session)
    text = "".join(exports.champions_csv(session, OrganisationSearch(), NOW))
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == list(exports.CHAMPION_HEADER)
    assert len(rows) == 1 + 7 + 12 + 2  # current champions of members A, B and C (D is suspended)


def test_the_champion_export_neutralises_everything_people_can_type(session) -> None:
    """CSV-01 for the champion export, which neutralises only the cells people can type
    (organisation, site and person names, email addresses) and trusts the ones it makes:
    every hostile value comes out inert, and no cell at all is one a spreadsheet would run."""
    for number, text in enumerate(HOSTILE):
        org = make_org(session, f"{text} {number}", sector=Sector.OTHER,
                       sites=[(Borough.HALTON, 10)], applied=NOW - timedelta(days=1),
                       approved=NOW)  # its site is named "<organisation name> site 1"
        make_champion(session, org, org.sites[0], joined=NOW, full_name=f"{text} {number}",
                      email=f"{text}{number}@example.org".lower())
    session.flush()
    text = "".join(exports.champions_csv(session, OrganisationSearch(), NOW))
    rows = list(csv.reader(io.StringIO(text[1:])))[1:]
    assert len(rows) == len(HOSTILE)
    for row in rows:
        organisation, site, name, email = row[1], row[3], row[5], row[6]
        assert all(cell.startswith("'") for cell in (organisation, site, name, email)), row
        assert all(exports.neutralise(cell) == cell for cell in row), row


def test_the_champions_export_lists_the_champions_the_dashboard_counts(session) -> None:
    """Issue 17, acceptance 2: for the whole scheme, every filter and every pair of filters,
    the champions export has one row for each champion the dashboard counts, and its training
    column agrees with the dashboard's current certifications, ever trained and overdue."""
    build_fixed_data(session)
    build_attack_data(session)
    views = every_view()
    assert len(views) == 209
    for filters in views:
        headline = monitoring.dashboard(session, filters, NOW).headline
        rows = list(exports.champion_rows(session, OrganisationSearch(filters=filters), NOW))
        training = [row[8] for row in rows]
        assert (len(rows), training.count("Certification current"),
                len(rows) - training.count("Not trained"), sum(row[11] > 0 for row in rows)) \
            == (headline.champions.value, headline.certified.value, headline.trained.value,
                headline.overdue.value), filters
        assert {row[2] for row in rows} <= {"Approved"}
