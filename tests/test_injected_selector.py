"""The injected-selector rule: selector keys Kustomize added to a Service of operator-made pods."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays.parse.documents import parse_render, to_resources

from .builders import write

#: A Redis failover the operator (spotahome) runs, and the Service the team wrote in
#: front of its master: the operator labels its pods app.kubernetes.io/name: <failover>
#: and redisfailovers-role, nothing else.
REDIS = """
apiVersion: databases.spotahome.com/v1
kind: RedisFailover
metadata:
  name: cache
spec:
  redis: {replicas: 3}
  sentinel: {replicas: 3}
---
apiVersion: v1
kind: Service
metadata:
  name: cache-master
spec:
  selector:
    app.kubernetes.io/name: cache
    redisfailovers-role: master
  ports:
    - {name: redis, port: 6379, targetPort: 6379}
"""


def _redis_overlay(pytester: pytest.Pytester, labels: str) -> None:
    write(pytester.path, "redis/base/kustomization.yaml", "resources: [redis.yaml]\n")
    write(pytester.path, "redis/base/redis.yaml", REDIS)
    write(
        pytester.path,
        "redis/prod/kustomization.yaml",
        f"resources: [../base]\nnamespace: data\n{labels}",
    )


def test_common_labels_in_the_selector_of_an_operators_pods_fail(
    pytester: pytest.Pytester,
) -> None:
    # The realistic mistake: the prod overlay labels everything with commonLabels, which
    # Kustomize also writes into every selector; the operator's pods never get them.
    _redis_overlay(pytester, "commonLabels:\n  env: prod\n  team: data\n")
    result = pytester.runpytest("--overlays=redis/*", "--overlays-checks=ports")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "prod: [[]injected-selector] Service/data/cache-master selector: env=prod, team=data "
            "added by Kustomize *",
            "  Service/data/cache-master spec.selector: env=prod, team=data added by Kustomize "
            "(commonLabels of redis/prod/kustomization.yaml); the pods the operator of "
            "RedisFailover/data/cache makes never carry them, so the Service selects no pod; "
            "expected a selector of the labels the operator gives its pods, without env, team "
            "[[]injected-selector] (from redis/base/redis.yaml)",
            "hint [[]injected-selector]: *",
        ]
    )


def test_labels_with_include_selectors_in_the_selector_of_an_operators_pods_fail(
    pytester: pytest.Pytester,
) -> None:
    _redis_overlay(
        pytester,
        "labels:\n  - pairs: {env: prod}\n    includeSelectors: true\n  - pairs: {team: data}\n",
    )
    result = pytester.runpytest("--overlays=redis/*", "--overlays-checks=ports")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  Service/data/cache-master spec.selector: env=prod added by Kustomize (labels with "
            "includeSelectors of redis/prod/kustomization.yaml); *[[]injected-selector]*",
        ]
    )


def test_labels_kept_out_of_selectors_pass(pytester: pytest.Pytester) -> None:
    # The intended pattern: labels on every object, selectors left as the operator's.
    _redis_overlay(pytester, "labels:\n  - pairs: {env: prod, team: data}\n")
    result = pytester.runpytest("--overlays=redis/*", "--overlays-checks=ports")
    result.assert_outcomes(passed=1)


def test_common_labels_in_front_of_pods_the_render_holds_pass(pytester: pytest.Pytester) -> None:
    # commonLabels reach the Deployment's pod template too: the selector still matches.
    write(pytester.path, "api/base/kustomization.yaml", "resources: [api.yaml]\n")
    write(
        pytester.path,
        "api/base/api.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers: [{name: api, image: ghcr.io/acme/api:1.0}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api}
        spec:
          selector: {app: api}
          ports: [{port: 80}]
        """,
    )
    write(
        pytester.path,
        "api/prod/kustomization.yaml",
        "resources: [../base]\ncommonLabels: {env: prod}\n",
    )
    result = pytester.runpytest("--overlays=api/*", "--overlays-checks=ports")
    result.assert_outcomes(passed=1)


ANNOTATED = """
apiVersion: v1
kind: Service
metadata:
  name: cache-master
  annotations:
    alpha.config.kubernetes.io/transformations: |
      - configuredIn: ../prod/kustomization.yaml
        configuredBy:
          apiVersion: builtin
          kind: LabelTransformer
      - configuredIn: ../prod/kustomization.yaml
        configuredBy:
          apiVersion: builtin
          kind: PatchTransformer
spec:
  selector: {app: cache}
"""


def test_the_transformer_annotations_say_which_kustomizations_labelled_a_resource(
    tmp_path: Path,
) -> None:
    wrapper = tmp_path / "wrapper"
    (resource,) = to_resources(parse_render(ANNOTATED, wrapper), tmp_path)
    assert resource.labelled_in == (str(tmp_path / "prod/kustomization.yaml"),)
    assert resource.patched_in == (str(tmp_path / "prod/kustomization.yaml"),)
    assert "annotations" not in resource.metadata
