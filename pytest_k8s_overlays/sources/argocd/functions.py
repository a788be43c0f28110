"""The functions an ApplicationSet Go template can call: Go's built-ins, the Sprig
functions users write in ApplicationSets, and Argo CD's own (``normalize``,
``slugify``, ``toYaml``, ``fromYaml``, ``fromYamlArray``).

Argo CD gives templates Sprig's whole generic map except ``env``,
``expandenv`` and ``getHostByName``. Calling one of those the emulation lacks
(UNSUPPORTED_FUNCTIONS: the clock, randomness, crypto, ``semver``, ...) fails
the ApplicationSet as not supported here (Argo CD renders it); a function
outside Argo CD's map is Go's parse error (``function "x" not defined``).
"""

from __future__ import annotations

import base64
import decimal
import hashlib
import json
import math
import re
import unicodedata
import urllib.parse
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from ...core.regex import BadRegex, compile_re2
from ...parse.safe_yaml import SafeLoader, describe_yaml_error, load_bounded
from . import gotime, semver, sprig_more
from .budget import check_size, quote
from .gotemplate import TemplateError, Unsupported, truthy
from .govalues import (
    MISSING,
    NO_VALUE,
    format_value,
    go_yaml_resolve,
    json_key,
    json_numbers,
    to_json,
    to_yaml,
)
from .xstrings import to_kebab_case, to_pascal_case, to_snake_case

# -- Go built-ins -------------------------------------------------------------------------


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, Mapping):
            if not isinstance(key, str):
                raise TemplateError(
                    f"error calling index: value has type {_go_kind(key)}; should be string"
                )
            value = value.get(key, MISSING)
        elif isinstance(value, list | tuple | str):
            if isinstance(key, bool) or not isinstance(key, int):
                raise TemplateError(
                    f"error calling index: cannot index slice/array with type {_go_kind(key)}"
                )
            sequence = value.encode() if isinstance(value, str) else value
            if not 0 <= key < len(sequence):
                raise TemplateError(f"error calling index: index out of range: {key}")
            # A string's element is a byte, as in Go.
            value = sequence[key]
        elif value is None or value is MISSING:
            raise TemplateError("error calling index: index of untyped nil")
        else:
            raise TemplateError(f"error calling index: can't index item of type {_go_kind(value)}")
    return value


def _slice(value: Any, *bounds: Any) -> Any:
    """Sprig's ``slice``: a list only, from and to as given."""
    items = _list(value)
    numbers = [_int(b) for b in bounds]
    if len(numbers) >= 2 and not 0 <= numbers[0] <= numbers[1] <= len(items):
        raise TemplateError(
            f"error calling slice: slice bounds out of range [{numbers[0]}:{numbers[1]}]"
        )
    return (
        items[numbers[0] : numbers[1]]
        if len(numbers) >= 2
        else items[numbers[0] if numbers else 0 :]
    )


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())  # Go's len of a string counts bytes
    if isinstance(value, list | tuple | dict):
        return len(value)
    raise TemplateError(f"error calling len: len of type {type(value).__name__}")


def _basic_kind(value: Any) -> str:
    """Go's ``basicKind`` for a value from JSON or a function: JSON numbers are float64,
    number constants and what ``len``, ``int``, ``add`` return are ints."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "invalid"  # nil, a missing key, a list or a map


def _is_nil(value: Any) -> bool:
    return value is None or value is MISSING


def _eq_one(name: str, first: Any, other: Any) -> bool:
    """``first == other`` as Go's ``eq`` decides it, with its errors."""
    kind = _basic_kind(first)
    if kind != _basic_kind(other):
        # Go compares no int with a float64: ``eq .shard 0`` fails in Argo CD.
        if not _is_nil(first) and not _is_nil(other):
            raise TemplateError(f"error calling {name}: incompatible types for comparison")
        return False
    if kind != "invalid":
        return bool(first == other)
    if _is_nil(first) or _is_nil(other):
        return _is_nil(first) and _is_nil(other)
    if type(first) is not type(other):
        raise TemplateError(f"error calling {name}: non-comparable types")
    raise TemplateError(f"error calling {name}: non-comparable type {_go_kind(first)}")


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateError("error calling eq: missing argument for comparison")
    return any(_eq_one("eq", first, other) for other in others)


def _ne(first: Any, other: Any) -> bool:
    return not _eq_one("ne", first, other)


def _order(name: str) -> Callable[[Any, Any], bool]:
    """``lt``, ``le``, ``gt``, ``ge``: numbers or strings of one kind, as Go's ``lt``."""

    def less(a: Any, b: Any) -> bool:
        kinds = _basic_kind(a), _basic_kind(b)
        if "invalid" in kinds:
            raise TemplateError(f"error calling {name}: invalid type for comparison")
        if kinds[0] != kinds[1]:
            raise TemplateError(f"error calling {name}: incompatible types for comparison")
        if kinds[0] == "bool":
            raise TemplateError(f"error calling {name}: invalid type for comparison")
        return bool(a < b)

    def compare(a: Any, b: Any) -> bool:
        if name == "lt":
            return less(a, b)
        if name == "ge":
            return not less(a, b)
        # le and gt: Go's le is lt or eq.
        lower_or_equal = less(a, b) or _eq_one(name, a, b)
        return lower_or_equal if name == "le" else not lower_or_equal

    return compare


def _sprint(*args: Any) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out = ""
    for index, arg in enumerate(args):
        if index and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out += " "
        out += format_value(arg)
    return out


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    return "interface {}"


def _go_type_name(value: Any) -> str:
    """``%T`` of a value from JSON or a function."""
    if value is None:
        return "<nil>"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    return _go_kind(value)


def _eval_args(*args: Any) -> str:
    """text/template's ``evalArgs`` (``html``, ``js``, ``urlquery``): nil is <no value>."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return _sprint(*(NO_VALUE if a is None or a is MISSING else a for a in args))


def _html(*args: Any) -> str:
    """Go's ``HTMLEscapeString``: ``"`` and ``'`` as numeric entities."""
    text = _eval_args(*args)
    for char, entity in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&#34;"),
        ("'", "&#39;"),
        ("\0", "\ufffd"),
    ):
        text = text.replace(char, entity)
    return text


def _go_quote(text: str) -> str:
    """Go's ``strconv.Quote``: printable characters kept, the rest escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}" if ord(char) >= 0x80 else f"\\x{ord(char):02x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _go_syntax(value: Any, top: bool = False) -> str:
    """``%#v``: the value as Go source (JSON-like values in interfaces)."""
    if value is None or value is MISSING:
        return "<nil>" if top else "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, int | float):
        return format_value(value)
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_go_quote(str(k))}:{_go_syntax(value[k])}" for k in sorted(value, key=str)
        )
        return f"map[string]interface {{}}{{{items}}}"
    if isinstance(value, list | tuple):
        return "[]interface {}{" + ", ".join(_go_syntax(v) for v in value) + "}"
    return format_value(value)


def _verb_text(
    verb: str, flags: str, width: str | None, precision: str | None, value: Any, bad: str
) -> str:
    """``%v``, ``%s`` and ``%T``, padded on the left or (flag ``-``) on the right."""
    if verb == "T":
        text = _go_type_name(value)
    elif verb == "v" and "#" in flags:
        text = _go_syntax(value, top=True)
    elif verb == "s" and not isinstance(value, str | list | dict):
        return bad
    else:
        text = "<nil>" if value is None else format_value(value)
    align = "<" if "-" in flags else ">"
    return format(text[: int(precision)] if precision else text, f"{align}{width or 0}")


def _verb(verb: str, flags: str, width: str | None, precision: str | None, value: Any) -> str:
    """One ``printf`` verb applied to one value, as Go's fmt writes it."""
    bad = (
        f"%!{verb}(<nil>)"
        if value is None
        else f"%!{verb}({_go_kind(value)}={format_value(value)})"
    )
    check_size(max(int(width or 0), int(precision or 0)), "a printf width")
    spec = f"{flags}{width or ''}"
    if verb in "vsT":
        return _verb_text(verb, flags, width, precision, value, bad)
    if verb == "q":
        return (
            json.dumps(format_value(value), ensure_ascii=False) if isinstance(value, str) else bad
        )
    if verb == "t":
        return format_value(value) if isinstance(value, bool) else bad
    if verb in "xX" and isinstance(value, str | float) and not flags and not width:
        return _hex(value, verb)
    if verb == "U" and isinstance(value, int) and not isinstance(value, bool):
        return f"U+{value:04X}"
    if verb in "dxXoc" and not (isinstance(value, int) and not isinstance(value, bool)):
        return bad
    if verb in "feEgG" and (not isinstance(value, float | int) or isinstance(value, bool)):
        return bad
    if verb == "c":
        return chr(value)
    if verb in "feEgG":
        spec += f".{precision}" if precision else (".6" if verb in "fFeE" else "")
    return format(value, spec + verb)


def _hex(value: str | float, verb: str) -> str:
    """Go's ``%x``/``%X`` of a string (its bytes) or a float (hexadecimal mantissa, binary
    exponent of two digits or more: ``0x1.8p+01``)."""
    if isinstance(value, str):
        text = value.encode().hex()
    elif not math.isfinite(value):
        text = format_value(value)
    else:
        mantissa, _, exponent = value.hex().partition("p")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}p{sign}{abs(int(exponent)):02d}"
    return text.upper().replace("0X", "0X") if verb == "X" else text


def _printf(template: str, *args: Any) -> str:
    values = list(args)
    used = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal used
        flags, width, precision, verb = match.groups()
        if verb == "%":
            return "%"
        if used >= len(values):
            return f"%!{verb}(MISSING)"
        value = values[used]
        used += 1
        return _verb(verb, flags, width, precision, value)

    text = _VERB.sub(replace, template)
    if used < len(values):
        extra = ", ".join(f"{_go_kind(v)}={format_value(v)}" for v in values[used:])
        text += f"%!(EXTRA {extra})"
    return text


# -- conversions --------------------------------------------------------------------------


def _int(value: Any) -> int:
    """``cast.ToInt``: numbers truncate, strings parse (else 0), booleans are 0 or 1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return _int64(value)
    if isinstance(value, float):
        return _int64(int(value)) if math.isfinite(value) else _INT64_MIN
    if isinstance(value, str) and len(value) <= _MAX_DIGITS:
        # cast.ToInt: strconv.ParseInt(s, 0, 64) after trimming a ".0"; else 0.
        parsed = _parse_go_int(re.sub(r"^([-+]?\d+)\.0*$", r"\1", value))
        return 0 if parsed is None else parsed
    return 0


_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)")


def _parse_go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)``: a leading 0 is octal; None where Go errs."""
    match = _GO_INT.fullmatch(text)
    if match is None or "__" in text or text.endswith("_"):
        return None
    sign, digits = match.groups()
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567_":
        digits = "0o" + digits[1:]
    number = int(sign + digits, 0)
    return number if _INT64_MIN <= number < -_INT64_MIN else None


def _atoi(value: Any) -> int:
    """Sprig's ``atoi``: ``strconv.Atoi``, decimal only, 0 when it fails."""
    text = _string(value)
    if not re.fullmatch(r"[-+]?\d+", text) or len(text) > _MAX_DIGITS:
        return 0
    number = int(text)
    return number if _INT64_MIN <= number < -_INT64_MIN else 0


def _round(value: Any, places: Any = 0) -> float:
    """Sprig's ``round``: half away from zero by ``math.Modf``, on float64 arithmetic."""
    power = math.pow(10, _int(places))
    digits = power * _float(value)
    fraction = math.modf(digits)[0]
    return (math.ceil(digits) if fraction >= 0.5 else math.floor(digits)) / power


_INT64_MIN = -(1 << 63)
#: More digits than an int64 or a float64 string needs.
_MAX_DIGITS = 400


def _int64(value: int) -> int:
    """``value`` wrapped to 64 bits, as Go's int arithmetic does."""
    return ((value - _INT64_MIN) % (1 << 64)) + _INT64_MIN


def _float(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _string(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return format_value(value) if not isinstance(value, str) else value


def _empty(value: Any) -> bool:
    return not truthy(value)


def _default(default: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return default
    return given[0]


# -- Argo CD's own --------------------------------------------------------------------------


def sanitize_name(name: str) -> str:
    """Argo CD's ``SanitizeName`` (``normalize``): a valid DNS-1123 subdomain, as well as it can."""
    lowered = re.sub(r"[^-a-z0-9.]", "-", name.lower())
    return lowered.encode()[:253].decode(errors="ignore").strip("-.")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", ascii_text.lower())).strip("-")


def slugify(*args: Any) -> str:
    """``slugify [maxSize=50] [smartTruncate=true] name``."""
    name = _string(args[-1])
    size = _int(args[0]) if len(args) > 1 else 50
    smart = bool(args[1]) if len(args) > 2 else True
    slug = _slug(sanitize_name(name))
    if size <= 0 or len(slug) <= size:
        return slug
    if not smart:
        return slug[:size].strip("-")
    words = slug.split("-")
    kept = ""
    for word in words:
        candidate = f"{kept}-{word}" if kept else word
        if len(candidate) > size:
            break
        kept = candidate
    return kept or slug[:size]


class _JsonKeys(SafeLoader):
    """Mapping keys as ``sigs.k8s.io/yaml`` makes them: JSON's strings (``1``, ``y``
    and ``on`` are the keys "1", "true", "true"; a null key is an error)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        # Keys become JSON's strings as they are read: 1 and true are two keys in Go,
        # one in a Python dict.
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if not any(k is None or isinstance(k, bool | float | int) for k in mapping):
            return mapping
        keyed: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key is None:
                raise yaml.constructor.ConstructorError(
                    None, None, "unsupported map key of type nil", key_node.start_mark
                )
            keyed[json_key(key)] = self.construct_object(value_node, deep=deep)
        return keyed


class GoYamlLoader(_JsonKeys):
    """YAML read as ``sigs.k8s.io/yaml.Unmarshal`` reads it: go-yaml v2's resolver
    (``1:20`` stays a string, ``0777`` is octal, ``y`` a boolean), then JSON: every
    number a float64, every timestamp the text written."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            tag = go_yaml_resolve(value) if implicit[0] else "str"
            return "tag:yaml.org,2002:" + ("str" if tag in ("timestamp", "merge") else tag)
        return super().resolve(kind, value, implicit)


def _go_yaml_float(loader: Any, node: Any) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if math.isinf(value) or math.isnan(value):
        # sigs.k8s.io/yaml converts to JSON, which has no such number.
        raise ValueError(f"json: unsupported value: {format_value(value)}")
    return float(value)


def _go_int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        digits = "0o" + digits[1:]  # Go's base 0: a leading 0 is octal
    return sign * int(digits, 0)


def _go_yaml_int(loader: Any, node: Any) -> Any:
    return float(_go_int(loader, node))


def _go_yaml_bool(loader: Any, node: Any) -> bool:
    return str(loader.construct_scalar(node)).lower() in ("y", "yes", "true", "on")


GoYamlLoader.add_constructor("tag:yaml.org,2002:int", _go_yaml_int)
GoYamlLoader.add_constructor("tag:yaml.org,2002:bool", _go_yaml_bool)
GoYamlLoader.add_constructor("tag:yaml.org,2002:float", _go_yaml_float)


class KubectlLoader(_JsonKeys):
    """Argo CD manifests as ``kubectl apply`` sends them to the API server
    (``sigs.k8s.io/yaml``): go-yaml v2's resolver (``1:20`` stays a string, ``y`` is
    true, a timestamp is its text), numbers kept as written (ints stay ints)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = go_yaml_resolve(value)
            return "tag:yaml.org,2002:" + ("str" if tag == "timestamp" else tag)
        return super().resolve(kind, value, implicit)


KubectlLoader.add_constructor("tag:yaml.org,2002:int", _go_int)
KubectlLoader.add_constructor("tag:yaml.org,2002:bool", _go_yaml_bool)


def _from_yaml_as(kind: type[Any], name: str) -> Callable[[Any], Any]:
    """Argo CD's ``fromYaml`` (a map) or ``fromYamlArray`` (a list): the first document,
    an error if it is something else (as ``json.Unmarshal`` into that type)."""

    def load(text: Any) -> Any:
        try:
            documents = load_bounded(_string(text), GoYamlLoader)
        except (yaml.YAMLError, ValueError) as error:
            message = (
                describe_yaml_error(error) if isinstance(error, yaml.YAMLError) else "bad number"
            )
            raise TemplateError(f"error calling {name}: {message}") from None
        value = json_numbers(documents[0]) if documents else None
        if value is None:
            return kind()
        if not isinstance(value, kind):
            want = "map[string]interface {}" if kind is dict else "[]interface {}"
            raise TemplateError(
                f"error calling {name}: cannot unmarshal into Go value of type {want}"
            )
        return value

    return load


# -- lists and dicts ---------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise TemplateError(f"cannot use {format_value(value)} as a list")


def _dict(*pairs: Any) -> dict[str, Any]:
    items = list(pairs) + ([""] if len(pairs) % 2 else [])
    return {_string(items[i]): items[i + 1] for i in range(0, len(items), 2)}


def _merge(overwrite: bool) -> Callable[..., dict[str, Any]]:
    def deep(destination: dict[str, Any], source: Mapping[str, Any]) -> None:
        for key, value in source.items():
            mine = destination.get(key)
            if isinstance(mine, dict) and isinstance(value, Mapping):
                deep(mine, value)
            elif key not in destination or overwrite or _empty(mine):
                destination[key] = value

    def merge(destination: dict[str, Any], *sources: Mapping[str, Any]) -> dict[str, Any]:
        for source in sources:
            deep(destination, source)
        return destination

    return merge


def _set(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    data[key] = value
    return data


def _dig(*args: Any) -> Any:
    *keys, default, data = args
    for key in keys:
        if not isinstance(data, Mapping) or key not in data:
            return default
        data = data[key]
    return data


def _split(separator: str, text: str) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(_string(text).split(separator))}


def _unique(values: Any) -> list[Any]:
    out: list[Any] = []
    # Keyed by canonical JSON: linear, where ``not in`` on a list is quadratic.
    seen: set[str] = set()
    for value in _list(values):
        key = json.dumps(value, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64dec(text: str) -> str:
    """Sprig's ``b64dec``: the decoded text, or Go's error text as the value."""
    bad = _b64_error_at(text.encode())
    if bad is not None:
        return f"illegal base64 data at input byte {bad}"
    clean = text.replace("\n", "").replace("\r", "")
    return base64.b64decode(clean).decode(errors="replace")


def _b64_error_at(data: bytes) -> int | None:
    """Where Go's base64.StdEncoding refuses ``data`` (its ``decodeQuantum``), or None."""
    index = 0
    while index < len(data):
        index, bad = _b64_quantum(data, index)
        if bad is not None:
            return bad
    return None


def _skip_newlines(data: bytes, index: int) -> int:
    while index < len(data) and data[index] in b"\r\n":
        index += 1
    return index


def _b64_quantum(data: bytes, index: int) -> tuple[int, int | None]:
    """One quantum of four characters: the index after it, and where it fails."""
    read = 0
    while read < 4:
        if index == len(data):
            return index, (None if read == 0 else index - read)
        char = data[index]
        index += 1
        if chr(char) in _BASE64:
            read += 1
            continue
        if char in b"\r\n":
            continue
        if char != ord("=") or read < 2:
            return index, index - 1
        if read == 2:
            index = _skip_newlines(data, index)
            if index == len(data):
                return index, len(data)
            if data[index] != ord("="):
                return index, index - 1
            index += 1
        index = _skip_newlines(data, index)
        return len(data), (index if index < len(data) else None)
    return index, None


def _bytes_text(data: bytes) -> str:
    """Go's string of bytes cut anywhere: a cut UTF-8 character is U+FFFD once written."""
    return data.decode("utf-8", errors="replace")


def _trunc(length: Any, text: Any) -> str:
    # Go's strings are bytes: the count is of bytes, as Sprig's trunc counts.
    count, value = _int(length), _string(text).encode()
    if count < 0:
        return _bytes_text(value[count:] if -count < len(value) else value)
    return _bytes_text(value[:count])


def _substr(start: Any, end: Any, text: Any) -> str:
    first, last, value = _int(start), _int(end), _string(text).encode()
    if first < 0:
        return _bytes_text(value[:last])
    if first > len(value) or (0 <= last <= len(value) and first > last):
        # Go slices out of range: the template fails (a runtime error).
        raise TemplateError(f"error calling substr: slice bounds out of range [{first}:{last}]")
    if last < 0 or last > len(value):
        return _bytes_text(value[first:])
    return _bytes_text(value[first:last])


def _separator(char: str) -> bool:
    """Go's ``strings.Title`` separator: not a letter, digit or ``_``; beyond ASCII a space."""
    if char.isascii():
        return not (char.isalnum() or char == "_")
    return not (char.isalpha() or char.isdigit()) and char.isspace()


def _title(text: Any) -> str:
    """``strings.Title``: the first letter after a separator in title case."""
    out, previous = [], " "
    for char in _string(text):
        upper = char.upper()
        out.append(upper if _separator(previous) and len(upper) == 1 else char)
        previous = char
    return "".join(out)


def _indent(spaces: Any, text: Any) -> str:
    count, value = max(_int(spaces), 0), _string(text)
    check_size(len(value) + count * (value.count("\n") + 1), "indent's result")
    pad = " " * count
    return pad + value.replace("\n", "\n" + pad)


def _ternary(true_value: Any, false_value: Any, condition: Any) -> Any:
    return true_value if truthy(condition) else false_value


def _arith(operation: Callable[[int, int], int]) -> Callable[..., int]:
    def apply(first: Any, *rest: Any) -> int:
        total = _int(first)
        for value in rest:
            total = _int64(operation(total, _int(value)))
        return total

    return apply


def _divide(a: int, b: int) -> int:
    if b == 0:
        raise TemplateError("error calling div: integer divide by zero")
    return int(a / b)


def _modulo(a: int, b: int) -> int:
    if b == 0:
        raise TemplateError("error calling mod: integer divide by zero")
    return int(math.fmod(a, b))


def _regex(pattern: Any) -> Any:
    """Go's ``regexp.MustCompile``: RE2, linear in the text whatever the pattern."""
    try:
        return compile_re2(_string(pattern))
    except BadRegex as error:
        raise TemplateError(f"error parsing regexp: {error}") from None


def _go_replacement(replacement: str) -> Callable[[Any], str]:
    """Go's ``Expand``: ``$1``, ``${1}``, ``$name`` and ``${name}`` name groups."""

    def expand(match: Any) -> str:
        def group(found: re.Match[str]) -> str:
            name = found.group(1) or found.group(2)
            if name is None:
                return "$"  # $$
            try:
                return str(match.group(int(name) if name.isdigit() else name) or "")
            except (IndexError, KeyError, ValueError):
                return ""

        return re.sub(r"\$(?:\{(\w+)\}|(\w+)|\$)", group, replacement)

    return expand


def _replace_all(pattern: Any, text: Any, replacement: Callable[[Any], str]) -> str:
    """``ReplaceAllString``, stopped once the result would pass MAX_OUTPUT."""
    written = 0

    def bounded(match: Any) -> str:
        nonlocal written
        out = replacement(match)
        written += len(out)
        check_size(written, "the replaced text")
        return out

    return str(_regex(pattern).sub(bounded, _string(text)))


def _repeat(count: Any, text: Any) -> str:
    times, value = _int(count), _string(text)
    if times < 0:
        raise TemplateError("error calling repeat: strings: negative Repeat count")
    check_size(times * len(value), "repeat's result")
    return value * times


def _replace(old: Any, new: Any, text: Any) -> str:
    value, before, after = _string(text), _string(old), _string(new)
    matches = value.count(before) if before else len(value) + 1
    check_size(len(value) + matches * len(after), "replace's result")
    return value.replace(before, after)


def _until(count: Any) -> list[int]:
    """Sprig's ``until``: 0 up to count, or down to it when it is negative."""
    number = _int(count)
    check_size(abs(number), "until's list")
    return list(range(0, number, -1 if number < 0 else 1))


def _deep_equal(a: Any, b: Any) -> bool:
    """``reflect.DeepEqual``: an int never equals a float64, nor a bool a number."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _join(separator: Any, value: Any) -> str:
    """Sprig's ``join``: a list's items (nil left out), or one value as a list of one."""
    items = value if isinstance(value, list | tuple) else [] if value is None else [value]
    return _string(separator).join(_string(i) for i in items if i is not None)


def _split_list(separator: Any, text: Any) -> list[str]:
    """``strings.Split``: an empty separator splits into characters."""
    value, sep = _string(text), _string(separator)
    return list(value) if not sep else value.split(sep)


def _from_json(text: Any) -> Any:
    """Sprig's ``fromJson``: nil where the text is no JSON (Go ignores the error)."""
    try:
        return json_numbers(json.loads(_string(text)))
    except (ValueError, RecursionError):
        return None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Go built-ins
    "and": lambda *a: a[-1],  # evaluated lazily by the executor
    "or": lambda *a: a[-1],
    "not": lambda v: not truthy(v),
    "len": _len,
    "index": _index,
    "slice": _slice,
    "eq": _eq,
    "ne": _ne,
    "lt": _order("lt"),
    "le": _order("le"),
    "gt": _order("gt"),
    "ge": _order("ge"),
    "print": _sprint,
    "println": lambda *a: " ".join(format_value(v) for v in a) + "\n",
    "printf": _printf,
    "html": _html,
    "urlquery": lambda *a: urllib.parse.quote_plus(_eval_args(*a)),
    # Sprig: strings
    "upper": lambda s: "".join(c.upper() if len(c.upper()) == 1 else c for c in _string(s)),
    "lower": lambda s: _string(s).lower(),
    "title": _title,
    "trim": lambda s: _string(s).strip(),
    "trimAll": lambda cut, s: _string(s).strip(_string(cut)),
    "trimPrefix": lambda p, s: _string(s).removeprefix(_string(p)),
    "trimSuffix": lambda p, s: _string(s).removesuffix(_string(p)),
    "trunc": _trunc,
    "substr": _substr,
    "replace": _replace,
    "contains": lambda sub, s: _string(sub) in _string(s),
    "hasPrefix": lambda p, s: _string(s).startswith(_string(p)),
    "hasSuffix": lambda p, s: _string(s).endswith(_string(p)),
    # Sprig's quote and squote leave nil out.
    "quote": lambda *a: " ".join(
        json.dumps(_string(v), ensure_ascii=False) for v in a if v is not None
    ),
    "squote": lambda *a: " ".join(f"'{_string(v)}'" for v in a if v is not None),
    "cat": lambda *a: " ".join(format_value(v) for v in a if v is not None),
    "repeat": _repeat,
    "nospace": lambda s: re.sub(r"\s", "", _string(s)),
    "kebabcase": to_kebab_case,
    "snakecase": to_snake_case,
    "camelcase": to_pascal_case,
    "splitList": _split_list,
    "split": _split,
    "join": _join,
    "indent": _indent,
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "toString": _string,
    "toStrings": lambda v: [format_value(i) for i in _list(v) if i is not None],
    "regexMatch": lambda r, s: _regex(r).search(_string(s)) is not None,
    "regexFind": lambda r, s: m.group() if (m := _regex(r).search(_string(s))) else "",
    "regexFindAll": lambda r, s, n: [m.group() for m in _regex(r).finditer(_string(s))][
        : (None if _int(n) < 0 else _int(n))
    ],
    "regexReplaceAll": lambda r, s, rep: _replace_all(r, s, _go_replacement(_string(rep))),
    "regexReplaceAllLiteral": lambda r, s, rep: _replace_all(r, s, lambda _: _string(rep)),
    # Sprig: encodings
    "b64enc": lambda s: base64.b64encode(_string(s).encode()).decode(),
    "b64dec": lambda s: _b64dec(_string(s)),
    "sha256sum": lambda s: hashlib.sha256(_string(s).encode()).hexdigest(),
    "sha1sum": lambda s: hashlib.sha1(_string(s).encode()).hexdigest(),
    "adler32sum": lambda s: str(zlib.adler32(_string(s).encode())),
    "toJson": lambda v: to_json(v),
    "toRawJson": lambda v: to_json(v, escape_html=False),
    "toPrettyJson": lambda v: to_json(v, indent=2),
    "fromJson": _from_json,
    # Sprig: defaults and logic
    "default": _default,
    "empty": _empty,
    "coalesce": lambda *a: next((v for v in a if not _empty(v)), None),
    "ternary": _ternary,
    # Sprig: lists
    "list": lambda *a: list(a),
    "first": lambda v: _list(v)[0] if _list(v) else None,
    "last": lambda v: _list(v)[-1] if _list(v) else None,
    "rest": lambda v: _list(v)[1:],
    "initial": lambda v: _list(v)[:-1],
    "append": lambda v, i: [*_list(v), i],
    "prepend": lambda v, i: [i, *_list(v)],
    "concat": lambda *a: [i for v in a for i in _list(v)],
    "uniq": _unique,
    "has": lambda needle, v: v is not None and any(_deep_equal(needle, i) for i in _list(v)),
    "without": lambda v, *out: [i for i in _list(v) if not any(_deep_equal(i, o) for o in out)],
    "compact": lambda v: [i for i in _list(v) if not _empty(i)],
    "sortAlpha": lambda v: sorted(format_value(i) for i in _list(v)),
    "reverse": lambda v: list(reversed(_list(v))),
    "until": _until,
    # Sprig: dicts
    "dict": _dict,
    "get": lambda d, k: d.get(k, "") if isinstance(d, Mapping) else "",
    "set": _set,
    "unset": lambda d, k: (d.pop(k, None), d)[1],
    "hasKey": lambda d, k: isinstance(d, Mapping) and k in d,
    # Go gives each map's keys in random order: sorted here; the maps in turn.
    "keys": lambda *ds: [k for d in ds for k in sorted(d)],
    "values": lambda d: [d[k] for k in d],
    "pick": lambda d, *ks: {k: d[k] for k in ks if k in d},
    "omit": lambda d, *ks: {k: v for k, v in d.items() if k not in ks},
    "merge": _merge(overwrite=False),
    "mergeOverwrite": _merge(overwrite=True),
    "dig": _dig,
    "deepCopy": lambda v: json.loads(json.dumps(v)),
    # Sprig: numbers
    "add": _arith(lambda a, b: a + b),
    "add1": lambda v: _int(v) + 1,
    "sub": _arith(lambda a, b: a - b),
    "mul": _arith(lambda a, b: a * b),
    "div": _arith(_divide),
    "mod": _arith(_modulo),
    "max": _arith(max),
    "min": _arith(min),
    "floor": lambda v: float(math.floor(_float(v))),
    "ceil": lambda v: float(math.ceil(_float(v))),
    "round": _round,
    "int": _int,
    "int64": _int,
    "float64": _float,
    "atoi": _atoi,
    # Argo CD
    "normalize": lambda s: sanitize_name(_string(s)),
    "slugify": slugify,
    "toYaml": to_yaml,
    "fromYaml": _from_yaml_as(dict, "fromYaml"),
    "fromYamlArray": _from_yaml_as(list, "fromYamlArray"),
}

# -- more of Sprig: paths, encodings, types, float math, sequences -------------------------


def _go_clean(path: str) -> str:
    """Go's ``path.Clean``."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    return ("/" + cleaned) if rooted else (cleaned or ".")


def _go_base(path: str) -> str:
    """Go's ``path.Base``."""
    if not path:
        return "."
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[-1] if stripped else "/"


def _go_dir(path: str) -> str:
    """Go's ``path.Dir``."""
    return _go_clean(path[: path.rfind("/") + 1])


def _go_ext(path: str) -> str:
    """Go's ``path.Ext``: from the last dot of the last element."""
    for index in range(len(path) - 1, -1, -1):
        if path[index] == "/":
            break
        if path[index] == ".":
            return path[index:]
    return ""


def _b32dec(text: str) -> str:
    try:
        return base64.b32decode(text).decode(errors="replace")
    except (ValueError, TypeError):
        return "illegal base32 data at input byte 0"


def _kind_of(value: Any) -> str:
    """``reflect.Kind`` of a value from JSON or a function."""
    if value is None:
        return "invalid"
    if isinstance(value, list | tuple):
        return "slice"
    if isinstance(value, Mapping):
        return "map"
    return _go_kind(value)


def _decimal_op(operation: Callable[[decimal.Decimal, decimal.Decimal], decimal.Decimal]) -> Any:
    """Sprig's float math: shopspring/decimal on each value's shortest decimal form."""

    def apply(first: Any, *rest: Any) -> float:
        total = decimal.Decimal(repr(_float(first)))
        for value in rest:
            total = operation(total, decimal.Decimal(repr(_float(value))))
        return float(total)

    return apply


def _divide_decimal(a: decimal.Decimal, b: decimal.Decimal) -> decimal.Decimal:
    if b == 0:
        raise TemplateError("error calling divf: decimal division by 0")
    with decimal.localcontext() as context:
        context.prec = 34
        return (a / b).quantize(decimal.Decimal(1).scaleb(-16), rounding=decimal.ROUND_HALF_EVEN)


def _until_step(start: Any, stop: Any, step: Any) -> list[int]:
    first, last, by = _int(start), _int(stop), _int(step)
    if by == 0 or (last < first) != (by < 0):
        return []
    check_size(abs((last - first) // by), "untilStep's list")
    return list(range(first, last, by))


def _splitn(separator: str, count: int, text: str) -> dict[str, str]:
    """Sprig's ``splitn``: ``strings.SplitN`` into ``_0``, ``_1``...; 0 parts for 0."""
    if count == 0:
        return {}
    parts = text.split(separator, count - 1) if count > 0 else text.split(separator)
    return {f"_{i}": part for i, part in enumerate(parts)}


def _regex_split(pattern: str, text: str, count: int) -> list[str]:
    """Go's ``Regexp.Split``."""
    if count == 0:
        return []
    if pattern and not text:
        return [""]
    parts: list[str] = []
    begin = end = 0
    for match in _regex(pattern).finditer(text):
        if count > 0 and len(parts) == count - 1:
            break
        end = match.start()
        if match.end() != 0:
            parts.append(text[begin:end])
        begin = match.end()
    if end != len(text):
        parts.append(text[begin:])
    return parts


def _go_duration(seconds: Any) -> str:
    """``time.Duration.String`` of whole seconds (Sprig's ``duration``): of a string or
    an int64; any other value (a template's int constant, a float64) counts as 0."""
    text = seconds if isinstance(seconds, str) else ""
    total = int(text) if re.fullmatch(r"[-+]?\d{1,18}", text) else 0
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    return f"{sign}{minutes}m{secs}s" if minutes else f"{sign}{secs}s"


def _to_decimal(value: Any) -> int:
    """Sprig's ``toDecimal``: the value written, read as octal; 0 when it is not."""
    text = format_value(value)
    return int(text, 8) if re.fullmatch(r"[-+]?[0-7]+", text) else 0


def _chunk(size: int, values: Any) -> list[list[Any]]:
    items = _list(values)
    if size <= 0:
        return []
    return [items[i : i + size] for i in range(0, len(items), size)]


def _fail(message: str) -> str:
    raise TemplateError(f"error calling fail: {message}")


MORE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "base": _go_base,
    "dir": _go_dir,
    "clean": _go_clean,
    "ext": _go_ext,
    "isAbs": lambda p: p.startswith("/"),
    "osBase": _go_base,
    "osDir": _go_dir,
    "osClean": _go_clean,
    "osExt": _go_ext,
    "osIsAbs": lambda p: p.startswith("/"),
    "sha512sum": lambda s: hashlib.sha512(s.encode()).hexdigest(),
    "b32enc": lambda s: base64.b32encode(s.encode()).decode(),
    "b32dec": _b32dec,
    "trimall": lambda cut, s: s.strip(cut),
    "untitle": lambda s: re.sub(r"(^|\s)(\S)", lambda m: m[1] + m[2].lower(), s),
    "swapcase": lambda s: s.swapcase(),
    "initials": lambda s: "".join(w[0] for w in s.split()),
    "plural": lambda one, many, count: one if count == 1 else many,
    "abbrev": lambda width, s: s if width < 4 or len(s) <= width else s[: width - 3] + "...",
    "splitn": _splitn,
    "regexSplit": _regex_split,
    "regexQuoteMeta": lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s),
    "tuple": lambda *a: list(a),
    "push": lambda v, i: [*_list(v), i],
    "pluck": lambda key, *ds: [d[key] for d in ds if key in d],
    "chunk": _chunk,
    "untilStep": _until_step,
    "all": lambda *a: all(not _empty(v) for v in a),
    "any": lambda *a: any(not _empty(v) for v in a),
    "kindOf": _kind_of,
    "kindIs": lambda kind, v: kind == _kind_of(v),
    "typeOf": _go_type_name,
    "typeIs": lambda name, v: name == _go_type_name(v),
    "typeIsLike": lambda name, v: _go_type_name(v) in (name, "*" + name),
    "deepEqual": _deep_equal,
    "fail": _fail,
    "addf": lambda *a: _decimal_op(lambda x, y: x + y)(0.0, *a),
    "add1f": lambda v: _decimal_op(lambda x, y: x + y)(v, 1.0),
    "subf": _decimal_op(lambda x, y: x - y),
    "mulf": _decimal_op(lambda x, y: x * y),
    "divf": _decimal_op(_divide_decimal),
    "maxf": lambda first, *rest: max(_float(v) for v in (first, *rest)),
    "minf": lambda first, *rest: min(_float(v) for v in (first, *rest)),
    "biggest": _arith(max),
    "duration": _go_duration,
    "toDecimal": _to_decimal,
}


def _seq(*bounds: Any) -> str:
    """Sprig's ``seq``: 1..n, start..end or start, step, end, written with spaces."""
    numbers = [_int(b) for b in bounds]
    if len(numbers) == 1:
        numbers = [1, numbers[0]]
    if len(numbers) == 2:
        numbers = [numbers[0], -1 if numbers[1] < numbers[0] else 1, numbers[1]]
    if len(numbers) != 3:
        return ""
    start, step, end = numbers
    increment = -1 if end < start else 1
    if end < start and step > 0:
        return ""
    return " ".join(str(i) for i in _until_step(start, end + increment, step))


def _regex_match(pattern: str, text: str) -> bool:
    """Sprig's ``regexMatch``: false for a pattern that does not compile."""
    try:
        return _regex(pattern).search(text) is not None
    except TemplateError:
        return False


def _must_from_json(text: str) -> Any:
    try:
        return json_numbers(json.loads(text))
    except (ValueError, RecursionError) as error:
        raise TemplateError(f"error calling mustFromJson: {quote(str(error))}") from None


MORE_FUNCTIONS.update(
    {
        "hello": lambda: "Hello!",
        "seq": _seq,
        "mustFromJson": _must_from_json,
        # The must variants return Go's error where the others panic: both fail the
        # template, so they share the emulation.
        **{
            f"must{name[0].upper()}{name[1:]}": FUNCTIONS[name]
            for name in (
                "append", "prepend", "first", "last", "rest", "initial", "reverse", "slice",
                "uniq", "without", "has", "compact", "deepCopy", "merge", "mergeOverwrite",
                "toJson", "toRawJson", "toPrettyJson", "regexFind", "regexFindAll",
                "regexReplaceAll", "regexReplaceAllLiteral",
            )
        },
        "mustPush": MORE_FUNCTIONS["push"],
        "mustChunk": MORE_FUNCTIONS["chunk"],
        "mustRegexSplit": MORE_FUNCTIONS["regexSplit"],
        "mustRegexMatch": FUNCTIONS["regexMatch"],
    }
)  # fmt: skip
FUNCTIONS["regexMatch"] = _regex_match

#: Their Go parameter types (see SIGNATURES below).
MORE_SIGNATURES: dict[str, str] = {
    **dict.fromkeys(
        ("base", "dir", "clean", "ext", "isAbs", "osBase", "osDir", "osClean", "osExt"),
        "s",
    ),
    **dict.fromkeys(
        ("osIsAbs", "sha512sum", "b32enc", "b32dec", "untitle", "swapcase", "initials"), "s"
    ),
    "trimall": "ss",
    "plural": "ssi",
    "abbrev": "is",
    "splitn": "sis",
    "regexSplit": "ssi",
    "regexQuoteMeta": "s",
    "pluck": "s*m",
    "chunk": "ia",
    "untilStep": "iii",
    "kindIs": "sa",
    "typeIs": "sa",
    "typeIsLike": "sa",
    "fail": "s",
    "mustFromJson": "s",
    **dict.fromkeys(("mustRegexMatch", "mustRegexFind"), "ss"),
    "mustRegexFindAll": "ssi",
    **dict.fromkeys(("mustRegexReplaceAll", "mustRegexReplaceAllLiteral"), "sss"),
    "mustRegexSplit": "ssi",
    **dict.fromkeys(("mustMerge", "mustMergeOverwrite"), "m*m"),
    "mustChunk": "ia",
}  # fmt: skip


# -- Go's parameter types ------------------------------------------------------------------

#: The parameters of the functions whose Go signature is not all ``interface{}``, one
#: letter each (s string, i int, b bool, m map[string]interface{}, a anything), a ``*``
#: before the type of the variadic rest. Go calls a function only with values of these
#: types: ``{{ upper .port }}`` with a JSON number (a float64) fails the template in
#: Argo CD, and so it does here.
SIGNATURES: dict[str, str] = {
    **dict.fromkeys(
        (
            "upper", "lower", "title", "trim", "nospace", "kebabcase", "snakecase",
            "camelcase", "b64enc", "b64dec", "sha256sum", "sha1sum", "adler32sum",
            "fromJson", "atoi", "normalize", "fromYaml", "fromYamlArray",
        ),
        "s",
    ),
    **dict.fromkeys(
        ("trimAll", "trimPrefix", "trimSuffix", "contains", "hasPrefix", "hasSuffix"), "ss"
    ),
    **dict.fromkeys(("splitList", "split", "regexMatch", "regexFind"), "ss"),
    **dict.fromkeys(("replace", "regexReplaceAll", "regexReplaceAllLiteral"), "sss"),
    **dict.fromkeys(("trunc", "repeat", "indent", "nindent"), "is"),
    "substr": "iis",
    "regexFindAll": "ssi",
    "until": "i",
    "ternary": "aab",
    "join": "sa",
    "printf": "s*a",
    **dict.fromkeys(("get", "hasKey", "unset"), "ms"),
    "set": "msa",
    "values": "m",
    "keys": "*m",
    **dict.fromkeys(("pick", "omit"), "m*s"),
    **dict.fromkeys(("merge", "mergeOverwrite"), "m*m"),
    "round": "ai*a",
}  # fmt: skip

_GO_TYPES = {"s": "string", "i": "int", "b": "bool", "m": "map[string]interface {}"}


def _accepts(kind: str, value: Any) -> bool:
    if kind == "s":
        return isinstance(value, str)
    if kind == "i":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "b":
        return isinstance(value, bool)
    if kind == "m":
        return isinstance(value, dict)
    return True


def _typed(name: str, function: Callable[..., Any], signature: str) -> Callable[..., Any]:
    """``function`` called only with arguments of its Go parameter types, as Go calls it."""
    fixed, _, rest = signature.partition("*")

    def call(*args: Any) -> Any:
        if len(args) < len(fixed) or (not rest and len(args) > len(fixed)):
            want = f"at least {len(fixed)}" if rest else str(len(fixed))
            raise TemplateError(f"wrong number of args for {name}: want {want} got {len(args)}")
        for kind, arg in zip(fixed + rest * (len(args) - len(fixed)), args, strict=True):
            if not _accepts(kind, arg):
                got = "invalid value" if arg is None else f"got {_go_type_name(arg)}"
                raise TemplateError(
                    f"wrong type for value; expected {_GO_TYPES[kind]}; {got}"
                    if arg is not None
                    else f"{got}; expected {_GO_TYPES[kind]}"
                )
        return function(*args)

    return call


FUNCTIONS.update(MORE_FUNCTIONS)
FUNCTIONS.update(sprig_more.MORE)
FUNCTIONS.update(gotime.FUNCTIONS)
FUNCTIONS.update(semver.FUNCTIONS)
for _name, _signature in {
    **SIGNATURES,
    **MORE_SIGNATURES,
    **sprig_more.MORE_SIGNATURES,
    **gotime.SIGNATURES,
}.items():
    FUNCTIONS[_name] = _typed(_name, FUNCTIONS[_name], _signature)


#: Functions of Argo CD's template map (Go's built-ins, Sprig's generic map, Argo CD's own)
#: the emulation does not have: a template may name them, and calling one fails the
#: ApplicationSet here as not supported (Argo CD renders it).
UNSUPPORTED_FUNCTIONS = [
    "bcrypt",
    "buildCustomCert",
    "decryptAES",
    "derivePassword",
    "encryptAES",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "htpasswd",
]


def _unsupported(name: str) -> Callable[..., Any]:
    def call(*_: Any) -> Any:
        raise Unsupported(f'function "{name}"')

    return call


for _name in UNSUPPORTED_FUNCTIONS:
    FUNCTIONS.setdefault(_name, _unsupported(_name))
