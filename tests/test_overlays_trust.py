"""Plain overlays mode builds nothing outside the repository, reads and keys nothing there,
and hands helm no configuration a pull request commits: end to end with real Kustomize."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_k8s_overlays.cache.inputs import Uncacheable, inputs
from pytest_k8s_overlays.cache.key import RenderKeys
from pytest_k8s_overlays.core.paths import own_repository, repository_of
from pytest_k8s_overlays.render.engine import Renderer
from pytest_k8s_overlays.sources.kustomize.confine import helm_enabled, outside_problem

from .builders import (
    EVERY_OUTPUT,
    application,
    assert_nowhere,
    kustomize_version,
    marker_helm,
    write,
    write_manifests,
)

#: What the directories outside the repository hold: never in any output.
CANARY = "canary-outside-0x5eed"


DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
    "  selector: {{matchLabels: {{app: s}}}}\n  template:\n    metadata: {{labels: {{app: s}}}}\n"
    "    spec: {{containers: [{{name: s, image: '{image}'}}]}}\n"
)


def outside_bases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kustomizations outside the repository, as a runner's disk holds some: a base with
    an unpinned image and a Component, both naming the canary."""
    outside = tmp_path_factory.mktemp("outside")
    write(outside, "base/kustomization.yaml", "resources: [deploy.yaml]\n")
    image = f"ghcr.io/acme/{CANARY}:latest"
    write(outside, "base/deploy.yaml", DEPLOYMENT.format(name=CANARY, image=image))
    write(outside, "other/kustomization.yaml", "resources: [deploy.yaml]\n")
    write(outside, "other/deploy.yaml", DEPLOYMENT.format(name=CANARY, image=image))
    write(
        outside,
        "component/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        f"images: [{{name: ghcr.io/acme/web, newName: ghcr.io/acme/{CANARY}}}]\n",
    )
    return outside


def run_everywhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    """Run the gate on k8s/overlays with every output on (annotations too)."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    return pytester.runpytest("--overlays=k8s/overlays", *EVERY_OUTPUT, *args)


def test_an_overlay_never_builds_a_directory_outside_the_repository(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Kustomize's load restrictor keeps files in their kustomization's directory, but a
    # base directory may lie anywhere: outside the repository, it must not be built.
    outside = outside_bases(tmp_path_factory)
    root = pytester.path
    os.symlink(outside / "base", root / "leak")
    os.symlink(outside / "component", root / "leak-component")
    climb = "../" * 40 + str(outside / "base").lstrip("/")
    write(root, "k8s/overlays/linked/kustomization.yaml", "resources: [../../../leak]\n")
    write(root, "k8s/overlays/climb/kustomization.yaml", f"resources: [{climb}]\n")
    write(root, "k8s/overlays/bases/kustomization.yaml", "bases: [../../../leak]\n")
    write(
        root,
        "k8s/overlays/component/kustomization.yaml",
        "resources: [../../base]\ncomponents: [../../../leak-component]\n",
    )
    # Kustomize joins an entry to its kustomization's real directory: from x (at the
    # top), ../../<outside> leaves the repository; from the link's own place it would not.
    write(root, "x/kustomization.yaml", f"resources: [../../{outside.name}/base]\n")
    write(root, "k8s/overlays/through/kustomization.yaml", "resources: [link]\n")
    os.symlink("../../../x", root / "k8s/overlays/through/link")
    # An overlay directory, or a kustomization file, linked out of the repository.
    os.symlink(outside / "other", root / "k8s/overlays/dirlink")
    (root / "k8s/overlays/filelink").mkdir()
    os.symlink(
        outside / "base/kustomization.yaml", root / "k8s/overlays/filelink/kustomization.yaml"
    )
    # Healthy: a base inside the repository, through a link inside it too.
    write(root, "k8s/base/kustomization.yaml", "resources: [deploy.yaml]\n")
    write(root, "k8s/base/deploy.yaml", DEPLOYMENT.format(name="web", image="ghcr.io/acme/web:1.0"))
    os.symlink("base", root / "k8s/linked-base")
    write(root, "k8s/overlays/ok/kustomization.yaml", "resources: [../../linked-base]\n")

    result = run_everywhere(pytester, monkeypatch, "--overlays-checks=render,images")

    result.assert_outcomes(passed=2, failed=7, skipped=7)
    result.stdout.fnmatch_lines_random(
        [
            "*linked: not built: k8s/overlays/linked/kustomization.yaml: ../../../leak "
            "resolves outside the repository*",
            f"*climb: not built: k8s/overlays/climb/kustomization.yaml: {climb} resolves "
            "outside the repository*",
            "*bases: not built: k8s/overlays/bases/kustomization.yaml: ../../../leak resolves "
            "outside the repository*",
            "*component: not built: k8s/overlays/component/kustomization.yaml: "
            "../../../leak-component resolves outside the repository*",
            f"*through: not built: x/kustomization.yaml: ../../{outside.name}/base resolves "
            "outside the repository*",
            "*dirlink: not built: k8s/overlays/dirlink resolves outside the repository*",
            "*filelink: not built: k8s/overlays/filelink/kustomization.yaml resolves outside "
            "the repository*",
        ]
    )
    assert_nowhere(result, root, CANARY)


def test_a_refused_overlay_is_not_cached_and_its_key_reads_nothing_outside(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = outside_bases(tmp_path_factory)
    os.symlink(outside / "base", pytester.path / "leak")
    write(pytester.path, "k8s/overlays/a/kustomization.yaml", "resources: [../../../leak]\n")
    for _ in range(2):
        result = pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=render")
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*a: not built: *../../../leak resolves outside*"])
        result.stdout.fnmatch_lines(["0 overlays rendered, 0 from the cache"])
    # The key never reads a file there: one named through ``../`` or a link is refused.
    overlay = pytester.path / "k8s/overlays/a"
    with pytest.raises(Uncacheable, match=r"^\.\./\.\./\.\./leak in .* resolves outside"):
        inputs(overlay, root=pytester.path)
    write(
        pytester.path,
        "k8s/overlays/b/kustomization.yaml",
        f"configMapGenerator:\n- name: c\n  files: [../../../../{outside.name}/base/deploy.yaml]\n",
    )
    with pytest.raises(Uncacheable, match=r"deploy\.yaml in .* resolves outside"):
        inputs(pytester.path / "k8s/overlays/b", root=pytester.path)
    # Nor a file a kustomization directory links out to (the key hashes whole directories).
    write(pytester.path, "k8s/overlays/c/kustomization.yaml", "resources: []\n")
    os.symlink(outside / "base/deploy.yaml", pytester.path / "k8s/overlays/c/notes")
    renderer = Renderer(("kustomize", "build"), "/nowhere/kustomize", kustomize_version(), "test")
    keys = RenderKeys(renderer, [])
    with pytest.raises(Uncacheable, match=r"c/notes is a symbolic link out of the repository"):
        keys.key(pytester.path / "k8s/overlays/c", root=pytester.path)
    assert keys.key(pytester.path / "k8s/overlays/c")  # unconfined: as before


def test_the_repository_is_the_rootdirs_git_work_tree_and_a_link_never_widens_it(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub/k8s").mkdir(parents=True)
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    (other / "overlays").mkdir()
    # The rootdir may be a subdirectory: the work tree is the repository.
    assert repository_of(repo / "sub/k8s", repo / "sub") == repo
    # A committed link to another work tree does not make that the repository.
    os.symlink(other, repo / "sub/linked")
    assert repository_of(repo / "sub/linked/overlays", repo / "sub") == repo
    # A root the user names outside it is their own: its own work tree, or itself.
    assert repository_of(other / "overlays", repo / "sub") == other
    # Outside git (a directory of links the user assembled): each overlay's own.
    (tmp_path / "assembled").mkdir()
    os.symlink(other / "overlays", tmp_path / "assembled/prod")
    assert repository_of(tmp_path / "assembled", repo) is None
    assert own_repository(tmp_path / "assembled/prod") == other
    assert own_repository(tmp_path / "assembled") is None
    # Outside git, the rootdir.
    (tmp_path / "nogit/k8s").mkdir(parents=True)
    assert repository_of(tmp_path / "nogit/k8s", tmp_path / "nogit") == tmp_path / "nogit"


# -- --enable-helm: helm's homes never come from the repository ---------------------------


def helm_overlays(root: Path, outside: Path) -> None:
    """Overlays that would give helm a home, or a chart, a pull request chose."""
    home = root / "helm-home"
    # A getter plugin for the chart's repo: scheme; helm would run it.
    write(
        home,
        ".data/plugins/getter/plugin.yaml",
        "name: getter\nversion: 0.1.0\ndownloaders:\n- command: run.sh\n  protocols: [leak]\n",
    )
    write(home, ".data/plugins/getter/run.sh", f"#!/bin/sh\ntouch {root}/plugin-ran\n")
    (home / ".data/plugins/getter/run.sh").chmod(0o755)
    chart = "helmCharts: [{name: web, repo: 'leak://x', version: 1.0.0, releaseName: web}]\n"
    write(
        root,
        "k8s/overlays/globals/kustomization.yaml",
        f"helmGlobals: {{configHome: {home}}}\n{chart}",
    )
    write(
        root,
        "k8s/overlays/old/kustomization.yaml",
        f"helmChartInflationGenerator: [{{chartName: web, helmHome: {home}}}]\n",
    )
    write(root, "k8s/overlays/generator/kustomization.yaml", "generators: [helm.yaml]\n")
    write(
        root,
        "k8s/overlays/generator/helm.yaml",
        "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata: {name: web}\n"
        f"name: web\nrepo: leak://x\nconfigHome: {home}\n",
    )
    # A chart home outside the repository, and a chart that links out of it.
    write(outside, "charts/web/Chart.yaml", f"name: {CANARY}\nversion: 1.0.0\n")
    write(
        root,
        "k8s/overlays/home/kustomization.yaml",
        f"helmGlobals: {{chartHome: {outside}/charts}}\nhelmCharts: [{{name: web}}]\n",
    )
    write(root, "k8s/overlays/chartlink/charts/web/Chart.yaml", "name: web\nversion: 1.0.0\n")
    os.symlink(outside / "token", root / "k8s/overlays/chartlink/charts/web/token")
    write(root, "k8s/overlays/chartlink/kustomization.yaml", "helmCharts: [{name: web}]\n")


def test_enable_helm_never_takes_a_helm_home_or_chart_from_where_a_pull_request_chooses(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = pytester.path
    outside = tmp_path_factory.mktemp("outside")
    (outside / "token").write_text(CANARY, encoding="utf-8")
    helm_overlays(root, outside)
    marker = root / "helm-ran"
    helm = marker_helm(tmp_path_factory.mktemp("bin"), marker)
    args = f"--overlays-build-args=--enable-helm --helm-command={helm}"

    result = run_everywhere(pytester, monkeypatch, args, "--overlays-checks=render")

    result.assert_outcomes(failed=5)
    refused = "is refused with --enable-helm: helm runs the plugins it finds there"
    result.stdout.fnmatch_lines_random(
        [
            f"*globals: not built: k8s/overlays/globals/kustomization.yaml: "
            f"helmGlobals.configHome {refused}*",
            f"*old: not built: k8s/overlays/old/kustomization.yaml: "
            f"helmChartInflationGenerator: helmHome {refused}*",
            f"*generator: not built: k8s/overlays/generator/kustomization.yaml: "
            f"generators helm.yaml: configHome {refused}*",
            f"*home: not built: k8s/overlays/home/kustomization.yaml: helmGlobals.chartHome "
            f"{outside}/charts resolves outside the repository*",
            "*chartlink: not built: k8s/overlays/chartlink/kustomization.yaml: helmGlobals.chart "
            "web: k8s/overlays/chartlink/charts/web/token is a symbolic link out of the "
            "repository*",
        ]
    )
    assert not (root / "plugin-ran").exists()
    assert not marker.exists(), "helm ran"
    assert_nowhere(result, root, CANARY)


def test_enable_helm_still_renders_charts_of_the_repository(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = pytester.path
    write(root, "k8s/overlays/web/charts/web/Chart.yaml", "name: web\nversion: 1.0.0\n")
    write(root, "k8s/overlays/web/charts/web/values.yaml", "{}\n")
    write(root, "k8s/overlays/web/kustomization.yaml", "helmCharts: [{name: web}]\n")
    marker = root / "helm-ran"
    helm = marker_helm(tmp_path_factory.mktemp("bin"), marker)
    args = f"--overlays-build-args=--enable-helm --helm-command={helm}"
    result = pytester.runpytest("--overlays=k8s/overlays", args, "--overlays-checks=render")
    result.assert_outcomes(passed=1)
    assert "template" in marker.read_text(encoding="utf-8")
    # Without --enable-helm, nothing is refused: Kustomize says what is missing.
    write(
        root,
        "k8s/overlays/web/kustomization.yaml",
        "helmGlobals: {configHome: h}\nhelmCharts: [{name: web}]\n",
    )
    result = pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*must specify --enable-helm*"])


@pytest.mark.parametrize(
    ("args", "enabled"),
    [
        ((), False),
        (("--enable-helm",), True),
        (("--enable-helm=true",), True),
        (("--enable-helm=false",), False),
        (("--helm-command=helm",), False),
        (("--enable-helmet",), False),
    ],
)
def test_helm_is_enabled_by_the_flag_only(args: tuple[str, ...], enabled: bool) -> None:
    assert helm_enabled(args) is enabled


def test_an_argo_cd_source_gets_the_same_helm_rule(tmp_path: Path) -> None:
    # Argo CD mode's user-given --overlays-argocd-build-options=--enable-helm shares it.
    write(
        tmp_path,
        "app/kustomization.yaml",
        "helmGlobals: {configHome: /h}\nhelmCharts: [{name: web}]\n",
    )
    problem = outside_problem(tmp_path / "app", tmp_path, ["--enable-helm"])
    assert problem is not None
    assert problem.startswith("app/kustomization.yaml: helmGlobals.configHome is refused")
    assert outside_problem(tmp_path / "app", tmp_path, []) is None


def test_argo_cd_build_options_with_enable_helm_never_take_a_helm_home_from_the_repository(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The user's --overlays-argocd-build-options=--enable-helm is trusted; a kustomization's
    # helmGlobals.configHome, which a pull request commits, is not.
    root = pytester.path
    helm_overlays(root, tmp_path_factory.mktemp("outside"))
    write_manifests(
        root,
        "argocd/apps.yaml",
        application("globals", "k8s/overlays/globals", namespace="web"),
        application("generator", "k8s/overlays/generator", namespace="web"),
    )
    marker = root / "helm-ran"
    helm = marker_helm(tmp_path_factory.mktemp("bin"), marker)
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        "--overlays-checks=render",
        f"--overlays-argocd-build-options=--enable-helm --helm-command={helm}",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random(
        [
            "*globals: Argo CD would render nothing: k8s/overlays/globals: "
            "k8s/overlays/globals/kustomization.yaml: "
            "helmGlobals.configHome is refused with --enable-helm*",
            "*generator: Argo CD would render nothing: k8s/overlays/generator: "
            "k8s/overlays/generator/kustomization.yaml: "
            "generators helm.yaml: configHome is refused with --enable-helm*",
        ]
    )
    assert not marker.exists(), "helm ran"
    assert not (root / "plugin-ran").exists()
