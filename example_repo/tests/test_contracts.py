"""Contracts the service teams added on top of the built-in gate."""

from __future__ import annotations

from pytest_k8s_overlays import Overlay, Overlays


def test_auth_runs_two_replicas(overlays: Overlays) -> None:
    auth = overlays["auth"]
    deployment = auth.get("Deployment", "auth-api")
    assert deployment.spec["replicas"] == 2


def test_every_overlay_lives_in_its_own_namespace(overlay: Overlay) -> None:
    assert overlay.namespaces == (overlay.name,)


def test_every_container_has_a_memory_limit(overlay: Overlay) -> None:
    for container in overlay.containers:
        limits = container.raw.get("resources", {}).get("limits", {})
        assert "memory" in limits, f"{container.path} of {container.resource.ref}"


def test_images_come_from_the_service_repository(overlay: Overlay) -> None:
    assert overlay.images == tuple(
        image for image in overlay.images if image.startswith(f"ghcr.io/acme/{overlay.name}-api:")
    )
    assert len(overlay.images) == 1
