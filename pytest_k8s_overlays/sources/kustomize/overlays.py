"""Find the overlays to gate: the leaf kustomization directories under each root."""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...core import paths
from ...core.deployables import Deployable, Group
from ...core.paths import own_repository, repository_of
from ...parse.kustomization import (
    KUSTOMIZATION_FILES,
    KustomizationError,
    is_component,
    is_consumer,
    is_dir,
    kustomization_file,
    load_kustomization,
    referenced_directories,
    salvaged_entries,
)

_GLOB_CHARS = frozenset("*?[")
#: What makes a path part a wildcard, for naming: glob characters and brace alternatives.
_WILDCARD_CHARS = _GLOB_CHARS | {"{"}
_BRACES_RE = re.compile(r"\{([^{}]*,[^{}]*)\}")


def expand_braces(value: str) -> list[str]:
    """``k8s/{auth,chat}/dev`` as a shell expands it: ``k8s/auth/dev``, ``k8s/chat/dev``."""
    match = _BRACES_RE.search(value)
    if match is None:
        return [value]
    expanded: dict[str, None] = {}
    for choice in match.group(1).split(","):
        for each in expand_braces(value[: match.start()] + choice + value[match.end() :]):
            expanded[each] = None
    return list(expanded)


def _names_kustomization_files(part: str) -> bool:
    return any(fnmatch.fnmatchcase(name, part) for name in KUSTOMIZATION_FILES)


def _directory_value(value: str) -> str:
    """A value naming kustomization files (``k8s/**/kustomization.yaml``) means the
    directories that hold them (``k8s/**``)."""
    head, _, last = value.rstrip("/").rpartition("/")
    if head and _names_kustomization_files(last):
        return head
    return value


class DiscoveryError(Exception):
    """A path given to ``--overlays`` that names no overlay."""


def outside(directory: Path, repository: Path | None) -> bool:
    """Tell whether ``directory`` resolves outside ``repository`` (never, when None)."""
    if repository is None:
        return False
    return not paths.lies_in(paths.real(directory), _real(repository))


@lru_cache(maxsize=64)
def _real(repository: Path) -> Path:
    # Asked for every directory discovery walks: the repository's own path stays put.
    return Path(os.path.realpath(repository))


def _read(directory: Path, kfile: Path, repository: Path | None) -> dict[str, Any]:
    """A kustomization as discovery reads it: one in a directory outside the repository
    is never read (its overlay fails to render, saying so)."""
    if outside(directory, repository) or outside(kfile, repository):
        return {}
    try:
        return load_kustomization(kfile)
    except KustomizationError:
        # Its render fails, saying why; what it builds with stays out of the gate.
        return salvaged_entries(kfile)


def kustomization_dirs(
    root: Path, repository: Path | None = None
) -> list[tuple[Path, Path, dict[str, Any]]]:
    """(directory, kustomization file, its content) of every kustomization under ``root``.

    A directory linked out of ``repository`` is not entered: when it holds a
    kustomization file it is listed (unread, as ``{}``) so that its render
    fails, and nothing below it is listed. Walked once before a session's first test (discovery
    and the Components' consumers ask for the same root).
    """
    key = ("kustomization_dirs", root, repository)
    return list(paths.remembered(key, lambda: _kustomization_dirs(root, repository)))


def _kustomization_dirs(
    root: Path, repository: Path | None
) -> list[tuple[Path, Path, dict[str, Any]]]:
    found = []
    seen: set[str] = set()
    # Symlinked directories are followed (an overlay may be a link), once each.
    for current, dirnames, _ in os.walk(root, followlinks=True):
        real = paths.real(current)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        directory = Path(current)
        if outside(directory, repository):
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        kfile = kustomization_file(directory)
        if kfile is not None:
            found.append((directory, kfile, _read(directory, kfile, repository)))
    return found


#: How far a reference chain is followed to tell a cycle (Kustomize refuses one).
_MAX_CHAIN = 10_000


class _Graph:
    """The directories kustomizations use, by resolved directory; those outside the root
    read on demand."""

    def __init__(self, repository: Path | None = None) -> None:
        self.repository = repository
        self.data: dict[Path, dict[str, Any]] = {}
        self.edges: dict[Path, set[Path]] = {}
        #: The kustomizations found (not read on demand): the only Components followed.
        self.found: set[Path] = set()

    def add(self, directory: Path, data: dict[str, Any]) -> Path:
        real = paths.resolved(directory)
        if real not in self.data:
            self.data[real] = data
            self.edges[real] = set(referenced_directories(directory, data))
        return real

    def targets(self, directory: Path) -> set[Path]:
        if directory not in self.edges:  # a base outside the root
            kfile = kustomization_file(directory)
            self.add(directory, _read(directory, kfile, self.repository) if kfile else {})
        return self.edges[directory]

    def reaches(self, start: Path, goal: Path) -> bool:
        seen: set[Path] = set()
        todo = [start]
        while todo and len(seen) < _MAX_CHAIN:
            current = todo.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(self.targets(current))
        return False

    def built_with(self, user: Path) -> set[Path]:
        """What ``user`` builds as part of itself: what it lists, and what the Components
        found among those list (a Component is built only through a user)."""
        found: set[Path] = set()
        todo = list(self.targets(user))
        while todo and len(found) < _MAX_CHAIN:
            current = todo.pop()
            if current in found or current == user:
                continue
            found.add(current)
            if current in self.found and is_component(self.data[current]):
                todo.extend(self.edges[current])
        return found


def used_by_others(
    kustomizations: Mapping[Path, dict[str, Any]], repository: Path | None = None
) -> set[Path]:
    """The directories (resolved) that another of ``kustomizations`` (by directory, as
    found) builds as part of itself.

    Only a consumer (``kind: Kustomization``, or none) is built with what it
    lists; what a Component lists counts only when a consumer uses that
    Component. A ``kind: Component``, a kustomization of a kind Kustomize
    refuses and one that does not load never take an overlay out of the gate.
    (A generators, transformers or validators entry does: Kustomize fails the
    consumer's build when that directory renders anything but plugin
    configuration, so an overlay listed there fails the gate, through its user.)
    A kustomization that uses itself, directly or through a cycle, is not used
    by others: Kustomize refuses to build it, so it must stay an overlay whose
    render fails, never silently drop out of the gate.
    """
    graph = _Graph(repository)
    found = [(graph.add(directory, data), data) for directory, data in kustomizations.items()]
    graph.found = {real for real, _ in found}
    users = [real for real, data in found if is_consumer(data)]
    return {
        target
        for user in dict.fromkeys(users)
        for target in graph.built_with(user)
        if not graph.reaches(target, user)
    }


def leaf_overlays(root: Path, repository: Path | None = None) -> list[tuple[Path, Path]]:
    """Return (directory, kustomization file) of every leaf overlay under ``root``.

    A leaf is a kustomization that no other kustomization under ``root`` uses as
    a resource or component, and that is not itself a ``kind: Component``.
    Nothing outside ``repository`` is read (see :func:`kustomization_dirs`).
    """
    found = kustomization_dirs(root, repository)
    used = used_by_others({directory: data for directory, _, data in found}, repository)
    return [
        (directory, kfile)
        for directory, kfile, data in found
        if paths.resolved(directory) not in used and not is_component(data)
    ]


def _relative_name(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _discover_directory(value: str, root: Path, label: str, repository: Path | None) -> Group:
    kfile = kustomization_file(root)
    if kfile is not None:
        if is_component(_read(root, kfile, repository)):
            raise DiscoveryError(
                f"{label} {value}: {kfile.name} there is a kind: Component, "
                "which is never built on its own; point at the overlays that use it"
            )
        spec = Deployable(root.name, value, root, kfile, repository=repository)
        # Overlays under it that it does not build with (microservices-demo's
        # kustomize/tests/*): not gated by this value, which the header says.
        own = paths.resolved(root)
        nested = tuple(d for d, _ in leaf_overlays(root, repository) if paths.resolved(d) != own)
        return Group(value, root, (spec,), repository=repository, nested=nested)
    specs = tuple(
        Deployable(_relative_name(directory, root), value, directory, kfile, repository=repository)
        for directory, kfile in leaf_overlays(root, repository)
    )
    if not specs:
        found = kustomization_dirs(root, repository)
        why = (
            f"its {len(found)} kustomization(s) are all kind: Component, never built on "
            "their own; point at the overlays that use them"
            if found
            else f"no directory holds {', '.join(KUSTOMIZATION_FILES)}"
        )
        raise DiscoveryError(f"{label} {value}: no overlay found under {root} ({why})")
    return Group(value, root, specs, repository=repository)


def _glob_prefix(parts: Sequence[str]) -> list[str]:
    prefix: list[str] = []
    for part in parts:
        if _WILDCARD_CHARS & set(part):
            break
        prefix.append(part)
    return prefix


def shown_path(group: str, name: str, path: Path) -> str:
    """An overlay's directory as its group and name say where it is: ``k8s/overlays/auth``
    for a directory group, and for a glob the directory it matched, from the glob's
    fixed part on (``src/frontend/k8s/overlays/production`` for
    ``src/**/k8s/overlays/production``, not the glob joined to the name)."""
    parts = Path(group).parts
    prefix = _glob_prefix(parts)
    if len(prefix) == len(parts):
        return _join(group, name)
    # With **, the name is the match's path from the fixed part on; else the match has
    # one part per part of the glob, the name only those a wildcard matched.
    tail = name if "**" in parts else "/".join(path.parts[len(prefix) - len(parts) :])
    return _join("/".join(prefix), tail)


def _wildcard_name(pattern_parts: Sequence[str], match: Path, prefix: Path) -> str:
    """Name a glob match by the parts its wildcards matched (``auth`` for ``*/dev``)."""
    if "**" in pattern_parts or len(match.parts) != len(pattern_parts):
        return match.relative_to(prefix).as_posix()
    picked = [
        got
        for want, got in zip(pattern_parts, match.parts, strict=True)
        if _WILDCARD_CHARS & set(want)
    ]
    return "/".join(picked)


def _join(base: str, rest: str) -> str:
    return rest if base in ("", ".") else f"{base}/{rest}"


def _matches(value: str, patterns: Sequence[Path], label: str) -> list[Path]:
    """The directories the patterns match; each brace alternative must match one."""
    matches: list[Path] = []
    files: list[Path] = []
    for pattern in patterns:
        found = [Path(m) for m in glob.glob(str(pattern), recursive=True)]
        directories = [m for m in found if is_dir(m)]
        files += [m for m in found if not is_dir(m)]
        if not directories and len(patterns) > 1:
            raise DiscoveryError(f"{label} {value}: the alternative {pattern} matches no directory")
        matches += directories
    if not matches and files:
        raise DiscoveryError(
            f"{label} {value}: the pattern matches files, not overlay directories; name the "
            "directories (k8s/overlays/*) or their kustomization files "
            "(k8s/overlays/*/kustomization.yaml)"
        )
    return sorted(set(matches))


def _discover_glob(
    value: str, pattern: Path, patterns: Sequence[Path], label: str, rootdir: Path | None
) -> Group:
    """The overlays of a glob, or of brace alternatives (``patterns``, their expansions):
    named by what the wildcards and alternatives of ``pattern`` matched."""
    parts = pattern.parts
    prefix = Path(*_glob_prefix(parts))
    repository = repository_of(prefix, rootdir) if rootdir is not None else None
    matches = _matches(value, patterns, label)
    # ``**`` matches a directory and its children, and follows symlink loops:
    # an overlay found twice is one overlay.
    found: dict[Path, Deployable] = {}
    for match in matches:
        base = _wildcard_name(parts, match, prefix)
        kfile = kustomization_file(match)
        if kfile is not None:
            if not is_component(_read(match, kfile, repository)):
                spec = Deployable(base, value, match, kfile, repository=repository)
                found.setdefault(paths.resolved(match), spec)
            continue
        for directory, leaf_file in leaf_overlays(match, repository):
            name = _join(base, _relative_name(directory, match))
            spec = Deployable(name, value, directory, leaf_file, repository=repository)
            found.setdefault(paths.resolved(directory), spec)
    # Leaves only, as under a directory: a matched base that another match uses
    # (``**`` matches ``auth/base`` too) is not an overlay.
    used = used_by_others(
        {s.path: _read(s.path, s.kustomization, repository) for s in found.values()}, repository
    )
    specs = [spec for spec in found.values() if paths.resolved(spec.path) not in used]
    if not specs:
        raise DiscoveryError(
            f"{label} {value}: the pattern matches no overlay "
            f"(no matching directory holds {', '.join(KUSTOMIZATION_FILES)})"
        )
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        specs = [replace(s, name=_relative_name(s.path, prefix)) for s in specs]
    return Group(value, prefix, tuple(specs), repository=repository)


def discover(
    value: str, base: Path, label: str = "--overlays", rootdir: Path | None = None
) -> Group:
    """Discover the group of overlays named by one ``--overlays`` value.

    ``value`` is a directory or a glob, relative to ``base`` unless absolute;
    brace alternatives (``k8s/{auth,chat}``) expand as a shell would; a value
    naming kustomization files (``k8s/**/kustomization.yaml``) means their
    directories. ``label`` names where the value came from, for error messages.
    With the pytest ``rootdir``, the group's repository is set (see
    :func:`~.paths.repository_of`): nothing outside it is read, or built.
    """
    if not value.strip():
        raise DiscoveryError(f"{label}: an empty path (an unset variable in the CI script?)")
    # The group's name, as tests look it up (overlays.group("k8s/overlays")) and reports
    # show it: ./k8s/overlays/ in one CI script is k8s/overlays in another.
    value = os.path.normpath(value)
    directories = _directory_value(value)
    path = Path(os.path.normpath(base / directories))
    expanded = expand_braces(directories)
    if len(expanded) > 1 or _GLOB_CHARS & set(directories):
        patterns = [Path(os.path.normpath(base / each)) for each in expanded]
        return _own_repositories(_discover_glob(value, path, patterns, label, rootdir), rootdir)
    if not path.exists():
        raise DiscoveryError(f"{label} {value}: no such directory ({path})")
    if not path.is_dir():
        raise DiscoveryError(
            f"{label} {value}: a file, not an overlay directory; name the directory that "
            f"holds the overlay's kustomization.yaml ({path.parent})"
        )
    repository = repository_of(path, rootdir) if rootdir is not None else None
    return _own_repositories(_discover_directory(value, path, label, repository), rootdir)


def _own_repositories(group: Group, rootdir: Path | None) -> Group:
    """A group the user assembled outside git: each overlay is confined to its own work
    tree (see :func:`~.paths.repository_of`)."""
    if rootdir is None or group.repository is not None:
        return group
    specs = tuple(replace(s, repository=own_repository(s.path)) for s in group.overlays)
    return replace(group, overlays=specs)


def discover_all(
    values: Iterable[tuple[str, Path]], label: str = "--overlays", rootdir: Path | None = None
) -> list[Group]:
    """Discover every group; each overlay belongs to one group.

    A value naming the same place as an earlier one (``./k8s/overlays`` after
    ``k8s/overlays``) counts once; groups that share an overlay are an error,
    since cross-overlay checks and test ids need one group per overlay. An
    overlay is its directory: two directories sharing one kustomization file
    through a symlink are two overlays (two Argo CD Applications).
    """
    groups: list[Group] = []
    seen: set[str] = set()
    owner: dict[Path, Group] = {}
    for value, base in values:
        where = os.path.normpath(base / value) if value.strip() else value
        if where in seen:
            continue
        seen.add(where)
        group = discover(value, base, label, rootdir)
        for spec in group.overlays:
            identity = paths.resolved(spec.path)
            other = owner.get(identity)
            if other is not None and other is not group:
                raise DiscoveryError(
                    f"{label} {value}: overlay {spec.name} is already in group {other.name}; "
                    "each overlay belongs to one group (one Argo CD ApplicationSet)"
                )
            owner[identity] = group
        groups.append(group)
    return groups
