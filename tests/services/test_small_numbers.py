"""Small numbers: the cell-key rounding every published count of people goes through (PRIV-07).

The attack on the dashboard itself, across filters, is in test_disclosure_attack.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.models.people import RECORD_KEYS
from portal.services.small_numbers import BASE, FEWER_THAN, MAX_ERROR, Cell, cell, rounded

KEYS = range(RECORD_KEYS)


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (1, FEWER_THAN), (4, FEWER_THAN)])
def test_zero_is_shown_and_one_to_four_is_fewer_than_five_whatever_the_key(value: int,
                                                                         text: str) -> None:
    assert {Cell(value, key).text for key in KEYS} == {text}
    assert {Cell(value, key).number for key in KEYS} == ({0} if value == 0 else {None})


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=BASE, max_value=100_000), st.integers(0, RECORD_KEYS - 1))
def test_other_counts_are_a_multiple_of_five_at_most_four_away(value: int, key: int) -> None:
    number = Cell(value, key).number
    assert number is not None and number % BASE == 0 and number >= BASE
    assert abs(number - value) <= MAX_ERROR
    assert Cell(value, key).text == f"{number:,}"


def test_multiples_of_five_are_never_changed() -> None:
    assert {Cell(value, key).number for value in (5, 10, 1235) for key in KEYS} == {5, 10, 1235}


@pytest.mark.parametrize("remainder", [1, 2, 3, 4])
def test_the_cell_key_rounds_up_in_proportion_to_the_remainder(remainder: int) -> None:
    """Over the 256 keys (equally likely for a cell of one record or more), 7 rounds up to 10
    about 2 times in 5: the published figure is right on average."""
    value = 20 + remainder
    ups = sum(rounded(value, key) == 25 for key in KEYS)
    assert abs(ups / RECORD_KEYS - remainder / BASE) < 1 / RECORD_KEYS
    mean = sum(rounded(value, key) for key in KEYS) / RECORD_KEYS
    assert abs(mean - value) < 0.02


def test_the_same_records_always_give_the_same_figure() -> None:
    """A cell is its records: added up in any order or grouping, the key is the same."""
    records = [Cell(1, key) for key in (200, 17, 99, 250, 3, 64, 180)]
    forwards, backwards = Cell(), Cell()
    for record in records:
        forwards += record
    for record in reversed(records):
        backwards += record
    grouped = (records[0] + records[1]) + (records[2] + records[3] + records[4]) \
        + (records[5] + records[6])
    assert forwards == backwards == grouped == Cell(7, sum(r.key for r in records) % 256)
    assert len({forwards.text, backwards.text, grouped.text}) == 1


def test_a_cell_from_sql_sums_keys_modulo_256() -> None:
    assert cell(3, 600) == Cell(3, 600 % 256)
    assert cell(None, None) == Cell(0, 0)
