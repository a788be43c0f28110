"""What a kustomization file says: where it is, what it holds, which directories it uses."""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml

from ..core import paths
from .safe_yaml import describe_yaml_error, load_bounded, read_bounded

#: The file names Kustomize accepts for a kustomization, in its own order.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

#: Kustomization fields whose entries may name another kustomization directory.
REFERENCE_FIELDS = ("resources", "bases", "components", "generators", "transformers", "validators")

#: ``user@host:path``: a git remote over SSH, for any user (not only ``git@``).
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


def kustomization_file(directory: Path) -> Path | None:
    """Return the kustomization file of ``directory``, or None if it has none."""
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


#: The largest kustomization file the plugin reads itself (Kustomize reads any).
MAX_KUSTOMIZATION_BYTES = 4 << 20


class KustomizationError(ValueError):
    """A kustomization file the plugin cannot read: unreadable, not YAML, too large,
    aliasing too much, or not a mapping."""


def load_kustomization(path: Path, loader: type[Any] | None = None) -> dict[str, Any]:
    """Load a kustomization file (an empty one is ``{}``); raise KustomizationError.

    Its YAML is loaded with bounded size and alias expansion: whatever walks
    the result (discovery, the cache key, the wrapper) can never be made to
    walk a billion entries or a cycle. Each content is loaded once (discovery,
    the cache key and the checks all ask): the caller gets its own copy.
    """
    try:
        data = read_bounded(path, MAX_KUSTOMIZATION_BYTES)
        loaded = _loaded(data, cast("Hashable", loader))
        try:
            copied: dict[str, Any] = _copied(loaded)
            return copied
        except RecursionError:
            return _load(data, loader)  # nested too deep to copy: a fresh load
    except OSError as error:
        raise KustomizationError(f"unreadable: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise KustomizationError(f"not loadable YAML: {describe_yaml_error(error)}") from None


#: Kustomization contents remembered: every one of a large repository, and its bases.
_REMEMBERED = 1 << 14


@lru_cache(maxsize=_REMEMBERED)
def _loaded(data: bytes, loader: Hashable) -> dict[str, Any]:
    return _load(data, cast("type[Any] | None", loader))


def _copied(value: Any) -> Any:
    """A copy of loaded YAML (dicts and lists new, scalars shared): several times faster
    than copy.deepcopy, which the same start-up would spend as long in as in loading."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _load(data: bytes, loader: type[Any] | None) -> dict[str, Any]:
    documents = load_bounded(data, loader)
    if len(documents) > 1:
        raise KustomizationError("holds several YAML documents")
    loaded = documents[0] if documents else None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise KustomizationError(f"is a {type(loaded).__name__}, not a mapping")
    return loaded


def read_kustomization(path: Path) -> dict[str, Any]:
    """Load a kustomization file; an unreadable one counts as empty.

    Discovery must never crash on a broken file: the render of that overlay
    reports the problem in Kustomize's own words.
    """
    try:
        return load_kustomization(path)
    except KustomizationError:
        return {}


#: A block list entry (``- ../../base``), or the entries of a flow list (``[a, b]``).
_BLOCK_ENTRY = re.compile(r"""^\s*-\s+(['"]?)([^'"#\s]+)\1\s*(?:#.*)?$""", re.M)
_FLOW_LIST = re.compile(r"\[([^\]\n]*)\]")


def salvaged_entries(path: Path) -> dict[str, Any]:
    """What a kustomization that does not load (a quote left open) may still say it
    builds with: every list entry written in it, as ``resources``; {} when it cannot
    be read at all. Discovery only (the overlay's render reports the file): without
    them, the base an overlay builds with would be taken for an overlay of its own,
    a second failure and, in pull-request mode, an "added" unit, for one typo."""
    try:
        text = read_bounded(path, MAX_KUSTOMIZATION_BYTES).decode("utf-8", "replace")
    except (OSError, yaml.YAMLError):
        return {}
    entries = [match.group(2) for match in _BLOCK_ENTRY.finditer(text)]
    for flow in _FLOW_LIST.finditer(text):
        entries += [part.strip().strip("'\"") for part in flow.group(1).split(",")]
    return {"resources": [entry for entry in entries if entry]}


def is_remote(entry: str) -> bool:
    """Tell whether a kustomization entry names a remote target (git, http, ssh)."""
    return (
        "://" in entry
        or entry.startswith(("github.com/", "gitlab.com/", "bitbucket.org/"))
        or _SCP_LIKE.match(entry) is not None
    )


def is_dir(path: Path) -> bool:
    # An entry Kustomize will reject (too long, unreadable) is the render's to report.
    try:
        return path.is_dir()
    except OSError:
        return False


def referenced_directories(directory: Path, kustomization: dict[str, Any]) -> Iterator[Path]:
    """Yield the local directories a kustomization uses as resources or components."""
    for field in REFERENCE_FIELDS:
        entries = kustomization.get(field)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, str) or is_remote(entry):
                continue
            target = Path(os.path.normpath(directory / entry))
            if is_dir(target):
                yield paths.resolved(target)


def directories_used_by(directory: Path) -> set[Path]:
    """The local directories ``directory``'s kustomization uses as resources or
    components (none without one; an unreadable one counts as empty)."""
    kfile = kustomization_file(directory)
    return set(referenced_directories(directory, read_kustomization(kfile))) if kfile else set()


def is_consumer(kustomization: dict[str, Any]) -> bool:
    """Tell whether a kustomization is built with what it lists: ``kind: Kustomization``
    or no kind. A Component is never built on its own, and Kustomize refuses any other
    kind ("kind should be Kustomization or Component")."""
    return kustomization.get("kind") in (None, "", "Kustomization")


def is_component(kustomization: dict[str, Any]) -> bool:
    """Tell whether a kustomization is a ``kind: Component`` (never built on its own)."""
    return kustomization.get("kind") == "Component"
