# mypy: disable-error-code="import-untyped"
"""Custom resources: the schemas of CustomResourceDefinitions compiled to validators.

CRDs themselves are read by :mod:`pytest_k8s_overlays.parse.crds`.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0, close to JSON Schema draft 4
(boolean ``exclusiveMaximum``), plus Kubernetes extensions the conversion
below honours: ``nullable``, ``x-kubernetes-preserve-unknown-fields``,
``x-kubernetes-int-or-string`` and ``x-kubernetes-embedded-resource``.
Strictness mirrors the API server's pruning: an object that declares
``properties`` and does not preserve unknown fields accepts no other field.
A ``pattern`` is Go RE2 syntax, matched with RE2 as the API server does (in
time linear in the value: ``^(a+)+$`` cannot hang the check); one RE2 refuses
is left unchecked, so it never makes a whole CRD unusable. A malformed CRD
(``versions: 1``) is no schema source; the built-in schema reports it on the
CRD itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from ...core.regex import BadRegex, compile_re2
from ...parse.crds import Crd, CrdFileError, CrdVersion
from .builtin import DEFINITION, object_meta_schema

#: OpenAPI keywords whose value is kept as is (validation keywords of draft 4).
_KEEP = frozenset(
    {
        "type",
        "enum",
        "required",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "multipleOf",
    }
)
_STRING = {"type": "string"}


def _convert(node: Any, strict: bool, where: str) -> dict[str, Any]:
    """Turn the OpenAPI schema node at ``where`` (``Widget.spec.ports[]``) into draft 4."""
    if not isinstance(node, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key, value in node.items():
        _convert_keyword(out, key, value, strict, where)
    _apply_extensions(node, out, strict, where)
    return out


def _convert_keyword(out: dict[str, Any], key: Any, value: Any, strict: bool, where: str) -> None:
    """Convert one keyword of a schema node into ``out``; unknown keywords are dropped."""
    if key == "properties" and isinstance(value, Mapping):
        out[key] = {name: _convert(sub, strict, f"{where}.{name}") for name, sub in value.items()}
    elif key in ("additionalProperties", "not"):
        out[key] = _convert(value, strict, f"{where}.*") if isinstance(value, Mapping) else value
    elif key == "items":
        if isinstance(value, list):
            out[key] = [_convert(sub, strict, f"{where}[]") for sub in value]
        else:
            out[key] = _convert(value, strict, f"{where}[]")
    elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
        out[key] = [_convert(sub, strict, where) for sub in value]
    elif key == "pattern" and isinstance(value, str):
        # A pattern RE2 refuses goes unchecked rather than failing every object.
        if _re2_accepts(value):
            out[key] = value
    elif key in _KEEP:
        out[key] = value


def _apply_extensions(
    node: Mapping[str, Any], out: dict[str, Any], strict: bool, where: str
) -> None:
    """Apply the Kubernetes extensions (int-or-string, embedded resources, pruning, nullable)."""
    if node.get("x-kubernetes-int-or-string") is True:
        out["type"] = ["integer", "string"]
    if node.get("x-kubernetes-embedded-resource") is True and "properties" in out:
        # The embedded object is a resource: its apiVersion, kind and metadata are implied.
        out["properties"] = {
            "apiVersion": _STRING,
            "kind": _STRING,
            "metadata": {"type": "object"},
            **out["properties"],
        }
    if "properties" in out:
        out[DEFINITION] = where
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if strict and not preserve and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None]


def to_json_schema(
    openapi: Mapping[str, Any], kind: str, k8s_version: str, strict: bool
) -> dict[str, Any]:
    """The draft 4 schema of a custom resource: the CRD's schema plus apiVersion/kind/metadata."""
    schema = _convert(openapi, strict, kind)
    properties = schema.setdefault("properties", {})
    # The API server validates metadata itself, whatever the CRD declares for it.
    properties["apiVersion"] = _STRING
    properties["kind"] = _STRING
    properties["metadata"] = object_meta_schema(k8s_version, strict)
    return schema


def _re2_accepts(pattern: str) -> bool:
    try:
        compile_re2(pattern)
    except BadRegex:
        return False
    return True


def _re2_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """The ``pattern`` keyword with RE2 (Go's and the API server's), not Python's ``re``."""
    if validator.is_type(instance, "string") and compile_re2(pattern).search(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 4, with RE2 patterns.
_CrdValidator: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft4Validator, {"pattern": _re2_pattern}
)


@lru_cache(maxsize=256)
def _compiled(openapi_json: str, kind: str, k8s_version: str, strict: bool) -> Validator | str:
    schema = to_json_schema(json.loads(openapi_json), kind, k8s_version, strict)
    try:
        # Patterns are RE2, already compiled above: not checked as Python's.
        _CrdValidator.check_schema(schema, format_checker=None)
    except jsonschema.SchemaError as error:
        return f"its openAPIV3Schema is not a valid schema: {error.message}"
    validator: Validator = _CrdValidator(schema)
    return validator


def crd_validator(
    crd: Crd, version: CrdVersion, k8s_version: str, strict: bool
) -> Validator | str | None:
    """The compiled validator of one CRD version; why not, if its schema is broken; None if none."""
    try:
        schema_json = version.schema_json
    except CrdFileError as error:
        return str(error)
    if schema_json is None:
        return None
    return _compiled(schema_json, crd.kind, k8s_version, strict and not crd.preserve_unknown_fields)
