"""How much data the benchmark runs on, chosen by BENCH_SCALE."""

from __future__ import annotations

import os

from portal.seeding import Scale

SCALES = {
    # The default on SQLite: seeds in seconds, so `make bench` stays quick on a laptop.
    "small": Scale(organisations=1_000, people=10_000, attempts=50_000),
    # The default on PostgreSQL: a quarter of national, seeded in about a minute.
    "regional": Scale(organisations=5_000, people=50_000, attempts=250_000),
    # The target: the whole country on one 2-core machine (PostgreSQL only in practice).
    "national": Scale(organisations=20_000, people=200_000, attempts=1_000_000),
}


def chosen_scale(postgres: bool) -> tuple[str, Scale]:
    name = os.environ.get("BENCH_SCALE") or ("regional" if postgres else "small")
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}.")
    return name, SCALES[name]
