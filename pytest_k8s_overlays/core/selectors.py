"""Label selectors: which pod labels a Service, PodDisruptionBudget or NetworkPolicy selects.

Two shapes exist in Kubernetes:

- the *equality map* of a Service (``spec.selector: {app: api}``): every pair
  must match; a missing or empty map selects nothing (the Service then has
  its own Endpoints, or is an ExternalName);
- the *LabelSelector* of a PodDisruptionBudget (``spec.selector``) or a
  NetworkPolicy (``spec.podSelector``): ``matchLabels`` plus
  ``matchExpressions`` with ``In``, ``NotIn``, ``Exists`` and
  ``DoesNotExist``; a missing (null) selector selects nothing, an empty one
  (``{}``) selects every pod of its namespace.

A malformed selector (a list where a map belongs, a map as a label value, an
expression that is not a map) is parsed as selecting nothing: the API server
rejects it, the schema check says why, and no other check judges pods such a
selector never reaches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The operator of a ``matchLabels`` pair or a Service selector pair.
EQUALS = "="
#: The ``matchExpressions`` operators Kubernetes knows.
OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


@dataclass(frozen=True, order=True)
class Requirement:
    """One condition on one label key: ``key=value``, ``key in (a,b)``, ``!key``..."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Tell whether pod labels satisfy this condition."""
        if self.operator in (EQUALS, "In"):
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        # The API server rejects an unknown operator; selecting nothing keeps
        # the checks from reporting pods such a selector never reaches.
        return False

    def __str__(self) -> str:
        if self.operator == EQUALS:
            return f"{self.key}={self.values[0] if self.values else ''}"
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        word = {"In": "in", "NotIn": "notin"}.get(self.operator, self.operator)
        return f"{self.key} {word} ({','.join(self.values)})"


@dataclass(frozen=True)
class Selector:
    """A parsed selector; no requirement at all means it selects every pod."""

    requirements: tuple[Requirement, ...] = ()

    @property
    def selects_everything(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Tell whether a pod with these labels is selected."""
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        if not self.requirements:
            return "{} (every pod)"
        return ",".join(str(r) for r in self.requirements)


#: Label values as YAML may write them; a map or a list is no label value.
_SCALARS = (str, int, float, bool)


def _text(value: Any) -> str:
    # YAML turns `version: 1` or `canary: true` into numbers and booleans; the
    # model stringifies pod labels the same way, so both sides compare alike.
    return str(value)


def _pairs(value: Any) -> list[Requirement] | None:
    """The ``key=value`` requirements of an equality map; None when it is malformed."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return None
    if not all(isinstance(v, _SCALARS) or v is None for v in value.values()):
        return None
    return [Requirement(str(k), EQUALS, (_text(v),)) for k, v in value.items()]


def service_selector(spec: Mapping[str, Any]) -> Selector | None:
    """Parse a Service's ``spec.selector``; None when it selects nothing.

    A Service without a selector (or with ``{}``) has its Endpoints managed
    by someone else, and an ExternalName Service ignores its selector.
    """
    if spec.get("type") == "ExternalName":
        return None
    requirements = _pairs(spec.get("selector"))
    return Selector(tuple(sorted(requirements))) if requirements else None


def _expression(entry: Any) -> Requirement | None:
    if not isinstance(entry, Mapping):
        return None
    key, operator, values = entry.get("key"), entry.get("operator"), entry.get("values")
    if not isinstance(key, str) or not isinstance(operator, str):
        return None
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, _SCALARS) for v in values):
        return None
    return Requirement(key, operator, tuple(sorted(_text(v) for v in values)))


def label_selector(value: Any) -> Selector | None:
    """Parse a LabelSelector; None (selects nothing) when it is missing or malformed."""
    if not isinstance(value, Mapping):
        return None
    requirements = _pairs(value.get("matchLabels"))
    expressions = value.get("matchExpressions")
    if requirements is None or (expressions is not None and not isinstance(expressions, list)):
        return None
    for entry in expressions or []:
        requirement = _expression(entry)
        if requirement is None:
            return None
        requirements.append(requirement)
    return Selector(tuple(sorted(requirements)))


@dataclass(frozen=True)
class SelectorSite:
    """Where a resource keeps the selector that picks its pods."""

    path: str
    selector: Selector


def selector_of(kind: str, raw: Mapping[str, Any]) -> SelectorSite | None:
    """Return the pod selector of a Service, PodDisruptionBudget or NetworkPolicy."""
    spec = raw.get("spec")
    if not isinstance(spec, Mapping):
        return None
    parsed: Selector | None = None
    path = "spec.selector"
    if kind == "Service":
        parsed = service_selector(spec)
    elif kind == "PodDisruptionBudget":
        parsed = label_selector(spec.get("selector"))
    elif kind == "NetworkPolicy":
        path = "spec.podSelector"
        parsed = label_selector(spec.get("podSelector"))
    return SelectorSite(path, parsed) if parsed is not None else None


#: One requirement of a selector written as text (``labels.Parse``): ``!key``, ``key``,
#: ``key=value`` (``==``, ``!=``), ``key in (a,b)``, ``key notin (a,b)``.
_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_VALUE = r"[A-Za-z0-9._-]*"
_TEXT_REQUIREMENT = re.compile(
    rf"\s*(?:!\s*(?P<absent>{_KEY})|(?P<key>{_KEY})\s*(?:(?P<op>==|!=|=)\s*(?P<value>{_VALUE})"
    rf"|\s(?P<set>in|notin)\s*\((?P<values>\s*{_VALUE}(?:\s*,\s*{_VALUE})*\s*)\))?)\s*"
)
_SET_OPERATORS = {"in": "In", "notin": "NotIn"}


def _split_top_level(text: str) -> list[str] | None:
    """The comma-separated parts of ``text``, commas inside parentheses kept."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth not in (0, 1):
            return None
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]] if depth == 0 else None


def _text_requirement(part: str) -> Requirement | None:
    match = _TEXT_REQUIREMENT.fullmatch(part)
    if match is None:
        return None
    if match["absent"]:
        return Requirement(match["absent"], "DoesNotExist")
    key = match["key"]
    if match["op"]:
        operator = "NotIn" if match["op"] == "!=" else EQUALS
        return Requirement(key, operator, (match["value"],))
    if match["set"]:
        values = tuple(sorted(v.strip() for v in match["values"].split(",")))
        return Requirement(key, _SET_OPERATORS[match["set"]], values)
    return Requirement(key, "Exists")


def parse_selector_text(text: str) -> Selector | None:
    """Parse a selector written as text (a Kustomize target's ``labelSelector``), as
    Kubernetes' ``labels.Parse`` reads it; None when it does not parse."""
    parts = _split_top_level(text)
    if parts is None:
        return None
    if not text.strip():
        return Selector()
    requirements = [_text_requirement(part) for part in parts]
    if any(r is None for r in requirements):
        return None
    return Selector(tuple(r for r in requirements if r is not None))
