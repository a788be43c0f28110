"""Build the session's gate from the settings: discovery, renderer, cache; usage errors."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..cache import RenderCache
from ..cache.entries import private_directory
from ..cache.key import ENV_PREFIXES
from ..cache.secret import KeyUnavailable, cache_secret
from ..config.settings import Settings
from ..core.paths import display_path, remember_resolutions
from ..core.text import shown_lines
from ..gate.handoff import WORKERINPUT_KEY, SessionRenders
from ..gate.state import Gate
from ..gate.store import OverlayStore
from ..render.engine import (
    PROBE_TIMEOUT,
    Probe,
    Renderer,
    RendererNotFound,
    RenderError,
    build,
    find_renderer,
    run_version,
    version_of,
)
from ..render.processes import clean_stale_directories, temporary_directory
from ..reporting.files import symlinked_directory
from ..reporting.locate import repository_root
from ..sources.kustomize.components import with_components
from ..sources.kustomize.overlays import DiscoveryError, discover_all
from .stash import CACHE_OFF_KEY

if TYPE_CHECKING:
    from ..sources.argocd.discovery import Instance

PROBE_CACHE_KEY = "k8s-overlays/renderer-versions"


def build_gate(config: pytest.Config, settings: Settings) -> Gate:
    """Discover the overlays and Argo CD Applications and set up rendering; UsageError
    for bad input."""
    # The session's span of remembered directory resolutions (ended at unconfigure).
    remember_resolutions(True)
    try:
        return _build_gate(config, settings)
    except BaseException:
        remember_resolutions(False)
        raise


def _build_gate(config: pytest.Config, settings: Settings) -> Gate:
    try:
        found = discover_all(settings.overlays, settings.overlays_label, config.rootpath)
        groups = with_components(found)
    except DiscoveryError as error:
        raise pytest.UsageError(shown_lines(str(error))) from None
    check_schema_inputs(settings, config.rootpath)
    check_placeholders(settings)
    check_output_paths(settings, config.rootpath)
    if not hasattr(config, "workerinput"):  # the controller writes the JUnit XML
        check_junit_path(config)
    store = make_store(config, settings)
    if not hasattr(config, "workerinput"):  # the pytest-xdist controller checked already
        check_renderer(config, settings, store.renderer)
    instances = discover_argocd(config, settings, store) if settings.argocd else []
    every = [*groups, *(g for i in instances for g in i.groups)]
    # Checks that compare groups (environment-leak) see Argo CD's groups too.
    options = replace(settings.options, groups=tuple(group.name for group in every))
    # What Argo CD Applications not rendered here deploy is presumed present.
    options = replace(options, presumed=tuple(p for i in instances for p in i.presumed))
    gate = Gate(every, store, options, settings.jobs)
    gate.instances = instances
    return gate


def discover_argocd(
    config: pytest.Config, settings: Settings, store: OverlayStore
) -> list[Instance]:
    """Discover each Argo CD instance (the argocd package loads only here)."""
    from ..sources.argocd.discovery import ArgoSettings, InstanceError, discover_instance

    argo = ArgoSettings(
        settings.argocd_repos,
        settings.argocd_clusters,
        settings.argocd_build_options,
        settings.timeout,
    )
    instances: list[Instance] = []
    seen: set[str] = set()
    for value, base in settings.argocd:
        where = os.path.normpath(base / value) if value.strip() else value
        if where in seen:
            continue
        seen.add(where)
        try:
            instance = discover_instance(
                value, base, config.rootpath, argo, store.documents, settings.argocd_label
            )
        except InstanceError as error:
            raise pytest.UsageError(shown_lines(str(error))) from None
        instances.append(instance)
    return instances


BUILDS_CACHE_KEY = "k8s-overlays/renderer-builds"


def check_renderer(config: pytest.Config, settings: Settings, renderer: Renderer) -> None:
    """Build an empty kustomization with the renderer and the build arguments; a
    failure, which every overlay would share, is one usage error, not a flood.

    A success is remembered per renderer binary, arguments and environment.
    """
    cache = own_cache(config)
    key = _renderer_identity(renderer, settings.build_args)
    known = cache.get(BUILDS_CACHE_KEY, []) if cache is not None else []
    if isinstance(known, list) and key in known:
        return
    with temporary_directory("probe-") as tmp:
        Path(tmp, "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
        try:
            build(renderer, Path(tmp), settings.build_args, settings.timeout, origins=False)
        except RenderError as error:
            raise pytest.UsageError(_unusable(renderer, settings.build_args, error)) from None
    if cache is not None:
        cache.set(BUILDS_CACHE_KEY, [*(known if isinstance(known, list) else [])[-20:], key])


def _renderer_identity(renderer: Renderer, build_args: Sequence[str]) -> str:
    try:
        stat = Path(renderer.binary).stat()
        binary = f"{renderer.binary}|{stat.st_size}|{stat.st_mtime_ns}"
    except OSError:
        binary = renderer.binary
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIXES))
    # A digest: pytest's cache is no place for HELM_* or KUSTOMIZE_* values (a token).
    identity = json.dumps([binary, list(renderer.argv), list(build_args), env])
    return hashlib.sha256(identity.encode()).hexdigest()


def _unusable(renderer: Renderer, build_args: Sequence[str], error: RenderError) -> str:
    command = " ".join([Path(renderer.argv[0]).name, *renderer.argv[1:]])
    if build_args:
        return (
            f"--overlays-build-args={shlex.join(build_args)}: {command} cannot build even an "
            f"empty kustomization with them, so every overlay would fail alike: {error}"
        )
    return (
        f"the renderer {command} ({renderer.binary}) cannot build even an empty "
        f"kustomization, so every overlay would fail alike: {error}"
    )


def check_schema_inputs(settings: Settings, root: Path) -> None:
    """Reject an unbundled Kubernetes version or an unreadable CRD path up front."""
    from ..checks.schema.versions import UnsupportedVersion, resolve_version
    from ..parse.crds import CrdFileError, load_crds

    options = settings.options
    try:
        resolve_version(options.k8s_version)
    except UnsupportedVersion as error:
        raise pytest.UsageError(f"--overlays-k8s-version {options.k8s_version}: {error}") from None
    try:
        load_crds(options.crds, root)
    except CrdFileError as error:
        raise pytest.UsageError(shown_lines(str(error))) from None


def check_placeholders(settings: Settings) -> None:
    """Reject a namespace or image convention pattern with an unknown placeholder
    (``{nme}``), which every resource or container would fail, up front."""
    from ..checks.images import CONVENTION_PLACEHOLDERS
    from ..checks.namespace import PLACEHOLDERS, unknown_placeholders

    given: list[tuple[str, str | None, tuple[str, ...]]] = [
        ("--overlays-namespace", settings.options.namespace, PLACEHOLDERS)
    ]
    given += [
        ("--overlays-image-convention", pattern, CONVENTION_PLACEHOLDERS)
        for pattern in settings.options.image_convention
    ]
    for flag, pattern, known in given:
        unknown = unknown_placeholders(pattern, known) if pattern else []
        if unknown:
            raise pytest.UsageError(
                f"{flag}={pattern}: {', '.join(unknown)} is no placeholder; "
                f"use {', '.join(known[:-1])} or {known[-1]}"
            )


def check_output_paths(settings: Settings, rootdir: Path) -> None:
    """Refuse a report path that cannot be written before anything runs, not after:
    a directory, or one whose directory is a symbolic link in the checkout."""
    for flag, path in (
        ("--overlays-report", settings.report),
        ("--overlays-sarif", settings.sarif),
    ):
        if path is None:
            continue
        if path.is_dir():
            raise pytest.UsageError(f"{flag}={path}: a directory; name the file to write")
        linked = symlinked_directory(path, repository_root(rootdir))
        if linked is not None:
            raise pytest.UsageError(
                f"{flag}={path}: {linked} is a symbolic link; a report is never written through one"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise pytest.UsageError(
                f"{flag}={path}: cannot create its directory: {error}"
            ) from None


def check_junit_path(config: pytest.Config) -> None:
    """pytest writes ``--junitxml`` itself, through a symlink at its path: remove a
    link the checkout holds there (pytest then writes a file of its own, as the gate's
    reports replace one), and refuse a path through a symlinked directory."""
    value = getattr(config.option, "xmlpath", None)
    if not value:
        return
    # Where pytest's LogXML writes it.
    path = Path(os.path.abspath(os.path.expanduser(os.path.expandvars(value))))
    path = Path(os.path.normpath(path))
    root = repository_root(config.rootpath)
    linked = symlinked_directory(path, root)
    if linked is not None:
        raise pytest.UsageError(
            f"--junitxml={path}: {linked} is a symbolic link; a report is never written through one"
        )
    if path.is_symlink() and root in path.parents:
        path.unlink()


def version_probe(config: pytest.Config, timeout: float = PROBE_TIMEOUT) -> Probe:
    """Remember what a renderer binary says of its version, per binary file.

    Keyed by path, size and modification time: a replaced binary is asked again.
    Saves starting kubectl once more on every run. Each probe is bounded by
    ``timeout`` (--overlays-timeout); an answer naming no version (a timeout,
    a crash) is not remembered.
    """

    def run(argv: Sequence[str]) -> str:
        return run_version(argv, timeout)

    cache = own_cache(config)
    if cache is None:
        return run
    known = cache.get(PROBE_CACHE_KEY, {})
    if not isinstance(known, dict):
        known = {}

    def probe(argv: Sequence[str]) -> str:
        try:
            stat = Path(argv[0]).stat()
        except OSError:
            return run(argv)
        key = f"{' '.join(argv)}|{stat.st_size}|{stat.st_mtime_ns}"
        output = known.get(key)
        if not isinstance(output, str):
            output = run(argv)
            if version_of(output) is not None:
                known[key] = output
                cache.set(PROBE_CACHE_KEY, known)
        return output

    return probe


def make_store(config: pytest.Config, settings: Settings) -> OverlayStore:
    """Find the renderer and open the render cache in pytest's cache directory."""
    # What a run killed with kill -9 left behind (its wrapper kustomizations).
    clean_stale_directories()
    try:
        renderer = find_renderer(
            settings.kustomize,
            settings.kustomize_source,
            probe=version_probe(config, settings.timeout),
        )
    except RendererNotFound as error:
        raise pytest.UsageError(str(error)) from None
    cache = None
    if not settings.use_cache:
        config.stash[CACHE_OFF_KEY] = "render cache off: --overlays-no-cache (or overlays_cache)"
    elif getattr(config, "cache", None) is None:
        config.stash[CACHE_OFF_KEY] = "render cache off: pytest's cacheprovider plugin is off"
    else:
        try:
            cache = open_cache(config, settings, renderer)
        except CacheOff as why:
            # A read-only checkout or a missing key costs speed, never the run.
            config.stash[CACHE_OFF_KEY] = f"render cache off: {why}"
    store = OverlayStore(
        renderer,
        settings.build_args,
        settings.timeout,
        display_root=config.rootpath,
        cache=cache,
        keep_origins=settings.keep_origins,
        crd_files=settings.options.crds,
    )
    # A pytest-xdist worker reads the renders its controller made, from the start
    # (Argo CD discovery renders app-of-apps roots before any item runs).
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        store.shared = SessionRenders.from_workerinput(workerinput.get(WORKERINPUT_KEY))
    return store


class CacheOff(Exception):
    """The render cache cannot be used this session; the message says why."""


def open_cache(config: pytest.Config, settings: Settings, renderer: Renderer) -> RenderCache | None:
    """Open the render cache in pytest's cache directory: private, signed, never committed.

    None with ``-p no:cacheprovider``; CacheOff when it cannot be trusted or used.
    """
    pytest_cache = getattr(config, "cache", None)
    if pytest_cache is None:
        return None
    linked = _committed_link(_cache_dir(config) / "d" / "k8s-overlays", config.rootpath)
    if linked is not None:
        # A pull request's link: the cache would chmod, write Secrets into and prune
        # whatever directory it names.
        shown = display_path(linked, config.rootpath)
        raise CacheOff(f"{shown} is a symbolic link: the render cache is never used through one")
    try:
        directory = pytest_cache.mkdir("k8s-overlays")
        private_directory(directory)
        info = directory.stat()
    except OSError as error:
        raise CacheOff(str(error)) from None
    shown = display_path(directory, config.rootpath)
    if (hasattr(os, "getuid") and info.st_uid != os.getuid()) or info.st_mode & 0o077:
        raise CacheOff(f"{shown} is not private to you (owner or mode); remove it")
    if tracked_by_git(directory):
        raise CacheOff(
            f"{shown} is tracked by git: entries from a commit are never trusted; "
            f"untrack it (git rm -r --cached {shown}) and keep .pytest_cache out of commits"
        )
    try:
        secret = cache_secret(settings.cache_key_file)
    except KeyUnavailable as error:
        if settings.cache_key_file is not None:
            # Named on purpose: a typo there must not turn the cache off unnoticed.
            raise pytest.UsageError(f"--overlays-cache-key-file: {error}") from None
        raise CacheOff(str(error)) from None
    return RenderCache(directory, renderer, settings.build_args, secret=secret)


def own_cache(config: pytest.Config) -> pytest.Cache | None:
    """pytest's cache for what the gate remembers (renderer probes), unless it lies
    behind a symbolic link in the checkout: a pull request's, to read or write."""
    cache: pytest.Cache | None = getattr(config, "cache", None)
    if cache is None or _committed_link(_cache_dir(config) / "v", config.rootpath):
        return None
    return cache


def _cache_dir(config: pytest.Config) -> Path:
    """pytest's cache directory, as pytest resolves its ini key ``cache_dir``."""
    value = os.path.expanduser(os.path.expandvars(str(config.getini("cache_dir"))))
    return Path(os.path.normpath(config.rootpath / value))


def _committed_link(path: Path, root: Path) -> Path | None:
    """The first component of ``path`` under ``root`` that is a symbolic link, if any
    (a cache directory configured outside the rootdir is the user's own)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def tracked_by_git(directory: Path) -> bool:
    """Tell whether git tracks any file under ``directory`` (False without git or a repo)."""
    try:
        if not any(directory.iterdir()):
            return False  # nothing there: nothing committed
        done = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "--", "."],
            capture_output=True,
            timeout=10,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and bool(done.stdout)
