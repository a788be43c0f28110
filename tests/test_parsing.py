"""Parsing renders: multi-document YAML, the `=` trap, origin annotations."""

from __future__ import annotations

import pytest

from pytest_k8s_overlays.parsing import ParseError, load_documents, parse_origin, pop_origin


def test_a_bare_equals_sign_parses_as_a_string() -> None:
    text = "kind: AlertmanagerConfig\nspec:\n  matchers:\n  - matchType: =\n"
    assert load_documents(text) == [
        {"kind": "AlertmanagerConfig", "spec": {"matchers": [{"matchType": "="}]}}
    ]


def test_empty_documents_are_skipped() -> None:
    assert load_documents("---\nkind: A\n---\n---\nkind: B\n") == [{"kind": "A"}, {"kind": "B"}]


def test_a_document_that_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(ParseError, match="rendered document 2 is a list, not a mapping"):
        load_documents("kind: A\n---\n- 1\n")


def test_invalid_yaml_is_an_error() -> None:
    with pytest.raises(ParseError, match="rendered output is not valid YAML"):
        load_documents("a: [\n")


def test_origin_is_removed_with_an_empty_annotations_map() -> None:
    doc = {
        "metadata": {"name": "x", "annotations": {"config.kubernetes.io/origin": "path: a.yaml\n"}}
    }
    assert parse_origin(pop_origin(doc)) == {"path": "a.yaml"}
    assert doc == {"metadata": {"name": "x"}}


def test_other_annotations_stay() -> None:
    doc = {"metadata": {"annotations": {"config.kubernetes.io/origin": "path: a\n", "k": "v"}}}
    pop_origin(doc)
    assert doc == {"metadata": {"annotations": {"k": "v"}}}


def test_a_parse_error_does_not_quote_the_document() -> None:
    with pytest.raises(ParseError) as error:
        load_documents("kind: Secret\nstringData: {token: hunter2-canary\n")
    assert "hunter2" not in str(error.value)
    assert str(error.value).startswith("rendered output is not valid YAML: ")
    assert " at line " in str(error.value)
