"""The skip annotation: check ids and rule ids suppress; an unknown id is reported."""

from __future__ import annotations

import pytest

from .builders import deployment, finding_lines, make_overlay, write

IMAGE = "ghcr.io/acme/placeholder:latest"  # a placeholder, and unpinned: two rules of images


def annotated_overlay(pytester: pytest.Pytester, skip: str) -> None:
    write(pytester.path, "ov/a/kustomization.yaml", "resources: [deploy.yaml]\n")
    write(
        pytester.path,
        "ov/a/deploy.yaml",
        f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: web
          annotations: {{pytest-k8s-overlays/skip: "{skip}"}}
        spec:
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec:
              containers: [{{name: web, image: "{IMAGE}"}}]
        """,
    )


def test_an_unknown_id_is_reported_with_the_valid_ones(pytester: pytest.Pytester) -> None:
    annotated_overlay(pytester, "imagez")
    result = pytester.runpytest("--overlays=ov", "--overlays-checks=render,images")
    # It used to be ignored in silence: images failed, and nothing said why.
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "a: [[]unknown-skip-id] *",
            "  Deployment/web/web metadata.annotations.pytest-k8s-overlays/skip: imagez is not a "
            "check or rule id (did you mean images?); expected a check id (render, unique-names, "
            "isolation, images, namespace, ports, references, schema, application), one of their "
            "rule ids, or all "
            "[[]unknown-skip-id] (from ov/a/deploy.yaml)",
            "hint [[]unknown-skip-id]: write check ids (images) or rule ids (unpinned), "
            "comma-separated, or all, in the pytest-k8s-overlays/skip annotation; `pytest --help` "
            "lists every check and rule",
            "a: 2 findings [[]*]",
        ]
    )


def test_a_rule_id_skips_that_rule_only(pytester: pytest.Pytester) -> None:
    annotated_overlay(pytester, "unpinned")
    result = pytester.runpytest("--overlays=ov", "--overlays-checks=render,images")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "a: [[]placeholder] *",
            "  Deployment/web/web spec.template.spec.containers[[]0].image: * is a placeholder "
            "image; *[[]placeholder]*",
            "1 finding suppressed by the pytest-k8s-overlays/skip annotation:",
            "  a [[]images] Deployment/web/web * is tagged latest; *[[]unpinned]*",
        ]
    )


@pytest.mark.parametrize("skip", ["images", "all", "placeholder, unpinned"])
def test_check_ids_rule_ids_and_all_suppress(pytester: pytest.Pytester, skip: str) -> None:
    annotated_overlay(pytester, skip)
    result = pytester.runpytest("--overlays=ov", "--overlays-checks=render,images")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["2 findings suppressed by the pytest-k8s-overlays/skip annotation:"]
    )


def test_an_unknown_id_on_a_pod_template_names_its_path() -> None:
    workload = deployment("api")
    workload["spec"]["template"]["metadata"]["annotations"] = {
        "pytest-k8s-overlays/skip": "ports,isolaton"
    }
    assert finding_lines("render", make_overlay("auth", workload)) == [
        "auth: Deployment/auth/api spec.template.metadata.annotations.pytest-k8s-overlays/skip: "
        "isolaton is not a check or rule id (did you mean isolation?); expected a check id "
        "(render, unique-names, isolation, images, namespace, ports, references, schema, "
        "application), one of their rule ids, or all [unknown-skip-id]"
    ]
