"""Where a field a kustomization wrote was set: the ``images:`` entry that wrote an
image, the ``namespace:`` that set a resource's namespace.

A base Deployment says ``image: app``; each overlay's ``images:`` entry sets
its own name and tag. A finding about the image an entry wrote belongs on that
entry, the line a pull request changes, not on the base every overlay shares.
Likewise a namespace the overlay's ``namespace:`` set (``Staging_EU``, not a
namespace name): one place, the overlay's line, not each base manifest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..checks.images import ImageEntry, kustomize_split
from ..core.resources import Resource
from ..parse.kustomization import (
    KustomizationError,
    kustomization_file,
    load_kustomization,
    referenced_directories,
)
from .locate import Location, field_steps, file_field_line

#: Every scalar a string, as Kustomize reads ``newTag: 1.10`` ("1.10", not 1.1).
_TEXT_LOADER: type[Any] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
#: How many kustomizations a search reads at most (a deep tree of bases).
SEARCH_LIMIT = 64


def _value(raw: Any, path: str) -> str | None:
    """The string at ``path`` of a rendered manifest, if there is one."""
    node = raw
    for step in field_steps(path) or []:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return node if isinstance(node, str) else None


def _entries(data: dict[str, Any]) -> list[tuple[int, ImageEntry]]:
    images = data.get("images")
    if not isinstance(images, list):
        return []
    found = []
    for index, raw in enumerate(images):
        entry = ImageEntry.from_raw(raw)
        if entry is not None:
            found.append((index, entry))
    return found


def image_entry_location(resource: Resource, path: str, kustomization: Path) -> Location | None:
    """The ``images:`` entry that wrote the image at ``path`` of ``resource``: the
    outermost one, searching from the unit's ``kustomization`` through its bases;
    None when the path is no image or no entry wrote it."""
    steps = field_steps(path) if path else None
    if not steps or steps[-1] != "image":
        return None
    image = _value(resource.raw, path)
    if image is None:
        return None
    ref = kustomize_split(image)
    for file, data in _outermost_first(kustomization):
        for index, entry in _entries(data):
            if entry.produced(ref):
                return file, file_field_line(file, f"images[{index}]")
    return None


def namespace_entry_location(resource: Resource, path: str, kustomization: Path) -> Location | None:
    """The ``namespace:`` of a kustomization that set the namespace at ``path``
    (``metadata.namespace``) of ``resource``: the outermost one setting that value,
    searching from the unit's ``kustomization`` through its bases (Kustomize applies
    the outermost last); None when no kustomization set it (the manifest did)."""
    if path != "metadata.namespace":
        return None
    namespace = _value(resource.raw, path)
    if namespace is None:
        return None
    for file, data in _outermost_first(kustomization):
        if data.get("namespace") == namespace:
            return file, file_field_line(file, "namespace")
    return None


def _outermost_first(kustomization: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The unit's kustomization, then its bases and Components, breadth first, each
    loaded with every scalar a string (at most :data:`SEARCH_LIMIT`)."""
    queue = deque([kustomization])
    seen: set[Path] = set()
    while queue and len(seen) < SEARCH_LIMIT:
        file = queue.popleft()
        if file in seen:
            continue
        seen.add(file)
        try:
            data = load_kustomization(file, _TEXT_LOADER)
        except KustomizationError:
            continue
        yield file, data
        for directory in referenced_directories(file.parent, data):
            found = kustomization_file(directory)
            if found is not None:
                queue.append(found)
