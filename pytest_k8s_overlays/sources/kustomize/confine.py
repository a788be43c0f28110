"""Keep a build inside its repository: no kustomization directory outside, no Helm plugins.

Kustomize's load restrictor keeps the files a kustomization reads within its
own directory, but not the directories it builds: a ``resources``,
``bases`` or ``components`` entry (``generators``... too) may name any
directory, through ``../`` or a committed symbolic link, and Kustomize builds
the kustomization found there. With ``--enable-helm``, Kustomize also hands
helm a ``helmGlobals.configHome`` as ``HELM_CONFIG_HOME``, ``HELM_CACHE_HOME``
(``<configHome>/.cache``) and ``HELM_DATA_HOME`` (``<configHome>/.data``),
and helm runs the plugins it finds under ``.data/plugins`` (a getter for a
chart ``repo:`` scheme); it reads a chart from any ``chartHome``, and follows
a chart's symbolic links. A pull request commits all of these, so before a
build :func:`outside_problem` walks the kustomization chain as Kustomize
resolves it (each entry from its kustomization's real directory) and says
what must not be built; it never reads a file outside the repository, and
its messages name paths, never content.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from ...core.fields import as_dict, as_list
from ...core.paths import (
    OutsideRepository,
    display_path,
    first_link_outside,
    inside,
    remembered,
)
from ...parse.kustomization import (
    REFERENCE_FIELDS,
    KustomizationError,
    is_dir,
    is_remote,
    kustomization_file,
    load_kustomization,
)
from ...parse.safe_yaml import UnsafeYAML, load_bounded, read_bounded

#: Kustomization directories followed at most (a chain past it is no real repository's).
MAX_CHAIN = 10_000
#: The largest plugin configuration file read to find a Helm generator in it.
_MAX_CONFIG_BYTES = 1 << 20
#: How a plugin configuration names the built-in Helm generator.
_HELM_KIND = "HelmChartInflationGenerator"
#: Where an entry longer than this is shown shortened.
_SHOWN = 500


def helm_enabled(build_args: Sequence[str]) -> bool:
    """Tell whether the build arguments let Kustomize run helm (``--enable-helm``)."""
    for arg in build_args:
        flag, _, value = arg.partition("=")
        if flag == "--enable-helm" and value.lower() not in ("false", "0", "f"):
            return True
    return False


def _short(entry: str) -> str:
    return entry if len(entry) <= _SHOWN else f"{entry[: _SHOWN - 3]}..."


def outside_problem(
    directory: Path,
    root: Path,
    build_args: Sequence[str] = (),
    top: Mapping[str, Any] | None = None,
) -> str | None:
    """Why building ``directory`` would read outside ``root`` or run helm plugins the
    repository holds, or None.

    ``top`` replaces what ``directory``'s own kustomization holds (an Argo CD
    Application's edited copy). Paths in the message are shown relative to
    ``root``.
    """
    try:
        real = inside(directory, root, display_path(directory, root))
    except OutsideRepository as error:
        return str(error)
    helm = helm_enabled(build_args)
    todo: list[tuple[Path, Mapping[str, Any] | None]] = [(real, top)]
    seen: set[Path] = set()
    while todo and len(seen) < MAX_CHAIN:
        current, data = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if data is not None:
            problem, targets = _node(current, data, root, helm)
        else:
            # A base many overlays build is judged once before the session's first test.
            key = ("confine", current, root, helm)
            problem, targets = remembered(key, partial(_node, current, None, root, helm))
        if problem is not None:
            return problem
        todo.extend((target, None) for target in targets)
    return None


def _node(
    current: Path, data: Mapping[str, Any] | None, root: Path, helm: bool
) -> tuple[str | None, tuple[Path, ...]]:
    """What one kustomization of the chain says: why it must not be built (or None), and
    the kustomization directories it names, in order."""
    kfile = kustomization_file(current)
    shown = display_path(kfile or current, root)
    targets: list[Path] = []
    try:
        if data is None:
            data = _read(kfile, root, shown)
        targets.extend(_directories(current, data, root, shown))
        if helm:
            _check_helm(current, data, root, shown)
    except OutsideRepository as error:
        return str(error), tuple(targets)
    return None, tuple(targets)


def _read(kfile: Path | None, root: Path, shown: str) -> Mapping[str, Any]:
    """A kustomization of the chain (empty when missing or unreadable: Kustomize says
    why); OutsideRepository, before reading it, when it is a link out of ``root``."""
    if kfile is None:
        return {}
    inside(kfile, root, shown)
    try:
        return load_kustomization(kfile)
    except KustomizationError:
        return {}


def _directories(current: Path, data: Mapping[str, Any], root: Path, shown: str) -> Iterator[Path]:
    """The real kustomization directories ``current``'s entries name; OutsideRepository
    for one outside ``root``. Kustomize joins an entry to the kustomization's real
    directory (after symbolic links), so the entry is resolved from there too."""
    for field in REFERENCE_FIELDS:
        for entry in as_list(data.get(field)):
            if not isinstance(entry, str) or is_remote(entry) or "\n" in entry:
                continue
            if os.path.isabs(entry):
                continue  # Kustomize refuses it ("new root ... cannot be absolute")
            target = Path(os.path.normpath(current / entry))
            if is_dir(target):
                yield inside(target, root, f"{shown}: {_short(entry)}")


# -- Helm, with --enable-helm ------------------------------------------------------------------


def _check_helm(current: Path, data: Mapping[str, Any], root: Path, shown: str) -> None:
    """OutsideRepository when a Helm generator of this kustomization would take helm's
    homes from the repository, or read a chart outside it."""
    for field, config in _helm_configs(current, data, root):
        for key in ("configHome", "helmHome"):
            if not config.get(key):
                continue
            raise OutsideRepository(
                f"{shown}: {field}{key} is refused with --enable-helm: "
                "helm runs the plugins it finds there, and a repository never chooses what "
                "runs (helm's own HELM_REPOSITORY_CONFIG, HELM_REGISTRY_CONFIG and "
                "HELM_PLUGINS environment variables still apply)"
            )
        _check_charts(current, config, root, f"{shown}: {field}")


def _helm_configs(
    current: Path, data: Mapping[str, Any], root: Path
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each Helm generator configuration of a kustomization, with the field it is in:
    ``helmGlobals`` with ``helmCharts``, the old ``helmChartInflationGenerator``, and
    plugin configurations of ``kind: HelmChartInflationGenerator``."""
    charts = [c for c in as_list(data.get("helmCharts")) if isinstance(c, dict)]
    helm_globals = as_dict(data.get("helmGlobals"))
    for chart in charts:
        # Each chart is built with its kustomization's globals (none of another's).
        yield "helmGlobals.", {**chart, **helm_globals}
    for old in as_list(data.get("helmChartInflationGenerator")):
        if isinstance(old, dict):
            yield "helmChartInflationGenerator: ", old
    for field in ("generators", "resources"):
        for entry in as_list(data.get(field)):
            if isinstance(entry, str):
                for config in _plugin_configs(current, entry, root):
                    yield f"{field} {_short(entry.splitlines()[0] if entry else entry)}: ", config


def _plugin_configs(current: Path, entry: str, root: Path) -> Iterator[Mapping[str, Any]]:
    """The ``kind: HelmChartInflationGenerator`` documents of an inline entry or of a
    file inside ``root`` (Kustomize refuses one outside; it is never read here)."""
    if "\n" in entry:
        text = entry.encode()
    else:
        target = Path(os.path.normpath(current / entry))
        try:
            if is_remote(entry) or not target.is_file():
                return
            inside(target, root)
            text = read_bounded(target, _MAX_CONFIG_BYTES)
        except (OSError, ValueError, UnsafeYAML, OutsideRepository):
            return
    if _HELM_KIND.encode() not in text:
        return
    try:
        documents = load_bounded(text)
    except yaml.YAMLError:
        return  # Kustomize reports it
    for document in documents:
        if isinstance(document, dict) and document.get("kind") == _HELM_KIND:
            yield document


def _check_charts(current: Path, config: Mapping[str, Any], root: Path, where: str) -> None:
    """OutsideRepository when the chart home lies outside ``root`` (helm reads charts
    there, and pulls into it), or a chart there links out of it (helm follows links)."""
    home = config.get("chartHome") or "charts"
    if not isinstance(home, str):
        return
    chart_home = Path(os.path.normpath(current / home))
    inside(chart_home, root, f"{where}chartHome {_short(home)}")
    name = config.get("name") or config.get("chartName")
    version = config.get("version") or config.get("chartVersion")
    if not isinstance(name, str) or not name:
        return
    if version and (config.get("repo") or config.get("chartRepoUrl")):
        chart_home = chart_home / f"{name}-{version}"  # where Kustomize pulls it
    chart = Path(os.path.normpath(chart_home / name))
    if not is_dir(chart):
        return
    inside(chart, root, f"{where}chart {_short(name)}")
    link = first_link_outside(chart, root)
    if link is not None:
        raise OutsideRepository(
            f"{where}chart {_short(name)}: {display_path(link, root)} is a symbolic link "
            "out of the repository"
        )
