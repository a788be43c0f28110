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

from ..checks.images import ImageEntry, ImageRef, kustomize_split
from ..core.deployables import Deployable
from ..core.resources import Resource
from ..parse.kustomization import (
    KustomizationError,
    kustomization_file,
    load_kustomization,
    referenced_directories,
)
from ..parse.kustomize_edit import EditError, parse_image
from .locate import (
    Location,
    application_field_line,
    document_of,
    field_steps,
    file_field,
    file_field_line,
    file_lines,
    resource_line,
)

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


def override_image_location(spec: Deployable, resource: Resource, path: str) -> Location | None:
    """The ``kustomize.images`` override of an Argo CD Application that wrote the image
    at ``path`` of ``resource``: on that line of its manifest (of its ApplicationSet's
    template when generated), the line a pull request changes, not the overlay's
    ``images:`` entry or the base it never touched; None when no override wrote it."""
    if spec.recipe is None or spec.application is None or spec.defined_in is None:
        return None
    steps = field_steps(path) if path else None
    image = _value(resource.raw, path) if steps and steps[-1] == "image" else None
    if image is None:
        return None
    ref = kustomize_split(image)
    for source in spec.recipe.sources:
        arguments = source.overrides.get("images")
        for index, argument in enumerate(arguments if isinstance(arguments, list) else []):
            if not isinstance(argument, str) or not _writes(argument, ref):
                continue
            line = _override_line(spec.defined_in, spec.name, argument, index)
            if line is not None:
                return spec.defined_in, line
            # Else written in an .argocd-source file of the source (Argo CD Image
            # Updater's write-back, merged into the Application's overrides).
            for merged in source.merged:
                line = _merged_line(merged, argument)
                if line is not None:
                    return merged, line
    return None


def _merged_line(file: Path, argument: str) -> int | None:
    """The line of an ``.argocd-source`` file's ``kustomize.images`` entry ``argument``."""
    lines = file_lines(file)
    index = 0
    while (line := file_field(file, f"kustomize.images[{index}]")) is not None:
        if line <= len(lines) and argument in lines[line - 1]:
            return line
        index += 1
    return None


def _writes(argument: str, ref: ImageRef) -> bool:
    """Whether the override ``argument`` (``kustomize edit set image``'s) writes ``ref``."""
    try:
        parsed = parse_image(argument)
    except EditError:
        return False
    if parsed.get("newName") == PRESERVE:
        # ``name=*:tag`` keeps the entry's new name (Image Updater writes these): the tag
        # or digest tells.
        entry = ImageEntry.from_raw({**parsed, "name": ref.name, "newName": ""})
    else:
        entry = ImageEntry.from_raw(parsed)
    return entry is not None and entry.produced(ref)


#: ``kustomize edit set image name=*:tag``: keep the entry's new name.
PRESERVE = "*"


#: How many sources of one Application are searched for an override.
_MAX_SOURCES = 16


def _override_line(file: Path, name: str, argument: str, index: int) -> int | None:
    """The line of the ``index``-th images override, written as ``argument``: of the
    Application's one source, else of whichever of its sources writes it there."""
    lines = file_lines(file)
    fields = [f"spec.source.kustomize.images[{index}]"]
    fields += [f"spec.sources[{n}].kustomize.images[{index}]" for n in range(_MAX_SOURCES)]
    for field in fields:
        line = application_field_line(file, "Application", name, field)
        if line is not None and line <= len(lines) and argument in lines[line - 1]:
            return line
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


def manifest_location(resource: Resource, path: str, kustomization: Path) -> Location | None:
    """The manifest that defines ``resource`` when Kustomize could not say (a JSON patch
    that replaced its annotations took its origin annotation with them): the first file
    a kustomization of the unit's chain lists, from the unit's own outwards, with a
    document of its kind whose name the rendered name holds; None when none has one."""
    for file, data in _outermost_first(kustomization):
        entries = data.get("resources")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str) or not entry.endswith((".yaml", ".yml", ".json")):
                continue
            manifest = file.parent / entry
            try:
                if manifest.is_file() and document_of(manifest, resource.kind, resource.name):
                    return manifest, resource_line(manifest, resource.kind, resource.name, path)
            except OSError:
                continue
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
