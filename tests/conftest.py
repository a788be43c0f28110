"""Shared fixtures: real overlay trees built from example_repo (builders live in builders.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

# The gate's modules load only when a run configures overlays. Load them here,
# once, before any in-process pytester run: pytester drops the modules a run
# imported when it ends, and PyYAML's C extension cannot be imported twice
# (the second import's loaders would not recognise the first one's nodes).
import pytest_k8s_overlays.pytest_plugin.diffmode
import pytest_k8s_overlays.pytest_plugin.session
import pytest_k8s_overlays.render.recipes
import pytest_k8s_overlays.sources.argocd.discovery  # noqa: F401
from pytest_k8s_overlays.cache import key as cache_key
from pytest_k8s_overlays.checks import CHECKS
from pytest_k8s_overlays.pytest_plugin import startup
from pytest_k8s_overlays.render.engine import bundled_kubectl

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


ENV_PREFIXES = cache_key.ENV_PREFIXES
#: What a call asks the bundled kubectl, the same for every gate run; None: another program.
Question = Callable[..., "tuple[object, ...] | None"]


def _stat_of(path: str | Path) -> tuple[str, int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return os.path.realpath(path), info.st_size, info.st_mtime_ns, info.st_ino


def _asked_once(real: Callable[..., Any], question: Question) -> Callable[..., Any]:
    """``real``, answering again what it answered to the same question about the bundled
    kubectl (the same arguments, environment and binary); other programs always run."""
    kubectl = bundled_kubectl()
    answers: dict[tuple[object, ...], Any] = {}

    def asked(*args: Any, **kwargs: Any) -> Any:
        asking = question(*args, **kwargs)
        if kubectl is None or asking is None or asking[0] != _stat_of(kubectl):
            return real(*args, **kwargs)
        environment = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIXES))
        call = (*asking, tuple(environment))
        if call not in answers:
            answers[call] = real(*args, **kwargs)
        return answers[call]

    return asked


def _version(argv: Sequence[str], *rest: object) -> tuple[object, ...] | None:
    return (_stat_of(argv[0]), tuple(argv), rest) if argv else None


def _empty_build(renderer: Any, directory: Path, *rest: object, **options: object) -> Any:
    """The start-up check's build, of a directory holding only ``resources: []``."""
    kustomization = directory / "kustomization.yaml"
    if sorted(os.listdir(directory)) != ["kustomization.yaml"]:
        return None
    if kustomization.read_text(encoding="utf-8") != "resources: []\n":
        return None
    return (_stat_of(renderer.binary), renderer.argv, rest, tuple(sorted(options.items())))


def _digest(path: Path, *_: object) -> tuple[object, ...]:
    return (_stat_of(path),)


@pytest.fixture(scope="session", autouse=True)
def _bundled_kubectl_asked_once() -> Iterator[None]:
    """Every in-process gate run of a worker asks the same kubectl the same three things
    before it renders: its version, whether it builds an empty kustomization, and its
    content digest (hashing 60 MB). The first run asks; later ones get its answers, as a
    user's second run gets them from pytest's cache. A test of those steps uses a
    renderer of its own (or other arguments, another timeout), which is always asked."""
    with pytest.MonkeyPatch.context() as patch:
        # Looked up as the start-up module's names: what it calls.
        names = vars(startup)
        patch.setattr(startup, "run_version", _asked_once(names["run_version"], _version))
        patch.setattr(startup, "build", _asked_once(names["build"], _empty_build))
        digest = _asked_once(cache_key.program_digest, _digest)
        patch.setattr(cache_key, "program_digest", digest)
        yield


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
