"""The schema check end to end: real renders of the example tree through pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import add_patch, add_resources, write
from .conftest import SERVICES

TYPO_PATCH = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          imagePullPolcy: Always
"""

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ratelimits.acme.example
spec:
  group: acme.example
  scope: Namespaced
  names: {kind: RateLimit, plural: ratelimits, singular: ratelimit, listKind: RateLimitList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [requestsPerSecond]
              properties:
                requestsPerSecond: {type: integer, minimum: 1}
"""

RATE_LIMIT = """
apiVersion: acme.example/v1
kind: RateLimit
metadata:
  name: api
spec:
  requestsPerSecond: "100"
"""


def test_the_example_repository_passes(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=schema", "-v")
    result.assert_outcomes(passed=7)
    for name in SERVICES:
        result.stdout.fnmatch_lines([f"k8s/overlays/{name}/kustomization.yaml::schema PASSED*"])


def test_a_typo_fails_only_its_overlay_unless_not_strict(
    pytester: pytest.Pytester, example: Path
) -> None:
    add_patch(example, "scan", "pull-policy.yaml", TYPO_PATCH)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=schema")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "scan: [[]unknown-field] *",
            "  Deployment/scan/scan-api spec.template.spec.containers[[]0].imagePullPolcy: "
            "unknown field; expected a field of Container (did you mean imagePullPolicy?) "
            "[[]unknown-field]*",
            "hint [[]unknown-field]: fix the field name's spelling or indentation*",
            "FAILED k8s/overlays/scan/kustomization.yaml::schema - scan: [[]*] *",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")

    relaxed = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "--overlays-no-strict"
    )
    relaxed.assert_outcomes(passed=7)


def test_a_custom_resource_is_validated_against_the_crd_in_its_render(
    pytester: pytest.Pytester, example: Path
) -> None:
    add_resources(example, "my", {"crd.yaml": CRD, "ratelimit.yaml": RATE_LIMIT})
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "-k", "my or auth"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "my: [[]crd-schema] *",
            '  RateLimit/my/my-api spec.requestsPerSecond: "100" (a string); expected an '
            "integer per CRD ratelimits.acme.example in the render [[]crd-schema]*",
            "hint [[]crd-schema]: fix the custom resource, or the CRD's openAPIV3Schema*",
        ]
    )


def test_crds_given_as_a_path_validate_instances(pytester: pytest.Pytester, example: Path) -> None:
    write(example, "crds/ratelimit.yaml", CRD)
    add_resources(example, "chat", {"ratelimit.yaml": RATE_LIMIT.replace('"100"', "100")})
    add_resources(example, "info", {"ratelimit.yaml": RATE_LIMIT.replace('"100"', "0")})
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=schema",
        "--overlays-crds",
        "crds",
        "-k",
        "chat or info",
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "info: [[]crd-schema] *",
            "  RateLimit/info/info-api spec.requestsPerSecond: 0 (an integer); expected at "
            "least 1 per CRD ratelimits.acme.example in crds/ratelimit.yaml [[]crd-schema]*",
        ]
    )


def test_an_export_line_in_a_generator_env_file_is_an_invalid_key(
    pytester: pytest.Pytester, example: Path
) -> None:
    write(example, "k8s/overlays/my/db.env", "export DB_HOST=db.my\nDB_PORT=5432\n")
    kfile = example / "k8s/overlays/my/kustomization.yaml"
    generators = "secretGenerator:\n  - name: db\n    envs: [db.env]\n"
    kfile.write_text(kfile.read_text() + generators)
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "-k", "my or auth"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "my: [[]data-key] *",
            '  Secret/my/my-db-* data[[]"export DB_HOST"]: an invalid key (" " is not allowed); '
            "expected a key of letters, digits, '-', '_' or '.' (at most 253 characters, "
            'not "." or ".." or starting with "..") [[]data-key] '
            "(from k8s/overlays/my/kustomization.yaml)",
            "hint [[]data-key]: rename the key*no `export`*",
        ]
    )
    # The value is never shown, plain or encoded.
    result.stdout.no_fnmatch_line("*db.my*")
    result.stdout.no_fnmatch_line("*ZGIubXk=*")
