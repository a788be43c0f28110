"""Turn the YAML stream Kustomize prints into resources, with where each comes from."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..core.paths import display_path
from ..core.provenance import Patch
from ..core.resources import FoundPatches, Resource
from .patches import labelled_in, patched_in, patches_for
from .safe_yaml import describe_yaml_error, load_bounded

#: The annotation Kustomize's ``buildMetadata: [originAnnotations]`` adds.
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
#: The annotation ``buildMetadata: [transformerAnnotations]`` adds.
TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"
#: Where an origin keeps the kustomization files whose patches touched the resource.
PATCHED_IN = "patchedIn"
#: Where an origin keeps the kustomization files whose labels Kustomize added to it.
LABELLED_IN = "labelledIn"
#: What an origin keeps of the transformations annotation (never shown as an origin).
_TRANSFORMED = (PATCHED_IN, LABELLED_IN)


class ParseError(Exception):
    """Rendered output that is not a stream of YAML mappings."""


def load_documents(text: str | bytes, max_bytes: int | None = None) -> list[dict[str, Any]]:
    """Parse a multi-document YAML stream into dicts, skipping empty documents."""
    try:
        documents = load_bounded(text, max_bytes=max_bytes)
    except yaml.YAMLError as error:
        raise ParseError(
            f"rendered output is not valid YAML: {describe_yaml_error(error)}"
        ) from None
    result: list[dict[str, Any]] = []
    for index, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ParseError(
                f"rendered document {index} is a {type(document).__name__}, not a mapping"
            )
        result.append(document)
    return result


def pop_origin(document: dict[str, Any]) -> str | None:
    """Remove the origin annotation Kustomize added and return its text.

    Leaves ``metadata.annotations`` out entirely when the origin was its only
    entry, so the document reads as a plain render.
    """
    value = _pop_annotation(document, ORIGIN_ANNOTATION)
    return value if isinstance(value, str) else None


def pop_transformations(document: dict[str, Any]) -> Any:
    """Remove the transformations annotation Kustomize added and return it: its text,
    or once compacted the kustomizations it names (a list: those whose patches ran;
    a mapping: those whose patches and whose labels did)."""
    return _pop_annotation(document, TRANSFORMATIONS_ANNOTATION, str | list | dict)


def _named(value: Any) -> list[str]:
    return [k for k in value if isinstance(k, str)] if isinstance(value, list) else []


def _patched_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return _named(value.get(PATCHED_IN))
    if isinstance(value, list):
        return _named(value)
    return patched_in(value) if isinstance(value, str) else []


def _labelled_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return _named(value.get(LABELLED_IN))
    return labelled_in(value) if isinstance(value, str) else []


def _pop_annotation(document: dict[str, Any], key: str, kinds: Any = str) -> Any:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return None
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or key not in annotations:
        return None
    raw = annotations.pop(key)
    if not annotations:
        del metadata["annotations"]
    return raw if isinstance(raw, kinds) else None


def put_origin(document: dict[str, Any], text: str) -> None:
    """Put an origin annotation back (for users who ask to see it)."""
    metadata = document.setdefault("metadata", {})
    if isinstance(metadata, dict):
        annotations = metadata.setdefault("annotations", {})
        if isinstance(annotations, dict):
            annotations[ORIGIN_ANNOTATION] = text


def parse_origin(text: str | None) -> dict[str, Any] | None:
    """Parse an origin annotation (``path: k8s/base/service.yaml``...); None if unreadable."""
    if text is None:
        return None
    try:
        documents = load_bounded(text)
    except yaml.YAMLError:
        return None
    origin = documents[0] if len(documents) == 1 else None
    return origin if isinstance(origin, dict) else None


#: Origin fields that hold a local path, relative to the kustomization built.
_ORIGIN_PATHS = ("path", "configuredIn")


def absolute_origin(origin: dict[str, Any] | None, wrapper: Path) -> dict[str, Any] | None:
    """Make the local paths of an origin annotation absolute (they are relative
    to the wrapper kustomization, a temporary directory)."""
    if not origin or origin.get("repo"):
        return origin
    return {
        key: os.path.normpath(wrapper / value)
        if key in _ORIGIN_PATHS and isinstance(value, str)
        else [os.path.normpath(wrapper / path) for path in value]
        if key in _TRANSFORMED and isinstance(value, list)
        else value
        for key, value in origin.items()
    }


def origin_source(origin: dict[str, Any] | None) -> str | None:
    """Turn an origin annotation into a source: a path, or ``repo@ref//path``."""
    if not origin:
        return None
    repo = origin.get("repo")
    path = origin.get("path") or origin.get("configuredIn")
    if not isinstance(path, str):
        return None
    if isinstance(repo, str) and repo:
        ref = origin.get("ref")
        return f"{repo}{'@' + str(ref) if ref else ''}//{path}"
    return path


#: A parsed render: each document, its source (see origin_source) and the
#: origin annotation taken out of it, with absolute local paths.
Parsed = list[tuple[dict[str, Any], str | None, dict[str, Any] | None]]


#: A transformations annotation as Kustomize prints it: a literal block, indented.
_TRANSFORMATIONS_BLOCK = re.compile(
    r"^( +)alpha\.config\.kubernetes\.io/transformations: \|-?\n((?:\1  .*\n)+)", re.MULTILINE
)


def _compact_transformations(text: str) -> str:
    """Replace each transformations annotation with the kustomizations whose patches
    and labels it names, before YAML parsing: the full blocks more than double a render."""

    def compact(match: re.Match[str]) -> str:
        block = match.group(2)
        kept = json.dumps({PATCHED_IN: patched_in(block), LABELLED_IN: labelled_in(block)})
        return f"{match.group(1)}{TRANSFORMATIONS_ANNOTATION}: {kept}\n"

    return _TRANSFORMATIONS_BLOCK.sub(compact, text)


def parse_render(text: str | bytes, wrapper: Path | None) -> Parsed:
    """Parse a render, moving Kustomize's origin and transformer annotations out of the
    documents."""
    parsed: Parsed = []
    if wrapper is not None:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        if TRANSFORMATIONS_ANNOTATION in text:
            text = _compact_transformations(text)
    for document in load_documents(text):
        origin = None
        if wrapper is not None:
            origin = parse_origin(pop_origin(document))
            transformations = pop_transformations(document)
            for key, kustomizations in (
                (PATCHED_IN, _patched_in(transformations)),
                (LABELLED_IN, _labelled_in(transformations)),
            ):
                if kustomizations:
                    origin = {**(origin or {}), key: kustomizations}
            origin = absolute_origin(origin, wrapper)
        parsed.append((document, origin_source(origin), origin))
    return parsed


def _shown(source: str | None, root: Path) -> str | None:
    return display_path(source, root) if source and os.path.isabs(source) else source


def to_resources(parsed: Parsed, root: Path, keep_origins: bool = False) -> tuple[Resource, ...]:
    """Build resources, showing source paths relative to ``root``.

    With ``keep_origins``, the origin annotations go back into the manifests.
    """
    if keep_origins:
        for document, _, origin in parsed:
            if origin is not None and set(origin) - set(_TRANSFORMED):
                shown = {
                    key: _shown(value, root) if key in _ORIGIN_PATHS else value
                    for key, value in origin.items()
                    if key not in _TRANSFORMED
                }
                put_origin(document, yaml.safe_dump(shown, sort_keys=False))
    known: dict[str, tuple[Patch, ...]] = {}
    return tuple(
        Resource(
            document,
            _shown(source, root),
            _patches(document, origin, root, known),
            _kustomizations(origin, PATCHED_IN),
            _kustomizations(origin, LABELLED_IN),
        )
        for document, source, origin in parsed
    )


def _kustomizations(origin: dict[str, Any] | None, key: str) -> tuple[str, ...]:
    """The kustomization files whose patch (or label) transformers saw a resource."""
    named = origin.get(key) if origin else None
    if not isinstance(named, list):
        return ()
    return tuple(dict.fromkeys(k for k in named if isinstance(k, str)))


def _patches(
    document: dict[str, Any],
    origin: dict[str, Any] | None,
    root: Path,
    known: dict[str, tuple[Patch, ...]],
) -> Sequence[Patch]:
    """The patches that plausibly touched a resource, from the kustomizations that did:
    found when first asked for."""
    kustomizations = origin.get(PATCHED_IN) if origin else None
    if not isinstance(kustomizations, list) or not kustomizations:
        return ()
    kind, metadata = document.get("kind"), document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(kind, str) or not isinstance(name, str):
        return ()
    paths = [k for k in kustomizations if isinstance(k, str)]
    return FoundPatches(lambda: patches_for(kind, name, paths, root, known))
