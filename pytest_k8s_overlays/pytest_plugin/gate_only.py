"""The plugin the gate-only command (:mod:`.cli`) loads with ``-p``, in pytest-xdist workers too.

A module of its own: pytest rewrites the asserts of a module named with ``-p``
and warns when it was already imported, as the command's own module is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .stash import SETTINGS_KEY


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path) -> bool:
    """pytest's walk of the tree collects nothing: the gate adds its own items."""
    return True


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Nothing to gate is a usage error here, not pytest's "no tests ran"."""
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is not None and not settings.active and not config.option.help:
        raise pytest.UsageError(
            "k8s-overlays: no overlays configured: name them (k8s-overlays k8s/overlays), "
            "pass --overlays-argocd PATH, or set the ini key overlays"
        )
