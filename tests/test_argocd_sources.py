"""Plain-directory and multi-source Applications, namespace normalisation, external
sources: end to end with real renders."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .builders import REPO, app_template, application, application_set, write, write_manifests


def config_map(name: str, namespace: str | None = None) -> str:
    meta = f"\n  namespace: {namespace}" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{meta}\ndata: {{A: b}}\n"


def make_plain(root: Path) -> None:
    """A plain directory of manifests, as platform teams keep them."""
    write(root, "plain/app.yaml", config_map("settings") + "---\n" + config_map("pinned", "other"))
    # A cluster-scoped object written with a namespace: Argo CD drops it.
    write(
        root,
        "plain/ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  namespace: oops\n",
    )
    write(
        root,
        "plain/list.json",
        '{"apiVersion": "v1", "kind": "List", "items": ['
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "listed"}}]}',
    )
    write(root, "plain/values.yaml", "replicas: 2\nimage: {tag: x}\n")  # not a manifest: ignored
    write(root, "plain/skipped.yaml", "# +argocd:skip-file-rendering\n" + config_map("skipped"))
    write(root, "plain/gen.jsonnet", "{}\n")
    write(root, "plain/sub/extra.yaml", config_map("extra"))
    write(root, "plain/sub/excluded.yaml", config_map("excluded"))
    write(
        root, "apps/a/kustomization.yaml", "configMapGenerator:\n  - name: a\n    literals: [A=a]\n"
    )


CONTRACTS = """
def names(overlay):
    return sorted(f"{r.kind}/{r.namespace or '-'}/{r.name}" for r in overlay)


FLAT = [
    "ConfigMap/other/pinned", "ConfigMap/web/listed", "ConfigMap/web/settings", "Namespace/-/web"
]


def test_a_flat_directory(overlays):
    assert names(overlays["flat"]) == FLAT


def test_recurse_with_exclude(overlays):
    assert names(overlays["deep"]) == sorted([*FLAT, "ConfigMap/web/extra"])


def test_recurse_with_include(overlays):
    assert names(overlays["picky"]) == [
        "ConfigMap/other/pinned", "ConfigMap/web/excluded", "ConfigMap/web/extra",
        "ConfigMap/web/settings",
    ]


def test_multi_source_concatenates_in_order(overlays):
    # The directory in file order (app.yaml, list.json, ns.yaml), then the kustomization.
    rendered = [r.name for r in overlays["multi"]]
    assert rendered[:4] == ["settings", "pinned", "listed", "web"]
    assert len(rendered) == 5 and rendered[4].startswith("a-")
"""


def test_plain_directories_and_multi_source(pytester: pytest.Pytester) -> None:
    make_plain(pytester.path)
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("flat", "plain", namespace="web"),
        application(
            "deep",
            "plain",
            namespace="web",
            directory={"recurse": True, "exclude": "sub/excluded.yaml"},
        ),
        application(
            "picky",
            "plain",
            namespace="web",
            directory={"recurse": True, "include": "{sub/*,app.yaml}"},
        ),
        application(
            "multi",
            namespace="web",
            sources=[
                {"repoURL": REPO, "path": "plain", "targetRevision": "main"},
                {"repoURL": REPO, "path": "apps/a", "targetRevision": "main"},
                {"repoURL": REPO, "targetRevision": "main", "ref": "values"},
            ],
        ),
    )
    pytester.makepyfile(test_contracts=CONTRACTS)
    result = pytester.runpytest(
        "--overlays-argocd=argocd", "--overlays-checks=render,namespace", "-v"
    )
    result.assert_outcomes(passed=4 * 2 + 4)
    result.stdout.fnmatch_lines(
        [
            "Argo CD: 3 not rendered or evaluated here:",
            "  argocd: deep (argocd/apps.yaml): plain/gen.jsonnet (Jsonnet: not evaluated here)"
            "; what it deploys into namespace web is presumed present",
            "  argocd: flat (argocd/apps.yaml): plain/gen.jsonnet (Jsonnet: not evaluated here)"
            "; what it deploys into namespace web is presumed present",
            "  argocd: multi (argocd/apps.yaml): plain/gen.jsonnet (Jsonnet: not evaluated here)"
            "; what it deploys into namespace web is presumed present",
        ]
    )


def test_a_resource_repeated_once_namespaced_is_reported(pytester: pytest.Pytester) -> None:
    # One file leaves the namespace out, the other writes the destination namespace:
    # after Argo CD's namespace defaulting both are ConfigMap/web/settings.
    write(pytester.path, "plain/a.yaml", config_map("settings"))
    write(pytester.path, "plain/b.yaml", config_map("settings", "web"))
    write_manifests(
        pytester.path, "argocd/app.yaml", application("repeated", "plain", namespace="web")
    )
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=unique-names")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "repeated: 2 findings [[]*]",
            "  source: plain (plain directory)",
            "  ConfigMap/web/settings apiVersion: v1, but the same object is also rendered as v1 "
            "in plain/b.yaml; expected one manifest per object [duplicate-in-overlay] "
            "(from plain/a.yaml)",
        ]
    )


def test_without_a_destination_namespace_the_namespace_check_reports_it(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, "plain/a.yaml", config_map("settings"))
    write_manifests(pytester.path, "argocd/app.yaml", application("nowhere", "plain"))
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=namespace")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  ConfigMap/settings metadata.namespace: no namespace; expected a namespace *"]
    )


def test_external_sources_are_listed_never_dropped(pytester: pytest.Pytester) -> None:
    make_plain(pytester.path)
    write(pytester.path, "charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("local", "apps/a", namespace="a"),
        application(
            "cert-manager",
            namespace="cert-manager",
            repo="https://charts.jetstack.io",
            chart="cert-manager",
            targetRevision="v1.14.0",
        ),
        application(
            "other-repo", "deploy", namespace="x", repo="https://github.com/acme/other.git"
        ),
        application("oci", "web", namespace="x", repo="oci://ghcr.io/acme/charts"),
        application("chart-path", "charts/web", namespace="x"),
    )
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "Argo CD: 4 not rendered or evaluated here:",
            "  argocd: cert-manager (argocd/apps.yaml): Helm chart cert-manager v1.14.0 from "
            "https://charts.jetstack.io (external); what it deploys into namespace cert-manager "
            "is presumed present",
            "  argocd: chart-path (argocd/apps.yaml): charts/web (helm: needs helm template, no "
            "helm binary here); what it deploys into namespace x is presumed present",
            "  argocd: oci (argocd/apps.yaml): oci://ghcr.io/acme/charts main path web "
            "(external OCI); what it deploys into namespace x is presumed present",
            "  argocd: other-repo (argocd/apps.yaml): https://github.com/acme/other.git path "
            "deploy (external repository); what it deploys into namespace x is presumed present",
        ]
    )


def test_build_options_of_argocd_cm_lift_the_load_restrictor_only_when_the_user_passes_them(
    pytester: pytest.Pytester,
) -> None:
    # An overlay reading a file outside its directory needs LoadRestrictionsNone.
    write(pytester.path, "shared/settings.env", "A=b\n")
    write(
        pytester.path,
        "apps/a/kustomization.yaml",
        "configMapGenerator:\n  - name: a\n    envs: [../../shared/settings.env]\n",
    )
    app = application("a", "apps/a", namespace="a")
    write_manifests(pytester.path, "argocd/app.yaml", app)
    refused = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(
        ["a: kustomize build failed: *security; file * is not in or below *"]
    )
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": "argocd"},
        "data": {"kustomize.buildOptions": "--load-restrictor LoadRestrictionsNone"},
    }
    write_manifests(pytester.path, "argocd/app.yaml", app, config)
    # A committed argocd-cm is a file any pull request changes: its options that lift the
    # load restrictor are not used, and the header says so and how to opt in.
    committed = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render")
    committed.assert_outcomes(failed=1)
    committed.stdout.fnmatch_lines(
        [
            "k8s-overlays: Argo CD argocd: kustomize.buildOptions of argocd/app.yaml not used: "
            "--load-restrictor LoadRestrictionsNone (*--overlays-argocd-build-options)",
        ]
    )
    mine = "--overlays-argocd-build-options=--load-restrictor LoadRestrictionsNone"
    pytester.runpytest(
        "--overlays-argocd=argocd", "--overlays-checks=render", mine
    ).assert_outcomes(passed=1)


def _laughs(field: str, indent: str = "") -> str:
    """Nine levels of nine aliases under ``field``: 387 million entries once expanded."""
    lines = [f"{indent}{field}:", f"{indent}- &l0 [" + ", ".join(["x"] * 9) + "]"]
    lines += [f"{indent}- &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_in_argo_cd_manifests_is_refused_not_expanded(
    pytester: pytest.Pytester,
) -> None:
    # In the instance's own manifests: a usage error naming the file.
    write(pytester.path, "laughs/app.yaml", "kind: Application\n" + _laughs("spec"))
    refused = pytester.runpytest_subprocess("--overlays-argocd=laughs", timeout=120)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*laughs/app.yaml*excessive aliasing*"])
    # In an .argocd-source file of an Application's path: that Application fails.
    make_plain(pytester.path)
    write(pytester.path, "apps/a/.argocd-source.yaml", _laughs("kustomize"))
    write_manifests(pytester.path, "argocd/app.yaml", application("a", "apps/a", namespace="a"))
    failed = pytester.runpytest_subprocess(
        "--overlays-argocd=argocd", "--overlays-checks=render", timeout=120
    )
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*.argocd-source.yaml*excessive aliasing*"])


#: Spellings of REPO that Argo CD's SameURL takes for another URL: Argo CD still
#: fetches this repository through each of them.
OTHER_SPELLINGS = [
    "git@github.com:acme/platform.git",
    "ssh://git@github.com/acme/platform.git",
    "https://github.com/acme/platform/",
    "https://github.com:443/acme/platform.git",
    "http://github.com/acme/platform.git",
    "https://www.github.com/acme/platform.git",
    "https://github.com/acme/platform.git#main",
    "https://github.com//acme/platform.git",
]
#: Spellings of REPO that Argo CD's SameURL takes for it.
SAME_SPELLINGS = [" HTTPS://GitHub.com/Acme/Platform ", "https://github.com/acme/platform"]


def test_an_application_of_this_repository_is_gated_however_its_url_is_spelled(
    pytester: pytest.Pytester,
) -> None:
    subprocess.run(["git", "init", "-q", str(pytester.path)], check=True)
    subprocess.run(["git", "-C", str(pytester.path), "remote", "add", "origin", REPO], check=True)
    make_plain(pytester.path)
    spellings = ["", *SAME_SPELLINGS, *OTHER_SPELLINGS]
    apps = [
        application(f"app{i}", "apps/a", namespace="a", **({"repo": url} if url else {}))
        for i, url in enumerate(spellings)
    ]
    # A mirror of this repository on another host: its files would deploy ungated.
    mirror = "https://git.example.com/mirrors/platform.git"
    apps += [application("mirror", "apps/a", namespace="a", repo=mirror)]
    # Another repository whose path does not exist here, or is only "." : a note, as before.
    apps += [application("elsewhere", "deploy", namespace="x", repo="https://github.com/acme/x")]
    apps += [application("root", ".", namespace="x", repo="https://github.com/acme/x")]
    write_manifests(pytester.path, "argocd/apps.yaml", *apps)
    result = pytester.runpytest(
        "--overlays-argocd=argocd", "--overlays-checks=render,application", "-rA"
    )
    # Each other spelling used to be a note of the summary, and the run passed.
    result.assert_outcomes(passed=2 * len(spellings) + 1, failed=1)
    result.stdout.fnmatch_lines_random(
        [f"PASSED argocd/apps.yaml::app{i}::render" for i in range(len(spellings))]
    )
    result.stdout.fnmatch_lines(
        [
            "  Application/argocd/mirror spec.source.repoURL: "
            "https://git.example.com/mirrors/platform.git names another repository, so "
            "apps/a, which exists here, is not gated; expected this repository's URL: "
            "https://github.com/acme/platform.git (git remotes) [[]foreign-repo-url] (from "
            "argocd/apps.yaml)",
            "hint [[]foreign-repo-url]: if the repoURL names this repository*"
            "--overlays-argocd-repo (ini overlays_argocd_repo)*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  argocd: root (argocd/apps.yaml): https://github.com/acme/x path . "
            "(external repository); what it deploys into namespace x is presumed present"
        ]
    )
    result.stdout.no_fnmatch_line("*::root::*")
    result.stdout.no_fnmatch_line("*::elsewhere::*")


def test_applicationsets_alone_name_this_repository_by_their_git_generators(
    pytester: pytest.Pytester,
) -> None:
    # No git remote, no --overlays-argocd-repo, no Application: only the git generator
    # whose paths match here says which repository this is. It used to generate
    # nothing, with a note, and the run passed.
    make_plain(pytester.path)
    write(pytester.path, "apps/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    generator = {"git": {"repoURL": REPO, "revision": "main", "directories": [{"path": "apps/*"}]}}
    template = app_template("{{path.basename}}", "{{path}}", "{{path.basename}}")
    write_manifests(pytester.path, "argocd/set.yaml", application_set("set", [generator], template))
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render", "-rA")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"k8s-overlays: Argo CD argocd: 1 Application; this repository: {REPO} (the "
            "repoURL of the Applications whose paths exist here)",
            "PASSED argocd/set.yaml::a::render",
        ]
    )


def test_a_git_generator_of_another_repository_matching_here_fails_its_applicationset(
    pytester: pytest.Pytester,
) -> None:
    subprocess.run(["git", "init", "-q", str(pytester.path)], check=True)
    subprocess.run(["git", "-C", str(pytester.path), "remote", "add", "origin", REPO], check=True)
    make_plain(pytester.path)
    template = app_template("{{path.basename}}", "{{path}}", "a")

    def git(name: str, url: str, pattern: str = "apps/*") -> dict[str, Any]:
        generator = {
            "git": {"repoURL": url, "revision": "main", "directories": [{"path": pattern}]}
        }
        return application_set(name, [generator], template)

    write_manifests(
        pytester.path,
        "argocd/sets.yaml",
        # This repository, spelled otherwise: its Applications are generated and gated.
        git("ours", "git@github.com:acme/platform.git"),
        # A mirror on another host whose directories match here: Argo CD generates
        # Applications from it, the gate could not; it used to be a note, and pass.
        git("mirror", "https://git.example.com/mirrors/platform.git"),
        # Another repository whose patterns match nothing here: a note, as before.
        git("theirs", "https://github.com/acme/tenants.git", "tenants/*"),
    )
    result = pytester.runpytest(
        "--overlays-argocd=argocd", "--overlays-checks=render,application", "-rA"
    )
    # The mirror's set item: render passes (nothing to render), application fails.
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  ApplicationSet/argocd/mirror spec.generators: a git generator reads "
            "https://git.example.com/mirrors/platform.git, another repository, though its "
            "paths match here: it generates nothing gated; expected this repository's URL: "
            "https://github.com/acme/platform.git (git remotes) [[]foreign-repo-url] (from "
            "argocd/sets.yaml)",
        ]
    )
    result.stdout.fnmatch_lines_random(
        [
            "PASSED argocd/sets.yaml::a::render",
            "PASSED argocd/sets.yaml::a::application",
            "FAILED argocd/sets.yaml::mirror::application - mirror: [[]*] *",
        ]
    )
    result.stdout.no_fnmatch_line("*::theirs::*")
    result.stdout.fnmatch_lines(["*ApplicationSet theirs*a git generator reads another*"])


def test_an_application_of_another_repository_cannot_take_this_ones_place(
    pytester: pytest.Pytester,
) -> None:
    # No git remote: the repository is guessed from what exists here. A pull request adds
    # an Application of another repository whose path exists here, so that its URL is
    # guessed as this one: the ApplicationSet of the real URL then generated nothing,
    # with a note, and the run passed.
    make_plain(pytester.path)
    generator = {"git": {"repoURL": REPO, "revision": "main", "directories": [{"path": "apps/*"}]}}
    template = app_template("{{path.basename}}", "{{path}}", "a")
    intruder = application("intruder", "apps/a", namespace="a", repo="https://github.com/x/y.git")
    write_manifests(
        pytester.path, "argocd/set.yaml", application_set("set", [generator], template), intruder
    )
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=application")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*ApplicationSet/argocd/set spec.generators: a git generator reads*"]
    )
