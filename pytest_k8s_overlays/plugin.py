"""pytest hooks and fixtures: a thin shell over discovery, rendering and checks."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .cache import RenderCache
from .checks import schema
from .collect import GATE_KEY, MARKER, OverlayCheckItem, make_items, overlay_file
from .discovery import DiscoveryError, OverlaySpec, discover_all
from .findings import SKIP_ANNOTATION, plural
from .gate import Gate
from .model import Overlay, Overlays
from .renderer import Probe, RendererNotFound, RenderError, find_renderer, run_version
from .settings import Settings, add_options, from_config
from .store import OverlayStore, RenderFailure

SETTINGS_KEY = pytest.StashKey[Settings]()
PROBE_CACHE_KEY = "k8s-overlays/renderer-versions"
CACHE_OFF_KEY = pytest.StashKey[str]()
SPECS_BY_FILE_KEY = pytest.StashKey[dict[Path, OverlaySpec]]()
WORKER_SUMMARIES_KEY = pytest.StashKey[list[dict[str, Any]]]()
STORE_KEY = pytest.StashKey[OverlayStore]()
NOT_CONFIGURED = (
    "no overlays configured: pass --overlays PATH (for example --overlays k8s/overlays) "
    "or set the ini key overlays"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a built-in pytest-k8s-overlays check of one overlay"
    )
    settings = from_config(config)
    config.stash[SETTINGS_KEY] = settings
    if not settings.active or config.option.help or config.option.version:
        return
    try:
        groups = discover_all(settings.overlays, settings.overlays_label)
    except DiscoveryError as error:
        raise pytest.UsageError(str(error)) from None
    _check_schema_inputs(settings)
    store = _make_store(config, settings)
    config.stash[STORE_KEY] = store
    config.stash[GATE_KEY] = Gate(groups, store, settings.options, settings.jobs)


def _check_schema_inputs(settings: Settings) -> None:
    """Reject an unbundled Kubernetes version or an unreadable CRD path up front."""
    options = settings.options
    try:
        schema.resolve_version(options.k8s_version)
    except schema.UnsupportedVersion as error:
        raise pytest.UsageError(f"--overlays-k8s-version {options.k8s_version}: {error}") from None
    try:
        schema.load_crds(options.crds)
    except schema.CrdFileError as error:
        raise pytest.UsageError(str(error)) from None


def _version_probe(config: pytest.Config) -> Probe:
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


def _make_store(config: pytest.Config, settings: Settings) -> OverlayStore:
    try:
        renderer = find_renderer(
            settings.kustomize, settings.kustomize_source, probe=_version_probe(config)
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


def pytest_report_header(config: pytest.Config) -> list[str]:
    gate = config.stash.get(GATE_KEY, None)
    if gate is None:
        return []
    count = len(gate.specs)
    return [
        f"k8s-overlays: {plural(count, 'overlay')} in {plural(len(gate.groups), 'group')}; "
        f"renderer: {gate.store.renderer.describe()}"
    ]


def _spec_for(config: pytest.Config, path: Path) -> OverlaySpec | None:
    gate = config.stash.get(GATE_KEY, None)
    if gate is None:
        return None
    by_file = config.stash.get(SPECS_BY_FILE_KEY, None)
    if by_file is None:
        by_file = {spec.kustomization.resolve(): spec for spec in gate.specs}
        config.stash[SPECS_BY_FILE_KEY] = by_file
    try:
        return by_file.get(path.resolve())
    except OSError:
        return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect an overlay's kustomization file where pytest's own walk reaches it,
    so a node id from a report (``.../kustomization.yaml::images``) runs again."""
    spec = _spec_for(parent.config, file_path)
    if spec is None:
        return None
    return overlay_file(parent, spec, parent.config.stash[SETTINGS_KEY].checks)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the items of the overlays pytest's own collection did not reach.

    Arguments naming gate items (a kustomization file, its node ids, or a
    directory holding overlays) limit the gate to those; single tests named
    (``path::test``) while the overlays come from the ini file run alone.
    Otherwise (``pytest``, ``pytest tests/``, testpaths) every overlay is gated.
    """
    # tryfirst: our items exist before -k, -m and --lf select among all items.
    gate = config.stash.get(GATE_KEY, None)
    if gate is None:
        return
    settings = config.stash[SETTINGS_KEY]
    base = config.invocation_params.dir
    plain = [(base / arg).resolve() for arg in config.args if "::" not in arg]
    node_ids = [(base / arg.split("::")[0]).resolve() for arg in config.args if "::" in arg]

    def under(paths: list[Path], spec: OverlaySpec) -> bool:
        file = spec.kustomization.resolve()
        return any(path == file or path in file.parents for path in paths)

    if any(under(plain + node_ids, spec) for spec in gate.specs):
        # pytest collected what the arguments name; add what its walk skipped
        # (norecursedirs), but not beside a node id, which selects exactly.
        wanted = [s for s in gate.specs if under(plain, s) and not under(node_ids, s)]
    elif node_ids and settings.overlays_label != "--overlays":
        wanted = []
    else:
        wanted = gate.specs
    have = {item.spec for item in items if isinstance(item, OverlayCheckItem)}
    missing = [spec for spec in wanted if spec not in have]
    items.extend(make_items(session, missing, settings.checks))


def _needed(items: list[pytest.Item], gate: Gate) -> list[OverlaySpec]:
    needed: dict[OverlaySpec, None] = {}
    for item in items:
        if isinstance(item, OverlayCheckItem):
            needed[item.spec] = None
        elif "overlays" in getattr(item, "fixturenames", ()):
            return gate.specs
        else:
            callspec = getattr(item, "callspec", None)
            param = callspec.params.get("overlay") if callspec is not None else None
            if isinstance(param, OverlaySpec):
                needed[param] = None
    return list(needed)


def _prefetch(config: pytest.Config, gate: Gate, specs: list[OverlaySpec]) -> None:
    """Render ``specs`` in parallel, with a progress line when it takes a while."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not reporter.isatty:
        gate.store.prefetch(specs, gate.jobs)
        return
    terminal: pytest.TerminalReporter = reporter
    start = time.monotonic()

    def progress(done: int, total: int) -> None:
        if time.monotonic() - start > 0.5:
            terminal.rewrite(f"rendering overlays: {done}/{total}", bold=True)

    gate.store.prefetch(specs, gate.jobs, progress)
    if time.monotonic() - start > 0.5:
        terminal.rewrite("", erase=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under pytest-xdist, fill the render cache once before the workers start."""
    config = session.config
    gate = config.stash.get(GATE_KEY, None)
    if (
        gate is not None
        and gate.store.cache is not None
        and config.pluginmanager.hasplugin("dsession")
        and not config.option.collectonly
        # Each worker clears the cache again on --cache-clear: filling it first
        # would only double the renders.
        and not config.option.cacheclear
    ):
        _prefetch(config, gate, gate.specs)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Render, in parallel, every overlay a selected item needs, before any runs."""
    config = session.config
    gate = config.stash.get(GATE_KEY, None)
    if gate is None or config.option.collectonly or hasattr(config, "workerinput"):
        return
    needed = _needed(session.items, gate)
    if needed:
        _prefetch(config, gate, needed)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "overlay" not in metafunc.fixturenames:
        return
    gate = metafunc.config.stash.get(GATE_KEY, None)
    if gate is None:
        return
    specs = gate.specs
    names = [spec.name for spec in specs]
    unique = len(set(names)) == len(names)
    ids = [spec.name if unique else f"{spec.group}:{spec.name}" for spec in specs]
    metafunc.parametrize("overlay", specs, ids=ids, indirect=True, scope="session")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand this worker's summary to the controller."""
    config = session.config
    gate = config.stash.get(GATE_KEY, None)
    output = getattr(config, "workeroutput", None)
    if gate is not None and output is not None:
        unvalidated = "schema" in config.stash[SETTINGS_KEY].checks
        output["k8s_overlays"] = gate.summary(config.rootpath, unvalidated).to_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller, collect a worker's summary."""
    shared = getattr(node, "workeroutput", {}).get("k8s_overlays")
    if shared is not None:
        node.config.stash.setdefault(WORKER_SUMMARIES_KEY, []).append(shared)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    gate = config.stash.get(GATE_KEY, None)
    if gate is None or config.option.collectonly:
        return
    summary = gate.summary(config.rootpath, "schema" in config.stash[SETTINGS_KEY].checks)
    for shared in config.stash.get(WORKER_SUMMARIES_KEY, []):
        summary.merge(shared)
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", "k8s-overlays")
    line = f"{plural(summary.rendered, 'overlay')} rendered"
    if summary.hits is not None:
        line += f", {summary.hits} from the cache"
    if summary.uncacheable:
        line += f", {len(summary.uncacheable)} not cacheable"
    write(line)
    for directory, why in sorted(summary.uncacheable.items()):
        write(f"  not cached: {directory}: {why}")
    cache_off = config.stash.get(CACHE_OFF_KEY, None)
    if cache_off:
        write(f"  {cache_off}")
    counts: Counter[str] = Counter()
    for per_overlay in summary.unvalidated.values():
        counts.update(per_overlay)
    if counts:
        write(
            f"{plural(sum(counts.values()), 'custom resource')} not validated, no schema for "
            "the kind (add the CRD with --overlays-crds PATH; --overlays-require-schemas "
            "fails them):"
        )
        for kind, count in sorted(counts.items()):
            write(f"  {kind}: {count}")
    if summary.suppressed:
        found = plural(len(summary.suppressed), "finding")
        write(f"{found} suppressed by the {SKIP_ANNOTATION} annotation:")
        for suppressed in sorted(summary.suppressed):
            write(f"  {suppressed}")


def _store(config: pytest.Config) -> OverlayStore:
    store = config.stash.get(STORE_KEY, None)
    if store is None:
        store = _make_store(config, config.stash[SETTINGS_KEY])
        config.stash[STORE_KEY] = store
    return store


@pytest.fixture(scope="session")
def overlay(request: pytest.FixtureRequest) -> Overlay:
    """One rendered overlay; tests using it run once per discovered overlay."""
    spec = getattr(request, "param", None)
    if not isinstance(spec, OverlaySpec):
        pytest.fail(NOT_CONFIGURED, pytrace=False)
    result = request.config.stash[GATE_KEY].store.result(spec)
    if isinstance(result, RenderFailure):
        pytest.fail(result.message, pytrace=False)
    return result


@pytest.fixture(scope="session")
def overlays(request: pytest.FixtureRequest) -> Overlays:
    """Every discovered overlay, rendered, with look-ups by group and name."""
    gate = request.config.stash.get(GATE_KEY, None)
    if gate is None:
        pytest.fail(NOT_CONFIGURED, pytrace=False)
    gate.store.prefetch(gate.specs, gate.jobs)
    results = [gate.store.result(spec) for spec in gate.specs]
    failures = {r.spec.name: r.message for r in results if isinstance(r, RenderFailure)}
    return Overlays((r for r in results if isinstance(r, Overlay)), failures)


@pytest.fixture(scope="session")
def render_overlay(request: pytest.FixtureRequest) -> Iterator[Callable[[str | Path], Overlay]]:
    """Render any kustomization directory on demand (cached); raises RenderError."""
    config = request.config
    base = config.invocation_params.dir

    def render(path: str | Path) -> Overlay:
        try:
            store = _store(config)
        except pytest.UsageError as error:
            raise RenderError(str(error)) from None
        return store.render_path(base / path)

    yield render
