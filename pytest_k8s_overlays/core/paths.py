"""How paths are shown: relative to the pytest rootdir, the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path


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


class OutsideRepository(Exception):
    """A path the plugin would open on a pull request's behalf resolves outside the repository."""


def inside(path: Path, root: Path, shown: str | None = None) -> Path:
    """``path`` with every symbolic link resolved, when that lies in ``root``.

    Raise OutsideRepository naming ``shown`` (or ``path`` relative to ``root``),
    never the target's content, when it does not: a committed symbolic link to
    ``/home/runner/.kube/config`` must not make the gate read that file.
    """
    real_root = root.resolve()
    name = shown if shown is not None else display_path(path, root)
    try:
        target = Path(os.path.realpath(path, strict=False))
    except (OSError, ValueError):
        raise OutsideRepository(f"{name} cannot be resolved inside the repository") from None
    if target != real_root and real_root not in target.parents:
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
