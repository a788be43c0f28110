"""Plain-directory sources, read the way Argo CD's repo server reads them.

Files of the source directory in lexical order (subdirectories only with
``recurse``, depth first, symlinked directories not followed), named
``*.yaml``, ``*.yml`` or ``*.json``; ``exclude`` then ``include`` globs
(gobwas, ``*`` crossing ``/``) on the path relative to the source; files
containing ``+argocd:skip-file-rendering`` skipped. A YAML file is a stream
of documents, each with a ``kind``; a JSON file one object. A file that does
not parse and does not look like a manifest (no ``apiVersion:``, ``kind:``
and ``metadata:``) is ignored, as Argo CD does with ``values.yaml``.
``List`` kinds are replaced by their items. Jsonnet files are not evaluated:
they are reported as not rendered.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...core.globs import glob_match
from ...parse.safe_yaml import SafeLoader, load_bounded

_MANIFEST = re.compile(r"^.*\.(yaml|yml|json|jsonnet)$")
SKIP_MARKER = "+argocd:skip-file-rendering"


class DirectoryError(Exception):
    """A directory source Argo CD would refuse; the message names the file, and ``file``
    is that file when one manifest file is the reason (None: the directory itself)."""

    def __init__(self, message: str, file: Path | None = None) -> None:
        super().__init__(message)
        self.file = file


@dataclass
class DirectoryRender:
    """The documents of a directory source, each with its file, and what was not rendered."""

    documents: list[tuple[dict[str, Any], Path]] = field(default_factory=list)
    not_rendered: list[str] = field(default_factory=list)


def _files(directory: Path, recurse: bool) -> Iterator[Path]:
    """``filepath.Walk``: names in lexical order, directories entered where they sort."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        raise DirectoryError(f"{directory}: {error}") from None
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if recurse:
                yield from _files(Path(entry.path), recurse)
        else:
            yield Path(entry.path)


def wanted(relative: str, settings: Mapping[str, Any]) -> bool:
    """Whether ``exclude`` and ``include`` keep a file (path relative to the source)."""
    exclude = settings.get("exclude")
    include = settings.get("include")
    if isinstance(exclude, str) and exclude and glob_match(exclude, relative):
        return False
    return not (isinstance(include, str) and include and not glob_match(include, relative))


def _target(path: Path, root: Path) -> Path | None:
    """The file to read: a symlink's target inside the repository, None when dangling."""
    if not path.is_symlink():
        return path
    target = path.resolve()
    if not target.exists() or not target.is_file():
        return None
    if root.resolve() not in target.parents:
        raise DirectoryError(f"illegal filepath in symlink at {path}")
    return target


def _documents(text: str, shown: str) -> list[dict[str, Any]]:
    if shown.endswith(".json"):
        try:
            loaded = json.loads(text)
        except ValueError as error:
            raise DirectoryError(f'Failed to unmarshal "{shown}": {error}') from None
        if not isinstance(loaded, dict):
            raise DirectoryError(
                f'Found multiple objects in "{shown}". Only single objects are allowed in '
                "JSON files."
            )
        return [loaded]
    documents: list[dict[str, Any]] = []
    try:
        for document in load_bounded(text, SafeLoader):
            if document is None:
                continue
            if not isinstance(document, dict) or "kind" not in document:
                raise ValueError("Object 'Kind' is missing")
            documents.append(document)
    except (yaml.YAMLError, ValueError) as error:
        # Argo CD fails a file only when it was decoding manifests from it, or when it
        # looks like one; anything else (values.yaml) is silently not a manifest.
        looks = all(marker in text for marker in ("apiVersion:", "kind:", "metadata:"))
        if documents or looks:
            problem = error if isinstance(error, ValueError) else "not valid YAML"
            raise DirectoryError(f'Failed to unmarshal "{shown}": {problem}') from None
        return []
    return documents


def _expand_lists(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for document in documents:
        items = document.get("items")
        if isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict))
        elif "items" in document and items is None and not ({"spec", "status"} & set(document)):
            continue
        else:
            yield document


def read_directory(directory: Path, root: Path, settings: Mapping[str, Any]) -> DirectoryRender:
    """Read a plain-directory source as Argo CD does; raise DirectoryError where it fails."""
    result = DirectoryRender()
    recurse = bool(settings.get("recurse"))
    for path in _files(directory, recurse):
        relative = path.relative_to(directory).as_posix()
        if not _MANIFEST.match(path.name) or not wanted(relative, settings):
            continue
        target = _target(path, root)
        if target is None:
            continue
        if path.name.endswith(".jsonnet"):
            result.not_rendered.append(f"{relative}: Jsonnet is not evaluated here")
            continue
        text = target.read_text(encoding="utf-8", errors="replace")
        if SKIP_MARKER in text:
            continue
        try:
            documents = _documents(text, relative)
        except DirectoryError as error:
            raise DirectoryError(str(error), path) from None
        for document in _expand_lists(documents):
            result.documents.append((document, path))
    return result


def refusing_file(directory: Path, root: Path, settings: Mapping[str, Any]) -> Path | None:
    """The manifest file a read of this directory source fails on, as Argo CD's fails on
    the first in its order; None when the read succeeds or fails on something else."""
    try:
        read_directory(directory, root, settings)
    except (DirectoryError, OSError) as error:
        return error.file if isinstance(error, DirectoryError) else None
    return None
