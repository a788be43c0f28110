"""unique-names: unit cases with plain dicts, then real renders through pytester."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.checks import CHECKS, CheckOptions
from pytest_k8s_overlays.checks.runner import run_check
from pytest_k8s_overlays.checks.unique_names import run
from pytest_k8s_overlays.core.resources import Overlay

from .builders import make_overlay, obj, write

OPTIONS = CheckOptions()


def make(name: str, *docs: dict[str, Any], group: str = "k8s/overlays") -> Overlay:
    """An overlay whose manifests come from one file of its own (named in findings)."""
    return make_overlay(name, *docs, group=group, source=f"k8s/overlays/{name}/x.yaml")


def test_two_api_versions_of_one_object_in_an_overlay() -> None:
    auth = make(
        "auth",
        obj("networking.istio.io/v1", "DestinationRule", "api", "auth"),
        obj("networking.istio.io/v1beta1", "DestinationRule", "api", "auth"),
    )
    found = run([auth], OPTIONS)
    assert [(f.rule, f.resource, f.path, f.found) for f in found] == [
        (
            "duplicate-in-overlay",
            "DestinationRule/auth/api",
            "apiVersion",
            "networking.istio.io/v1, but the same object is also rendered as "
            "networking.istio.io/v1beta1",
        ),
        (
            "duplicate-in-overlay",
            "DestinationRule/auth/api",
            "apiVersion",
            "networking.istio.io/v1beta1, but the same object is also rendered as "
            "networking.istio.io/v1",
        ),
    ]


@pytest.mark.parametrize(
    "second",
    [
        obj("networking.istio.io/v1", "DestinationRule", "api", "chat"),
        obj("networking.istio.io/v1", "DestinationRule", "web", "auth"),
        obj("networking.istio.io/v1", "VirtualService", "api", "auth"),
        obj("security.istio.io/v1", "DestinationRule", "api", "auth"),
    ],
    ids=["other-namespace", "other-name", "other-kind", "other-group"],
)
def test_objects_differing_in_one_part_of_the_identity_are_distinct(
    second: dict[str, Any],
) -> None:
    first = obj("networking.istio.io/v1", "DestinationRule", "api", "auth")
    assert run([make("auth", first, second)], OPTIONS) == []


def test_an_object_rendered_by_two_overlays_fails_both_naming_the_other() -> None:
    auth = make("auth", obj("v1", "ConfigMap", "settings", "shared"))
    my = make("my", obj("v1", "ConfigMap", "settings", "shared"))
    chat = make("chat", obj("v1", "ConfigMap", "settings", "chat"))
    found = run([auth, my, chat], OPTIONS)
    assert [(f.overlay, f.rule, f.found, f.others) for f in found] == [
        ("auth", "shared-object", "also rendered by overlay my", ("my",)),
        ("my", "shared-object", "also rendered by overlay auth", ("auth",)),
    ]


def test_cluster_scoped_objects_collide_whatever_namespace_kustomize_gave_them() -> None:
    role = "rbac.authorization.k8s.io/v1"
    auth = make("auth", obj(role, "ClusterRole", "reader"), obj("v1", "Namespace", "shared"))
    my = make("my", obj(role, "ClusterRole", "reader", "my"), obj("v1", "Namespace", "shared"))
    chat = make("chat", obj("v1", "Namespace", "shared"))
    found = run([auth, my, chat], OPTIONS)
    assert [(f.overlay, f.resource, f.found) for f in found] == [
        ("auth", "ClusterRole/reader", "also rendered by overlay my (ClusterRole/my/reader)"),
        ("auth", "Namespace/shared", "also rendered by overlays chat, my"),
        ("chat", "Namespace/shared", "also rendered by overlays auth, my"),
        ("my", "ClusterRole/my/reader", "also rendered by overlay auth (ClusterRole/reader)"),
        ("my", "Namespace/shared", "also rendered by overlays auth, chat"),
    ]


def test_a_custom_kind_is_cluster_scoped_when_its_crd_says_so() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "quotas.acme.io"},
        "spec": {"group": "acme.io", "names": {"kind": "Quota"}, "scope": "Cluster"},
    }
    platform = make("platform", crd)
    auth = make("auth", obj("acme.io/v1", "Quota", "default", "auth"))
    my = make("my", obj("acme.io/v1", "Quota", "default", "my"))
    assert {f.overlay for f in run([platform, auth, my], OPTIONS)} == {"auth", "my"}
    assert run([auth, my], OPTIONS) == []


def test_namespaced_objects_without_a_namespace_share_one() -> None:
    auth = make("auth", obj("v1", "ConfigMap", "settings"))
    my = make("my", obj("v1", "ConfigMap", "settings"))
    assert [f.overlay for f in run([auth, my], OPTIONS)] == ["auth", "my"]


def test_overlays_of_different_groups_do_not_collide() -> None:
    apps = make("auth", obj("v1", "Namespace", "shared"), group="k8s/apps")
    infra = make("base", obj("v1", "Namespace", "shared"), group="k8s/infra")
    assert run_check(CHECKS["unique-names"], [apps, infra], OPTIONS) == []


def test_a_name_or_kind_that_is_no_string_identifies_nothing() -> None:
    # A map where the name belongs (a YAML typo) is the schema check's to
    # report; it must not make two overlays "share" an object.
    typo = obj("v1", "ConfigMap", "settings", "shared")
    typo["metadata"]["name"] = {"name": "settings"}
    kind_typo = obj("v1", "ConfigMap", "settings", "shared")
    kind_typo["kind"] = ["ConfigMap"]
    assert run([make("auth", typo, kind_typo), make("my", typo, kind_typo)], OPTIONS) == []


def test_the_same_overlay_passed_twice_is_one_deployment() -> None:
    auth = make("auth", obj("v1", "Namespace", "auth"))
    assert run_check(CHECKS["unique-names"], [auth, auth], OPTIONS) == []


NAMESPACE = """
apiVersion: v1
kind: Namespace
metadata:
  name: shared
"""


def share_namespace(root: Path, name: str) -> None:
    """A realistic mistake: two services moved into one namespace, each creating it."""
    kfile = root / f"k8s/overlays/{name}/kustomization.yaml"
    text = kfile.read_text().replace(f"namespace: {name}\n", "namespace: shared\n")
    kfile.write_text(text.replace("  - ../../base\n", "  - ../../base\n  - namespace.yaml\n"))
    write(root, f"k8s/overlays/{name}/namespace.yaml", NAMESPACE)


def test_a_namespace_created_by_two_overlays_fails_both(
    pytester: pytest.Pytester, example: Path
) -> None:
    share_namespace(example, "auth")
    share_namespace(example, "my")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=unique-names")
    result.assert_outcomes(passed=5, failed=2)
    hint = (
        "hint [[]shared-object]: give each overlay its own namePrefix/namespace, or create the "
        "shared object in one overlay only (a common overlay), so one Argo CD Application owns "
        "it; environments of one service (dev, prod) go in groups of their own instead"
    )
    result.stdout.fnmatch_lines(
        [
            "auth: [[]shared-object] *",
            "  Namespace/shared: also rendered by overlay my; expected one overlay to own it "
            "[[]shared-object] (from k8s/overlays/auth/namespace.yaml)",
            hint,
            "my: [[]shared-object] *",
            "  Namespace/shared: also rendered by overlay auth; expected one overlay to own it "
            "[[]shared-object] (from k8s/overlays/my/namespace.yaml)",
            hint,
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


DESTINATION_RULES = """
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: api
spec:
  host: api
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
spec:
  host: api
"""


def test_two_api_versions_of_one_object_fail_the_overlay(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The upgrade to networking.istio.io/v1 added a new file but kept the old one.
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(
        kfile.read_text().replace("  - ../../base\n", "  - ../../base\n  - destinationrule.yaml\n")
    )
    write(example, "k8s/overlays/chat/destinationrule.yaml", DESTINATION_RULES)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=unique-names")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: 2 findings [[]*]",
            "  DestinationRule/chat/chat-api apiVersion: networking.istio.io/v1, but the same "
            "object is also rendered as networking.istio.io/v1beta1; expected one manifest per "
            "object [[]duplicate-in-overlay] (from k8s/overlays/chat/destinationrule.yaml)",
            "  DestinationRule/chat/chat-api apiVersion: networking.istio.io/v1beta1, but the same "
            "object is also rendered as networking.istio.io/v1; expected one manifest per "
            "object [[]duplicate-in-overlay] (from k8s/overlays/chat/destinationrule.yaml)",
            "hint [[]duplicate-in-overlay]: keep one manifest per object: *RepeatedResource*",
        ]
    )


def test_example_repo_passes_unique_names_images_and_namespace(
    pytester: pytest.Pytester, example: Path
) -> None:
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=unique-names,images,namespace", "-v"
    )
    result.assert_outcomes(passed=21)
    for check in ("unique-names", "images", "namespace"):
        result.stdout.fnmatch_lines([f"k8s/overlays/auth/kustomization.yaml::{check} PASSED*"])
    result.stdout.no_fnmatch_line("*suppressed*")


def test_environments_of_one_service_in_one_group_are_told_to_split_the_groups() -> None:
    # --overlays=workloads/domains, the natural first try on a <service>/{dev,prod} layout:
    # the hint to change namePrefix or namespace would be the wrong fix.
    config = obj("v1", "ConfigMap", "users-api-config", "users")
    dev = make_overlay("users/dev", config, group="workloads/domains")
    prod = make_overlay("users/prod", config, group="workloads/domains")
    found = run([dev, prod], OPTIONS)
    assert [(f.overlay, f.rule, f.expected) for f in found] == [
        (
            name,
            "shared-object",
            "dev and prod of users in groups of their own, as they deploy to different "
            "clusters (one --overlays value per environment: --overlays='<root>/*/dev'); "
            "not another namePrefix",
        )
        for name in ("users/dev", "users/prod")
    ]
    # Two services sharing an object, or two overlays of one environment, keep the usual
    # expectation.
    auth = make_overlay("auth", config)
    scan = make_overlay("scan", config)
    assert {f.expected for f in run([auth, scan], OPTIONS)} == {"one overlay to own it"}
    staging = make_overlay("accounts/staging", config, group="src")
    init = make_overlay("accounts/init-db-staging", config, group="src")
    assert {f.expected for f in run([staging, init], OPTIONS)} == {"one overlay to own it"}
