"""application: what Argo CD itself would refuse or fight over in an Application.

Rules known before rendering come from discovery (:mod:`..argocd.discovery`),
on the deployable: ``duplicate-name`` (two Applications of one name in one
namespace of an instance, from two ApplicationSets or an ApplicationSet and a
standalone Application), ``duplicate-generated-name`` (an ApplicationSet
generating one name twice), ``invalid-applicationset``, ``invalid-application``
(a ``kustomize`` override of a shape the Application CRD refuses: ``images`` as
maps, not strings), ``source-path``
(missing, absolute or outside the repository), ``foreign-repo-url`` (a
repoURL Argo CD does not take for this repository, with a path that exists
here: not gated), ``unresolved-template`` (a
template key the parameters do not hold), ``unknown-cluster`` (when the
instance declares its clusters), ``unknown-project`` (when the instance
declares AppProjects), and the AppProject's ``source-repo`` and
``destination``. Rules on the rendered resources, when the instance declares
the Application's AppProject: ``cluster-resource`` (a cluster-scoped kind the
``clusterResourceWhitelist`` does not allow, or the blacklist denies),
``namespace-resource`` (a namespaced kind the ``namespaceResourceBlacklist``
denies or the whitelist leaves out), and ``destination`` for a resource
written into a namespace the project's destinations do not allow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.applications import AppFacts, ProjectRules
from ..core.findings import Finding, finding
from ..core.permissions import destination_permitted, kind_permitted
from ..core.provenance import Provenance
from ..core.resources import Overlay, Resource
from ..parse.scopes import crd_scopes, is_cluster_scoped
from .base import CheckOptions

CHECK_ID = "application"


def _spec_findings(overlay: Overlay, facts: AppFacts) -> Iterator[Finding]:
    for problem in facts.problems:
        yield Finding(
            overlay.name,
            facts.ref,
            problem.path,
            CHECK_ID,
            problem.rule,
            problem.found,
            problem.expected,
            Provenance.of(facts.defined_in),
        )


def _kind_finding(
    overlay: Overlay, resource: Resource, rules: ProjectRules, namespaced: bool
) -> Finding:
    rule = "namespace-resource" if namespaced else "cluster-resource"
    listed = "namespaceResourceBlacklist/Whitelist" if namespaced else "clusterResourceWhitelist"
    group = resource.group or '""'
    return finding(
        overlay,
        resource,
        CHECK_ID,
        rule,
        "kind",
        f"{group}/{resource.kind} is not permitted in project {rules.name}",
        f"a kind the project's {listed} allows ({rules.defined_in})",
    )


def _namespace_finding(overlay: Overlay, resource: Resource, rules: ProjectRules) -> Finding:
    allowed = ", ".join(ns for _, _, ns in rules.destinations) or "none"
    return finding(
        overlay,
        resource,
        CHECK_ID,
        "destination",
        "metadata.namespace",
        f"namespace {resource.namespace} is not permitted in project {rules.name}",
        f"a namespace of the project's destinations ({allowed})",
    )


def _resource_findings(
    overlay: Overlay, facts: AppFacts, crd_files: Sequence[Path]
) -> Iterator[Finding]:
    rules = facts.project
    if rules is None or rules.error:
        return  # an invalid project is one finding (invalid-project), not one per resource
    scopes = crd_scopes([overlay], crd_files)
    server, name, _ = facts.destination
    for resource in overlay.resources:
        if not resource.kind:
            continue
        namespaced = not is_cluster_scoped(resource, scopes)
        if not kind_permitted(rules, resource.group, resource.kind, resource.name, namespaced):
            yield _kind_finding(overlay, resource, rules, namespaced)
        elif (
            namespaced
            and resource.namespace
            and not destination_permitted(rules, server, name, resource.namespace)
        ):
            yield _namespace_finding(overlay, resource, rules)


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Report what Argo CD would refuse in each Application, and what its project forbids."""
    found: list[Finding] = []
    for overlay in overlays:
        facts = overlay.deployable.application if overlay.deployable is not None else None
        if facts is None:
            continue
        found.extend(_spec_findings(overlay, facts))
        found.extend(_resource_findings(overlay, facts, options.crds))
    return sorted(set(found))
