"""The schema check's wiring into pytest: usage errors and the summary line."""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import write

ROUTE = """
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  parentRefs: [{name: public}]
"""


def test_an_unbundled_version_is_a_usage_error(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-k8s-version", "1.12")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --overlays-k8s-version 1.12: Kubernetes 1.12 is not bundled: "
            "supported versions are 1.* to 1.* (kubernetes-validate *)"
        ]
    )


def test_a_vendor_version_string_is_accepted(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=schema",
        "--overlays-k8s-version",
        "v1.31.4-eks-1234",
    )
    result.assert_outcomes(passed=7)


def test_a_missing_crd_path_is_a_usage_error(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-crds", "crds/nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --overlays-crds */crds/nope: no such file or directory*"])


def test_custom_kinds_without_a_schema_are_listed_not_failed(
    pytester: pytest.Pytester, example: Path
) -> None:
    write(example, "k8s/overlays/auth/route.yaml", ROUTE)
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(
        kfile.read_text().replace("  - ../../base\n", "  - ../../base\n  - route.yaml\n")
    )
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=schema")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "1 custom resource not validated, no schema for the kind (add the CRD with "
            "--overlays-crds PATH; --overlays-require-schemas fails them):",
            "  gateway.networking.k8s.io/v1 HTTPRoute: 1",
        ]
    )
    strict = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "--overlays-require-schemas"
    )
    strict.assert_outcomes(passed=6, failed=1)
    strict.stdout.fnmatch_lines(
        ["auth: 1 finding in schema", "  HTTPRoute/auth/auth-api*[[]no-schema]*"]
    )
    strict.stdout.no_fnmatch_line("*not validated, no schema for the kind*")
