"""pytest hooks and fixtures: a thin shell over discovery, rendering and checks."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from .cache import RenderCache
from .checks import schema
from .collect import GATE_KEY, MARKER, OverlayCheckItem, make_items
from .discovery import DiscoveryError, OverlaySpec, discover_all
from .findings import SKIP_ANNOTATION, plural
from .gate import Gate
from .model import Overlay, Overlays
from .renderer import Probe, RendererNotFound, RenderError, find_renderer, run_version
from .settings import Settings, add_options, from_config
from .store import OverlayStore, RenderFailure, display_path

SETTINGS_KEY = pytest.StashKey[Settings]()
PROBE_CACHE_KEY = "k8s-overlays/renderer-versions"
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
        directory = pytest_cache.mkdir("k8s-overlays")
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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # tryfirst: our items exist before -k, -m and --lf select among all items.
    gate = config.stash.get(GATE_KEY, None)
    if gate is not None:
        items.extend(make_items(session, gate, config.stash[SETTINGS_KEY].checks))


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    gate = terminalreporter.config.stash.get(GATE_KEY, None)
    if gate is None:
        return
    lines = [
        f"{f.overlay} [{check}] {f.line()}"
        for (_, check), found in sorted(gate.suppressed.items(), key=lambda kv: kv[0][1])
        for f in found
    ]
    store = gate.store
    terminalreporter.write_sep("-", "k8s-overlays")
    summary = f"{plural(store.rendered, 'overlay')} rendered"
    if store.cache is not None:
        summary += f", {store.cache.hits} from the cache"
        uncacheable = store.cache.uncacheable
        if uncacheable:
            summary += f", {len(uncacheable)} not cacheable"
    terminalreporter.write_line(summary)
    if "schema" in terminalreporter.config.stash[SETTINGS_KEY].checks:
        _report_unvalidated(terminalreporter, gate)
    if store.cache is not None:
        for directory, why in sorted(store.cache.uncacheable.items()):
            shown = display_path(directory, terminalreporter.config.rootpath)
            terminalreporter.write_line(f"  not cached: {shown}: {why}")
    if lines:
        count = plural(len(lines), "finding")
        terminalreporter.write_line(f"{count} suppressed by the {SKIP_ANNOTATION} annotation:")
        for line in sorted(lines):
            terminalreporter.write_line(f"  {line}")


def _report_unvalidated(terminalreporter: pytest.TerminalReporter, gate: Gate) -> None:
    counts: Counter[str] = Counter()
    for result in gate.store.results():
        if isinstance(result, Overlay):
            counts.update(schema.unvalidated_kinds(result, gate.options))
    if not counts:
        return
    total = sum(counts.values())
    terminalreporter.write_line(
        f"{plural(total, 'custom resource')} not validated, no schema for the kind "
        "(add the CRD with --overlays-crds PATH; --overlays-require-schemas fails them):"
    )
    for kind, count in sorted(counts.items()):
        terminalreporter.write_line(f"  {kind}: {count}")


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
