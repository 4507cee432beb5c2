"""The policy framework: the elements every member works towards, as versioned repository data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

FRAMEWORK_PATH = Path(__file__).resolve().parent.parent / "data" / "policy-framework.yaml"
# The element that means "the organisation has a policy": the Active tier and the monitoring
# funnel's "policy in place" step both turn on it.
WRITTEN_POLICY = "written_policy"


@dataclass(frozen=True)
class PolicyElement:
    key: str
    title: str
    guidance: str
    staff_summary: str  # what it means for a member of staff: the signposting card shows it


@dataclass(frozen=True)
class PolicyFramework:
    version: int
    elements: tuple[PolicyElement, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(element.key for element in self.elements)

    def get(self, key: str) -> PolicyElement | None:
        return next((element for element in self.elements if element.key == key), None)


@cache
def policy_framework() -> PolicyFramework:
    data = yaml.safe_load(FRAMEWORK_PATH.read_text(encoding="utf-8"))
    elements = tuple(PolicyElement(key=str(item["key"]), title=str(item["title"]),
                                   guidance=str(item["guidance"]).strip(),
                                   staff_summary=str(item["staff_summary"]).strip())
                     for item in data["elements"])
    return PolicyFramework(version=int(data["version"]), elements=elements)
