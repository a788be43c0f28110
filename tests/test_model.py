"""The resource model: look-ups, pod templates of built-in and custom workloads."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_k8s_overlays.checks import CheckOptions, images, ports

from .builders import make_overlay

TEMPLATE = {
    "metadata": {"labels": {"app": "api"}},
    "spec": {
        "containers": [
            {
                "name": "api",
                "image": "ghcr.io/acme/placeholder:latest",
                "ports": [{"name": "http", "containerPort": 8080}],
            }
        ]
    },
}


def rollout(group: str = "argoproj.io") -> dict[str, Any]:
    return {
        "apiVersion": f"{group}/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "auth-api", "namespace": "auth"},
        "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": TEMPLATE},
    }


SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "auth-api", "namespace": "auth"},
    "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": "http"}]},
}


def test_an_argo_rollout_is_a_workload_with_a_pod_template() -> None:
    overlay = make_overlay("auth", rollout(), SERVICE)
    assert [r.kind for r in overlay.workloads] == ["Rollout"]
    assert [c.path for c in overlay.containers] == ["spec.template.spec.containers[0]"]
    assert ports.run([overlay], CheckOptions()) == []
    found = images.run([overlay], CheckOptions())
    assert {f.rule for f in found} == {"placeholder", "unpinned"}


def test_a_kind_named_like_a_workload_in_another_group_is_not_one() -> None:
    overlay = make_overlay("auth", rollout(group="example.com"))
    assert overlay.workloads == ()
    other = make_overlay("auth", {"apiVersion": "acme.io/v1", "kind": "Deployment"})
    assert other.workloads == ()


def test_get_names_what_exists_when_nothing_matches() -> None:
    overlay = make_overlay("auth", SERVICE)
    with pytest.raises(
        KeyError, match="auth: no Service named 'api'; Service names rendered: auth-api"
    ):
        overlay.get("Service", "api")


def test_a_malformed_ports_field_declares_no_ports() -> None:
    deployment = rollout()
    deployment["spec"]["template"] = {"spec": {"containers": [{"name": "api", "ports": 8080}]}}
    [container] = make_overlay("auth", deployment).containers
    assert container.ports == []


def test_the_helper_names_the_checks_when_asked_for_an_unknown_one() -> None:
    from pytest_k8s_overlays import check

    with pytest.raises(ValueError, match="unknown check 'nope'; checks: render, unique-names, "):
        check("nope", make_overlay("auth"))
