"""Less common functions of Argo CD's template map, ported from their Go sources: Go's
``js`` and ``call``, Sprig's ``abbrevboth``, ``wrap``, ``wrapWith``, ``shuffle``,
``urlParse`` and ``urlJoin`` (goutils v1.1.1, Sprig v3.3.0, Go's net/url). Each is
checked by the conformance corpus (tests/data/argocd_conformance)."""

from __future__ import annotations

import base64
import random
import secrets
import string
import unicodedata
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .gotemplate import TemplateError
from .govalues import format_value

_JS = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def _printable(char: str) -> bool:
    """Go's ``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols, ASCII space."""
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


def js(*args: Any) -> str:
    """Go's ``js``: JSEscapeString of the arguments as ``fmt.Sprint`` joins them."""
    text = args[0] if len(args) == 1 and isinstance(args[0], str) else _sprint(args)
    out: list[str] = []
    for char in text:
        if char in _JS:
            out.append(_JS[char])
        elif char < " " or (char >= "\x80" and not _printable(char)):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _sprint(args: tuple[Any, ...]) -> str:
    # fmt.Sprint: a space between operands when neither is a string.
    out = ""
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out += " "
        out += format_value(arg)
    return out


def call(function: Any, *_: Any) -> Any:
    """Go's ``call``: a template's data holds no functions, so it always fails."""
    if function is None:
        raise TemplateError("error calling call: call of nil")
    kind = "string" if isinstance(function, str) else type(function).__name__
    raise TemplateError(f"error calling call: non-function of type {kind}")


def shuffle(text: str) -> str:
    """xstrings.Shuffle: the characters in a random order (as in Argo CD)."""
    chars = list(text)
    random.shuffle(chars)
    return "".join(chars)


def _abbreviate_full(text: bytes, offset: int, width: int) -> bytes:
    """goutils.AbbreviateFull, on bytes as Go's strings are (errors give the empty text)."""
    marker = b"..."
    if not text:
        return b""
    if width < 4:
        return b""
    if len(text) <= width:
        return text
    offset = min(offset, len(text))
    if len(text) - offset < width - 3:
        offset = len(text) - (width - 3)
    if offset <= 4:
        return text[: width - 3] + marker
    if width < 7:
        return b""
    if offset + width - 3 < len(text):
        return marker + _abbreviate_full(text[offset:], 0, width - 3)
    return marker + text[len(text) - (width - 3) :]


def abbrevboth(left: int, right: int, text: str) -> str:
    """Sprig's ``abbrevboth``: ``...`` on both sides, ``right`` bytes at most."""
    if right < 4 or (left > 0 and right < 7):
        return text
    return _abbreviate_full(text.encode(), left, right).decode(errors="replace")


def _wrap(text: str, length: int, newline: str, long_words: bool) -> str:
    """goutils.WrapCustom, on bytes as Go's strings are."""
    data, line = text.encode(), (newline or "\n").encode()
    if not data:
        return ""
    length = max(length, 1)
    out = b""
    offset = 0
    while len(data) - offset > length:
        if data[offset : offset + 1] == b" ":
            offset += 1
            continue
        space = data[offset : length + offset + 1].rfind(b" ")
        if space >= 0:
            out += data[offset : offset + space] + line
            offset += space + 1
        elif long_words:
            out += data[offset : offset + length] + line
            offset += length
        else:
            index = data.find(b" ", length + offset)
            if index < 0:
                out += data[offset:]
                offset = len(data)
            else:
                out += data[offset:index] + line
                offset = index + 1
    return (out + data[offset:]).decode(errors="replace")


def wrap(length: int, text: str) -> str:
    """Sprig's ``wrap``: lines of ``length`` bytes at most, long words kept whole."""
    return _wrap(text, length, "", False)


def wrap_with(length: int, separator: str, text: str) -> str:
    """Sprig's ``wrapWith``: ``wrap`` with ``separator`` for new lines, long words cut."""
    return _wrap(text, length, separator, True)


def url_parse(text: str) -> dict[str, Any]:
    """Sprig's ``urlParse``: Go's url.Parse of the common shapes, as a dict."""
    parts = urllib.parse.urlsplit(text)
    opaque = ""
    path = urllib.parse.unquote(parts.path)
    if parts.scheme and not parts.netloc and not text[len(parts.scheme) + 1 :].startswith("/"):
        opaque, path = parts.path, ""
    userinfo, _, _ = parts.netloc.rpartition("@")
    host = parts.netloc.rpartition("@")[2]
    return {
        "scheme": parts.scheme,
        "host": host,
        "hostname": parts.hostname or "",
        "path": path,
        "query": parts.query,
        "opaque": opaque,
        "fragment": urllib.parse.unquote(parts.fragment),
        "userinfo": userinfo,
    }


def _field(parts: Mapping[str, Any], key: str) -> str:
    value = parts.get(key, "")
    if not isinstance(value, str):
        raise TemplateError(
            f"error calling urlJoin: unable to parse {key} key, must be of type string"
        )
    return value


def url_join(parts: Mapping[str, Any]) -> str:
    """Sprig's ``urlJoin``: Go's url.URL.String of the parts."""
    scheme, host, path = _field(parts, "scheme"), _field(parts, "host"), _field(parts, "path")
    query, opaque = _field(parts, "query"), _field(parts, "opaque")
    fragment, userinfo = _field(parts, "fragment"), _field(parts, "userinfo")
    out = f"{scheme}:" if scheme else ""
    if opaque:
        out += opaque
    else:
        if scheme or host or userinfo:
            if host or path or userinfo:
                out += "//"
            if userinfo:
                out += userinfo + "@"
            out += host
        if path and not path.startswith("/") and host:
            out += "/"
        out += urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~")
    if query:
        out += "?" + query
    if fragment:
        out += "#" + urllib.parse.quote(fragment, safe="/:@!$&'()*+,;=-._~?")
    return out


def _random(characters: str) -> Callable[[int], str]:
    """goutils' CryptoRandom* (Sprig's ``randAlpha``, ...): a negative count gives ""."""

    def generate(count: int) -> str:
        return "".join(secrets.choice(characters) for _ in range(max(count, 0)))

    return generate


def rand_bytes(count: int) -> str:
    """Sprig's ``randBytes``: base64 of ``count`` random bytes."""
    if count < 0:
        raise TemplateError("error calling randBytes: len out of range")
    return base64.b64encode(secrets.token_bytes(count)).decode()


def rand_int(low: int, high: int) -> int:
    """Sprig's ``randInt``: ``low`` up to ``high`` (excluded); Go panics on an empty range."""
    if high <= low:
        raise TemplateError("error calling randInt: invalid argument to Intn")
    return random.randrange(low, high)


MORE: dict[str, Callable[..., Any]] = {
    "randAlpha": _random(string.ascii_letters),
    "randAlphaNum": _random(string.ascii_letters + string.digits),
    "randNumeric": _random(string.digits),
    "randAscii": _random("".join(chr(c) for c in range(32, 127))),
    "randBytes": rand_bytes,
    "randInt": rand_int,
    "uuidv4": lambda: str(uuid.uuid4()),
    "js": js,
    "call": call,
    "shuffle": shuffle,
    "abbrevboth": abbrevboth,
    "wrap": wrap,
    "wrapWith": wrap_with,
    "urlParse": url_parse,
    "urlJoin": url_join,
}

#: Go parameter types, as functions.SIGNATURES writes them.
MORE_SIGNATURES: dict[str, str] = {
    "shuffle": "s",
    "abbrevboth": "iis",
    "wrap": "is",
    "wrapWith": "iss",
    "urlParse": "s",
    "urlJoin": "m",
    "randAlpha": "i",
    "randAlphaNum": "i",
    "randNumeric": "i",
    "randAscii": "i",
    "randBytes": "i",
    "randInt": "ii",
}
