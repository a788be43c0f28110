"""What every check shares: its options and its registration record."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..findings import Finding
from ..model import Overlay


@dataclass(frozen=True)
class CheckOptions:
    """The settings checks read; built once from options and ini keys."""

    allow_latest: bool = False
    placeholder_images: tuple[str, ...] = ("*placeholder*",)
    allowed_registries: tuple[str, ...] = ()
    service_label: str | None = None
    namespace: str | None = None
    k8s_version: str | None = None
    strict: bool = True
    crds: tuple[Path, ...] = ()
    require_schemas: bool = False


CheckFunction = Callable[[Sequence[Overlay], CheckOptions], list[Finding]]


@dataclass(frozen=True)
class Check:
    """A registered check: an id, a scope, the pure function and its hints.

    ``scope`` is ``overlay`` for checks that look at one overlay at a time and
    ``group`` for checks that compare the overlays of one group.
    """

    id: str
    scope: Literal["overlay", "group"]
    run: CheckFunction
    summary: str
    hints: Mapping[str, str] = field(default_factory=dict)
    #: Store findings in the render cache, keyed by the renders' content. Worth it
    #: only where checking costs more than reading a small file back (schema).
    cache_findings: bool = False
