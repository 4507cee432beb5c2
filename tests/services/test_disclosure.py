"""Small numbers: primary and secondary suppression (PRIV-07), including by brute force."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services.disclosure import (
    FEWER_THAN,
    THRESHOLD,
    WITHHELD,
    Cell,
    Shown,
    primary,
    protect,
    protect_line,
)


def texts(cells) -> list[str]:  # noqa: ANN001
    return [cell.text for cell in cells]


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (1, "fewer than 5"), (4, "fewer than 5"), (5, "5"), (1234, "1,234")])
def test_one_to_four_is_fewer_than_five_and_zero_is_shown(value: int, text: str) -> None:
    assert primary(value).text == text


def test_hidden_cells_have_no_number_for_charts() -> None:
    assert primary(3).number is None and primary(7).number == 7
    assert Cell(9, Shown.WITHHELD).text == WITHHELD and Cell(9, Shown.WITHHELD).hidden


def test_a_line_without_a_total_needs_only_primary_suppression() -> None:
    assert texts(protect_line([0, 2, 5, 40])) == ["0", FEWER_THAN, "5", "40"]


def test_nothing_small_means_nothing_hidden() -> None:
    result = protect(60, [[10, 20, 30], [0, 60, 0]])
    assert result.total.text == "60"
    assert [texts(line) for line in result.lines] == [["10", "20", "30"], ["0", "60", "0"]]


def test_one_small_cell_takes_the_next_smallest_with_it() -> None:
    # 3 alone could be found as 50 - 12 - 35; withholding 12 leaves 3 + x = 15 with x in
    # 5..35, so the small cell could be anything from 1 to 4.
    result = protect(50, [[3, 12, 35, 0]])
    assert texts(result.lines[0]) == [FEWER_THAN, WITHHELD, "35", "0"]
    assert result.total.text == "50"


def test_a_withheld_cell_of_exactly_five_is_not_enough_on_its_own() -> None:
    # 1 + 5 = 6: a withheld cell holds at least 5, so the small one would have to be 1.
    result = protect(26, [[1, 5, 20]])
    assert texts(result.lines[0]) == [FEWER_THAN, WITHHELD, WITHHELD]


def test_two_small_cells_can_protect_each_other() -> None:
    # 2 + 3 = 5 could be 1+4, 2+3, 3+2 or 4+1.
    result = protect(45, [[2, 3, 40]])
    assert texts(result.lines[0]) == [FEWER_THAN, FEWER_THAN, "40"]


def test_small_cells_that_add_up_to_their_limits_are_protected_further() -> None:
    # 4 + 4 = 8 with two cells of at most 4 each: both would be known to be 4.
    result = protect(28, [[4, 4, 20]])
    assert texts(result.lines[0]) == [FEWER_THAN, FEWER_THAN, WITHHELD]


def test_when_no_cell_is_left_to_withhold_the_total_is_withheld_everywhere() -> None:
    # The second breakdown would give the total away (8), so its 8 is withheld too: the total
    # is then somewhere from 5 to 8, and each 4 could be anything from 1 to 4.
    result = protect(8, [[4, 4, 0], [8, 0, 0]])
    assert result.total.text == WITHHELD
    assert [texts(line) for line in result.lines] == [[FEWER_THAN, FEWER_THAN, "0"],
                                                      [WITHHELD, "0", "0"]]


def test_a_small_cell_is_safe_in_every_breakdown_of_the_same_total() -> None:
    # Trained champions of one employer: 5 at one site and 1 at another. 1 + (at least 5) = 6
    # gives the 1 away, so the total goes, and then the other breakdowns' 6 as well.
    result = protect(6, [[0, 5, 1], [6, 0], [0, 6, 0]])
    assert result.total.text == WITHHELD
    assert [texts(line) for line in result.lines] == [["0", WITHHELD, FEWER_THAN],
                                                      [WITHHELD, "0"], ["0", WITHHELD, "0"]]


def test_as_a_last_resort_every_figure_of_the_measure_is_withheld() -> None:
    # Four people, one in each of four boroughs, all in one sector: whatever the total shows,
    # the sector's "fewer than 5" and four boroughs of at least 1 make each borough 1.
    result = protect(4, [[1, 1, 1, 1, 0], [4, 0]])
    assert result.total.text == WITHHELD
    assert [texts(line) for line in result.lines] == [[WITHHELD] * 5, [WITHHELD] * 2]


def test_a_small_total_is_fewer_than_five_and_its_cells_stay_unknowable() -> None:
    result = protect(3, [[1, 2, 0]])
    assert result.total.text == FEWER_THAN
    assert texts(result.lines[0]) == [FEWER_THAN, FEWER_THAN, "0"]


def test_four_ones_under_a_small_total_withhold_the_total() -> None:
    # Four cells of at least 1 under a total of at most 4: each must be 1.
    result = protect(4, [[1, 1, 1, 1]])
    assert result.total.text == WITHHELD


# --- Brute force: an attacker who knows the rules cannot pin any small cell ---------------------

LARGEST = 40  # beyond any total the strategies below can make


def assignments(cells: tuple[Cell, ...]) -> dict[int, list[tuple[int, ...]]]:
    """Every assignment of a line's hidden cells that fits what is shown and the rules, by the
    total it adds up to."""
    shown = [cell.value for cell in cells if not cell.hidden]
    ceiling = min((v for v in shown if v > 0), default=LARGEST)
    options = []
    for cell in cells:
        if cell.shown is Shown.SMALL:
            options.append(range(1, THRESHOLD))
        elif cell.shown is Shown.WITHHELD:
            low = 0 if all(c.shown is Shown.WITHHELD for c in cells) else THRESHOLD
            options.append(range(low, ceiling + 1))
        else:
            options.append((cell.value,))
    by_total: dict[int, list[tuple[int, ...]]] = {}
    for combo in product(*options):
        by_total.setdefault(sum(combo), []).append(combo)
    return by_total


def published_totals(total: Cell) -> set[int]:
    if total.shown is Shown.VALUE:
        return {total.value}
    if total.shown is Shown.SMALL:
        return set(range(1, THRESHOLD))
    return set(range(LARGEST + 1))


def assert_no_small_cell_is_determined(values: list[list[int]]) -> None:
    result = protect(sum(values[0]), values)
    for line, cells in zip(values, result.lines, strict=True):
        assert [cell.value for cell in cells] == line
        assert all(cell.hidden for cell in cells if 0 < cell.value < THRESHOLD)
    options = [assignments(cells) for cells in result.lines]
    totals = published_totals(result.total).intersection(*(set(o) for o in options))
    assert sum(values[0]) in totals
    for line, cells, by_total in zip(values, result.lines, options, strict=True):
        combos = [combo for total in totals for combo in by_total[total]]
        assert tuple(line) in combos
        for index, cell in enumerate(cells):
            if cell.shown is Shown.SMALL:
                assert len({combo[index] for combo in combos}) > 1, (values, result)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=4))
def test_no_small_cell_in_a_line_can_be_worked_out_by_subtraction(values: list[int]) -> None:
    assert_no_small_cell_is_determined([values])
    cells = protect(sum(values), [values]).lines[0]
    zeros_hidden = [cell.hidden for cell in cells if cell.value == 0]
    assert not any(zeros_hidden) or all(cell.hidden for cell in cells)  # only the last resort


@st.composite
def two_breakdowns(draw: st.DrawFn) -> list[list[int]]:
    """One total split two ways, like champions by borough and by sector."""
    first = draw(st.lists(st.integers(min_value=0, max_value=8), min_size=2, max_size=3))
    total = sum(first)
    parts = draw(st.integers(min_value=1, max_value=3))
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=total), min_size=parts - 1,
                                max_size=parts - 1)))
    second = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    return [first, second]


@settings(max_examples=200, deadline=None)
@given(two_breakdowns())
def test_no_small_cell_can_be_worked_out_from_two_breakdowns(values: list[list[int]]) -> None:
    assert_no_small_cell_is_determined(values)
