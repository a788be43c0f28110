"""ApplicationSet generators and both template syntaxes, end to end with real renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import REPO, app_template, application, application_set, write, write_manifests

SERVICES = ("a", "b", "c")
GIT_DIRECTORIES = {"repoURL": REPO, "revision": "main", "directories": [{"path": "apps/*"}]}


def make_services(root: Path) -> None:
    """apps/a, apps/b, apps/c: one ConfigMap each; config/*.yaml for a git files generator."""
    for name in SERVICES:
        write(
            root,
            f"apps/{name}/kustomization.yaml",
            f"configMapGenerator:\n  - name: {name}\n    literals: [SERVICE={name}]\n",
        )
    write(root, "config/a.yaml", "service: a\nreplicas: 2\n")
    write(root, "config/c.yaml", "service: c\nreplicas: 1000000\n")
    write(root, "config/skip.yaml", "service: b\n")


def generated_sets() -> list[dict[str, object]]:
    fast = app_template("{{name}}", "apps/{{path}}", "{{path}}")
    return [
        application_set(
            "lists",
            [
                {
                    "list": {
                        "elements": [{"name": "list-a", "path": "a"}],
                        "elementsYaml": "- {name: list-c, path: c}",
                    }
                }
            ],
            fast,
        ),
        application_set(
            "directories",
            [
                {
                    "git": {
                        **GIT_DIRECTORIES,
                        "directories": [{"path": "apps/*"}, {"path": "apps/b", "exclude": True}],
                    }
                }
            ],
            app_template("dir-{{path.basename}}", "{{path}}", "{{path.basename}}"),
        ),
        application_set(
            "files",
            [
                {
                    "git": {
                        "repoURL": REPO,
                        "revision": "main",
                        "files": [
                            {"path": "config/*.yaml"},
                            {"path": "config/skip.yaml", "exclude": True},
                        ],
                    }
                }
            ],
            app_template("file-{{service}}-{{replicas}}", "apps/{{service}}", "{{service}}"),
        ),
        application_set(
            "matrix",
            [
                {
                    "matrix": {
                        "generators": [
                            {"list": {"elements": [{"env": "dev"}]}},
                            {"git": GIT_DIRECTORIES},
                        ]
                    }
                }
            ],
            app_template("{{env}}-{{path.basename}}", "{{path}}", "{{env}}"),
        ),
        application_set(
            "merge",
            [
                {
                    "merge": {
                        "mergeKeys": ["path"],
                        "generators": [
                            {
                                "list": {
                                    "elements": [
                                        {"path": "a", "tier": "one"},
                                        {"path": "b", "tier": "one"},
                                    ]
                                }
                            },
                            {
                                "list": {
                                    "elements": [
                                        {"path": "b", "tier": "two"},
                                        {"path": "c", "tier": "two"},
                                    ]
                                }
                            },
                        ],
                    }
                }
            ],
            app_template("merge-{{path}}-{{tier}}", "apps/{{path}}", "{{path}}"),
        ),
        application_set(
            "selected",
            [
                {
                    "list": {
                        "elements": [{"path": "a", "keep": "yes"}, {"path": "b", "keep": "no"}]
                    },
                    "selector": {"matchLabels": {"keep": "yes"}},
                }
            ],
            app_template("selected-{{path}}", "apps/{{path}}", "{{path}}"),
        ),
        application_set(
            "go",
            [{"git": GIT_DIRECTORIES}],
            app_template(
                "{{ .path.basename | upper | lower }}-"
                '{{ printf "%s-%d" "go" (len .path.segments) }}',
                "{{ .path.path }}",
                "{{ index .path.segments 1 }}-{{ .path.basename }}",
            ),
            goTemplate=True,
            goTemplateOptions=["missingkey=error"],
            templatePatch='{{- if eq .path.basename "a" }}\nspec:\n  source:\n'
            "    kustomize:\n      namePrefix: patched-\n{{- end }}\n",
        ),
        application_set(
            "clusters",
            [{"clusters": {}}],
            {
                "metadata": {"name": "{{name}}-cluster"},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": REPO, "path": "apps/a", "targetRevision": "main"},
                    "destination": {"server": "{{server}}", "namespace": "a"},
                },
            },
        ),
    ]


NAMES = {
    "lists": ["list-a", "list-c"],
    "directories": ["dir-a", "dir-c"],
    "files": ["file-a-2", "file-c-1e+06"],
    "matrix": ["dev-a", "dev-b", "dev-c"],
    "merge": ["merge-a-one", "merge-b-two"],
    "selected": ["selected-a"],
    "go": ["a-go-2", "b-go-2", "c-go-2"],
    "clusters": ["dev-cluster", "in-cluster-cluster"],
}

CONTRACTS = """
def test_the_template_patch_applies_to_a_only(overlays):
    # ConfigMap names end with Kustomize's content hash.
    assert [r.name.rsplit("-", 1)[0] for r in overlays["a-go-2"]] == ["patched-a"]
    assert [r.name.rsplit("-", 1)[0] for r in overlays["b-go-2"]] == ["b"]
    assert overlays["c-go-2"].resources[0].namespace == "c-c"
"""


def test_every_offline_generator_and_both_template_syntaxes(pytester: pytest.Pytester) -> None:
    make_services(pytester.path)
    write_manifests(pytester.path, "argocd/sets.yaml", *generated_sets())
    pytester.makepyfile(test_contracts=CONTRACTS)
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-argocd-clusters=dev=https://dev.example.com/",
        "--overlays-checks=render,application",
        "-v",
    )
    count = sum(len(names) for names in NAMES.values())
    result.assert_outcomes(passed=2 * count + 1)
    result.stdout.fnmatch_lines(
        [
            f"k8s-overlays: {count} Applications in 2 groups; *",
            f"k8s-overlays: Argo CD argocd: {count} Applications; this repository: {REPO} "
            "(--overlays-argocd-repo)",
        ]
    )
    for names in NAMES.values():
        for name in names:
            result.stdout.fnmatch_lines([f"argocd/sets.yaml::{name}::render PASSED*"])


def test_generators_not_evaluable_offline_are_listed(pytester: pytest.Pytester) -> None:
    make_services(pytester.path)
    write_manifests(
        pytester.path,
        "argocd/sets.yaml",
        application("standalone", "apps/a", namespace="a"),
        application_set("clusters", [{"clusters": {}}], app_template("{{name}}", "apps/a", "a")),
        application_set(
            "previews",
            [{"pullRequest": {"github": {"owner": "acme", "repo": "platform"}}}],
            app_template("pr-{{number}}", "apps/a", "a"),
        ),
        application_set(
            "elsewhere",
            # Another repository whose patterns match nothing here (one matching here
            # fails its set: test_argocd_sources.py).
            [
                {
                    "git": {
                        **GIT_DIRECTORIES,
                        "repoURL": "https://github.com/acme/other.git",
                        "directories": [{"path": "services/*"}],
                    }
                }
            ],
            app_template("{{path.basename}}", "{{path}}", "a"),
        ),
    )
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "Argo CD: 3 not rendered or evaluated here:",
            "  argocd: ApplicationSet clusters (argocd/sets.yaml): a clusters generator reads "
            "Argo CD's cluster Secrets (declare stand-ins with --overlays-argocd-clusters), not "
            "evaluated",
            "  argocd: ApplicationSet elsewhere (argocd/sets.yaml): a git generator reads another "
            "repository (https://github.com/acme/other.git), not evaluated",
            "  argocd: ApplicationSet previews (argocd/sets.yaml): a pullRequest generator needs a "
            "live cluster or an external API, not evaluated",
        ]
    )
