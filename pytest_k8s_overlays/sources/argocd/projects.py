"""AppProject rules, as Argo CD applies them (``app_project_types.go``).

- ``sourceRepos``: normalised URLs, gobwas globs with ``/`` as separator,
  ``!`` entries deny (a deny that matches refuses at once; one that does not
  match counts as a match);
- ``destinations``: server or name, and namespace, globs without separator,
  ``!`` denials;
- ``clusterResourceWhitelist`` (unset or empty: no cluster-scoped resource)
  and ``clusterResourceBlacklist``; ``namespaceResourceWhitelist`` (unset: all;
  present but empty: none) and ``namespaceResourceBlacklist``; kinds and groups
  match like Go's ``filepath.Match``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.applications import ProjectRules
from ...core.fields import as_dict
from ...core.globs import deny_aware_match
from .repo import normalize_url


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class ProjectError(ValueError):
    """An AppProject field of the wrong shape; the message names it."""


def _entries(value: Any, what: str) -> list[dict[str, Any]]:
    """The map entries of a list field (unset: none); a scalar or map is ProjectError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProjectError(f"spec.{what} must be a list")
    return [as_dict(item) for item in value]


def _named_kinds(value: Any, what: str) -> tuple[tuple[str, str, str], ...]:
    entries = _entries(value, what)
    return tuple(
        (_text(e.get("group")), _text(e.get("kind")), _text(e.get("name"))) for e in entries
    )


def _kinds(value: Any, what: str) -> tuple[tuple[str, str], ...]:
    entries = _entries(value, what)
    return tuple((_text(e.get("group")), _text(e.get("kind"))) for e in entries)


def project_rules(manifest: Mapping[str, Any], defined_in: str = "") -> ProjectRules:
    """The rules of an AppProject manifest; one Argo CD would refuse permits nothing and
    says why in ``error``."""
    name = _text(as_dict(manifest.get("metadata")).get("name"))
    try:
        return _rules(as_dict(manifest.get("spec")), name, defined_in)
    except ProjectError as error:
        refused = ProjectRules(name, (), (), (), (), (), (), defined_in, str(error))
        return refused


def _rules(spec: Mapping[str, Any], name: str, defined_in: str) -> ProjectRules:
    destinations = tuple(
        (_text(d.get("server")), _text(d.get("name")), _text(d.get("namespace")))
        for d in _entries(spec.get("destinations"), "destinations")
    )
    repos = spec.get("sourceRepos")
    if repos is not None and not isinstance(repos, list):
        raise ProjectError("spec.sourceRepos must be a list")
    cluster_white = spec.get("clusterResourceWhitelist")
    namespace_white = spec.get("namespaceResourceWhitelist")
    return ProjectRules(
        name=name,
        source_repos=tuple(_text(r) for r in repos or []),
        destinations=destinations,
        cluster_whitelist=None
        if cluster_white is None
        else _named_kinds(cluster_white, "clusterResourceWhitelist"),
        cluster_blacklist=_named_kinds(
            spec.get("clusterResourceBlacklist"), "clusterResourceBlacklist"
        ),
        namespace_whitelist=None
        if namespace_white is None
        else _kinds(namespace_white, "namespaceResourceWhitelist"),
        namespace_blacklist=_kinds(
            spec.get("namespaceResourceBlacklist"), "namespaceResourceBlacklist"
        ),
        defined_in=defined_in,
    )


#: The project Argo CD creates when none named ``default`` exists.
DEFAULT_PROJECT = ProjectRules(
    name="default",
    source_repos=("*",),
    destinations=(("*", "", "*"),),
    cluster_whitelist=(("*", "*", ""),),
    cluster_blacklist=(),
    namespace_whitelist=None,
    namespace_blacklist=(),
)


def source_permitted(rules: ProjectRules, url: str) -> bool:
    """``IsSourcePermitted``."""
    source = normalize_url(url)
    matched = False
    for pattern in rules.source_repos:
        deny = pattern.startswith("!")
        normalized = ("!" + normalize_url(pattern[1:])) if deny else normalize_url(pattern)
        if deny_aware_match(normalized, source, "/"):
            matched = True
        elif deny:
            return False
    return matched
