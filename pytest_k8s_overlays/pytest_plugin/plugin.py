"""pytest entry point: the options, the fixtures, and the gate, registered only when asked for.

This module is what pytest loads on every start-up in an environment where
the plugin is installed, gate or not, so it imports little: the settings
table and the stash keys. The gate itself (discovery, rendering, the checks,
jsonschema) lives in :mod:`.session` and is imported and registered as a
plugin in ``pytest_configure`` only when overlays are configured, the way
pytest-xdist registers its session only with ``-n``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..config.settings import value_flags
from . import rootguard
from .marker import MARKER
from .options import add_options, diff_asked, from_config
from .stash import NOT_CONFIGURED, SESSION_KEY, SETTINGS_KEY, STORE_KEY

if TYPE_CHECKING:
    from ..core.resources import Overlay, Overlays
    from ..gate.store import OverlayStore


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


# pytest reads only names starting with "pytest_": a second pytest_configure, first.
@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_keep_the_controllers_cache(config: pytest.Config) -> None:
    """On a pytest-xdist worker, before pytest's cache is set up: ``--cache-clear`` was
    done once, by the controller, before it rendered every overlay into the cache; a
    worker clearing the directory again (each did, as it started) threw those renders
    away, and a CI job with ``-n auto --cache-clear`` saved an empty cache."""
    if hasattr(config, "workerinput") and config.getoption("cacheclear", False):
        config.option.cacheclear = False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: a built-in pytest-k8s-overlays check of one overlay"
    )
    # ``--overlays-kustomize /usr/bin/kubectl``: pytest took the path for a test path.
    rootguard.check(config, value_flags())
    settings = from_config(config)
    config.stash[SETTINGS_KEY] = settings
    if settings.active and not (config.option.help or config.option.version):
        from .session import GateSession

        session = GateSession(config, settings)
        config.stash[SESSION_KEY] = session
        config.pluginmanager.register(session, "k8s-overlays-gate")
        if diff_asked(config):  # imported only then: a hundredth of a second otherwise
            from .diffmode import register

            register(config, session)


def _store(config: pytest.Config) -> OverlayStore:
    """The gate's store (renders are shared), or one of its own without --overlays."""
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        return session.gate.store
    store = config.stash.get(STORE_KEY, None)
    if store is None:
        from .startup import make_store

        store = make_store(config, config.stash[SETTINGS_KEY])
        config.stash[STORE_KEY] = store
    return store


@pytest.fixture(scope="session")
def k8s_overlay(request: pytest.FixtureRequest) -> Overlay:
    """One rendered overlay; tests using it run once per discovered overlay."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.fail(NOT_CONFIGURED, pytrace=False)
    return session.overlay_param(request)


@pytest.fixture(scope="session")
def overlay(k8s_overlay: Overlay) -> Overlay:
    """One rendered overlay (``k8s_overlay``); a fixture of your own named ``overlay`` wins."""
    # An alias, not the parametrized fixture itself: a project's own `overlay`
    # fixture overrides it, and its tests then no longer request k8s_overlay, so
    # the plugin does not parametrize them.
    return k8s_overlay


@pytest.fixture(scope="session")
def overlays(request: pytest.FixtureRequest) -> Overlays:
    """Every discovered overlay, rendered, with look-ups by group and name."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is None:
        pytest.fail(NOT_CONFIGURED, pytrace=False)
    return session.all_overlays()


@pytest.fixture(scope="session")
def render_overlay(request: pytest.FixtureRequest) -> Callable[[str | Path], Overlay]:
    """Render any kustomization directory on demand (cached); raises RenderError."""
    from ..render.engine import RenderError

    config = request.config
    base = config.invocation_params.dir

    def render(path: str | Path) -> Overlay:
        try:
            store = _store(config)
        except pytest.UsageError as error:
            raise RenderError(str(error)) from None
        return store.render_path(base / path)

    return render
