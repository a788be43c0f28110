"""The unit every check runs on: a deployable, as discovered, before it is rendered.

A deployable is what one Argo CD Application (or one ``kubectl apply -k``)
deploys: a name, a group (what shares its cluster), the kustomization it
builds and the file its test items are collected under. An overlay found
under ``--overlays`` is one kind; an Argo CD Application is another. Nothing
downstream of discovery and rendering needs to know which one it holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .text import shown

if TYPE_CHECKING:
    # Argo CD mode's values; the argocd package loads only with --overlays-argocd.
    from .applications import AppFacts, Recipe

#: The kinds of deployable, as shown in messages.
OVERLAY = "overlay"
APPLICATION = "application"
#: A ``kind: Component`` no gated overlay uses, rendered through a consumer.
COMPONENT = "component"


@dataclass(frozen=True)
class Deployable:
    """One deployable as discovered: its name, group and what to build."""

    name: str
    group: str
    #: The kustomization directory Kustomize builds.
    path: Path
    #: That directory's kustomization file.
    kustomization: Path
    kind: str = OVERLAY
    #: Where resources without a namespace land (an Application's destination).
    namespace: str | None = None
    #: The manifest that defines it (an Application's or ApplicationSet's file);
    #: None for an overlay, which its kustomization file defines.
    defined_in: Path | None = None
    #: How Argo CD renders it (an Application's sources, overrides, environment);
    #: None for an overlay, which Kustomize builds as it is.
    recipe: Recipe | None = None
    #: What Argo CD mode knows of the Application (its problems, its project).
    application: AppFacts | None = None
    #: For a Component: the kustomization directories it is rendered through, in
    #: order of preference (see :mod:`.components`).
    consumers: tuple[Path, ...] = ()
    #: The directory nothing it builds may leave (its repository, see
    #: :func:`~.paths.repository_of`); None: not confined (an Argo CD Application
    #: is confined by its recipe, a ``render_overlay`` call by whoever makes it).
    repository: Path | None = None

    @property
    def anchor(self) -> Path:
        """The file its test items are collected under (node ids start with it)."""
        return self.defined_in or self.kustomization


#: The name earlier versions gave a discovered overlay.
OverlaySpec = Deployable


@dataclass(frozen=True)
class Group:
    """The deployables that share a cluster (one ``--overlays`` value): compared together."""

    name: str
    root: Path
    overlays: tuple[Deployable, ...]
    #: Components under the root that no gated overlay uses, each with consumers.
    components: tuple[Deployable, ...] = ()
    #: Components under the root that no gated overlay uses and none can render.
    unexercised: tuple[Path, ...] = ()
    #: The directory nothing its deployables build may leave (None: not confined).
    repository: Path | None = None
    #: Overlays under a root that is itself one overlay (a kustomization directory),
    #: which it does not build with: not gated by this group, and said so.
    nested: tuple[Path, ...] = ()


def unique_names(specs: Sequence[Deployable]) -> list[str]:
    """The names of deployables one file defines, each unique: an ApplicationSet that
    generates one name twice (a ``duplicate-generated-name`` finding) gets ``name``
    and ``name[2]``, so node ids, ``--lf`` and reports tell them apart."""
    seen: Counter[str] = Counter()
    names = []
    for spec in specs:
        seen[spec.name] += 1
        name = spec.name if seen[spec.name] == 1 else f"{spec.name}[{seen[spec.name]}]"
        names.append(shown(name, None))
    return names
