"""The glob dialects Argo CD matches with, translated to Python regular expressions.

- :func:`glob_match`: gobwas/glob, Argo CD's ``glob.Match`` (AppProject rules,
  directory ``include``/``exclude``): ``*`` (not crossing a separator, when
  separators are given), ``**`` (crossing them), ``?``, ``[abc]``, ``[!abc]``,
  ``[a-z]``, ``{a,b}`` alternatives, ``\\`` escapes; a whole-string match.
- :func:`path_match`: Go's ``path.Match`` (git directory generators, AppProject
  kind lists): ``*`` and ``?`` never cross ``/``, ``[^abc]`` negates, no ``**``
  and no braces.

An invalid pattern matches nothing, as in Argo CD. Patterns are compiled with
RE2, whose matching is linear: thirteen ``*`` against a long name, which a
backtracking engine explores for hours, cost no more than one.
"""

from __future__ import annotations

import functools
from typing import Any

from .regex import BadRegex, compile_re2


class BadPattern(ValueError):
    """A pattern the dialect cannot compile."""


def _class_char(pattern: str, index: int) -> tuple[str, int]:
    """One (possibly escaped) character of a class, and the index after it."""
    if pattern[index] == "\\" and index + 1 < len(pattern):
        return pattern[index + 1], index + 2
    return pattern[index], index + 1


def _escaped(char: str) -> str:
    return "\\" + char if char in "\\^-[]" else char


def _class(pattern: str, start: int, negations: str, strict: bool) -> tuple[str, int]:
    """Translate ``[...]`` starting at ``start``; return the regex and the index after it.
    ``strict``: Go's ``path.Match``, where an unescaped ``-`` or ``]`` cannot be a range's
    end (``[a-]``, ``[]a]`` are invalid)."""
    index = start + 1
    negate = index < len(pattern) and pattern[index] in negations
    if negate:
        index += 1
    items: list[str] = []
    while index < len(pattern) and (pattern[index] != "]" or not items):
        if strict and pattern[index] in "-]":
            raise BadPattern(f"a bare {pattern[index]} in a class in {pattern!r}")
        low, index = _class_char(pattern, index)
        after = pattern[index + 1 : index + 2]
        if pattern[index : index + 1] == "-" and (strict or after not in ("", "]")):
            if strict and after in ("", "-", "]"):
                raise BadPattern(f"a range without an end in {pattern!r}")
            high, index = _class_char(pattern, index + 1)
            items.append(f"{_escaped(low)}-{_escaped(high)}")
        else:
            items.append(_escaped(low))
    if index >= len(pattern) or not items:
        raise BadPattern(f"unclosed or empty character class in {pattern!r}")
    return ("[^" if negate else "[") + "".join(items) + "]", index + 1


def _alternatives(pattern: str, start: int) -> tuple[list[str], int]:
    """Split ``{a,b}`` starting at ``start`` into its alternatives (nesting allowed)."""
    depth = 0
    parts: list[str] = []
    current = ""
    index = start + 1
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            current += pattern[index : index + 2]
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}" and depth == 0:
            parts.append(current)
            return parts, index + 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            index += 1
            continue
        current += char
        index += 1
    raise BadPattern(f"unclosed {{ in {pattern!r}")


def _literal(char: str) -> str:
    """``char`` as an RE2 literal."""
    return char if char.isalnum() and char.isascii() else f"\\x{{{ord(char):x}}}"


def _translate(pattern: str, separators: str, gobwas: bool) -> str:
    any_char = f"[^{''.join(_literal(c) for c in separators)}]" if separators else "."
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            if gobwas and pattern[index : index + 2] == "**":
                out += ".*"
                index += 2
                continue
            out += any_char + "*"
        elif char == "?":
            out += any_char
        elif char == "[":
            translated, index = _class(pattern, index, "!" if gobwas else "^", not gobwas)
            out += translated
            continue
        elif char == "{" and gobwas:
            parts, index = _alternatives(pattern, index)
            out += "(?:" + "|".join(_translate(p, separators, gobwas) for p in parts) + ")"
            continue
        elif char == "\\":
            if index + 1 >= len(pattern):
                raise BadPattern(f"trailing backslash in {pattern!r}")
            index += 1
            out += _literal(pattern[index])
        else:
            out += _literal(char)
        index += 1
    return out


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, separators: str, gobwas: bool) -> Any:
    try:
        return compile_re2("(?s)" + _translate(pattern, separators, gobwas))
    except (BadPattern, BadRegex, RecursionError):
        return None


def glob_match(pattern: str, value: str, separators: str = "") -> bool:
    """Match like gobwas/glob (Argo CD's ``glob.Match``); an invalid pattern matches nothing."""
    compiled = _compiled(pattern, separators, True)
    return compiled is not None and compiled.fullmatch(value) is not None


def path_match(pattern: str, value: str) -> bool:
    """Match like Go's ``path.Match``; an invalid pattern matches nothing."""
    compiled = _compiled(pattern, "/", False)
    return compiled is not None and compiled.fullmatch(value) is not None


def deny_aware_match(pattern: str, value: str, separators: str = "") -> bool:
    """Argo CD's ``globMatch`` with negation: ``!pattern`` matches what the pattern does not."""
    if pattern.startswith("!"):
        return not glob_match(pattern[1:], value, separators)
    if pattern == "*":
        return True
    return glob_match(pattern, value, separators)
