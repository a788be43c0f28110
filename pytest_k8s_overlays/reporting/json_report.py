"""The JSON report: every finding as one object, and the run's summary.

Its shape is ``docs/report.schema.json`` (a JSON Schema the tests validate
against); ``version`` changes when a field changes meaning or goes away.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.deployables import Deployable
from ..core.paths import display_path
from ..core.text import encodable
from ..render.engine import Renderer
from .records import Record

VERSION = 1


def renderer_info(renderer: Renderer) -> dict[str, str]:
    """The renderer as the report header names it."""
    return {
        "command": " ".join([Path(renderer.argv[0]).name, *renderer.argv[1:]]),
        "path": renderer.binary,
        "kustomize_version": renderer.version,
        "source": renderer.source,
    }


def _status(spec: Deployable, failed: set[tuple[str, str]], ran: set[tuple[str, str]]) -> str:
    # As records and the hand-off spell names: lone surrogates escaped.
    key = (encodable(spec.group), encodable(spec.name))
    if key in failed:
        return "render-failed"
    return "checked" if key in ran else "not-run"


def json_report(
    records: Sequence[Record],
    specs: Sequence[Deployable],
    ran: set[tuple[str, str]],
    run: dict[str, Any],
    paths: tuple[Path, Path],
) -> dict[str, Any]:
    """The report of one run. ``run`` holds the tool, renderer and cache figures;
    ``paths`` are the repository root and the rootdir (paths are shown relative
    to the repository root)."""
    repo_root, _ = paths
    failed = {(r["group"], r["overlay"]) for r in records if r["check"] == r["rule"]}
    overlays = [
        {
            "group": spec.group,
            "name": spec.name,
            "kind": spec.kind,
            "kustomization": display_path(spec.kustomization, repo_root),
            "status": _status(spec, failed, ran),
        }
        for spec in specs
    ]
    findings = [r for r in records if r["check"] != r["rule"]]
    summary = {
        "groups": len({spec.group for spec in specs}),
        "overlays": len(specs),
        "rendered": run["rendered"],
        "cache_hits": run["cache_hits"],
        "render_failures": len(failed),
        "findings": sum(1 for r in findings if not r["suppressed"]),
        "suppressed": sum(1 for r in findings if r["suppressed"]),
    }
    return {
        "version": VERSION,
        "tool": run["tool"],
        "renderer": run["renderer"],
        "root": repo_root.as_posix(),
        "summary": summary,
        "overlays": overlays,
        "findings": list(records),
    }
