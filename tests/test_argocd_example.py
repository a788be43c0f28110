"""Argo CD mode end to end on example_repo's clusters/dev: real renders through pytester."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .builders import application, write, write_manifests
from .conftest import SERVICES

#: Items per Application: every check, the application check included.
ITEMS = 9


def test_the_example_cluster_passes(pytester: pytest.Pytester, argocd_example: Path) -> None:
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-v")
    result.assert_outcomes(passed=ITEMS * 9)
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays: 9 Applications in 1 group; renderer: *",
            "k8s-overlays: Argo CD clusters/dev: 9 Applications; this repository: "
            f"{'https://github.com/acme/platform.git'} (the repoURL of the Applications whose "
            "paths exist here)",
        ]
    )
    for service in SERVICES:
        result.stdout.fnmatch_lines(
            [f"clusters/dev/apps/services.yaml::dev-api-{service}::application PASSED*"]
        )
    result.stdout.fnmatch_lines(
        ["clusters/dev/apps/platform.yaml::dev-platform::namespace PASSED*"]
    )
    result.stdout.fnmatch_lines(["clusters/dev/root.yaml::dev-root::render PASSED*"])
    result.stdout.fnmatch_lines(["9 rendered, 0 from the cache"])
    again = pytester.runpytest("--overlays-argocd", "clusters/dev")
    again.assert_outcomes(passed=ITEMS * 9)
    again.stdout.fnmatch_lines(["0 rendered, 9 from the cache"])


def test_a_standalone_application_duplicating_a_generated_one_fails(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    write_manifests(
        argocd_example,
        "clusters/dev/apps/info.yaml",
        application("dev-api-info", "k8s/overlays/info", namespace="info", project="dev-services"),
    )
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "application")
    result.assert_outcomes(passed=8, failed=2)
    # The two headers are told apart by the file that defines each.
    result.stdout.fnmatch_lines_random(
        [
            "*_ dev-api-info (clusters/dev/apps/info.yaml) [[]application] _*",
            "*_ dev-api-info (clusters/dev/apps/services.yaml) [[]application] _*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "dev-api-info: [[]duplicate-name] *",
            "  source: k8s/overlays/info",
            "  Application/argocd/dev-api-info metadata.name: Application argocd/dev-api-info is "
            "also defined by ApplicationSet dev-api (clusters/dev/apps/services.yaml); expected "
            "one Application of that name in the namespace [duplicate-name] "
            "(from clusters/dev/apps/info.yaml)",
            "hint [duplicate-name]: rename one of the two Applications, or delete the standalone "
            "one the ApplicationSet now generates: Argo CD keeps overwriting one with the other",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED clusters/dev/apps/info.yaml::dev-api-info::application - dev-api-info*",
            "FAILED clusters/dev/apps/services.yaml::dev-api-info::application - dev-api-i*",
        ]
    )


def test_two_applications_managing_one_object_share_it(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # A hotfix Application for info, under another name: both manage info's objects.
    write_manifests(
        argocd_example,
        "clusters/dev/apps/hotfix.yaml",
        application(
            "dev-info-hotfix", "k8s/overlays/info", namespace="info", project="dev-services"
        ),
    )
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "unique-names")
    result.assert_outcomes(passed=8, failed=2)
    result.stdout.fnmatch_lines(
        [
            # One object, one finding: shown in full under the first Application.
            "dev-info-hotfix: 3 findings shown in full under other items [[]shared-object]",
            "  [[]shared-object] the same finding as dev-api-info (k8s/base/configmap.yaml:1), "
            "shown in full under dev-api-info [[]unique-names]",
            "dev-api-info: 3 findings [[]shared-object]",
            "  source: k8s/overlays/info",
            "  ConfigMap/info/info-api-config: also managed by Application dev-info-hotfix; "
            "expected one Application to own it [[]shared-object] (from k8s/base/configmap.yaml)",
        ]
    )


def test_combined_with_overlays(pytester: pytest.Pytester, argocd_example: Path) -> None:
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-argocd",
        "clusters/dev",
        "--overlays-checks=render",
    )
    result.assert_outcomes(passed=7 + 9)
    result.stdout.fnmatch_lines(["k8s-overlays: 7 overlays and 9 Applications in 2 groups; *"])


def test_a_node_id_from_a_report_runs_again(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    result = pytester.runpytest(
        "clusters/dev/apps/services.yaml::dev-api-auth::images", "--overlays-argocd", "clusters/dev"
    )
    result.assert_outcomes(passed=1)


def test_a_path_holding_the_instance_gates_every_application_it_deploys(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # The root Application's children are defined outside clusters/dev: naming
    # clusters/dev (instead of testpaths) used to give them no items, and pass.
    shutil.move(argocd_example / "clusters/dev/apps", argocd_example / "apps/dev")
    root = argocd_example / "clusters/dev/root.yaml"
    root.write_text(root.read_text().replace("path: clusters/dev/apps", "path: apps/dev"))
    for args in (["clusters/dev"], ["clusters"], ["."], ["clusters/dev", "k8s"]):
        result = pytester.runpytest("--overlays-argocd", "clusters/dev", *args)
        result.stdout.fnmatch_lines(["k8s-overlays: 9 Applications in 1 group; *"])
        result.assert_outcomes(passed=ITEMS * 9)
    # A node id still runs alone.
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "apps/dev/services.yaml::dev-api-auth::images"
    )
    result.assert_outcomes(passed=1)


def test_a_missing_instance_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--overlays-argocd", "clusters/nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --overlays-argocd clusters/nowhere: no such file or directory (*)"]
    )


def test_an_instance_without_applications_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write(pytester.path, "clusters/dev/readme.yaml", "kind: ConfigMap\n")
    result = pytester.runpytest("--overlays-argocd", "clusters/dev")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --overlays-argocd clusters/dev: no Argo CD Application or ApplicationSet *"]
    )


def test_an_unparsable_manifest_is_a_usage_error_naming_it(pytester: pytest.Pytester) -> None:
    write(pytester.path, "clusters/dev/app.yaml", "kind: Application\nspec: [\n")
    result = pytester.runpytest("--overlays-argocd", "clusters/dev")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --overlays-argocd clusters/dev/app.yaml: not valid YAML: * at line 3, column 1"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_stand_in_clusters_must_be_name_equals_server(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--overlays-argocd=x", "--overlays-argocd-clusters=dev")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --overlays-argocd-clusters dev: write NAME=SERVER, e.g. dev=https://*"]
    )


def test_overlays_alone_never_load_argo_cd_mode(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makepyfile(
        test_modules="""
        import sys

        def test_argo_cd_mode_not_loaded():
            loaded = [m for m in sys.modules if m.startswith("pytest_k8s_overlays.sources.argocd")]
            assert loaded + [m for m in sys.modules if m.endswith("checks.application")] == []
        """
    )
    result = pytester.runpytest_subprocess("--overlays=k8s/overlays", "test_modules.py")
    result.assert_outcomes(passed=7 * 8 + 1)


def test_an_image_an_application_overrides_is_an_images_entry_that_took_effect(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # Pinned by hand in the Application, or written back by Argo CD Image Updater
    # into .argocd-source-<app>.yaml: Argo CD's `kustomize edit set image` replaces
    # the overlay's own images: entry of that name, which then did change the image.
    pinned = {"images": ["ghcr.io/acme/placeholder=ghcr.io/acme/auth-api:1.1.1-hotfix"]}
    write_manifests(
        argocd_example,
        "clusters/dev/apps/hotfix.yaml",
        application("dev-auth-hotfix", "k8s/overlays/auth", namespace="auth", kustomize=pinned),
        application("dev-auth-updated", "k8s/overlays/auth", namespace="auth"),
    )
    write(
        argocd_example,
        "k8s/overlays/auth/.argocd-source-dev-auth-updated.yaml",
        # `*` keeps the entry's newName, as `kustomize edit set image` does.
        "kustomize:\n  images:\n    - ghcr.io/acme/placeholder=*:1.1.2\n",
    )
    pytester.makepyfile(
        test_images="""
        def test_images_of_hotfix_and_updated(overlays):
            assert overlays["dev-auth-hotfix"].images == ("ghcr.io/acme/auth-api:1.1.1-hotfix",)
            assert overlays["dev-auth-updated"].images == ("ghcr.io/acme/auth-api:1.1.2",)
        """
    )
    result = pytester.runpytest(
        "--overlays-argocd=clusters/dev",
        "-k",
        "(hotfix or updated) and images",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=3)


def test_an_image_built_for_dev_leaks_into_the_prod_instance(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # Two Argo CD instances are two environments, as two --overlays groups are.
    prod = argocd_example / "clusters/prod"
    shutil.copytree(argocd_example / "clusters/dev", prod)
    for manifest in prod.rglob("*.yaml"):
        manifest.write_text(manifest.read_text().replace("dev", "prod"))
    kfile = argocd_example / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace('newTag: "1.1.0"', 'newTag: "1.1.0-dev"'))
    result = pytester.runpytest(
        "--overlays-argocd=clusters/dev",
        "--overlays-argocd=clusters/prod",
        "--overlays-checks=images",
        "-k",
        "auth",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED clusters/prod/apps/services.yaml::prod-api-auth::images - *",
            "*[[]environment-leak]*",
        ]
    )


def test_an_image_an_application_override_wrote_is_placed_on_the_override(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # A hotfix Application pins :latest in its kustomize.images, and Argo CD Image
    # Updater writes :latest back into an .argocd-source file: each unpinned finding is
    # on the line that wrote it, not on the overlay's images: entry or the base.
    latest = {"images": ["ghcr.io/acme/placeholder=ghcr.io/acme/auth-api:latest"]}
    write_manifests(
        argocd_example,
        "clusters/dev/apps/hotfix.yaml",
        application("dev-auth-hotfix", "k8s/overlays/auth", namespace="auth", kustomize=latest),
        application("dev-auth-updated", "k8s/overlays/auth", namespace="auth"),
    )
    write(
        argocd_example,
        "k8s/overlays/auth/.argocd-source-dev-auth-updated.yaml",
        "kustomize:\n  images:\n    - ghcr.io/acme/placeholder=*:latest\n",
    )
    result = pytester.runpytest(
        "--overlays-argocd",
        "clusters/dev",
        "--overlays-checks=images",
        "-k",
        "dev-auth-hotfix or dev-auth-updated",
        "--overlays-report=r.json",
    )
    result.assert_outcomes(failed=2)
    records = json.loads((pytester.path / "r.json").read_text())["findings"]
    placed = {r["overlay"]: (r["rule"], r["source"]["file"]) for r in records}
    assert placed == {
        "dev-auth-hotfix": ("unpinned", "clusters/dev/apps/hotfix.yaml"),
        "dev-auth-updated": ("unpinned", "k8s/overlays/auth/.argocd-source-dev-auth-updated.yaml"),
    }
    hotfix = (argocd_example / "clusters/dev/apps/hotfix.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(hotfix, 1) if "auth-api:latest" in text)
    assert {r["source"]["line"] for r in records if r["overlay"] == "dev-auth-hotfix"} == {line}
    assert {r["source"]["line"] for r in records if r["overlay"] == "dev-auth-updated"} == {3}
