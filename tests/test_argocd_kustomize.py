"""Argo CD's spec.source.kustomize overrides, rendered with real Kustomize, against the
kustomization `kustomize edit` would write, written by hand and rendered the same way.

There is no `kustomize` binary here to run `kustomize edit` (and `kubectl kustomize`
has none): each case pairs an Application with a directory ``by-hand/<case>`` holding
the kustomization file as `kustomize edit` would leave it, and a test inside the run
asserts both renders are the same objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .builders import application, write, write_manifests

DIGEST = "sha256:" + "ab" * 32

BASE = {
    "base/kustomization.yaml": """
        resources:
          - deployment.yaml
          - service.yaml
    """,
    "base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          labels: {app: api}
        spec:
          replicas: 1
          selector:
            matchLabels: {app: api}
          template:
            metadata:
              labels: {app: api}
            spec:
              containers:
                - name: api
                  image: nginx:1.0
    """,
    "base/service.yaml": """
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          selector: {app: api}
          ports:
            - port: 80
    """,
    "components/debug/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        resources:
          - settings.yaml
    """,
    "components/debug/settings.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: debug-settings
        data:
          LOG_LEVEL: debug
    """,
}

#: The service's kustomization, as the repository has it.
SERVICE = """
resources:
  - ../../base
commonLabels:
  team: platform
images:
  - name: nginx
    newName: docker.io/library/nginx
    newTag: "1.0"
patches:
  - target: {kind: Deployment}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 2
"""

PATCH = "- op: add\n  path: /metadata/annotations\n  value: {patched: 'yes'}"

#: case: (the Application's kustomize block, what `kustomize edit` adds or changes).
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "unchanged": ({}, ""),
    "name-prefix": ({"namePrefix": "dev-"}, "namePrefix: dev-\n"),
    "name-suffix": ({"nameSuffix": "-v2"}, "nameSuffix: -v2\n"),
    "images": (
        {"images": ["nginx=ghcr.io/acme/nginx:1.25", "busybox:1.36"]},
        "images:\n- name: busybox\n  newTag: '1.36'\n"
        "- name: nginx\n  newName: ghcr.io/acme/nginx\n  newTag: '1.25'\n",
    ),
    "images-digest": (
        {"images": [f"nginx@{DIGEST}"]},
        f"images:\n- name: nginx\n  digest: {DIGEST}\n",
    ),
    "images-keep-name": (
        {"images": ["nginx=*:1.2"]},
        "images:\n- name: nginx\n  newName: docker.io/library/nginx\n  newTag: '1.2'\n",
    ),
    "images-envsubst": (
        {"images": ["nginx=ghcr.io/acme/nginx:${ARGOCD_APP_NAME}"]},
        "images:\n- name: nginx\n  newName: ghcr.io/acme/nginx\n  newTag: images-envsubst\n",
    ),
    "replicas": (
        {"replicas": [{"name": "api", "count": "3"}]},
        "replicas:\n- name: api\n  count: 3\n",
    ),
    "common-labels": (
        {"commonLabels": {"tier": "web"}},
        "commonLabels:\n  team: platform\n  tier: web\n",
    ),
    "force-common-labels": (
        {"commonLabels": {"team": "payments"}, "forceCommonLabels": True},
        "commonLabels:\n  team: payments\n",
    ),
    "label-without-selector": (
        {"commonLabels": {"tier": "web"}, "labelWithoutSelector": True},
        "labels:\n- pairs:\n    tier: web\n",
    ),
    "label-include-templates": (
        {
            "commonLabels": {"tier": "web"},
            "labelWithoutSelector": True,
            "labelIncludeTemplates": True,
        },
        "labels:\n- pairs:\n    tier: web\n  includeTemplates: true\n",
    ),
    "common-annotations": (
        {"commonAnnotations": {"owner": "$ARGOCD_APP_NAME"}},
        "commonAnnotations:\n  owner: $ARGOCD_APP_NAME\n",
    ),
    "annotations-envsubst": (
        {"commonAnnotations": {"owner": "$ARGOCD_APP_NAME"}, "commonAnnotationsEnvsubst": True},
        "commonAnnotations:\n  owner: annotations-envsubst\n",
    ),
    "namespace": ({"namespace": "staging"}, "namespace: staging\n"),
    "patches": (
        {"patches": [{"target": {"kind": "Deployment"}, "patch": PATCH}]},
        "patches:\n- target: {kind: Deployment}\n  patch: |-\n    - op: replace\n"
        "      path: /spec/replicas\n      value: 2\n"
        "- target: {kind: Deployment}\n  patch: |-\n    - op: add\n"
        "      path: /metadata/annotations\n      value: {patched: 'yes'}\n",
    ),
    "components": (
        {"components": ["../../components/debug"]},
        "components:\n- ../../components/debug\n",
    ),
    "ignore-missing-components": (
        {
            "components": ["../../components/debug", "../../components/gone"],
            "ignoreMissingComponents": True,
        },
        "components:\n- ../../components/debug\n",
    ),
}

#: The service's kustomization with a field replaced (or added) as `kustomize edit` does.
REPLACED = ("images:", "commonLabels:", "patches:")


def by_hand(change: str) -> str:
    """The service's kustomization after `kustomize edit`: the changed field replaces the
    service's own one of the same name, other fields are added."""
    field = change.split(":", 1)[0] + ":" if change else ""
    kept = SERVICE
    if field in REPLACED:
        start = kept.index(field)
        following = [kept.index(f, start + 1) for f in REPLACED if f in kept[start + 1 :]]
        kept = kept[:start] + (kept[min(following) :] if following else "")
    return kept + change


COMPARE = """
import pytest

CASES = {cases!r}


@pytest.mark.parametrize("case", CASES)
def test_same_as_kustomize_edit_by_hand(case, overlays, render_overlay):
    app = overlays[case]
    hand = render_overlay(f"by-hand/{{case}}")
    assert [r.raw for r in app.resources] == [r.raw for r in hand.resources]
"""


def make_tree(root: Path) -> None:
    for name, text in BASE.items():
        write(root, name, text)
    write(root, "apps/svc/kustomization.yaml", SERVICE)


def test_each_override_renders_as_kustomize_edit_by_hand(pytester: pytest.Pytester) -> None:
    make_tree(pytester.path)
    apps = []
    for case, (overrides, change) in CASES.items():
        source: dict[str, Any] = {"kustomize": overrides} if overrides else {}
        apps.append(application(case, "apps/svc", **source))
        write(pytester.path, f"by-hand/{case}/kustomization.yaml", by_hand(change))
    write_manifests(pytester.path, "argocd/apps.yaml", *apps)
    pytester.makepyfile(test_compare=COMPARE.format(cases=list(CASES)))
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render", "-v")
    result.assert_outcomes(passed=2 * len(CASES))
    for case in CASES:
        result.stdout.fnmatch_lines(
            [f"test_compare.py::test_same_as_kustomize_edit_by_hand[[]{case}] PASSED*"]
        )


def test_argocd_source_files_merge_generic_then_per_application(
    pytester: pytest.Pytester,
) -> None:
    make_tree(pytester.path)
    write(pytester.path, "apps/sourced/kustomization.yaml", SERVICE)
    write(
        pytester.path,
        "apps/sourced/.argocd-source.yaml",
        """
        kustomize:
          namePrefix: generic-
          images: [nginx=ghcr.io/acme/nginx:2.0]
        """,
    )
    write(
        pytester.path,
        "apps/sourced/.argocd-source-specific.yaml",
        "kustomize:\n  namePrefix: specific-\n",
    )
    images = "images:\n- name: nginx\n  newName: ghcr.io/acme/nginx\n  newTag: '2.0'\n"
    write(
        pytester.path,
        "by-hand/generic/kustomization.yaml",
        by_hand(images) + "namePrefix: generic-\n",
    )
    write(
        pytester.path,
        "by-hand/specific/kustomization.yaml",
        by_hand(images) + "namePrefix: specific-\n",
    )
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        # One path, two Applications: each merges the files meant for it, two renders.
        application("generic", "apps/sourced", kustomize={"namePrefix": "app-"}),
        application("specific", "apps/sourced"),
    )
    pytester.makepyfile(test_compare=COMPARE.format(cases=["generic", "specific"]))
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render", "-v")
    result.assert_outcomes(passed=4)
    # Two Applications and the two directories by hand.
    result.stdout.fnmatch_lines(["4 rendered, 0 from the cache"])
    # An edit to a merged file is a new render of both Applications (the key covers
    # the source directory and the merged result), not of the directories by hand.
    write(
        pytester.path, "apps/sourced/.argocd-source-specific.yaml", "kustomize:\n  namePrefix: x-\n"
    )
    again = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render", "-v")
    again.assert_outcomes(passed=3, failed=1)
    again.stdout.fnmatch_lines(["2 rendered, 2 from the cache"])


#: case: (the Application's kustomize block, the render failure).
REFUSED = {
    "image-without-tag": (
        {"images": ["nginx"]},
        "image-without-tag: Argo CD would render nothing: apps/svc: `kustomize edit set image` "
        "failed: invalid format of image, use one of the following options: *",
    ),
    "label-already-there": (
        {"commonLabels": {"team": "payments"}},
        "label-already-there: Argo CD would render nothing: apps/svc: `kustomize edit add "
        "label` failed: label team already in kustomization file. Use --force to override.",
    ),
    "templates-without-selector": (
        {"commonLabels": {"tier": "web"}, "labelIncludeTemplates": True},
        "templates-without-selector: Argo CD would render nothing: apps/svc: `kustomize edit "
        "add label` failed: --without-selector flag must be specified for --include-templates "
        "to work",
    ),
    "replicas-not-a-number": (
        {"replicas": [{"name": "api", "count": "three"}]},
        "replicas-not-a-number: Argo CD would render nothing: apps/svc: `kustomize edit set "
        "replicas` failed: expected integer value for count. Received: three",
    ),
    "missing-component": (
        {"components": ["../../components/gone"]},
        "missing-component: Argo CD would render nothing: apps/svc: `kustomize edit add "
        "component` failed: ../../components/gone has no match",
    ),
}


def test_overrides_kustomize_edit_refuses_fail_the_render(pytester: pytest.Pytester) -> None:
    make_tree(pytester.path)
    apps = [application(case, "apps/svc", kustomize=o) for case, (o, _) in REFUSED.items()]
    write_manifests(pytester.path, "argocd/apps.yaml", *apps)
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render")
    result.assert_outcomes(failed=len(REFUSED))
    for _, message in REFUSED.values():
        result.stdout.fnmatch_lines([message])


def test_an_override_of_the_wrong_shape_is_an_application_finding(
    pytester: pytest.Pytester,
) -> None:
    # The mistake: kustomize.images written as kustomization images: entries (maps);
    # Argo CD types them as strings, so the API server refuses the Application.
    make_tree(pytester.path)
    write(pytester.path, "apps/plain/kustomization.yaml", "resources: [../../base]\n")
    wrong = {
        "images": [{"name": "nginx", "newTag": "1.2"}],
        "commonLabels": {"team": ["platform"]},
    }
    write_manifests(
        pytester.path,
        "argocd/apps.yaml",
        application("wrong", "apps/plain", namespace="web", kustomize=wrong),
        application("right", "apps/plain", namespace="web", kustomize={"images": ["nginx:1.2"]}),
    )
    result = pytester.runpytest(
        "--overlays-argocd=argocd", "--overlays-checks=render,images,application"
    )
    # The render item fails; its application item skips (one cause, one failure).
    result.assert_outcomes(passed=3, failed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "wrong: Argo CD would render nothing: the API server refuses the Application: "
            "spec.source.kustomize.images[[]0], spec.source.kustomize.commonLabels.team are not "
            "of the type Argo CD's CRD gives",
            "wrong: 2 findings [[]*]",
            "  Application/argocd/wrong spec.source.kustomize.commonLabels.team: a list where "
            "Argo CD's Application takes a string, so the API server refuses the Application; "
            "expected a label value as a string (quote numbers) [[]invalid-application] "
            "(from argocd/apps.yaml)",
            "  Application/argocd/wrong spec.source.kustomize.images[[]0]: a map where Argo CD's "
            "Application takes a string, so the API server refuses the Application; expected an "
            "image override string: [[]<old_image_name>=]<image_name>[[]:<tag>][[]@<digest>] "
            "[[]invalid-application] (from argocd/apps.yaml)",
            "hint [[]invalid-application]: write the field as Argo CD's Application types it*",
        ]
    )
    result.stdout.no_fnmatch_line("*unused-images-entry*")
    result.stdout.no_fnmatch_line("*{'name'*")


def test_an_override_file_of_the_wrong_shape_fails_the_render(pytester: pytest.Pytester) -> None:
    # An Image Updater's .argocd-source file is decoded by the repo server into the
    # same types: a map where a string belongs fails that Application's manifests.
    make_tree(pytester.path)
    write(pytester.path, "apps/plain/kustomization.yaml", "resources: [../../base]\n")
    write(
        pytester.path,
        "apps/plain/.argocd-source.yaml",
        "kustomize:\n  images:\n    - {name: nginx, newTag: '1.2'}\n",
    )
    write_manifests(pytester.path, "argocd/apps.yaml", application("svc", "apps/plain"))
    result = pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=render,images")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "svc: Argo CD would render nothing: error while parsing source parameters "
            "(apps/plain/.argocd-source.yaml): kustomize.images[[]0]: a map where Argo CD's "
            "Application takes a string",
        ]
    )
    result.stdout.no_fnmatch_line("*{'name'*")
