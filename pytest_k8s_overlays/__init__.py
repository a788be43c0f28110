"""pytest-k8s-overlays: gate every Kustomize overlay with real renders and contract checks."""

from __future__ import annotations

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
]
