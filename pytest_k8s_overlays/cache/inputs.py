"""What a build reads: the kustomization chain, the files it names, whether helm runs.

Anything a build reads that files on disk cannot describe (remote targets,
entries that exist nowhere, fetched helm charts, plugins that run programs or
read outside the tree) raises Uncacheable: such a render is never cached.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.fields import as_dict, as_list, shown
from ..parse.kustomization import (
    KustomizationError,
    is_dir,
    is_remote,
    kustomization_file,
    load_kustomization,
)
from ..parse.safe_yaml import UnsafeYAML, read_bounded
from ..render.processes import stopping

#: Plugin configuration that runs a program: its output cannot be keyed.
_FUNCTION_MARKERS = ("config.kubernetes.io/function", "exec:", "container:", "starlark:")


class Uncacheable(Exception):
    """The overlay reads something the key cannot account for; the message says what."""


class Budget:
    """What keying one overlay may cost: a deadline, entries, files and bytes read.

    Keying runs in Python before any timeout of the renderer applies, so it is
    bounded on its own: past any limit the overlay is not cacheable (and still
    renders). Limits are far above any real overlay's inputs.
    """

    def __init__(
        self,
        deadline: float | None = None,
        max_entries: int = 20_000,
        max_files: int = 50_000,
        max_bytes: int = 1 << 30,
        why_deadline: str = "reading its inputs took too long",
    ) -> None:
        self.deadline = deadline
        self.limits = (max_entries, max_files, max_bytes)
        self.entries = max_entries
        self.files = max_files
        self.bytes = max_bytes
        self.why_deadline = why_deadline

    def check_time(self) -> None:
        """Raise Uncacheable once the deadline has passed (or the session is stopping)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Uncacheable(self.why_deadline)
        if stopping():
            raise Uncacheable("interrupted")

    def entry(self) -> None:
        """Count one kustomization entry read."""
        self.entries -= 1
        if self.entries < 0:
            raise Uncacheable(f"its kustomizations name more than {self.limits[0]} entries")
        if self.entries % 256 == 0:
            self.check_time()

    def file(self, size: int) -> None:
        """Count one file hashed and its size."""
        self.files -= 1
        self.bytes -= size
        if self.files < 0:
            raise Uncacheable(f"it reads more than {self.limits[1]} files")
        if self.bytes < 0:
            raise Uncacheable(f"it reads more than {self.limits[2] >> 20} MiB")
        self.check_time()


#: Nesting deeper than this in a kustomization field is no path list Kustomize takes.
_MAX_DEPTH = 64


def _strings(value: Any) -> Iterator[str]:
    # Iterative and bounded: a YAML list nested 990 deep must not exhaust the stack.
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, list) and depth < _MAX_DEPTH:
            stack.extend((child, depth + 1) for child in reversed(item))


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


def named_entries(data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (field, path) for every path a kustomization names, each once."""
    seen: set[tuple[str, str]] = set()
    for field, extract in NAMED_FILES.items():
        for entry in extract(data.get(field)):
            if (field, entry) not in seen:
                seen.add((field, entry))
                yield field, entry


#: The one field naming a directory that is not a kustomization (charts live there).
_PLAIN_DIRECTORY_FIELDS = frozenset({"helmGlobals"})


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
        shown_name = name if isinstance(name, str) else shown(name)
        # With a repo, Kustomize pulls the chart (into a versioned directory of
        # its own), whatever lies in chartHome: the registry is an input.
        if chart.get("repo"):
            return f"helm chart {shown_name} is fetched from a repository"
        if not isinstance(name, str):
            if name:
                return f"helm chart {shown_name} has no name Kustomize can use"
            continue
        if name and not is_dir(directory / home / name):
            return f"helm chart {name} is not in {home}/ (fetched at build time)"
    return None


#: Build flags under which plugin configurations may read any file or run programs.
_OPEN_FLAGS = ("LoadRestrictionsNone", "--enable-alpha-plugins", "--enable-exec", "--enable-star")


def _plugin_problem(
    current: Path,
    kfile: Path,
    data: Mapping[str, Any],
    build_args: Sequence[str],
    root: Path | None = None,
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
    for entry in dict.fromkeys(entries):
        text = entry if "\n" in entry else _plugin_text(current, entry, root)
        if any(marker in text for marker in _FUNCTION_MARKERS):
            first = entry.strip().splitlines()[0] if entry.strip() else entry
            return f"plugin {first} in {kfile} runs a program"
    return None


def _plugin_text(current: Path, entry: str, root: Path | None = None) -> str:
    """A plugin configuration file's text ("" for anything else: Kustomize reports it;
    and for one outside ``root``, never read: its entry is Uncacheable)."""
    try:
        target = current / entry
        if not target.is_file():
            return ""
        _within(target, root, entry)
        return read_bounded(target, 4 << 20).decode("utf-8", "replace")
    except (OSError, ValueError, UnsafeYAML, Uncacheable):
        return ""


@dataclass(frozen=True)
class Inputs:
    """What a build reads: kustomization directories, other files, and whether helm runs."""

    chain: list[Path]
    named: list[Path]
    helm: bool


def _read(
    current: Path,
    build_args: Sequence[str],
    replaced: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> tuple[Path, Mapping[str, Any]]:
    """A kustomization of the chain and what it holds; Uncacheable when it cannot be keyed."""
    kfile = kustomization_file(current)
    if kfile is None:
        raise Uncacheable(f"{current} has no kustomization file")
    _within(kfile, root, f"{kfile}")
    if replaced is not None:
        data = replaced
    else:
        try:
            data = load_kustomization(kfile)
        except KustomizationError as error:
            raise Uncacheable(f"{kfile} {error}") from None
    reason = _helm_problem(current, data) or _plugin_problem(current, kfile, data, build_args, root)
    if reason:
        raise Uncacheable(reason)
    return kfile, data


def _short(entry: str) -> str:
    return entry if len(entry) <= 80 else f"{entry[:77]}..."


def _within(path: Path, root: Path | None, shown: str) -> Path | None:
    """``path`` with its symbolic links resolved; Uncacheable when that lies outside
    ``root`` (the repository, never read on its behalf; None: anywhere, and not
    resolved here)."""
    if root is None:
        return None
    real, top = Path(paths.real(path)), _real(root)
    if not paths.lies_in(real, top):
        raise Uncacheable(f"{shown} resolves outside the repository (never read)")
    return real


@lru_cache(maxsize=64)
def _real(root: Path) -> Path:
    # Asked for every entry of every kustomization: the repository's own path stays put.
    return Path(os.path.realpath(root))


def _local(entry: str, current: Path, kfile: Path, root: Path | None = None) -> Path:
    """The local file or directory an entry names; Uncacheable for anything else, and
    for one outside ``root`` (checked before anything there is read)."""
    if is_remote(entry):
        raise Uncacheable(f"remote {_short(entry)} in {kfile}")
    if os.path.isabs(entry):
        # Kustomize refuses absolute roots; hashing one (``/``) would read the disk.
        raise Uncacheable(f"absolute path {_short(entry)} in {kfile}")
    target = Path(os.path.normpath(current / entry))
    real = _within(target, root, f"{_short(entry)} in {kfile}")
    try:
        mode = target.stat().st_mode
        resolved = real if real is not None else paths.resolved(target)
    except (OSError, ValueError):
        # Kustomize would try it as a remote target, or fail: either way
        # nothing on disk describes it.
        raise Uncacheable(f"{_short(entry)} in {kfile} is not a local file or directory") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        # A pipe or a device: reading it could block, or never end.
        raise Uncacheable(f"{_short(entry)} in {kfile} is not a regular file")
    return resolved


def inputs(
    directory: Path,
    build_args: Sequence[str] = (),
    top: Mapping[str, Any] | None = None,
    budget: Budget | None = None,
    root: Path | None = None,
    remembered: bool = True,
) -> Inputs:
    """Find everything the build of ``directory`` reads.

    ``top`` replaces what the kustomization of ``directory`` itself holds (an
    Argo CD Application's edited copy of it). Raises Uncacheable for anything
    the build reads that files cannot describe: remote targets, entries that
    exist nowhere locally, fetched helm charts, plugins that run programs or
    read outside the tree, for inputs past the ``budget``, and for any outside
    ``root`` (the repository: nothing there is read). Before a session's first test (see
    :func:`~..core.paths.session_memo`) each kustomization's part is read once (a base
    many overlays build, once), unless ``remembered`` is False (the check after a
    build reads everything again).
    """
    budget = budget or Budget()
    memo = paths.session_memo() if remembered else None
    chain: dict[Path, None] = {}
    named: dict[Path, None] = {}
    helm = False
    start = paths.resolved(directory)
    todo = [start]
    while todo:
        current = todo.pop()
        if current in chain:
            continue
        budget.check_time()
        if (current == start and top is not None) or memo is None:
            node = _node(current, build_args, top if current == start else None, root, budget)
        else:
            # A base many overlays build is read once before the session's first test.
            key = ("inputs-node", current, tuple(build_args), root)
            known = memo.get(key)
            if known is None:
                node = memo[key] = _node(current, build_args, None, root, budget)
            else:
                node = known
                for _ in range(node[2]):  # the same budget as a walk
                    budget.entry()
        chain[current] = None
        helm = helm or node[0]
        for is_chain, target in node[1]:
            if is_chain:
                todo.append(target)
            else:
                named[target] = None
    return Inputs(list(chain), list(named), helm)


def _node(
    current: Path,
    build_args: Sequence[str],
    top: Mapping[str, Any] | None,
    root: Path | None,
    budget: Budget,
) -> tuple[bool, tuple[tuple[bool, Path], ...], int]:
    """What one kustomization of the chain reads: whether it runs helm, each path it
    names (True: a kustomization directory, followed; False: a file or a plain
    directory, keyed), and how many entries that took."""
    kfile, data = _read(current, build_args, top, root)
    targets: list[tuple[bool, Path]] = []
    entries = 0
    for field, entry in named_entries(data):
        budget.entry()
        entries += 1
        target = _local(entry, current, kfile, root)
        if not is_dir(target):
            targets.append((False, target))
        elif kustomization_file(target) is not None:
            targets.append((True, target))
        else:
            targets.append((False, _plain_directory(field, entry, target, current, kfile)))
    return bool(data.get("helmCharts")), tuple(targets), entries


def _plain_directory(field: str, entry: str, target: Path, current: Path, kfile: Path) -> Path:
    """A directory named without a kustomization (a chart home): keyed as a tree,
    unless Kustomize cannot use it or it holds the kustomization itself (``../..``,
    up to ``/``: a tree far too wide to read)."""
    if field not in _PLAIN_DIRECTORY_FIELDS:
        # Kustomize fails on it: the render reports why, and failures are not cached.
        raise Uncacheable(f"{_short(entry)} in {kfile} is a directory with no kustomization")
    if target == current or target in current.parents:
        raise Uncacheable(f"{_short(entry)} in {kfile} holds the kustomization itself")
    return target
