# mypy: disable-error-code="import-untyped"
"""Custom resources: the schemas of CustomResourceDefinitions compiled to validators.

CRDs themselves are read by :mod:`pytest_k8s_overlays.crds`.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0, close to JSON Schema draft 4
(boolean ``exclusiveMaximum``), plus Kubernetes extensions the conversion
below honours: ``nullable``, ``x-kubernetes-preserve-unknown-fields``,
``x-kubernetes-int-or-string`` and ``x-kubernetes-embedded-resource``.
Strictness mirrors the API server's pruning: an object that declares
``properties`` and does not preserve unknown fields accepts no other field.
A ``pattern`` is Go RE2 syntax: translated for Python where it maps cleanly
(``\\z``, ``[[:alpha:]]``), left unchecked where it cannot (``\\p{L}``), so one
such pattern never makes a whole CRD unusable. A malformed CRD (``versions: 1``)
is no schema source; the built-in schema reports it on the CRD itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from ...parse.crds import Crd, CrdFileError, CrdVersion
from .builtin import DEFINITION, SOURCE_PATTERN, object_meta_schema

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

#: RE2's ASCII classes (``[[:alpha:]]``), as Python set contents.
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
#: A group opening with flags: ``(?i)``, ``(?s:``, ``(?i-m)``.
_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_HEX = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")


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
        translated = python_pattern(value)
        # A pattern Python cannot express goes unchecked rather than failing every object.
        if translated is not None:
            out[key] = translated
            if translated != value:
                out[SOURCE_PATTERN] = value
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


class _Untranslatable(Exception):
    """A Go RE2 construct Python's ``re`` has no equivalent for."""


def _escape(pattern: str, index: int, in_class: bool) -> tuple[str, int]:
    """Translate the escape at ``index``; return it and where the pattern continues."""
    pair = pattern[index : index + 2]
    if pair[1:] in ("p", "P", "Q", "C") or (pair == "\\z" and in_class):
        raise _Untranslatable
    hex_escape = _HEX.match(pattern, index)
    if hex_escape:
        codepoint = int(hex_escape.group(1), 16)
        if codepoint > 0x10FFFF:
            raise _Untranslatable
        return f"\\U{codepoint:08x}", hex_escape.end()
    return ("\\Z" if pair == "\\z" else pair), index + 2


def _class_member(pattern: str, index: int, class_start: int) -> tuple[str, int, bool]:
    """Translate a character inside ``[...]``; return it, where to go on, still in the class."""
    char = pattern[index]
    if char == "]" and index > class_start:
        return char, index + 1, False
    if pattern.startswith("[:", index):
        end = pattern.find(":]", index + 2)
        name = pattern[index + 2 : end] if end >= 0 else ""
        if name not in _POSIX_CLASSES:
            raise _Untranslatable
        return _POSIX_CLASSES[name], end + 2, True
    if pattern.startswith("--", index):
        raise _Untranslatable  # Python may read it as a set difference
    # Literal in RE2; Python reads them as nested sets or set operations.
    return ("\\" + char if char in "[&~|" else char), index + 1, True


def _outside_class(pattern: str, index: int) -> tuple[str, int]:
    """Translate a named group, a flag group or a plain character outside ``[...]``."""
    if pattern.startswith("(?<", index) and pattern[index + 3 : index + 4].isalpha():
        return "(?P<", index + 3  # a named group as Go 1.22 spells it
    flags = _FLAGS.match(pattern, index)
    if flags:
        letters = flags.group(1) + (flags.group(2) or "")
        # RE2's U is ungreedy (Python's is Unicode); Python allows global flags first only.
        if "U" in letters or (flags.group(3) == ")" and index > 0):
            raise _Untranslatable
        return flags.group(0), flags.end()
    return pattern[index], index + 1


def _translate(pattern: str) -> str:
    out: list[str] = []
    index, in_class, class_start = 0, False, 0
    while index < len(pattern):
        if pattern[index] == "\\":
            text, index = _escape(pattern, index, in_class)
        elif in_class:
            text, index, in_class = _class_member(pattern, index, class_start)
        elif pattern[index] == "[":
            negated = pattern.startswith("^", index + 1)
            text = "[^" if negated else "["
            index += 2 if negated else 1
            in_class, class_start = True, index
        else:
            text, index = _outside_class(pattern, index)
        out.append(text)
    return "".join(out)


def python_pattern(pattern: str) -> str | None:
    """Translate a CRD ``pattern`` (Go RE2 syntax) for Python's ``re``; None if it cannot be.

    ``\\z`` becomes ``\\Z``, ``\\x{...}`` and ``[[:alpha:]]`` are spelt out, and
    characters Python reads as set operations inside ``[...]`` are escaped; Unicode
    classes (``\\p{L}``, ``\\P{C}``), ``\\Q...\\E`` and ungreedy ``(?U)`` have no
    Python equivalent.
    """
    try:
        translated = _translate(pattern)
        re.compile(translated)
    except (_Untranslatable, re.error, OverflowError, RecursionError):
        return None
    return translated


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


@lru_cache(maxsize=256)
def _compiled(openapi_json: str, kind: str, k8s_version: str, strict: bool) -> Validator | str:
    schema = to_json_schema(json.loads(openapi_json), kind, k8s_version, strict)
    try:
        jsonschema.Draft4Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        return f"its openAPIV3Schema is not a valid schema: {error.message}"
    return jsonschema.Draft4Validator(schema)


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
