# mypy: disable-error-code="import-untyped"
"""Turn jsonschema errors into problems people can act on: a field path, what, what instead.

Every error of a resource is reported, one problem per unknown field or
missing field; a failed ``oneOf``/``anyOf`` is flattened into the errors of
its closest alternative (or one type error when every alternative is just a
type), so nothing floods and nothing is hidden. Values of a Secret's
``data``/``stringData`` are never shown.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError

from ...core.resources import REDACTED
from ..base import Rule
from .builtin import DEFINITION, QUANTITY_KEYWORD

TYPE = "type"
UNKNOWN_FIELD = "unknown-field"
REQUIRED = "required"
ENUM = "enum"
QUANTITY = "quantity"

#: The schema check's rules for the schema's own errors.
ERROR_RULES = (
    Rule(
        TYPE,
        hint=(
            "give the field a value of the expected type (quote numbers meant as strings, "
            "unquote numbers); `kubectl explain <kind>.<field>` shows it"
        ),
        doc='a value of the wrong type: `containerPort: "8080"`, `env:` as a map, `replicas: two`',
    ),
    Rule(
        UNKNOWN_FIELD,
        hint=(
            "fix the field name's spelling or indentation in the patch or base that sets it; "
            "--overlays-no-strict accepts unknown fields"
        ),
        doc=(
            "a field the schema does not declare (strict mode only): `imagePullPolcy`, "
            "`metadata.label`"
        ),
    ),
    Rule(
        REQUIRED,
        hint="add the field in the base or a patch of the overlay",
        doc="a required field missing (`containers[0].name`)",
    ),
    Rule(
        ENUM,
        hint="use one of the values listed (case matters)",
        doc=(
            "a value outside the allowed set: `type: LoadBalancr`, `imagePullPolicy: "
            "Sometimes`, a selector `operator: Equals`"
        ),
    ),
    Rule(
        QUANTITY,
        hint="write quantities as Kubernetes does: 250m or 0.25 CPUs, 512Mi or 1Gi of memory",
        doc=(
            "a resource quantity that does not parse: `cpu: lots`, `memory: 1GB`, `storage: "
            "10gb` (all Kubernetes suffixes pass: `250000000n`, `100u`, `250m`, `1k`, `512Mi`, "
            "`1e3`)"
        ),
    ),
)


#: Longest value shown in a finding before it is cut.
MAX_VALUE = 60
#: Most allowed values listed for an enum before the list is cut.
MAX_CHOICES = 12
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_SECRET_FIELDS = frozenset({"data", "stringData"})

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "a list",
    "null": "null",
}

_BOUNDS = {
    "minimum": "at least {}",
    "maximum": "at most {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minProperties": "at least {} fields",
    "maxProperties": "at most {} fields",
    "pattern": "a string matching {}",
    "multipleOf": "a multiple of {}",
}

#: A quantity as users write them, for the expected text.
QUANTITY_EXAMPLES = "a quantity such as 250m, 1, 512Mi or 2Gi"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding-to-be about one resource: rule, field path, what was found and expected."""

    rule: str
    path: str
    found: str
    expected: str


def format_path(parts: Iterable[Any]) -> str:
    """``spec.template.spec.containers[0].ports[0]``; odd keys as ``labels["app.k8s.io/x"]``."""
    text = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            # YAML keys may be booleans, floats or null (`true:`, `1.5:`, `~:`).
            text += f"[{json.dumps(part if isinstance(part, str) else str(part))}]"
    return text


def subpath(prefix: str, *parts: Any) -> str:
    """A field path under an already formatted one: ``subpath("spec.x[0]", "ports", 1)``."""
    rest = format_path(parts)
    if not prefix or not rest:
        return prefix or rest
    return prefix + rest if rest.startswith("[") else f"{prefix}.{rest}"


def type_name(value: Any) -> str:
    """``a string``, ``an integer``, ``a list``... for a decoded YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def quote(text: str) -> str:
    """A string as JSON, cut to MAX_VALUE characters."""
    shown = json.dumps(text)
    return shown if len(shown) <= MAX_VALUE else shown[: MAX_VALUE - 3] + "..."


def show(value: Any, secret: bool = False) -> str:
    """A short, safe rendering of an offending value, with its type when it helps."""
    if value is None or isinstance(value, dict | list):
        return type_name(value)
    if secret:
        return f"{REDACTED} ({type_name(value)})"
    text = quote(value) if isinstance(value, str) else json.dumps(value, default=str)
    return f"{text} ({type_name(value)})"


def expected_types(types: Any) -> str:
    """``an integer``, ``a string or an integer``; null only when nothing else is allowed."""
    names = [types] if isinstance(types, str) else list(types or [])
    real = [name for name in names if name != "null"] or names
    return " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in real)


def _values(values: Sequence[Any]) -> str:
    real = [v for v in values if v is not None]
    shown = [json.dumps(v, default=str) if v == "" or not isinstance(v, str) else v for v in real]
    if len(shown) > MAX_CHOICES:
        return f"{', '.join(shown[:MAX_CHOICES])}... ({len(shown)} values)"
    return ", ".join(shown)


def _did_you_mean(word: Any, choices: Iterable[Any]) -> str:
    if not isinstance(word, str):
        return ""
    # Compared in lowercase: `http` is meant as `HTTP`.
    by_lower = {c.lower(): c for c in choices if isinstance(c, str)}
    close = difflib.get_close_matches(word.lower(), by_lower, n=1)
    return f" (did you mean {by_lower[close[0]]}?)" if close else ""


def _where(schema: Mapping[str, Any]) -> str:
    name = schema.get(DEFINITION)
    return str(name) if name else "the schema"


def _branches(error: ValidationError) -> list[list[ValidationError]]:
    grouped: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        grouped.setdefault(index, []).append(sub)
    return [grouped[key] for key in sorted(grouped, key=str)]


def _alternatives(error: ValidationError, secret: bool) -> Iterator[Problem]:
    branches = _branches(error)
    path = format_path(error.absolute_path)
    if not branches:
        yield Problem(TYPE, path, show(error.instance, secret), "exactly one alternative to match")
        return
    here = list(error.absolute_path)
    only_types = all(
        len(errors) == 1 and errors[0].validator == "type" and list(errors[0].absolute_path) == here
        for errors in branches
    )
    if only_types:
        types: list[str] = []
        for errors in branches:
            value: Any = errors[0].validator_value
            for name in [value] if isinstance(value, str) else value:
                if name not in types:
                    types.append(name)
        yield Problem(TYPE, path, show(error.instance, secret), expected_types(types))
        return

    def distance(errors: list[ValidationError]) -> tuple[bool, int]:
        # An alternative whose type matched is closer than one of another type.
        wrong_type = any(e.validator == "type" and list(e.absolute_path) == here for e in errors)
        return wrong_type, len(errors)

    for sub in min(branches, key=distance):
        yield from problems_of(sub, secret)


def _unknown_fields(parts: list[Any], schema: Any, instance: Any) -> Iterator[Problem]:
    declared = schema.get("properties") or {}
    # Sorted as text: YAML keys of mixed types (`1:` beside `name:`) do not compare.
    for extra in sorted((k for k in instance if k not in declared), key=str):
        expected = f"a field of {_where(schema)}{_did_you_mean(extra, declared)}"
        yield Problem(UNKNOWN_FIELD, format_path([*parts, extra]), "unknown field", expected)


def _missing(parts: list[Any], schema: Any, instance: Any, required: Any) -> Iterator[Problem]:
    for name in required:
        if name not in instance:
            expected = f"a value: {_where(schema)} requires {name}"
            yield Problem(REQUIRED, format_path([*parts, name]), "missing", expected)


def _bound(validator: str, value: Any, schema: Any) -> str:
    """What a bound (``maximum``, ``maxLength``, ``pattern``...) expects, in words."""
    expected = _BOUNDS[validator].format(value)
    if schema.get(f"exclusive{validator.capitalize()}") is True:
        expected += " (exclusive)"
    return expected


def _value_problem(error: ValidationError, path: str, secret: bool, schema: Any) -> Problem:
    """The one problem of an error about a value (not about fields): type, enum, bounds."""
    # Typed Any: jsonschema types these as unions with its Unset marker.
    validator: Any = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    found = show(instance, secret)
    if validator == "type":
        return Problem(TYPE, path, found, expected_types(value))
    if validator == "enum":
        hint = "" if secret else _did_you_mean(instance, value)
        return Problem(ENUM, path, found, f"one of {_values(value)}{hint}")
    if validator == "pattern" and schema.get(QUANTITY_KEYWORD):
        return Problem(QUANTITY, path, found, QUANTITY_EXAMPLES)
    if validator in _BOUNDS:
        return Problem(TYPE, path, found, _bound(str(validator), value, schema))
    if validator == "uniqueItems":
        return Problem(TYPE, path, "a list with repeated items", "unique items")
    expected = f"a value {validator} accepts" if secret else error.message
    return Problem(TYPE, path, found, expected)


def problems_of(error: ValidationError, secret: bool = False) -> Iterator[Problem]:
    """The problems one jsonschema error stands for (several for several unknown fields)."""
    parts = list(error.absolute_path)
    # A Secret's values are redacted anywhere under data/stringData.
    secret = secret and bool(parts) and parts[0] in _SECRET_FIELDS
    validator: Any = error.validator
    instance: Any = error.instance
    schema: Any = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "additionalProperties" and error.validator_value is False:
        if isinstance(instance, dict):
            yield from _unknown_fields(parts, schema, instance)
            return
    elif validator == "required" and isinstance(instance, dict):
        yield from _missing(parts, schema, instance, error.validator_value)
        return
    elif validator in ("oneOf", "anyOf"):
        yield from _alternatives(error, secret)
        return
    yield _value_problem(error, format_path(parts), secret, schema)


def problems(errors: Iterable[ValidationError], secret: bool = False) -> list[Problem]:
    """Every problem of every error, deduplicated and sorted."""
    errors = list(errors)
    # A value of the wrong type is outside any enum as well: say it once.
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    kept = (e for e in errors if e.validator != "enum" or tuple(e.absolute_path) not in typed)
    return sorted({p for error in kept for p in problems_of(error, secret)})
