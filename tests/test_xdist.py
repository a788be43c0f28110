"""Under pytest-xdist, each overlay renders once per session, cache or no cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .builders import OVERLAY_CHECKS, add_patch
from .conftest import SERVICES

pytest.importorskip("xdist")

#: A renderer that logs each build of an overlay (the wrapper names it), then renders.
COUNTING = """#!/bin/sh
if grep -qs overlays "$1/kustomization.yaml"; then echo "$1" >> {log}; fi
exec {kubectl} kustomize "$@"
"""


@pytest.fixture
def counting_renderer(pytester: pytest.Pytester, example: Path) -> tuple[Path, Path]:
    from pytest_k8s_overlays.render.engine import find_renderer

    log = pytester.path / "builds.log"
    log.touch()
    renderer = pytester.path / "counting-renderer"
    renderer.write_text(COUNTING.format(log=log, kubectl=find_renderer().binary))
    renderer.chmod(0o755)
    return renderer, log


@pytest.mark.parametrize(
    "no_cache",
    [("--cache-clear",), ("-p", "no:cacheprovider"), ("--overlays-no-cache",)],
    ids=["cache-clear", "no-cacheprovider", "no-cache"],
)
def test_each_overlay_renders_once_across_workers(
    pytester: pytest.Pytester,
    counting_renderer: tuple[Path, Path],
    no_cache: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renderer, log = counting_renderer
    tmp = pytester.mkdir("tmp")
    monkeypatch.setenv("TMPDIR", str(tmp))
    # A render failure too is made once and shared, not made again by each worker.
    add_patch(pytester.path, "info", "p.yaml", "kind: Deployment\nmetadata: {name: nope}\n")
    result = pytester.runpytest_subprocess(
        "--overlays=k8s/overlays", f"--overlays-kustomize={renderer}", "-n", "2", *no_cache
    )
    checks = len(OVERLAY_CHECKS)
    # The broken overlay: its render item fails, its other items skip.
    result.assert_outcomes(passed=(len(SERVICES) - 1) * checks, failed=1, skipped=checks - 1)
    assert len(log.read_text().splitlines()) == len(SERVICES)
    result.stdout.fnmatch_lines([f"{len(SERVICES)} overlays rendered*"])
    # The controller's private directory of renders is gone with the session.
    assert list((tmp / f"pytest-k8s-overlays-{os.getuid()}").iterdir()) == []


def test_a_warm_cache_renders_nothing_and_counts_each_overlay_once(
    pytester: pytest.Pytester, counting_renderer: tuple[Path, Path]
) -> None:
    renderer, log = counting_renderer
    args = ("--overlays=k8s/overlays", f"--overlays-kustomize={renderer}", "-n", "2")
    cold = pytester.runpytest_subprocess(*args)
    cold.stdout.fnmatch_lines([f"{len(SERVICES)} overlays rendered, 0 from the cache"])
    warm = pytester.runpytest_subprocess(*args)
    warm.assert_outcomes(passed=len(OVERLAY_CHECKS) * len(SERVICES))
    warm.stdout.fnmatch_lines([f"0 overlays rendered, {len(SERVICES)} from the cache"])
    assert len(log.read_text().splitlines()) == len(SERVICES)


def test_argo_cd_applications_render_once_across_workers(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # The app-of-apps root renders at discovery, on the controller: the workers
    # read it too, rather than rendering it again each.
    args = ("--overlays-argocd=clusters/dev", "-p", "no:cacheprovider")
    serial = pytester.runpytest_subprocess(*args)
    serial.stdout.fnmatch_lines(["9 rendered"])
    parallel = pytester.runpytest_subprocess(*args, "-n", "2")
    parallel.stdout.fnmatch_lines(["9 rendered"])
    assert parallel.parseoutcomes() == serial.parseoutcomes()


def test_unused_components_render_once_across_workers(
    pytester: pytest.Pytester, example: Path
) -> None:
    from .test_components import components_tree

    # Before: the controller composed each unused Component, then each worker that ran
    # its render item composed it again, and the summary counted it twice.
    components_tree(example)
    args = ("--overlays=k8s/overlays", "--overlays-no-cache", "-p", "no:randomly")
    serial = pytester.runpytest_subprocess(*args)
    serial.stdout.fnmatch_lines(["9 overlays rendered*"])
    parallel = pytester.runpytest_subprocess(*args, "-n", "2")
    parallel.stdout.fnmatch_lines(["9 overlays rendered*"])
    assert parallel.parseoutcomes() == serial.parseoutcomes()
    for result in (serial, parallel):
        result.stdout.fnmatch_lines(["*components/debug*kustomize build failed*"])
