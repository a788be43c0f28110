"""Go's way of writing values: ``fmt``'s ``%v``, ``encoding/json``, ``sigs.k8s.io/yaml``.

ApplicationSet parameters come from JSON, so every number is a float64 in Go:
``%v`` writes ``1000000`` as ``1e+06``. These helpers write Python values the
way Argo CD's Go code would, so generated names and paths match.
"""

from __future__ import annotations

import decimal
import json
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
        return "0"
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


def to_yaml(value: Any) -> str:
    """``sigs.k8s.io/yaml.Marshal`` (sorted keys, block style), trailing newline trimmed."""
    return str(
        yaml.safe_dump(_json_ready(value), default_flow_style=False, sort_keys=True, width=1 << 30)
    ).rstrip("\n")


def sorted_keys(value: Mapping[Any, Any]) -> list[Any]:
    """A map's keys in Go's order (YAML may mix key types: then by type, then as text)."""
    try:
        return sorted(value)
    except TypeError:
        return sorted(value, key=lambda k: (type(k).__name__, format_value(k)))


class NumberRangeError(ValueError):
    """A number JSON cannot hold as a float64 (Argo CD refuses it)."""


def _json_key(key: Any) -> str:
    """A map key as ``sigs.k8s.io/yaml`` makes it: JSON keys are strings."""
    if isinstance(key, str):
        return key
    return "null" if key is None else format_value(json_numbers(key))


def json_numbers(value: Any) -> Any:
    """Make every number a float and every key a string, as decoding JSON into
    ``interface{}`` does in Go."""
    if isinstance(value, dict):
        return {_json_key(k): json_numbers(v) for k, v in value.items()}
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
