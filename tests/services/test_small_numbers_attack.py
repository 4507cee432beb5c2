"""The attack of issue 17, automated (acceptance 1; PRIV-07): on a fixed, seeded scheme, ask the
dashboard for the whole scheme, every single filter and every pair of filters; take every
published count of people in every view (headlines, their sibling measures, every breakdown,
the monthly completions) as an exact linear equation over the groups of champions that no
filter or breakdown can split; and solve by exact elimination (modulo a large prime, so no
rounding error). No count of people from 1 to 4 may come out exactly.

The same attack on the same data published with only "fewer than 5" for 1 to 4 recovers small
counts, so the attack has teeth; and the same group of people shows the same figure in every
view, or the equations would not even be consistent.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import combinations

from sqlalchemy.orm import Session

from portal.models import Borough, SchemeStatus, Sector, Tier
from portal.services import monitoring
from portal.services.board_report import Period, board_report
from portal.services.monitoring_filters import (
    EXPIRY_WARNING_DAYS,
    NOT_RECORDED,
    Filters,
    SizeBand,
    local_today,
)
from portal.services.small_numbers import Cell
from tests.monitoring_data import (
    NOW,
    make_assignment,
    make_certificate,
    make_champion,
    make_champion_course,
    make_org,
)

SEED = 20261207
PRIME = 2**61 - 1
APPLIED_FROM = date(2026, 4, 1)  # the one value tried for each date filter
APPLIED_TO = date(2026, 6, 30)


@dataclass(frozen=True)
class Record:
    """A champion's role as the dashboard sees it: everything any filter or cell depends on."""

    counted: bool  # current champion of a member organisation
    borough: Borough | None
    sector: Sector
    size: SizeBand
    tier: Tier | None
    applied: date
    trained: bool
    certified: bool
    expiring: bool
    overdue: bool
    months: frozenset[str]  # months of their certificates, London time


def size_of(employees: int) -> SizeBand:
    return (SizeBand.SMALL if employees < 50 else SizeBand.MEDIUM if employees < 250
            else SizeBand.LARGE if employees < 1000 else SizeBand.VERY_LARGE)


def build_attack_data(session: Session) -> list[Record]:
    """About 30 organisations and 150 champions, drawn from a fixed seed: many small groups."""
    rng = random.Random(SEED)
    course = make_champion_course(session)
    records = []
    for number in range(30):
        status = SchemeStatus.APPROVED if number % 10 else SchemeStatus.SUSPENDED
        applied = NOW - timedelta(days=rng.randint(40, 330), hours=rng.randint(0, 23))
        boroughs = rng.sample(list(Borough), rng.choice((1, 1, 2)))
        sites = [(borough, rng.choice((8, 30, 120, 400, 1500))) for borough in boroughs]
        org = make_org(session, f"Attack {number}", sector=rng.choice(list(Sector)),
                       sites=sites, status=status, applied=applied,
                       approved=applied + timedelta(days=5),
                       tier=rng.choice(list(Tier)) if status == SchemeStatus.APPROVED
                       else None)
        size = size_of(sum(headcount for _, headcount in sites))
        for site in org.sites:
            for _ in range(rng.choice((0, 1, 1, 2, 3, 4, 6, 9))):
                records.append(_champion(session, rng, org, site, course, size, applied))
    session.commit()
    return records


def _champion(session: Session, rng: random.Random, org, site, course, size: SizeBand,  # noqa: ANN001
              applied: datetime) -> Record:
    site = None if rng.random() < 0.05 else site
    withdrawn = NOW - timedelta(days=3) if rng.random() < 0.05 else None
    person = make_champion(session, org, site, joined=applied + timedelta(days=6),
                           withdrawn=withdrawn, record_key=rng.randrange(256))
    trained = certified = expiring = False
    months: set[str] = set()
    roll = rng.random()
    if roll < 0.6:
        issued = NOW - timedelta(days=rng.randint(1, 300), hours=rng.randint(0, 23))
        if roll < 0.15:
            expires = NOW - timedelta(days=rng.randint(1, 30))  # lapsed
        elif roll < 0.25:
            expires = NOW + timedelta(days=rng.randint(1, EXPIRY_WARNING_DAYS - 1))
        else:
            expires = NOW + timedelta(days=rng.randint(EXPIRY_WARNING_DAYS + 1, 300))
        make_certificate(session, person, course, issued_at=issued, expires_at=expires)
        trained, certified = True, expires > NOW
        expiring = certified and expires <= NOW + timedelta(days=EXPIRY_WARNING_DAYS)
        months.add(f"{local_today(issued):%Y-%m}")
    overdue = rng.random() < 0.2
    if overdue:
        make_assignment(session, person, org, course, due_on=NOW.date() - timedelta(days=10))
    return Record(counted=org.scheme_status == SchemeStatus.APPROVED and withdrawn is None,
                  borough=site.borough if site else None, sector=org.sector, size=size,
                  tier=org.tier, applied=local_today(applied), trained=trained,
                  certified=certified, expiring=expiring, overdue=overdue,
                  months=frozenset(months))


# --- Every view a coordinator can ask for -------------------------------------------------------

def every_view() -> list[Filters]:
    """The whole scheme, each single filter, and each pair of filters of different kinds."""
    choices = [("borough", list(Borough)), ("sector", list(Sector)),
               ("size_band", list(SizeBand)), ("tier", list(Tier)),
               ("applied_from", [APPLIED_FROM]), ("applied_to", [APPLIED_TO])]
    singles = [{name: value} for name, values in choices for value in values]
    pairs = [{first: a, second: b}
             for (first, firsts), (second, seconds) in combinations(choices, 2)
             for a in firsts for b in seconds]
    return [Filters(**chosen) for chosen in [{}, *singles, *pairs]]


def in_view(record: Record, filters: Filters) -> bool:
    return (record.counted
            and (filters.borough is None or record.borough == filters.borough)
            and (filters.sector is None or record.sector == filters.sector)
            and (filters.size_band is None or record.size == filters.size_band)
            and (filters.tier is None or record.tier == filters.tier)
            and (filters.applied_from is None or record.applied >= filters.applied_from)
            and (filters.applied_to is None or record.applied <= filters.applied_to))


MEASURES = {"champions": lambda r: True, "trained": lambda r: r.trained,
            "certified": lambda r: r.certified, "expiring": lambda r: r.expiring,
            "overdue": lambda r: r.overdue}
GROUPS = {"borough": lambda r: r.borough, "sector": lambda r: r.sector,
          "size_band": lambda r: r.size}


def published_cells(result: monitoring.Dashboard, records: list[Record]
                    ) -> list[tuple[Cell, frozenset]]:
    """Every count of people in one view, with the unknowns (record, or record and month) it
    adds up; checks that the dashboard's count is that many."""
    seen = [i for i, record in enumerate(records) if in_view(record, result.filters)]
    cells = []
    headline = result.headline
    for name, test in MEASURES.items():
        cells.append((getattr(headline, name), frozenset(i for i in seen if test(records[i]))))
    for breakdown in result.breakdowns:
        group = GROUPS[breakdown.key]
        labels = {getattr(value, "label", NOT_RECORDED): value
                  for value in {group(records[i]) for i in seen}}
        for row in (*breakdown.rows, breakdown.total):
            members = [i for i in seen if row.label == "All"
                       or (row.label in labels and group(records[i]) == labels[row.label])]
            for name in ("champions", "trained", "certified", "overdue"):
                test = MEASURES[name]
                cells.append((getattr(row, name),
                              frozenset(i for i in members if test(records[i]))))
    for month in result.months:
        cells.append((month.completions,
                      frozenset((i, month.key) for i in seen if month.key in records[i].months)))
    for found, unknowns in cells:
        assert found.value == len(unknowns), (result.filters, found)
    return cells


# --- Exact elimination modulo a large prime -----------------------------------------------------

class Equations:
    """Linear equations over the unknowns, kept in reduced row echelon form modulo PRIME."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: dict[int, tuple[list[int], int]] = {}  # pivot column: (row, right side)

    def reduce(self, row: list[int], rhs: int) -> tuple[list[int], int]:
        for pivot, (basis, basis_rhs) in self.rows.items():
            factor = row[pivot]
            if factor:
                row = [(a - factor * b) % PRIME for a, b in zip(row, basis, strict=True)]
                rhs = (rhs - factor * basis_rhs) % PRIME
        return row, rhs

    def add(self, row: list[int], rhs: int) -> None:
        row, rhs = self.reduce(row, rhs)
        pivot = next((i for i, a in enumerate(row) if a), None)
        if pivot is None:
            return  # implied by the others (or, with rounding, at odds with them): no news
        inverse = pow(row[pivot], PRIME - 2, PRIME)
        row, rhs = [a * inverse % PRIME for a in row], rhs * inverse % PRIME
        for other, (basis, basis_rhs) in list(self.rows.items()):
            factor = basis[pivot]
            if factor:
                self.rows[other] = ([(a - factor * b) % PRIME
                                     for a, b in zip(basis, row, strict=True)],
                                    (basis_rhs - factor * rhs) % PRIME)
        self.rows[pivot] = (row, rhs)

    def solve(self, row: list[int]) -> int | None:
        """The value these equations give for the sum the row describes, if they fix it."""
        reduced, value = self.reduce(row, 0)
        return (-value) % PRIME if not any(reduced) else None


def attack(cells: list[tuple[Cell, frozenset]], published: dict[Cell, int | None],
           order: random.Random) -> list[tuple[frozenset, int]]:
    """Every small count (a cell or a single group of unknowns) that the published figures fix
    at its true value."""
    groups = _unknown_groups(cells)
    columns = {unknowns: n for n, unknowns in enumerate(sorted(set(groups.values()), key=str))}

    def row_of(unknowns: frozenset) -> list[int]:
        row = [0] * len(columns)
        for group in {groups[u] for u in unknowns}:
            row[columns[group]] = 1
        return row

    equations: dict[frozenset, int] = {}
    for found, unknowns in cells:
        number = published[found]
        if number is None:
            continue
        assert equations.setdefault(unknowns, number) == number, "same people, other figure"
        if number == 0:  # counts are never negative: each group in it is empty
            for group in {groups[u] for u in unknowns}:
                equations.setdefault(group, 0)
    system = Equations(len(columns))
    items = list(equations.items())
    order.shuffle(items)
    for unknowns, number in items:
        system.add(row_of(unknowns), number)
    targets = {unknowns: found.value for found, unknowns in cells if 0 < found.value < 5}
    targets.update({group: len(group) for group in columns if 0 < len(group) < 5})
    return [(unknowns, true) for unknowns, true in targets.items()
            if system.solve(row_of(unknowns)) == true]


def _unknown_groups(cells: list[tuple[Cell, frozenset]]) -> dict[object, frozenset]:
    """Unknowns that every cell takes together or not at all: the attacker's variables."""
    signature: dict[object, list[int]] = defaultdict(list)
    for n, (_, unknowns) in enumerate(cells):
        for unknown in unknowns:
            signature[unknown].append(n)
    together: dict[tuple, set] = defaultdict(set)
    for unknown, found_in in signature.items():
        together[tuple(found_in)].add(unknown)
    return {unknown: frozenset(group) for group in together.values() for unknown in group}


def test_no_count_from_one_to_four_is_recovered_across_filters_and_measures(session) -> None:
    records = build_attack_data(session)
    views = every_view()
    assert len(views) == 1 + 22 + 186  # the whole scheme, every filter, every pair
    cells = [found for filters in views
             for found in published_cells(monitoring.dashboard(session, filters, NOW), records)]
    assert len({unknowns for found, unknowns in cells if 0 < found.value < 5}) > 50

    published = {found: found.number for found, _ in cells}
    for attempt in range(3):  # other orders of elimination give other derivations
        assert attack(cells, published, random.Random(attempt)) == []

    # The same figures with only 1 to 4 hidden, the rest exact: the attack finds small counts.
    exact = {found: None if found.hidden else found.value for found, _ in cells}
    assert len(attack(cells, exact, random.Random(0))) > 5


def test_the_board_report_gives_the_attack_nothing_more(session) -> None:
    """The same attack with the board report's figures added: each of its periods (and their
    comparisons) for the whole scheme and every single filter, beside every dashboard view."""
    records = build_attack_data(session)
    worked_out: dict[Filters, monitoring.Dashboard] = {}

    def figures(filters: Filters) -> monitoring.Dashboard:
        if filters not in worked_out:
            worked_out[filters] = monitoring.dashboard(session, filters, NOW)
        return worked_out[filters]

    periods = [*(Period(2026, quarter) for quarter in (1, 2, 3, 4)), Period(2026)]
    report_views = [view for view in every_view()[:23]
                    if view.applied_from is None and view.applied_to is None]
    reports = []
    for period in periods:
        for view in report_views:
            report = board_report(session, period, view, NOW)
            # The report is the dashboard for its period, figure for figure.
            assert report.current == figures(period.filters(view))
            reports.append(report)
    shown = [*(figures(view) for view in every_view()),
             *(getattr(report, which) for report in reports
               for which in ("current", "previous", "year_earlier"))]
    cells = [found for result in shown for found in published_cells(result, records)]
    published = {found: found.number for found, _ in cells}
    for attempt in range(2):
        assert attack(cells, published, random.Random(attempt)) == []
