"""The application check: each rule failing on a realistic mistake, and passing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import (
    REPO,
    app_project,
    app_template,
    application,
    application_set,
    write,
    write_manifests,
)

PROJECTS = [
    app_project(
        "services",
        sourceRepos=[REPO],
        destinations=[{"server": "*", "namespace": "*"}],
        clusterResourceWhitelist=[],
        namespaceResourceBlacklist=[{"group": "", "kind": "ResourceQuota"}],
    ),
    app_project(
        "other-repos",
        sourceRepos=["https://github.com/acme/other.git", "!https://github.com/acme/platform"],
        destinations=[{"server": "*", "namespace": "*"}],
    ),
    app_project(
        "team-namespaces",
        sourceRepos=["*"],
        destinations=[{"server": "https://kubernetes.default.svc", "namespace": "team-*"}],
        clusterResourceWhitelist=[{"group": "", "kind": "Namespace"}],
    ),
]


def make_tree(root: Path) -> None:
    write(root, "apps/web/kustomization.yaml", "resources: [cm.yaml]\n")
    write(root, "apps/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    write(
        root, "apps/quota/quota.yaml", "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n"
    )
    write(root, "apps/ns/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n")


def manifests() -> list[dict[str, object]]:
    good = {"namespace": "web", "project": "services"}
    return [
        *PROJECTS,
        application("fine", "apps/web", **good),
        application("missing-path", "apps/gone", **good),
        application("outside", "../elsewhere", **good),
        application("ghost-project", "apps/web", namespace="web", project="ghost"),
        application("wrong-repo", "apps/web", namespace="web", project="other-repos"),
        application("wrong-namespace", "apps/web", namespace="web", project="team-namespaces"),
        application("team-namespace", "apps/ns", namespace="team-a", project="team-namespaces"),
        application("quota", "apps/quota", **good),
        application("namespace-object", "apps/ns", **good),
        application("prod", "apps/web", namespace="web", project="services", server="https://prod"),
        application_set(
            "twice",
            [{"list": {"elements": [{"name": "web"}, {"name": "web"}]}}],
            app_template("twice-{{name}}", "apps/web", "web", project="services"),
        ),
        application_set(
            "typo",
            [{"list": {"elements": [{"name": "web"}]}}],
            app_template("typo-{{name}}", "apps/{{nam}}", "web", project="services"),
        ),
        application_set(
            "go-typo",
            [{"list": {"elements": [{"name": "web"}]}}],
            app_template("go-{{ .name }}", "apps/{{ .nmae }}", "web", project="services"),
            goTemplate=True,
        ),
        application_set(
            "broken",
            [{"list": {"elements": [{"name": "web"}]}}],
            app_template("{{ .name | shout }}", "apps/web", "web", project="services"),
            goTemplate=True,
        ),
        application_set(
            "left",
            [{"list": {"elements": [{"name": "web"}]}}],
            app_template("shared-{{name}}", "apps/web", "web", project="services"),
        ),
        application_set(
            "right",
            [{"list": {"elements": [{"name": "web"}]}}],
            app_template("shared-{{name}}", "apps/web", "web", project="services"),
        ),
    ]


#: Application: the lines its failure shows.
FAILURES = {
    "missing-path": [
        "  Application/argocd/missing-path spec.source.path: apps/gone does not exist; expected "
        "a directory of this repository, relative to its root [source-path] "
        "(from argocd/apps.yaml)",
    ],
    "outside": [
        "  Application/argocd/outside spec.source.path: ../elsewhere is outside the repository; *",
    ],
    "ghost-project": [
        "  Application/argocd/ghost-project spec.project: project ghost does not exist in this "
        "instance; expected one of its AppProjects (other-repos, services, team-namespaces, or "
        "default) [unknown-project] (from argocd/apps.yaml)",
    ],
    "wrong-repo": [
        f"  Application/argocd/wrong-repo spec.source.repoURL: {REPO} is not permitted in "
        "project 'other-repos'; expected a repository the project's sourceRepos allow "
        "(https://github.com/acme/other.git, !https://github.com/acme/platform) [source-repo] "
        "(from argocd/apps.yaml)",
    ],
    "wrong-namespace": [
        "  Application/argocd/wrong-namespace spec.destination: server "
        "'https://kubernetes.default.svc' and namespace 'web' do not match any of the allowed "
        "destinations in project 'team-namespaces'; expected a destination the project allows "
        "(https://kubernetes.default.svc team-*) [destination] (from argocd/apps.yaml)",
        "  ConfigMap/web/web metadata.namespace: namespace web is not permitted in project "
        "team-namespaces; expected a namespace of the project's destinations (team-*) "
        "[destination] (from apps/web/cm.yaml)",
    ],
    "quota": [
        '  ResourceQuota/web/q kind: ""/ResourceQuota is not permitted in project services; '
        "expected a kind the project's namespaceResourceBlacklist/Whitelist allows "
        "(argocd/apps.yaml) [namespace-resource] (from apps/quota/quota.yaml)",
    ],
    "namespace-object": [
        '  Namespace/team-a kind: ""/Namespace is not permitted in project services; expected a '
        "kind the project's clusterResourceWhitelist allows (argocd/apps.yaml) "
        "[cluster-resource] (from apps/ns/ns.yaml)",
    ],
    "prod": [
        "  Application/argocd/prod spec.destination.server: https://prod is no cluster the "
        "instance declares; expected one of: dev (https://dev.example.com), in-cluster "
        "(https://kubernetes.default.svc) [unknown-cluster] (from argocd/apps.yaml)",
    ],
    "twice-web": [
        "  Application/argocd/twice-web metadata.name: ApplicationSet twice generates twice-web 2 "
        "times; expected a name unique among what it generates (Argo CD then creates none of "
        "them) [duplicate-generated-name] (from argocd/apps.yaml)",
    ],
    "typo-web": [
        "  Application/argocd/typo-web spec.source.path: {{nam}} left as written; expected a "
        "parameter the generators give (name) [unresolved-template] (from argocd/apps.yaml)",
    ],
    "go-web": [
        "  Application/argocd/go-web spec.source.path: <no value> for .nmae; expected a "
        "parameter the generators give (.name) [unresolved-template] (from argocd/apps.yaml)",
    ],
    "broken": [
        "  ApplicationSet/argocd/broken spec: failed to parse template {{ .name | shout }}: "
        'function "shout" not defined; expected generators and a template Argo CD can evaluate '
        "(it generates nothing meanwhile) [invalid-applicationset] (from argocd/apps.yaml)",
    ],
    "shared-web": [
        "  Application/argocd/shared-web metadata.name: Application argocd/shared-web is also "
        "defined by ApplicationSet *; expected one Application of that name in the namespace "
        "[[]duplicate-name] (from argocd/apps.yaml)",
    ],
}


def test_each_rule_fails_on_its_mistake_and_passes_otherwise(pytester: pytest.Pytester) -> None:
    make_tree(pytester.path)
    write_manifests(pytester.path, "argocd/apps.yaml", *manifests())
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        "--overlays-argocd-clusters=dev=https://dev.example.com",
        "--overlays-checks=application",
        "-v",
    )
    # twice-web twice, shared-web from both ApplicationSets.
    failed = len(FAILURES) + 2
    result.assert_outcomes(passed=2, failed=failed)
    for name in ("fine", "team-namespace"):
        result.stdout.fnmatch_lines([f"argocd/apps.yaml::{name}::application PASSED*"])
    for name, lines in FAILURES.items():
        result.stdout.fnmatch_lines([f"{name}: *", *lines])
    # The two twice-web are told apart: by node id (for --lf, -k, reports) and header.
    result.stdout.fnmatch_lines(
        [
            "argocd/apps.yaml::twice-web::application FAILED*",
            "argocd/apps.yaml::twice-web[[]2]::application FAILED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "_* twice-web (argocd/apps.yaml) [[]application] _*",
            "_* twice-web[[]2] (argocd/apps.yaml) [[]application] _*",
        ]
    )
