"""What a kustomization file says: where it is, what it holds, which directories it uses."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .parsing import SafeLoader

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


def read_kustomization(path: Path) -> dict[str, Any]:
    """Load a kustomization file; an unreadable one counts as empty.

    Discovery must never crash on a broken file: the render of that overlay
    reports the problem in Kustomize's own words.
    """
    try:
        with path.open("rb") as handle:
            data = yaml.load(handle, Loader=SafeLoader)
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


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
                yield target.resolve()


def is_component(kustomization: dict[str, Any]) -> bool:
    """Tell whether a kustomization is a ``kind: Component`` (never built on its own)."""
    return kustomization.get("kind") == "Component"
