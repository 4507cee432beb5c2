"""Every security requirement the code cites is written up in the repository itself.

Code and tests cite requirements by id (e.g. AUTH-10); docs/security-matrix.md holds each cited
id's row of the security test plan, so a citation can be followed without leaving the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"\b[A-Z]{2,6}(?:-[A-Z]{2,6})?-[0-9]{2}\b")
MATRIX = ROOT / "docs" / "security-matrix.md"


def cited_ids() -> dict[str, str]:
    """Each id cited under portal/, with one file that cites it."""
    cited: dict[str, str] = {}
    for path in sorted((ROOT / "portal").rglob("*")):
        if path.suffix in {".py", ".html", ".txt"}:
            for found in REQUIREMENT.findall(path.read_text(encoding="utf-8")):
                cited.setdefault(found, str(path.relative_to(ROOT)))
    return cited


def documented_ids() -> set[str]:
    return {match.group(1) for match in re.finditer(r"^\| ([A-Z][A-Z-]*-[0-9]{2}) \|",
                                                     MATRIX.read_text(encoding="utf-8"), re.M)}


def test_every_requirement_the_code_cites_is_in_the_repository() -> None:
    cited = cited_ids()
    assert len(cited) > 40  # the pattern finds the citations
    missing = {found: where for found, where in cited.items() if found not in documented_ids()}
    assert not missing, f"add these to docs/security-matrix.md: {missing}"
