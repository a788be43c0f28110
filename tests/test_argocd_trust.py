"""What a pull request commits for Argo CD mode is read inside the repository only, keyed
in full, and never runs a program: end to end with real renders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .builders import (
    EVERY_OUTPUT,
    REPO,
    application,
    assert_nowhere,
    fake_helm,
    write,
    write_manifests,
)

#: What the files outside the repository hold: never in any output.
CANARY = "CANARY-outside-0x5eed"


def outside_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory outside the repository, as a runner's home holds a kubeconfig."""
    outside = tmp_path_factory.mktemp("outside")
    config_map = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\ndata:\n  token: {CANARY}\n"
    )
    (outside / "kubeconfig.yaml").write_text(config_map, encoding="utf-8")
    (outside / "token.txt").write_text(CANARY + "\n", encoding="utf-8")
    (outside / "values.yaml").write_text(f"image: {CANARY}\n", encoding="utf-8")
    return outside


def run_everywhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    """Run the gate with every output on (annotations too); return the result."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    return pytester.runpytest("--overlays-argocd=argocd", *EVERY_OUTPUT, *args)


# -- item 8: a symlinked source directory ------------------------------------------------


def test_a_source_directory_linked_out_of_the_repository_is_not_read(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    outside = outside_files(tmp_path_factory)
    os.symlink(outside, pytester.path / "leak")
    write(
        pytester.path,
        "apps/deep/ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",
    )
    os.symlink(outside, pytester.path / "apps" / "deep" / "sub")
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("leak", "leak", namespace="web", directory={"recurse": True}),
        application("nested", "leak/.", namespace="web"),
        application("deeper", "apps/deep/sub", namespace="web", kustomize={"namePrefix": "x-"}),
    )
    result = run_everywhere(pytester, monkeypatch, "--overlays-checks=render")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*leak: app path resolves outside the repository through a symbolic link*",
            "*apps/deep/sub: app path resolves outside the repository through a symbolic link*",
        ]
    )
    assert_nowhere(result, pytester.path, CANARY)


# -- item 7: files linked out of the repository ------------------------------------------


def test_a_git_files_generator_never_reads_a_file_linked_out_of_the_repository(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    outside = outside_files(tmp_path_factory)
    write(pytester.path, "cfg/good.yaml", "name: good\n")
    os.symlink(outside / "kubeconfig.yaml", pytester.path / "cfg" / "leak.yaml")
    write(pytester.path, "apps/a/kustomization.yaml", "namespace: web\n")
    template = {
        "metadata": {"name": "{{data.token}}{{name}}"},
        "spec": application("x", "apps/a", namespace="web")["spec"],
    }
    appset = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "files", "namespace": "argocd"},
        "spec": {
            "generators": [
                {"git": {"repoURL": REPO, "revision": "main", "files": [{"path": "cfg/*.yaml"}]}}
            ],
            "template": template,
        },
    }
    write_manifests(
        pytester.path, "argocd/apps.yaml", application("plain", "apps/a", namespace="web"), appset
    )
    result = run_everywhere(pytester, monkeypatch, "--overlays-checks=render")
    result.stdout.fnmatch_lines(
        ["*unable to process file 'cfg/leak.yaml': a symbolic link out of the repository*"]
    )
    assert_nowhere(result, pytester.path, CANARY)


def test_argo_cd_source_files_and_kustomizations_linked_out_of_the_repository_are_refused(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    outside = outside_files(tmp_path_factory)
    (outside / "source.yaml").write_text(f"kustomize:\n  namePrefix: {CANARY.lower()}-\n")
    (outside / "kustomization.yaml").write_text(
        f"configMapGenerator:\n  - name: stolen\n    literals: [token={CANARY}]\n"
    )
    write(pytester.path, "apps/a/kustomization.yaml", "namespace: web\n")
    os.symlink(outside / "source.yaml", pytester.path / "apps" / "a" / ".argocd-source.yaml")
    (pytester.path / "apps" / "b").mkdir()
    os.symlink(outside / "kustomization.yaml", pytester.path / "apps" / "b" / "kustomization.yaml")
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("sourced", "apps/a", namespace="web"),
        application("edited", "apps/b", namespace="web", kustomize={"namePrefix": "dev-"}),
        application("built", "apps/b", namespace="web"),
    )
    result = run_everywhere(pytester, monkeypatch, "--overlays-checks=render")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "*error while parsing source parameters: apps/a/.argocd-source.yaml resolves outside "
            "the repository*",
            "*apps/b/kustomization.yaml resolves outside the repository*",
        ]
    )
    assert_nowhere(result, pytester.path, CANARY)
    assert_nowhere(result, pytester.path, CANARY.lower())


def test_an_argo_cd_manifest_linked_out_of_the_repository_is_not_read(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = outside_files(tmp_path_factory)
    write(pytester.path, "apps/a/kustomization.yaml", "namespace: web\n")
    write_manifests(pytester.path, "argocd/apps.yaml", application("a", "apps/a", namespace="web"))
    (outside / "app.yaml").write_text(
        (pytester.path / "argocd" / "apps.yaml")
        .read_text()
        .replace("name: a\n", f"name: {CANARY.lower()}\n")
    )
    os.symlink(outside / "app.yaml", pytester.path / "argocd" / "linked.yaml")
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*argocd/linked.yaml: a symbolic link out of the repository, not read*"]
    )
    assert CANARY.lower() not in result.stdout.str() + result.stderr.str()


# -- Helm sources: value files and file parameters --------------------------------------


@pytest.fixture
def helm_on_path(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``helm`` stand-in first on PATH (a stand-in for Helm only: Kustomize stays real)."""
    bin_dir = pytester.path.parent / f"{pytester.path.name}-bin"
    helm = fake_helm(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return helm


def make_chart(root: Path, relative: str = "charts/web") -> None:
    """A local chart, as Argo CD's Helm sources point at."""
    write(root, f"{relative}/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
    write(root, f"{relative}/values.yaml", "image: ghcr.io/acme/web:1.0\n")


def test_value_files_outside_the_chart_are_part_of_the_cache_key(
    pytester: pytest.Pytester, helm_on_path: Path
) -> None:
    make_chart(pytester.path)
    write(pytester.path, "envs/prod/values.yaml", "image: ghcr.io/acme/web:2.0\n")
    write(pytester.path, "envs/prod/token.txt", "not-a-secret\n")
    helm = {
        "valueFiles": ["../../envs/prod/values.yaml"],
        "fileParameters": [{"name": "token", "path": "/envs/prod/token.txt"}],
    }
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("web", "charts/web", namespace="web", helm=helm),
    )
    first = pytester.runpytest("--overlays-argocd=argocd")
    first.assert_outcomes(passed=9)
    first.stdout.fnmatch_lines(["1 rendered, 0 from the cache"])
    write(pytester.path, "envs/prod/values.yaml", "image: ghcr.io/acme/web:latest\n")
    changed = pytester.runpytest("--overlays-argocd=argocd")
    changed.assert_outcomes(passed=8, failed=1)
    changed.stdout.fnmatch_lines(["1 rendered, 0 from the cache"])
    changed.stdout.fnmatch_lines(["*web*ghcr.io/acme/web:latest*"])
    write(pytester.path, "envs/prod/token.txt", "another\n")
    again = pytester.runpytest("--overlays-argocd=argocd")
    again.stdout.fnmatch_lines(["1 rendered, 0 from the cache"])


def test_helm_never_reads_a_file_outside_the_repository(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    helm_on_path: Path,
) -> None:
    outside = outside_files(tmp_path_factory)
    make_chart(pytester.path)
    make_chart(pytester.path, "charts/linked")
    os.symlink(outside / "kubeconfig.yaml", pytester.path / "charts/linked/templates.yaml")
    write(pytester.path, "envs/prod/values.yaml", "image: ghcr.io/acme/web:2.0\n")
    os.symlink(outside / "values.yaml", pytester.path / "envs" / "leak.yaml")
    chart = pytester.path / "charts" / "web"
    climb = os.path.relpath(outside / "values.yaml", chart)
    from_root = os.path.relpath(outside / "values.yaml", pytester.path)

    def helm_app(name: str, path: str = "charts/web", **helm: object) -> dict[str, object]:
        return application(name, path, namespace="web", helm=helm)

    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        helm_app("climb", valueFiles=[climb]),
        helm_app("link", valueFiles=["../../envs/leak.yaml"]),
        helm_app(
            "absolute", fileParameters=[{"name": "image", "path": str(outside / "token.txt")}]
        ),
        helm_app("param", fileParameters=[{"name": "image", "path": climb}]),
        helm_app("chart", "charts/linked"),
        application(
            "ref",
            namespace="web",
            sources=[
                {
                    "repoURL": REPO,
                    "path": "charts/web",
                    "helm": {"valueFiles": [f"$values/{from_root}"]},
                },
                {"repoURL": REPO, "targetRevision": "main", "ref": "values"},
            ],
        ),
    )
    result = run_everywhere(pytester, monkeypatch, "--overlays-checks=render,images")
    # Each render item fails; the others skip (one cause, one failure).
    result.assert_outcomes(failed=6, skipped=6)
    result.stdout.fnmatch_lines_random(
        [
            f"*charts/web: error resolving value file path: file '{climb}' resolved to outside "
            "repository root*",
            "*charts/web: error resolving value file path: file '../../envs/leak.yaml' resolved "
            "to outside repository root*",
            f"*charts/web: error resolving value file path: file '/{from_root}' resolved to "
            "outside repository root*",
            "*charts/linked: error resolving value file path: charts/linked/templates.yaml: a "
            "symbolic link out of the repository in the chart*",
            # Absolute: relative to the repository's root, as in Argo CD (a file missing here),
            # and shown relative to it.
            f"*helm template failed: Error: open *{str(outside).lstrip('/')}/token.txt: no such*",
        ]
    )
    assert_nowhere(result, pytester.path, CANARY)


# -- item 20: multi-source $ref value files ------------------------------------------------


def test_value_files_of_a_ref_source_resolve_in_its_repository(
    pytester: pytest.Pytester, helm_on_path: Path
) -> None:
    make_chart(pytester.path)
    write(pytester.path, "envs/prod/values.yaml", "image: ghcr.io/acme/web:latest\n")

    def multi(name: str, values_repo: str) -> dict[str, object]:
        helm = {"valueFiles": ["$values/envs/prod/values.yaml"]}
        return application(
            name,
            namespace="web",
            sources=[
                {"repoURL": REPO, "targetRevision": "main", "path": "charts/web", "helm": helm},
                {"repoURL": values_repo, "targetRevision": "main", "ref": "values"},
            ],
        )

    other = "https://github.com/acme/values.git"
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        multi("here", REPO.removesuffix(".git")),
        multi("there", other),
    )
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render,images")
    # The values of this repository are read: the image they set is found unpinned.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*here*ghcr.io/acme/web:latest*"])
    result.stdout.fnmatch_lines(
        [
            "  argocd: there (argocd/apps.yaml): charts/web (helm: values from another "
            f"repository ({other}: $values/envs/prod/values.yaml)); what it deploys into "
            "namespace web is presumed present",
        ]
    )


# -- item 9: build options from a committed argocd-cm --------------------------------------


def argocd_cm(options: str) -> dict[str, object]:
    """The argocd-cm ConfigMap of an instance, as committed beside its Applications."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": "argocd"},
        "data": {"kustomize.buildOptions": options},
    }


def test_build_options_of_a_committed_argocd_cm_never_run_a_program_or_read_outside(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = outside_files(tmp_path_factory)
    ran = pytester.path / "ran"
    write(pytester.path, "evil.sh", f"#!/bin/sh\ntouch {ran}\n")
    (pytester.path / "evil.sh").chmod(0o755)
    make_chart(pytester.path, "apps/chart/charts/web")
    write(pytester.path, "apps/chart/kustomization.yaml", "helmCharts:\n  - name: web\n")
    # Up to / from wherever the build runs (Argo CD mode builds on a private copy).
    relative = "../" * 40 + str(outside / "token.txt").lstrip("/")
    write(
        pytester.path,
        "apps/read/kustomization.yaml",
        f"configMapGenerator:\n  - name: stolen\n    files: [{relative}]\n",
    )
    options = (
        f"--enable-helm --helm-command={pytester.path}/evil.sh "
        "--load-restrictor LoadRestrictionsNone --helm-api-versions v1"
    )
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        argocd_cm(options),
        application("chart", "apps/chart", namespace="web"),
        application("read", "apps/read", namespace="web"),
    )
    result = pytester.runpytest(
        "--overlays-argocd=argocd", "--overlays-checks=render", "--noconftest"
    )
    assert not ran.exists()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays: Argo CD argocd: kustomize.buildOptions of argocd/apps.yaml not used: "
            f"--enable-helm, --helm-command={pytester.path}/evil.sh, --load-restrictor "
            "LoadRestrictionsNone (a repository file never runs programs, lifts the load "
            "restrictor or writes files; to use them, pass the build options with "
            "--overlays-argocd-build-options)",
        ]
    )
    result.stdout.fnmatch_lines(["*must specify --enable-helm*"])
    result.stdout.fnmatch_lines(["*security; file*is not in or below*"])
    assert CANARY not in result.stdout.str()
    # The user's own setting is trusted as given.
    mine = pytester.runpytest(
        "--overlays-argocd=argocd",
        "--overlays-checks=render",
        f"--overlays-argocd-build-options={options}",
    )
    assert ran.exists()
    assert "not used" not in mine.stdout.str()


def test_a_kustomization_never_builds_a_directory_outside_the_repository(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Kustomize's load restrictor keeps files in their kustomization's directory, but a
    # base directory may lie anywhere: outside the repository, it must not be built.
    outside = outside_files(tmp_path_factory)
    image = f"ghcr.io/acme/{CANARY.lower()}:latest"
    write(outside, "base/kustomization.yaml", "resources: [deploy.yaml]\n")
    write(
        outside,
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stolen}\nspec:\n"
        "  selector: {matchLabels: {app: s}}\n  template:\n    metadata: {labels: {app: s}}\n"
        f"    spec: {{containers: [{{name: s, image: '{image}'}}]}}\n",
    )
    os.symlink(outside / "base", pytester.path / "leak")
    write(pytester.path, "apps/linked/kustomization.yaml", "resources: [../../leak]\n")
    climb = "../" * 40 + str(outside / "base").lstrip("/")
    write(pytester.path, "apps/climb/kustomization.yaml", f"components: []\nresources: [{climb}]\n")
    write(pytester.path, "apps/edited/kustomization.yaml", "namespace: web\n")
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("linked", "apps/linked", namespace="web"),
        application("climb", "apps/climb", namespace="web"),
        application(
            "edited", "apps/edited", namespace="web", kustomize={"components": ["../../leak"]}
        ),
    )
    result = run_everywhere(pytester, monkeypatch, "--overlays-checks=render,images")
    result.assert_outcomes(failed=3, skipped=3)
    result.stdout.fnmatch_lines_random(
        [
            "*apps/linked: apps/linked/kustomization.yaml: ../../leak resolves outside the "
            "repository*",
            f"*apps/climb: apps/climb/kustomization.yaml: {climb} resolves outside the repository*",
            "*apps/edited: apps/edited/kustomization.yaml: ../../leak resolves outside the "
            "repository*",
        ]
    )
    assert_nowhere(result, pytester.path, CANARY.lower())
