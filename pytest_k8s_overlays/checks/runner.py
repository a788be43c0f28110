"""The one way to run a check on rendered units: per unit, or per group.

The built-in items (through the gate), the group runs and the assertion
helpers all go through :func:`run_check`, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.findings import Finding
from ..core.resources import Overlay
from .base import Check, CheckOptions


def by_group(overlays: Sequence[Overlay]) -> dict[str, list[Overlay]]:
    """The units of each group, in order; one passed twice is one deployment, not two."""
    groups: dict[str, dict[str, Overlay]] = {}
    for overlay in overlays:
        groups.setdefault(overlay.group, {}).setdefault(overlay.name, overlay)
    return {group: list(members.values()) for group, members in groups.items()}


def run_check(check: Check, overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Run ``check`` on each unit (overlay scope) or on each group's units (group scope);
    the rules ``options.skip_rules`` names are left out."""
    found: set[Finding] = set()
    for members in by_group(overlays).values():
        if check.scope == "overlay":
            for overlay in members:
                found.update(check.run([overlay], options))
        else:
            found.update(check.run(members, options))
    return sorted(f for f in found if f.rule not in options.skip_rules)
