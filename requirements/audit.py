"""Audit a hashed lock file with pip-audit: fail on a known vulnerability or an unaudited package.

Left to itself pip-audit skips a package it cannot look up and still exits 0, or with --strict
stops at the first such package without saying what else it found. Running it without --strict
and reading its JSON report gives both: every finding, and every package it could not audit,
so an unreachable vulnerability service can never pass for a clean audit.

Usage: python requirements/audit.py LOCK_FILE [LOCK_FILE ...]
"""

from __future__ import annotations

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


def main(locks: list[str]) -> int:
    failed = False
    for lock in locks:
        report = pip_audit_report(Path(lock))
        found = problems(report)
        audited = len(report["dependencies"])
        print(f"{lock}: {audited} packages, {len(found)} problems")
        for line in found:
            print(f"  {line}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
