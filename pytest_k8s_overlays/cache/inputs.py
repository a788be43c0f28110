"""What a build reads: the kustomization chain, the files it names, whether helm runs.

Anything a build reads that files on disk cannot describe (remote targets,
entries that exist nowhere, fetched helm charts, plugins that run programs or
read outside the tree) raises Uncacheable: such a render is never cached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..fields import as_dict, as_list
from ..kustomization import is_remote, kustomization_file, read_kustomization

#: Plugin configuration that runs a program: its output cannot be keyed.
_FUNCTION_MARKERS = ("config.kubernetes.io/function", "exec:", "container:", "starlark:")


class Uncacheable(Exception):
    """The overlay reads something the key cannot account for; the message says what."""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _plain(value: Any) -> Iterator[str]:
    # Inline patches and plugin configurations are YAML text, not paths.
    return (entry for entry in _strings(value) if "\n" not in entry)


def _paths_of_entries(value: Any) -> Iterator[str]:
    # ``patches:``, ``patchesJson6902:``, ``replacements:``: entries with a ``path``.
    for entry in as_list(value):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield entry["path"]


def _generator_files(value: Any) -> Iterator[str]:
    # ``files: [key=path]``, ``envs:`` and the old ``env:`` of each generator.
    for generator in as_list(value):
        if not isinstance(generator, dict):
            continue
        for entry in _strings(generator.get("files")):
            yield entry.split("=", 1)[1] if "=" in entry else entry
        yield from _strings(generator.get("envs"))
        yield from _strings(generator.get("env"))


def _path_field(value: Any) -> Iterator[str]:
    # ``openapi: {path: ...}``.
    path = as_dict(value).get("path")
    if isinstance(path, str):
        yield path


def _chart_home(value: Any) -> Iterator[str]:
    # ``helmGlobals: {chartHome: ...}``.
    home = as_dict(value).get("chartHome")
    if isinstance(home, str):
        yield home


def _values_files(value: Any) -> Iterator[str]:
    # ``helmCharts: [{valuesFile, additionalValuesFiles}]``.
    for chart in as_list(value):
        if isinstance(chart, dict):
            yield from _strings(chart.get("valuesFile"))
            yield from _strings(chart.get("additionalValuesFiles"))


#: Each kustomization field that names files or directories, with how to read them.
NAMED_FILES: Mapping[str, Callable[[Any], Iterator[str]]] = {
    "resources": _plain,
    "bases": _plain,
    "components": _plain,
    "crds": _plain,
    "configurations": _plain,
    "patchesStrategicMerge": _plain,
    "generators": _plain,
    "transformers": _plain,
    "validators": _plain,
    "patches": _paths_of_entries,
    "patchesJson6902": _paths_of_entries,
    "replacements": _paths_of_entries,
    "configMapGenerator": _generator_files,
    "secretGenerator": _generator_files,
    "openapi": _path_field,
    "helmGlobals": _chart_home,
    "helmCharts": _values_files,
}


def named_files(data: Mapping[str, Any]) -> Iterator[str]:
    """Yield every path a kustomization names (files or directories), remote ones too."""
    for field, extract in NAMED_FILES.items():
        yield from extract(data.get(field))


def _helm_problem(directory: Path, data: Mapping[str, Any]) -> str | None:
    """Why the helm charts of a kustomization cannot be keyed, if they cannot."""
    charts = data.get("helmCharts") or []
    helm_globals = data.get("helmGlobals")
    home = "charts"
    if isinstance(helm_globals, dict) and isinstance(helm_globals.get("chartHome"), str):
        home = helm_globals["chartHome"]
    for chart in charts if isinstance(charts, list) else []:
        if not isinstance(chart, dict):
            continue
        name = chart.get("name")
        # With a repo, Kustomize pulls the chart (into a versioned directory of
        # its own), whatever lies in chartHome: the registry is an input.
        if chart.get("repo"):
            return f"helm chart {name} is fetched from a repository"
        if name and not (directory / home / str(name)).is_dir():
            return f"helm chart {name} is not in {home}/ (fetched at build time)"
    return None


#: Build flags under which plugin configurations may read any file or run programs.
_OPEN_FLAGS = ("LoadRestrictionsNone", "--enable-alpha-plugins", "--enable-exec", "--enable-star")


def _plugin_problem(
    current: Path, kfile: Path, data: Mapping[str, Any], build_args: Sequence[str]
) -> str | None:
    """Why the generators, transformers or validators of a kustomization cannot be keyed."""
    entries = [
        entry
        for field in ("generators", "transformers", "validators")
        for entry in _strings(data.get(field))
    ]
    if not entries:
        return None
    open_flags = [arg for arg in build_args if any(flag in arg for flag in _OPEN_FLAGS)]
    if open_flags:
        return f"plugins in {kfile} with {open_flags[0]} may read any file or run programs"
    for entry in entries:
        target = current / entry
        text = (
            entry
            if "\n" in entry
            else (target.read_text("utf-8", "replace") if target.is_file() else "")
        )
        if any(marker in text for marker in _FUNCTION_MARKERS):
            return f"plugin {entry.splitlines()[0]} in {kfile} runs a program"
    return None


@dataclass(frozen=True)
class Inputs:
    """What a build reads: kustomization directories, other files, and whether helm runs."""

    chain: list[Path]
    named: list[Path]
    helm: bool


def _read(
    current: Path, build_args: Sequence[str], replaced: Mapping[str, Any] | None = None
) -> tuple[Path, Mapping[str, Any]]:
    """A kustomization of the chain and what it holds; Uncacheable when it cannot be keyed."""
    kfile = kustomization_file(current)
    if kfile is None:
        raise Uncacheable(f"{current} has no kustomization file")
    data = read_kustomization(kfile) if replaced is None else replaced
    if not data and replaced is None and kfile.read_bytes().strip():
        raise Uncacheable(f"{kfile} does not parse")
    reason = _helm_problem(current, data) or _plugin_problem(current, kfile, data, build_args)
    if reason:
        raise Uncacheable(reason)
    return kfile, data


def _local(entry: str, current: Path, kfile: Path) -> Path:
    """The local file or directory an entry names; Uncacheable for anything else."""
    if is_remote(entry):
        raise Uncacheable(f"remote {entry} in {kfile}")
    target = Path(os.path.normpath(current / entry))
    if not target.exists():
        # Kustomize would try it as a remote target, or fail: either way
        # nothing on disk describes it.
        raise Uncacheable(f"{entry} in {kfile} is not a local file or directory")
    return target.resolve()


def inputs(
    directory: Path, build_args: Sequence[str] = (), top: Mapping[str, Any] | None = None
) -> Inputs:
    """Find everything the build of ``directory`` reads.

    ``top`` replaces what the kustomization of ``directory`` itself holds (an
    Argo CD Application's edited copy of it). Raises Uncacheable for anything
    the build reads that files cannot describe: remote targets, entries that
    exist nowhere locally, fetched helm charts, plugins that run programs or
    read outside the tree.
    """
    chain: list[Path] = []
    named: list[Path] = []
    helm = False
    start = directory.resolve()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in chain:
            continue
        kfile, data = _read(current, build_args, top if current == start else None)
        chain.append(current)
        helm = helm or bool(data.get("helmCharts"))
        for entry in named_files(data):
            target = _local(entry, current, kfile)
            if target.is_dir() and kustomization_file(target) is not None:
                todo.append(target)
            else:
                named.append(target)
    return Inputs(chain, named, helm)
