"""What controllers make at runtime, and the Services a group does not render: unit cases."""

from __future__ import annotations

import pytest

from pytest_k8s_overlays.checks.controllers import Operated, matches_at_runtime, may_make_pods
from pytest_k8s_overlays.checks.services import is_external
from pytest_k8s_overlays.core.resources import Resource
from pytest_k8s_overlays.core.selectors import label_selector, service_selector

from .builders import make_overlay, obj, workload

POD_NAME = "statefulset.kubernetes.io/pod-name"


def kind_of(name: str, api_version: str, kind: str) -> Resource:
    raw = workload(name, {"app": "x"})
    raw["apiVersion"], raw["kind"] = api_version, kind
    return Resource(raw)


@pytest.mark.parametrize(
    ("selector", "workload_kind", "selected"),
    [
        ({"app": "x", POD_NAME: "redis-0"}, ("apps/v1", "StatefulSet"), True),
        ({"app": "x", POD_NAME: "redis-12"}, ("apps/v1", "StatefulSet"), True),
        ({"app": "x", POD_NAME: "redis-a"}, ("apps/v1", "StatefulSet"), False),
        ({"app": "x", POD_NAME: "redis-0"}, ("apps/v1", "Deployment"), False),
        ({"app": "y", POD_NAME: "redis-0"}, ("apps/v1", "StatefulSet"), False),
        ({"app": "x", "apps.kubernetes.io/pod-index": "2"}, ("apps/v1", "StatefulSet"), True),
        ({"app": "x", "pod-template-hash": "7d9f8"}, ("apps/v1", "Deployment"), True),
        ({"app": "x", "pod-template-hash": "7d9f8"}, ("apps/v1", "DaemonSet"), False),
        ({"app": "x", "controller-revision-hash": "abc"}, ("apps/v1", "DaemonSet"), True),
        ({"job-name": "redis"}, ("batch/v1", "Job"), True),
        ({"job-name": "redis-28461600"}, ("batch/v1", "CronJob"), True),
        ({"deploymentconfig": "redis"}, ("apps.openshift.io/v1", "DeploymentConfig"), True),
        ({"deploymentconfig": "other"}, ("apps.openshift.io/v1", "DeploymentConfig"), False),
    ],
)
def test_labels_a_controller_adds_match_its_workload(
    selector: dict[str, str], workload_kind: tuple[str, str], selected: bool
) -> None:
    parsed = service_selector({"selector": selector})
    assert parsed is not None
    redis = kind_of("redis", *workload_kind)
    assert matches_at_runtime(parsed, {"app": "x"}, redis) is selected


def test_expressions_on_runtime_labels() -> None:
    redis = kind_of("redis", "apps/v1", "StatefulSet")
    exists = label_selector({"matchExpressions": [{"key": POD_NAME, "operator": "Exists"}]})
    absent = label_selector({"matchExpressions": [{"key": POD_NAME, "operator": "DoesNotExist"}]})
    assert exists is not None
    assert absent is not None
    assert matches_at_runtime(exists, {}, redis)
    assert not matches_at_runtime(absent, {}, redis)
    # A Deployment's pods never carry a StatefulSet's label.
    api = kind_of("api", "apps/v1", "Deployment")
    assert not matches_at_runtime(exists, {}, api)
    assert matches_at_runtime(absent, {}, api)


def test_custom_resources_that_only_configure_make_no_pods() -> None:
    assert may_make_pods(Resource(obj("monitoring.coreos.com/v1", "Prometheus", "k8s", "m")))
    assert may_make_pods(Resource(obj("rabbitmq.com/v1beta1", "RabbitmqCluster", "q", "m")))
    for api_version, kind in (
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("cert-manager.io/v1", "Certificate"),
        ("networking.istio.io/v1", "VirtualService"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("v1", "ConfigMap"),
        ("apps/v1", "Deployment"),
    ):
        assert not may_make_pods(Resource(obj(api_version, kind, "k8s", "m"))), kind


def test_an_operators_pods_and_services_are_found_in_its_namespace_only() -> None:
    operated = Operated.of(
        [make_overlay("m", obj("monitoring.coreos.com/v1", "Alertmanager", "main", "monitoring"))]
    )
    selector = service_selector({"selector": {"alertmanager": "main"}})
    assert selector is not None
    assert operated.pods_owner("monitoring", selector) is not None
    assert operated.pods_owner("other", selector) is None
    assert operated.service_owner("monitoring", "main-web") is not None
    assert operated.service_owner("monitoring", "mainframe") is None


@pytest.mark.parametrize(
    ("namespace", "name", "patterns", "listed"),
    [
        ("istio-system", "istio-ingressgateway", ["istio-system/istio-ingressgateway"], True),
        ("istio-system", "istio-ingressgateway", ["istio-system/*"], True),
        ("argocd", "argocd-server", ["*/argocd-*"], True),
        (None, "argocd-server", ["*/argocd-server"], True),
        ("argocd", "argocd-server", ["argocd-server"], False),
        ("argocd", "argocd-server", ["", " "], False),
    ],
)
def test_external_services_are_namespace_and_name_globs(
    namespace: str | None, name: str, patterns: list[str], listed: bool
) -> None:
    assert is_external(namespace, name, patterns) is listed
