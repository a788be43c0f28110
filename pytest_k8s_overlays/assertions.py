"""Assertion helpers: the built-in checks as plain functions for your own tests.

Each helper runs the same pure check function as the built-in items, so the
two can never disagree, and raises AssertionError listing every finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .checks import CHECKS, CheckOptions
from .findings import format_report, split_suppressed
from .model import Overlay

OverlayOrMany = Overlay | Iterable[Overlay]


def _as_list(overlays: OverlayOrMany) -> list[Overlay]:
    return [overlays] if isinstance(overlays, Overlay) else list(overlays)


def check(check_id: str, overlays: OverlayOrMany, **options: Any) -> None:
    """Run the check ``check_id`` on one overlay or several; raise if it finds anything.

    Keyword arguments override CheckOptions fields (``allow_latest=True``...).
    Findings suppressed by the ``pytest-k8s-overlays/skip`` annotation do not fail.
    """
    __tracebackhide__ = True
    chosen = _as_list(overlays)
    registered = CHECKS[check_id]
    settings = replace(CheckOptions(), **options)
    if registered.scope == "overlay":
        found = [f for overlay in chosen for f in registered.run([overlay], settings)]
    else:
        found = registered.run(chosen, settings)
    reported, _ = split_suppressed(found, chosen)
    if reported:
        names = sorted({f.overlay for f in reported})
        subject = names[0] if len(names) == 1 else ", ".join(names)
        raise AssertionError(
            format_report(subject, check_id, reported, registered.hints, len(names) > 1)
        )
