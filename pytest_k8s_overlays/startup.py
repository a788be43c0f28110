"""Build the session's gate from the settings: discovery, renderer, cache; usage errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from .cache import RenderCache
from .discovery import DiscoveryError, discover_all
from .gate import Gate
from .renderer import Probe, RendererNotFound, find_renderer, run_version
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
    check_output_paths(settings)
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


def check_output_paths(settings: Settings) -> None:
    """Refuse a report path that cannot be written before anything runs, not after."""
    for flag, path in (
        ("--overlays-report", settings.report),
        ("--overlays-sarif", settings.sarif),
    ):
        if path is None:
            continue
        if path.is_dir():
            raise pytest.UsageError(f"{flag}={path}: a directory; name the file to write")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise pytest.UsageError(
                f"{flag}={path}: cannot create its directory: {error}"
            ) from None


def version_probe(config: pytest.Config) -> Probe:
    """Remember what a renderer binary says of its version, per binary file.

    Keyed by path, size and modification time: a replaced binary is asked again.
    Saves starting kubectl once more on every run.
    """
    cache = getattr(config, "cache", None)
    if cache is None:
        return run_version
    known = cache.get(PROBE_CACHE_KEY, {})
    if not isinstance(known, dict):
        known = {}

    def probe(argv: Sequence[str]) -> str:
        try:
            stat = Path(argv[0]).stat()
        except OSError:
            return run_version(argv)
        key = f"{' '.join(argv)}|{stat.st_size}|{stat.st_mtime_ns}"
        output = known.get(key)
        if not isinstance(output, str):
            output = run_version(argv)
            known[key] = output
            cache.set(PROBE_CACHE_KEY, known)
        return output

    return probe


def make_store(config: pytest.Config, settings: Settings) -> OverlayStore:
    """Find the renderer and open the render cache in pytest's cache directory."""
    try:
        renderer = find_renderer(
            settings.kustomize, settings.kustomize_source, probe=version_probe(config)
        )
    except RendererNotFound as error:
        raise pytest.UsageError(str(error)) from None
    cache = None
    pytest_cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
    if settings.use_cache and pytest_cache is not None:
        try:
            directory = pytest_cache.mkdir("k8s-overlays")
        except OSError as error:
            # A read-only checkout costs speed, never the run.
            config.stash[CACHE_OFF_KEY] = f"render cache off: {error}"
        else:
            cache = RenderCache(directory, renderer, settings.build_args)
    return OverlayStore(
        renderer,
        settings.build_args,
        settings.timeout,
        display_root=config.rootpath,
        cache=cache,
        keep_origins=settings.keep_origins,
    )
