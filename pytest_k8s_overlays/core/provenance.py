"""Which patch set a field: the patches of a resource, and the one that set a field path.

Values and pure matching only; reading the patches out of kustomizations is
:mod:`..parse.patches`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A field path as findings write it: ``a.b[0]["odd/key"]``.
_SEGMENT = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')
ANY = "*"

FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class Patch:
    """One patch of a kustomization: where it is written, what it targets, what it sets."""

    #: ``k8s/overlays/prod/patch.yaml``; the kustomization file for an inline patch.
    file: str
    kind: str | None
    #: A name, or a name regex (a ``target``), the resource's name must hold.
    name: str | None
    paths: tuple[FieldPath, ...]
    #: The kustomization entry an inline patch is written in (``patches[1]``), else None.
    entry: str | None = None

    @property
    def source(self) -> str:
        """``k8s/overlays/prod/patch.yaml``, or ``.../kustomization.yaml patches[1]`` inline."""
        return f"{self.file} {self.entry}" if self.entry else self.file

    def applies_to(self, kind: str, name: str) -> bool:
        """Tell whether the patch plausibly targets a resource of that kind and name
        (prefixes and suffixes added later make the rendered name longer)."""
        if self.kind is not None and self.kind != kind:
            return False
        if not self.name:
            return True
        try:
            return self.name in name or re.search(self.name.strip("^$"), name) is not None
        except re.error:
            return False

    def sets(self, path: FieldPath, present: bool = True) -> bool:
        """Tell whether the patch sets the field ``path``, something under it or above
        it; for a field the manifest lacks (``present`` false), whether it sets the
        named list element holding it (the container a patch added without an image)."""
        return any(_overlaps(path, own) for own in self.paths) or (
            not present and any(_same_element(path, own) for own in self.paths)
        )


@dataclass(frozen=True)
class Provenance:
    """Where a field of a rendered resource comes from: the file the resource came from
    (Kustomize's origin) and, when a patch set the field, that patch (its file, and its
    entry in a kustomization when it is written inline). Paths are relative to the
    rootdir; the line is found from these and the field path where a report needs one."""

    #: ``k8s/base/deployment.yaml``; None when Kustomize could not tell.
    file: str | None = None
    #: The patch that set the field last: ``k8s/overlays/prod/patch.yaml``, or the
    #: kustomization file of an inline patch.
    patch: str | None = None
    #: The kustomization entry of an inline patch (``patches[1]``), else None.
    entry: str | None = None

    @classmethod
    def of(cls, file: str | None, patch: Patch | None = None) -> Provenance | None:
        """The provenance of a field of a resource from ``file`` that ``patch`` set (None:
        no patch did); None when neither is known. A patch written in the resource's own
        file names nothing more: one value per text the finding lines show."""
        if patch is None or patch.source == file:
            return cls(file) if file else None
        return cls(file, patch.file, patch.entry)

    @property
    def patch_source(self) -> str | None:
        """The patch as findings name it: its file, or ``kustomization.yaml patches[1]``."""
        if self.patch is None:
            return None
        return f"{self.patch} {self.entry}" if self.entry else self.patch

    @property
    def patched(self) -> bool:
        """Tell whether a patch written elsewhere than the resource's own file set the field."""
        return bool(self.file) and self.patch is not None and self.patch_source != self.file

    @property
    def single(self) -> str | None:
        """The one file (or inline patch) the field comes from, when it is not ``patched``."""
        if self.patched:
            return None
        return self.patch_source or self.file or None

    def __str__(self) -> str:
        """``prod/patch.yaml, patching base/ingress.yaml``; the one file when only one is known."""
        if self.patched:
            return f"{self.patch_source}, patching {self.file}"
        return self.single or ""

    def __lt__(self, other: Provenance) -> bool:
        # Findings sort by their fields; a missing part sorts first.
        return self._key() < other._key()

    def _key(self) -> tuple[str, str, str]:
        return (self.file or "", self.patch or "", self.entry or "")


#: The fields of a Kustomize patch ``target:`` (types.Selector), in the order shown.
TARGET_FIELDS = (
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "labelSelector",
    "annotationSelector",
)


@dataclass(frozen=True)
class PatchTarget:
    """A patch entry of a kustomization with a ``target:``: where it is listed
    (``patches[1]``, ``patchesJson6902[0]``) and what the target selects (each field a
    regular expression, or a selector text for the two selectors; None when not set)."""

    entry: str
    selector: tuple[tuple[str, str], ...]

    def get(self, field: str) -> str | None:
        """The target's ``field``, or None when it does not set it."""
        return dict(self.selector).get(field)

    def __str__(self) -> str:
        return ", ".join(f"{key}: {value}" for key, value in self.selector) or "{}"


def _matches(one: str, other: str) -> bool:
    return one == other or ANY in (one, other)


def _overlaps(one: FieldPath, other: FieldPath) -> bool:
    if not one or not other:
        return False
    return all(_matches(a, b) for a, b in zip(one, other, strict=False))


def _same_element(path: FieldPath, other: FieldPath) -> bool:
    """Tell whether ``other`` lies in the named list element that holds ``path``."""
    named = [i for i, segment in enumerate(path) if segment.startswith("name=")]
    if not named:
        return False
    depth = named[-1] + 1
    return (
        len(other) >= depth
        and all(_matches(a, b) for a, b in zip(path[: depth - 1], other, strict=False))
        and other[depth - 1] == path[depth - 1]
    )


def element_key(item: Any) -> str:
    """A list element as a path segment: ``name=api`` when it has a name (strategic
    merge matches containers, ports, env... by it), else any element."""
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        return f"name={item['name']}"
    return ANY


def field_path(text: str, raw: Mapping[str, Any]) -> tuple[FieldPath, bool]:
    """A finding's field path as segments, list indexes read as the elements' names
    (``containers[0]`` is ``name=api``) as the manifest ``raw`` has them; and whether
    the manifest has that field at all."""
    segments: list[str] = []
    node: Any = raw
    present = True
    for match in _SEGMENT.finditer(text):
        key, index, quoted = match.groups()
        if index is not None:
            items = node if isinstance(node, list) else []
            position = int(index)
            present = present and position < len(items)
            node = items[position] if position < len(items) else None
            segments.append(element_key(node))
            continue
        key = key if key is not None else quoted.replace('\\"', '"')
        segments.append(key)
        present = present and isinstance(node, Mapping) and key in node
        node = node.get(key) if isinstance(node, Mapping) else None
    return tuple(segments), present and node is not None


def setting_patch(patches: Sequence[Patch], path: FieldPath, present: bool = True) -> Patch | None:
    """The patch that set ``path`` last, if any patch set it."""
    for patch in reversed(patches):
        if patch.sets(path, present):
            return patch
    return None
