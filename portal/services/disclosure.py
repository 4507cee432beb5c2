"""Small numbers: how figures about people are shown when they are broken down (PRIV-07, P5).

The rule, used by the dashboard and the figures export alike:

1. Primary suppression. A count from 1 to 4 is shown as "fewer than 5". Zero is shown as 0: it
   is about nobody, and hiding it would hide, for example, that a borough has no champions yet.
2. Secondary suppression. A breakdown whose total is published (every breakdown of a headline
   figure: by borough, by sector, by size) must not let a hidden cell be worked out by
   subtraction. Someone who knows this rule knows that a "fewer than 5" cell holds 1 to 4, that
   a "withheld" cell holds at least 5 and no more than the smallest number still shown, and that
   the hidden cells add up to the total minus the cells shown. While that pins any "fewer than 5"
   cell to a single value, the smallest number still shown is withheld as well.
3. If withholding every non-zero cell of the line is still not enough (two boroughs with 4
   champions each and a total of 8), the total itself is withheld, everywhere it appears; and as
   the other breakdowns of the same total would give it away, their smallest figures are then
   withheld until the total cannot be worked out closely enough to find the small cell.
4. If even that is not enough (a handful of people), every figure of that measure in the view is
   withheld, zeros included.

The check is exact for what is published: with the total known to lie in a range (exactly, as
"fewer than 5", or from the other breakdowns), a hidden cell is determined when the lowest and
highest values it could take are the same.

Only counts of people are protected: champions, trained champions, certifications, overdue
training. Counts of organisations and employee headcounts are about employers and are shown in
full. A line with no published total (monthly completions) needs only rule 1.

Known limits, accepted for a coordinators' dashboard: differences between two filtered views,
and between different columns of one row (champions minus trained), are not protected.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
FEWER_THAN = f"fewer than {THRESHOLD}"
WITHHELD = "withheld"
UNBOUNDED = float("inf")


class Shown(enum.Enum):
    VALUE = "value"
    SMALL = "small"  # 1 to THRESHOLD - 1
    WITHHELD = "withheld"  # secondary suppression


@dataclass(frozen=True)
class Cell:
    """A count and how it may be shown. `value` is for the server only, never for output."""

    value: int
    shown: Shown = Shown.VALUE

    @property
    def hidden(self) -> bool:
        return self.shown is not Shown.VALUE

    @property
    def text(self) -> str:
        if self.shown is Shown.SMALL:
            return FEWER_THAN
        if self.shown is Shown.WITHHELD:
            return WITHHELD
        return f"{self.value:,}"

    @property
    def number(self) -> int | None:
        """The value when it may be shown, else None (for charts and sums)."""
        return None if self.hidden else self.value


def is_small(value: int) -> bool:
    return 0 < value < THRESHOLD


def primary(value: int) -> Cell:
    """One figure on its own: 1 to 4 becomes "fewer than 5"."""
    return Cell(value, Shown.SMALL if is_small(value) else Shown.VALUE)


@dataclass(frozen=True)
class Protected:
    total: Cell
    lines: tuple[tuple[Cell, ...], ...]


def protect(total: int, lines: Sequence[Sequence[int]]) -> Protected:
    """Protect a total and every breakdown of it (each line adds up to the total), as one
    published set of figures: see the rules at the top of this module."""
    cells = [[primary(value) for value in line] for line in lines]
    total_cell = primary(total)
    while True:
        possible_totals = _possible_totals(total_cell, cells)
        exposed = [line for line in cells if _small_cell_determined(line, possible_totals)]
        if not exposed:
            return Protected(total_cell, tuple(tuple(line) for line in cells))
        if _withhold_smallest([exposed[0]]):
            continue
        if total_cell.shown is not Shown.WITHHELD:
            total_cell = Cell(total, Shown.WITHHELD)
            continue
        if not _withhold_smallest(cells):
            return _withhold_everything(total, cells)


def protect_line(values: Sequence[int]) -> tuple[Cell, ...]:
    """A breakdown with no published total: primary suppression only."""
    return tuple(primary(value) for value in values)


def _withhold_smallest(lines: list[list[Cell]]) -> bool:
    """Withhold the smallest non-zero figure still shown in these lines, if there is one."""
    candidates = [(cell.value, n, i) for n, line in enumerate(lines)
                  for i, cell in enumerate(line) if not cell.hidden and cell.value > 0]
    if not candidates:
        return False
    _, n, i = min(candidates)
    lines[n][i] = Cell(lines[n][i].value, Shown.WITHHELD)
    return True


def _withhold_everything(total: int, cells: list[list[Cell]]) -> Protected:
    """The last resort: nothing of this measure is shown, not even zeros."""
    return Protected(Cell(total, Shown.WITHHELD),
                     tuple(tuple(Cell(c.value, Shown.WITHHELD) for c in line) for line in cells))


Bounds = tuple[float, float]


def _bounds(line: list[Cell]) -> list[Bounds]:
    """What someone who knows these rules can tell about each cell of a line."""
    ceiling = min((c.value for c in line if not c.hidden and c.value > 0), default=UNBOUNDED)
    return [(c.value, c.value) if not c.hidden
            else (1, THRESHOLD - 1) if c.shown is Shown.SMALL
            else (THRESHOLD, ceiling) for c in line]


def _possible_totals(total: Cell, cells: list[list[Cell]]) -> Bounds:
    """The range the total could be in, from the total as shown and from every line."""
    low, high = {Shown.VALUE: (total.value, total.value), Shown.SMALL: (1, THRESHOLD - 1),
                 Shown.WITHHELD: (0, UNBOUNDED)}[total.shown]
    for line in cells:
        bounds = _bounds(line)
        low = max(low, sum(b[0] for b in bounds))
        high = min(high, sum(b[1] for b in bounds))
    return low, high


def _small_cell_determined(line: list[Cell], totals: Bounds) -> bool:
    """Could a "fewer than 5" cell be worked out from what is shown and the rules themselves?"""
    bounds = _bounds(line)
    lows, highs = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
    for cell, (low, high) in zip(line, bounds, strict=True):
        if cell.shown is not Shown.SMALL:
            continue
        least = max(low, totals[0] - (highs - high))
        most = min(high, totals[1] - (lows - low))
        if least >= most:
            return True
    return False
