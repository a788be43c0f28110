"""benchmarks/precision.py reads the gate's failure texts as the gate writes them."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.precision import (
    Report,
    _member_names,
    parse_failure,
    parse_junit,
    read_provenance,
    render_cause,
)


def report() -> Report:
    return Report("run", "repo", [], [], 1)


INGRESS = (
    "Ingress/web/web annotations: unknown field; expected a field of Ingress "
    "[unknown-field] (from prod/patch.yaml, patching base/ingress.yaml)"
)
PATCHED = {"file": "base/ingress.yaml", "patch": "prod/patch.yaml", "entry": None}


def test_finding_lines_are_counted_per_rule_with_their_provenance(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "prod: 3 findings in schema",
            f"  {INGRESS}",
            "  Service/web/web spec.type: x; expected y [enum]",
            "  Service/web/web spec.ports[0].name: x; expected y [enum] (from base/svc.yaml)",
            "hint [enum]: use one of the values listed (case matters)",
        ]
    )
    found = report()
    parse_failure("schema", "node", "prod/kustomization.yaml", text, found, set())
    # The gate's JSON report holds where each field comes from, as a value.
    records = [
        {"message": f"prod: {INGRESS}", "provenance": PATCHED},
        {"message": "prod: Service/web/web spec.type: x; expected y [enum]", "provenance": None},
    ]
    (tmp_path / "report.json").write_text(json.dumps({"findings": records}))
    read_provenance(tmp_path / "report.json", found)
    assert [(f.rule, f.overlay, f.provenance) for f in found.findings] == [
        ("unknown-field", "prod", PATCHED),
        ("enum", "prod", None),
        ("enum", "prod", None),  # not in the report: nothing read from the text
    ]
    assert found.findings[0].text == INGRESS


def test_render_failures_count_once_per_overlay_by_cause() -> None:
    found = report()
    seen: set[str] = set()
    component = (
        "components/debug: a Component no gated overlay uses, rendered through k8s/overlays/auth: "
        "kustomize build failed: invalid Kustomization"
    )
    network = "remote: kustomize build failed: dial tcp: lookup github.com: no such host"
    for check in ("render", "images"):
        parse_failure(check, "n", "components/debug/kustomization.yaml", component, found, seen)
        parse_failure(check, "n", "remote/kustomization.yaml", network, found, seen)
    assert [(r.overlay, r.cause) for r in found.render_failures] == [
        ("components/debug", "other"),
        ("remote", "network"),
    ]
    assert render_cause("must specify --enable-helm") == "plugin/helm"


def test_a_render_item_counts_by_its_cause_first_line() -> None:
    found = report()
    text = (
        "auth: failed to run 'git fetch': fatal: Could not resolve host: github.com\n"
        "  kustomize build failed: accumulating resources: ... Could not resolve host: github.com"
    )
    parse_failure("render", "n", "auth/kustomization.yaml", text, found, set())
    assert [(r.overlay, r.cause) for r in found.render_failures] == [("auth", "network")]


def test_composite_group_members_are_named_by_what_tells_them_apart() -> None:
    members = [
        Path("src/accounts/accounts-db/k8s/overlays/staging"),
        Path("src/accounts/accounts-db/k8s/overlays/init-db-staging"),
        Path("src/frontend/k8s/overlays/staging"),
    ]
    assert _member_names(members) == [
        "accounts-accounts-db-staging",
        "accounts-accounts-db-init-db-staging",
        "frontend-staging",
    ]


def test_a_finding_shown_under_another_item_counts_for_this_overlay_too() -> None:
    found = report()
    one = (
        "chat: [target-port-name] the same finding as auth (k8s/base/service.yaml:13), "
        "shown in full under auth [ports]"
    )
    parse_failure("ports", "n", "chat/kustomization.yaml", one, found, set())
    several = "\n".join(
        [
            "info: 2 findings shown in full under other items [shared-object]",
            "  [shared-object] the same finding as a (k8s/base/cm.yaml:1), shown in full under "
            "a [unique-names]",
            "  [shared-object] the same finding as a (k8s/base/svc.yaml:1), shown in full under "
            "a [unique-names]",
        ]
    )
    parse_failure("unique-names", "n", "info/kustomization.yaml", several, found, set())
    assert [(f.rule, f.overlay) for f in found.findings] == [
        ("target-port-name", "chat"),
        ("shared-object", "info"),
        ("shared-object", "info"),
    ]
    places = ["k8s/base/service.yaml:13", "k8s/base/cm.yaml:1", "k8s/base/svc.yaml:1"]
    assert [place in f.text for f, place in zip(found.findings, places, strict=True)] == [True] * 3
    assert found.unparsed_failures == []


def test_several_findings_at_one_place_count_each_and_a_shared_render_failure_its_cause(
    tmp_path: Path,
) -> None:
    found = report()
    several = "\n".join(
        [
            "eu: 4 findings shown in full under other items [cross-overlay-selector]",
            "  [cross-overlay-selector] 2 findings, the same as asia (base/app.yaml:7), shown "
            "in full under asia [isolation]",
            "  [cross-overlay-selector] 2 findings, the same as asia (base/service.yaml:5), "
            "shown in full under asia [isolation]",
        ]
    )
    parse_failure("isolation", "n", "eu/kustomization.yaml", several, found, set())
    assert [(f.rule, f.overlay) for f in found.findings] == [("cross-overlay-selector", "eu")] * 4
    # A base every overlay fails on: the others' items say so in one line, and count as
    # the failure they repeat (its cause class), once the items are all read.
    junit = tmp_path / "junit.xml"
    first = "auth: failed to run 'git fetch': fatal: Could not resolve host: github.com"
    same = (
        "chat: the same render failure as auth (k8s/base/kustomization.yaml:3), shown in full "
        "under auth [render]"
    )
    junit.write_text(
        "<testsuites><testsuite>"
        f'<testcase name="render" file="chat/kustomization.yaml"><failure>{same}</failure>'
        "</testcase>"
        f'<testcase name="render" file="auth/kustomization.yaml"><failure>{first}</failure>'
        "</testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    read = report()
    parse_junit(junit, read)
    assert sorted((r.overlay, r.cause) for r in read.render_failures) == [
        ("auth", "network"),
        ("chat", "network"),
    ]
