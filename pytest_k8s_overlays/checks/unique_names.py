"""unique-names: one manifest per object in an overlay, one overlay per object in a group."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..core.deployables import APPLICATION
from ..core.findings import Finding, finding
from ..core.resources import Overlay, Resource, ResourceKey
from ..parse.crds import GroupKind
from ..parse.scopes import crd_scopes, identity
from .base import CheckOptions, Rule, declare

CHECK_ID = "unique-names"
DUPLICATE_IN_OVERLAY = "duplicate-in-overlay"
SHARED_OBJECT = "shared-object"

CHECK = declare(
    __name__,
    CHECK_ID,
    "group",
    summary="every object is rendered once: by one manifest, in one overlay of the group",
    catches="one object rendered twice, in one overlay or by two overlays of a group",
    rules=(
        Rule(
            DUPLICATE_IN_OVERLAY,
            hint=(
                "keep one manifest per object: delete the copy with the old apiVersion "
                "(Kustomize lets two apiVersions of one object through; Argo CD then reports a "
                "RepeatedResourceWarning and applies only one of them)"
            ),
            doc=(
                "one overlay renders the same object twice, e.g. `networking.istio.io/v1` and "
                "`v1beta1` of one DestinationRule (Kustomize lets both through; Argo CD "
                "applies one). One line per manifest, naming the other apiVersion and its "
                "file."
            ),
        ),
        Rule(
            SHARED_OBJECT,
            hint=(
                "give each overlay its own namePrefix/namespace, or create the shared object "
                "in one overlay only (a common overlay), so one Argo CD Application owns it; "
                "environments of one service (dev, prod) go in groups of their own instead"
            ),
            doc=(
                "two overlays of one group render the same object (two Argo CD Applications "
                "fighting over it). Namespaced objects collide in the same namespace; "
                "cluster-scoped ones (Namespace, ClusterRole, CRD, ...) collide whatever the "
                "overlays' namespaces. A `Namespace` created by two overlays is the classic."
            ),
        ),
    ),
)


def _named(resource: Resource) -> bool:
    """Tell whether the manifest has a kind and a name that are strings.

    A map or list written there (a YAML typo) identifies no object; the
    schema check reports it.
    """
    kind, name = resource.raw.get("kind"), resource.metadata.get("name")
    return isinstance(kind, str) and bool(kind) and isinstance(name, str) and bool(name)


def _where(other: Resource, resource: Resource) -> str:
    """Name the other manifest by apiVersion, and by file when it comes from another one."""
    if other.source and other.source != resource.source:
        return f"{other.api_version} in {other.source}"
    return other.api_version


def _duplicates(overlay: Overlay, scopes: Mapping[GroupKind, bool]) -> list[Finding]:
    """Flag objects an overlay renders more than once (same group, kind, namespace, name)."""
    by_key: dict[ResourceKey, list[Resource]] = {}
    for resource in overlay.resources:
        if _named(resource):
            by_key.setdefault(identity(resource, scopes), []).append(resource)
    found: list[Finding] = []
    for same in by_key.values():
        if len(same) < 2:
            continue
        for resource in same:
            others = ", ".join(sorted(_where(o, resource) for o in same if o is not resource))
            found.append(
                finding(
                    overlay,
                    resource,
                    CHECK_ID,
                    DUPLICATE_IN_OVERLAY,
                    "apiVersion",
                    f"{resource.api_version}, but the same object is also rendered as {others}",
                    "one manifest per object",
                )
            )
    return found


def _shared(overlays: Sequence[Overlay], scopes: Mapping[GroupKind, bool]) -> list[Finding]:
    """Flag objects rendered by several overlays of one group: one finding per overlay."""
    owners: dict[ResourceKey, dict[str, tuple[Overlay, Resource]]] = {}
    for overlay in overlays:
        for resource in overlay.resources:
            if _named(resource):
                key = identity(resource, scopes)
                owners.setdefault(key, {}).setdefault(overlay.name, (overlay, resource))
    found: list[Finding] = []
    for by_overlay in owners.values():
        if len(by_overlay) < 2:
            continue
        for name, (overlay, resource) in by_overlay.items():
            others = sorted(n for n in by_overlay if n != name)
            # Name the other copy when it reads differently (a cluster-scoped
            # object Kustomize gave each overlay's namespace).
            described = [
                n if by_overlay[n][1].ref == resource.ref else f"{n} ({by_overlay[n][1].ref})"
                for n in others
            ]
            # Argo CD Applications "manage" what they render (a SharedResourceWarning).
            noun, verb = _words(overlay)
            word = noun if len(others) == 1 else f"{noun}s"
            expected = _environments(sorted(by_overlay)) or f"one {noun} to own it"
            found.append(
                finding(
                    overlay,
                    resource,
                    CHECK_ID,
                    SHARED_OBJECT,
                    "",
                    f"also {verb} by {word} {', '.join(described)}",
                    expected,
                    others=others,
                )
            )
    return found


#: Words that name an environment, as the first word of an overlay directory's name
#: (``dev``, ``prod-eu``, ``staging_us``).
ENVIRONMENT_WORDS = frozenset(
    {
        "dev",
        "develop",
        "development",
        "test",
        "testing",
        "qa",
        "uat",
        "int",
        "integration",
        "stage",
        "stg",
        "staging",
        "preprod",
        "pre",
        "prod",
        "prd",
        "production",
        "live",
        "sandbox",
        "demo",
        "perf",
        "load",
    }
)


def _environment(leaf: str) -> bool:
    return re.split(r"[-_.]", leaf.lower(), maxsplit=1)[0] in ENVIRONMENT_WORDS


def _environments(names: Sequence[str]) -> str | None:
    """What to expect when the owners are environments of one service (``auth/dev`` and
    ``auth/prod``: one parent, leaves named as environments): separate groups, not
    another name. Overlays of one environment (``staging``, ``init-db-staging``) are not."""
    parents = {name.rpartition("/")[0] for name in names}
    leaves = [name.rpartition("/")[2] for name in names]
    if len(parents) != 1 or "" in parents or len(set(leaves)) != len(leaves):
        return None
    if not all(_environment(leaf) for leaf in leaves):
        return None
    return (
        f"{' and '.join(leaves)} of {parents.pop()} in groups of their own, as they deploy "
        "to different clusters (one --overlays value per environment: "
        "--overlays='<root>/*/" + leaves[0] + "'); not another namePrefix"
    )


def _words(overlay: Overlay) -> tuple[str, str]:
    deployable = overlay.deployable
    if deployable is not None and deployable.kind == APPLICATION:
        return "Application", "managed"
    return "overlay", "rendered"


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Find objects rendered twice in one overlay or by two overlays of the group."""
    scopes = crd_scopes(overlays, options.crds)
    found = [f for overlay in overlays for f in _duplicates(overlay, scopes)]
    found.extend(_shared(overlays, scopes))
    return sorted(set(found))
