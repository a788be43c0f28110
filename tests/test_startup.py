"""Start-up: a mistake that would fail every overlay alike is one usage error (exit 4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .builders import kustomize_version, write
from .conftest import SERVICES


def test_a_bad_build_argument_is_one_usage_error(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays=k8s/overlays", "--overlays-build-args=--bogus-flag")
    # It used to fail each of the 7 overlays' 49 items with the same message.
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --overlays-build-args=--bogus-flag: kubectl kustomize cannot build even an "
            "empty kustomization with them, so every overlay would fail alike: unknown flag: "
            "--bogus-flag"
        ]
    )
    result.stdout.no_fnmatch_line("*failed*")


def test_a_renderer_that_cannot_build_is_one_usage_error(
    pytester: pytest.Pytester, example: Path
) -> None:
    broken = pytester.path / "kustomize"
    broken.write_text(
        f'#!/bin/sh\n[ "$1" = version ] && echo {kustomize_version()} && exit 0\n'
        "echo boom >&2\nexit 2\n"
    )
    broken.chmod(0o755)
    result = pytester.runpytest("--overlays=k8s/overlays", f"--overlays-kustomize={broken}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: the renderer kustomize build ({broken}) cannot build even an empty "
            "kustomization, so every overlay would fail alike: boom"
        ]
    )


def test_good_build_arguments_are_checked_once(pytester: pytest.Pytester, example: Path) -> None:
    args = (
        "--overlays=k8s/overlays",
        "--overlays-checks=render",
        "--overlays-build-args=--enable-helm",
    )
    pytester.runpytest(*args).assert_outcomes(passed=len(SERVICES))
    checked = pytester.path / ".pytest_cache/v/k8s-overlays/renderer-builds"
    assert len(json.loads(checked.read_text())) == 1  # remembered once it works
    pytester.runpytest(*args).assert_outcomes(passed=len(SERVICES))
    assert len(json.loads(checked.read_text())) == 1  # and not built again
    pytester.runpytest(*args[:2]).assert_outcomes(passed=len(SERVICES))
    assert len(json.loads(checked.read_text())) == 2  # other arguments: checked too


@pytest.fixture
def repo_and_kubectl(pytester: pytest.Pytester, example: Path) -> tuple[Path, Path]:
    """A repository whose ini file names the overlays, and a kubectl outside it."""
    from pytest_k8s_overlays.render.engine import find_renderer

    repo = pytester.mkdir("repo")
    (example / "k8s").rename(repo / "k8s")
    write(repo, "pytest.ini", "[pytest]\noverlays = k8s/overlays\n")
    kubectl = pytester.mkdir("bin") / "kubectl"
    kubectl.symlink_to(find_renderer().binary)
    os.chdir(repo)
    return repo, kubectl


def test_a_renderer_path_after_a_space_is_a_usage_error(
    pytester: pytest.Pytester, repo_and_kubectl: tuple[Path, Path]
) -> None:
    repo, kubectl = repo_and_kubectl
    result = pytester.runpytest("--overlays-kustomize", str(kubectl), "--overlays-checks=render")
    # It used to run from another rootdir, without the ini file: "no overlays configured".
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: write --overlays-kustomize={kubectl} (with '='): pytest chooses its rootdir "
            "and configuration file before plugin options are known, took the value for a test "
            f"path and chose rootdir {kubectl.parent.parent} and configuration file none instead "
            f"of {repo} and {repo / 'pytest.ini'}"
        ]
    )
    assert not (kubectl.parent.parent / ".pytest_cache").exists()
    fine = pytester.runpytest(f"--overlays-kustomize={kubectl}", "--overlays-checks=render")
    fine.assert_outcomes(passed=len(SERVICES))


@pytest.mark.usefixtures("repo_and_kubectl")
def test_an_overlays_path_outside_the_repository_after_a_space_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, "elsewhere/app/kustomization.yaml", "resources: [cm.yaml]\n")
    write(
        pytester.path,
        "elsewhere/app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n",
    )
    outside = pytester.path / "elsewhere"
    result = pytester.runpytest("--overlays", str(outside), "--overlays-checks=render")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: write --overlays={outside} (with '='): *"])
    fine = pytester.runpytest(f"--overlays={outside}", "--overlays-checks=render")
    fine.assert_outcomes(passed=1)  # the command line's group replaces the ini's


@pytest.mark.usefixtures("repo_and_kubectl")
def test_a_path_inside_the_repository_after_a_space_still_works(
    pytester: pytest.Pytester,
) -> None:
    # The rootdir and ini file do not move: no false alarm.
    result = pytester.runpytest("--overlays", "k8s/overlays/auth", "--overlays-checks=render")
    result.assert_outcomes(passed=1)


def test_unbalanced_quotes_in_the_renderer_variable_are_a_usage_error(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_K8S_OVERLAYS_KUSTOMIZE", 'kubectl "x')
    result = pytester.runpytest("--overlays=k8s/overlays", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: PYTEST_K8S_OVERLAYS_KUSTOMIZE 'kubectl \"x' does not split like a shell "
            "command: No closing quotation"
        ]
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")


def test_no_environment_value_is_remembered_in_clear(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HELM_* and KUSTOMIZE_* take part in what is remembered of a renderer that works.
    monkeypatch.setenv("HELM_KUBETOKEN", "tok-CANARY-123")
    pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=render").assert_outcomes(
        passed=7
    )
    cached = [p.read_text() for p in (pytester.path / ".pytest_cache").rglob("*") if p.is_file()]
    assert cached
    assert not [text for text in cached if "CANARY" in text]
