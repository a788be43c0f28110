"""Text from a pull request made safe to show: escaped, bounded, never a workflow command.

Values the gate prints come from manifests, directory names and Kustomize's
messages quoting them: a newline in one would start a line of its own, which
GitHub Actions reads as a workflow command (``::stop-commands::``, a forged
``::error``) when it begins with ``::`` (or the older ``##[``) after
whitespace; ESC and NUL would reach the log; a lone surrogate (a directory
name that is not UTF-8, ``"\\ud800"`` in a JSON manifest) cannot be encoded
at all. Everything here is pure and keeps healthy text as it is.
"""

from __future__ import annotations

import re
from typing import Any

#: At most this many characters of one value (an image, a name, a path) are shown.
VALUE_LIMIT = 300
#: At most this many characters of one line of a multi-line message (Kustomize's).
LINE_LIMIT = 2000
#: At most this many characters of a multi-line message in all.
TEXT_LIMIT = 20_000

#: Control characters (C0, DEL, C1), line and paragraph separators, the bidirectional
#: overrides and isolates (which reorder what a reviewer reads), and surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bounded(text: str, limit: int = VALUE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def _defused(line: str) -> str:
    """``line`` with a leading ``::`` or ``##[`` escaped, so no runner reads it as a command."""
    # The GitHub runner trims a line (Unicode white space too), then reads it as a
    # command when it starts so.
    stripped = line.lstrip()
    if not stripped.startswith(("::", "##[")):
        return line
    indent = line[: len(line) - len(stripped)]
    return f"{indent}\\x{ord(stripped[0]):02x}{stripped[1:]}"


def shown(value: object, limit: int | None = VALUE_LIMIT) -> str:
    """One value on one line: control characters escaped, bounded (unless ``limit`` is
    None: a name that must stay unique), never a command."""
    text = str(value)
    return _defused(_UNSAFE.sub(_escape, text if limit is None else bounded(text, limit)))


def shown_lines(text: str, limit: int = LINE_LIMIT) -> str:
    """A multi-line message kept multi-line: each line escaped and bounded like a value."""
    lines = bounded(text, TEXT_LIMIT).split("\n")
    return "\n".join(shown(line, limit) for line in lines)


def encodable(value: Any) -> Any:
    """``value`` (JSON data) with every lone surrogate in its strings escaped, so that it
    encodes as UTF-8; everything else as it is."""
    if isinstance(value, str):
        return _SURROGATE.sub(_escape, value)
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(item) for item in value]
    return value
