"""The isolation check: an overlay's selectors reach only its own long-running pods.

Rules:

- ``cross-overlay-selector``: a Service or PodDisruptionBudget of overlay A
  selects a pod template of overlay B in the same namespace (resources
  without a namespace share one). Both sides get a finding: A's selecting
  resource and B's workload, each naming the other overlay. Not reported: an
  explicitly empty LabelSelector (a PDB ``selector: {}``) covers its
  namespace on purpose. NetworkPolicies are not judged at all: choosing
  other teams' pods is what a central policy overlay is for, and a policy
  neither routes traffic nor blocks evictions. A PDB spanning several
  services is a real problem and stays reported. A workload B renders with
  the very same identity as one of A's resources is one object in the
  cluster, reported by ``unique-names``, so it is left out here. Skipping
  ``isolation`` (or ``all``) on the selecting resource with the
  ``pytest-k8s-overlays/skip`` annotation also drops the mirrored finding on
  the other overlay's workload: the selecting overlay owns the decision.
- ``service-selects-job``: within one overlay, a Service selects the pods of
  a Job or CronJob as well as long-running pods (a bootstrap Job reusing the
  API's labels ends up behind the API's Service). A Service selecting only
  Job pods (an indexed Job's headless Service) is fine, and so is a Service
  selecting two Deployments of one overlay (a canary).
- ``ownership-label``: with ``service_label`` set (ini
  ``overlays_service_label``), every resource's ``metadata.labels`` and every
  pod template's labels carry ``<service_label>: <owner>``, where the owner is
  the first path component of the overlay name (``auth`` for ``auth/dev``),
  because a label value cannot contain ``/``. Kustomize's ``includeTemplates``
  reaches only the built-in workloads: an Argo Rollout's (or any custom
  workload's) template needs the label set by a patch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..core.findings import Finding, finding, skipped_checks
from ..core.options import Setting
from ..core.resources import Overlay, Resource, ResourceKey
from ..core.selectors import SelectorSite, selector_of
from .base import CheckOptions, Rule, declare
from .podindex import Pod, PodIndex

CHECK_ID = "isolation"
CROSS_OVERLAY_SELECTOR = "cross-overlay-selector"
SERVICE_SELECTS_JOB = "service-selects-job"
OWNERSHIP_LABEL = "ownership-label"

CHECK = declare(
    __name__,
    CHECK_ID,
    "group",
    summary="selectors reach only their own overlay's long-running pods",
    catches="a selector reaching another overlay's pods; a Service in front of a Job",
    options=(
        Setting(
            "service_label",
            ("--overlays-service-label",),
            "overlays_service_label",
            "str",
            None,
            "a label every resource must carry, valued with the overlay's name",
            "LABEL",
        ),
    ),
    rules=(
        Rule(
            CROSS_OVERLAY_SELECTOR,
            hint=(
                "add a per-service label to selectors, e.g. `labels: [{pairs: {domain: "
                "<name>}, includeSelectors: true}]` in the overlay's kustomization.yaml, or "
                "give each service its own namespace"
            ),
            doc=(
                "a Service (`spec.selector`) or PodDisruptionBudget (`spec.selector`) of "
                "overlay A matches a pod template of overlay B in the same namespace "
                "(resources with no namespace count as one shared namespace). Typical cause: a "
                "base label `app: api` and only a `namePrefix` to tell services apart. Both "
                "overlays fail, each naming the other."
            ),
        ),
        Rule(
            SERVICE_SELECTS_JOB,
            hint=(
                "give the Job's pod template labels of its own (e.g. `app: api-migrate`, not "
                "the API's `app: api`) so the Service routes only to the long-running pods"
            ),
            doc=(
                "within one overlay, a Service selects the pods of a Job or CronJob as well as "
                "long-running pods (a bootstrap Job that reused the API's labels ends up "
                "behind its Service)"
            ),
        ),
        Rule(
            OWNERSHIP_LABEL,
            hint=(
                "label everything the overlay renders: `labels: [{pairs: {<label>: <overlay>}, "
                "includeTemplates: true}]` in the overlay's kustomization.yaml; "
                "includeTemplates skips Argo Rollouts and other custom workloads, so set their "
                "template's label with a patch"
            ),
            doc=(
                "only with ini `overlays_service_label` (e.g. `domain`): a resource's labels, "
                "or a pod template's labels, lack `<label>: <overlay>`. The value is the first "
                "path component of the overlay name (`auth` for `auth/dev`): a label value "
                "cannot contain `/`."
            ),
        ),
    ),
)

#: Kinds whose pods run to completion: never meant to be behind a Service.
JOB_KINDS = frozenset({"Job", "CronJob"})

#: Kinds whose pod selector must reach only their own overlay's pods: a Service
#: routes to them and a PDB guards their evictions. A NetworkPolicy is left
#: out: a central policy overlay selects every team's pods by design.
SELECTING_KINDS = frozenset({"Service", "PodDisruptionBudget"})


def owner(overlay_name: str) -> str:
    """The label value that marks an overlay's resources: its name's first path component."""
    return overlay_name.split("/", 1)[0]


def selecting(overlay: Overlay) -> Iterator[tuple[Resource, SelectorSite]]:
    """Yield the overlay's Services and PDBs with their selectors."""
    for resource in overlay.resources:
        if resource.kind in SELECTING_KINDS:
            site = selector_of(resource.kind, resource.raw)
            if site is not None:
                yield resource, site


def _cross_overlay(
    overlay: Overlay, index: PodIndex, keys: dict[str, set[ResourceKey]]
) -> Iterator[Finding]:
    own_keys = keys[overlay.name]
    for resource, site in selecting(overlay):
        # An empty LabelSelector (a PDB's `selector: {}`) covers its namespace on purpose.
        if site.selector.selects_everything:
            continue
        skipped = skipped_checks(resource.annotations)
        # The selecting overlay's own skip annotation settles it for both sides:
        # its finding is suppressed (and listed), the victim's mirror is not made.
        mirror = CHECK_ID not in skipped and "all" not in skipped
        for pod in index.selected(resource.namespace, site.selector):
            other = pod.overlay.name
            if other == overlay.name or pod.template.resource.key in own_keys:
                continue
            yield finding(
                overlay,
                resource,
                CHECK_ID,
                CROSS_OVERLAY_SELECTOR,
                site.path,
                f"{site.selector} also selects the pods of overlay {other} ({pod.ref})",
                f"a selector matching only {overlay.name}'s own pods",
                others=[other],
            )
            if not mirror:
                continue
            yield finding(
                pod.overlay,
                pod.template.resource,
                CHECK_ID,
                CROSS_OVERLAY_SELECTOR,
                pod.labels_path,
                f"pods selected by {resource.ref} of overlay {overlay.name} "
                f"({site.path} {site.selector})",
                "labels no selector of another overlay matches",
                others=[overlay.name],
            )


def _service_selects_job(overlay: Overlay, index: PodIndex) -> Iterator[Finding]:
    for resource, site in selecting(overlay):
        if resource.kind != "Service":
            continue
        own: list[Pod] = [
            p
            for p in index.selected(resource.namespace, site.selector)
            if p.overlay.name == overlay.name
        ]
        serving = [p.ref for p in own if p.kind not in JOB_KINDS]
        if not serving:
            continue
        for job in (p for p in own if p.kind in JOB_KINDS):
            yield finding(
                overlay,
                resource,
                CHECK_ID,
                SERVICE_SELECTS_JOB,
                site.path,
                f"{site.selector} selects the pods of {job.ref} as well as {', '.join(serving)}",
                "a selector matching only long-running pods",
            )


def _ownership(overlay: Overlay, label: str) -> Iterator[Finding]:
    value = owner(overlay.name)
    why = "the overlay name" if value == overlay.name else f"from overlay name {overlay.name}"
    expected = f"{label}={value} ({why})"

    def problem(labels: dict[str, str]) -> str | None:
        if label not in labels:
            return f"no label {label}"
        return None if labels[label] == value else f"{label}={labels[label]}"

    for resource in overlay.resources:
        found = problem(resource.labels)
        if found is not None:
            yield finding(
                overlay, resource, CHECK_ID, OWNERSHIP_LABEL, "metadata.labels", found, expected
            )
        template = resource.pod_template
        # A Pod is its own template: its metadata.labels were just checked.
        if template is None or not template.path:
            continue
        found = problem(template.labels)
        if found is not None:
            yield finding(
                overlay,
                resource,
                CHECK_ID,
                OWNERSHIP_LABEL,
                f"{template.path}.metadata.labels",
                found,
                expected,
            )


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Find selectors that reach another overlay's pods, or a Job's, and missing owner labels."""
    index = PodIndex(overlays)
    keys: dict[str, set[ResourceKey]] = {}
    for overlay in overlays:
        keys.setdefault(overlay.name, set()).update(r.key for r in overlay.resources)
    found: set[Finding] = set()
    for overlay in overlays:
        found.update(_cross_overlay(overlay, index, keys))
        found.update(_service_selects_job(overlay, index))
        if options.service_label:
            found.update(_ownership(overlay, options.service_label))
    return sorted(found)
