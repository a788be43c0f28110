"""pytest hooks and fixtures: a thin shell over discovery, rendering and checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import report
from .collect import (
    MARKER,
    make_items,
    missing_specs,
    needed_specs,
    overlay_file,
    spec_for,
)
from .discovery import KUSTOMIZATION_FILES, OverlaySpec
from .model import Overlay, Overlays
from .renderer import RenderError
from .settings import add_options, from_config
from .startup import build_gate, make_store
from .stash import (
    CACHE_OFF_KEY,
    GATE_KEY,
    SETTINGS_KEY,
    STORE_KEY,
    WORKER_SUMMARIES_KEY,
)
from .store import OverlayStore, RenderFailure

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
    if settings.active and not (config.option.help or config.option.version):
        config.stash[GATE_KEY] = build_gate(config, settings)


def pytest_report_header(config: pytest.Config) -> list[str]:
    gate = config.stash.get(GATE_KEY, None)
    return report.header(gate) if gate is not None else []


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect an overlay's kustomization file where pytest's own walk reaches it,
    so a node id from a report (``.../kustomization.yaml::images``) runs again."""
    if file_path.name not in KUSTOMIZATION_FILES:
        return None  # most files: no look-up at all
    spec = spec_for(parent.config, file_path)
    if spec is None:
        return None
    return overlay_file(parent, spec, parent.config.stash[SETTINGS_KEY].checks)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # tryfirst: our items exist before -k, -m and --lf select among all items.
    gate = config.stash.get(GATE_KEY, None)
    if gate is not None:
        missing = missing_specs(config, gate, items)
        items.extend(make_items(session, missing, config.stash[SETTINGS_KEY].checks))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: Any) -> None:
    """Under pytest-xdist, fill the render cache once before the workers start
    (after the report header, which this hook follows)."""
    gate = config.stash.get(GATE_KEY, None)
    if (
        gate is not None
        and gate.store.cache is not None
        and not config.option.collectonly
        # Each worker clears the cache again on --cache-clear: filling it first
        # would only double the renders.
        and not config.option.cacheclear
    ):
        report.prefetch(config, gate, gate.specs)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Render, in parallel, every overlay a selected item needs, before any runs."""
    config = session.config
    gate = config.stash.get(GATE_KEY, None)
    if gate is None or config.option.collectonly or hasattr(config, "workerinput"):
        return
    needed = needed_specs(session.items, gate)
    if needed:
        report.prefetch(config, gate, needed)


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


def _lists_unvalidated(config: pytest.Config) -> bool:
    # With --overlays-require-schemas such kinds fail instead of being listed.
    settings = config.stash[SETTINGS_KEY]
    return "schema" in settings.checks and not settings.options.require_schemas


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand this worker's summary to the controller."""
    config = session.config
    gate = config.stash.get(GATE_KEY, None)
    output = getattr(config, "workeroutput", None)
    if gate is not None and output is not None:
        output["k8s_overlays"] = gate.summary(config.rootpath, _lists_unvalidated(config)).to_dict()


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
    summary = gate.summary(config.rootpath, _lists_unvalidated(config))
    for shared in config.stash.get(WORKER_SUMMARIES_KEY, []):
        summary.merge(shared)
    report.write_summary(terminalreporter, summary, config.stash.get(CACHE_OFF_KEY, None))


def _store(config: pytest.Config) -> OverlayStore:
    """The gate's store (renders are shared), or one of its own without --overlays."""
    gate = config.stash.get(GATE_KEY, None)
    if gate is not None:
        return gate.store
    store = config.stash.get(STORE_KEY, None)
    if store is None:
        store = make_store(config, config.stash[SETTINGS_KEY])
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
