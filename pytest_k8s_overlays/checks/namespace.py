"""namespace: every namespaced resource lands in a namespace, the expected one if given."""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding, finding
from ..model import Overlay
from .base import Check, CheckOptions
from .scopes import crd_scopes, is_cluster_scoped

CHECK_ID = "namespace"
PATH = "metadata.namespace"


def expected_namespace(pattern: str, overlay: Overlay) -> str:
    """Expand ``{name}`` (the overlay name, ``auth/dev`` kept whole) and ``{group}``."""
    return pattern.replace("{name}", overlay.name).replace("{group}", overlay.group)


def _overlay_findings(overlay: Overlay, options: CheckOptions) -> list[Finding]:
    scopes = crd_scopes([overlay], options.crds)
    pattern = (options.namespace or "").strip()
    expected = expected_namespace(pattern, overlay) if pattern else None
    shown = f"namespace {expected}" if expected else "a namespace"
    if expected and expected != pattern:
        shown += f" (pattern {pattern})"
    found: list[Finding] = []
    for resource in overlay.resources:
        # A cluster-scoped object with a namespace set is harmless: the API
        # server ignores it (Kustomize sets one on CRD kinds it cannot place).
        if not resource.kind or is_cluster_scoped(resource, scopes):
            continue
        if resource.namespace is None:
            found.append(
                finding(
                    overlay, resource, CHECK_ID, "missing-namespace", PATH, "no namespace", shown
                )
            )
        elif expected is not None and resource.namespace != expected:
            found.append(
                finding(
                    overlay,
                    resource,
                    CHECK_ID,
                    "wrong-namespace",
                    PATH,
                    f"namespace {resource.namespace}",
                    shown,
                )
            )
    return found


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Check that each overlay's namespaced resources have the namespace they should."""
    found = [f for overlay in overlays for f in _overlay_findings(overlay, options)]
    return sorted(set(found))


CHECK = Check(
    id=CHECK_ID,
    scope="overlay",
    run=run,
    summary="every namespaced resource has a namespace, the expected one when configured",
    hints={
        "missing-namespace": (
            "set namespace: in the overlay's kustomization.yaml (or metadata.namespace in the "
            "manifest); without one the object lands in whatever namespace the Argo CD "
            "Application or kubectl context defaults to"
        ),
        "wrong-namespace": (
            "set namespace: in the overlay's kustomization.yaml to the expected namespace; a "
            "resource that must live elsewhere can carry pytest-k8s-overlays/skip: namespace"
        ),
    },
)
