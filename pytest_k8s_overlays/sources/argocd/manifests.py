"""The Argo CD manifests of an instance: Applications, ApplicationSets, AppProjects, argocd-cm.

An instance is a file or a directory of YAML files, searched recursively
(hidden directories skipped); documents of other kinds are ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...core.fields import as_dict
from ...core.paths import OutsideRepository, inside
from ...parse.safe_yaml import describe_yaml_error, load_bounded, read_text
from .functions import KubectlLoader

APPLICATION = "Application"
APPLICATION_SET = "ApplicationSet"
APP_PROJECT = "AppProject"
ARGO_KINDS = (APPLICATION, APPLICATION_SET, APP_PROJECT)
CONFIG_MAP_NAME = "argocd-cm"
_SUFFIXES = (".yaml", ".yml")


class ManifestError(Exception):
    """An instance path that holds no Argo CD manifest, or a file that does not parse."""


@dataclass(frozen=True)
class Manifest:
    """One Argo CD manifest and where it is written (file and document index)."""

    data: dict[str, Any]
    file: Path
    index: int = 0

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @property
    def name(self) -> str:
        return str(as_dict(self.data.get("metadata")).get("name") or "")

    @property
    def namespace(self) -> str:
        return str(as_dict(self.data.get("metadata")).get("namespace") or "")


@dataclass
class Manifests:
    """The manifests of one instance, by kind."""

    applications: list[Manifest] = field(default_factory=list)
    application_sets: list[Manifest] = field(default_factory=list)
    projects: list[Manifest] = field(default_factory=list)
    config: Manifest | None = None

    def add(self, manifest: Manifest) -> None:
        kind = manifest.kind
        if kind == APPLICATION:
            self.applications.append(manifest)
        elif kind == APPLICATION_SET:
            self.application_sets.append(manifest)
        elif kind == APP_PROJECT:
            self.projects.append(manifest)
        elif self.config is None:
            self.config = manifest


def is_argo(document: Any) -> bool:
    """An Argo CD custom resource, or the argocd-cm ConfigMap."""
    if not isinstance(document, dict):
        return False
    api = str(document.get("apiVersion") or "")
    kind = document.get("kind")
    if api.startswith("argoproj.io/") and kind in ARGO_KINDS:
        return True
    name = as_dict(document.get("metadata")).get("name")
    return kind == "ConfigMap" and api == "v1" and name == CONFIG_MAP_NAME


def _yaml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    found: list[Path] = []
    for current, dirnames, filenames in os.walk(path, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(current, n) for n in sorted(filenames) if n.endswith(_SUFFIXES))
    return found


def read_file(file: Path, shown: str) -> list[Any]:
    """The documents of one YAML file; ManifestError says where it does not parse."""
    try:
        return load_bounded(read_text(file), KubectlLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{shown}: cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise ManifestError(f"{shown}: not valid YAML: {describe_yaml_error(error)}") from None


def read_manifests(path: Path, shown: str, root: Path | None = None) -> Manifests:
    """Every Argo CD manifest under ``path``; ManifestError when there is none, or when a
    file is a symbolic link out of both ``path`` and the repository ``root``."""
    manifests = Manifests()
    for file in _yaml_files(path):
        display = (
            shown if file == path else f"{shown.rstrip('/')}/{file.relative_to(path).as_posix()}"
        )
        if root is not None and file != path:
            _inside_either(file, (path, root), display)
        for index, document in enumerate(read_file(file, display)):
            if is_argo(document):
                manifests.add(Manifest(document, file, index))
    if not (manifests.applications or manifests.application_sets):
        raise ManifestError(f"{shown}: no Argo CD Application or ApplicationSet found in {path}")
    return manifests


def _inside_either(file: Path, roots: tuple[Path, ...], shown: str) -> None:
    """Refuse a manifest file linked out of every one of ``roots`` (never reading it)."""
    for root in roots:
        try:
            inside(file, root, shown)
            return
        except OutsideRepository:
            continue
    raise ManifestError(f"{shown}: a symbolic link out of the repository, not read")
