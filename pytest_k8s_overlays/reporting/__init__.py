"""The gate's findings where CI shows them: GitHub annotations, a JSON report, SARIF.

Each process (each pytest-xdist worker too) gathers the records of the items
it ran (:func:`gather`); the controller merges them (:func:`merge`), writes the
files (:func:`write_files`) and prints the annotations. Nothing here imports
pytest: the session hooks call in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from ..config.settings import Settings
from ..core.deployables import Deployable
from ..core.outcomes import CheckOutcome, RenderFailure
from ..core.resources import Overlay
from ..core.text import encodable
from ..render.engine import Renderer
from .files import write_json
from .github import annotation_lines
from .json_report import json_report, renderer_info
from .locate import repository_root
from .priority import Priority
from .records import Record, build_records, sort_records
from .sarif import sarif_log

__all__ = [
    "Gathered",
    "Priority",
    "Record",
    "annotation_lines",
    "gather",
    "merge",
    "repository_root",
    "wanted",
    "write_files",
]

#: What one process hands over: its records and the deployables it checked.
Gathered = dict[str, Any]


def wanted(settings: Settings, environ: Mapping[str, str]) -> bool:
    """Tell whether any CI output is asked for (records cost reading manifests)."""
    return bool(settings.report or settings.sarif or settings.github_annotations(environ))


def gather(
    outcomes: Mapping[tuple[Deployable, str], CheckOutcome | RenderFailure],
    result_of: Callable[[Deployable], Overlay | RenderFailure],
    rootdir: Path,
) -> Gathered:
    """The records of the items this process ran (their ``outcomes``, each deployable's
    render from ``result_of``), and which deployables they were."""
    overlays: dict[Deployable, Overlay] = {}
    for (spec, _), outcome in outcomes.items():
        if spec in overlays or not isinstance(outcome, CheckOutcome):
            continue
        if not (outcome.reported or outcome.suppressed):
            continue  # no record needs its objects (a warm run may not have read them)
        result = result_of(spec)
        if isinstance(result, Overlay):
            overlays[spec] = result
    records = build_records(outcomes, overlays, (rootdir, repository_root(rootdir)))
    ran = sorted({(spec.group, spec.name) for spec, _ in outcomes})
    # Names as the records spell them: pytest-xdist carries this as UTF-8.
    return {"records": records, "ran": encodable([list(key) for key in ran])}


def merge(parts: Iterable[Gathered]) -> tuple[list[Record], set[tuple[str, str]]]:
    """All processes' records, each once and in order, and every deployable checked."""
    records: list[Record] = []
    ran: set[tuple[str, str]] = set()
    for part in parts:
        records.extend(part.get("records", []))
        ran.update((str(group), str(name)) for group, name in part.get("ran", []))
    return sort_records(records), ran


def _version() -> str:
    try:
        return metadata.version("pytest-k8s-overlays")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree on sys.path
        return "0.0.0"


def write_files(
    settings: Settings,
    gated: tuple[Renderer, Sequence[Deployable]],
    merged: tuple[Sequence[Record], set[tuple[str, str]]],
    cache: tuple[int, int | None],
    rootdir: Path,
    priority: Priority | None = None,
) -> None:
    """Write the JSON report and the SARIF log the settings ask for (OSError if one
    cannot be written). ``gated`` is (the renderer, every deployable with items);
    ``cache`` is (overlays rendered, cache hits); ``priority`` orders SARIF results."""
    renderer, item_specs = gated
    records, ran = merged
    repo_root = repository_root(rootdir)
    version = _version()
    run: dict[str, Any] = {
        "tool": {"name": "pytest-k8s-overlays", "version": version},
        "renderer": renderer_info(renderer),
        "rendered": cache[0],
        "cache_hits": cache[1],
    }
    if settings.report is not None:
        report = json_report(records, item_specs, ran, run, (repo_root, rootdir))
        write_json(settings.report, report, repo_root)
    if settings.sarif is not None:
        properties = {"renderer": run["renderer"]}
        log = sarif_log(records, settings.checks, version, repo_root, properties, priority)
        write_json(settings.sarif, log, repo_root)
