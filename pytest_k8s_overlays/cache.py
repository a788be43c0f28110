"""A content-addressed render cache that is never stale.

The key of an overlay covers everything a build can read: every file under
every kustomization directory of its chain (a superset of what Kustomize may
load under its default load restrictor), every file a kustomization names
outside those directories, the renderer binary's identity and version, the
build arguments and the environment variables that change Kustomize's output.
Whatever the key cannot account for (remote bases, exec or KRM function
plugins, a kustomization that does not parse) is not cached at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .discovery import is_remote, kustomization_file, read_kustomization
from .findings import Finding
from .renderer import Renderer

#: Bumped whenever the entry format or the key's meaning changes.
FORMAT = 3

#: Environment variables that change what Kustomize (or helm under it) renders.
ENV_PREFIXES = ("KUSTOMIZE_", "HELM_", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")

#: Directories never part of a build's inputs, and written to during a run.
_SKIP_DIRS = frozenset(
    {".git", ".pytest_cache", ".tox", ".venv", ".mypy_cache", ".ruff_cache", "__pycache__"}
)

#: Plugin configuration that runs a program: its output cannot be keyed.
_FUNCTION_MARKERS = ("config.kubernetes.io/function", "exec:", "container:", "starlark:")


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


class Uncacheable(Exception):
    """The overlay reads something the key cannot account for; the message says what."""


@dataclass(frozen=True)
class Entry:
    """A cached render: Kustomize's output as printed, and the wrapper directory
    its origin paths are relative to (parsed again on every hit, exactly as a
    fresh render is, so a cached overlay can never differ from a rendered one).
    """

    text: str
    wrapper: str | None
    #: The parsed documents and their sources, when JSON holds them exactly
    #: (json_exact): loading JSON is several times faster than parsing YAML.
    parsed: list[tuple[dict[str, Any], str | None, dict[str, Any] | None]] | None = None


def json_exact(value: Any) -> bool:
    """Tell whether JSON round-trips ``value`` unchanged (no dates, bytes, int keys...)."""
    if isinstance(value, str) or value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_exact(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(json_exact(item) for item in value)
    return False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _named_files(data: Mapping[str, Any]) -> Iterator[str]:
    """Yield every path a kustomization names (files or directories), remote ones too."""
    for field in (
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "patchesStrategicMerge",
        "generators",
        "transformers",
        "validators",
    ):
        for entry in _strings(data.get(field)):
            if "\n" not in entry:  # inline patches and plugin configs are YAML text
                yield entry
    for field in ("patches", "patchesJson6902", "replacements"):
        for entry in data.get(field) or []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield entry["path"]
    for field in ("configMapGenerator", "secretGenerator"):
        for generator in data.get(field) or []:
            if not isinstance(generator, dict):
                continue
            for entry in _strings(generator.get("files")):
                yield entry.split("=", 1)[1] if "=" in entry else entry
            yield from _strings(generator.get("envs"))
            yield from _strings(generator.get("env"))
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield openapi["path"]
    helm_globals = data.get("helmGlobals")
    if isinstance(helm_globals, dict) and isinstance(helm_globals.get("chartHome"), str):
        yield helm_globals["chartHome"]
    for chart in data.get("helmCharts") or []:
        if isinstance(chart, dict):
            yield from _strings(chart.get("valuesFile"))
            yield from _strings(chart.get("additionalValuesFiles"))


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


def inputs(directory: Path, build_args: Sequence[str] = ()) -> Inputs:
    """Find everything the build of ``directory`` reads.

    Raises Uncacheable for anything the build reads that files cannot describe:
    remote targets, entries that exist nowhere locally, fetched helm charts,
    plugins that run programs or read outside the tree.
    """
    chain: list[Path] = []
    named: list[Path] = []
    helm = False
    seen: set[Path] = set()
    todo = [directory.resolve()]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        kfile = kustomization_file(current)
        if kfile is None:
            raise Uncacheable(f"{current} has no kustomization file")
        data = read_kustomization(kfile)
        if not data and kfile.read_bytes().strip():
            raise Uncacheable(f"{kfile} does not parse")
        chain.append(current)
        helm = helm or bool(data.get("helmCharts"))
        reason = _helm_problem(current, data) or _plugin_problem(current, kfile, data, build_args)
        if reason:
            raise Uncacheable(reason)
        for entry in _named_files(data):
            if is_remote(entry):
                raise Uncacheable(f"remote {entry} in {kfile}")
            target = Path(os.path.normpath(current / entry))
            if target.is_dir():
                if kustomization_file(target) is not None:
                    todo.append(target.resolve())
                else:
                    named.append(target.resolve())
            elif target.is_file():
                named.append(target.resolve())
            else:
                # Kustomize would try it as a remote target, or fail: either
                # way nothing on disk describes it.
                raise Uncacheable(f"{entry} in {kfile} is not a local file or directory")
    return Inputs(chain, named, helm)


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


def _parsed(value: Any) -> list[tuple[dict[str, Any], str | None, dict[str, Any] | None]] | None:
    """Read back Entry.parsed; anything malformed means: parse the text instead."""
    if not isinstance(value, list):
        return None
    parsed = []
    for row in value:
        if not (
            isinstance(row, list)
            and len(row) == 3
            and isinstance(row[0], dict)
            and isinstance(row[1], str | None)
            and isinstance(row[2], dict | None)
        ):
            return None
        parsed.append((row[0], row[1], row[2]))
    return parsed


class RenderCache:
    """Render results on disk, keyed by content; safe for concurrent processes."""

    def __init__(
        self,
        directory: Path,
        renderer: Renderer,
        build_args: Sequence[str],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
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
        self.hits = 0
        self.misses = 0
        self.uncacheable: dict[Path, str] = {}

    def key(self, overlay_dir: Path) -> str:
        """The overlay's key; raises Uncacheable when the inputs cannot be accounted for."""
        found = inputs(overlay_dir, self.build_args)
        digest = hashlib.sha256(self._base.encode())
        digest.update(f"overlay\0{overlay_dir.resolve()}\n".encode())
        if found.helm:
            helm = _binary_identity(_helm_command(self.build_args))
            digest.update(f"helm\0{json.dumps(helm)}\n".encode())
        for directory in sorted(found.chain):
            digest.update(f"dir\0{directory}\0{self._hasher.tree(directory)}\n".encode())
        for path in sorted(set(found.named)):
            if path.is_dir():
                digest.update(f"tree\0{path}\0{self._hasher.tree(path)}\n".encode())
            else:
                digest.update(f"file\0{path}\0{self._hasher.file(path)}\n".encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

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

    def get_findings(self, key: str) -> list[Finding] | None:
        """Return cached check findings; a corrupt entry is None."""
        try:
            with (self.directory / "checks" / f"{key}.json").open("rb") as handle:
                data = json.load(handle)
            if data["key"] != key or data["format"] != FORMAT:
                return None
            return [Finding(**{**row, "others": tuple(row["others"])}) for row in data["findings"]]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def put_findings(self, key: str, findings: Sequence[Finding]) -> None:
        """Store check findings atomically."""
        rows = [asdict(f) for f in findings]
        payload = {"format": FORMAT, "key": key, "findings": rows}
        self._write(self.directory / "checks", key, payload)

    def get(self, key: str) -> Entry | None:
        """Return the entry for ``key``; a missing or corrupt entry is None, never trusted."""
        try:
            with self._path(key).open("rb") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        if (
            not isinstance(data, dict)
            or data.get("format") != FORMAT
            or data.get("key") != key
            or not isinstance(data.get("text"), str)
            or not isinstance(data.get("wrapper"), (str, type(None)))
        ):
            return None
        return Entry(data["text"], data["wrapper"], _parsed(data.get("parsed")))

    def put(self, key: str, entry: Entry) -> None:
        """Write an entry atomically (temporary file, then rename)."""
        payload: dict[str, Any] = {
            "format": FORMAT,
            "key": key,
            "text": entry.text,
            "wrapper": entry.wrapper,
        }
        if entry.parsed is not None:
            payload["parsed"] = [list(row) for row in entry.parsed]
        self._write(self.directory, key, payload)

    @staticmethod
    def _write(directory: Path, key: str, payload: dict[str, Any]) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key[:12]}-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, separators=(",", ":"))
            os.replace(tmp, directory / f"{key}.json")
        except OSError:
            # A read-only or full cache directory costs speed, never correctness.
            return
