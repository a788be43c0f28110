"""What an AppProject permits: destinations and kinds, as Argo CD decides them.

Pure predicates on :class:`.applications.ProjectRules` (Argo CD's
``app_project_types.go``): the application check and Argo CD discovery ask them.
"""

from __future__ import annotations

from .applications import ProjectRules
from .globs import deny_aware_match, path_match


def destination_permitted(rules: ProjectRules, server: str, name: str, namespace: str) -> bool:
    """``IsDestinationPermitted`` for a resolved cluster (server, name) and a namespace."""
    matched = False
    for item_server, item_name, item_namespace in rules.destinations:
        name_ok = bool(name) and deny_aware_match(item_name, name)
        server_ok = bool(server) and deny_aware_match(item_server, server)
        namespace_ok = deny_aware_match(item_namespace, namespace)
        if (server_ok or name_ok) and namespace_ok:
            matched = True
            continue
        # Go's precedence: a name denial refuses whatever the namespace.
        denied_cluster = (not name_ok and item_name.startswith("!")) or (
            not server_ok and item_server.startswith("!") and namespace_ok
        )
        if denied_cluster or (not namespace_ok and item_namespace.startswith("!") and server_ok):
            return False
    return matched


def _in_list(
    items: tuple[tuple[str, str, str], ...] | tuple[tuple[str, str], ...],
    group: str,
    kind: str,
    name: str,
) -> bool:
    for item in items:
        pattern = str(item[2]) if len(item) > 2 else ""
        if (
            path_match(item[1], kind)
            and path_match(item[0], group)
            and (not pattern or path_match(pattern, name))
        ):
            return True
    return False


def kind_permitted(rules: ProjectRules, group: str, kind: str, name: str, namespaced: bool) -> bool:
    """``IsGroupKindNamePermitted``."""
    if namespaced:
        white = rules.namespace_whitelist
        allowed = white is None or (bool(white) and _in_list(white, group, kind, name))
        return allowed and not _in_list(rules.namespace_blacklist, group, kind, name)
    white_list = rules.cluster_whitelist or ()
    return (
        bool(white_list)
        and _in_list(white_list, group, kind, name)
        and not _in_list(rules.cluster_blacklist, group, kind, name)
    )
