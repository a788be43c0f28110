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
    #: Files that say they hold Argo CD manifests and do not parse: (file, why).
    invalid: list[tuple[Path, str]] = field(default_factory=list)
    #: Files that do not parse and name no Argo CD kind, as shown: not read.
    unread: list[str] = field(default_factory=list)
    #: Helm charts met under the path (not entered), said in words.
    charts: list[str] = field(default_factory=list)

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


def _yaml_files(path: Path, charts: list[Path]) -> list[Path]:
    """The YAML files under ``path``; a Helm chart's directory (its ``Chart.yaml``) is
    not entered, and is added to ``charts``: its templates are Helm's to render."""
    if path.is_file():
        return [path]
    found: list[Path] = []
    for current, dirnames, filenames in os.walk(path, followlinks=True):
        if HELM_CHART in filenames:
            dirnames[:] = []
            charts.append(Path(current))
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(current, n) for n in sorted(filenames) if n.endswith(_SUFFIXES))
    return found


#: What makes a directory a Helm chart (Helm's, and Argo CD's, test).
HELM_CHART = "Chart.yaml"


def read_file(file: Path, shown: str) -> list[Any]:
    """The documents of one YAML file; ManifestError says where it does not parse."""
    try:
        return load_bounded(read_text(file), KubectlLoader)
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{shown}: cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise ManifestError(f"{shown}: not valid YAML: {describe_yaml_error(error)}") from None


def _names_argo(file: Path) -> bool:
    """Tell whether a file's text names an Argo CD API (``argoproj.io/``)."""
    try:
        return "argoproj.io/" in read_text(file)
    except (OSError, UnicodeDecodeError, ValueError):
        return True  # it might: a finding, not a silent skip


def read_manifests(path: Path, shown: str, root: Path | None = None) -> Manifests:
    """Every Argo CD manifest under ``path``; ManifestError when there is none, or when a
    file is a symbolic link out of both ``path`` and the repository ``root``."""
    manifests = Manifests()
    charts: list[Path] = []
    for file in _yaml_files(path, charts):
        display = _shown_under(file, path, shown)
        if root is not None and file != path:
            _inside_either(file, (path, root), display)
        try:
            documents = read_file(file, display)
        except ManifestError as error:
            # One file that does not parse is a finding on it; the rest of the instance
            # is gated (Argo CD reads the other files too).
            if _names_argo(file):
                manifests.invalid.append((file, str(error).removeprefix(f"{display}: ")))
            else:
                manifests.unread.append(f"{display}: {str(error).removeprefix(f'{display}: ')}")
            continue
        for index, document in enumerate(documents):
            if is_argo(document):
                manifests.add(Manifest(document, file, index))
    charted = [_chart_note(chart, path, shown) for chart in charts]
    manifests.charts += charted
    if not (manifests.applications or manifests.application_sets or manifests.invalid):
        if charted:
            raise ManifestError(
                f"{charted[0]}; point --overlays-argocd at the manifests of the instance, "
                "or of the Application that deploys the chart"
            )
        if manifests.unread:
            # Nothing else to gate: the file that does not parse is the likely cause.
            raise ManifestError(manifests.unread[0])
        raise ManifestError(f"{shown}: no Argo CD Application or ApplicationSet found in {path}")
    return manifests


def _shown_under(file: Path, path: Path, shown: str) -> str:
    """A file or directory under the instance ``path`` as the user named it (``shown``)."""
    return shown if file == path else f"{shown.rstrip('/')}/{file.relative_to(path).as_posix()}"


def _chart_note(chart: Path, path: Path, shown: str) -> str:
    """What a Helm chart met among an instance's manifests is, as the summary lists it."""
    return (
        f"{_shown_under(chart, path, shown)}: a Helm chart ({HELM_CHART}), whose templates "
        "Helm renders (not Argo CD manifests to read)"
    )


def _inside_either(file: Path, roots: tuple[Path, ...], shown: str) -> None:
    """Refuse a manifest file linked out of every one of ``roots`` (never reading it)."""
    for root in roots:
        try:
            inside(file, root, shown)
            return
        except OutsideRepository:
            continue
    raise ManifestError(f"{shown}: a symbolic link out of the repository, not read")
