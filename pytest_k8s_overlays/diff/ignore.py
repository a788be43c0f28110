"""Ignore rules: resources, fields and lines left out of the diff, every use counted.

A rule is ``SELECTOR`` (a whole resource), ``SELECTOR:POINTER`` (one field) or
``[SELECTOR:]line:REGEX`` (the changed lines of a modified resource that REGEX
matches, searched in each line of the normalised, masked YAML): SELECTOR is
``Kind``, ``Kind/name`` (any namespace) or ``Kind/namespace/name``, each part a
glob (``*`` for any), POINTER a JSON pointer (``/metadata/labels/build``).
Argo CD's ``ignoreDifferences`` entries become rules of one Application with
their ``jsonPointers``; ``jqPathExpressions`` and ``managedFieldsManagers`` need
a jq engine or a live cluster: they are listed as not applied, never silently
dropped. There are no built-in rules.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .normalize import Identity


class RuleError(ValueError):
    """An ignore rule that does not parse."""


@dataclass(frozen=True)
class IgnoreRule:
    """Leave a resource, or one field of it, out of the diff."""

    kind: str
    namespace: str = "*"
    name: str = "*"
    pointer: str | None = None
    #: For Argo CD's rules: the API group they name ("" for the core group), or None.
    group: str | None = None
    #: How the footer names it (``--overlays-diff-ignore *:/metadata/labels/x``).
    origin: str = ""
    #: A line rule's pattern: changed lines it matches are left out.
    line: re.Pattern[str] | None = None

    def matches(self, ident: Identity) -> bool:
        if self.group is not None and self.group != ident.group:
            return False
        return (
            fnmatch.fnmatchcase(ident.kind, self.kind)
            and fnmatch.fnmatchcase(ident.namespace, self.namespace)
            and fnmatch.fnmatchcase(ident.name, self.name)
        )


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


#: What starts a line rule's pattern (a pointer starts with ``/``, a kind is CamelCase).
LINE = "line:"


def _line_rule(text: str, selector: str, pattern: str) -> IgnoreRule:
    if not pattern:
        raise RuleError(f"{text!r}: the line rule needs a regular expression after line:")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise RuleError(f"{text!r}: not a regular expression: {error}") from None
    base = parse_rule(selector)
    return IgnoreRule(base.kind, base.namespace, base.name, origin=text, line=compiled)


def parse_rule(text: str) -> IgnoreRule:
    """Read ``SELECTOR``, ``SELECTOR:POINTER`` or ``[SELECTOR:]line:REGEX``; RuleError
    for a malformed one."""
    if text.startswith(LINE):
        return _line_rule(text, "*", text[len(LINE) :])
    selector, sep, pointer = text.partition(":")
    if pointer.startswith(LINE):
        return _line_rule(text, selector, pointer[len(LINE) :])
    parts = selector.strip().split("/")
    if not all(parts) or len(parts) > 3:
        raise RuleError(f"{text!r}: the resource must be Kind, Kind/name or Kind/namespace/name")
    if sep and not pointer.startswith("/"):
        raise RuleError(f"{text!r}: the field must be a JSON pointer starting with /")
    kind, namespace, name = (
        (parts[0], "*", "*")
        if len(parts) == 1
        else (parts[0], "*", parts[1])
        if len(parts) == 2
        else (parts[0], parts[1], parts[2])
    )
    return IgnoreRule(kind, namespace, name, pointer if sep else None, origin=text)


def argocd_rules(application: str, entries: Iterable[Any]) -> tuple[list[IgnoreRule], list[str]]:
    """An Application's ``ignoreDifferences`` as rules, and what cannot be applied."""
    rules: list[IgnoreRule] = []
    skipped: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kind = str(entry.get("kind") or "*")
        namespace = str(entry.get("namespace") or "*")
        name = str(entry.get("name") or "*")
        group = entry.get("group")
        origin = f"ignoreDifferences of {application} ({kind} {name})"
        pointers = entry.get("jsonPointers")
        for pointer in pointers if isinstance(pointers, list) else []:
            if isinstance(pointer, str) and pointer.startswith("/"):
                rules.append(IgnoreRule(kind, namespace, name, pointer, str(group or ""), origin))
        for field in ("jqPathExpressions", "managedFieldsManagers"):
            if entry.get(field):
                skipped.append(f"{origin}: {field} not applied (needs jq or a live cluster)")
    return rules, skipped


def remove_pointer(raw: Mapping[str, Any], pointer: str) -> tuple[dict[str, Any], Any]:
    """A copy of ``raw`` without the value at ``pointer``, and that value (None: absent)."""
    result: dict[str, Any] = copy.deepcopy(dict(raw))
    steps = [_unescape(part) for part in pointer.split("/")[1:]]
    node: Any = result
    for step in steps[:-1]:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return result, None
    last = steps[-1] if steps else ""
    if isinstance(node, dict) and last in node:
        return result, node.pop(last)
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return result, node.pop(int(last))
    return result, None


def apply_fields(
    rules: Iterable[IgnoreRule],
    ident: Identity,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, list[str]]:
    """Both sides without the ignored fields, and the rules that hid a difference."""
    used: list[str] = []
    for rule in rules:
        if rule.pointer is None or not rule.matches(ident):
            continue
        old = new = None
        if before is not None:
            before, old = remove_pointer(before, rule.pointer)
        if after is not None:
            after, new = remove_pointer(after, rule.pointer)
        if before is not None and after is not None and old != new:
            used.append(rule.origin)
    return before, after, used


def resource_rule(rules: Iterable[IgnoreRule], ident: Identity) -> str | None:
    """The rule that leaves the whole resource out, if any."""
    return next(
        (r.origin for r in rules if r.pointer is None and r.line is None and r.matches(ident)),
        None,
    )


def _hit(rules: Iterable[IgnoreRule], text: str) -> IgnoreRule | None:
    return next((r for r in rules if r.line is not None and r.line.search(text)), None)


def apply_lines(
    rules: Iterable[IgnoreRule], ident: Identity, before: str, after: str
) -> tuple[str, str, list[str]]:
    """Both texts of a modified resource without the lines its line rules match, and
    the rule of each changed line they hid (a replaced line counts once)."""
    mine = [r for r in rules if r.line is not None and r.matches(ident)]
    if not mine or before == after:
        return before, after, []
    old, new = before.splitlines(), after.splitlines()
    used: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed = [hit.origin for t in old[i1:i2] if (hit := _hit(mine, t)) is not None]
        added = [hit.origin for t in new[j1:j2] if (hit := _hit(mine, t)) is not None]
        used += removed if len(removed) >= len(added) else added

    def kept(lines: list[str]) -> str:
        return "\n".join(t for t in lines if _hit(mine, t) is None)

    return kept(old), kept(new), used
