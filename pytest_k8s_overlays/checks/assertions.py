"""Assertion helpers: the built-in checks as plain functions for your own tests.

Each helper runs the same pure check function as the built-in items, so the
two can never disagree, and raises AssertionError listing every finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..core.defaults import DEFAULT_PLACEHOLDERS
from ..core.findings import format_report, split_suppressed
from ..core.resources import Overlay
from . import CHECKS, CheckOptions
from .runner import run_check

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
    if check_id not in CHECKS:
        raise ValueError(f"unknown check {check_id!r}; checks: {', '.join(CHECKS)}")
    registered = CHECKS[check_id]
    # The groups compared (environment-leak) are those of the overlays given, as the
    # gate compares the session's.
    options.setdefault("groups", tuple(sorted({overlay.group for overlay in chosen})))
    found = run_check(registered, chosen, replace(CheckOptions(), **options))
    reported, _ = split_suppressed(found, chosen)
    if reported:
        names = sorted({f.overlay for f in reported})
        subject = names[0] if len(names) == 1 else ", ".join(names)
        raise AssertionError(
            format_report(subject, check_id, reported, registered.rules, len(names) > 1)
        )


def assert_unique_names(overlays: OverlayOrMany) -> None:
    """Assert no object is rendered twice, in one overlay or by two overlays."""
    __tracebackhide__ = True
    check("unique-names", overlays)


def assert_isolated(overlays: OverlayOrMany, service_label: str | None = None) -> None:
    """Assert no selector reaches another overlay's pods (and, optionally, ownership labels)."""
    __tracebackhide__ = True
    check("isolation", overlays, service_label=service_label)


def assert_images(
    overlays: OverlayOrMany,
    allow_latest: bool = False,
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    allowed_registries: Iterable[str] = (),
    convention: Iterable[str] = (),
) -> None:
    """Assert every container has a real, pinned image from an allowed registry (and
    following the ``convention`` patterns, if given)."""
    __tracebackhide__ = True
    check(
        "images",
        overlays,
        allow_latest=allow_latest,
        placeholder_images=tuple(placeholders),
        allowed_registries=tuple(allowed_registries),
        image_convention=tuple(convention),
    )


def assert_namespace(
    overlays: OverlayOrMany, expected: str | None = None, required: bool = False
) -> None:
    """Assert no overlay leaves some namespaced resources without the namespace others
    have; with ``required`` or ``expected``, that every one has one (``expected``)."""
    __tracebackhide__ = True
    check("namespace", overlays, namespace=expected, namespace_required=required)


def assert_ports(overlays: OverlayOrMany, external_services: Iterable[str] = ()) -> None:
    """Assert Services, probes, node ports and Ingress backends point at declared ports."""
    __tracebackhide__ = True
    check("ports", overlays, external_services=tuple(external_services))


def assert_references(overlays: OverlayOrMany, external_services: Iterable[str] = ()) -> None:
    """Assert routes, monitors and in-cluster DNS names lead to a Service and port."""
    __tracebackhide__ = True
    check("references", overlays, external_services=tuple(external_services))


def assert_valid_schema(
    overlays: OverlayOrMany,
    kubernetes_version: str | None = None,
    strict: bool = True,
    crds: Iterable[str | Path] = (),
    require_schemas: bool = False,
) -> None:
    """Assert every resource is valid against the Kubernetes API schemas, offline."""
    __tracebackhide__ = True
    check(
        "schema",
        overlays,
        k8s_version=kubernetes_version,
        strict=strict,
        crds=tuple(Path(p) for p in crds),
        require_schemas=require_schemas,
    )
