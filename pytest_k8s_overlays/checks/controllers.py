"""What controllers make at runtime and no render holds: pod labels, operators' pods and Services.

Two kinds of knowledge keep the reference rules from crying wolf:

- **Runtime pod labels.** The StatefulSet controller labels each pod with
  ``statefulset.kubernetes.io/pod-name: <name>-<ordinal>`` (a per-pod Service
  selects it), the Deployment controller adds ``pod-template-hash``, the Job
  controller ``job-name``, OpenShift's DeploymentConfig controller
  ``deploymentconfig: <name>``. A selector naming such a label matches the
  workload whose controller adds it, with a value that controller would give.
- **Operators.** A custom resource (a Prometheus ``k8s``, a RabbitmqCluster
  ``rabbit``, an ApicurioRegistry ``default``) makes its operator create pods
  and Services the render does not hold. A Service whose selector names such a
  resource (by name, or by kind: ``prometheus: k8s``, ``app: prometheus``) is
  presumed to front its pods, and a Service its operator names after it (the
  table and the token rule of :mod:`.operators`: ``rfr-cache-redis`` for a
  RedisFailover ``cache-redis``, ``prometheus-operated``) is presumed to be
  the operator's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..core.apigroups import BUILTIN_GROUPS
from ..core.resources import Overlay, Resource
from ..core.selectors import EQUALS, Requirement, Selector
from .operators import SERVICE, kind_named, maker

#: Tells whether a controller gives a pod of the named workload this label value.
ValueRule = Callable[[str, str], bool]


def _any(name: str, value: str) -> bool:
    return True


def _digits(name: str, value: str) -> bool:
    return value.isdigit()


def _equal(name: str, value: str) -> bool:
    return value == name


def _ordinal(name: str, value: str) -> bool:
    """``<name>-<n>``: a StatefulSet pod's name, or a DeploymentConfig's replication controller."""
    head, dash, tail = value.rpartition("-")
    return bool(dash) and head == name and tail.isdigit()


def _job_of(name: str, value: str) -> bool:
    """A CronJob's Jobs are named ``<cronjob>-<scheduled time>``."""
    return value.startswith(f"{name}-")


_STATEFULSET = ("apps", "StatefulSet")
_DAEMONSET = ("apps", "DaemonSet")
_DEPLOYMENT = ("apps", "Deployment")
_JOB = ("batch", "Job")
_CRONJOB = ("batch", "CronJob")
_ROLLOUT = ("argoproj.io", "Rollout")
_DEPLOYMENT_CONFIG = ("apps.openshift.io", "DeploymentConfig")

_JOB_NAME: Mapping[tuple[str, str], ValueRule] = {_JOB: _equal, _CRONJOB: _job_of}
_JOB_UID: Mapping[tuple[str, str], ValueRule] = {_JOB: _any, _CRONJOB: _any}

#: Labels controllers add to the pods they create: by label key, the workloads
#: (API group, kind) whose controller adds it, and the values it gives.
RUNTIME_LABELS: Mapping[str, Mapping[tuple[str, str], ValueRule]] = {
    "statefulset.kubernetes.io/pod-name": {_STATEFULSET: _ordinal},
    "apps.kubernetes.io/pod-index": {_STATEFULSET: _digits},
    "controller-revision-hash": {_STATEFULSET: _any, _DAEMONSET: _any},
    "pod-template-generation": {_DAEMONSET: _digits},
    "pod-template-hash": {_DEPLOYMENT: _any},
    "rollouts-pod-template-hash": {_ROLLOUT: _any},
    "job-name": _JOB_NAME,
    "batch.kubernetes.io/job-name": _JOB_NAME,
    "controller-uid": _JOB_UID,
    "batch.kubernetes.io/controller-uid": _JOB_UID,
    "batch.kubernetes.io/job-completion-index": {_JOB: _digits},
    "deploymentconfig": {_DEPLOYMENT_CONFIG: _equal},
    "openshift.io/deployment-config.name": {_DEPLOYMENT_CONFIG: _equal},
    "deployment": {_DEPLOYMENT_CONFIG: _ordinal},
}


def has_runtime_label(selector: Selector) -> bool:
    """Tell whether a selector names a label only a controller sets."""
    return any(r.key in RUNTIME_LABELS for r in selector.requirements)


def _runtime_match(requirement: Requirement, workload: Resource) -> bool:
    rule = RUNTIME_LABELS[requirement.key].get((workload.group, workload.kind))
    if rule is None:
        # This workload's controller adds no such label: its pods lack it.
        return requirement.matches({})
    if requirement.operator in (EQUALS, "In"):
        return any(rule(workload.name, value) for value in requirement.values)
    # Exists, or NotIn a list (a hash or a pod name is rarely all of them).
    return requirement.operator != "DoesNotExist"


def matches_at_runtime(selector: Selector, labels: Mapping[str, str], workload: Resource) -> bool:
    """Tell whether the pods of ``workload`` (template ``labels``) match ``selector`` once
    their controller has added its labels."""
    for requirement in selector.requirements:
        if requirement.key in labels or requirement.key not in RUNTIME_LABELS:
            if not requirement.matches(labels):
                return False
        elif not _runtime_match(requirement, workload):
            return False
    return True


#: API groups of custom resources that configure something and make no pods or
#: Services: a ServiceMonitor or a Certificate named ``api`` says nothing of
#: who runs the pods a Service selects.
PODLESS_GROUPS = frozenset(
    {
        "autoscaling.k8s.io",
        "bitnami.com",
        "cert-manager.io",
        "cilium.io",
        "constraints.gatekeeper.sh",
        "crd.projectcalico.org",
        "external-secrets.io",
        "keda.sh",
        "kyverno.io",
        "mutations.gatekeeper.sh",
        "networking.istio.io",
        "policy.networking.k8s.io",
        "security.istio.io",
        "snapshot.storage.k8s.io",
        "telemetry.istio.io",
        "templates.gatekeeper.sh",
        "traefik.containo.us",
        "traefik.io",
    }
)

#: Kinds of groups that also hold operators' workloads, which make no pods.
PODLESS_KINDS = frozenset(
    {
        ("argoproj.io", "AnalysisTemplate"),
        ("argoproj.io", "AppProject"),
        ("gateway.networking.k8s.io", "BackendTLSPolicy"),
        ("gateway.networking.k8s.io", "GRPCRoute"),
        ("gateway.networking.k8s.io", "HTTPRoute"),
        ("gateway.networking.k8s.io", "ReferenceGrant"),
        ("gateway.networking.k8s.io", "TCPRoute"),
        ("gateway.networking.k8s.io", "TLSRoute"),
        ("gateway.networking.k8s.io", "UDPRoute"),
        ("monitoring.coreos.com", "AlertmanagerConfig"),
        ("monitoring.coreos.com", "PodMonitor"),
        ("monitoring.coreos.com", "Probe"),
        ("monitoring.coreos.com", "PrometheusRule"),
        ("monitoring.coreos.com", "ScrapeConfig"),
        ("monitoring.coreos.com", "ServiceMonitor"),
    }
)


def may_make_pods(resource: Resource) -> bool:
    """Tell whether ``resource`` is a custom resource an operator may run pods for."""
    group = resource.group
    if group in BUILTIN_GROUPS or group in PODLESS_GROUPS or not resource.name:
        return False
    if resource.pod_template is not None:
        return False  # a custom workload: its pods are in the render already
    return (group, resource.kind) not in PODLESS_KINDS


def _named_after(value: str, owner: Resource) -> bool:
    return value == owner.name or value.startswith(f"{owner.name}-")


@dataclass(frozen=True)
class Operated:
    """The custom resources of a group an operator may make pods and Services for."""

    by_namespace: Mapping[str | None, tuple[Resource, ...]]

    @classmethod
    def of(cls, overlays: Iterable[Overlay]) -> Operated:
        found: dict[str | None, list[Resource]] = {}
        for overlay in overlays:
            for resource in overlay.resources:
                if may_make_pods(resource):
                    found.setdefault(resource.namespace, []).append(resource)
        return cls({namespace: tuple(items) for namespace, items in found.items()})

    def pods_owner(self, namespace: str | None, selector: Selector) -> Resource | None:
        """The custom resource whose operator plausibly makes the pods ``selector`` picks:
        one in ``namespace`` that a selector value names (``prometheus: k8s`` and a
        Prometheus ``k8s``; ``app: prometheus`` and any Prometheus; ``part-of:
        redis-failover`` and any RedisFailover)."""
        values = [
            v for r in selector.requirements if r.operator in (EQUALS, "In") for v in r.values
        ]
        for owner in self.by_namespace.get(namespace, ()):
            if any(_named_after(v, owner) or kind_named(v, owner) for v in values):
                return owner
        return None

    def service_owner(self, namespace: str | None, name: str) -> Resource | None:
        """The custom resource whose operator plausibly creates the Service ``name`` in
        ``namespace``: by its operator's naming convention, or one whose name ``name``
        holds (``default`` for ``default-service``, ``cache-redis`` for
        ``rfr-cache-redis``)."""
        return maker(self.by_namespace.get(namespace, ()), SERVICE, name)
