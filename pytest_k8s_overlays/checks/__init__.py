"""The built-in checks, one module per family, registered by id."""

from __future__ import annotations

from . import images, isolation, namespace, ports, schema, unique_names
from .base import Check, CheckFunction, CheckOptions

#: The check every overlay gets first: it renders and parses.
RENDER = "render"

#: Every check besides ``render``, in the order their items run.
CHECKS: dict[str, Check] = {}
CHECKS["unique-names"] = unique_names.CHECK
CHECKS["isolation"] = isolation.CHECK
CHECKS["images"] = images.CHECK
CHECKS["namespace"] = namespace.CHECK
CHECKS["ports"] = ports.CHECK
CHECKS["schema"] = schema.CHECK


def check_ids() -> list[str]:
    """All check ids, ``render`` first."""
    return [RENDER, *CHECKS]


__all__ = ["CHECKS", "RENDER", "Check", "CheckFunction", "CheckOptions", "check_ids"]
