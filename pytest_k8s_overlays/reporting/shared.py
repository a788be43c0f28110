"""One cause, one finding: findings of several deployables that one line of one file causes.

A typo in a base that seven overlays use fails the same rule in each of them;
the finding is then the same line of the same file, and it is fixed once. The
terminal shows it in full once (under the first of those deployables in sorted
order) and says so in one line under the others; the annotations and the SARIF
log carry it once per place, naming every deployable it fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..core.deployables import Deployable
from ..core.findings import Finding
from ..core.paths import display_path
from ..core.resources import Overlay
from .records import Record, finding_location, sort_records

#: What makes two findings one: check, rule, file, line, field path.
CauseKey = tuple[str, str, str, int, str]


def cause_key(spec: Deployable, overlay: Overlay | None, finding: Finding, root: Path) -> CauseKey:
    """Where a finding of ``overlay`` (None: the unit did not render, an Application's
    own findings) lives, as its record places it, with its rule."""
    resources = overlay.resources if overlay is not None else ()
    resource = next((r for r in resources if r.ref == finding.resource), None)
    try:
        # A unit's own fallback file: its kustomization, or the manifest defining it.
        fallback = spec.kustomization if spec.kustomization.is_file() else spec.anchor
        file, line = finding_location(finding, resource, fallback, root)
        return (finding.check, finding.rule, display_path(file, root), line, finding.path)
    except (OSError, ValueError):
        # A path the system refuses (a name too long): the finding is this unit's own.
        return (finding.check, finding.rule, f"<{spec.group}:{spec.name}>", 0, finding.path)


def where(key: CauseKey) -> str:
    """``k8s/base/service.yaml:14``."""
    return f"{key[2]}:{key[3]}"


def _key(record: Record) -> tuple[Any, ...]:
    source = record["source"]
    return (
        record["check"],
        record["rule"],
        source["file"],
        source["line"],
        record.get("path", ""),
        record["suppressed"],
    )


def per_location(records: Iterable[Record]) -> list[Record]:
    """One record per finding and place: the first (in the records' order) of those
    several deployables share, naming the others in ``also`` and in its message.
    Render failures stay one per deployable (each fails on its own)."""
    merged: dict[tuple[Any, ...], Record] = {}
    for record in sort_records(records):
        if record["check"] == record["rule"]:
            merged[(id(record),)] = record
            continue
        first = merged.setdefault(_key(record), {**record, "also": []})
        # Each other deployable once, however many of its findings are at this place.
        if record["overlay"] != first["overlay"] and record["overlay"] not in first["also"]:
            first["also"].append(record["overlay"])
    found = []
    for record in merged.values():
        also: Sequence[str] = record.get("also", [])
        if also:
            record = {
                **record,
                "message": f"{record['message']} (the same finding in {', '.join(also)})",
            }
        found.append(record)
    return found
