"""The rendered diff's pure engine: identity, normalisation, generated names, Secrets,
ignore rules, the plan line, the Markdown limit, new-only fingerprints."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_k8s_overlays.core.findings import Finding
from pytest_k8s_overlays.core.provenance import Provenance
from pytest_k8s_overlays.diff import baseline, output
from pytest_k8s_overlays.diff.engine import (
    ADDED,
    FAILED,
    MODIFIED,
    REMOVED,
    RENAMED,
    UNCHANGED,
    Side,
    compare,
    diff_resources,
)
from pytest_k8s_overlays.diff.ignore import RuleError, argocd_rules, parse_rule
from tests.builders import deployment, obj, service

HEADER = output.Header("1111111", "2222222+dirty", "merge base of main", "Kustomize v5.8.1")


def config_map(name: str, **data: str) -> dict[str, Any]:
    return {**obj("v1", "ConfigMap", name, "auth"), "data": data}


def secret(**data: str) -> dict[str, Any]:
    return {**obj("v1", "Secret", "db", "auth"), "stringData": data}


def using(config: str) -> dict[str, Any]:
    workload = deployment("api")
    container = workload["spec"]["template"]["spec"]["containers"][0]
    container["envFrom"] = [{"configMapRef": {"name": config}}]
    return workload


def test_an_api_version_bump_is_a_modification_of_one_object() -> None:
    before = {**obj("autoscaling/v2beta2", "HorizontalPodAutoscaler", "api", "auth")}
    after = {**obj("autoscaling/v2", "HorizontalPodAutoscaler", "api", "auth")}
    (change,) = diff_resources([before], [after])
    assert change.change == "~"
    assert change.ident.shown() == "HorizontalPodAutoscaler.autoscaling/auth/api"
    assert "-apiVersion: autoscaling/v2beta2" in change.lines
    assert "+apiVersion: autoscaling/v2" in change.lines


def test_key_order_is_not_a_change_and_list_order_is() -> None:
    before = {**obj("v1", "ConfigMap", "c"), "data": {"a": "1", "b": "2"}}
    after = {"data": {"b": "2", "a": "1"}, "metadata": {"name": "c"}, "kind": "ConfigMap"}
    after["apiVersion"] = "v1"
    assert diff_resources([before], [after]) == []
    ports = service("api", ports=[{"port": 80}, {"port": 81}])
    swapped = service("api", ports=[{"port": 81}, {"port": 80}])
    assert [c.change for c in diff_resources([ports], [swapped])] == ["~"]


def test_a_generated_name_change_reads_as_a_data_change_and_references_collapse() -> None:
    before = [config_map("api-config-2b2b2b2b2b", LOG="debug"), using("api-config-2b2b2b2b2b")]
    after = [config_map("api-config-4c4c4c4c4c", LOG="info"), using("api-config-4c4c4c4c4c")]
    changes = {c.ident.kind: c for c in diff_resources(before, after)}
    assert set(changes) == {"ConfigMap", "Deployment"}
    config = changes["ConfigMap"]
    assert config.change == "~"
    assert [line for line in config.lines if line[:1] in "+-"] == ["-  LOG: debug", "+  LOG: info"]
    assert config.notes == (
        "generated name api-config-2b2b2b2b2b -> api-config-4c4c4c4c4c (its content changed)",
    )
    reference = changes["Deployment"]
    assert reference.lines == ()
    assert reference.notes == (
        "references api-config-2b2b2b2b2b -> api-config-4c4c4c4c4c (a generated name)",
    )


def test_a_secret_is_compared_before_masking_and_never_shown() -> None:
    before = secret(password="hunter2", user="admin", old="gone-value")
    after = secret(password="s3cret-new", user="admin", token="fresh-token")
    comparison = compare({"u": Side((before,))}, {"u": Side((after,))})
    (unit,) = comparison.units
    (change,) = unit.changes
    assert change.secret is not None
    assert (change.secret.changed, change.secret.added, change.secret.removed) == (
        ("password",),
        ("token",),
        ("old",),
    )
    assert "+  password: <redacted, changed>" in change.lines
    assert "+  token: <redacted, added>" in change.lines
    assert "-  old: <redacted, removed>" in change.lines
    assert "   user: <redacted>" in change.lines
    every = [
        "\n".join(output.terminal_lines(comparison, HEADER)),
        output.markdown(comparison, HEADER),
        json.dumps(output.as_json(comparison, HEADER)),
    ]
    for text in every:
        for value in ("hunter2", "s3cret-new", "admin", "gone-value", "fresh-token"):
            assert value not in text
    assert output.plan(comparison).endswith("Secrets: 1 changed (redacted)")


def test_a_secret_whose_values_did_not_change_is_no_change() -> None:
    assert diff_resources([secret(password="x")], [secret(password="x")]) == []


def test_units_added_removed_modified_renamed_unchanged_failed() -> None:
    api = deployment("api")
    renamed = [deployment("web"), service("web"), config_map("web")]
    before = {
        "g/same": Side(None, None, "h1"),
        "g/mod": Side((api,), None, "h2"),
        "g/gone": Side((service("old"),), None, "h3"),
        "g/old-name": Side(tuple(renamed), None, "h4"),
        "g/broken": Side((api,), None, "h5"),
    }
    after = {
        "g/same": Side(None, None, "h1"),
        "g/mod": Side((deployment("api", namespace="other"), api), None, "h2b"),
        "g/new": Side((service("new"),), None, "h6"),
        "g/new-name": Side(tuple(renamed), None, "h7"),
        "g/broken": Side((), "g/broken: kustomize build failed: boom", "h5b"),
    }
    comparison = compare(before, after)
    statuses = {unit.key: unit.status for unit in comparison.units}
    assert statuses == {
        "g/broken": FAILED,
        "g/mod": MODIFIED,
        "g/new": ADDED,
        "g/gone": REMOVED,
        "g/new-name": RENAMED,
        "g/same": UNCHANGED,
    }
    assert output.plan(comparison) == (
        "Overlays: 1 modified, 1 added, 1 removed, 1 renamed, 1 failed, 1 unchanged"
        " - Resources: +2 ~0 -1"
    )
    lines = output.terminal_lines(comparison, HEADER)
    assert "g/new-name: renamed from g/old-name" in lines
    assert "g/broken: failed to render on the head side" in lines
    assert "  head: g/broken: kustomize build failed: boom" in lines


def test_a_failure_on_either_side_is_never_no_change() -> None:
    same = Side((service("a"),), None, "h")
    failed = Side((), "kustomize build failed", "h")
    for before, after in ((failed, same), (same, failed)):
        (unit,) = compare({"u": before}, {"u": after}).units
        assert unit.status == FAILED


def test_equal_input_hashes_are_unchanged_without_resources() -> None:
    (unit,) = compare({"u": Side(None, None, "h")}, {"u": Side(None, None, "h")}).units
    assert unit.status == UNCHANGED


def test_ignore_rules_hide_fields_and_resources_and_are_counted() -> None:
    rules = (parse_rule("Deployment/auth/*:/metadata/labels/build"), parse_rule("Service"))
    before = deployment("api", labels={"app": "api", "build": "1"})
    after = deployment("api", labels={"app": "api", "build": "2"})
    comparison = compare(
        {"u": Side((before, service("api")))},
        {"u": Side((after, service("api", ports=[{"port": 1}])), None, None, rules)},
    )
    (unit,) = comparison.units
    # Only the template's build label is left: the workload's was ignored.
    assert [c.ident.kind for c in unit.changes] == ["Deployment"]
    assert dict(comparison.ignored) == {
        "Deployment/auth/*:/metadata/labels/build": 1,
        "Service": 1,
    }
    footer = output.terminal_lines(comparison, HEADER)[-1]
    assert footer == (
        "Ignored: 2 changes by ignore rules (Deployment/auth/*:/metadata/labels/build: 1; "
        "Service: 1)"
    )


def test_line_rules_drop_changed_lines_and_count_them() -> None:
    rules = (parse_rule("line:^  BUILD_ID: "), parse_rule("ConfigMap/other:line:LOG"))
    before = [config_map("api", BUILD_ID="1", LOG="debug"), config_map("other", LOG="a")]
    after = [config_map("api", BUILD_ID="2", LOG="info"), config_map("other", LOG="b")]
    comparison = compare({"u": Side(tuple(before))}, {"u": Side(tuple(after), None, None, rules)})
    (unit,) = comparison.units
    changes = {c.ident.name: c for c in unit.changes}
    # api's LOG line is left: the LOG rule names the other ConfigMap only.
    assert [line for line in changes["api"].lines if line[:1] in "+-"] == [
        "-  LOG: debug",
        "+  LOG: info",
    ]
    assert "other" not in changes
    assert dict(comparison.ignored) == {"line:^  BUILD_ID: ": 1, "ConfigMap/other:line:LOG": 1}
    assert output.terminal_lines(comparison, HEADER)[-1] == (
        "Ignored: 2 changes by ignore rules (ConfigMap/other:line:LOG: 1; line:^  BUILD_ID: : 1)"
    )


def test_a_unit_whose_only_changes_a_line_rule_hid_is_unchanged_and_says_so() -> None:
    rules = (parse_rule("line:BUILD_ID"),)
    comparison = compare(
        {"u": Side((config_map("api", BUILD_ID="1"),))},
        {"u": Side((config_map("api", BUILD_ID="2"),), None, None, rules)},
    )
    assert [unit.status for unit in comparison.units] == [UNCHANGED]
    assert output.plan(comparison).startswith("Overlays: 1 unchanged")
    assert comparison.ignored == {"line:BUILD_ID": 1}


def test_line_rules_leave_added_resources_whole_and_never_see_secret_values() -> None:
    rules = (parse_rule("line:BUILD_ID"), parse_rule("line:s3cret"))
    (added,) = diff_resources([], [config_map("api", BUILD_ID="1")], rules)
    assert added.change == "+"
    assert "+  BUILD_ID: '1'" in added.lines
    # Matched against the masked text: a value in a rule hides nothing (and tells nothing).
    (change,) = diff_resources([secret(password="s3cret")], [secret(password="other")], rules)
    assert "+  password: <redacted, changed>" in change.lines


@pytest.mark.parametrize("text", ["", "a/b/c/d", "Kind:spec/x", "/x", "line:", "Pod:line:("])
def test_a_malformed_ignore_rule_is_refused(text: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(text)


def test_argocd_ignore_differences_become_rules_and_jq_is_listed_as_not_applied() -> None:
    rules, skipped = argocd_rules(
        "Application/argocd/api",
        [
            {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
            {"kind": "ConfigMap", "jqPathExpressions": [".data.x"]},
        ],
    )
    before = {**deployment("api"), "spec": {"replicas": 1}}
    after = {**deployment("api"), "spec": {"replicas": 5}}
    comparison = compare({"a": Side((before,))}, {"a": Side((after,), None, None, tuple(rules))})
    assert comparison.units[0].status == UNCHANGED
    assert sum(comparison.ignored.values()) == 1
    assert skipped == [
        "ignoreDifferences of Application/argocd/api (ConfigMap *): jqPathExpressions not "
        "applied (needs jq or a live cluster)"
    ]


def test_the_markdown_comment_stays_under_the_limit_and_names_every_omission() -> None:
    units = {}
    for index in range(40):
        big = {**obj("v1", "ConfigMap", f"c{index}", "a"), "data": {"x": "y" * 3000}}
        units[f"g/o{index:02}"] = (Side((), None, "b"), Side((big,), None, "a"))
    comparison = compare({k: v[0] for k, v in units.items()}, {k: v[1] for k, v in units.items()})
    text = output.markdown(comparison, HEADER, "out/diff.full.md", limit=20_000)
    assert len(text) <= 20_000
    assert text.startswith(output.MARKER)
    assert "**Overlays: 40 modified, 0 unchanged - Resources: +40 ~0 -0**" in text
    for index in range(40):
        # Every unit is in the table; each resource is whole or listed as left out.
        assert f"| `g/o{index:02}` | modified | +1 ~0 -0 |" in text
        whole = f"**+ ConfigMap/a/c{index}**" in text
        listed = f"- `g/o{index:02} ConfigMap/a/c{index}`" in text
        assert whole != listed
    assert "full diff: `out/diff.full.md`" in text
    assert "+  x: yyyyyyyy" in text  # not all left out


def test_fail_on() -> None:
    comparison = compare(
        {"u": Side((service("a"), deployment("api")))},
        {"u": Side((deployment("api", labels={"app": "x"}),))},
    )
    assert output.fails(comparison, ["removed"]) == ["u: Service/auth/a removed"]
    assert output.fails(comparison, ["Deployment"]) == ["u: Deployment.apps/auth/api ~"]
    assert output.fails(comparison, ["Secret"]) == []
    assert output.fails(comparison, ["any"]) == ["u: modified"]


def finding(found: str) -> Finding:
    source = Provenance("k8s/a.yaml")
    return Finding(
        "auth", "Deployment/auth/api", "spec.x", "images", "unpinned", found, "a tag", source
    )


def test_a_fingerprint_survives_line_moves_and_not_a_new_value() -> None:
    old = baseline.fingerprint(finding("ghcr.io/a:latest"))
    assert baseline.fingerprint(finding("ghcr.io/b:latest")) != old
    # A position in the text moves with unrelated edits; an address's port or a tag does not.
    moved = baseline.fingerprint(finding("set in k8s/a.yaml:12, line 4"))
    assert baseline.fingerprint(finding("set in k8s/a.yaml:40, line 9")) == moved
    assert baseline.fingerprint(finding("redis.db:6379")) != baseline.fingerprint(
        finding("redis.db:6380")
    )
    assert baseline.fingerprint(finding("ghcr.io/a:1")) != baseline.fingerprint(
        finding("ghcr.io/a:2")
    )
    new, existing = baseline.split(
        [finding("ghcr.io/a:latest"), finding("ghcr.io/b:latest")], {old}
    )
    assert [f.found for f in new] == ["ghcr.io/b:latest"]
    assert [f.found for f in existing] == ["ghcr.io/a:latest"]
    assert baseline.per_rule(existing) == [
        "images/unpinned: 1 existing finding (not new in this change)"
    ]
