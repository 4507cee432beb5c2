"""Small numbers: how counts of people are published (PRIV-07; docs/small-numbers.md).

Every published count of people (the dashboard, the figures export) is a *cell*: the number of
records in it and its *cell key*. Each record (a champion's role, `Membership.record_key`) holds
a random key from 0 to 255, drawn once and never shown; a cell's key is the sum of its records'
keys modulo 256 (the cell-key method of the ONS and the ABS). From the count and the cell key:

- 0 is shown as 0;
- 1 to 4 are shown as "fewer than 5", with no number;
- 5 and more are rounded to a multiple of 5, up or down, with the chance of rounding up equal
  to how far the count is past the multiple below (7 rounds up two times in five), decided by
  the cell key: a rounded figure is within 4 of the count, and right on average.

The same records always make the same cell key, so a cell shows the same figure in every view
and every filter: asking again, or another way, tells nothing new. Every number shown is 0 or a
multiple of 5, so adding and subtracting published figures gives multiples of 5, never a count
from 1 to 4. Organisations and employees are not people and are shown exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.models.people import RECORD_KEYS

BASE = 5
THRESHOLD = BASE  # counts from 1 to THRESHOLD - 1 are never shown as numbers
FEWER_THAN = f"fewer than {THRESHOLD}"
MAX_ERROR = BASE - 1


def rounded(value: int, key: int) -> int:
    """The count as published: a multiple of BASE, up or down as the cell key says.

    The perturbation table of the cell-key method, written as a rule: with remainder r, the
    keys 0 to 255 below r * 256 / 5 round up (about r in 5 of them), the others round down.
    """
    remainder = value % BASE
    up = key * BASE < remainder * RECORD_KEYS
    return value - remainder + (BASE if up else 0)


@dataclass(frozen=True)
class Cell:
    """A count of people and its cell key. `value` is for the server only, never for output."""

    value: int = 0
    key: int = 0

    def __add__(self, other: Cell) -> Cell:
        return Cell(self.value + other.value, (self.key + other.key) % RECORD_KEYS)

    @property
    def hidden(self) -> bool:
        """1 to 4: shown as words, with no number."""
        return 0 < self.value < THRESHOLD

    @property
    def number(self) -> int | None:
        """The figure as published, or None when it is "fewer than 5" (for charts and CSV)."""
        return None if self.hidden else rounded(self.value, self.key)

    @property
    def text(self) -> str:
        number = self.number
        return FEWER_THAN if number is None else f"{number:,}"


def cell(count: int | None, key_sum: int | None) -> Cell:
    """A cell from a SQL count and the sum of its records' keys (NULL when no rows)."""
    return Cell(int(count or 0), int(key_sum or 0) % RECORD_KEYS)
