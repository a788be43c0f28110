"""namespace: scopes and rules with plain dicts, then real renders through pytester."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_k8s_overlays import assert_namespace
from pytest_k8s_overlays.checks import CHECKS, CheckOptions
from pytest_k8s_overlays.checks.namespace import expected_namespace, run, valid_namespace
from pytest_k8s_overlays.checks.runner import run_check
from pytest_k8s_overlays.core.resources import Overlay, Resource
from pytest_k8s_overlays.parse.scopes import crd_scopes, is_cluster_scoped

from .builders import add_resources, crd, make_overlay, obj, write


def rules(overlay: Overlay, **options: Any) -> list[tuple[str, str]]:
    return [(f.resource, f.rule) for f in run([overlay], CheckOptions(**options))]


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "Namespace"),
        ("v1", "PersistentVolume"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("cert-manager.io/v1", "ClusterIssuer"),
    ],
)
def test_cluster_scoped_kinds_need_no_namespace(api_version: str, kind: str) -> None:
    assert is_cluster_scoped(Resource(obj(api_version, kind, "x")))
    assert rules(make_overlay("auth", obj(api_version, kind, "x"))) == []


def test_a_cluster_scoped_object_with_a_namespace_is_harmless() -> None:
    assert (
        rules(make_overlay("auth", obj("v1", "Namespace", "auth", "auth")), namespace="{name}")
        == []
    )


def test_some_resources_with_a_namespace_and_others_without_fail() -> None:
    auth = make_overlay(
        "auth",
        obj("v1", "ConfigMap", "settings"),
        obj("v1", "Secret", "token"),
        obj("v1", "Service", "api", "auth"),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "reader"),
    )
    found = run([auth], CheckOptions())
    assert [f.line() for f in found] == [
        "ConfigMap/settings metadata.namespace: no namespace, while 1 other namespaced "
        "resource of the overlay is in namespace auth; expected the namespace of the overlay's "
        "other resources (auth) [partial-namespace]",
        "Secret/token metadata.namespace: no namespace, while 1 other namespaced resource of "
        "the overlay is in namespace auth; expected the namespace of the overlay's other "
        "resources (auth) [partial-namespace]",
    ]


def test_an_overlay_with_no_namespace_at_all_is_a_relocatable_package() -> None:
    # Upstream install manifests: `kubectl apply -n argocd -k` or an Argo CD
    # Application chooses the namespace.
    package = make_overlay(
        "install",
        obj("v1", "ConfigMap", "settings"),
        obj("v1", "Service", "api"),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "reader"),
    )
    assert run([package], CheckOptions()) == []
    # Requiring a namespace stays available, with or without a pattern.
    assert rules(package, namespace_required=True) == [
        ("ConfigMap/settings", "missing-namespace"),
        ("Service/api", "missing-namespace"),
    ]
    assert [f.line() for f in run([package], CheckOptions(namespace="argocd"))][:1] == [
        "ConfigMap/settings metadata.namespace: no namespace; expected namespace argocd "
        "[missing-namespace]"
    ]


def test_resources_in_a_namespace_the_overlay_creates_are_no_siblings() -> None:
    # An aggregate: the operator goes into its own Namespace, the instance (a
    # Secret beside the custom resources) wherever the Application deploys it.
    aggregate = make_overlay(
        "registry",
        obj("v1", "Namespace", "registry-operator"),
        obj("operators.coreos.com/v1", "OperatorGroup", "registry", "registry-operator"),
        obj("operators.coreos.com/v1alpha1", "Subscription", "registry", "registry-operator"),
        obj("v1", "Secret", "registry-db-credentials"),
    )
    assert run([aggregate], CheckOptions()) == []
    # Without its Namespace object, the operator's namespace is a sibling's.
    stray = make_overlay("registry", *(r.raw for r in aggregate.resources[1:]))
    assert [f.resource for f in run([stray], CheckOptions())] == ["Secret/registry-db-credentials"]


def test_a_custom_kind_of_unknown_scope_without_a_namespace_is_not_partial() -> None:
    # OAuth/cluster of config.openshift.io is known to be cluster-scoped; the
    # CRD of a Widget is in no render: it may be cluster-scoped too.
    overlay = make_overlay(
        "idp",
        obj("v1", "Secret", "htpass", "openshift-config"),
        obj("config.openshift.io/v1", "OAuth", "cluster"),
        obj("operator.openshift.io/v1alpha1", "SpireServer", "cluster"),
        obj("acme.io/v1", "Widget", "default"),
    )
    assert run([overlay], CheckOptions()) == []
    assert rules(overlay, namespace_required=True) == [("Widget/default", "missing-namespace")]


def test_a_custom_kind_follows_the_scope_its_crd_declares() -> None:
    auth = make_overlay(
        "auth",
        crd("acme.io", "Quota", "Cluster"),
        crd("acme.io", "Tenant", "Namespaced"),
        obj("acme.io/v1", "Quota", "default"),
        obj("acme.io/v1", "Tenant", "default"),
    )
    assert rules(auth, namespace_required=True) == [("Tenant/default", "missing-namespace")]


def test_a_custom_kind_without_a_crd_counts_as_namespaced_when_required() -> None:
    quota = make_overlay("auth", obj("acme.io/v1", "Quota", "default"))
    assert rules(quota, namespace_required=True) == [("Quota/default", "missing-namespace")]


def test_crd_files_given_to_the_plugin_declare_scopes_too(tmp_path: Path) -> None:
    write(
        tmp_path,
        "crds/quota.yaml",
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: quotas.acme.io
        spec:
          group: acme.io
          names:
            kind: Quota
          scope: Cluster
        """,
    )
    write(tmp_path, "crds/broken.yaml", "spec: [unclosed\n")
    assert crd_scopes([], (tmp_path / "crds",)) == {("acme.io", "Quota"): True}
    assert (
        rules(
            make_overlay("auth", obj("acme.io/v1", "Quota", "default")), crds=(tmp_path / "crds",)
        )
        == []
    )


def test_a_crd_file_edited_during_a_session_is_read_again(tmp_path: Path) -> None:
    # A long-lived process (pytest-watch, an IDE) sees the edit, not the first read.
    crd_file = tmp_path / "quota.yaml"
    crd_file.write_text(yaml.safe_dump(crd("acme.io", "Quota", "Cluster")))
    assert crd_scopes([], (crd_file,)) == {("acme.io", "Quota"): True}
    crd_file.write_text(yaml.safe_dump(crd("acme.io", "Quota", "Namespaced")))
    assert crd_scopes([], (crd_file,)) == {("acme.io", "Quota"): False}


def test_a_crd_in_the_render_overrides_the_well_known_table() -> None:
    issuer = obj("cert-manager.io/v1", "ClusterIssuer", "letsencrypt")
    scopes = crd_scopes(
        [make_overlay("auth", crd("cert-manager.io", "ClusterIssuer", "Namespaced"))]
    )
    assert not is_cluster_scoped(Resource(issuer), scopes)


def test_the_expected_namespace_pattern() -> None:
    auth = make_overlay(
        "auth", obj("v1", "ConfigMap", "a", "auth"), obj("v1", "ConfigMap", "b", "default")
    )
    found = run([auth], CheckOptions(namespace="{name}"))
    assert [f.line() for f in found] == [
        "ConfigMap/default/b metadata.namespace: namespace default; expected namespace auth "
        "(pattern {name}) [wrong-namespace]"
    ]
    assert rules(auth, namespace="api") == [
        ("ConfigMap/auth/a", "wrong-namespace"),
        ("ConfigMap/default/b", "wrong-namespace"),
    ]


def test_name_in_the_pattern_is_the_whole_overlay_name() -> None:
    dev = make_overlay("auth/dev")
    assert expected_namespace("{name}", dev) == "auth/dev"
    assert expected_namespace("{group}-x", dev) == "k8s/overlays-x"


def test_first_and_last_take_one_component_of_a_nested_overlay_name() -> None:
    dev = make_overlay("auth/eu/dev")
    assert expected_namespace("{first}", dev) == "auth"
    assert expected_namespace("{last}", dev) == "dev"
    assert expected_namespace("{first}-{last}", dev) == "auth-dev"
    assert expected_namespace("{first}-{last}", make_overlay("auth")) == "auth-auth"


def test_a_pattern_giving_no_valid_namespace_says_so() -> None:
    # `{name}` of a nested overlay can never match: the finding says why and
    # which placeholder to use instead.
    dev = make_overlay("auth/dev", obj("v1", "ConfigMap", "a", "auth"))
    assert [f.line() for f in run([dev], CheckOptions(namespace="{name}"))] == [
        "ConfigMap/auth/a metadata.namespace: namespace auth; expected namespace auth/dev "
        "(pattern {name}; not a valid namespace: use {first} or {last}) [wrong-namespace]"
    ]
    assert [f.expected for f in run([dev], CheckOptions(namespace="Team_A"))] == [
        "namespace Team_A (not a valid namespace)"
    ]
    assert run([dev], CheckOptions(namespace="{first}")) == []


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("auth", True),
        ("auth-dev", True),
        ("a" * 63, True),
        ("0x", True),
        ("a" * 64, False),
        ("auth/dev", False),
        ("Auth", False),
        ("-auth", False),
        ("auth-", False),
        ("", False),
    ],
)
def test_a_namespace_is_a_dns_label(name: str, valid: bool) -> None:
    assert valid_namespace(name) is valid


def test_a_namespace_written_as_a_map_is_no_namespace() -> None:
    config = obj("v1", "ConfigMap", "settings")
    config["metadata"]["namespace"] = {"name": "auth"}
    overlay = make_overlay("auth", config, obj("v1", "Service", "api", "auth"))
    assert [f.line() for f in run([overlay], CheckOptions(namespace_required=True))] == [
        "ConfigMap/settings metadata.namespace: namespace written as a map, "
        "not a name; expected a namespace [missing-namespace]"
    ]
    assert [f.rule for f in run([overlay], CheckOptions())] == ["partial-namespace"]


def test_a_crd_of_another_overlay_of_the_group_decides_the_scope() -> None:
    # The CRD lives in a `crds` overlay (its own Argo CD Application); the
    # objects of its kind in another overlay of the group.
    crds = make_overlay("crds", crd("kueue.x-k8s.io", "ClusterQueue", "Cluster"))
    cluster = make_overlay("cluster", obj("kueue.x-k8s.io/v1beta1", "ClusterQueue", "team-a"))
    assert CHECKS["namespace"].scope == "group"
    required = CheckOptions(namespace_required=True)
    assert run([crds, cluster], required) == []
    assert rules(cluster, namespace_required=True) == [("ClusterQueue/team-a", "missing-namespace")]
    # Another group's CRD decides nothing for this one.
    elsewhere = make_overlay("crds", crd("kueue.x-k8s.io", "ClusterQueue", "Cluster"), group="x")
    found = run_check(CHECKS["namespace"], [elsewhere, cluster], required)
    assert [f.resource for f in found] == ["ClusterQueue/team-a"]


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("constraints.gatekeeper.sh/v1beta1", "K8sRequiredLabels"),
        ("constraints.gatekeeper.sh/v1", "AnyGeneratedKind"),
        ("mutations.gatekeeper.sh/v1", "Assign"),
        ("mutations.gatekeeper.sh/v1", "AssignMetadata"),
        ("mutations.gatekeeper.sh/v1", "ModifySet"),
        ("templates.gatekeeper.sh/v1", "ConstraintTemplate"),
    ],
)
def test_gatekeeper_constraints_and_mutators_are_cluster_scoped(
    api_version: str, kind: str
) -> None:
    # Gatekeeper generates each constraint kind's CRD at runtime: no render has it.
    assert is_cluster_scoped(Resource(obj(api_version, kind, "x")))
    assert rules(make_overlay("auth", obj(api_version, kind, "x"))) == []


INFO_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: info
spec:
  rules:
    - host: info.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: api
                port: {number: 80}
"""


def test_an_overlay_with_namespaces_on_some_resources_only_fails_the_others(
    pytester: pytest.Pytester, example: Path
) -> None:
    # A realistic mistake: the overlay dropped `namespace: info` (Argo CD's
    # destination would do) but its Ingress still names the namespace, so the
    # Ingress lands in `info` and the Service it routes to wherever Argo CD says.
    kfile = example / "k8s/overlays/info/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("namespace: info\n", ""))
    add_resources(example, "info", {"ingress.yaml": INFO_INGRESS})
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=namespace")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "info: 3 findings [[]*]",
            "  ConfigMap/info-api-config metadata.namespace: no namespace, while 1 other "
            "namespaced resource of the overlay is in namespace info; expected the namespace of "
            "the overlay's other resources (info) [[]partial-namespace] "
            "(from k8s/base/configmap.yaml)",
            "  Deployment/info-api metadata.namespace: no namespace, while 1 other *",
            "  Service/info-api metadata.namespace: no namespace, while 1 other *",
            "hint [[]partial-namespace]: set namespace: in the overlay's kustomization.yaml *",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_an_overlay_without_any_namespace_passes_unless_one_is_required(
    pytester: pytest.Pytester, example: Path
) -> None:
    # info is deployed like an upstream package: the namespace comes at deploy time.
    kfile = example / "k8s/overlays/info/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("namespace: info\n", ""))
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=namespace")
    result.assert_outcomes(passed=7)
    pytester.makeini("[pytest]\noverlays_namespace_required = true\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=namespace")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "info: 3 findings [[]*]",
            "  ConfigMap/info-api-config metadata.namespace: no namespace; expected a namespace "
            "[[]missing-namespace] (from k8s/base/configmap.yaml)",
            "  Deployment/info-api metadata.namespace: no namespace; expected a namespace "
            "[[]missing-namespace] (from k8s/base/deployment.yaml)",
            "  Service/info-api metadata.namespace: no namespace; expected a namespace "
            "[[]missing-namespace] (from k8s/base/service.yaml)",
            "hint [[]missing-namespace]: set namespace: in the overlay's kustomization.yaml *",
        ]
    )
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=namespace",
        "--overlays-no-namespace-required",
    )
    result.assert_outcomes(passed=7)


PLATFORM = """
apiVersion: v1
kind: Namespace
metadata:
  name: tenants
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tenant-reader
rules: []
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: quotas.acme.io
spec:
  group: acme.io
  names:
    kind: Quota
    plural: quotas
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
---
apiVersion: acme.io/v1
kind: Quota
metadata:
  name: default
"""


def test_the_namespace_pattern_and_cluster_scoped_overlays(
    pytester: pytest.Pytester, example: Path
) -> None:
    # chat was moved to a namespace that does not follow the naming scheme;
    # platform holds only cluster-scoped objects, so it needs no namespace.
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("namespace: chat\n", "namespace: messaging\n"))
    write(example, "k8s/overlays/platform/kustomization.yaml", "resources:\n  - cluster.yaml\n")
    write(example, "k8s/overlays/platform/cluster.yaml", PLATFORM)
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=namespace", "--overlays-namespace={name}"
    )
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: 3 findings [[]*]",
            "  ConfigMap/messaging/chat-api-config metadata.namespace: namespace messaging; "
            "expected namespace chat (pattern {name}) [[]wrong-namespace] "
            "(from k8s/base/configmap.yaml)",
            "  Deployment/messaging/chat-api *[[]wrong-namespace]*",
            "  Service/messaging/chat-api *[[]wrong-namespace]*",
            "hint [[]wrong-namespace]: set namespace: in the overlay's kustomization.yaml to the "
            "expected namespace; *",
        ]
    )


def test_a_pattern_with_an_unknown_placeholder_is_a_usage_error(
    pytester: pytest.Pytester, example: Path
) -> None:
    # {nme} for {name}: expected literally, it failed every namespaced resource instead.
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-namespace={nme}-{last}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --overlays-namespace={nme}-{last}: {nme} is no placeholder; use {name}, "
            "{first}, {last} or {group}"
        ]
    )
    ok = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=namespace")
    ok.assert_outcomes(passed=7)
    # The image convention's placeholders alike ({wrkld} failed every container).
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-image-convention={wrkld}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --overlays-image-convention={wrkld}: {wrkld} is no placeholder; use "
            "{overlay}, {name}, {first}, {last}, {group}, {workload} or {container}"
        ]
    )


CLUSTER_QUEUE_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusterqueues.kueue.x-k8s.io
spec:
  group: kueue.x-k8s.io
  names: {kind: ClusterQueue, plural: clusterqueues}
  scope: Cluster
  versions:
    - name: v1beta1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"""

GATEKEEPER = """
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8srequiredlabels
spec:
  crd:
    spec:
      names:
        kind: K8sRequiredLabels
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredLabels
metadata:
  name: ns-must-have-owner
spec:
  match:
    kinds:
      - apiGroups: [""]
        kinds: [Namespace]
"""


def test_cluster_scoped_kinds_from_another_overlays_crd_and_gatekeeper_pass(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The CRDs have their own overlay (Argo CD syncs it first), the objects of
    # their kinds another one; Gatekeeper constraints have no CRD file at all.
    write(example, "k8s/overlays/crds/kustomization.yaml", "resources: [crd.yaml]\n")
    write(example, "k8s/overlays/crds/crd.yaml", CLUSTER_QUEUE_CRD)
    write(example, "k8s/overlays/queues/kustomization.yaml", "resources: [queue.yaml]\n")
    write(
        example,
        "k8s/overlays/queues/queue.yaml",
        "apiVersion: kueue.x-k8s.io/v1beta1\nkind: ClusterQueue\nmetadata:\n  name: team-a\n",
    )
    write(example, "k8s/overlays/policies/kustomization.yaml", "resources: [policies.yaml]\n")
    write(example, "k8s/overlays/policies/policies.yaml", GATEKEEPER)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=namespace")
    result.assert_outcomes(passed=10)


def test_nested_overlays_take_their_namespace_from_first_and_last(
    pytester: pytest.Pytester,
) -> None:
    # auth/dev and auth/prod follow `{first}-{last}`; scan/dev kept the
    # namespace of the overlay it was copied from.
    write(pytester.path, "k8s/base/kustomization.yaml", "resources: [configmap.yaml]\n")
    write(
        pytester.path,
        "k8s/base/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    )
    for name, namespace in (
        ("auth/dev", "auth-dev"),
        ("auth/prod", "auth-prod"),
        ("scan/dev", "auth-dev"),
    ):
        write(
            pytester.path,
            f"k8s/overlays/{name}/kustomization.yaml",
            f"namespace: {namespace}\nresources: [../../../base]\n",
        )
    pytester.makeini("[pytest]\noverlays_namespace = {first}-{last}\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=namespace")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "scan/dev: [[]wrong-namespace] *",
            "  ConfigMap/auth-dev/settings metadata.namespace: namespace auth-dev; expected "
            "namespace scan-dev (pattern {first}-{last}) [[]wrong-namespace] "
            "(from k8s/base/configmap.yaml)",
        ]
    )


def test_the_assertion_helper_requires_a_namespace_when_asked() -> None:
    package = make_overlay("install", obj("v1", "ConfigMap", "settings"))
    assert_namespace(package)
    with pytest.raises(AssertionError) as raised:
        assert_namespace(package, namespace_required=True)
    assert str(raised.value).splitlines()[:2] == [
        "install: [missing-namespace] ConfigMap/settings namespace: no namespace",
        "  ConfigMap/settings metadata.namespace: no namespace; expected a namespace "
        "[missing-namespace]",
    ]
