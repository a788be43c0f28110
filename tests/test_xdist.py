"""Under pytest-xdist, each overlay renders once per session: one real run.

The store's render-once properties (cache or no cache, a warm cache, renders
made before the hand-off, unused Components) are unit tests of the store in
test_store.py; this run shows the hand-off works through pytest-xdist itself.
"""

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


def test_each_overlay_renders_once_across_workers(
    pytester: pytest.Pytester,
    counting_renderer: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renderer, log = counting_renderer
    tmp = pytester.mkdir("tmp")
    monkeypatch.setenv("TMPDIR", str(tmp))
    # A render failure too is made once and shared, not made again by each worker.
    add_patch(pytester.path, "info", "p.yaml", "kind: Deployment\nmetadata: {name: nope}\n")
    # No cache: the hand-off is the only way a worker can avoid rendering again.
    result = pytester.runpytest_subprocess(
        "--overlays=k8s/overlays",
        f"--overlays-kustomize={renderer}",
        "-n",
        "2",
        "--overlays-no-cache",
    )
    checks = len(OVERLAY_CHECKS)
    # The broken overlay: its render item fails, its other items skip.
    result.assert_outcomes(passed=(len(SERVICES) - 1) * checks, failed=1, skipped=checks - 1)
    assert len(log.read_text().splitlines()) == len(SERVICES)
    result.stdout.fnmatch_lines([f"{len(SERVICES)} overlays rendered*"])
    # The controller's private directory of renders is gone with the session.
    assert list((tmp / f"pytest-k8s-overlays-{os.getuid()}").iterdir()) == []


def test_cache_clear_under_xdist_leaves_the_controllers_renders_in_the_cache(
    pytester: pytest.Pytester, example: Path
) -> None:
    # --cache-clear is done by the controller, which then renders into the cache; each
    # worker cleared the directory again as it started, so the next run (a CI job's
    # saved cache) rendered everything again.
    args = ("--overlays=k8s/overlays", "--overlays-checks=render")
    first = pytester.runpytest_subprocess(*args, "-n", "2", "--cache-clear")
    first.stdout.fnmatch_lines([f"{len(SERVICES)} overlays rendered, 0 from the cache"])
    again = pytester.runpytest_subprocess(*args)
    again.stdout.fnmatch_lines([f"0 overlays rendered, {len(SERVICES)} from the cache"])
