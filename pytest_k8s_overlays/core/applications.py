"""What Argo CD mode puts on a deployable: how to render it, and what is known of it.

Plain frozen values, hashable, so that two Applications with the same path but
different overrides are two renders, and equal ones one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KUSTOMIZE = "kustomize"
DIRECTORY = "directory"
HELM = "helm"


def canonical(value: Any) -> str:
    """A value as canonical JSON: what a recipe holds and the cache key reads."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class SourcePlan:
    """One source of an Application, as Argo CD renders it (after ``.argocd-source`` files)."""

    type: str
    #: The source directory (absolute) and the repository root it lies in.
    path: Path
    root: Path
    #: The merged ``kustomize`` (or ``directory``) block, canonical JSON.
    settings: str
    #: The ``ARGOCD_APP_*`` variables of this source.
    env: tuple[tuple[str, str], ...] = ()
    #: ``kustomize.buildOptions``, split on spaces.
    build_options: tuple[str, ...] = ()
    #: The ``.argocd-source`` files merged into it.
    merged: tuple[Path, ...] = ()
    #: The path as the Application writes it.
    shown: str = ""
    #: A Helm source's value files and file parameters, resolved inside the repository.
    value_files: tuple[Path, ...] = ()
    file_parameters: tuple[tuple[str, Path], ...] = ()

    @property
    def overrides(self) -> dict[str, Any]:
        loaded = json.loads(self.settings)
        return loaded if isinstance(loaded, dict) else {}

    def describe(self) -> str:
        """``k8s/overlays/auth`` with what Argo CD changes in it, for messages."""
        notes = []
        fields = sorted(k for k, v in self.overrides.items() if v not in (None, "", [], {}, False))
        if fields:
            notes.append(f"{self.type} overrides: {', '.join(fields)}")
        elif self.type == DIRECTORY:
            notes.append("plain directory")
        if self.merged:
            notes.append("with " + ", ".join(p.name for p in self.merged))
        return self.shown + (f" ({'; '.join(notes)})" if notes else "")


#: How a Recipe's error starts when the emulation, not Argo CD, cannot evaluate it.
UNSUPPORTED = "not supported by this emulation"


@dataclass(frozen=True)
class Recipe:
    """How Argo CD renders one Application: its local sources, in order, and the
    destination namespace; or why it renders nothing."""

    sources: tuple[SourcePlan, ...]
    namespace: str = ""
    error: str | None = None
    #: True when ``error`` is the cause one of the Application's problems reports (an
    #: ApplicationSet, or a file, that generates nothing): its ``application`` item then
    #: reports it, and its ``render`` item defers to that one.
    explained: bool = False
    #: The manifest file (as shown) that is not valid YAML and on which its directory
    #: source's read fails, and the (group, name) of that file's own deployable, whose
    #: ``application`` item reports it: this one's items then defer to that one.
    blocked_by: tuple[str, str, str] | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        return " + ".join(s.describe() for s in self.sources) or "no local source"

    def sort_key(self) -> str:
        return canonical([[str(s.path), s.settings] for s in self.sources])


@dataclass(frozen=True)
class Problem:
    """An Application-level finding known before rendering."""

    rule: str
    path: str
    found: str
    expected: str


@dataclass(frozen=True)
class ProjectRules:
    """An AppProject of the instance: the rules Argo CD applies to its Applications."""

    name: str
    source_repos: tuple[str, ...]
    #: (server, name, namespace) patterns.
    destinations: tuple[tuple[str, str, str], ...]
    #: (group, kind, name) patterns; None when the list is not set.
    cluster_whitelist: tuple[tuple[str, str, str], ...] | None
    cluster_blacklist: tuple[tuple[str, str, str], ...]
    #: (group, kind) patterns; None when the list is not set.
    namespace_whitelist: tuple[tuple[str, str], ...] | None
    namespace_blacklist: tuple[tuple[str, str], ...]
    defined_in: str = ""
    #: Why Argo CD would refuse the AppProject itself (a scalar where a list belongs).
    error: str = ""


@dataclass(frozen=True)
class AppFacts:
    """What discovery knows of an Application: who it is, its problems, its project."""

    #: ``Application/argocd/dev-api-auth``.
    ref: str
    instance: str
    #: The sources as messages show them.
    source: str
    #: The manifest that defines it, as shown.
    defined_in: str
    problems: tuple[Problem, ...] = ()
    project: ProjectRules | None = None
    #: The destination cluster (server, name) as resolved, and namespace.
    destination: tuple[str, str, str] = ("", "", "")
    #: Its ``spec.ignoreDifferences`` as canonical JSON ("" when none): what
    #: pull-request mode's diff leaves out of it, as Argo CD's does.
    ignore_differences: str = ""
