"""How paths are shown: relative to the pytest rootdir, the same way everywhere."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def display_path(path: Path | str, root: Path | None = None) -> str:
    """Show ``path`` relative to ``root`` (the current directory when None) when below it."""
    base = Path.cwd() if root is None else root
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        pass
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except (OSError, ValueError):
        return Path(os.path.normpath(path)).as_posix()


class _Resolutions:
    """The real path of every directory resolved while a gate session runs.

    A warm run at 1,000 overlays resolves some 40,000 paths, most below the same
    few directories, and ``os.path.realpath`` looks up every component of each
    (a third of the run's start-up). From configure to the end of collection
    (discovery, keying every unit, pull-request mode's hashes) the repository does
    not change: no test has run yet. In that span each directory is resolved
    once, and a path costs one ``lstat`` of its last component. Outside it (the
    items, a test that edits files and renders them, the library, a unit test)
    nothing is remembered.
    """

    def __init__(self) -> None:
        self.directories: dict[str, str] | None = None
        #: What else is read once a session on the same grounds (a tree's digest).
        self.memo: dict[Hashable, Any] | None = None
        self.guard = threading.Lock()


_RESOLUTIONS = _Resolutions()


def remember_resolutions(active: bool) -> None:
    """Start (True) or end (False) remembering directory resolutions, trees and inputs:
    from a session's configure to the end of its collection."""
    with _RESOLUTIONS.guard:
        _RESOLUTIONS.directories = {} if active else None
        _RESOLUTIONS.memo = {} if active else None


def session_memo() -> dict[Hashable, Any] | None:
    """The memo of the session's span (see remember_resolutions); None outside one."""
    return _RESOLUTIONS.memo


def remembered(key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, made once per ``key`` in the session's span (see
    remember_resolutions), and anew at each call outside it."""
    memo = _RESOLUTIONS.memo
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    value: T = memo[key]
    return value


def real(path: str | os.PathLike[str]) -> str:
    """``os.path.realpath(path)``, with the directories above it resolved once a session."""
    text = os.fspath(path)
    directories = _RESOLUTIONS.directories
    if directories is None or not os.path.isabs(text):
        return os.path.realpath(text)
    parent, name = os.path.split(text)
    if not name or name in (".", "..") or parent == text:
        return os.path.realpath(text)
    real_parent = directories.get(parent)
    if real_parent is None:
        real_parent = real(parent)
        directories[parent] = real_parent
    candidate = os.path.join(real_parent, name)
    # A link, or a path with ``..`` after a link, resolves as realpath says.
    return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def lies_in(target: Path | str, root: Path | str) -> bool:
    """Whether ``target`` is ``root`` or below it (both already resolved): a comparison
    of strings, not of ``Path.parents``, which builds a path per level."""
    text, top = os.fspath(target), os.fspath(root)
    return text == top or text.startswith(top if top.endswith(os.sep) else top + os.sep)


def resolved(path: Path) -> Path:
    """``path.resolve()`` (not strict), with the directories above it resolved once a session."""
    return Path(real(path)) if path.is_absolute() else path.resolve()


class OutsideRepository(Exception):
    """A path the plugin would open on a pull request's behalf resolves outside the repository."""


def inside(path: Path, root: Path, shown: str | None = None) -> Path:
    """``path`` with every symbolic link resolved, when that lies in ``root``.

    Raise OutsideRepository naming ``shown`` (or ``path`` relative to ``root``),
    never the target's content, when it does not: a committed symbolic link to
    ``/home/runner/.kube/config`` must not make the gate read that file.
    """
    real_root = resolved(root)
    name = shown if shown is not None else display_path(path, root)
    try:
        target = Path(real(path))
    except (OSError, ValueError):
        raise OutsideRepository(f"{name} cannot be resolved inside the repository") from None
    if not lies_in(target, real_root):
        raise OutsideRepository(f"{name} resolves outside the repository")
    return target


def first_link_outside(directory: Path, root: Path) -> Path | None:
    """The first symbolic link under ``directory`` (in sorted order) whose target lies
    outside ``root``; None when there is none. Links to directories inside ``root`` are
    followed (a program reading the tree follows them too), each directory once."""
    real_root = root.resolve()
    visited: set[str] = set()
    for current, dirnames, filenames in os.walk(directory, followlinks=True):
        real = os.path.realpath(current)
        if real in visited or (Path(real) != real_root and real_root not in Path(real).parents):
            dirnames[:] = []  # a loop (a link out is reported before it is entered)
            continue
        visited.add(real)
        dirnames.sort()
        for name in sorted([*dirnames, *filenames]):
            path = Path(current, name)
            if not path.is_symlink():
                continue
            target = Path(os.path.realpath(path))
            if target != real_root and real_root not in target.parents:
                return path
    return None


def git_top(directory: Path) -> Path | None:
    """The nearest directory at or above ``directory`` holding ``.git``, or None."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def repository_of(named: Path, rootdir: Path) -> Path | None:
    """The directory nothing the overlays under ``named`` build may leave; None when
    each overlay's own work tree says (see :func:`own_repository`).

    ``named`` is an overlay root as the user names it (``--overlays`` or the
    ini file): under the git work tree of the pytest ``rootdir`` (the rootdir
    itself outside git), judged by its path as written, that work tree. A
    symbolic link the repository commits can move ``named`` elsewhere, but
    never make this wider. A root the user names outside it is their own
    choice: its own git work tree, or, outside git (a directory of links the
    user assembled, which no pull request commits), each overlay's.
    """
    top = git_top(rootdir) or rootdir
    lexical = Path(os.path.normpath(named))
    if lexical == top or top in lexical.parents:
        return top
    return git_top(Path(os.path.realpath(lexical)))


def own_repository(directory: Path) -> Path | None:
    """The git work tree ``directory`` really lies in (None: outside git, not confined)."""
    return git_top(Path(os.path.realpath(directory)))
