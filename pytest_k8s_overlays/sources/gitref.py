"""The repository at another commit, as files in a private directory.

The base side of a pull request's diff: written from git's objects
(``git ls-tree`` and ``git cat-file``), never by a checkout, so the user's
work tree, index and worktree list stay as they are, no hook or filter runs,
and no ``.gitattributes`` of that commit (``export-ignore``) changes what is
written. Every path is checked: no ``..``, no ``.git``, nothing written
through a symbolic link; a symbolic link of the commit is written as a link
(what it points at is judged later, as in the working tree: nothing outside
the repository is read).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: How long one git command may take.
GIT_TIMEOUT = 120.0


class RefError(Exception):
    """The commit cannot be found or written; the message says why."""


def _git(root: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=data,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RefError(f"git {args[0]}: {error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RefError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return done.stdout


def toplevel(root: Path) -> Path:
    """The top of the git work tree holding ``root``."""
    return Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())


def commit_of(root: Path, ref: str) -> str:
    """The full id of the commit ``ref`` names (a branch, tag or commit)."""
    if ref.startswith("-"):
        raise RefError(f"{ref!r} is not a branch, tag or commit")
    return (
        _git(root, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
        .decode()
        .strip()
    )


def merge_base(root: Path, commit: str) -> str:
    """Where HEAD's branch left ``commit``'s, as GitHub's "Files changed" tab compares."""
    return _git(root, "merge-base", commit, "HEAD").decode().strip()


def head_name(root: Path) -> str:
    """HEAD's short commit id, with ``+dirty`` when the work tree has changes."""
    short = _git(root, "rev-parse", "--short=12", "HEAD").decode().strip()
    status = _git(root, "status", "--porcelain", "--untracked-files=normal")
    return f"{short}+dirty" if status.strip() else short


def touched(root: Path, commit: str) -> set[str]:
    """The paths (relative to the top of the work tree) the change from ``commit`` to
    the work tree touches: committed, staged and unstaged edits, both names of a
    rename, and files git does not track yet (ignored ones left out)."""
    changed = _git(root, "diff", "--name-only", "--no-renames", "-z", commit, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--full-name")
    names = (changed + b"\0" + untracked).split(b"\0")
    return {os.fsdecode(name) for name in names if name}


@dataclass(frozen=True)
class Entry:
    mode: str
    kind: str
    sha: str
    path: str


def _entries(root: Path, commit: str) -> list[Entry]:
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit)
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        entries.append(Entry(mode, kind, sha, os.fsdecode(path)))
    return entries


def _safe(path: str) -> bool:
    parts = path.split("/")
    return bool(parts) and all(
        part not in ("", ".", "..") and part.lower() != ".git" for part in parts
    )


def _blobs(root: Path, shas: list[str]) -> dict[str, bytes]:
    """The content of each blob, read in one ``git cat-file --batch``."""
    if not shas:
        return {}
    output = _git(root, "cat-file", "--batch", data="".join(f"{s}\n" for s in shas).encode())
    blobs: dict[str, bytes] = {}
    position = 0
    while position < len(output):
        end = output.index(b"\n", position)
        sha, _, size = output[position:end].decode().split()
        start = end + 1
        blobs[sha] = output[start : start + int(size)]
        position = start + int(size) + 1
    return blobs


def _no_link_above(path: Path, top: Path) -> None:
    """Refuse to write where a directory on the way is a symbolic link."""
    current = path.parent
    while current != top:
        if current.is_symlink():
            raise RefError(f"{path.relative_to(top)}: a directory on its way is a symbolic link")
        current = current.parent


def materialise(root: Path, commit: str, destination: Path) -> list[str]:
    """Write the commit's files under ``destination`` (an empty private directory);
    return the paths left out (submodules, unsafe names)."""
    entries = _entries(root, commit)
    skipped = [e.path for e in entries if e.kind != "blob" or not _safe(e.path)]
    wanted = [e for e in entries if e.kind == "blob" and _safe(e.path)]
    blobs = _blobs(root, sorted({e.sha for e in wanted}))
    top = destination
    # Files first, links last: nothing is written through a link of the commit.
    for entry in sorted(wanted, key=lambda e: (e.mode == "120000", e.path)):
        target = top / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        _no_link_above(target, top)
        content = blobs[entry.sha]
        if entry.mode == "120000":
            try:
                os.symlink(os.fsdecode(content), target)
            except OSError:  # a tree no checkout could write: a link over a directory
                skipped.append(entry.path)
            continue
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        mode = 0o755 if entry.mode == "100755" else 0o644
        fd = os.open(target, flags, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    # The top of a work tree, as discovery tells one (confinement is to it, as at HEAD).
    (top / ".git").mkdir(exist_ok=True)
    return skipped
