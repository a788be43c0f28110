"""pytest-k8s-overlays: gate every Kustomize overlay with real renders and contract checks.

The public names load on first use (PEP 562): pytest imports this package on
every start-up, gate or not, and the helpers pull in the checks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checks.assertions import (
        assert_images,
        assert_isolated,
        assert_namespace,
        assert_ports,
        assert_references,
        assert_unique_names,
        assert_valid_schema,
        check,
    )
    from .core.deployables import Deployable, OverlaySpec
    from .core.findings import Finding
    from .core.resources import Container, Overlay, Overlays, PodTemplate, Resource
    from .render.engine import RenderError

#: Where each public name is defined.
_PUBLIC = {
    "Container": "core.resources",
    "Deployable": "core.deployables",
    "Finding": "core.findings",
    "Overlay": "core.resources",
    "OverlaySpec": "core.deployables",
    "Overlays": "core.resources",
    "PodTemplate": "core.resources",
    "RenderError": "render.engine",
    "Resource": "core.resources",
    "assert_images": "checks.assertions",
    "assert_isolated": "checks.assertions",
    "assert_namespace": "checks.assertions",
    "assert_ports": "checks.assertions",
    "assert_references": "checks.assertions",
    "assert_unique_names": "checks.assertions",
    "assert_valid_schema": "checks.assertions",
    "check": "checks.assertions",
}

__all__ = [
    "Container",
    "Deployable",
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
    "assert_references",
    "assert_unique_names",
    "assert_valid_schema",
    "check",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
