"""What the gate found for one deployable: its render failure, or each check's findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from .deployables import Deployable
from .findings import Finding


@dataclass
class CheckOutcome:
    """What one check found in one deployable, after suppression."""

    reported: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class RenderFailure:
    """A deployable that did not render or parse; ``message`` starts with its name."""

    spec: Deployable
    message: str
