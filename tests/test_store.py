"""The store renders each unit once per session, across threads and pytest-xdist workers.

Unit tests with a counting renderer (the build the units call, replaced by
one that counts and prints a ConfigMap): the real store, render cache and
hand-off, no Kustomize and no pytest subprocess. One real pytest-xdist run
stays in test_xdist.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.cache import RenderCache
from pytest_k8s_overlays.core.applications import KUSTOMIZE, Recipe, SourcePlan
from pytest_k8s_overlays.core.deployables import APPLICATION, COMPONENT, Deployable
from pytest_k8s_overlays.core.outcomes import RenderFailure
from pytest_k8s_overlays.core.resources import Overlay
from pytest_k8s_overlays.gate.handoff import SessionRenders
from pytest_k8s_overlays.gate.store import OverlayStore
from pytest_k8s_overlays.parse.documents import Parsed
from pytest_k8s_overlays.render import recipes, units
from pytest_k8s_overlays.render.engine import Renderer, RenderError

from .builders import write

RENDERER = Renderer(("/bin/true", "kustomize"), "/bin/true", "v5.8.1", "test")


class CountingRenderer:
    """Stands for Kustomize: counts builds by directory name, prints one ConfigMap named
    after the directory (a directory named ``broken`` fails)."""

    def __init__(self) -> None:
        self.builds: Counter[str] = Counter()

    def build(
        self, renderer: Renderer, directory: Path, *args: Any, **kwargs: Any
    ) -> tuple[bytes, Path | None]:
        name = directory.name if directory.name.isidentifier() else "composed"
        self.builds[name] += 1
        if name == "broken":
            raise RenderError("Error: accumulating resources: no such file")
        return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n".encode(), None

    def render_recipe(
        self, recipe: Recipe, renderer: Renderer, timeout: float, env: Mapping[str, str] | None
    ) -> Parsed:
        self.builds[f"argocd:{recipe.sources[0].path.name}"] += 1
        return [
            ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}}, None, None)
        ]


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingRenderer:
    renderer = CountingRenderer()
    monkeypatch.setattr(units, "build", renderer.build)
    monkeypatch.setattr(recipes, "render_recipe", renderer.render_recipe)
    return renderer


def overlays(root: Path, *names: str) -> list[Deployable]:
    specs = []
    for name in names:
        kfile = write(root, f"ov/{name}/kustomization.yaml", "resources: []\n")
        specs.append(Deployable(name, "ov", kfile.parent, kfile))
    return specs


def store(root: Path, cache: RenderCache | None = None) -> OverlayStore:
    return OverlayStore(RENDERER, display_root=root, cache=cache)


def cache_in(root: Path) -> RenderCache:
    return RenderCache(root / "cache", RENDERER, (), {}, secret=b"s" * 32)


def worker_of(controller: OverlayStore, root: Path, cache: RenderCache | None) -> OverlayStore:
    """A pytest-xdist worker's store, handed the controller's renders as execnet does."""
    assert controller.shared is not None
    worker = store(root, cache)
    worker.shared = SessionRenders.from_workerinput(controller.shared.to_workerinput())
    return worker


def names(result: Overlay | RenderFailure) -> list[str]:
    assert isinstance(result, Overlay), result
    return [r.name for r in result.resources]


def test_each_unit_renders_once_however_many_threads_and_deployables_ask(
    tmp_path: Path, counting: CountingRenderer
) -> None:
    specs = overlays(tmp_path, "a", "b", "c", "d")
    # Another name for c's directory, through a symbolic link: one render.
    (tmp_path / "ov" / "c-link").symlink_to(tmp_path / "ov" / "c")
    linked = Deployable("c-link", "ov", tmp_path / "ov/c-link", tmp_path / "ov/c-link/k.yaml")
    gate = store(tmp_path)
    gate.prefetch([*specs, linked, *specs], jobs=4)
    assert counting.builds == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert [names(gate.result(s)) for s in [*specs, linked]] == [["a"], ["b"], ["c"], ["d"], ["c"]]
    assert counting.builds == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert gate.stats().rendered == 4


@pytest.mark.parametrize("cached", [False, True], ids=["no-cache", "empty-cache"])
def test_a_worker_reads_the_controllers_renders_and_failures_and_renders_none(
    tmp_path: Path, counting: CountingRenderer, cached: bool
) -> None:
    specs = overlays(tmp_path, "a", "b", "broken")
    controller = store(tmp_path, cache_in(tmp_path) if cached else None)
    controller.share(SessionRenders.create())
    controller.prefetch(specs, jobs=2)
    assert counting.builds == {"a": 1, "b": 1, "broken": 1}
    workers = [worker_of(controller, tmp_path, None) for _ in range(2)]
    for worker in workers:
        worker.prefetch(specs, jobs=2)
        assert [names(worker.result(s)) for s in specs[:2]] == [["a"], ["b"]]
        failure = worker.result(specs[2])
        assert isinstance(failure, RenderFailure)
        assert failure.message == (
            "broken: kustomize build failed: Error: accumulating resources: no such file"
        )
        assert worker.stats().rendered == 0
    # Nothing rendered again, the failure included; the summary counts the controller's.
    assert counting.builds == {"a": 1, "b": 1, "broken": 1}
    assert controller.stats().rendered == 3
    assert controller.shared is not None
    controller.shared.remove()
    assert not controller.shared.directory.exists()


def test_a_warm_cache_renders_nothing_and_counts_each_unit_once(
    tmp_path: Path, counting: CountingRenderer
) -> None:
    specs = overlays(tmp_path, "a", "b")
    cold = store(tmp_path, cache_in(tmp_path))
    cold.prefetch(specs, jobs=2)
    assert (cold.stats().rendered, cold.stats().hits) == (2, 0)
    warm = store(tmp_path, cache_in(tmp_path))
    warm.share(SessionRenders.create())
    warm.prefetch(specs, jobs=2)
    assert (warm.stats().rendered, warm.stats().hits) == (0, 2)
    worker = worker_of(warm, tmp_path, cache_in(tmp_path))
    assert [names(worker.result(s)) for s in specs] == [["a"], ["b"]]
    # The worker's figures stay at zero: the controller's summary counts each unit once.
    assert (worker.stats().rendered, worker.stats().hits) == (0, 0)
    assert [worker.key_of(s) for s in specs] == [cold.key_of(s) for s in specs]
    assert all(cold.key_of(s) for s in specs)
    assert counting.builds == {"a": 1, "b": 1}


def application(root: Path, name: str) -> Deployable:
    source = root / "apps" / name
    write(root, f"apps/{name}/kustomization.yaml", "resources: []\n")
    plan = SourcePlan(KUSTOMIZE, source, root, "{}", shown=f"apps/{name}")
    recipe = Recipe((plan,), namespace="web")
    manifest = root / "clusters" / "apps.yaml"
    return Deployable(
        name, "dev", source, source / "kustomization.yaml", APPLICATION, "web", manifest, recipe
    )


def test_an_application_rendered_before_sharing_is_handed_over(
    tmp_path: Path, counting: CountingRenderer
) -> None:
    # An app-of-apps root renders at discovery, before the hand-off starts.
    root = application(tmp_path, "root")
    controller = store(tmp_path)
    assert root.recipe is not None
    outcome = controller.documents(root.recipe)
    assert not isinstance(outcome, str), outcome
    [resource] = outcome
    assert resource.namespace == "web"  # normalised as Argo CD's controller does
    controller.share(SessionRenders.create())
    worker = worker_of(controller, tmp_path, None)
    assert names(worker.result(root)) == ["app"]
    assert counting.builds == {"argocd:root": 1}


def test_an_unused_component_is_composed_once_across_workers(
    tmp_path: Path, counting: CountingRenderer
) -> None:
    [consumer] = overlays(tmp_path, "app")
    kfile = write(tmp_path, "components/debug/kustomization.yaml", "kind: Component\n")
    component = Deployable(
        "components/debug", "ov", kfile.parent, kfile, COMPONENT, consumers=(consumer.path,)
    )
    controller = store(tmp_path)
    controller.share(SessionRenders.create())
    controller.prefetch([component], jobs=2)
    for worker in (worker_of(controller, tmp_path, None) for _ in range(2)):
        assert names(worker.result(component)) == ["composed"]
    assert counting.builds == {"composed": 1}
    assert controller.stats().rendered == 1


def test_a_component_used_directly_reuses_its_consumers_render(
    tmp_path: Path, counting: CountingRenderer
) -> None:
    kfile = write(tmp_path, "components/debug/kustomization.yaml", "kind: Component\n")
    [consumer] = overlays(tmp_path, "app")
    write(tmp_path, "ov/app/kustomization.yaml", "components: [../../components/debug]\n")
    component = Deployable(
        "components/debug", "ov", kfile.parent, kfile, COMPONENT, consumers=(consumer.path,)
    )
    gate = store(tmp_path)
    gate.prefetch([consumer, component], jobs=2)
    assert names(gate.result(component)) == ["app"]
    assert counting.builds == {"app": 1}
