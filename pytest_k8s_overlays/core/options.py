"""One setting of the plugin: a flag, an ini key, a type, a default and a help line.

A value every layer may declare: the general settings are rows of the table in
:mod:`..config.settings`, and a check declares the options it reads next to
its rules (:mod:`..checks.base`), from which that table is completed.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["str", "float", "int", "bool", "list"]


@dataclass(frozen=True)
class Setting:
    """One setting: its flag(s), ini key, type, default and help."""

    name: str
    flags: tuple[str, ...]
    ini: str
    kind: Kind
    default: Any
    help: str
    metavar: str | None = None
    #: For a boolean: the flag that turns it off (``--overlays-no-cache``).
    negative: str | None = None
    #: For a list: how one value splits (``,``-separated words, or shell words).
    split: Literal["comma", "shell", "none"] = "comma"
    #: For a list: the command line adds to the ini file's list instead of replacing it.
    additive: bool = False
    #: Paths of a list are relative to the ini file (or the invocation directory).
    paths: bool = False
    #: An empty value is a usage error, from the flag and the ini file alike: it names
    #: nothing (an unset variable in a CI script), and the default would gate less.
    required: bool = False

    @property
    def dest(self) -> str:
        return self.ini

    @property
    def flag(self) -> str:
        return self.flags[0]


def words(text: str, split: str) -> list[str]:
    """One written value of a list setting as its items: comma-separated words, shell
    words, or the value whole; ValueError for shell words that do not split."""
    if split == "shell":
        try:
            return shlex.split(text)
        except ValueError as error:
            raise ValueError(f"{text!r} does not split like shell words: {error}") from None
    if split == "comma":
        return [part.strip() for part in text.split(",") if part.strip()]
    return [text]
