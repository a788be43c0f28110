"""Go's way of writing values: ``fmt``'s ``%v``, ``encoding/json``, ``sigs.k8s.io/yaml``.

ApplicationSet parameters come from JSON, so every number is a float64 in Go:
``%v`` writes ``1000000`` as ``1e+06``. These helpers write Python values the
way Argo CD's Go code would, so generated names and paths match.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import yaml


class _Missing:
    """A map key a Go template looked up and did not find (printed ``<no value>``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()
NO_VALUE = "<no value>"


def _digits(value: float) -> tuple[str, int]:
    """The shortest decimal digits of ``value`` and the position of the decimal point."""
    _, digits, exponent = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    return text, len(text) + int(exponent)


def format_float(value: float, json_style: bool = False) -> str:
    """A float64 as Go writes it: ``%v`` (``1e+06``) or ``encoding/json`` (``1000000``)."""
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, point = _digits(value)
    exponent = point - 1
    # encoding/json: exponent form outside [1e-6, 1e21); strconv's shortest %g:
    # below 1e-4 and from 1e+06 on.
    scientific = not 1e-6 <= abs(value) < 1e21 if json_style else exponent < -4 or exponent >= 6
    if scientific:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
        if json_style and -10 < exponent < 0:
            text = text.replace("e-0", "e-")  # encoding/json cleans e-09 to e-9
        return sign + text
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def format_value(value: Any) -> str:
    """``fmt.Sprint(value)`` for JSON-like values: maps as ``map[k:v]``, lists as ``[a b]``."""
    if value is MISSING:
        return NO_VALUE
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Mapping):
        inner = " ".join(f"{k}:{format_value(value[k])}" for k in sorted_keys(value))
        return f"map[{inner}]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(v) for v in value) + "]"
    return str(value)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return None if value is MISSING else value


def _encode(value: Any, indent: int | None, depth: int) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        return format_float(value, json_style=True)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        items = [
            f"{json.dumps(k, ensure_ascii=False)}:{'' if indent is None else ' '}"
            f"{_encode(v, indent, depth + 1)}"
            for k, v in sorted(value.items())
        ]
        return _joined(items, "{", "}", indent, depth)
    if isinstance(value, list):
        return _joined([_encode(v, indent, depth + 1) for v in value], "[", "]", indent, depth)
    return json.dumps(str(value), ensure_ascii=False)


def _joined(items: list[str], opening: str, closing: str, indent: int | None, depth: int) -> str:
    if indent is None or not items:
        return opening + ",".join(items) + closing
    inner = "\n" + " " * (indent * (depth + 1))
    return opening + inner + ("," + inner).join(items) + "\n" + " " * (indent * depth) + closing


def to_json(value: Any, indent: int | None = None, escape_html: bool = True) -> str:
    """``json.Marshal``: sorted keys, Go's float format, ``<>&`` escaped (sprig ``toJson``)."""
    text = _encode(_json_ready(value), indent, 0)
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


# -- sigs.k8s.io/yaml.Marshal: encoding/json, then go-yaml v2 ----------------------------

_TAG = "tag:yaml.org,2002:"
_GO_WORDS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO"), "bool"),
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), "bool"),
    **dict.fromkeys(("on", "On", "ON", "off", "Off", "OFF"), "bool"),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), "null"),
    **dict.fromkeys((".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"), "float"),
    **dict.fromkeys(("+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"), "float"),
    "<<": "merge",
}
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_GO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[-+]\d{2}:\d{2})|"
    r" \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?"
)


def _go_timestamp(text: str) -> bool:
    match = _GO_TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    try:
        datetime.date(*(int(g) for g in match.groups()[:3]))
    except ValueError:
        return False
    return True


def _fits_64_bits(plain: str) -> bool:
    """Whether Go's ``ParseInt`` or ``ParseUint`` (base 0) takes ``plain`` (a _GO_INT)."""
    digits = plain.lstrip("+-")
    base = {"x": 16, "o": 8, "b": 2}.get(digits[1:2].lower(), 8 if digits[:1] == "0" else 10)
    body = digits[2:] if base != 10 and digits[1:2].isalpha() else digits
    return len(body) <= 64 and int(body or "0", base) < 1 << 64


def go_yaml_resolve(text: str) -> str:
    """What go-yaml v2 reads a plain scalar as (``resolve``): str, bool, null, int, float,
    timestamp or merge. YAML 1.1 words: ``y``, ``on`` and ``no`` are booleans."""
    if text in _GO_WORDS:
        return _GO_WORDS[text]
    hint = text[:1]
    if hint == ".":
        return "float" if _GO_FLOAT.fullmatch(text) else "str"
    if hint and ((hint.isdigit() and hint.isascii()) or hint in "+-"):
        if _go_timestamp(text):
            return "timestamp"
        plain = text.replace("_", "")
        if _GO_INT.fullmatch(plain) and _fits_64_bits(plain):
            return "int"
        if _GO_FLOAT.fullmatch(plain):
            return "float"
    return "str"


def _number_at(text: str, start: int) -> tuple[int, int]:
    """The run of digits at ``start``: its value and where it ends."""
    end, number = start, 0
    while end < len(text) and text[end].isdigit():
        number = number * 10 + int(text[end])
        end += 1
    return number, end


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml v2's ``keyList.Less`` for string keys: runs of digits compare as numbers."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter or b_letter:
            return a[i] < b[i] if a_letter and b_letter else b_letter
        (a_number, a_end), (b_number, b_end) = _number_at(a, i), _number_at(b, i)
        # A 0 inside a number ("10" against "1a"): go-yaml counts the run from a 1.
        before = a[:i]
        run = before[len(before.rstrip("0123456789")) :]
        if (a[i] == "0" or b[i] == "0") and run.strip("0"):
            a_number += 10 ** (a_end - i)
            b_number += 10 ** (b_end - i)
        if (a_number, a_end) != (b_number, b_end):
            return (a_number, a_end) < (b_number, b_end)
        return a[i] < b[i]
    return len(a) < len(b)


def _go_key_order(a: str, b: str) -> int:
    return -1 if _go_key_less(a, b) else (1 if _go_key_less(b, a) else 0)


class _GoNumber(float):
    """A JSON number go-yaml v2 decoded as a float (``1e+21``, ``2.5``): written as Go does."""


class _GoYamlDumper(yaml.SafeDumper):
    """PyYAML's emitter (a port of libyaml's, as go-yaml's is) with go-yaml v2's choices:
    its YAML 1.1 resolver, double quotes for a string that would read as another type,
    literal blocks for multi-line strings, and its key order."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _TAG + go_yaml_resolve(value)
        if kind is yaml.ScalarNode:
            return _TAG + "str"
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        style: str | None = "|"
    elif go_yaml_resolve(value) != "str" or _GO_BASE60.fullmatch(value):
        style = '"'
    else:
        style = None
    return dumper.represent_scalar(_TAG + "str", value, style=style)


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    keys = sorted(value, key=functools.cmp_to_key(_go_key_order))
    return dumper.represent_mapping(_TAG + "map", [(k, value[k]) for k in keys])


def _represent_number(dumper: yaml.SafeDumper, value: _GoNumber) -> yaml.Node:
    return dumper.represent_scalar(_TAG + "float", format_float(value))


_GoYamlDumper.add_representer(str, _represent_str)
_GoYamlDumper.add_representer(dict, _represent_dict)
_GoYamlDumper.add_representer(_GoNumber, _represent_number)


def _go_yaml_ready(value: Any) -> Any:
    """``value`` as go-yaml v2 decodes its JSON: whole numbers as ints, keys as strings."""
    if isinstance(value, Mapping):
        return {str(k): _go_yaml_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_go_yaml_ready(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        text = format_float(value, json_style=True)
        return int(text) if re.fullmatch(r"-?\d+", text) else _GoNumber(float(text))
    return None if value is MISSING else value


def to_yaml(value: Any) -> str:
    """``sigs.k8s.io/yaml.Marshal`` as Argo CD's ``toYaml`` calls it (go-yaml v2 writing
    what ``encoding/json`` wrote), the trailing newline trimmed."""
    text = str(
        yaml.dump(
            _go_yaml_ready(value),
            Dumper=_GoYamlDumper,
            default_flow_style=False,
            sort_keys=False,
            allow_unicode=True,
            width=80,
        )
    )
    # PyYAML ends a lone plain scalar with a document end marker; go-yaml does not.
    return text.removesuffix("...\n").rstrip("\n")


def sorted_keys(value: Mapping[Any, Any]) -> list[Any]:
    """A map's keys in Go's order (YAML may mix key types: then by type, then as text)."""
    try:
        return sorted(value)
    except TypeError:
        return sorted(value, key=lambda k: (type(k).__name__, format_value(k)))


class NumberRangeError(ValueError):
    """A number JSON cannot hold as a float64 (Argo CD refuses it)."""


def json_key(key: Any) -> str:
    """A map key as ``sigs.k8s.io/yaml`` makes it: JSON keys are strings."""
    if isinstance(key, str):
        return key
    return "null" if key is None else format_value(json_numbers(key))


def json_numbers(value: Any) -> Any:
    """Make every number a float and every key a string, as decoding JSON into
    ``interface{}`` does in Go."""
    if isinstance(value, dict):
        return {json_key(k): json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_numbers(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise NumberRangeError("a number out of the range of a float64") from None
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """``jeremywohl/flatten`` DotStyle (``a.b``, ``a.0.b``), values written with ``%v``;
    empty maps and lists vanish."""
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return {prefix: format_value(value)}
    flat: dict[str, str] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else key))
    return flat
