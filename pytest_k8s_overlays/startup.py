"""Build the session's gate from the settings: discovery, renderer, cache; usage errors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from .cache import RenderCache
from .cache.secret import KeyUnavailable, cache_secret
from .cache.store import private_directory
from .discovery import DiscoveryError, discover_all
from .gate import Gate
from .paths import display_path
from .renderer import (
    PROBE_TIMEOUT,
    Probe,
    Renderer,
    RendererNotFound,
    find_renderer,
    run_version,
    version_of,
)
from .settings import Settings
from .stash import CACHE_OFF_KEY
from .store import OverlayStore

PROBE_CACHE_KEY = "k8s-overlays/renderer-versions"


def build_gate(config: pytest.Config, settings: Settings) -> Gate:
    """Discover the overlays and set up rendering; UsageError for bad input."""
    try:
        groups = discover_all(settings.overlays, settings.overlays_label)
    except DiscoveryError as error:
        raise pytest.UsageError(str(error)) from None
    check_schema_inputs(settings, config.rootpath)
    return Gate(groups, make_store(config, settings), settings.options, settings.jobs)


def check_schema_inputs(settings: Settings, root: Path) -> None:
    """Reject an unbundled Kubernetes version or an unreadable CRD path up front."""
    from .checks.schema.versions import UnsupportedVersion, resolve_version
    from .crds import CrdFileError, load_crds

    options = settings.options
    try:
        resolve_version(options.k8s_version)
    except UnsupportedVersion as error:
        raise pytest.UsageError(f"--overlays-k8s-version {options.k8s_version}: {error}") from None
    try:
        load_crds(options.crds, root)
    except CrdFileError as error:
        raise pytest.UsageError(str(error)) from None


def version_probe(config: pytest.Config, timeout: float = PROBE_TIMEOUT) -> Probe:
    """Remember what a renderer binary says of its version, per binary file.

    Keyed by path, size and modification time: a replaced binary is asked again.
    Saves starting kubectl once more on every run. Each probe is bounded by
    ``timeout`` (--overlays-timeout); an answer naming no version (a timeout,
    a crash) is not remembered.
    """

    def run(argv: Sequence[str]) -> str:
        return run_version(argv, timeout)

    cache = getattr(config, "cache", None)
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
    try:
        renderer = find_renderer(
            settings.kustomize,
            settings.kustomize_source,
            probe=version_probe(config, settings.timeout),
        )
    except RendererNotFound as error:
        raise pytest.UsageError(str(error)) from None
    cache = None
    if settings.use_cache:
        try:
            cache = open_cache(config, settings, renderer)
        except CacheOff as why:
            # A read-only checkout or a missing key costs speed, never the run.
            config.stash[CACHE_OFF_KEY] = f"render cache off: {why}"
    return OverlayStore(
        renderer,
        settings.build_args,
        settings.timeout,
        display_root=config.rootpath,
        cache=cache,
        keep_origins=settings.keep_origins,
    )


class CacheOff(Exception):
    """The render cache cannot be used this session; the message says why."""


def open_cache(config: pytest.Config, settings: Settings, renderer: Renderer) -> RenderCache | None:
    """Open the render cache in pytest's cache directory: private, signed, never committed.

    None with ``-p no:cacheprovider``; CacheOff when it cannot be trusted or used.
    """
    pytest_cache = getattr(config, "cache", None)
    if pytest_cache is None:
        return None
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
        raise CacheOff(str(error)) from None
    return RenderCache(directory, renderer, settings.build_args, secret=secret)


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
