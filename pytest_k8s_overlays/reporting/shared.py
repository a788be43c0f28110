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

from ..checks import RENDER
from ..core.deployables import Deployable
from ..core.findings import Finding
from ..core.outcomes import RenderFailure
from ..core.paths import display_path
from ..core.resources import Overlay
from ..render.cause import reshape
from .locate import render_failure_location
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
        file, line = finding_location(finding, resource, fallback, root, spec)
        return (finding.check, finding.rule, display_path(file, root), line, finding.path)
    except (OSError, ValueError):
        # A path the system refuses (a name too long): the finding is this unit's own.
        return (finding.check, finding.rule, f"<{spec.group}:{spec.name}>", 0, finding.path)


#: What makes two render failures one: the file and line Kustomize names, and the cause.
RenderKey = tuple[str, int, str]


def render_key(failure: RenderFailure, root: Path) -> RenderKey:
    """Where a render failure lives (the file and line Kustomize names: a base's
    kustomization that every overlay using it fails on) and its cause, the first line
    of its text without the deployable's name: the same for every user of a broken
    base or Component, different for one overlay's own mistake (its own file)."""
    spec = failure.spec
    first = reshape(failure.message, root).split("\n", 1)[0]
    cause = first.removeprefix(f"{spec.name}: ")
    try:
        kustomization = spec.kustomization if spec.kustomization.is_file() else spec.anchor
        file, line = render_failure_location(failure.message, kustomization)
        return (display_path(file, root), line, cause)
    except (OSError, ValueError):
        # A path the system refuses (a name too long): the failure is this unit's own.
        return (f"<{spec.group}:{spec.name}>", 0, cause)


def _render_key(record: Record) -> tuple[Any, ...]:
    """:func:`render_key` of a render failure's record (its place, its first line)."""
    first = str(record["message"]).split("\n", 1)[0]
    cause = first.removeprefix(f"{record['overlay']}: ")
    return (RENDER, record["source"]["file"], record["source"]["line"], cause)


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
    Render failures with one cause at one place (a broken base) are one record too."""
    merged: dict[tuple[Any, ...], Record] = {}
    for record in sort_records(records):
        if record["check"] == record["rule"] == RENDER:
            # A base or Component every user fails on: one record, naming the others.
            key = _render_key(record)
        elif record["check"] == record["rule"]:
            merged[(id(record),)] = record
            continue
        else:
            key = _key(record)
        first = merged.setdefault(key, {**record, "also": []})
        # Each other deployable once, however many of its findings are at this place.
        if record["overlay"] != first["overlay"] and record["overlay"] not in first["also"]:
            first["also"].append(record["overlay"])
    found = []
    for record in merged.values():
        also: Sequence[str] = record.get("also", [])
        if also:
            what = "render failure" if record["check"] == record["rule"] else "finding"
            record = {
                **record,
                "message": f"{record['message']} (the same {what} in {', '.join(also)})",
            }
        found.append(record)
    return found
