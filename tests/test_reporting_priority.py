"""A pull request's own findings first in the CI outputs: the pure ordering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_k8s_overlays.reporting.github import annotation_lines
from pytest_k8s_overlays.reporting.priority import Priority, first
from pytest_k8s_overlays.reporting.records import fingerprint
from pytest_k8s_overlays.reporting.sarif import sarif_log


def record(
    overlay: str, file: str, check: str = "images", rule: str = "unpinned"
) -> dict[str, Any]:
    return {
        "group": "k8s/overlays",
        "overlay": overlay,
        "kind": "overlay",
        "check": check,
        "rule": rule,
        "resource": None,
        "path": "spec.image",
        "found": f"{overlay} found",
        "expected": "a tag",
        "hint": "pin it",
        "message": f"{overlay}: unpinned",
        "source": {"file": file, "line": 3},
        "provenance": None,
        "others": [],
        "suppressed": False,
    }


OLD = record("a-old", "k8s/overlays/a/kustomization.yaml")
OLD_TOUCHED = record("b-old-touched", "k8s/overlays/b/kustomization.yaml")
NEW = record("c-new", "k8s/base/deployment.yaml")
NEW_TOUCHED = record("d-new-touched", "k8s/overlays/d/kustomization.yaml")
FAILED = record("e-failed", "k8s/overlays/e/kustomization.yaml", "render", "render")
PRIORITY = Priority(
    touched=frozenset({"k8s/overlays/b/kustomization.yaml", "k8s/overlays/d/kustomization.yaml"}),
    new=frozenset({fingerprint(NEW), fingerprint(NEW_TOUCHED)}),
)
RECORDS = [OLD, OLD_TOUCHED, NEW, NEW_TOUCHED, FAILED]


def test_new_first_touched_files_first_within_each() -> None:
    ordered = [r["overlay"] for r in first(RECORDS, PRIORITY)]
    # A render failure counts as new (new-only fails on it too); its file is untouched.
    assert ordered == ["d-new-touched", "c-new", "e-failed", "b-old-touched", "a-old"]


def test_without_a_priority_the_order_is_kept() -> None:
    assert first(RECORDS, None) == RECORDS


def test_the_annotation_limit_keeps_the_change_s_own_findings() -> None:
    lines = annotation_lines(RECORDS, limit=2, priority=PRIORITY)
    assert "title=d-new-touched%3A images [unpinned]" in lines[0]
    assert "title=c-new%3A images [unpinned]" in lines[1]
    assert lines[2].startswith("::notice title=k8s-overlays::k8s-overlays: 3 more findings")


def test_sarif_results_in_priority_order() -> None:
    log = sarif_log(RECORDS, ["images"], "1.0", Path("/repo"), priority=PRIORITY)
    overlays = [r["properties"]["overlay"] for r in log["runs"][0]["results"]]
    assert overlays == ["d-new-touched", "c-new", "e-failed", "b-old-touched", "a-old"]
