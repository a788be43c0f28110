# mypy: disable-error-code="import-untyped"
"""Custom resources: CustomResourceDefinitions read from renders and files, compiled to validators.

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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from ...fields import as_dict, as_list
from ...model import Resource
from ...parsing import ParseError, load_documents
from .builtin import DEFINITION, SOURCE_PATTERN, object_meta_schema

CRD_KIND = "CustomResourceDefinition"
CRD_GROUP = "apiextensions.k8s.io"
#: Where a CRD came from when it is part of the overlay's own render.
IN_RENDER = "the render"

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
_SUFFIXES = (".yaml", ".yml", ".json")

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


class CrdFileError(ValueError):
    """A ``--overlays-crds`` path that does not exist or holds no parsable YAML."""


@dataclass(frozen=True)
class CrdVersion:
    """One version a CRD declares: its name, whether it is served, its schema."""

    name: str
    served: bool
    schema: Mapping[str, Any] | None

    @cached_property
    def schema_json(self) -> str | None:
        """The schema as canonical JSON: the key its compiled validator is cached under."""
        if self.schema is None:
            return None
        try:
            return json.dumps(self.schema, sort_keys=True, default=str)
        except TypeError:
            # Keys of mixed types (YAML `1:` beside `name:`) cannot be sorted as they are.
            return json.dumps(_string_keys(self.schema), sort_keys=True, default=str)


def _string_keys(node: Any) -> Any:
    """A copy of a decoded YAML tree with every mapping key a string."""
    if isinstance(node, Mapping):
        return {str(key): _string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_string_keys(value) for value in node]
    return node


@dataclass(frozen=True)
class Crd:
    """What the schema check needs from a CustomResourceDefinition."""

    name: str
    group: str
    kind: str
    versions: tuple[CrdVersion, ...]
    preserve_unknown_fields: bool
    source: str

    def version(self, name: str) -> CrdVersion | None:
        return next((v for v in self.versions if v.name == name), None)

    @property
    def served(self) -> list[str]:
        """The apiVersions the CRD serves, ``group/version``."""
        return [f"{self.group}/{v.name}" for v in self.versions if v.served]


def _openapi(holder: Any) -> Mapping[str, Any] | None:
    schema = as_dict(holder).get("openAPIV3Schema")
    return schema if isinstance(schema, dict) else None


def parse_crd(raw: Mapping[str, Any], source: str) -> Crd | None:
    """Read a CRD manifest (v1 or legacy v1beta1); None if ``raw`` is not one or has no version."""
    if raw.get("kind") != CRD_KIND or not str(raw.get("apiVersion", "")).startswith(CRD_GROUP):
        return None
    spec = as_dict(raw.get("spec"))
    group, kind = spec.get("group"), as_dict(spec.get("names")).get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    # v1beta1 CRDs may share one schema for every version (spec.validation).
    shared = _openapi(spec.get("validation"))
    versions: list[CrdVersion] = []
    # A malformed entry declares no version; the CRD's own schema reports it.
    for entry in as_list(spec.get("versions")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            served = entry.get("served", True) is not False
            schema = _openapi(entry.get("schema")) or shared
            versions.append(CrdVersion(entry["name"], served, schema))
    if not versions and isinstance(spec.get("version"), str):
        versions.append(CrdVersion(spec["version"], True, shared))
    if not versions:
        return None  # malformed: no schema source (the CRD's own schema reports why)
    name = str(as_dict(raw.get("metadata")).get("name") or f"{kind.lower()}s.{group}")
    return Crd(
        name, group, kind, tuple(versions), spec.get("preserveUnknownFields") is True, source
    )


def _documents(raw: Any) -> Iterator[Mapping[str, Any]]:
    # `kubectl get crd -o yaml` prints a List; accept it as well as plain documents.
    if not isinstance(raw, Mapping):
        return
    if raw.get("kind") == "List" and isinstance(raw.get("items"), list):
        yield from (item for item in raw["items"] if isinstance(item, dict))
    else:
        yield raw


@lru_cache(maxsize=256)
def _file_crds(path: str, mtime_ns: int, size: int) -> tuple[Crd, ...]:
    # Keyed by mtime and size too, so an edited file is read again.
    documents = load_documents(Path(path).read_bytes())
    found = (parse_crd(doc, path) for raw in documents for doc in _documents(raw))
    return tuple(crd for crd in found if crd is not None)


def crd_files(paths: Iterable[Path]) -> list[Path]:
    """Expand ``--overlays-crds`` paths: files as given, directories to their YAML/JSON files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise CrdFileError(f"--overlays-crds {path}: no such file or directory")
    return files


def load_crds(paths: Iterable[Path]) -> tuple[Crd, ...]:
    """Read every CRD under the given paths; raise CrdFileError for a missing or broken file."""
    crds: list[Crd] = []
    for path in crd_files(paths):
        shown = _display(path)
        try:
            stat = path.stat()
            found = _file_crds(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        except (OSError, ParseError) as error:
            raise CrdFileError(f"--overlays-crds {shown}: {error}") from None
        crds.extend(replace(crd, source=shown) for crd in found)
    return tuple(crds)


def _display(path: Path) -> str:
    # Relative to the working directory, like the sources of rendered resources.
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def crd_index(resources: Iterable[Resource], paths: Sequence[Path]) -> dict[tuple[str, str], Crd]:
    """Map (group, kind) to its CRD; a CRD in the render wins over one from a file."""
    index = {(crd.group, crd.kind): crd for crd in load_crds(paths)}
    for resource in resources:
        crd = parse_crd(resource.raw, IN_RENDER)
        if crd is not None:
            index[(crd.group, crd.kind)] = crd
    return index


def _convert(node: Any, strict: bool, where: str) -> dict[str, Any]:
    """Turn the OpenAPI schema node at ``where`` (``Widget.spec.ports[]``) into draft 4."""
    if not isinstance(node, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {
                name: _convert(sub, strict, f"{where}.{name}") for name, sub in value.items()
            }
        elif key in ("additionalProperties", "not"):
            out[key] = (
                _convert(value, strict, f"{where}.*") if isinstance(value, Mapping) else value
            )
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
    return out


def python_pattern(pattern: str) -> str | None:
    """Translate a CRD ``pattern`` (Go RE2 syntax) for Python's ``re``; None if it cannot be.

    ``\\z`` becomes ``\\Z``, ``\\x{...}`` and ``[[:alpha:]]`` are spelt out, and
    characters Python reads as set operations inside ``[...]`` are escaped; Unicode
    classes (``\\p{L}``, ``\\P{C}``), ``\\Q...\\E`` and ungreedy ``(?U)`` have no
    Python equivalent.
    """
    out: list[str] = []
    index, size = 0, len(pattern)
    in_class, class_start = False, 0
    while index < size:
        char = pattern[index]
        if char == "\\":
            pair = pattern[index : index + 2]
            hex_escape = _HEX.match(pattern, index)
            if pair[1:] in ("p", "P", "Q", "C") or (pair == "\\z" and in_class):
                return None
            if hex_escape:
                codepoint = int(hex_escape.group(1), 16)
                if codepoint > 0x10FFFF:
                    return None
                out.append(f"\\U{codepoint:08x}")
                index = hex_escape.end()
                continue
            out.append("\\Z" if pair == "\\z" else pair)
            index += 2
            continue
        if in_class:
            if char == "]" and index > class_start:
                in_class = False
                out.append(char)
            elif pattern.startswith("[:", index):
                end = pattern.find(":]", index + 2)
                name = pattern[index + 2 : end] if end >= 0 else ""
                if name not in _POSIX_CLASSES:
                    return None
                out.append(_POSIX_CLASSES[name])
                index = end + 2
                continue
            elif pattern.startswith("--", index):
                return None  # Python may read it as a set difference
            else:
                # Literal in RE2; Python reads them as nested sets or set operations.
                out.append("\\" + char if char in "[&~|" else char)
            index += 1
            continue
        if char == "[":
            in_class = True
            negated = pattern.startswith("^", index + 1)
            out.append("[^" if negated else "[")
            index += 2 if negated else 1
            class_start = index
            continue
        if pattern.startswith("(?<", index) and pattern[index + 3 : index + 4].isalpha():
            out.append("(?P<")  # a named group as Go 1.22 spells it
            index += 3
            continue
        flags = _FLAGS.match(pattern, index)
        if flags:
            letters = flags.group(1) + (flags.group(2) or "")
            # RE2's U is ungreedy (Python's is Unicode); Python allows global flags first only.
            if "U" in letters or (flags.group(3) == ")" and index > 0):
                return None
            out.append(flags.group(0))
            index = flags.end()
            continue
        out.append(char)
        index += 1
    translated = "".join(out)
    try:
        re.compile(translated)
    except (re.error, OverflowError, RecursionError):
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
    if version.schema_json is None:
        return None
    return _compiled(
        version.schema_json, crd.kind, k8s_version, strict and not crd.preserve_unknown_fields
    )
