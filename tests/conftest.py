"""Shared fixtures: real overlay trees built from example_repo (builders live in builders.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# The gate's modules load only when a run configures overlays. Load them here,
# once, before any in-process pytester run: pytester drops the modules a run
# imported when it ends, and PyYAML's C extension cannot be imported twice
# (the second import's loaders would not recognise the first one's nodes).
import pytest_k8s_overlays.pytest_plugin.session
import pytest_k8s_overlays.sources.argocd.discovery  # noqa: F401
from pytest_k8s_overlays.checks import CHECKS

for _check in CHECKS.values():
    _check.function  # noqa: B018 - each check's module, loaded once (see above)

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "example_repo"
#: The marker of the tests that need the network (the package index): `tox -e integration`.
INTEGRATION = "integration"
SERVICES = ("auth", "my", "scan", "character", "location", "info", "chat")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--integration",
        action="store_true",
        help="also run the tests marked integration, which need the package index",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{INTEGRATION}: needs the network (the package index); run by --integration"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the integration tests unless asked for: the default suite stays offline."""
    if config.getoption("--integration"):
        return
    skip = pytest.mark.skip(reason="needs the package index: tox -e integration runs it")
    for item in items:
        if item.get_closest_marker(INTEGRATION) is not None:
            item.add_marker(skip)


@pytest.fixture
def example(pytester: pytest.Pytester) -> Path:
    """A copy of example_repo's k8s tree (no ini, no tests) in pytester's directory."""
    shutil.copytree(EXAMPLE / "k8s", pytester.path / "k8s")
    return pytester.path


@pytest.fixture
def argocd_example(example: Path) -> Path:
    """The example's k8s tree with its Argo CD layer: clusters/dev and platform/."""
    for part in ("clusters", "platform"):
        shutil.copytree(EXAMPLE / part, example / part)
    return example


@pytest.fixture(autouse=True)
def private_cache_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the secret that signs render cache entries (and anything else under
    $XDG_CACHE_HOME) out of the home directory of whoever runs the suite."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.delenv("PYTEST_K8S_OVERLAYS_CACHE_KEY", raising=False)


@pytest.fixture(autouse=True)
def _outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs print GitHub annotations inside GitHub Actions: the suite's runs behave
    alike wherever it runs (tests that want annotations set the variable)."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
