"""Label selector matching: Service equality maps and LabelSelectors."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_k8s_overlays.core.selectors import (
    Selector,
    label_selector,
    selector_of,
    service_selector,
)

API = {"app": "api", "domain": "auth"}


def parsed(value: Any) -> Selector:
    selector = label_selector(value)
    assert selector is not None
    return selector


def test_a_service_selector_needs_every_pair() -> None:
    selector = service_selector({"selector": {"app": "api", "domain": "auth"}})
    assert selector is not None
    assert selector.matches(API)
    assert selector.matches({**API, "version": "2"})
    assert not selector.matches({"app": "api"})
    assert not selector.matches({"app": "api", "domain": "scan"})
    assert str(selector) == "app=api,domain=auth"


@pytest.mark.parametrize(
    "spec",
    [{}, {"selector": {}}, {"selector": None}, {"type": "ExternalName", "selector": {"a": "b"}}],
    ids=["missing", "empty", "null", "external-name"],
)
def test_a_service_without_a_selector_selects_nothing(spec: dict[str, Any]) -> None:
    assert service_selector(spec) is None


def test_yaml_scalars_compare_as_text() -> None:
    selector = service_selector({"selector": {"version": 1, "canary": True}})
    assert selector is not None
    assert selector.matches({"version": "1", "canary": "True"})


def test_match_labels_and_expressions_combine() -> None:
    selector = parsed(
        {
            "matchLabels": {"app": "api"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["web", "edge"]},
                {"key": "track", "operator": "NotIn", "values": ["canary"]},
                {"key": "domain", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    good = {"app": "api", "tier": "edge", "domain": "auth"}
    assert selector.matches(good)
    assert selector.matches({**good, "track": "stable"})
    assert not selector.matches({**good, "track": "canary"})
    assert not selector.matches({**good, "tier": "db"})
    assert not selector.matches({"app": "api", "tier": "web"})
    assert not selector.matches({**good, "legacy": "yes"})
    assert str(selector) == "app=api,domain,!legacy,tier in (edge,web),track notin (canary)"


@pytest.mark.parametrize(
    "value",
    [{}, {"matchLabels": {}}, {"matchLabels": None, "matchExpressions": []}],
    ids=["empty", "empty-labels", "nulls"],
)
def test_an_empty_label_selector_selects_every_pod(value: dict[str, Any]) -> None:
    selector = parsed(value)
    assert selector.selects_everything
    assert selector.matches({})
    assert str(selector) == "{} (every pod)"


def test_a_missing_label_selector_selects_nothing() -> None:
    assert label_selector(None) is None
    assert label_selector("app=api") is None


def test_an_unknown_operator_selects_nothing() -> None:
    selector = parsed({"matchExpressions": [{"key": "app", "operator": "Equals"}]})
    assert not selector.matches({"app": "api"})
    assert not selector.selects_everything


def test_in_with_no_values_selects_nothing() -> None:
    selector = parsed({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]})
    assert not selector.matches({"app": "api"})


def test_where_each_kind_keeps_its_selector() -> None:
    service = selector_of("Service", {"spec": {"selector": {"app": "api"}}})
    pdb = selector_of("PodDisruptionBudget", {"spec": {"selector": {"matchLabels": API}}})
    policy = selector_of("NetworkPolicy", {"spec": {"podSelector": {}}})
    assert service is not None
    assert service.path == "spec.selector"
    assert pdb is not None
    assert pdb.path == "spec.selector"
    assert pdb.selector.matches(API)
    assert policy is not None
    assert policy.path == "spec.podSelector"
    assert policy.selector.selects_everything
    assert selector_of("PodDisruptionBudget", {"spec": {}}) is None
    assert selector_of("Deployment", {"spec": {"selector": {"matchLabels": API}}}) is None
    assert selector_of("Service", {"spec": "broken"}) is None


@pytest.mark.parametrize(
    "value",
    [
        {"matchLabels": ["app", "api"]},
        {"matchLabels": {"app": {"name": "api"}}},
        {"matchLabels": {"app": ["api"]}},
        {"matchExpressions": {"key": "tier", "operator": "In"}},
        {"matchExpressions": ["tier in (web)"]},
        {"matchExpressions": [{"key": "tier", "operator": {"In": ["web"]}}]},
        {"matchExpressions": [{"key": {"name": "tier"}, "operator": "Exists"}]},
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": "web"}]},
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": [{"v": "web"}]}]},
        {"matchExpressions": [{"operator": "Exists"}]},
    ],
    ids=[
        "labels-list",
        "label-value-map",
        "label-value-list",
        "expressions-map",
        "expression-string",
        "operator-map",
        "key-map",
        "values-string",
        "value-map",
        "no-key",
    ],
)
def test_a_malformed_label_selector_selects_nothing(value: dict[str, Any]) -> None:
    # The API server rejects these; reading them as "every pod" would report
    # (or excuse) pods such a selector never reaches.
    assert label_selector(value) is None


@pytest.mark.parametrize(
    "selector",
    [["app", "api"], {"app": {"name": "api"}}, {"app": ["api", "web"]}, "app=api"],
    ids=["list", "value-map", "value-list", "string"],
)
def test_a_malformed_service_selector_selects_nothing(selector: Any) -> None:
    assert service_selector({"selector": selector}) is None
