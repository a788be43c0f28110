"""Collection: every overlay exactly once, whatever the symlinks or the arguments;
gate items behave like any pytest item under markers and report options."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from .builders import OVERLAY_CHECKS, write

#: A ConfigMap with no namespace: one namespace finding when a namespace is required.
NO_NAMESPACE = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
REQUIRED = "--overlays-namespace-required"
WITH_NAMESPACE = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"


def overlay(root: Path, relative: str, manifest: str = WITH_NAMESPACE) -> None:
    write(root, f"{relative}/kustomization.yaml", "resources: [cm.yaml]\n")
    write(root, f"{relative}/cm.yaml", manifest)


def collected(result: pytest.RunResult) -> Counter[str]:
    """How many times each node id was collected (``--collect-only -q``)."""
    return Counter(line for line in result.outlines if "::" in line)


def test_a_symlink_loop_collects_each_item_once(pytester: pytest.Pytester) -> None:
    overlay(pytester.path, "ov/a", NO_NAMESPACE)
    (pytester.path / "ov/a/up").symlink_to("..")
    ids = collected(pytester.runpytest("--overlays=ov", "--collect-only", "-q"))
    assert len(ids) == len(_CHECKS)
    assert set(ids.values()) == {1}
    result = pytester.runpytest("--overlays=ov", REQUIRED)
    result.assert_outcomes(passed=len(_CHECKS) - 1, failed=1)  # the one finding, counted once
    result.stdout.fnmatch_lines(["FAILED ov/a/kustomization.yaml::namespace - a: [[]*"])


def test_an_overlay_behind_a_directory_symlink_is_collected_once(
    pytester: pytest.Pytester,
) -> None:
    overlay(pytester.path, "apps/real")
    (pytester.path / "apps/alias").symlink_to("real")
    ids = collected(pytester.runpytest("--overlays=apps", "--collect-only", "-q"))
    assert ids == Counter({f"apps/alias/kustomization.yaml::{c}": 1 for c in _CHECKS})
    pytester.runpytest("--overlays=apps").assert_outcomes(passed=len(_CHECKS))


_CHECKS = OVERLAY_CHECKS


def test_two_directories_sharing_a_kustomization_file_are_two_overlays(
    pytester: pytest.Pytester,
) -> None:
    overlay(pytester.path, "apps/real")
    copy = pytester.mkdir("apps/copy")
    for name in ("kustomization.yaml", "cm.yaml"):
        (copy / name).symlink_to(f"../real/{name}")
    result = pytester.runpytest("--overlays=apps", "--overlays-checks=render", "-v")
    # Not a usage error ("overlay real is already in group apps"): two overlays,
    # each rendered; Kustomize itself does not follow a symlinked kustomization file.
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "k8s-overlays: 2 overlays in 1 group*",
            "apps/copy/kustomization.yaml::render FAILED*",
            "apps/real/kustomization.yaml::render PASSED*",
            "copy: kustomize build failed: unable to find one of 'kustomization.yaml'*",
        ]
    )


def test_a_group_outside_the_current_directory_is_gated_too(pytester: pytest.Pytester) -> None:
    repo = pytester.mkdir("repo")
    overlay(repo, "k8s/app")
    overlay(pytester.path, "outside/app", NO_NAMESPACE)
    os.chdir(repo)
    result = pytester.runpytest(
        "--overlays=k8s", "--overlays=../outside", "--overlays-checks=render,namespace", REQUIRED
    )
    # Its items used to be left out: a broken overlay, and a passing run.
    result.stdout.fnmatch_lines(["k8s-overlays: 2 overlays in 2 groups*"])
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["FAILED *outside/app/kustomization.yaml::namespace - app: [[]*"])


@pytest.mark.parametrize(("args", "gated"), [(["."], 3), (["k8s"], 3), (["k8s/app"], 2)])
def test_a_group_no_argument_reaches_is_gated_too(
    pytester: pytest.Pytester, args: list[str], gated: int
) -> None:
    # `pytest --overlays=... .` (a path instead of testpaths) used to gate only
    # the groups under it, while the header counted every overlay.
    repo = pytester.mkdir("repo")
    overlay(repo, "k8s/app")
    overlay(repo, "k8s/two")
    overlay(pytester.path, "outside/app", NO_NAMESPACE)
    os.chdir(repo)
    result = pytester.runpytest(
        "--overlays=k8s",
        "--overlays=../outside",
        "--overlays-checks=render,namespace",
        REQUIRED,
        *args,
    )
    result.stdout.fnmatch_lines(["k8s-overlays: 3 overlays in 2 groups*"])
    result.assert_outcomes(passed=2 * gated - 1, failed=1)
    result.stdout.fnmatch_lines(["FAILED *outside/app/kustomization.yaml::namespace - app: [[]*"])
    # A directory inside a group narrows it, as asked, and says so.
    left_out = "1 of the 3 counted above not gated in this run: the paths given name others"
    if gated == 3:
        result.stdout.no_fnmatch_line("*not gated in this run*")
    else:
        result.stdout.fnmatch_lines([left_out])
        again = pytester.runpytest(
            "--overlays=k8s", "--overlays=../outside", "--overlays-checks=render", *args, "-n", "2"
        )
        again.assert_outcomes(passed=gated)
        again.stdout.fnmatch_lines([left_out])


SKIPPING_CONFTEST = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if item.name == "render":
            item.add_marker(pytest.mark.skip(reason="renders elsewhere"))
        elif item.name == "images":
            item.add_marker(pytest.mark.skipif(True, reason="images checked elsewhere"))
        elif item.name == "namespace":
            item.add_marker(pytest.mark.xfail(reason="known: no namespace yet"))
"""


def test_skip_skipif_and_xfail_markers_work_on_gate_items(pytester: pytest.Pytester) -> None:
    overlay(pytester.path, "ov/a", NO_NAMESPACE)
    pytester.makeconftest(SKIPPING_CONFTEST)
    result = pytester.runpytest("--overlays=ov", REQUIRED, "-rA", "--junitxml=j.xml")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.assert_outcomes(passed=len(_CHECKS) - 3, skipped=2, xfailed=1)
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED [[]1] ov/a/kustomization.yaml*: renders elsewhere",
            "SKIPPED [[]1] ov/a/kustomization.yaml:1: images checked elsewhere",
            "XFAIL ov/a/kustomization.yaml::namespace - known: no namespace yet",
            "PASSED ov/a/kustomization.yaml::ports",
        ]
    )
    cases = {case.get("name"): case for case in ET.parse(pytester.path / "j.xml").iter("testcase")}
    assert cases["render"].find("skipped") is not None


FIRST_LINE = "a: [missing-namespace] ConfigMap/c namespace: no namespace"
FINDING = "  ConfigMap/c metadata.namespace: no namespace; expected a namespace [missing-namespace]"


@pytest.mark.parametrize("style", ["line", "short", "long", "native", "no"])
def test_every_traceback_style_shows_the_failure_once(
    pytester: pytest.Pytester, style: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # the short summary's line, whole
    overlay(pytester.path, "ov/a", NO_NAMESPACE)
    result = pytester.runpytest(
        "--overlays=ov",
        "--overlays-checks=namespace",
        REQUIRED,
        f"--tb={style}",
        "-rf",
        "--junitxml=j.xml",
    )
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    summary = f"FAILED ov/a/kustomization.yaml::namespace - {FIRST_LINE}"
    pattern = summary.replace("[", "[[]")
    if style == "line":
        # One line per failure, with its location and its first line, nothing cut.
        assert text.count(FIRST_LINE) == 2, text  # the line, and the short summary
        result.stdout.fnmatch_lines(
            [f"*ov/a/kustomization.yaml:1: {FIRST_LINE.replace('[', '[[]')}", pattern]
        )
        assert "metadata.n\n" not in text
    elif style == "no":
        assert text.count(FIRST_LINE) == 1, text
        result.stdout.fnmatch_lines([pattern])
    else:
        assert text.count(FIRST_LINE) == 2, text
        first, finding = FIRST_LINE.replace("[", "[[]"), FINDING.replace("[", "[[]")
        result.stdout.fnmatch_lines([first, f"{finding} (from ov/a/cm.yaml)", "hint *"])
        result.stdout.fnmatch_lines([pattern])
    [failure] = ET.parse(pytester.path / "j.xml").iter("failure")
    assert failure.get("message", "").startswith(f"{FIRST_LINE}\n{FINDING}")
