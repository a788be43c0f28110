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
import threading
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..renderer import Renderer
from .inputs import Inputs, Uncacheable, inputs

if TYPE_CHECKING:
    from ..argocd.model import Recipe

#: Bumped whenever the entry format or the key's meaning changes.
FORMAT = 4

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


class _Hasher:
    """Hashes files and directory trees.

    A file's digest is reused while its size, modification time and inode stay
    the same, so a file edited during a session is read again; trees are walked
    on every call, so a file added or removed is seen.
    """

    def __init__(self) -> None:
        self._files: dict[Path, tuple[tuple[int, int, int], str]] = {}
        self._lock = threading.Lock()

    def file(self, path: Path) -> str:
        stat = path.stat()
        signature = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        known = self._files.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        value = digest.hexdigest()
        with self._lock:
            self._files[path] = (signature, value)
        return value

    def tree(self, root: Path) -> str:
        digest = hashlib.sha256()
        visited: set[str] = set()
        for current, dirnames, filenames in os.walk(root, followlinks=True):
            real = os.path.realpath(current)
            if real in visited:  # a symlink loop
                dirnames[:] = []
                continue
            visited.add(real)
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for name in sorted(filenames):
                path = Path(current, name)
                if path.is_file():
                    relative = path.relative_to(root).as_posix()
                    digest.update(f"{relative}\0{self.file(path)}\n".encode())
        return digest.hexdigest()


def _binary_identity(command: str | None) -> list[Any]:
    """Path, size and modification time of a program on PATH (helm), or its absence."""
    found = shutil.which(command) if command else None
    if found is None:
        return [command, None]
    stat = Path(found).stat()
    return [str(Path(found).resolve()), stat.st_size, stat.st_mtime_ns]


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
    ) -> None:
        self.build_args = tuple(build_args)
        self._hasher = _Hasher()
        env = os.environ if environ is None else environ
        binary = Path(renderer.binary)
        stat = binary.stat() if binary.exists() else None
        identity = {
            "format": FORMAT,
            "argv": list(renderer.argv),
            "binary": [
                str(binary.resolve()),
                stat.st_size if stat else 0,
                stat.st_mtime_ns if stat else 0,
            ],
            "version": renderer.version,
            "build_args": list(build_args),
            "env": sorted((k, v) for k, v in env.items() if k.startswith(ENV_PREFIXES)),
        }
        self._base = json.dumps(identity, sort_keys=True)

    def key(self, overlay_dir: Path) -> str:
        """The overlay's key; raises Uncacheable when the inputs cannot be accounted for."""
        found = inputs(overlay_dir, self.build_args)
        digest = hashlib.sha256(self._base.encode())
        digest.update(f"overlay\0{overlay_dir.resolve()}\n".encode())
        self._add_inputs(digest, found, self.build_args)
        return digest.hexdigest()

    def recipe_key(self, recipe: Recipe) -> str:
        """An Argo CD Application's key: its recipe (every override, the merged
        ``.argocd-source`` files' result, the build options, the destination
        namespace), the kustomization as edited for it, and every input its
        sources read. Raises Uncacheable like :meth:`key`."""
        from ..argocd.edit import EditError
        from ..argocd.model import HELM, KUSTOMIZE, canonical
        from ..argocd.render import edited_kustomization

        digest = hashlib.sha256(self._base.encode())
        digest.update(f"argocd\0{recipe.namespace}\0{recipe.error}\n".encode())
        for source in recipe.sources:
            described = [source.type, str(source.path), source.settings, source.build_options]
            digest.update(f"source\0{canonical(described)}\n".encode())
            if source.type != KUSTOMIZE:
                digest.update(f"tree\0{self._hasher.tree(source.path)}\n".encode())
                if source.type == HELM:
                    digest.update(f"helm\0{json.dumps(_binary_identity('helm'))}\n".encode())
                continue
            try:
                edited = edited_kustomization(source)
            except EditError as error:
                raise Uncacheable(f"{source.shown}: {error}") from None
            top = edited[1] if edited is not None else None
            digest.update(f"edited\0{canonical(top)}\n".encode())
            self._add_inputs(
                digest, inputs(source.path, source.build_options, top), source.build_options
            )
        return digest.hexdigest()

    def _add_inputs(self, digest: Any, found: Inputs, build_args: Sequence[str]) -> None:
        if found.helm:
            helm = _binary_identity(_helm_command(build_args))
            digest.update(f"helm\0{json.dumps(helm)}\n".encode())
        for directory in sorted(found.chain):
            digest.update(f"dir\0{directory}\0{self._hasher.tree(directory)}\n".encode())
        for path in sorted(set(found.named)):
            if path.is_dir():
                digest.update(f"tree\0{path}\0{self._hasher.tree(path)}\n".encode())
            else:
                digest.update(f"file\0{path}\0{self._hasher.file(path)}\n".encode())

    def files_key(self, paths: Sequence[Path]) -> str:
        """A key for the content of files or directories (CRDs given on the command line)."""
        digest = hashlib.sha256()
        for path in sorted(paths):
            if path.is_dir():
                digest.update(f"tree\0{path}\0{self._hasher.tree(path)}\n".encode())
            elif path.is_file():
                digest.update(f"file\0{path}\0{self._hasher.file(path)}\n".encode())
            else:
                digest.update(f"missing\0{path}\n".encode())
        return digest.hexdigest()
