"""CSV building blocks: formula neutralising (CSV-01), file names, and the benchmark entry point."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from portal.services import exports
from portal.services.organisation_search import OrganisationSearch
from tests.monitoring_data import NOW, build_fixed_data


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


def test_the_benchmark_entry_point_writes_the_whole_file(session) -> None:
    build_fixed_data(session)
    out = io.StringIO()
    written = exports.write_champions_csv(session, out, search=OrganisationSearch(), now=NOW)
    rows = list(csv.reader(io.StringIO(out.getvalue()[1:])))
    assert written == len(out.getvalue())
    assert rows[0] == list(exports.CHAMPION_HEADER)
    assert len(rows) == 1 + 7 + 12 + 2 + 3  # current champions of A, B, C and D
