"""The schema check's wiring into pytest: usage errors and the summary line."""

from __future__ import annotations

import json
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
            "1 custom resource not validated, no schema for the kind (add the CRD, or a "
            "CRDs-catalog directory of {group}/{kind}_{version}.json schemas, with "
            "--overlays-crds PATH; --overlays-require-schemas fails them):",
            "  gateway.networking.k8s.io/v1 HTTPRoute: 1",
        ]
    )
    strict = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "--overlays-require-schemas"
    )
    strict.assert_outcomes(passed=6, failed=1)
    strict.stdout.fnmatch_lines(["auth: [[]*] *", "  HTTPRoute/auth/auth-api*[[]no-schema]*"])
    strict.stdout.no_fnmatch_line("*not validated, no schema for the kind*")


#: A CRDs-catalog schema (``{group}/{kind}_{version}.json``), as kubeconform users
#: keep them: the CRD version's openAPIV3Schema as JSON, objects closed.
SERVICEMONITOR_V1 = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["endpoints", "selector"],
            "properties": {
                "endpoints": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "interval": {"type": "string", "pattern": "^(0|(([0-9]+)s)?)$"},
                        },
                    },
                },
                "selector": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
    },
}

MONITOR = """\
apiVersion: monitoring.coreos.com/{version}
kind: ServiceMonitor
metadata: {{name: api}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  endpoints:
    - {{{endpoint}, path: /metrics}}
"""


def add_monitor(example: Path, version: str = "v1", endpoint: str = "port: http") -> None:
    write(
        example,
        "k8s/overlays/auth/monitor.yaml",
        MONITOR.format(version=version, endpoint=endpoint),
    )
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    if "monitor.yaml" not in kfile.read_text():
        text = kfile.read_text().replace("  - ../../base\n", "  - ../../base\n  - monitor.yaml\n")
        kfile.write_text(text)


def catalog(example: Path) -> Path:
    schema = json.dumps(SERVICEMONITOR_V1, indent=2)
    write(example, "schemas/monitoring.coreos.com/servicemonitor_v1.json", schema)
    return example / "schemas"


def test_a_crds_catalog_directory_validates_custom_resources(
    pytester: pytest.Pytester, example: Path
) -> None:
    add_monitor(example)
    catalog(example)
    args = ("--overlays", "k8s/overlays", "--overlays-checks=schema", "--overlays-crds=schemas")
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "1 custom resource validated against a CRD schema:",
            "  monitoring.coreos.com/v1 ServiceMonitor: 1",
        ]
    )
    result.stdout.no_fnmatch_line("*not validated*")

    # A typo the catalog's closed objects catch, and a malformed interval.
    add_monitor(example, endpoint="prot: http, interval: 30 s")
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "auth: 2 findings [[]*]",
            '  ServiceMonitor/auth/auth-api spec.endpoints[0].interval: "30 s" (a string); '
            "expected a string matching ^(0|(([0-9]+)s)?)$ per the schema "
            "schemas/monitoring.coreos.com/servicemonitor_v1.json [crd-schema] "
            "(from k8s/overlays/auth/monitor.yaml)",
            "  ServiceMonitor/auth/auth-api spec.endpoints[0].prot: unknown field; expected a "
            "field of ServiceMonitor.spec.endpoints[] (did you mean port?) per the schema "
            "schemas/monitoring.coreos.com/servicemonitor_v1.json [crd-schema] "
            "(from k8s/overlays/auth/monitor.yaml)",
        ]
    )


def test_a_version_the_catalog_lacks_is_unvalidated_not_unserved(
    pytester: pytest.Pytester, example: Path
) -> None:
    add_monitor(example, version="v1alpha1")
    catalog(example)
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "--overlays-crds=schemas"
    )
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "1 custom resource not validated, no schema for the kind (add the CRD, or a "
            "CRDs-catalog directory of {group}/{kind}_{version}.json schemas, with "
            "--overlays-crds PATH; --overlays-require-schemas fails them):",
            "  monitoring.coreos.com/v1alpha1 ServiceMonitor: 1",
        ]
    )


def test_a_broken_catalog_schema_is_a_finding_naming_the_file(
    pytester: pytest.Pytester, example: Path
) -> None:
    add_monitor(example)
    catalog(example).joinpath("monitoring.coreos.com/servicemonitor_v1.json").write_text("{")
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=schema", "--overlays-crds=schemas"
    )
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  ServiceMonitor/auth/auth-api: the schema schemas/monitoring.coreos.com/"
            "servicemonitor_v1.json cannot validate it: not valid JSON: Expecting property "
            "name enclosed in double quotes at line 1; expected a valid CRD schema [crd-schema]"
            " (from k8s/overlays/auth/monitor.yaml)"
        ]
    )
