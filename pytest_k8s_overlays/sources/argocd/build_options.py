"""The ``kustomize.buildOptions`` of a committed ``argocd-cm``: only those that run nothing.

In Argo CD, ``argocd-cm`` is cluster configuration an admin applies; in the
repository the gate checks, it is a file any pull request may change. Its
build options reach the renderer only from an allow list of options that
neither run programs (``--enable-helm`` lets a kustomization's
``helmGlobals.configHome`` bring Helm plugins; ``--helm-command``,
``--enable-alpha-plugins``, ``--enable-exec``, ``--mount``, ``--network``,
``--env``), lift the load restrictor, nor write files (``--output``). The
user's own ``--overlays-argocd-build-options`` is trusted as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Options a repository file may set, each with whether it takes a value.
ALLOWED = {
    "--enable-managedby-label": False,
    "--helm-api-versions": True,
    "--helm-kube-version": True,
    "--helm-debug": False,
    "--reorder": True,
    "--stack-trace": False,
}
#: The load restrictor a repository file may name: the default, which restricts.
_RESTRICTOR = ("--load-restrictor", "LoadRestrictionsRootOnly")


@dataclass
class Filtered:
    """A repository's build options split into those used and those ignored."""

    kept: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _allowed(flag: str, value: str | None) -> bool:
    if flag == _RESTRICTOR[0]:
        return value == _RESTRICTOR[1]
    if flag not in ALLOWED:
        return False
    if ALLOWED[flag]:
        return value is not None
    return value in (None, "true", "false")


def repository_build_options(text: str) -> Filtered:
    """Split ``kustomize.buildOptions`` from a repository file into what may be used and what
    is ignored (anything not on the allow list, with the value it takes)."""
    tokens = text.split()
    result = Filtered()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        flag, equals, value = token.partition("=")
        taken = [token]
        if not equals:
            value = ""
            takes = ALLOWED.get(flag, True) or flag == _RESTRICTOR[0]
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            # A flag's value is the next word unless that is a flag itself; an unknown
            # flag takes it too, so a refused option never leaves its value behind.
            if takes and following is not None and not following.startswith("-"):
                value = following
                taken.append(following)
        index += len(taken)
        has_value = bool(equals) or len(taken) == 2
        if flag.startswith("-") and _allowed(flag, value if has_value else None):
            result.kept.extend(taken)
        else:
            result.refused.append(" ".join(taken))
    return result
