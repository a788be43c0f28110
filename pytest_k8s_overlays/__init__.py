"""pytest-k8s-overlays: gate every Kustomize overlay with real renders and contract checks.

The public names load on first use (PEP 562): pytest imports this package on
every start-up, gate or not, and the helpers pull in the checks. Names of
internal types exported by earlier releases still resolve, with a
DeprecationWarning, for one release.
"""

from __future__ import annotations

import importlib
import warnings
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
        findings,
    )
    from .core.findings import Finding
    from .core.resources import Container, Overlay, Overlays, PodTemplate, Resource
    from .render.engine import RenderError

#: Where each public name is defined.
_PUBLIC = {
    "Container": "core.resources",
    "Finding": "core.findings",
    "Overlay": "core.resources",
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
    "findings": "checks.assertions",
}

#: Internal types earlier releases exported, where they live now (removed next release).
_INTERNAL = {"Deployable": "core.deployables", "OverlaySpec": "core.deployables"}

__all__ = [
    "Container",
    "Finding",
    "Overlay",
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
    "findings",
]


def __getattr__(name: str) -> Any:
    internal = _INTERNAL.get(name)
    if internal is not None:
        warnings.warn(
            f"{__name__}.{name} is internal and will not be exported by the next release; "
            "the fixtures and helpers take and return Overlay, Overlays and Finding",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(f".{internal}", __name__), name)
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
