"""The built-in checks: their ids, scopes and rules with hints, in the order their items run.

Each check is declared once, next to its logic: ``CHECK = declare(...)`` in its
module (``images.py``, ``ports.py``, ``schema/check.py``...), with its rules
(id, hint, doc) and options. This module reads the catalogue generated from
those declarations (``catalogue.json``, written by ``python -m
pytest_k8s_overlays.docgen``; a test fails when it is stale), so listing the
checks and rules at start-up (``--help``) imports no check: each
implementation module is imported only when its check first runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.options import Setting
from .base import Check, CheckFunction, CheckOptions

#: The check every unit gets first: it renders and parses (a failure is the finding).
RENDER = "render"

#: Where the generated catalogue lives.
CATALOGUE = Path(__file__).with_name("catalogue.json")


def _check(entry: dict[str, Any]) -> Check:
    kinds = entry["kinds"]
    return Check(
        id=entry["id"],
        scope=entry["scope"],
        summary=entry["summary"],
        rules=entry["rules"],
        module=entry["module"],
        cache_findings=entry["cache_findings"],
        kinds=None if kinds is None else frozenset(kinds),
        needs_render=entry["needs_render"],
    )


def _option(entry: dict[str, Any]) -> Setting:
    default = entry["default"]
    return Setting(
        **{
            **entry,
            "flags": tuple(entry["flags"]),
            "default": tuple(default) if isinstance(default, list) else default,
        }
    )


_CATALOGUE = json.loads(CATALOGUE.read_text(encoding="utf-8"))

#: Every check by id, in the order their items run.
CHECKS: dict[str, Check] = {entry["id"]: _check(entry) for entry in _CATALOGUE["checks"]}

#: The options the checks read (fields of CheckOptions), as rows of the settings table.
CHECK_SETTINGS: tuple[Setting, ...] = tuple(_option(entry) for entry in _CATALOGUE["options"])


def check_ids() -> list[str]:
    """All check ids, ``render`` first, in the order their items run."""
    return list(CHECKS)


def rule_ids() -> dict[str, list[str]]:
    """Each check's rule ids, sorted: what ``--help`` lists and suppression accepts."""
    return {check.id: sorted(check.rules) for check in CHECKS.values()}


def valid_skip_ids() -> frozenset[str]:
    """What the skip annotation accepts: every check id, every rule id, and ``all``."""
    ids = rule_ids()
    return frozenset({"all", *ids, *(rule for rules in ids.values() for rule in rules)})


__all__ = [
    "CHECKS",
    "CHECK_SETTINGS",
    "RENDER",
    "Check",
    "CheckFunction",
    "CheckOptions",
    "check_ids",
    "rule_ids",
    "valid_skip_ids",
]
