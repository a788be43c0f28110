"""Which kinds are cluster-scoped: the built-in table plus what CRDs declare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..core.apigroups import BUILTIN_GROUPS
from ..core.resources import Overlay, Resource, ResourceKey
from .crds import GroupKind, declared_scopes, file_scopes

#: Built-in kinds the API server keeps outside any namespace, by (API group, kind).
CLUSTER_SCOPED: frozenset[GroupKind] = frozenset(
    {
        ("", "ComponentStatus"),
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("extensions", "PodSecurityPolicy"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "DeviceTaintRule"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)

#: Cluster-scoped kinds of widely installed CRDs, so a repository that applies
#: them without shipping the CRD gets no false alarm; a CRD in the render or in
#: ``--overlays-crds`` overrides this table.
WELL_KNOWN_CLUSTER_SCOPED_CRDS: frozenset[GroupKind] = frozenset(
    {
        ("cert-manager.io", "ClusterIssuer"),
        ("cilium.io", "CiliumClusterwideNetworkPolicy"),
        ("crd.projectcalico.org", "GlobalNetworkPolicy"),
        ("external-secrets.io", "ClusterExternalSecret"),
        ("external-secrets.io", "ClusterSecretStore"),
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("karpenter.k8s.aws", "EC2NodeClass"),
        ("karpenter.sh", "NodeClaim"),
        ("karpenter.sh", "NodePool"),
        ("kataconfiguration.openshift.io", "KataConfig"),
        ("kueue.openshift.io", "Kueue"),
        ("kyverno.io", "ClusterCleanupPolicy"),
        ("kyverno.io", "ClusterPolicy"),
        ("multicluster.openshift.io", "MultiClusterEngine"),
        ("nmstate.io", "NMState"),
        ("nmstate.io", "NodeNetworkConfigurationPolicy"),
        ("nvidia.com", "ClusterPolicy"),
        ("observability.open-cluster-management.io", "MultiClusterObservability"),
        ("operator.openshift.io", "Authentication"),
        ("operator.openshift.io", "CloudCredential"),
        ("operator.openshift.io", "ClusterCSIDriver"),
        ("operator.openshift.io", "Console"),
        ("operator.openshift.io", "CSISnapshotController"),
        ("operator.openshift.io", "DNS"),
        ("operator.openshift.io", "Etcd"),
        ("operator.openshift.io", "KubeAPIServer"),
        ("operator.openshift.io", "KubeControllerManager"),
        ("operator.openshift.io", "KubeScheduler"),
        ("operator.openshift.io", "Network"),
        ("operator.openshift.io", "OpenShiftAPIServer"),
        ("operator.openshift.io", "OpenShiftControllerManager"),
        ("operator.openshift.io", "ServiceCA"),
        ("operator.openshift.io", "SpiffeCSIDriver"),
        ("operator.openshift.io", "SpireAgent"),
        ("operator.openshift.io", "SpireOIDCDiscoveryProvider"),
        ("operator.openshift.io", "SpireServer"),
        ("operator.openshift.io", "Storage"),
        ("operator.openshift.io", "ZeroTrustWorkloadIdentityManager"),
        ("operators.coreos.com", "OLMConfig"),
        ("operators.coreos.com", "Operator"),
        ("quota.openshift.io", "ClusterResourceQuota"),
        ("security.openshift.io", "RangeAllocation"),
        ("security.openshift.io", "SecurityContextConstraints"),
        ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
        ("snapshot.storage.k8s.io", "VolumeSnapshotContent"),
        ("templates.gatekeeper.sh", "ConstraintTemplate"),
    }
)

#: API groups whose every kind is cluster-scoped. Gatekeeper generates the CRD
#: of each constraint kind at runtime from its ConstraintTemplate, so no render
#: or CRD file ever declares it; its mutators are all cluster-scoped too.
#: OpenShift's cluster configuration (``config.openshift.io`` OAuth, Ingress,
#: Proxy...), users and groups, projects, console extensions and machine
#: configuration come with the cluster: no repository ships their CRDs.
WELL_KNOWN_CLUSTER_SCOPED_GROUPS: frozenset[str] = frozenset(
    {
        "config.openshift.io",
        "console.openshift.io",
        "constraints.gatekeeper.sh",
        "imageregistry.operator.openshift.io",
        "machineconfiguration.openshift.io",
        "mutations.gatekeeper.sh",
        "oauth.openshift.io",
        "project.openshift.io",
        "user.openshift.io",
    }
)


def crd_scopes(
    overlays: Iterable[Overlay], crd_files: Iterable[Path] = ()
) -> dict[GroupKind, bool]:
    """Map every kind a CRD declares (in the renders or the given files) to cluster-scoped or not.

    CRDs in the renders win over the files: they are what gets applied.
    """
    rendered = (resource.raw for overlay in overlays for resource in overlay.resources)
    return declared_scopes(rendered, file_scopes(crd_files))


def is_cluster_scoped(resource: Resource, scopes: Mapping[GroupKind, bool] | None = None) -> bool:
    """Tell whether ``resource`` lives outside namespaces.

    Built-in kinds come from the table; a custom kind from the CRD scopes given
    (see :func:`crd_scopes`), then the well-known CRD kinds and groups; any
    other kind counts as namespaced, like Kustomize's namespace transformer
    treats it.
    """
    key = (resource.group, resource.kind)
    if key in CLUSTER_SCOPED:
        return True
    if scopes is not None and key in scopes:
        return scopes[key]
    return key in WELL_KNOWN_CLUSTER_SCOPED_CRDS or key[0] in WELL_KNOWN_CLUSTER_SCOPED_GROUPS


def scope_known(resource: Resource, scopes: Mapping[GroupKind, bool] | None = None) -> bool:
    """Tell whether the scope of ``resource``'s kind is known rather than guessed: a
    built-in kind, a kind some CRD declares, or a well-known custom kind."""
    key = (resource.group, resource.kind)
    return (
        key[0] in BUILTIN_GROUPS
        or (scopes is not None and key in scopes)
        or is_cluster_scoped(resource, scopes)
    )


def identity(resource: Resource, scopes: Mapping[GroupKind, bool] | None = None) -> ResourceKey:
    """Return what the API server keys the object by: (group, kind, namespace, name).

    A cluster-scoped object's namespace is dropped (the server ignores it); a
    namespaced object without one stays ``None``, one shared unknown namespace.
    """
    namespace = None if is_cluster_scoped(resource, scopes) else resource.namespace
    return ResourceKey(resource.group, resource.kind, namespace, resource.name)
