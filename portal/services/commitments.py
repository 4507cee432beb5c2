"""The scheme commitment: versioned Markdown in portal/data/commitment/, rendered once at load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import markdown
import nh3
import yaml
from markupsafe import Markup

COMMITMENT_DIR = Path(__file__).resolve().parent.parent / "data" / "commitment"


@dataclass(frozen=True)
class Commitment:
    version: int
    title: str
    effective: date
    html: Markup


def parse_commitment(text: str) -> Commitment:
    """Front matter (version, title, effective) between `---` lines, then the Markdown body."""
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    # Repository content, reviewed like code; sanitised all the same, once, here. Marking it
    # safe is reviewed (XSS-05): the HTML is nh3's output, never raw input.
    cleaned = nh3.clean(markdown.markdown(body))
    html = Markup(cleaned)  # noqa: S704  # nosec B704
    return Commitment(version=int(meta["version"]), title=str(meta["title"]),
                      effective=meta["effective"], html=html)


@cache
def all_commitments() -> dict[int, Commitment]:
    commitments = [parse_commitment(path.read_text(encoding="utf-8"))
                   for path in sorted(COMMITMENT_DIR.glob("v*.md"))]
    return {commitment.version: commitment for commitment in commitments}


def current_commitment() -> Commitment:
    """The newest version: the one applicants and renewing members sign."""
    commitments = all_commitments()
    return commitments[max(commitments)]
