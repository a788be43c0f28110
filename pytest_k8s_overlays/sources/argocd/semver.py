"""Sprig's ``semver`` and ``semverCompare`` as Argo CD runs them: a port of
Masterminds/semver v3.4.0 (``NewVersion`` with coercion, ``NewConstraint``,
``Constraints.Check``). Patterns run on RE2, as in Go."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core.regex import compile_re2
from .gotemplate import TemplateError, Unsupported

_LOOSE = compile_re2(
    r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$"
)
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CONSTRAINT = compile_re2(rf"^\s*({_OPS})\s*({_CV})\s*$")
_RANGE = compile_re2(rf"\s*({_CV})\s+-\s+({_CV})\s*")
_FIND = compile_re2(rf"({_OPS})\s*({_CV})")
_VALID = compile_re2(rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*$")


class Version:
    """A ``*semver.Version``: printed as its String, its methods as fields."""

    def __init__(self, major: int, minor: int, patch: int, pre: str, meta: str, text: str):
        self.major, self.minor, self.patch = major, minor, patch
        self.pre, self.meta, self.original = pre, meta, text

    def __str__(self) -> str:
        out = f"{self.major}.{self.minor}.{self.patch}"
        out += f"-{self.pre}" if self.pre else ""
        return out + (f"+{self.meta}" if self.meta else "")

    def go_method(self, name: str) -> Any:
        methods = {
            "Major": self.major,
            "Minor": self.minor,
            "Patch": self.patch,
            "Prerelease": self.pre,
            "Metadata": self.meta,
            "Original": self.original,
        }
        if name not in methods:
            raise Unsupported(f"method {name} of a semantic version")
        return methods[name]


class SemverError(Exception):
    """Go's error text."""


def new_version(text: str) -> Version:
    """``semver.NewVersion`` (coercing: ``v1``, ``1.2`` are versions)."""
    match = _LOOSE.match(text)
    if match is None:
        raise SemverError("invalid semantic version")
    pre, meta = match.group(5) or "", match.group(8) or ""
    for part in pre.split(".") if pre else []:
        if part.isdigit() and len(part) > 1 and part.startswith("0"):
            raise SemverError("version segment starts with 0")
    numbers = [int(g.lstrip(".")) if g else 0 for g in match.group(1, 2, 3)]
    if any(n >= 1 << 64 for n in numbers):
        raise SemverError("error parsing version segment: value out of range")
    return Version(numbers[0], numbers[1], numbers[2], pre, meta, text)


def _segment(a: int, b: int) -> int:
    return (a > b) - (a < b)


def _pre_part(s: str, o: str) -> int:
    if s == o:
        return 0
    if not s:
        return -1
    if not o:
        return 1
    s_number, o_number = s.isdigit(), o.isdigit()
    if s_number and o_number:
        return _segment(int(s), int(o))
    if s_number:
        return -1
    if o_number:
        return 1
    return 1 if s > o else -1


def compare(v: Version, o: Version) -> int:
    """``Version.Compare``."""
    for a, b in ((v.major, o.major), (v.minor, o.minor), (v.patch, o.patch)):
        if a != b:
            return _segment(a, b)
    if not v.pre and not o.pre:
        return 0
    if not v.pre:
        return 1
    if not o.pre:
        return -1
    sparts, oparts = v.pre.split("."), o.pre.split(".")
    for i in range(max(len(sparts), len(oparts))):
        d = _pre_part(sparts[i] if i < len(sparts) else "", oparts[i] if i < len(oparts) else "")
        if d:
            return d
    return 0


class _Constraint:
    def __init__(self, text: str) -> None:
        match = _CONSTRAINT.match(text)
        if match is None:
            raise SemverError(f"improper constraint: {text}")
        self.op = match.group(1)
        major, minor, patch, pre = match.group(3), match.group(4), match.group(5), match.group(6)
        minor, patch, pre = minor or "", patch or "", pre or ""
        self.dirty = self.minor_dirty = self.patch_dirty = False
        version = match.group(2)
        if _is_x(major) or not major:
            version, self.dirty = f"0.0.0{pre}", True
        elif _is_x(minor.lstrip(".")) or not minor:
            version, self.dirty, self.minor_dirty = f"{major}.0.0{pre}", True, True
        elif _is_x(patch.lstrip(".")) or not patch:
            version, self.dirty, self.patch_dirty = f"{major}{minor}.0{pre}", True, True
        try:
            self.con = new_version(version)
        except SemverError:
            raise SemverError("constraint parser error") from None

    def check(self, v: Version, pre: bool) -> bool:
        if v.pre and not pre:
            return False
        checks: dict[str, Callable[[Version], bool]] = {
            "": self._tilde_or_equal,
            "=": self._tilde_or_equal,
            "!=": self._not_equal,
            ">": self._greater,
            "<": lambda v: compare(v, self.con) < 0,
            ">=": lambda v: compare(v, self.con) >= 0,
            "=>": lambda v: compare(v, self.con) >= 0,
            "<=": self._less_equal,
            "=<": self._less_equal,
            "~": self._tilde,
            "~>": self._tilde,
            "^": self._caret,
        }
        return checks[self.op](v)

    def _not_equal(self, v: Version) -> bool:
        c = self.con
        if self.dirty:
            if c.major != v.major:
                return True
            if c.minor != v.minor and not self.minor_dirty:
                return True
            if self.minor_dirty:
                return False
            if c.patch != v.patch and not self.patch_dirty:
                return True
            if self.patch_dirty:
                if v.pre or c.pre:
                    return (
                        compare(Version(0, 0, 0, v.pre, "", ""), Version(0, 0, 0, c.pre, "", ""))
                        != 0
                    )
                return False
        return compare(v, c) != 0

    def _greater(self, v: Version) -> bool:
        c = self.con
        if not self.dirty:
            return compare(v, c) == 1
        if v.major != c.major:
            return v.major > c.major
        if self.minor_dirty:
            return False
        if self.patch_dirty:
            return v.minor > c.minor
        return compare(v, c) == 1

    def _less_equal(self, v: Version) -> bool:
        c = self.con
        if not self.dirty:
            return compare(v, c) <= 0
        if v.major > c.major:
            return False
        return not (v.major == c.major and v.minor > c.minor and not self.minor_dirty)

    def _tilde(self, v: Version) -> bool:
        c = self.con
        if compare(v, c) < 0:
            return False
        if c.major == 0 and c.minor == 0 and c.patch == 0 and not self.dirty_parts():
            return True
        if v.major != c.major:
            return False
        return not (v.minor != c.minor and not self.minor_dirty)

    def dirty_parts(self) -> bool:
        return self.minor_dirty or self.patch_dirty

    def _tilde_or_equal(self, v: Version) -> bool:
        if self.dirty:
            return self._tilde(v)
        return compare(v, self.con) == 0

    def _caret(self, v: Version) -> bool:
        c = self.con
        if compare(v, c) < 0:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if v.minor > 0:
            return False
        return c.patch == v.patch


def _is_x(text: str) -> bool:
    return text in ("x", "*", "X")


def _rewrite_range(text: str) -> str:
    out = text
    for match in _RANGE.finditer(text):
        out = out.replace(match.group(0), f">= {match.group(1)}, <= {match.group(11)} ", 1)
    return out


def new_constraint(text: str) -> list[tuple[list[_Constraint], bool]]:
    """``semver.NewConstraint``: OR groups of AND constraints, and whether a group names a
    prerelease (then prereleases may match it)."""
    groups = []
    for part in _rewrite_range(text).split("||"):
        if _VALID.match(part) is None:
            raise SemverError(f"improper constraint: {part}")
        found = [m.group(0) for m in _FIND.finditer(part)] or [part]
        constraints = [_Constraint(c) for c in found]
        groups.append((constraints, any(c.con.pre for c in constraints)))
    return groups


def semver(text: str) -> Version:
    """Sprig's ``semver``."""
    try:
        return new_version(text)
    except SemverError as error:
        raise TemplateError(f"error calling semver: {error}") from None


def semver_compare(constraint: str, version: str) -> bool:
    """Sprig's ``semverCompare``."""
    try:
        groups = new_constraint(constraint)
        v = new_version(version)
    except SemverError as error:
        raise TemplateError(f"error calling semverCompare: {error}") from None
    return any(all(c.check(v, pre) for c in group) for group, pre in groups)


FUNCTIONS: dict[str, Callable[..., Any]] = {"semver": semver, "semverCompare": semver_compare}
SIGNATURES: dict[str, str] = {"semver": "s", "semverCompare": "ss"}
