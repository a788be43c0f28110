"""A warm run reads the cache's verdicts, not its renders: what nothing needs is never read."""

from __future__ import annotations

import gc
import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.cache import key as key_module
from pytest_k8s_overlays.cache.entries import RenderCache
from pytest_k8s_overlays.cache.inputs import Budget
from pytest_k8s_overlays.core import paths
from pytest_k8s_overlays.gate import state

ARGS = ("--overlays", "k8s/overlays", "-p", "no:randomly")


def counting(monkeypatch: pytest.MonkeyPatch, calls: Counter[str]) -> None:
    """Count the renders read back and the checks run from now on."""
    read = RenderCache.get
    run = getattr(state, "run_check")  # noqa: B009 (not exported: mypy)

    def get(self: RenderCache, key: str) -> Any:
        calls["render read"] += 1
        return read(self, key)

    def run_check(*args: Any, **kwargs: Any) -> Any:
        calls["check run"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(RenderCache, "get", get)
    monkeypatch.setattr(state, "run_check", run_check)


def test_a_warm_run_reads_no_render_and_runs_no_check(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.runpytest(*ARGS).assert_outcomes(passed=56)
    [index] = (example / ".pytest_cache/d/k8s-overlays/checks").glob("index-*.json")
    written = index.stat().st_ino
    calls: Counter[str] = Counter()
    counting(monkeypatch, calls)
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(passed=56)
    result.stdout.fnmatch_lines(["0 overlays rendered, 7 from the cache"])
    assert calls == Counter()
    # The index holds what this run used already: not written again.
    assert index.stat().st_ino == written


def test_a_warm_run_reads_the_render_of_a_finding_only_and_says_the_same(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kustomization = example / "k8s/overlays/auth/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace('newTag: "1.1.0"', "newTag: latest"))
    cold = pytester.runpytest(*ARGS)
    cold.assert_outcomes(passed=55, failed=1)
    calls: Counter[str] = Counter()
    counting(monkeypatch, calls)
    warm = pytester.runpytest(*ARGS)
    warm.assert_outcomes(passed=55, failed=1)

    def failures(lines: list[str]) -> list[str]:
        start = next(i for i, line in enumerate(lines) if "FAILURES" in line)
        return [line for line in lines[start:] if " passed" not in line and "rendered" not in line]

    assert failures(warm.outlines) == failures(cold.outlines)
    # Its objects, to place the finding on its line: that overlay's render alone.
    assert calls == Counter({"render read": 1})


def test_within_a_session_a_tree_is_walked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "a.yaml").write_text("a: 1\n")
    walks: Counter[str] = Counter()
    walk: Callable[..., Any] = os.walk

    def counted(top: Any, *args: Any, **kwargs: Any) -> Any:
        walks[os.fspath(top)] += 1
        return walk(top, *args, **kwargs)

    monkeypatch.setattr(os, "walk", counted)
    hasher = key_module._Hasher()
    budget = Budget()
    first = hasher.tree(tmp_path / "base", budget)
    (tmp_path / "base" / "b.yaml").write_text("b: 2\n")
    # Outside a session every call walks: the file added is seen.
    assert hasher.tree(tmp_path / "base", budget) != first
    paths.remember_resolutions(True)
    try:
        inside = hasher.tree(tmp_path / "base", budget)
        assert hasher.tree(tmp_path / "base", budget) == inside
        assert walks[os.fspath(tmp_path / "base")] == 3
        # The check after a build (a fresh hasher) still walks and reads everything.
        key_module._Hasher(memo=False).tree(tmp_path / "base", budget)
        assert walks[os.fspath(tmp_path / "base")] == 4
    finally:
        paths.remember_resolutions(False)


def test_collection_is_frozen_out_of_the_collector_for_the_session_only(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.makepyfile(
        test_frozen="import gc\n\ndef test_frozen():\n    assert gc.get_freeze_count() > 0\n"
    )
    result = pytester.runpytest(*ARGS, "test_frozen.py", "k8s/overlays")
    result.assert_outcomes(passed=57)
    # Unfrozen at cleanup: nothing the session made outlives it uncollectable.
    assert gc.get_freeze_count() == 0


def test_garbage_among_frozen_objects_is_still_collected_under_pytests_unraisable_hook(
    pytester: pytest.Pytester, example: Path
) -> None:
    # An object made at collection (so frozen) that a test turns into garbage: its
    # failing finalizer is still reported, and an error under -W error.
    pytester.makeconftest(
        "class Bomb:\n"
        "    def __init__(self):\n"
        "        self.me = self\n"
        "    def __del__(self):\n"
        "        raise ValueError('boom from a frozen cycle')\n"
        "HOLDER = [Bomb()]\n"
    )
    pytester.makepyfile(
        test_drop="import conftest\n\ndef test_drop():\n    conftest.HOLDER.clear()\n"
    )
    result = pytester.runpytest_subprocess(*ARGS, "test_drop.py", "k8s/overlays")
    result.assert_outcomes(passed=57)
    assert result.ret == 0
    result.stderr.fnmatch_lines(["*PytestUnraisableExceptionWarning*Bomb.__del__*"])
    assert "boom from a frozen cycle" in result.stderr.str()
    strict = ("-W", "error::pytest.PytestUnraisableExceptionWarning")
    result = pytester.runpytest_subprocess(*ARGS, *strict, "test_drop.py", "k8s/overlays")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*PytestUnraisableExceptionWarning*Bomb.__del__*"])


def test_a_session_of_the_gates_items_only_leaves_its_objects_to_the_os_at_exit(
    pytester: pytest.Pytester, example: Path
) -> None:
    # An exit handler registered before the gate's runs after it: it sees the
    # collector frozen only when no test of the project ran in the process.
    pytester.makeconftest(
        "import atexit, gc, pathlib\n"
        "atexit.register(lambda: pathlib.Path('frozen-at-exit').write_text("
        "str(gc.get_freeze_count() > 0)))\n"
    )
    pytester.makepyfile(test_own="def test_own():\n    pass\n")
    result = pytester.runpytest_subprocess(*ARGS, "k8s/overlays")
    result.assert_outcomes(passed=56)
    assert (pytester.path / "frozen-at-exit").read_text() == "True"
    result = pytester.runpytest_subprocess(*ARGS, "test_own.py", "k8s/overlays")
    result.assert_outcomes(passed=57)
    assert (pytester.path / "frozen-at-exit").read_text() == "False"


CLEANUP_WATCH = """
import gc, json, pathlib, traceback

frozen_during = []

def watch(phase, info):
    if phase == "start" and any(
        frame.name == "cleanup" and frame.filename.endswith("unraisableexception.py")
        for frame in traceback.extract_stack()
    ):
        frozen_during.append(gc.get_freeze_count() > 0)

gc.callbacks.append(watch)

def pytest_configure(config):
    # Registered before the gate's callbacks and pytest's: called after them.
    config.add_cleanup(lambda: pathlib.Path("cleanup.json").write_text(json.dumps(
        {"during": frozen_during, "after": gc.get_freeze_count()}
    )))
"""


def test_only_the_gates_items_leave_collection_frozen_through_pytests_cleanup_collection(
    pytester: pytest.Pytester, example: Path
) -> None:
    # That collection then walks only what the items made (0.17 s less at 8,000 items);
    # collection's objects are unfrozen right after it, so none outlives the session
    # uncollectable (a run in the same process: an IDE, pytester).
    pytester.makeconftest(CLEANUP_WATCH)
    pytester.runpytest_subprocess(*ARGS, "k8s/overlays").assert_outcomes(passed=56)
    watched = json.loads((pytester.path / "cleanup.json").read_text())
    assert watched == {"during": [True], "after": 0}
    # A test of the project in the session: unfrozen before it (see the test above).
    pytester.makepyfile(test_own="def test_own():\n    pass\n")
    result = pytester.runpytest_subprocess(*ARGS, "test_own.py", "k8s/overlays")
    result.assert_outcomes(passed=57)
    watched = json.loads((pytester.path / "cleanup.json").read_text())
    assert watched == {"during": [False], "after": 0}


FREEZE_COUNTS = """
import gc, json, pathlib

counts = {}

def pytest_runtest_logfinish(nodeid, location):
    counts[nodeid] = gc.get_freeze_count()

def pytest_sessionfinish(session):
    pathlib.Path("counts.json").write_text(json.dumps(counts))
"""


def test_what_a_group_run_reads_is_frozen_too_when_only_the_gates_items_run(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The first group check reads every render of the group (and makes its index): frozen
    # at once, so the collections while the other items run do not walk it again.
    pytester.makeconftest(FREEZE_COUNTS)
    pytester.runpytest_subprocess(*ARGS, "k8s/overlays").assert_outcomes(passed=56)
    counts = json.loads((pytester.path / "counts.json").read_text())
    first = "k8s/overlays/auth/kustomization.yaml"
    assert counts[f"{first}::unique-names"] > counts[f"{first}::render"]
    # With a test of the project in the session, nothing more is frozen while items run.
    pytester.makepyfile(test_own="def test_own():\n    pass\n")
    pytester.runpytest_subprocess(*ARGS, "test_own.py", "k8s/overlays").assert_outcomes(passed=57)
    counts = json.loads((pytester.path / "counts.json").read_text())
    assert counts[f"{first}::unique-names"] == counts[f"{first}::render"]


def test_the_repository_is_remembered_until_the_first_test_only(
    pytester: pytest.Pytester, example: Path
) -> None:
    # Discovery and keying read the repository once (no test has run yet); a test
    # that edits files and renders them must find them read anew.
    pytester.makepyfile(
        test_span=(
            "from pytest_k8s_overlays.core import paths\n\n"
            "def test_nothing_remembered():\n"
            "    assert paths.session_memo() is None\n"
        )
    )
    result = pytester.runpytest(*ARGS, "test_span.py", "k8s/overlays")
    result.assert_outcomes(passed=57)
