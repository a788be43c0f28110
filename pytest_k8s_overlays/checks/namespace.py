"""namespace: every namespaced resource lands in a namespace, the expected one if given.

Rules:

- ``partial-namespace``: an overlay sets a namespace on some of its namespaced
  resources and not on others, so those land wherever the Argo CD
  Application or the kubectl context defaults to, away from their siblings.
  Resources in a namespace the overlay itself creates (an operator installed
  into its own ``Namespace``) do not count as siblings.
  An overlay whose namespaced resources all lack a namespace is a relocatable
  package (upstream install manifests, a demo app, a package deployed with
  ``kubectl apply -n`` or an Application's destination namespace) and passes.
  Only kinds whose scope is known count: a custom kind with no CRD anywhere
  may be cluster-scoped.
- ``missing-namespace``: with a namespace required (``--overlays-namespace``
  or ``--overlays-namespace-required``), a namespaced resource has no
  namespace after rendering. An Argo CD Application with no destination
  namespace always requires one: no deploy step will give its resources one,
  they land wherever the controller's kubectl defaults.
- ``wrong-namespace``: with a pattern (``--overlays-namespace``), a namespaced
  resource is in another namespace than the pattern gives for its overlay.
  ``{name}`` is the overlay name (``auth/dev``), ``{first}`` and ``{last}``
  its first and last path components (``auth``, ``dev``), ``{group}`` the
  group. An expansion that is no valid namespace (a DNS-1123 label) is said
  so in the expected text, since no resource can ever match it.

The check runs over a group: which kinds are cluster-scoped is learnt from
every CRD the group renders (one overlay may install the CRDs another
overlay's objects use), plus ``--overlays-crds``; findings stay per overlay.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from ..core.deployables import APPLICATION
from ..core.findings import Finding, finding
from ..core.options import Setting
from ..core.resources import Overlay, Resource
from ..parse.crds import GroupKind
from ..parse.scopes import crd_scopes, is_cluster_scoped, scope_known
from .base import CheckOptions, Rule, declare

#: Which custom kinds are cluster-scoped, as the group's CRDs declare.
Scopes = Mapping[GroupKind, bool]

CHECK_ID = "namespace"
PARTIAL_NAMESPACE = "partial-namespace"
MISSING_NAMESPACE = "missing-namespace"
WRONG_NAMESPACE = "wrong-namespace"

CHECK = declare(
    __name__,
    CHECK_ID,
    "group",
    summary=(
        "an overlay's namespaced resources share one namespace (the expected one when "
        "configured), or all leave it to deploy time"
    ),
    catches=(
        "an overlay placing some namespaced resources in a namespace and leaving others "
        "without one (an overlay that sets none at all is a relocatable package and passes), "
        "or resources in the wrong one"
    ),
    options=(
        Setting(
            "namespace",
            ("--overlays-namespace",),
            "overlays_namespace",
            "str",
            None,
            "expected namespace of every namespaced resource; {name} is the overlay name, "
            "{first}/{last} its first/last path component, {group} the group",
            "PATTERN",
        ),
        Setting(
            "namespace_required",
            ("--overlays-namespace-required",),
            "overlays_namespace_required",
            "bool",
            False,
            "every namespaced resource must have a namespace, even in an overlay that sets "
            "none at all (a package deployed with kubectl apply -n)",
            negative="--overlays-no-namespace-required",
        ),
    ),
    rules=(
        Rule(
            PARTIAL_NAMESPACE,
            hint=(
                "set namespace: in the overlay's kustomization.yaml so every resource gets it; "
                "or, if the namespace is chosen at deploy time (kubectl apply -n, an Argo CD "
                "destination), drop metadata.namespace from the resources that set one"
            ),
            doc=(
                "a namespaced resource with no namespace after rendering, in an overlay whose "
                "other namespaced resources have one: it lands in whatever namespace the Argo "
                "CD Application or kubectl defaults to, away from its siblings. The finding "
                "names the namespaces the others are in."
            ),
        ),
        Rule(
            MISSING_NAMESPACE,
            hint=(
                "set namespace: in the overlay's kustomization.yaml (or metadata.namespace in "
                "the manifest); without one the object lands in whatever namespace the Argo CD "
                "Application or kubectl context defaults to (overlays_namespace_required or "
                "overlays_namespace asked for one)"
            ),
            doc=(
                "only with `--overlays-namespace-required` or `--overlays-namespace PATTERN`: "
                "a namespaced resource with no namespace after rendering, whatever the "
                "overlay's other resources do"
            ),
        ),
        Rule(
            WRONG_NAMESPACE,
            hint=(
                "set namespace: in the overlay's kustomization.yaml to the expected namespace; "
                "a resource that must live elsewhere can carry pytest-k8s-overlays/skip: "
                "namespace"
            ),
            doc=(
                "only with `--overlays-namespace PATTERN` / ini `overlays_namespace`: a "
                "namespaced resource in another namespace. `{name}` is the overlay name "
                "(`auth/dev`), `{first}` and `{last}` its first and last path components "
                "(`auth`, `dev`), `{group}` the group; a plain value such as `api` is used as "
                "is. When the pattern expands to no valid namespace (a DNS-1123 label), the "
                "finding says so: `expected namespace auth/dev (pattern {name}; not a valid "
                "namespace: use {first} or {last})`."
            ),
        ),
    ),
)
PATH = "metadata.namespace"
#: What the API server accepts as a namespace name: a DNS-1123 label.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_MAX_LABEL = 63


def valid_namespace(name: str) -> bool:
    """Tell whether ``name`` can name a namespace (a DNS-1123 label)."""
    return len(name) <= _MAX_LABEL and _DNS_LABEL.fullmatch(name) is not None


#: What a namespace pattern may hold besides its text.
PLACEHOLDERS = ("{name}", "{first}", "{last}", "{group}")


def unknown_placeholders(pattern: str, known: tuple[str, ...] = PLACEHOLDERS) -> list[str]:
    """The ``{...}`` of ``pattern`` that are none of ``known`` (a typo: ``{nme}``), which
    would otherwise be expected literally, failing every resource."""
    return [p for p in re.findall(r"\{[^{}]*\}", pattern) if p not in known]


def expected_namespace(pattern: str, overlay: Overlay) -> str:
    """Expand ``{name}`` (``auth/dev`` kept whole), ``{first}``, ``{last}`` and ``{group}``."""
    parts = overlay.name.split("/")
    return (
        pattern.replace("{name}", overlay.name)
        .replace("{first}", parts[0])
        .replace("{last}", parts[-1])
        .replace("{group}", overlay.group)
    )


def _expected_text(pattern: str, overlay: Overlay) -> str:
    """Say which namespace is expected, from which pattern, and whether it can exist."""
    expected = expected_namespace(pattern, overlay)
    notes = [f"pattern {pattern}"] if expected != pattern else []
    if not valid_namespace(expected):
        nested = "{name}" in pattern and "/" in overlay.name
        advice = ": use {first} or {last}" if nested else ""
        notes.append(f"not a valid namespace{advice}")
    return f"namespace {expected}" + (f" ({'; '.join(notes)})" if notes else "")


def _namespace_of(raw: Mapping[str, object]) -> tuple[str | None, str]:
    """The namespace as a name (None when unset), and how to show it.

    A map or a list written as the namespace (a YAML typo) is no name: it is
    shown as such instead of being printed as Python.
    """
    metadata = raw.get("metadata")
    value = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    if value is None or value == "":
        return None, "no namespace"
    if isinstance(value, dict | list):
        word = "a map" if isinstance(value, dict) else "a list"
        return None, f"namespace written as {word}, not a name"
    return str(value), f"namespace {value}"


def _partial(
    overlay: Overlay, namespaced: Sequence[tuple[Resource, str | None, str]], scopes: Scopes
) -> list[Finding]:
    """Namespaced resources without a namespace beside others that have one.

    Resources in a namespace the overlay creates itself are left out of the
    comparison: an operator installed into its own ``Namespace`` beside an
    instance that goes wherever the Application deploys it is by design.
    """
    created = {r.name for r in overlay.resources if r.kind == "Namespace" and r.group == ""}
    placed = Counter(
        namespace
        for _, namespace, _ in namespaced
        if namespace is not None and namespace not in created
    )
    if not placed:
        return []  # a relocatable package: the namespace comes at deploy time
    where = ", ".join(sorted(placed))
    count = sum(placed.values())
    others = f"{count} other namespaced resource{'' if count == 1 else 's'} of the overlay"
    in_where = f"namespace{'s' if len(placed) > 1 else ''} {where}"
    return [
        finding(
            overlay,
            resource,
            CHECK_ID,
            PARTIAL_NAMESPACE,
            PATH,
            f"{described}, while {others} {'is' if count == 1 else 'are'} in {in_where}",
            f"the namespace of the overlay's other resources ({where})",
        )
        for resource, namespace, described in namespaced
        # A custom kind of unknown scope may be cluster-scoped: say nothing.
        if namespace is None and scope_known(resource, scopes)
    ]


def _no_destination(overlay: Overlay) -> bool:
    """Tell whether the unit is an Argo CD Application without a destination namespace."""
    spec = overlay.deployable
    return spec is not None and spec.kind == APPLICATION and not spec.namespace


def _overlay_findings(overlay: Overlay, options: CheckOptions, scopes: Scopes) -> list[Finding]:
    pattern = (options.namespace or "").strip()
    expected = expected_namespace(pattern, overlay) if pattern else None
    shown = _expected_text(pattern, overlay) if pattern else "a namespace"
    required = bool(pattern) or options.namespace_required or _no_destination(overlay)
    namespaced = [
        (resource, *_namespace_of(resource.raw))
        for resource in overlay.resources
        # A cluster-scoped object with a namespace set is harmless: the API
        # server ignores it (Kustomize sets one on CRD kinds it cannot place).
        if resource.kind and not is_cluster_scoped(resource, scopes)
    ]
    if not required:
        return _partial(overlay, namespaced, scopes)
    found: list[Finding] = []
    for resource, namespace, described in namespaced:
        if namespace is None:
            rule = MISSING_NAMESPACE
        elif expected is not None and namespace != expected:
            rule = WRONG_NAMESPACE
        else:
            continue
        found.append(finding(overlay, resource, CHECK_ID, rule, PATH, described, shown))
    return found


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Check that each overlay's namespaced resources have the namespace they should."""
    # A CRD one overlay installs decides the scope of its kind in every overlay
    # of the group (the Application applying the CRD comes first).
    scopes = crd_scopes(overlays, options.crds)
    found = [f for overlay in overlays for f in _overlay_findings(overlay, options, scopes)]
    return sorted(set(found))
