"""Which Kubernetes versions kubernetes-validate bundles, and which one a user means."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

#: A bundled schema directory: ``v1.37.0-local`` or ``v1.37.0-local-strict``.
_DIRECTORY = re.compile(r"^(v(\d+)\.(\d+)\.\d+)-local$")
#: What users write: ``1.30``, ``v1.30.4``, ``1.30.4-eks-abc``, ``1.30+`` (GKE).
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$")


class UnsupportedVersion(ValueError):
    """A Kubernetes version kubernetes-validate bundles no schemas for, or not a version."""


def _package_dir() -> Path:
    # find_spec locates the package without importing it (its import pulls in
    # packaging and importlib_resources, which the check never needs).
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise UnsupportedVersion("kubernetes-validate is not installed: pip install it")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


@lru_cache(maxsize=1)
def _bundled() -> dict[str, str]:
    # X.Y -> directory stem (``v1.37.0``); the newest patch wins if several exist.
    found: dict[str, str] = {}
    for entry in sorted(_package_dir().iterdir()):
        if match := _DIRECTORY.match(entry.name):
            found[f"{match.group(2)}.{match.group(3)}"] = match.group(1)
    return found


def bundled_versions() -> tuple[str, ...]:
    """The ``X.Y`` versions bundled with kubernetes-validate, oldest first."""
    return tuple(sorted(_bundled(), key=_minor))


def validator_version() -> str:
    """The installed kubernetes-validate version, e.g. ``1.37.0``."""
    try:
        return importlib.metadata.version("kubernetes-validate")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def supported_range() -> str:
    """``supported versions are 1.25 to 1.37 (kubernetes-validate 1.37.0)``."""
    versions = bundled_versions()
    span = f"{versions[0]} to {versions[-1]}" if versions else "none"
    return f"supported versions are {span} (kubernetes-validate {validator_version()})"


def resolve_version(text: str | None) -> str:
    """Turn ``v1.30.4`` / ``1.30`` / ``1.30.4-eks-abc`` (None: the newest) into a bundled ``X.Y``.

    Raise UnsupportedVersion, naming the supported range, for anything else.
    """
    versions = bundled_versions()
    if not versions:
        raise UnsupportedVersion(f"kubernetes-validate bundles no schemas: {supported_range()}")
    if text is None or not text.strip():
        return versions[-1]
    match = _VERSION.match(text.strip())
    if not match:
        raise UnsupportedVersion(
            f"{text.strip()!r} is not a Kubernetes version (write 1.30 or v1.30.4): "
            f"{supported_range()}"
        )
    wanted = f"{int(match.group(1))}.{int(match.group(2))}"
    if wanted not in versions:
        raise UnsupportedVersion(f"Kubernetes {wanted} is not bundled: {supported_range()}")
    return wanted


def schema_directory(version: str, strict: bool) -> Path:
    """The bundled directory holding ``_definitions.json`` for a resolved version."""
    suffix = "-local-strict" if strict else "-local"
    return _package_dir() / f"{_bundled()[version]}{suffix}"
