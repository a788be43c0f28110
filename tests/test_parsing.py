"""Parsing renders: multi-document YAML, the `=` trap, origin and transformer annotations."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays.parse.documents import (
    ParseError,
    load_documents,
    parse_origin,
    parse_render,
    pop_origin,
)


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


RENDER = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  annotations:
    alpha.config.kubernetes.io/transformations: |
      - configuredIn: ../prod/kustomization.yaml
        configuredBy:
          apiVersion: builtin
          kind: PatchTransformer
      - configuredIn: ../prod/kustomization.yaml
        configuredBy:
          apiVersion: builtin
          kind: NamespaceTransformer
    config.kubernetes.io/origin: |
      path: ../base/ingress.yaml
    team: web
  name: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  annotations:
    alpha.config.kubernetes.io/transformations: |
      - configuredIn: ../prod/kustomization.yaml
        configuredBy:
          apiVersion: builtin
          kind: NamespaceTransformer
    config.kubernetes.io/origin: |
      path: ../base/cm.yaml
  name: settings
"""


def test_transformer_annotations_become_the_kustomizations_that_patched(tmp_path: Path) -> None:
    wrapper = tmp_path / "wrapper"
    [(ingress, source, origin), (config, _, config_origin)] = parse_render(RENDER, wrapper)
    assert ingress["metadata"] == {"annotations": {"team": "web"}, "name": "web"}
    assert source == str(tmp_path / "base/ingress.yaml")
    assert origin == {
        "path": str(tmp_path / "base/ingress.yaml"),
        "patchedIn": [str(tmp_path / "prod/kustomization.yaml")],
    }
    # Namespaced, labelled, prefixed: transformed, but patched by nothing.
    assert config["metadata"] == {"name": "settings"}
    assert config_origin == {"path": str(tmp_path / "base/cm.yaml")}
