"""No output ever carries a value of a Secret's data or stringData."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from pytest_k8s_overlays import Resource

from .builders import write

CANARY = "hunter2-canary-7f3a"
ENCODED = base64.b64encode(CANARY.encode()).decode()


@pytest.fixture
def secret_tree(pytester: pytest.Pytester) -> Path:
    """Two overlays that both render the same Secret, with no namespace: findings galore."""
    secret = f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
          annotations:
            note: fine to print
        data:
          password: {ENCODED}
          pasted: {CANARY}
        stringData:
          token: {CANARY}
        """
    for name in ("auth", "scan"):
        write(pytester.path, f"k8s/{name}/kustomization.yaml", "resources: [secret.yaml]\n")
        write(pytester.path, f"k8s/{name}/secret.yaml", secret)
    pytester.makepyfile(
        test_user="""
        def test_secret_is_gone(overlay):
            secret = overlay.get("Secret", "db")
            assert secret is None
        """
    )
    return pytester.path


def test_no_output_mode_prints_a_secret_value(pytester: pytest.Pytester, secret_tree: Path) -> None:
    junit = secret_tree / "junit.xml"
    reports = (
        "--overlays-report=r.json",
        "--overlays-sarif=r.sarif",
        "--overlays-annotations=github",
    )
    result = pytester.runpytest(
        "--overlays", "k8s", "-vv", "--tb=long", f"--junitxml={junit}", "-rA", *reports
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 4, outcomes  # unique-names, namespace x2 and the user test
    result.stdout.fnmatch_lines(["*Secret/db*", "::error file=k8s/*/secret.yaml,line=*[[]base64]*"])
    reported = (secret_tree / "r.json").read_text() + (secret_tree / "r.sarif").read_text()
    assert "data.pasted" in reported
    text = result.stdout.str() + result.stderr.str() + junit.read_text() + reported
    assert CANARY not in text
    assert ENCODED not in text


def test_the_repr_of_a_secret_redacts_its_values() -> None:
    secret = Resource({"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": ENCODED}})
    assert ENCODED not in repr(secret)
    assert "'password': '<redacted>'" in repr(secret)


def test_a_render_failure_does_not_print_a_secret_value(pytester: pytest.Pytester) -> None:
    # A replacement into a scalar makes Kustomize dump the target node: a Secret value.
    write(
        pytester.path,
        "k8s/d/kustomization.yaml",
        """
        namespace: d
        resources: [secrets.yaml]
        replacements:
          - source: {kind: Secret, name: s, fieldPath: stringData.token}
            targets:
              - select: {kind: Secret, name: s2}
                fieldPaths: [stringData.password.sub]
        """,
    )
    write(
        pytester.path,
        "k8s/d/secrets.yaml",
        f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: s}}
        stringData: {{token: abc}}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {{name: s2}}
        stringData: {{password: {CANARY}}}
        """,
    )
    result = pytester.runpytest(
        "--overlays",
        "k8s",
        "--overlays-checks=render",
        "-vv",
        "--overlays-annotations=github",
        "--overlays-report=r.json",
        "--overlays-sarif=r.sarif",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["d: kustomize build failed: *node contents: <hidden*"])
    reported = (pytester.path / "r.json").read_text() + (pytester.path / "r.sarif").read_text()
    assert "node contents: <hidden" in reported
    assert CANARY not in result.stdout.str() + result.stderr.str() + reported


def test_a_last_applied_copy_of_a_secret_is_redacted_too() -> None:
    applied = f'{{"kind":"Secret","stringData":{{"password":"{CANARY}"}}}}'
    secret = Resource(
        {
            "kind": "Secret",
            "metadata": {
                "name": "db",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": applied,
                    "team": "auth",
                },
            },
            "stringData": {"password": CANARY},
        }
    )
    assert CANARY not in repr(secret)
    assert "'team': 'auth'" in repr(secret)


#: Each way Kustomize's own error text quotes a Secret source: the overlay's
#: files, its canary, and the redacted message (first line) the gate prints.
LEAKING_FAILURES = {
    "inline-patch": (
        {
            "kustomization.yaml": """
                resources: [secret.yaml]
                patches:
                - patch: |-
                    apiVersion: v1
                    kind: Secret
                    metadata: {name: s}
                    stringData: {password: CANARYINLINE
                """,
            "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
        },
        "CANARYINLINE",
        # The cause leads (unable to parse ...); the chain follows on the next line.
        "  kustomize build failed: trouble configuring builtin PatchTransformer "
        "with config: <hidden: may hold Secret values; see k8s/inline-patch/kustomization.yaml:3>"
        ": unable to parse SM or JSON patch from <hidden>",
    ),
    "env-file": (
        {
            "kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [secret.env]\n",
            "secret.env": "USER=u\nPASSWORD=CANARYENV<FF>\n",
        },
        "CANARYENV",
        "env-file: kustomize build failed: loading KV pairs: env source files: [[]secret.env]: "
        "line <hidden; see k8s/env-file/secret.env:2> has invalid utf8 bytes",
    ),
    "literal": (
        {
            "kustomization.yaml": "secretGenerator:\n- name: s\n"
            '  literals: ["password=CANARYGOOD", "=CANARYLIT"]\n',
        },
        "CANARY",
        "literal: kustomize build failed: loading KV pairs: literal sources <hidden: may hold "
        "Secret values; see k8s/literal/kustomization.yaml:3>: invalid literal source <hidden>, "
        "expected key=value",
    ),
    "helm-values": (
        {
            "kustomization.yaml": "helmCharts:\n- name: c\n  valuesInline:\n"
            "    password: CANARYHELM\n",
            "charts/c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        },
        "CANARYHELM",
        "  kustomize build failed: trouble configuring builtin "
        "HelmChartInflationGenerator with config: <hidden: may hold Secret values; see "
        "k8s/helm-values/kustomization.yaml:2>: must specify --enable-helm",
    ),
}


@pytest.mark.parametrize("case", sorted(LEAKING_FAILURES))
def test_render_failures_quote_no_secret_source(pytester: pytest.Pytester, case: str) -> None:
    files, canary, message = LEAKING_FAILURES[case]
    for name, text in files.items():
        path = write(pytester.path, f"k8s/{case}/{name}", text)
        # <FF>: the env file's one byte that is not UTF-8.
        path.write_bytes(path.read_bytes().replace(b"<FF>", b"\xff"))
    junit = pytester.path / "junit.xml"
    debug = pytester.path / "debug.log"
    result = pytester.runpytest(
        "--overlays=k8s", "--overlays-checks=render", f"--junitxml={junit}", f"--debug={debug}"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])
    outputs = {
        "terminal": result.stdout.str() + result.stderr.str(),
        "junit": junit.read_text(),
        "debug log": debug.read_text(errors="replace"),
    }
    assert {where: canary in text for where, text in outputs.items()} == dict.fromkeys(
        outputs, False
    )
    # The decimal bytes Kustomize prints for a line that is not UTF-8.
    assert "67 65 78 65 82 89" not in "".join(outputs.values())


def test_values_of_secret_sources_are_hidden_in_any_message_shape(tmp_path: Path) -> None:
    from pytest_k8s_overlays.render.redact import Redactor

    write(
        tmp_path,
        "o/kustomization.yaml",
        "resources: [secret.yaml]\nsecretGenerator:\n- name: g\n  literals: [token=CANARYTOKEN]\n"
        "  envs: [db.env]\n",
    )
    write(tmp_path, "o/db.env", "PASSWORD=CANARYDBPASS\n")
    write(
        tmp_path,
        "o/secret.yaml",
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{key: {ENCODED}}}\n",
    )
    redactor = Redactor(tmp_path / "o", tmp_path)
    # A message shape no rule foresees still loses every value it quotes.
    message = f"odd: CANARYTOKEN, CANARYDBPASS, {CANARY}, {ENCODED} and base64 of it"
    assert redactor(message) == "odd: <hidden>, <hidden>, <hidden>, <hidden> and base64 of it"
