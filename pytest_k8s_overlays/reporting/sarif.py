"""SARIF 2.1.0 for GitHub code scanning: a rule per check rule, a result per finding.

What GitHub requires and shows is in its "SARIF support for code scanning"
page: rules with a short and full description and help text, results with a
message, one physical location relative to the repository root and
``partialFingerprints`` (``primaryLocationLineHash``, which matches an alert
across commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from ..checks import CHECKS, RENDER
from .priority import Priority, first
from .records import RENDER_HINT, Record, fingerprint
from .shared import per_location

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "pytest-k8s-overlays"
HOME = "https://github.com/pytest-k8s-overlays/pytest-k8s-overlays"
RULES_DOC = f"{HOME}/blob/main/docs/checks.md"


def rule_id(check: str, rule: str) -> str:
    """``images/placeholder``; the render check, which has no rules, is ``render``."""
    return check if check == rule else f"{check}/{rule}"


def _descriptor(check_id: str, rule: str | None) -> dict[str, Any]:
    check = CHECKS[check_id]
    if rule is None:
        short = f"{check_id}: {check.summary}"
        identifier, hint, anchor = check_id, RENDER_HINT, ""
    else:
        short = f"{rule} ({check_id}: {check.summary})"
        identifier, hint, anchor = rule_id(check_id, rule), check.rules[rule], f"#{check_id}"
    return {
        "id": identifier,
        "name": identifier.replace("/", "-"),
        "shortDescription": {"text": short[:1024]},
        "fullDescription": {"text": f"{check.summary}. Fix: {hint}"[:1024]},
        "help": {
            "text": hint,
            "markdown": f"{hint}\n\n[The {check_id} check]({RULES_DOC}{anchor})",
        },
        "helpUri": f"{RULES_DOC}{anchor}",
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["kubernetes", "kustomize", check_id],
            "precision": "high",
            "problem.severity": "error",
        },
    }


def descriptors(checks: Sequence[str]) -> list[dict[str, Any]]:
    """One reportingDescriptor per rule of the checks run, and one for render failures."""
    found = [_descriptor(RENDER, None)]
    for check_id in checks:
        found += [_descriptor(check_id, rule) for rule in sorted(CHECKS[check_id].rules)]
    return found


def artifact_location(file: str) -> dict[str, str]:
    """A path relative to the repository root as a URI reference on %SRCROOT%; a file
    outside the repository (a CRD directory elsewhere) by its absolute URI."""
    if PurePosixPath(file).is_absolute():
        return {"uri": Path(file).as_uri()}
    return {"uri": quote(file), "uriBaseId": "%SRCROOT%"}


def _result(record: Record, index: dict[str, int]) -> dict[str, Any]:
    identifier = rule_id(record["check"], record["rule"])
    result: dict[str, Any] = {
        "ruleId": identifier,
        "level": "error",
        "message": {"text": record["message"]},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(record["source"]["file"]),
                    "region": {"startLine": record["source"]["line"]},
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint(record)},
        "properties": {
            "group": record["group"],
            "overlay": record["overlay"],
            "check": record["check"],
        },
    }
    if record.get("also"):
        result["properties"]["overlays"] = [record["overlay"], *record["also"]]
    if identifier in index:
        result["ruleIndex"] = index[identifier]
    if record["suppressed"]:
        result["suppressions"] = [
            {"kind": "inSource", "justification": "pytest-k8s-overlays/skip annotation"}
        ]
    return result


def sarif_log(
    records: Sequence[Record],
    checks: Sequence[str],
    version: str,
    repo_root: Path,
    properties: dict[str, Any] | None = None,
    priority: Priority | None = None,
) -> dict[str, Any]:
    """The SARIF log of one run: results located relative to ``repo_root``; with a
    ``priority`` (a pull request's), its own findings first."""
    rules = descriptors(checks)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL,
                "version": version,
                "semanticVersion": version,
                "informationUri": HOME,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": repo_root.resolve().as_uri() + "/"}},
        # A finding several deployables share: one result at its place, naming them.
        "results": [_result(record, index) for record in first(per_location(records), priority)],
    }
    if properties:
        run["properties"] = properties
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
