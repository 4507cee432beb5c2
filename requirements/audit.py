"""Audit a hashed lock file with pip-audit: fail on a known vulnerability or an unaudited package.

Left to itself pip-audit skips a package it cannot look up and still exits 0, or with --strict
stops at the first such package without saying what else it found. Running it without --strict
and reading its JSON report gives both: every finding, and every package it could not audit,
so an unreachable vulnerability service can never pass for a clean audit.

Usage: python requirements/audit.py [--if-reachable] LOCK_FILE [LOCK_FILE ...]

--if-reachable (CI's setting): when the vulnerability data cannot be reached at all, so that not
one package could be looked up, say so loudly and exit 0 instead of 1. A finding, or some
packages audited and others not, still fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess  # nosec B404 - runs pip-audit, a fixed command
import sys
import tempfile
from pathlib import Path


def pip_audit_report(lock: Path) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(lock),
                   "--require-hashes", "--disable-pip", "--vulnerability-service", "pypi",
                   "--progress-spinner", "off", "--format", "json", "--output", str(report)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if not report.exists():
            raise SystemExit(f"pip-audit gave no report for {lock}:\n{result.stderr}")
        return json.loads(report.read_text())


def problems(report: dict) -> list[str]:
    """One line for each vulnerability found and each package that could not be audited."""
    lines = []
    for dependency in report["dependencies"]:
        package = " ".join(filter(None, [dependency["name"], dependency.get("version")]))
        if "skip_reason" in dependency:
            lines.append(f"{package}: NOT AUDITED ({dependency['skip_reason']})")
        for vulnerability in dependency.get("vulns", []):
            fixed_in = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed release"
            lines.append(f"{package}: {vulnerability['id']} (fixed in {fixed_in})")
    return lines


def unreachable(report: dict) -> bool:
    """Not one package could be looked up: the vulnerability data was out of reach."""
    dependencies = report["dependencies"]
    return bool(dependencies) and all("skip_reason" in d for d in dependencies)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-reachable", action="store_true")
    parser.add_argument("locks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    failed = False
    for lock in args.locks:
        report = pip_audit_report(lock)
        if args.if_reachable and unreachable(report):
            print(f"AUDIT NOT RUN for {lock}: the vulnerability data could not be reached, no "
                  f"package was looked up ({report['dependencies'][0]['skip_reason']})")
            continue
        found = problems(report)
        print(f"{lock}: {len(report['dependencies'])} packages, {len(found)} problems")
        for line in found:
            print(f"  {line}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
