"""The cache key of a render: every input's content, the renderer, its arguments.

The key of an overlay covers everything a build can read: every file under
every kustomization directory of its chain (a superset of what Kustomize may
load under its default load restrictor), every file a kustomization names
outside those directories (see :mod:`.inputs`), the renderer binary's identity
and version, the build arguments and the environment variables that change
Kustomize's output.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..core import paths
from ..render.engine import Renderer
from ..render.units import ApplicationUnit, OverlayUnit, RenderUnit
from .inputs import Budget, Inputs, Uncacheable, inputs

if TYPE_CHECKING:
    from ..core.applications import Recipe

#: Bumped whenever the entry format or the key's meaning changes (5: parsed entries
#: keep the kustomizations whose labels reached each resource).
FORMAT = 5

#: Environment variables that change what Kustomize (or helm under it) renders.
ENV_PREFIXES = ("KUSTOMIZE_", "HELM_", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")

#: Directories never part of a build's inputs, and written to during a run.
_SKIP_DIRS = frozenset(
    {".git", ".pytest_cache", ".tox", ".venv", ".mypy_cache", ".ruff_cache", "__pycache__"}
)


@functools.cache
def code_fingerprint() -> str:
    """Identify the code and schemas that judge a render: this package's source
    files and the versions of the libraries checks rely on. Cached check results
    from another version of any of them are never reused."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    for name in ("kubernetes-validate", "jsonschema", "PyYAML"):
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent\n".encode())
    return digest.hexdigest()


#: What identifies one state of a file without reading it: size, modification and
#: change times, inode and device. The change time cannot be set back (``touch``
#: and ``os.utime`` set only the modification time), so an edit that restores
#: size and modification time still shows.
Signature = tuple[int, int, int, int, int]

#: The signature of every file hashed for one key: what a check after the build compares.
Seen = dict[Path, Signature]


def _signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)


class _Hasher:
    """Hashes files and directory trees within a budget.

    A file's digest is reused while its signature (size, modification and change
    times, inode, device) stays the same, so a file edited during a session is
    read again. Trees are walked on every call, so a file added or removed is
    seen, except before a gate session's first test (see :func:`~..core.paths.session_memo`):
    there a tree is walked once (a shared base, once, not once per overlay over
    it). A fresh hasher (``memo=False``) reads every file again: what the check
    after a build uses, so that it compares content, not file metadata; a render
    is kept only when that check finds its key unchanged.
    """

    def __init__(self, memo: bool = True) -> None:
        self._files: dict[Path, tuple[Signature, str]] = {}
        self._memo = memo
        self._lock = threading.Lock()

    @property
    def remembers(self) -> bool:
        """Whether it may use what the session found already (False: a fresh hasher)."""
        return self._memo

    def file(
        self,
        path: Path,
        budget: Budget,
        seen: Seen | None = None,
        read: list[tuple[Path, Signature, int]] | None = None,
    ) -> str:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise Uncacheable(f"{path} is not a regular file")
        budget.file(info.st_size)
        signature = _signature(info)
        if seen is not None:
            seen[path] = signature
        if read is not None:
            read.append((path, signature, info.st_size))
        known = self._files.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                budget.check_time()
        value = digest.hexdigest()
        if self._memo:
            with self._lock:
                self._files[path] = (signature, value)
        return value

    def tree(
        self, root: Path, budget: Budget, seen: Seen | None = None, within: Path | None = None
    ) -> str:
        """The digest of every file under ``root``; Uncacheable for a file or directory
        that resolves outside ``within`` (the repository: never read on its behalf)."""
        memo = paths.session_memo() if self._memo else None
        known = memo.get(("tree", root, within)) if memo is not None else None
        if known is not None:
            value, files = known
            for path, signature, size in files:  # the same budget and record as a walk
                budget.file(size)
                if seen is not None:
                    seen[path] = signature
            return str(value)
        read: list[tuple[Path, Signature, int]] = []
        value = self._walk(root, budget, seen, within, read)
        if memo is not None:
            memo[("tree", root, within)] = (value, tuple(read))
        return value

    def _walk(
        self,
        root: Path,
        budget: Budget,
        seen: Seen | None,
        within: Path | None,
        read: list[tuple[Path, Signature, int]],
    ) -> str:
        digest = hashlib.sha256()
        visited: set[str] = set()
        for current, dirnames, filenames in os.walk(root, followlinks=True):
            budget.check_time()
            real = paths.real(current)
            if real in visited:  # a symlink loop
                dirnames[:] = []
                continue
            visited.add(real)
            _within(Path(real), within, current)
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for name in sorted(filenames):
                path = Path(current, name)
                if path.is_file():
                    if path.is_symlink():  # a plain file lies where its directory does
                        _within(Path(paths.real(path)), within, path)
                    relative = path.relative_to(root).as_posix()
                    content = self.file(path, budget, seen, read)
                    digest.update(f"{relative}\0{content}\n".encode())
        return digest.hexdigest()


def hash_inputs(
    digest: Any,
    found: Inputs,
    hasher: _Hasher,
    budget: Budget,
    seen: Seen | None,
    root: Path | None,
    name: Callable[[Path], str] = str,
) -> None:
    """Add the content of what a build reads (``found``) to ``digest``, each path as
    ``name`` writes it (as it is, for the cache; relative to the repository, for the
    two sides of a diff)."""
    for directory in sorted(found.chain):
        tree = hasher.tree(directory, budget, seen, root)
        digest.update(f"dir\0{name(directory)}\0{tree}\n".encode())
    for path in sorted(set(found.named)):
        if path.is_dir():
            tree = hasher.tree(path, budget, seen, root)
            digest.update(f"tree\0{name(path)}\0{tree}\n".encode())
        else:
            digest.update(f"file\0{name(path)}\0{hasher.file(path, budget, seen)}\n".encode())


def _within(real: Path, root: Path | None, shown: Path | str) -> None:
    """Uncacheable when ``real`` (a resolved path) lies outside ``root`` (None: anywhere
    is fine); the message names ``shown``."""
    if root is None:
        return
    if not paths.lies_in(real, _real(root)):
        raise Uncacheable(f"{shown} is a symbolic link out of the repository (never read)")


@functools.lru_cache(maxsize=64)
def _real(root: Path) -> Path:
    return Path(os.path.realpath(root))


def program_digest(path: Path, memo: Path | None = None) -> str:
    """The content digest of a program file.

    By content, not path and modification time: CI installs the renderer
    afresh on every run (pip does not keep a wheel's file times), and a key
    holding its install time would never match a restored cache. Hashing
    kubectl (60 MB) takes about 0.1 s, so digests are remembered in ``memo``
    by path, size, modification time and inode.
    """
    stat = path.stat()
    signature = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}"
    known = _read_memo(memo)
    if signature in known:
        return known[signature]
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        # An execute-only program (mode 0711) runs but cannot be read: it is known by
        # where it is and its size and time, which a reinstall changes (a miss, safe).
        return f"unreadable|{signature}"
    value = digest.hexdigest()
    if memo is not None:
        _write_memo(memo, {**dict(list(known.items())[-(_MEMO_SIZE - 1) :]), signature: value})
    return value


#: Program digests remembered (a renderer and a helm, a few versions of each).
_MEMO_SIZE = 8


def _read_memo(memo: Path | None) -> dict[str, str]:
    if memo is None:
        return {}
    try:
        data = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _write_memo(memo: Path, known: dict[str, str]) -> None:
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memo.parent, prefix=".programs-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(known, handle)
        os.replace(tmp, memo)
    except OSError:
        return  # a read-only cache directory: hash again next time


def _binary_identity(command: str | None, memo: Path | None = None) -> list[Any]:
    """Name and content digest of a program on PATH (helm), or its absence."""
    found = shutil.which(command) if command else None
    if found is None:
        return [command, None]
    return [Path(found).name, program_digest(Path(found), memo)]


def _helm_command(build_args: Sequence[str]) -> str:
    for index, arg in enumerate(build_args):
        if arg.startswith("--helm-command="):
            return arg.split("=", 1)[1]
        if arg == "--helm-command" and index + 1 < len(build_args):
            return build_args[index + 1]
    return "helm"


class RenderKeys:
    """Computes render keys for one renderer, its build arguments and environment."""

    def __init__(
        self,
        renderer: Renderer,
        build_args: Sequence[str],
        environ: Mapping[str, str] | None = None,
        memo: Path | None = None,
    ) -> None:
        self.build_args = tuple(build_args)
        self._hasher = _Hasher()
        self._memo = memo
        env = os.environ if environ is None else environ
        binary = Path(renderer.binary)
        identity = {
            "format": FORMAT,
            # The program's name and content, not where it is installed: a CI
            # runner's fresh virtualenv must find the renders main's run cached.
            "argv": [binary.name, *renderer.argv[1:]],
            "binary": program_digest(binary, memo) if binary.is_file() else None,
            "version": renderer.version,
            "build_args": list(build_args),
            "env": sorted((k, v) for k, v in env.items() if k.startswith(ENV_PREFIXES)),
        }
        self.base = json.dumps(identity, sort_keys=True)

    def unit_key(
        self,
        unit: RenderUnit,
        budget: Budget | None = None,
        seen: Seen | None = None,
        fresh: bool = False,
    ) -> str:
        """A render unit's key: the renderer's identity and every input the unit writes.

        Raises Uncacheable when the inputs cannot be accounted for. ``budget`` bounds
        the work (default: no deadline); ``seen`` receives the signature of every
        file read; ``fresh`` reads every file again.
        """
        hasher = _Hasher(memo=False) if fresh else self._hasher
        writer = _Writer(self, hasher, budget or Budget(), seen)
        unit.write_key(writer)
        return writer.digest.hexdigest()

    def key(
        self,
        overlay_dir: Path,
        budget: Budget | None = None,
        seen: Seen | None = None,
        fresh: bool = False,
        root: Path | None = None,
    ) -> str:
        """An overlay directory's key (see :meth:`unit_key`); nothing outside ``root``
        (the repository) is read: such an input is Uncacheable."""
        return self.unit_key(OverlayUnit(overlay_dir, root), budget, seen, fresh)

    def recipe_key(
        self,
        recipe: Recipe,
        budget: Budget | None = None,
        seen: Seen | None = None,
        fresh: bool = False,
    ) -> str:
        """An Argo CD Application's key (see :meth:`unit_key`)."""
        return self.unit_key(ApplicationUnit(recipe), budget, seen, fresh)

    def add_inputs(
        self,
        digest: Any,
        found: Inputs,
        build_args: Sequence[str],
        hasher: _Hasher,
        budget: Budget,
        seen: Seen | None,
        root: Path | None = None,
    ) -> None:
        """Add what a Kustomize build reads (``found``) to ``digest``."""
        if found.helm:
            helm = _binary_identity(_helm_command(build_args), self._memo)
            digest.update(f"helm\0{json.dumps(helm)}\n".encode())
        hash_inputs(digest, found, hasher, budget, seen, root)

    def program(self, command: str) -> str:
        """A program's identity on PATH (name and content digest), as JSON."""
        return json.dumps(_binary_identity(command, self._memo))

    def files_key(self, paths: Sequence[Path]) -> str:
        """A key for the content of files or directories (CRDs given on the command line)."""
        digest = hashlib.sha256()
        budget = Budget(max_entries=1 << 62, max_files=1 << 62, max_bytes=1 << 62)
        for path in sorted(paths):
            if path.is_dir():
                digest.update(f"tree\0{path}\0{self._hasher.tree(path, budget)}\n".encode())
            elif path.is_file():
                digest.update(f"file\0{path}\0{self._hasher.file(path, budget)}\n".encode())
            else:
                digest.update(f"missing\0{path}\n".encode())
        return digest.hexdigest()


class _Writer:
    """One key being written: what a unit's :meth:`~RenderUnit.write_key` calls."""

    def __init__(self, keys: RenderKeys, hasher: _Hasher, budget: Budget, seen: Seen | None):
        self.digest = hashlib.sha256(keys.base.encode())
        self._keys = keys
        self._hasher = hasher
        self._budget = budget
        self._seen = seen

    @property
    def build_args(self) -> tuple[str, ...]:
        return self._keys.build_args

    def text(self, value: str) -> None:
        self.digest.update(value.encode())

    def tree(self, directory: Path, root: Path | None) -> str:
        return self._hasher.tree(directory, self._budget, self._seen, root)

    def file(self, path: Path) -> str:
        return self._hasher.file(path, self._budget, self._seen)

    def build_inputs(
        self,
        directory: Path,
        build_args: Sequence[str],
        top: Mapping[str, Any] | None,
        root: Path | None,
    ) -> None:
        found = inputs(directory, build_args, top, self._budget, root, self._hasher.remembers)
        self._keys.add_inputs(
            self.digest, found, build_args, self._hasher, self._budget, self._seen, root
        )

    def program(self, command: str) -> str:
        return self._keys.program(command)

    def refuse(self, why: str) -> NoReturn:
        raise Uncacheable(why)
