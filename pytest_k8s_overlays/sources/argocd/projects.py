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


def _named_kinds(value: Any) -> tuple[tuple[str, str, str], ...]:
    entries = [as_dict(item) for item in value or []]
    return tuple(
        (_text(e.get("group")), _text(e.get("kind")), _text(e.get("name"))) for e in entries
    )


def _kinds(value: Any) -> tuple[tuple[str, str], ...]:
    entries = [as_dict(item) for item in value or []]
    return tuple((_text(e.get("group")), _text(e.get("kind"))) for e in entries)


def project_rules(manifest: Mapping[str, Any], defined_in: str = "") -> ProjectRules:
    """The rules of an AppProject manifest."""
    spec = as_dict(manifest.get("spec"))
    name = _text(as_dict(manifest.get("metadata")).get("name"))
    destinations = tuple(
        (_text(d.get("server")), _text(d.get("name")), _text(d.get("namespace")))
        for d in (as_dict(item) for item in spec.get("destinations") or [])
    )
    cluster_white = spec.get("clusterResourceWhitelist")
    namespace_white = spec.get("namespaceResourceWhitelist")
    return ProjectRules(
        name=name,
        source_repos=tuple(_text(r) for r in spec.get("sourceRepos") or []),
        destinations=destinations,
        cluster_whitelist=None if cluster_white is None else _named_kinds(cluster_white),
        cluster_blacklist=_named_kinds(spec.get("clusterResourceBlacklist")),
        namespace_whitelist=None if namespace_white is None else _kinds(namespace_white),
        namespace_blacklist=_kinds(spec.get("namespaceResourceBlacklist")),
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
