"""What a session's gate sums up for the terminal, mergeable across pytest-xdist workers."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.text import encodable


@dataclass
class Summary:
    """What the terminal summary reports, mergeable across pytest-xdist workers."""

    rendered: int = 0
    hits: int | None = None
    uncacheable: dict[str, str] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)
    #: Custom kinds with no schema, per overlay (so workers that both rendered
    #: one overlay count it once).
    unvalidated: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Custom resources a CRD or catalog schema validated, per overlay and kind.
    validated: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Argo CD Applications are among the deployables (renders are then not all overlays).
    applications: bool = False
    #: What Argo CD mode could not render here: external sources, generators.
    argocd: set[str] = field(default_factory=set)
    #: Components no gated overlay uses and no consumer could render.
    unexercised: set[str] = field(default_factory=set)
    #: The deployables (``group:name``) the arguments left without items, of ``counted``.
    unselected: set[str] = field(default_factory=set)
    counted: int = 0
    #: Deployables that did not render, whose dependents were not judged.
    unknown: set[str] = field(default_factory=set)

    def merge(self, other: dict[str, Any]) -> None:
        """Add a worker's summary (as sent by to_dict)."""
        self.rendered += int(other.get("rendered", 0))
        if other.get("hits") is not None:
            self.hits = (self.hits or 0) + int(other["hits"])
        self.uncacheable.update(other.get("uncacheable", {}))
        self.suppressed.update(other.get("suppressed", []))
        self.unvalidated.update(other.get("unvalidated", {}))
        self.validated.update(other.get("validated", {}))
        self.applications = self.applications or bool(other.get("applications"))
        self.argocd.update(other.get("argocd", []))
        self.unexercised.update(other.get("unexercised", []))
        self.unselected.update(other.get("unselected", []))
        self.counted = max(self.counted, int(other.get("counted", 0)))
        self.unknown.update(other.get("unknown", []))

    def to_dict(self) -> dict[str, Any]:
        # pytest-xdist carries it as UTF-8: a directory name that is not cannot go as it is.
        shared: dict[str, Any] = encodable(
            {
                "rendered": self.rendered,
                "hits": self.hits,
                "uncacheable": self.uncacheable,
                "suppressed": sorted(self.suppressed),
                "unvalidated": self.unvalidated,
                "validated": self.validated,
                "applications": self.applications,
                "argocd": sorted(self.argocd),
                "unexercised": sorted(self.unexercised),
                "unselected": sorted(self.unselected),
                "counted": self.counted,
                "unknown": sorted(self.unknown),
            }
        )
        return shared


def crash_message(overlay: str, check_id: str, error: BaseException) -> str:
    """Say plainly that a check crashed (a bug of ours, not the user's), and where."""
    innermost = traceback.extract_tb(error.__traceback__)[-3:]
    where = [f"  at {Path(f.filename).name}:{f.lineno} in {f.name}" for f in innermost]
    return "\n".join(
        [
            f"{overlay}: the {check_id} check crashed: {type(error).__name__}: {error}",
            *where,
            "This is a bug in pytest-k8s-overlays, not in your overlay: please report it "
            "with the manifest that triggers it. Other checks still ran; "
            f"--overlays-skip-checks={check_id} leaves this one out meanwhile.",
        ]
    )
