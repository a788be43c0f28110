"""pytest-k8s-overlays: gate every Kustomize overlay with real renders and contract checks.

The public names load on first use (PEP 562): pytest imports this package on
every start-up, gate or not, and the helpers pull in the checks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assertions import (
        assert_images,
        assert_isolated,
        assert_namespace,
        assert_ports,
        assert_references,
        assert_unique_names,
        assert_valid_schema,
        check,
    )
    from .deployable import Deployable, OverlaySpec
    from .findings import Finding
    from .model import Container, Overlay, Overlays, PodTemplate, Resource
    from .renderer import RenderError

#: Where each public name is defined.
_PUBLIC = {
    "Container": "model",
    "Deployable": "deployable",
    "Finding": "findings",
    "Overlay": "model",
    "OverlaySpec": "deployable",
    "Overlays": "model",
    "PodTemplate": "model",
    "RenderError": "renderer",
    "Resource": "model",
    "assert_images": "assertions",
    "assert_isolated": "assertions",
    "assert_namespace": "assertions",
    "assert_ports": "assertions",
    "assert_references": "assertions",
    "assert_unique_names": "assertions",
    "assert_valid_schema": "assertions",
    "check": "assertions",
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
