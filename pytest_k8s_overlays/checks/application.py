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

from ..core.application_rules import (
    APPLICATION_CHECK,
    CLUSTER_RESOURCE,
    DESTINATION,
    DUPLICATE_GENERATED_NAME,
    DUPLICATE_NAME,
    FOREIGN_REPO_URL,
    INVALID_APPLICATION,
    INVALID_APPLICATIONSET,
    INVALID_PROJECT,
    NAMESPACE_RESOURCE,
    SOURCE_PATH,
    SOURCE_REPO,
    UNKNOWN_CLUSTER,
    UNKNOWN_PROJECT,
    UNRESOLVED_TEMPLATE,
)
from ..core.applications import AppFacts, ProjectRules
from ..core.deployables import APPLICATION
from ..core.findings import Finding, finding
from ..core.permissions import destination_permitted, kind_permitted
from ..core.provenance import Provenance
from ..core.resources import Overlay, Resource
from ..parse.scopes import crd_scopes, is_cluster_scoped
from .base import CheckOptions, Rule, declare

CHECK_ID = APPLICATION_CHECK

CHECK = declare(
    __name__,
    CHECK_ID,
    "overlay",
    summary=(
        "an Argo CD Application Argo CD accepts: a unique name, its source path, resolved "
        "templates, a known cluster and project, what its AppProject permits"
    ),
    catches=(
        "what Argo CD itself would refuse or fight over: two Applications of one name, a "
        "duplicate generated name, a broken ApplicationSet, a missing source path, a source of "
        "another repository whose path exists here, an unresolved template key, an unknown "
        "cluster or project, what the AppProject forbids ([Argo CD mode](#argo-cd-mode))"
    ),
    kinds=frozenset({APPLICATION}),
    needs_render=False,
    rules=(
        Rule(
            DUPLICATE_NAME,
            hint=(
                "rename one of the two Applications, or delete the standalone one the "
                "ApplicationSet now generates: Argo CD keeps overwriting one with the other"
            ),
            doc=(
                "two Applications with one name in one namespace of an instance: from two "
                "ApplicationSets, or an ApplicationSet and a standalone Application (a hotfix "
                "Application the ApplicationSet now generates too). Argo CD keeps overwriting "
                "one with the other. Both get a finding naming the other's manifest."
            ),
        ),
        Rule(
            DUPLICATE_GENERATED_NAME,
            hint=(
                "make the template's metadata.name unique per parameter set (add the parameter "
                "that differs, e.g. '{{name}}-{{env}}'); Argo CD creates none of the "
                "Applications that share a name"
            ),
            doc=(
                "an ApplicationSet generating one name for two parameter sets (`{{name}}` "
                "where two clusters share a name). Argo CD creates none of those Applications."
            ),
        ),
        Rule(
            INVALID_APPLICATIONSET,
            hint=(
                "fix the generator or template the message names; until then Argo CD creates, "
                "updates and deletes none of the ApplicationSet's Applications"
            ),
            doc=(
                "an ApplicationSet Argo CD fails on: a template that does not parse or execute "
                '(`function "x" not defined`, `map has no entry for key` with '
                "`missingkey=error`), a "
                "`matrix` without two generators, non-string `list` values with fasttemplate. It "
                "generates nothing; its own item shows the reason."
            ),
        ),
        Rule(
            SOURCE_PATH,
            hint=(
                "point the source's path at a directory of this repository, relative to its "
                "root (no leading / and no .. out of it)"
            ),
            doc=(
                "a source `path` that does not exist, is absolute, or climbs out of the "
                "repository (`app path does not exist`). Nothing renders."
            ),
        ),
        Rule(
            FOREIGN_REPO_URL,
            hint=(
                "if the repoURL names this repository (another host name, a mirror), give it "
                "with --overlays-argocd-repo (ini overlays_argocd_repo); if it names another "
                "repository whose path only happens to exist here, leave the rule out with "
                "--overlays-skip-checks=foreign-repo-url"
            ),
            doc=(
                "a source whose `repoURL` names another repository than this one while its "
                "`path` exists here: Argo CD deploys that repository's files, the gate does "
                "not render them. Another spelling of this repository is this repository, not "
                "a finding: Argo CD's `SameURL`, or the same host and path once scheme, user, "
                "port, `www.`, `.git`, a fragment and extra slashes are set aside "
                "(`git@github.com:acme/r.git` for `https://github.com/acme/r`)."
            ),
        ),
        Rule(
            UNRESOLVED_TEMPLATE,
            hint=(
                "use a parameter the generators give (listed above) or fix its spelling: "
                "fasttemplate leaves an unknown {{key}} as written and goTemplate prints <no "
                "value>; goTemplateOptions: [missingkey=error] makes it an error"
            ),
            doc=(
                "a template key the parameters do not hold: fasttemplate leaves `{{nam}}` as "
                "written, a Go template prints `<no value>` for `.nam`. The field path and the "
                "keys the generators give are named."
            ),
        ),
        Rule(
            UNKNOWN_CLUSTER,
            hint=(
                "use a destination server or name the instance declares "
                "(--overlays-argocd-clusters), or in-cluster for the cluster Argo CD runs in"
            ),
            doc=(
                "with `--overlays-argocd-clusters`: a destination server or name none of them "
                "(nor `in-cluster`) is; always: both `server` and `name`, or neither."
            ),
        ),
        Rule(
            UNKNOWN_PROJECT,
            hint="create the AppProject among the instance's manifests, or use one of its projects",
            doc=(
                "when the instance declares AppProjects: a `spec.project` none of them is "
                "(`application references project x which does not exist`)."
            ),
        ),
        Rule(
            INVALID_APPLICATION,
            hint=(
                "write the field as Argo CD's Application types it: kustomize.images as "
                "strings (nginx=ghcr.io/acme/nginx:1.2, not the name:/newTag: maps of a "
                "kustomization), commonLabels as a map of strings (quote numbers); the API "
                "server refuses the manifest, so Argo CD deploys nothing of it"
            ),
            doc=(
                "an Application (or an ApplicationSet's template) whose "
                "`spec.source(s).kustomize` override has a shape Argo CD's CRD refuses: "
                "`images:` written as `{name:, newTag:}` maps instead of strings "
                "(`nginx=ghcr.io/acme/nginx:1.2`), a list or number as a `commonLabels` value, "
                "a scalar where a list belongs. The API server refuses the manifest, so "
                "nothing of it is deployed; the render fails too (never a Python rendering of "
                "the map edited into the kustomization). The same shapes in an "
                "`.argocd-source.yaml` file fail that Application's render."
            ),
        ),
        Rule(
            INVALID_PROJECT,
            hint=(
                "fix the AppProject field the message names (a list where Argo CD expects "
                "one); Argo CD refuses the project and syncs none of its Applications"
            ),
            doc=(
                "an AppProject Argo CD refuses: a scalar or a map where a list belongs "
                "(`destinations: 5`, `sourceRepos: x`). Every Application in that project gets "
                "the finding."
            ),
        ),
        Rule(
            SOURCE_REPO,
            hint=(
                "add the repository to the AppProject's sourceRepos, or take the source from a "
                "repository it allows"
            ),
            doc=(
                "a source `repoURL` the project's `sourceRepos` do not allow (normalised URLs, "
                "`*` not crossing `/`, `**` crossing it, `!` denials)."
            ),
        ),
        Rule(
            DESTINATION,
            hint=(
                "add the server and namespace to the AppProject's destinations, or deploy into "
                "a namespace it allows"
            ),
            doc=(
                "the destination server (or name) and namespace no entry of the project's "
                "`destinations` allows (globs, `!` denials); also a rendered resource written "
                "into a namespace the project does not allow."
            ),
        ),
        Rule(
            CLUSTER_RESOURCE,
            hint=(
                "allow the group and kind in the AppProject's clusterResourceWhitelist, or "
                "deploy it with a project allowed to create cluster-scoped resources"
            ),
            doc=(
                "a rendered cluster-scoped kind (a Namespace, a ClusterRole) the project's "
                "`clusterResourceWhitelist` does not list, or its blacklist denies. An unset "
                "or empty whitelist allows none."
            ),
        ),
        Rule(
            NAMESPACE_RESOURCE,
            hint=(
                "take the kind out of the AppProject's namespaceResourceBlacklist (or add it "
                "to namespaceResourceWhitelist), or deploy it with another project"
            ),
            doc=(
                "a rendered namespaced kind the project's `namespaceResourceBlacklist` denies, "
                "or a `namespaceResourceWhitelist` leaves out."
            ),
        ),
    ),
)


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
    rule = NAMESPACE_RESOURCE if namespaced else CLUSTER_RESOURCE
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
        DESTINATION,
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
