"""CSV exports measured by the benchmark: rows per second and the process's peak memory.

Each entry names the generator an export view streams. It is called with a database session and
the seeded `Fixtures`, and returns an iterable of CSV text chunks (str or bytes), header line
first: "module:function" called as function(session), or a callable taking (session, fixtures)
when the generator needs more, as the champion export does.

An export is measured in a fresh process (python -m bench.exports NAME), so its peak resident
memory is the export's and not the harness's. The peak is the kernel's high-water mark (VmHWM),
reset just before the export starts (/proc/self/clear_refs), so start-up peaks such as the
Argon2 hash of the app's password checker (64 MiB) do not hide it; the resident size before the
export is reported beside it. Without /proc, ru_maxrss (the peak since the process began).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bench.pages import Fixtures, load_fixtures


@dataclass(frozen=True)
class Export:
    name: str
    target: str | Callable[[Session, Fixtures], Iterable[str | bytes]]

    def stream(self, session: Session, fixtures: Fixtures) -> Iterable[str | bytes]:
        if callable(self.target):
            return self.target(session, fixtures)
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)(session)


def _champions(session: Session, _fixtures: Fixtures) -> Iterable[str]:
    from portal.models import utcnow
    from portal.services.exports import champions_csv
    from portal.services.organisation_search import OrganisationSearch

    return champions_csv(session, OrganisationSearch(), utcnow())


EXPORTS: list[Export] = [
    Export("champions", _champions),
]
REQUIRED = ("champions",)


def find(name: str) -> Export | None:
    return next((export for export in EXPORTS if export.name == name), None)


def measure_in_subprocess(name: str, env: dict[str, str]) -> dict:
    """Run the export in a new process; its figures, or {"status": "not built yet"}."""
    if find(name) is None:
        return {"status": "not built yet"}
    completed = subprocess.run([sys.executable, "-m", "bench.exports", name],
                               env={**os.environ, **env}, capture_output=True, text=True)
    if completed.returncode != 0:
        return {"status": "failed", "error": completed.stderr.strip().splitlines()[-1:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def count_rows(chunks: Iterable[str | bytes]) -> int:
    """Lines after the header (values never hold line breaks in seeded data)."""
    lines = 0
    for chunk in chunks:
        lines += chunk.count(b"\n" if isinstance(chunk, bytes) else "\n")
    return max(0, lines - 1)


STATUS = Path("/proc/self/status")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak resident set size
    except OSError:
        return False
    return True


def _memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) from /proc, in MB; ru_maxrss where there is no /proc."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _probe(name: str) -> dict:
    from bench.run import portal_app
    from portal.db import get_session

    app = portal_app()
    with app.app_context():
        session = get_session()
        fixtures = load_fixtures(session)
        export = find(name)
        baseline = _memory_mb("VmRSS")
        peak_reset = _reset_peak()
        started = time.perf_counter()
        rows = count_rows(export.stream(session, fixtures))
        seconds = time.perf_counter() - started
        peak = _memory_mb("VmHWM")
    return {"status": "measured", "rows": rows, "seconds": round(seconds, 2),
            "rows_per_s": round(rows / seconds) if seconds else None,
            "peak_mb": round(peak, 1), "baseline_mb": round(baseline, 1),
            "peak_since": "export start" if peak_reset else "process start"}


if __name__ == "__main__":
    print(json.dumps(_probe(sys.argv[1])))
