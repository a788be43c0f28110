"""pytest-k8s-overlays: gate every Kustomize overlay with real renders and contract checks."""

from __future__ import annotations

from .assertions import (
    assert_images,
    assert_isolated,
    assert_namespace,
    assert_ports,
    assert_unique_names,
    assert_valid_schema,
    check,
)
from .discovery import OverlaySpec
from .findings import Finding
from .model import Container, Overlay, Overlays, PodTemplate, Resource
from .renderer import RenderError

__all__ = [
    "Container",
    "Finding",
    "Overlay",
    "OverlaySpec",
    "Overlays",
    "PodTemplate",
    "RenderError",
    "Resource",
    "assert_images",
    "assert_isolated",
    "assert_namespace",
    "assert_ports",
    "assert_unique_names",
    "assert_valid_schema",
    "check",
]
