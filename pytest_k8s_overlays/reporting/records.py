"""One record per finding (and per render failure), with its place in the repository.

Records are what the CI outputs (annotations, the JSON report, SARIF) are
written from. Each process builds the records of the items it ran, as plain
dicts, so a pytest-xdist worker hands them to the controller as they are.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..checks import CHECKS, RENDER
from ..core.deployables import Deployable
from ..core.findings import Finding
from ..core.outcomes import CheckOutcome, RenderFailure
from ..core.paths import display_path
from ..core.provenance import Provenance
from ..core.resources import Overlay, Resource
from ..core.text import bounded, encodable, shown_lines
from ..parse.kustomization import KUSTOMIZATION_FILES
from ..render.cause import reshape
from .image_entries import (
    image_entry_location,
    manifest_location,
    namespace_entry_location,
    override_image_location,
)
from .locate import (
    Location,
    application_line,
    file_field_line,
    generator_line,
    render_failure_location,
    resource_line,
)

#: The hint of a render failure (the render check has no rules of its own).
RENDER_HINT = (
    "fix what Kustomize names; `kubectl kustomize <overlay directory>` (or "
    "`kustomize build`) prints the same error"
)

#: A finding, or a render failure, ready for the CI outputs (JSON-compatible).
Record = dict[str, Any]


def _local(source: str | None, root: Path) -> Path | None:
    """The file a finding's source names, when it is a local file (not a remote base)."""
    if not source or "//" in source:
        return None
    path = Path(source) if os.path.isabs(source) else root / source
    return path if path.is_file() else None


#: An Argo CD Application's own findings name it ``Application/<namespace>/<name>``.
_APPLICATION = re.compile(r"^(?P<kind>Application(?:Set)?)/[^/]*/(?P<name>[^/]+)$")


def _patch_location(finding: Finding, resource: Resource | None, root: Path) -> Location | None:
    """Where the patch that set a finding's field is written: its file, or its entry in a
    kustomization (an inline patch); None when no patch of another file did."""
    source = finding.source
    if source is None or source.patch is None or not source.patched:
        return None
    file = _local(source.patch, root)
    if file is None:
        return None
    if source.entry is not None:
        return file, file_field_line(file, source.entry)
    if resource is None:
        return file, 1
    return file, resource_line(file, resource.kind, resource.name, finding.path)


def finding_location(
    finding: Finding,
    resource: Resource | None,
    kustomization: Path,
    root: Path,
    spec: Deployable | None = None,
) -> Location:
    """The file and line of a finding: the patch that set the field (its document, or
    its place in a kustomization), the resource's manifest (its document, or the
    field), a kustomization file the finding is about, or the overlay's. An image an
    ``images:`` entry wrote is on that entry, a namespace a ``namespace:`` set on it."""
    written = _written_location(finding, resource, kustomization, spec)
    if written is not None:
        return written
    patched = _patch_location(finding, resource, root)
    if patched is not None:
        return patched
    source = _local(finding.source.single if finding.source is not None else None, root)
    if source is not None and resource is not None:
        # A field's finding (an object's own, shared-object, stays on the overlay).
        if finding.path and not _defines(source, resource):
            # A kustomization that only transformed it (its origin annotation gone with
            # the annotations a JSON patch replaced): the manifest that defines it.
            found = manifest_location(resource, finding.path, kustomization)
            if found is not None:
                return found
        return source, resource_line(source, resource.kind, resource.name, finding.path)
    application = _APPLICATION.match(finding.resource)
    if source is not None and application is not None:
        # An Application's own finding: on the manifest that defines it.
        kind, name = application.group("kind", "name")
        return source, application_line(source, kind, name, finding.path)
    named = _local(finding.resource, root)  # a finding about a kustomization file itself
    if named is not None:
        return named, file_field_line(named, finding.path)
    if resource is not None and finding.path:
        found = manifest_location(resource, finding.path, kustomization)
        if found is not None:
            return found
    return kustomization, 1


def _defines(file: Path, resource: Resource) -> bool:
    """Whether ``file`` defines ``resource``: a document of it, or a kustomization's
    generator entry that made it."""
    if file.name in KUSTOMIZATION_FILES:
        return generator_line(file, resource.kind, resource.name) is not None
    return True


def _written_location(
    finding: Finding, resource: Resource | None, kustomization: Path, spec: Deployable | None
) -> Location | None:
    """Where a kustomization (or an Argo CD Application's override) wrote the field the
    finding is about: an image its ``images:`` entry wrote, a namespace its
    ``namespace:`` set; None when none did."""
    if resource is None:
        return None
    if spec is not None:
        override = override_image_location(spec, resource, finding.path)
        if override is not None:
            return override
    for written in (image_entry_location, namespace_entry_location):
        entry = written(resource, finding.path, kustomization)
        if entry is not None:
            return entry
    return None


def _where(location: Location, repo_root: Path) -> dict[str, Any]:
    return {"file": display_path(location[0], repo_root), "line": location[1]}


def _provenance(source: Provenance | None, roots: tuple[Path, Path]) -> dict[str, Any] | None:
    """Where the finding's field comes from, as values: the resource's manifest, the patch
    that set the field and its entry in a kustomization (an inline patch), each path
    relative to the repository root as the other paths of a record are."""
    if source is None:
        return None
    root, repo_root = roots

    def where(path: str | None) -> str | None:
        if path is None or "//" in path:  # a remote base is named as Kustomize names it
            return None if path is None else bounded(path)
        return bounded(display_path(root / path, repo_root))

    return {
        "file": where(source.file),
        "patch": where(source.patch),
        "entry": source.entry,
    }


def _resource(resource: Resource | None) -> dict[str, Any] | None:
    if resource is None:
        return None
    return {
        "apiVersion": bounded(resource.api_version),
        "kind": bounded(resource.kind),
        "namespace": None if resource.namespace is None else bounded(resource.namespace),
        "name": bounded(resource.name),
    }


def finding_record(
    spec: Deployable,
    overlay: Overlay | None,
    finding: Finding,
    suppressed: bool,
    roots: tuple[Path, Path],
) -> Record:
    """A finding of ``overlay`` (None: the unit did not render, an Argo CD Application's
    own findings) as a record; ``roots`` are the rootdir (that sources are relative
    to) and the repository root (that records are relative to)."""
    root, repo_root = roots
    resources = overlay.resources if overlay is not None else ()
    resource = next((r for r in resources if r.ref == finding.resource), None)
    location = finding_location(finding, resource, _file_of(spec), root, spec)
    return {
        "group": spec.group,
        "overlay": spec.name,
        "kind": spec.kind,
        "check": finding.check,
        "rule": finding.rule,
        "resource": _resource(resource),
        # Bounded like the message: a 10 MB image string stays out of the reports.
        "path": bounded(finding.path),
        "found": bounded(finding.found),
        "expected": bounded(finding.expected),
        "hint": CHECKS[finding.check].rules.get(finding.rule, ""),
        "message": f"{finding.overlay}: {finding.line()}",
        "source": _where(location, repo_root),
        "provenance": _provenance(finding.source, roots),
        "others": [bounded(other) for other in finding.others],
        "suppressed": suppressed,
    }


def _file_of(spec: Deployable) -> Path:
    """The file a unit's findings fall back to: its kustomization, or (an Argo CD
    Application whose source path does not exist) the manifest defining it."""
    return spec.kustomization if spec.kustomization.is_file() else spec.anchor


def render_record(failure: RenderFailure, roots: tuple[Path, Path]) -> Record:
    """A render failure as a record, at the kustomization file (and line) it is about;
    ``roots`` as for :func:`finding_record`."""
    spec = failure.spec
    root, repo_root = roots
    location = render_failure_location(failure.message, _file_of(spec))
    # As the terminal shows it: the cause first, escaped, bounded.
    message = shown_lines(reshape(failure.message, root))
    return {
        "group": spec.group,
        "overlay": spec.name,
        "kind": spec.kind,
        "check": RENDER,
        "rule": RENDER,
        "resource": None,
        "path": "",
        "found": message,
        "expected": "a successful kustomize build",
        "hint": RENDER_HINT,
        "message": message,
        "source": _where(location, repo_root),
        "provenance": None,
        "others": [],
        "suppressed": False,
    }


def build_records(
    outcomes: Mapping[tuple[Deployable, str], CheckOutcome | RenderFailure],
    overlay_of: Mapping[Deployable, Overlay],
    roots: tuple[Path, Path],
) -> list[Record]:
    """The records of the items a process ran: each finding once, each render failure once.

    ``overlay_of`` gives each rendered deployable.
    """
    records: list[Record] = []
    failed: set[Deployable] = set()
    for (spec, _), outcome in outcomes.items():
        if isinstance(outcome, RenderFailure):
            if spec not in failed:
                failed.add(spec)
                records.append(render_record(outcome, roots))
            continue
        overlay = overlay_of.get(spec)
        for suppressed, found in ((False, outcome.reported), (True, outcome.suppressed)):
            records.extend(finding_record(spec, overlay, f, suppressed, roots) for f in found)
    # A directory name that is not UTF-8 (or "\ud800" in a JSON manifest) holds a lone
    # surrogate, which neither pytest-xdist nor a UTF-8 file can carry.
    return sort_records(encodable(records))


def _order(record: Record) -> tuple[Any, ...]:
    checks = list(CHECKS)
    check = checks.index(record["check"]) if record["check"] in checks else len(checks)
    return (record["group"], record["overlay"], check, record["rule"], record["message"])


def sort_records(records: Iterable[Record]) -> list[Record]:
    """Records in a stable order (group, deployable, check in run order, rule, text),
    each once: pytest-xdist workers that ran items of one failed render both report it."""
    unique = {json.dumps(record, sort_keys=True): record for record in records}
    return sorted(unique.values(), key=_order)


def fingerprint(record: Record) -> str:
    """The identity of a finding, not of its line: the same rule on the same field of
    the same resource of the same deployable, in the same file, is the same alert in
    the next commit."""
    resource = record["resource"] or {}
    parts = [record["group"], record["overlay"], record["check"], record["rule"], record["path"]]
    parts += [str(resource.get(key)) for key in ("apiVersion", "kind", "namespace", "name")]
    # Two findings on no rendered resource (two Applications of one name) differ in
    # the file that defines each and in what they say.
    parts += [record["source"]["file"]] + ([] if resource else [record["found"]])
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
