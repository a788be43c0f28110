"""Contracts the service teams added on top of the built-in gate.

They hold for the overlays (``pytest --overlays k8s/overlays``) and for the
Argo CD Applications that deploy them (``pytest --overlays-argocd
clusters/dev``): a service is named by its overlay's directory.
"""

from __future__ import annotations

import pytest

from pytest_k8s_overlays import Overlay, Overlays


def service(overlay: Overlay) -> str:
    """The service an overlay (or an Application) deploys: its directory under k8s/overlays."""
    if overlay.path.parent.name != "overlays":
        pytest.skip(f"{overlay.name} deploys no service")
    return overlay.path.name


def test_auth_runs_two_replicas(overlays: Overlays) -> None:
    auth = overlays["auth"]
    deployment = auth.get("Deployment", "auth-api")
    assert deployment.spec["replicas"] == 2


def test_every_overlay_lives_in_its_own_namespace(overlay: Overlay) -> None:
    assert overlay.namespaces == (service(overlay),)


def test_every_container_has_a_memory_limit(overlay: Overlay) -> None:
    for container in overlay.containers:
        limits = container.raw.get("resources", {}).get("limits", {})
        assert "memory" in limits, f"{container.path} of {container.resource.ref}"


def test_images_come_from_the_service_repository(overlay: Overlay) -> None:
    prefix = f"ghcr.io/acme/{service(overlay)}-api:"
    assert overlay.images == tuple(image for image in overlay.images if image.startswith(prefix))
    assert len(overlay.images) == 1
