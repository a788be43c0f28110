# mypy: disable-error-code="import-untyped"
"""The built-in Kubernetes API: bundled schemas compiled once, removed APIs, known groups.

kubernetes-validate bundles one ``_definitions.json`` per version (and a
``-strict`` twin that closes every object with ``additionalProperties:
false``). Reading it per object is what makes ``kubernetes_validate.validate``
slow, so it is read once per (version, strictness); each kind's schema is then
*inlined* (every ``$ref`` replaced by the shared definition object, cycles
included) and compiled into one jsonschema validator, cached per
(version, strictness, apiVersion, kind).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from ...core.apigroups import KUBERNETES_GROUPS
from .versions import schema_directory

#: The Kubernetes resource quantity grammar (``resource.ParseQuantity``): a signed
#: decimal, then a binary SI suffix (Ki...Ei), a decimal SI suffix (n u m k M G T P E)
#: or a decimal exponent (``e``/``E`` and a signed integer).
QUANTITY = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?\Z"

#: Keyword naming the definition an inlined object schema came from (``Container``).
DEFINITION = "x-definition"
#: Keyword marking a resource quantity, whose ``pattern`` is QUANTITY.
QUANTITY_KEYWORD = "x-quantity"

_QUANTITY_DEF = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING_DEF = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"

#: The keywords kept when inlining; descriptions and x-kubernetes-* hints only cost time.
_KEEP = frozenset(
    {"type", "required", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength"}
)

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_SELECTOR_OPERATORS = ("DoesNotExist", "Exists", "In", "NotIn")

#: Fields the API server restricts to a set of values the OpenAPI schemas do not
#: list: ``(definition, property)`` -> values; ``property[]`` means its items.
ENUMS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("io.k8s.api.core.v1.Container", "imagePullPolicy"): ("Always", "IfNotPresent", "Never"),
    ("io.k8s.api.core.v1.EphemeralContainer", "imagePullPolicy"): (
        "Always",
        "IfNotPresent",
        "Never",
    ),
    ("io.k8s.api.core.v1.Container", "terminationMessagePolicy"): (
        "FallbackToLogsOnError",
        "File",
    ),
    ("io.k8s.api.core.v1.ContainerPort", "protocol"): _PROTOCOLS,
    ("io.k8s.api.core.v1.ServicePort", "protocol"): _PROTOCOLS,
    ("io.k8s.api.networking.v1.NetworkPolicyPort", "protocol"): _PROTOCOLS,
    ("io.k8s.api.core.v1.ServiceSpec", "type"): (
        "ClusterIP",
        "ExternalName",
        "LoadBalancer",
        "NodePort",
    ),
    ("io.k8s.api.core.v1.ServiceSpec", "externalTrafficPolicy"): ("Cluster", "Local"),
    ("io.k8s.api.core.v1.ServiceSpec", "internalTrafficPolicy"): ("Cluster", "Local"),
    ("io.k8s.api.core.v1.ServiceSpec", "sessionAffinity"): ("ClientIP", "None"),
    ("io.k8s.api.core.v1.ServiceSpec", "ipFamilyPolicy"): (
        "PreferDualStack",
        "RequireDualStack",
        "SingleStack",
    ),
    ("io.k8s.api.core.v1.PodSpec", "restartPolicy"): ("Always", "Never", "OnFailure"),
    ("io.k8s.api.core.v1.PodSpec", "dnsPolicy"): (
        "ClusterFirst",
        "ClusterFirstWithHostNet",
        "Default",
        "None",
    ),
    ("io.k8s.api.core.v1.HTTPGetAction", "scheme"): ("HTTP", "HTTPS"),
    ("io.k8s.api.core.v1.Toleration", "operator"): ("", "Equal", "Exists"),
    ("io.k8s.api.core.v1.Toleration", "effect"): (
        "",
        "NoExecute",
        "NoSchedule",
        "PreferNoSchedule",
    ),
    ("io.k8s.api.core.v1.TopologySpreadConstraint", "whenUnsatisfiable"): (
        "DoNotSchedule",
        "ScheduleAnyway",
    ),
    ("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "accessModes[]"): (
        "ReadOnlyMany",
        "ReadWriteMany",
        "ReadWriteOnce",
        "ReadWriteOncePod",
    ),
    ("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "volumeMode"): ("Block", "Filesystem"),
    ("io.k8s.api.core.v1.NodeSelectorRequirement", "operator"): (
        *_SELECTOR_OPERATORS,
        "Gt",
        "Lt",
    ),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "operator"): (
        _SELECTOR_OPERATORS
    ),
    ("io.k8s.api.apps.v1.DeploymentStrategy", "type"): ("Recreate", "RollingUpdate"),
    ("io.k8s.api.apps.v1.StatefulSetSpec", "podManagementPolicy"): ("OrderedReady", "Parallel"),
    ("io.k8s.api.apps.v1.StatefulSetUpdateStrategy", "type"): ("OnDelete", "RollingUpdate"),
    ("io.k8s.api.apps.v1.DaemonSetUpdateStrategy", "type"): ("OnDelete", "RollingUpdate"),
    ("io.k8s.api.batch.v1.CronJobSpec", "concurrencyPolicy"): ("Allow", "Forbid", "Replace"),
    ("io.k8s.api.batch.v1.JobSpec", "completionMode"): ("Indexed", "NonIndexed"),
    ("io.k8s.api.networking.v1.HTTPIngressPath", "pathType"): (
        "Exact",
        "ImplementationSpecific",
        "Prefix",
    ),
    ("io.k8s.api.networking.v1.NetworkPolicySpec", "policyTypes[]"): ("Egress", "Ingress"),
    ("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "unhealthyPodEvictionPolicy"): (
        "AlwaysAllow",
        "IfHealthyBudget",
    ),
    ("io.k8s.api.autoscaling.v2.MetricTarget", "type"): ("AverageValue", "Utilization", "Value"),
}


@dataclass(frozen=True)
class Removal:
    """A built-in API version the API server no longer serves."""

    removed_in: str
    replacement: str


_PSA = "Pod Security Admission namespace labels (no replacement API)"


def _removals() -> dict[tuple[str, str], Removal]:
    table: dict[tuple[str, str], Removal] = {}

    def add(api_version: str, kinds: str, removed_in: str, replacement: str) -> None:
        for kind in kinds.split():
            table[(api_version, kind)] = Removal(removed_in, replacement)

    apps = "networking.k8s.io/v1"
    add("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", "1.16", "apps/v1")
    add("extensions/v1beta1", "NetworkPolicy", "1.16", apps)
    add("extensions/v1beta1", "Ingress", "1.22", apps)
    add("extensions/v1beta1", "PodSecurityPolicy", "1.16", _PSA)
    add("apps/v1beta1", "Deployment StatefulSet ControllerRevision", "1.16", "apps/v1")
    add("apps/v1beta2", "Deployment StatefulSet DaemonSet ReplicaSet", "1.16", "apps/v1")
    add("apps/v1beta2", "ControllerRevision", "1.16", "apps/v1")
    add("networking.k8s.io/v1beta1", "Ingress IngressClass", "1.22", apps)
    add("batch/v2alpha1", "CronJob", "1.21", "batch/v1")
    add("batch/v1beta1", "CronJob", "1.25", "batch/v1")
    add("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1")
    add("policy/v1beta1", "PodSecurityPolicy", "1.25", _PSA)
    add("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2")
    add("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2")
    add("discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", "discovery.k8s.io/v1")
    add("events.k8s.io/v1beta1", "Event", "1.25", "events.k8s.io/v1")
    add("node.k8s.io/v1beta1", "RuntimeClass", "1.25", "node.k8s.io/v1")
    rbac = "Role RoleBinding ClusterRole ClusterRoleBinding"
    add("rbac.authorization.k8s.io/v1alpha1", rbac, "1.22", "rbac.authorization.k8s.io/v1")
    add("rbac.authorization.k8s.io/v1beta1", rbac, "1.22", "rbac.authorization.k8s.io/v1")
    admission = "MutatingWebhookConfiguration ValidatingWebhookConfiguration"
    add(
        "admissionregistration.k8s.io/v1beta1", admission, "1.22", "admissionregistration.k8s.io/v1"
    )
    add(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        "apiextensions.k8s.io/v1",
    )
    add("apiregistration.k8s.io/v1beta1", "APIService", "1.22", "apiregistration.k8s.io/v1")
    add("authentication.k8s.io/v1beta1", "TokenReview", "1.22", "authentication.k8s.io/v1")
    reviews = (
        "SubjectAccessReview LocalSubjectAccessReview SelfSubjectAccessReview "
        "SelfSubjectRulesReview"
    )
    add("authorization.k8s.io/v1beta1", reviews, "1.22", "authorization.k8s.io/v1")
    add(
        "certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.22", "certificates.k8s.io/v1"
    )
    add("coordination.k8s.io/v1beta1", "Lease", "1.22", "coordination.k8s.io/v1")
    add("scheduling.k8s.io/v1alpha1", "PriorityClass", "1.22", "scheduling.k8s.io/v1")
    add("scheduling.k8s.io/v1beta1", "PriorityClass", "1.22", "scheduling.k8s.io/v1")
    storage = "CSIDriver CSINode StorageClass VolumeAttachment"
    add("storage.k8s.io/v1beta1", storage, "1.22", "storage.k8s.io/v1")
    add("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1")
    add("settings.k8s.io/v1alpha1", "PodPreset", "1.20", "a mutating webhook (no replacement API)")
    flow = "FlowSchema PriorityLevelConfiguration"
    add("flowcontrol.apiserver.k8s.io/v1alpha1", flow, "1.21", "flowcontrol.apiserver.k8s.io/v1")
    add("flowcontrol.apiserver.k8s.io/v1beta1", flow, "1.26", "flowcontrol.apiserver.k8s.io/v1")
    add("flowcontrol.apiserver.k8s.io/v1beta2", flow, "1.29", "flowcontrol.apiserver.k8s.io/v1")
    add("flowcontrol.apiserver.k8s.io/v1beta3", flow, "1.32", "flowcontrol.apiserver.k8s.io/v1")
    return table


#: Well-known removed built-in APIs: (apiVersion, kind) -> when and what instead.
REMOVED: Mapping[tuple[str, str], Removal] = _removals()

#: API groups of Kubernetes itself that a cluster may not serve in every version;
#: every group the bundled schemas name is built in as well.
BUILTIN_GROUPS = KUBERNETES_GROUPS


def minor_key(version: str) -> tuple[int, int]:
    """Sort key of an ``X.Y`` version."""
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def _api_version(gvk: Mapping[str, Any]) -> str:
    group, version = gvk.get("group") or "", gvk.get("version") or ""
    return f"{group}/{version}" if group else str(version)


@dataclass
class Definitions:
    """The bundled definitions of one Kubernetes version and strictness."""

    raw: dict[str, Any]
    #: (apiVersion, kind) -> definition name, for every kind the API serves.
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)
    _inlined: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A definition is published half-built while its references are inlined (cycles
    # need it); the lock keeps another thread from validating against it meanwhile.
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        for name, definition in self.raw.items():
            gvks = definition.get("x-kubernetes-group-version-kind") or []
            # DeleteOptions and WatchEvent claim every group: they are not objects to apply.
            if len(gvks) == 1:
                self.kinds[(_api_version(gvks[0]), str(gvks[0].get("kind")))] = name

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(api.rpartition("/")[0] for api, _ in self.kinds)

    def schema(self, name: str) -> dict[str, Any]:
        """The inlined schema of a definition: shared, possibly cyclic, never to be mutated."""
        with self._lock:
            return self._inlined.get(name) or self._inline(name)

    def _inline(self, name: str) -> dict[str, Any]:
        short = name.rpartition(".")[2]
        if name == _QUANTITY_DEF:
            inlined: dict[str, Any] = {
                "type": ["string", "number"],
                "pattern": QUANTITY,
                QUANTITY_KEYWORD: True,
            }
        elif name == _INT_OR_STRING_DEF:
            # One type list instead of a oneOf: one clear error ("integer or string").
            inlined = {"type": ["string", "integer"]}
        else:
            inlined = {}
        inlined[DEFINITION] = short
        # Registered before converting: recursive definitions (JSONSchemaProps) refer to it.
        self._inlined[name] = inlined
        if len(inlined) == 1:
            inlined.update(self._convert(self.raw[name]))
            self._add_enums(name, inlined)
        return inlined

    def _convert(self, node: Mapping[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self.schema(ref.rpartition("/")[2])
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, Mapping):
                out[key] = {prop: self._convert(sub) for prop, sub in value.items()}
            elif key in ("additionalProperties", "items", "not"):
                out[key] = self._convert(value) if isinstance(value, Mapping) else value
            elif key in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
                out[key] = [self._convert(sub) for sub in value]
            elif key in _KEEP:
                out[key] = value
        return out

    def _add_enums(self, name: str, inlined: dict[str, Any]) -> None:
        properties = inlined.get("properties")
        if not isinstance(properties, dict):
            return
        for (definition, prop), values in ENUMS.items():
            if definition != name:
                continue
            items = prop.endswith("[]")
            prop = prop.removesuffix("[]")
            if prop not in properties:
                continue
            # Copies: the property schema may be shared with other definitions.
            target = dict(properties[prop])
            if items and isinstance(target.get("items"), Mapping):
                target["items"] = {**target["items"], "enum": [*values, None]}
            elif not items:
                target["enum"] = [*values, None]
            properties[prop] = target


@lru_cache(maxsize=4)
def definitions(version: str, strict: bool) -> Definitions:
    """Read the bundled definitions of a resolved ``X.Y`` version once."""
    path = schema_directory(version, strict) / "_definitions.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Definitions(dict(raw.get("$defs") or raw.get("definitions") or {}))


@lru_cache(maxsize=1024)
def builtin_validator(version: str, strict: bool, api_version: str, kind: str) -> Validator | None:
    """The compiled validator of a built-in kind, or None when the version does not serve it."""
    defs = definitions(version, strict)
    name = defs.kinds.get((api_version, kind))
    if name is None:
        return None
    return jsonschema.Draft202012Validator(defs.schema(name))


def object_meta_schema(version: str, strict: bool) -> dict[str, Any]:
    """The inlined ObjectMeta schema, for the ``metadata`` of custom resources."""
    return definitions(version, strict).schema("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")


def is_builtin_group(group: str, version: str, strict: bool) -> bool:
    """Tell whether an API group belongs to Kubernetes itself (CRD groups hold a dot)."""
    return (
        "." not in group
        or group in BUILTIN_GROUPS
        or group in definitions(version, strict).groups
        or any(api.rpartition("/")[0] == group for api, _ in REMOVED)
    )


def served_versions(kind: str, group: str, version: str, strict: bool) -> list[str]:
    """The apiVersions a Kubernetes version serves ``kind`` of ``group`` in, sorted."""
    return sorted(
        api
        for api, served_kind in definitions(version, strict).kinds
        if served_kind == kind and api.rpartition("/")[0] == group
    )


def kind_api_versions(kind: str, version: str, strict: bool) -> list[str]:
    """Every apiVersion, of any built-in group, a Kubernetes version serves ``kind`` in, sorted."""
    return sorted(api for api, served in definitions(version, strict).kinds if served == kind)


def kinds_of_group(group: str, version: str, strict: bool) -> list[str]:
    """Every kind a Kubernetes version serves in ``group``, sorted."""
    return sorted(
        {
            kind
            for api, kind in definitions(version, strict).kinds
            if api.rpartition("/")[0] == group and not kind.endswith("List")
        }
    )
