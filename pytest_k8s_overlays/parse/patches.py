"""Which patch set a field: so a finding about it names the patch file, not only the base.

Kustomize's ``buildMetadata: [transformerAnnotations]`` records, on each
resource, the kustomization files whose transformers touched it (for a patch:
``configuredIn: ../prod/kustomization.yaml``, ``kind: PatchTransformer``), but
not which of their patches. This module reads those kustomization files'
``patches`` (and the older ``patchesStrategicMerge`` and ``patchesJson6902``),
keeps the ones that target the resource's kind and name, and records the field
paths each one sets. A finding whose field path such a patch sets then says
``(from prod/patch-ingress.yaml, patching base/ingress.yaml)``.

Reading is best effort and never fails a run: an unreadable kustomization or
patch file names nothing, and the finding keeps the base manifest's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..core.paths import display_path
from ..core.provenance import ANY, TARGET_FIELDS, FieldPath, Patch, PatchTarget, element_key
from .safe_yaml import load_bounded

#: The C safe loader when available (patch files are small, but many).
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The transformers that apply patches, as the annotation names them.
PATCH_TRANSFORMERS = frozenset(
    {"PatchTransformer", "PatchStrategicMergeTransformer", "PatchJson6902Transformer"}
)
#: One entry of the annotation (its format is Kustomize's own and stable): read
#: with a pattern, since a YAML parse per resource would double parsing time.
_ENTRY = re.compile(
    r"configuredIn:\s*(?P<path>\S[^\n]*?)\s*\n\s*configuredBy:\s*\n"
    r"(?:\s*apiVersion:[^\n]*\n)?\s*kind:\s*(?P<kind>\w+)"
)
#: Keys of a strategic-merge patch that say what it patches, not what it sets.
_IDENTITY = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


#: The transformer that adds labels (``commonLabels:``, ``labels:``), as the annotation names it.
LABEL_TRANSFORMER = "LabelTransformer"


def labelled_in(annotation: str) -> list[str]:
    """The kustomization files (as written, relative to the build) whose labels
    (``commonLabels:``, ``labels:``) Kustomize added to a resource."""
    return [
        m.group("path").strip("'\"")
        for m in _ENTRY.finditer(annotation)
        if m.group("kind") == LABEL_TRANSFORMER
    ]


def patched_in(annotation: str) -> list[str]:
    """The kustomization files (as written, relative to the build) whose patches
    touched a resource, in the order Kustomize applied them."""
    return [
        m.group("path").strip("'\"")
        for m in _ENTRY.finditer(annotation)
        if m.group("kind") in PATCH_TRANSFORMERS
    ]


def _leaves(node: Any, prefix: FieldPath = ()) -> Iterator[FieldPath]:
    """The field paths a strategic-merge patch sets (merge keys and directives excluded)."""
    if isinstance(node, Mapping):
        keys = [k for k in node if not str(k).startswith("$")]
        # An element carrying only its merge key sets nothing but says which one.
        named_only = prefix and prefix[-1].startswith("name=") and keys == ["name"]
        if not keys or named_only:
            if not named_only:
                yield prefix
            return
        for key in keys:
            if prefix and prefix[-1].startswith("name=") and key == "name":
                continue
            yield from _leaves(node[key], (*prefix, str(key)))
    elif isinstance(node, list) and node:
        # A list of unnamed elements (an Ingress's rules, args) is replaced whole
        # by a strategic merge: the patch sets all of it.
        if any(element_key(item) == ANY for item in node):
            yield prefix
            return
        for item in node:
            yield from _leaves(item, (*prefix, element_key(item)))
    else:
        yield prefix


def _json_pointer(path: str) -> FieldPath:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.strip("/").split("/")]
    return tuple(ANY if p.isdigit() or p == "-" else p for p in parts if p)


def _op_path(op: Mapping[str, Any]) -> FieldPath:
    """What a JSON 6902 operation sets. An ``add`` into a list (``containers/-``, an
    index) adds an element and sets nothing of the others: when the element has a name
    (a container, a port, an env entry), the path names it (``name=cloud-sql-proxy``),
    so that a finding on another container (its image) is not this patch's."""
    path = _json_pointer(op["path"])
    last = str(op["path"]).rstrip("/").rsplit("/", 1)[-1]
    if op.get("op") == "add" and path and (last == "-" or last.isdigit()):
        key = element_key(op.get("value"))
        if key != ANY:
            return (*path[:-1], key)
    return path


#: Files remembered (each kustomization and patch file of a large repository): an LRU
#: smaller than what one session reads cyclically would remember nothing.
_REMEMBERED = 1 << 14


@lru_cache(maxsize=_REMEMBERED)
def _documents(text: str) -> tuple[Any, ...]:
    """The YAML documents of a kustomization or patch (read once per content)."""
    try:
        return tuple(d for d in load_bounded(text, _Loader) if d is not None)
    except yaml.YAMLError:
        return ()


def _patches_in(
    documents: Sequence[Any], file: str, entry: str | None, target: Mapping[str, Any] | None
) -> Iterator[Patch]:
    """The patches one file (or inline text) holds: JSON 6902 ops or strategic merges."""
    kind = target.get("kind") if target else None
    name = target.get("name") if target else None
    kind = kind if isinstance(kind, str) else None
    name = name if isinstance(name, str) else None
    if len(documents) == 1 and isinstance(documents[0], list):
        ops = [op for op in documents[0] if isinstance(op, Mapping)]
        paths = tuple(_op_path(op) for op in ops if isinstance(op.get("path"), str))
        yield Patch(file, kind, name, paths, entry)
        return
    for document in documents:
        if not isinstance(document, Mapping):
            continue
        metadata = document.get("metadata")
        doc_kind = document.get("kind") if isinstance(document.get("kind"), str) else None
        doc_name = metadata.get("name") if isinstance(metadata, Mapping) else None
        leaves = [leaf for leaf in _leaves(document) if leaf not in _IDENTITY]
        yield Patch(
            file,
            kind or doc_kind,
            name or (doc_name if isinstance(doc_name, str) else None),
            tuple(leaves),
            entry,
        )


@lru_cache(maxsize=_REMEMBERED)
def _read(path: str, mtime_ns: int, size: int) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _text(path: Path) -> str | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


def _listed(kustomization: Mapping[str, Any], field: str) -> list[Any]:
    value = kustomization.get(field)
    return value if isinstance(value, list) else []


def _entries(kustomization: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(field[index], file or inline text, target) of every patch a kustomization lists."""
    for index, entry in enumerate(_listed(kustomization, "patches")):
        if isinstance(entry, Mapping):
            yield f"patches[{index}]", entry.get("path") or entry.get("patch"), entry.get("target")
    for index, entry in enumerate(_listed(kustomization, "patchesStrategicMerge")):
        yield f"patchesStrategicMerge[{index}]", entry, None
    for index, entry in enumerate(_listed(kustomization, "patchesJson6902")):
        if isinstance(entry, Mapping):
            where = f"patchesJson6902[{index}]"
            yield where, entry.get("path") or entry.get("patch"), entry.get("target")


def _file_entry(kfile: Path, value: str) -> Path | None:
    """The patch file a one-line entry names, if it is one (else the entry is the patch)."""
    candidate = kfile.parent / value.strip()
    return candidate if "\n" not in value.strip() and candidate.is_file() else None


def kustomization_patches(kfile: Path, root: Path | None) -> tuple[Patch, ...]:
    """Every patch a kustomization file lists, with what it targets and sets.

    Read once per content of the kustomization and its patch files: every
    resource an overlay patches asks again.
    """
    text = _text(kfile)
    if text is None:
        return ()
    documents = _documents(text)
    data = documents[0] if documents and isinstance(documents[0], Mapping) else {}
    stamps = []
    for _, value, _ in _entries(data):
        file = _file_entry(kfile, value) if isinstance(value, str) and value.strip() else None
        stamps.append(_stamp(file) if file is not None else None)
    return _kustomization_patches(kfile, root, text, tuple(stamps))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=_REMEMBERED)
def _kustomization_patches(
    kfile: Path, root: Path | None, text: str, stamps: tuple[tuple[int, int] | None, ...]
) -> tuple[Patch, ...]:
    documents = _documents(text)
    data = documents[0] if documents and isinstance(documents[0], Mapping) else {}
    shown_kfile = display_path(kfile, root)
    found: list[Patch] = []
    for where, value, target in _entries(data):
        if not isinstance(value, str) or not value.strip():
            continue
        target = target if isinstance(target, Mapping) else None
        file = _file_entry(kfile, value)
        if file is not None:
            body, entry = _text(file), None
            source = display_path(os.path.normpath(file), root)
        else:
            body, source, entry = value, shown_kfile, where
        if body is not None:
            found.extend(_patches_in(_documents(body), source, entry, target))
    return tuple(found)


def patches_for(
    kind: str,
    name: str,
    kustomizations: Sequence[str],
    root: Path | None,
    known: dict[str, tuple[Patch, ...]] | None = None,
) -> tuple[Patch, ...]:
    """The patches of ``kustomizations`` (absolute paths, in the order applied) that
    plausibly target the resource ``kind``/``name``. ``known`` keeps each file's
    patches for the resources of one render (they all ask about the same files)."""
    known = {} if known is None else known
    found: list[Patch] = []
    for kfile in dict.fromkeys(kustomizations):
        if kfile not in known:
            known[kfile] = kustomization_patches(Path(kfile), root)
        found.extend(p for p in known[kfile] if p.applies_to(kind, name))
    return tuple(found)


def patch_targets(kfile: Path) -> tuple[PatchTarget, ...]:
    """The patch entries of a kustomization file that name a ``target:``, with it: the only
    ones Kustomize applies silently to nothing (a patch without one must match its own
    kind and name, or the build fails). None of a Component: its patches apply to what
    each consumer builds, and a reusable one (one patch for Deployments, one for
    StatefulSets) rightly selects nothing in some of them."""
    text = _text(kfile)
    if text is None:
        return ()
    documents = _documents(text)
    data = documents[0] if documents and isinstance(documents[0], Mapping) else {}
    if data.get("kind") == "Component":
        return ()
    found = []
    for where, value, target in _entries(data):
        if not isinstance(target, Mapping) or not isinstance(value, str) or not value.strip():
            continue
        selector = tuple(
            (key, str(target[key]))
            for key in TARGET_FIELDS
            if isinstance(target.get(key), str | int | float) and str(target[key])
        )
        found.append(PatchTarget(where, selector))
    return tuple(found)


#: What a JSON patch replaces to rename its object (Kustomize then matches later
#: targets against the old name, which the render no longer shows).
_RENAMING = (("metadata", "name"), ("metadata",))


def renamed_kinds(kfile: Path) -> frozenset[str | None]:
    """The kinds whose objects a patch of the kustomization may rename (None: any kind)."""
    return frozenset(
        patch.kind
        for patch in kustomization_patches(kfile, None)
        if any(path in _RENAMING for path in patch.paths)
    )
