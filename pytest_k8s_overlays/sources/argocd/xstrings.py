"""Sprig's ``kebabcase``, ``snakecase`` and ``camelcase``: huandu/xstrings v1.5's
``ToKebabCase``, ``ToSnakeCase`` and ``ToPascalCase``, step for step.

Its word splitting keeps an abbreviation together (``HTTPServer`` is
``http-server``), splits digits from letters (``http2xx`` is ``http_2xx``) and
lower-cases an all-capitals word (``GOLANG_IS_GREAT`` is ``GolangIsGreat``).
"""

from __future__ import annotations

import unicodedata

_INVALID, _NUMBER, _UPPER_CASE, _ALPHABET, _CONNECTOR, _PUNCT, _OTHER = range(7)
_RUNE_ERROR = "\ufffd"


def _upper(char: str) -> str:
    """Go's ``unicode.ToUpper``: one rune to one rune (``ß`` stays)."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _lower(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char


def _is_upper(char: str) -> bool:
    return unicodedata.category(char) == "Lu"


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def _is_number(char: str) -> bool:
    return unicodedata.category(char).startswith("N")


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def _is_connector(char: str) -> bool:
    return char in "-_" or char.isspace()


def _is_alphabet(char: str) -> bool:
    """xstrings' ``isAlphabet``: a letter, not a CJK ideograph."""
    if not _is_letter(char):
        return False
    code = ord(char)
    return not (0x4E00 <= code <= 0x9FCC or 0x3400 <= code <= 0x4D85 or 0x20000 <= code <= 0x2B81D)


def _run(text: str, start: int, keep: object) -> int:
    """The end of the run from ``start`` of characters ``keep`` accepts."""
    end = start
    while end < len(text) and keep(text[end]):  # type: ignore[operator]
        end += 1
    return end


def _next_word(text: str) -> tuple[int, str, str]:
    """xstrings' ``nextWord``: the kind of the first word, the word, the rest."""
    if not text:
        return _INVALID, "", ""
    first = text[0]
    if first == _RUNE_ERROR:
        return _INVALID, first, text[1:]
    if _is_connector(first):
        kind, end = _CONNECTOR, _run(text, 1, _is_connector)
    elif _is_punct(first):
        kind, end = _PUNCT, _run(text, 1, _is_punct)
    elif _is_upper(first):
        kind, end = _UPPER_CASE, _upper_word_end(text)
    elif _is_alphabet(first):
        kind, end = _ALPHABET, _run(text, 1, lambda c: _is_alphabet(c) and not _is_upper(c))
    elif _is_number(first):
        kind, end = _NUMBER, _run(text, 1, _is_number)
    else:
        kind = _OTHER
        end = _run(
            text,
            1,
            lambda c: not (_is_connector(c) or _is_alphabet(c) or _is_number(c) or _is_punct(c)),
        )
    return kind, text[:end], text[end:]


def _upper_word_end(text: str) -> int:
    """Where a word starting with a capital ends: ``HTTPServer`` is ``HTTP`` and ``Server``."""
    if len(text) == 1:
        return 1
    if _is_upper(text[1]):
        end = _run(text, 1, _is_upper)
        if end < len(text) and _is_alphabet(text[end]):
            end -= 1  # the last capital starts the next word
        return end
    if _is_alphabet(text[1]):
        return _run(text, 1, lambda c: _is_alphabet(c) and not _is_upper(c))
    return 1


def _to_lower(out: list[str], kind: int, word: str, connector: str) -> None:
    if kind not in (_UPPER_CASE, _CONNECTOR):
        out.append(word)
        return
    out.extend(connector if _is_connector(c) else _lower(c) for c in word)


def _lower_case(text: str, connector: str) -> str:
    """xstrings' ``camelCaseToLowerCase``."""
    if not text:
        return ""
    out: list[str] = []
    kind, word, rest = _next_word(text)
    while rest:
        if kind != _CONNECTOR:
            _to_lower(out, kind, word, connector)
        previous, last = kind, word
        kind, word, rest = _next_word(rest)
        if previous == _NUMBER:
            while kind in (_ALPHABET, _NUMBER):
                _to_lower(out, kind, word, connector)
                kind, word, rest = _next_word(rest)
            if kind not in (_INVALID, _PUNCT, _CONNECTOR):
                out.append(connector)
        elif previous == _CONNECTOR:
            _to_lower(out, previous, last, connector)
        elif previous != _PUNCT:
            kind, word, rest = _after_word(out, kind, word, rest, connector)
    _to_lower(out, kind, word, connector)
    return "".join(out)


def _after_word(
    out: list[str], kind: int, word: str, rest: str, connector: str
) -> tuple[int, str, str]:
    """The ``default`` case of ``camelCaseToLowerCase``: a word followed by ``kind``."""
    if kind != _NUMBER:
        if kind not in (_CONNECTOR, _PUNCT):
            out.append(connector)
        return kind, word, rest
    if not rest:
        return kind, word, rest
    last = word
    kind, word, rest = _next_word(rest)
    if kind != _ALPHABET:
        # A number ends the word it follows: "Bld4Floor" is "bld4_floor".
        _to_lower(out, _NUMBER, last, connector)
        if kind not in (_CONNECTOR, _PUNCT):
            out.append(connector)
        return kind, word, rest
    # Lower-case letters after a number start a word with it: "HTTP2xx" is "http_2xx".
    out.append(connector)
    _to_lower(out, _NUMBER, last, connector)
    while kind in (_ALPHABET, _NUMBER):
        _to_lower(out, kind, word, connector)
        kind, word, rest = _next_word(rest)
    if kind not in (_INVALID, _CONNECTOR, _PUNCT):
        out.append(connector)
    return kind, word, rest


def to_snake_case(text: str) -> str:
    """xstrings' ``ToSnakeCase`` (Sprig's ``snakecase``)."""
    return _lower_case(text, "_")


def to_kebab_case(text: str) -> str:
    """xstrings' ``ToKebabCase`` (Sprig's ``kebabcase``)."""
    return _lower_case(text, "-")


def to_pascal_case(text: str) -> str:
    """xstrings' ``ToPascalCase`` (Sprig 3.3's ``camelcase``)."""
    if not text:
        return ""
    out: list[str] = []
    index, current, first_upper = 0, "", False
    while index < len(text):
        current = text[index]
        index += 1
        if not _is_connector(current):
            first_upper = _is_upper(current)
            current = _upper(current)
            break
        out.append(current)
    if index == len(text):
        out.append(current)  # xstrings writes the last rune again: "__" is "___"
        return "".join(out)
    for char in text[index:]:
        previous, current = current, char
        if _is_connector(current) and _is_connector(previous):
            out.append(previous)
            continue
        if _is_connector(previous):
            first_upper = _is_upper(current)
            current = _upper(current)
        else:
            if first_upper:
                if _is_upper(current):
                    current = _lower(current)
                else:
                    first_upper = False
            out.append(previous)
    out.append(current)
    return "".join(out)
