"""A render failure's text: Kustomize's innermost cause first, paths relative to the repository.

The messages below are what kubectl kustomize (Kustomize v5.8) printed for real
mistakes, built under /work/repo: a resource, a patch file or a base's resource
that does not exist, a remote base whose repository cannot be fetched or lacks a
file, a manifest that is not YAML, an unknown field in a kustomization.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays.render.cause import innermost, relative_paths, reshape

from .test_gate import break_overlay

ROOT = Path("/work/repo")

MISSING_RESOURCE = (
    "accumulating resources: accumulation err='accumulating resources from 'nothere.yaml': "
    "evalsymlink failure on '/work/repo/k8s/auth/nothere.yaml' : lstat "
    "/work/repo/k8s/auth/nothere.yaml: no such file or directory': must build at directory: "
    "not a valid directory: evalsymlink failure on '/work/repo/k8s/auth/nothere.yaml' : lstat "
    "/work/repo/k8s/auth/nothere.yaml: no such file or directory"
)
MISSING_IN_BASE = (
    "accumulating resources: accumulation err='accumulating resources from '../mid': "
    "'/work/repo/k8s/mid' must resolve to a file': recursed accumulation of path "
    "'/work/repo/k8s/mid': accumulating resources: accumulation err='accumulating resources "
    "from 'gone.yaml': evalsymlink failure on '/work/repo/k8s/mid/gone.yaml' : lstat "
    "/work/repo/k8s/mid/gone.yaml: no such file or directory': must build at directory: not a "
    "valid directory: evalsymlink failure on '/work/repo/k8s/mid/gone.yaml' : lstat "
    "/work/repo/k8s/mid/gone.yaml: no such file or directory"
)
MISSING_PATCH = (
    "trouble configuring builtin PatchTransformer with config: <hidden: may hold Secret values; "
    "see k8s/auth/kustomization.yaml:4>: failed to get the patch file from path(nothere.yaml): "
    "evalsymlink failure on '/work/repo/k8s/auth/nothere.yaml' : lstat "
    "/work/repo/k8s/auth/nothere.yaml: no such file or directory"
)
MISSING_IN_REMOTE_BASE = (
    "accumulating resources: accumulation err='accumulating resources from "
    "'git::file:///srv/git/deploy-repo//deploy?ref=main': evalsymlink failure on "
    "'/work/repo/k8s/auth/git::file:/srv/git/deploy-repo/deploy?ref=main' : lstat "
    "/work/repo/k8s/auth/git::file:: no such file or directory': recursed accumulation of path "
    "'/tmp/kustomize-4223893098/deploy': accumulating resources: accumulation "
    "err='accumulating resources from 'd.yaml': evalsymlink failure on "
    "'/tmp/kustomize-4223893098/deploy/d.yaml' : lstat /tmp/kustomize-4223893098/deploy/d.yaml: "
    "no such file or directory': must build at directory: not a valid directory: evalsymlink "
    "failure on '/tmp/kustomize-4223893098/deploy/d.yaml' : lstat "
    "/tmp/kustomize-4223893098/deploy/d.yaml: no such file or directory"
)
UNREACHABLE_REMOTE_BASE = (
    "accumulating resources: accumulation err='accumulating resources from "
    "'https://github.invalid/acme/x//deploy?ref=v1': Get "
    '"https://github.invalid/acme/x//deploy?ref=v1": dial tcp: lookup github.invalid on '
    "10.255.255.53:53: no such host': failed to run '/usr/bin/git fetch --depth=1 "
    "https://github.invalid/acme/x v1': fatal: unable to access 'https://github.invalid/acme/x/': "
    "Could not resolve host: github.invalid\n: exit status 128"
)
INVALID_YAML = (
    "accumulating resources: accumulating resources from 'svc.yaml': MalformedYAMLError: yaml: "
    "line 5: mapping values are not allowed in this context in File: svc.yaml"
)
#: A Component's patch naming a Deployment nobody has (gitops-environment-promotion's
#: variants/prod with a typo), and a Component that does not exist: Kustomize quotes them.
COMPONENT_PATCH = (
    'accumulating components: accumulateDirectory: "recursed accumulation of path '
    "'/work/repo/variants/prod': no matches for Id Deployment.v1.apps/simple-deploymnet.[noNs]; "
    'failed to find unique target for patch Deployment.v1.apps/simple-deploymnet.[noNs]"'
)
MISSING_COMPONENT = (
    'accumulating components: loader.New "must build at directory: not a valid directory: '
    "evalsymlink failure on '/work/repo/variants/nope' : lstat /work/repo/variants/nope: no such "
    'file or directory"'
)
UNKNOWN_FIELD = 'invalid Kustomization: json: unknown field "imagess"'
BAD_JSON_PATCH = (
    "replace operation does not apply: doc is missing path: /spec/nothere/x: missing value"
)


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (MISSING_RESOURCE, "lstat k8s/auth/nothere.yaml: no such file or directory"),
        (MISSING_IN_BASE, "lstat k8s/mid/gone.yaml: no such file or directory"),
        (MISSING_PATCH, "lstat k8s/auth/nothere.yaml: no such file or directory"),
        (
            MISSING_IN_REMOTE_BASE,
            "lstat git::file:///srv/git/deploy-repo/deploy/d.yaml: no such file or directory",
        ),
        (
            UNREACHABLE_REMOTE_BASE,
            "failed to run '/usr/bin/git fetch --depth=1 https://github.invalid/acme/x v1': "
            "fatal: unable to access 'https://github.invalid/acme/x/': "
            "Could not resolve host: github.invalid",
        ),
        (
            INVALID_YAML,
            "MalformedYAMLError: yaml: line 5: mapping values are not allowed in this context "
            "in File: svc.yaml",
        ),
        (
            COMPONENT_PATCH,
            "no matches for Id Deployment.v1.apps/simple-deploymnet.[noNs]; failed to find "
            "unique target for patch Deployment.v1.apps/simple-deploymnet.[noNs]",
        ),
        (MISSING_COMPONENT, "lstat variants/nope: no such file or directory"),
    ],
    ids=[
        "resource",
        "in-base",
        "patch",
        "in-remote-base",
        "remote-unreachable",
        "yaml",
        "component-patch",
        "missing-component",
    ],
)
def test_the_first_line_is_the_innermost_cause_then_the_chain(error: str, cause: str) -> None:
    shown = reshape(f"auth: kustomize build failed: {error}\n# Warning: deprecated", ROOT)
    first, chain, *rest = shown.splitlines()
    assert first == f"auth: {cause}"
    assert chain.startswith(
        (
            "  kustomize build failed: accumulating resources: ",
            "  kustomize build failed: accumulating components: ",
            "  kustomize build failed: trouble configuring builtin PatchTransformer",
        )
    )
    # A Component's error ends with the quote Kustomize put around it.
    assert chain.removesuffix('"').endswith(cause)
    assert "/work/repo" not in shown
    assert "/tmp/kustomize-" not in shown
    # git's exit status on a line of its own is gone; the warnings stay, after the error.
    assert rest == ["# Warning: deprecated"]


@pytest.mark.parametrize("error", [UNKNOWN_FIELD, BAD_JSON_PATCH])
def test_an_error_kustomize_did_not_wrap_is_shown_as_it_is(error: str) -> None:
    assert reshape(f"auth: kustomize build failed: {error}", ROOT) == (
        f"auth: kustomize build failed: {error}"
    )


def test_other_failures_only_get_relative_paths() -> None:
    message = "auth: rendered output is not YAML: /work/repo/k8s/auth/x.yaml"
    assert reshape(message, ROOT) == "auth: rendered output is not YAML: k8s/auth/x.yaml"


def test_a_path_inside_a_url_is_left_alone() -> None:
    assert relative_paths("from 'file:///work/repo/x' and /work/repo/y", ROOT) == (
        "from 'file:///work/repo/x' and y"
    )


def test_a_clone_of_several_remote_bases_is_not_guessed() -> None:
    message = (
        "accumulating resources from 'https://a.example/x//d' and accumulating resources from "
        "'https://b.example/y//d': lstat /tmp/kustomize-1/d/k.yaml: no such file or directory"
    )
    shown = relative_paths(message, ROOT)
    assert shown.endswith("lstat <remote base>/d/k.yaml: no such file or directory")


def test_a_component_keeps_its_consumer_before_the_cause() -> None:
    message = (
        "components/debug: a Component no gated overlay uses, rendered through k8s/auth: "
        f"kustomize build failed: {MISSING_RESOURCE}"
    )
    assert reshape(message, ROOT).splitlines()[0] == (
        "components/debug: a Component no gated overlay uses, rendered through k8s/auth: "
        "lstat k8s/auth/nothere.yaml: no such file or directory"
    )


def test_innermost_of_a_config_quoted_over_lines() -> None:
    error = (
        "trouble configuring builtin PatchTransformer with config: `\npath: p.yaml\n`: "
        "failed to get the patch file from path(p.yaml): evalsymlink failure on 'x/p.yaml' : "
        "lstat x/p.yaml: no such file or directory"
    )
    assert innermost(error) == "lstat x/p.yaml: no such file or directory"
    shown = reshape(f"auth: kustomize build failed: {error}", ROOT)
    assert shown.splitlines()[0] == "auth: lstat x/p.yaml: no such file or directory"


def test_a_missing_patch_file_fails_with_its_path_first(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: the FAILED line, cut at 120 columns, still shows the cause."""
    monkeypatch.setenv("COLUMNS", "120")
    kustomization = example / "k8s/overlays/chat/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text(encoding="utf-8") + "  - path: chat-limits.yaml\n",
        encoding="utf-8",
    )
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render", "-rf")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: lstat k8s/overlays/chat/chat-limits.yaml: no such file or directory",
            "  kustomize build failed: trouble configuring builtin PatchTransformer with config: "
            "*: lstat k8s/overlays/chat/chat-limits.yaml: no such file or directory",
            "FAILED k8s/overlays/chat/kustomization.yaml::render - chat: lstat k8s/overlays/chat/"
            "chat-limits.yaml: no such file or...",
        ]
    )
    result.stdout.no_fnmatch_line(f"*chat*{example}*no such file*")


def test_a_missing_resource_of_a_base_names_the_base_file(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    base = example / "k8s/base/kustomization.yaml"
    base.write_text(base.read_text(encoding="utf-8").replace("service.yaml", "svc.yaml"), "utf-8")
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=render", "-k", "auth", "-rf"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED k8s/overlays/auth/kustomization.yaml::render - auth: lstat "
            "k8s/base/svc.yaml: no such file or directory"
        ]
    )


def test_break_overlay_is_shown_as_kustomize_says_it(
    pytester: pytest.Pytester, example: Path
) -> None:
    """A message Kustomize did not wrap keeps its one line."""
    break_overlay(example, "my")
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=render", "-k", "my"
    )
    result.stdout.fnmatch_lines(["my: kustomize build failed: no resource matches strategic*"])


def test_a_warning_kustomize_prints_twice_is_shown_once() -> None:
    # gitops-environment-promotion: two kustomizations with patchesStrategicMerge, the
    # same deprecation warning twice after the error.
    warning = "# Warning: 'patchesStrategicMerge' is deprecated. Please use 'patches' instead."
    shown = reshape(f"prod: kustomize build failed: {MISSING_RESOURCE}\n{warning}\n{warning}", ROOT)
    assert shown.splitlines()[2:] == [warning]
    plain = reshape(f"prod: kustomize build failed: {UNKNOWN_FIELD}\n{warning}\n{warning}", ROOT)
    assert plain.splitlines() == [f"prod: kustomize build failed: {UNKNOWN_FIELD}", warning]
