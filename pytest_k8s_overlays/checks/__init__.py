"""The built-in checks: their ids, scopes and rules with hints, in the order their items run.

This module is the catalogue: it is read at start-up (``--help`` lists every
check and rule) and costs nothing, because each implementation module
(``images.py``, ``ports.py``, ``schema/check.py``...) is imported only when its
check first runs. Where is X checked? In the module named after the check.
"""

from __future__ import annotations

from .base import Check, CheckFunction, CheckOptions

#: The check every unit gets first: it renders and parses (a failure is the finding).
RENDER = "render"

#: The schema check's rules: what the API server (or the CRD) would reject.
SCHEMA_HINTS = {
    "type": "give the field a value of the expected type (quote numbers meant as strings, "
    "unquote numbers); `kubectl explain <kind>.<field>` shows it",
    "unknown-field": "fix the field name's spelling or indentation in the patch or base "
    "that sets it; --overlays-no-strict accepts unknown fields",
    "required": "add the field in the base or a patch of the overlay",
    "enum": "use one of the values listed (case matters)",
    "quantity": "write quantities as Kubernetes does: 250m or 0.25 CPUs, 512Mi or 1Gi of memory",
    "removed-api": "change apiVersion (and any field the newer version renamed) in the base "
    "or patch; `kubectl convert` helps",
    "unknown-kind": "fix the apiVersion/kind spelling, or --overlays-k8s-version if the "
    "cluster runs another Kubernetes version",
    "crd-schema": "fix the custom resource, or the CRD's openAPIV3Schema if the CRD is wrong",
    "no-schema": "add the CustomResourceDefinition to the render, or point --overlays-crds "
    "at a file or directory holding it",
    "selector": "set spec.selector.matchLabels to labels the pod template carries "
    "(Kustomize `labels:` with includeSelectors: true keeps both in step)",
    "name": "use lowercase letters, digits and '-' (namePrefix/nameSuffix count too)",
    "port-range": "use a port number from 1 to 65535",
    "port-name": "name ports with at most 15 lowercase letters, digits or '-' "
    "(`metrics`, not `prometheus-metrics` or `HTTP`), once per container; "
    "refer to a port by that name or by its unquoted number",
    "service-ports": "give every port of a multi-port Service its own name, and each "
    "port number/protocol once (a patch may have appended a copy)",
    "duplicate-container": "rename one of the containers; a strategic merge patch "
    "merges containers by name, a JSON patch appends",
    "data-key": "rename the key to letters, digits, '-', '_' or '.'; in a generator's "
    "env file write plain KEY=value lines (no `export`, no spaces around '=')",
    "base64": "base64-encode the value (`base64 -w0`), or move plain text to stringData "
    "(a ConfigMap: to data); a secretGenerator encodes for you",
}


RENDER_CHECK = Check(
    id=RENDER,
    scope="overlay",
    module="renders",
    summary="the overlay renders with Kustomize and its output parses as YAML mappings; "
    "its suppression annotations name known checks and rules; every patch target selects "
    "something",
    rules={
        "unknown-skip-id": (
            "write check ids (images) or rule ids (unpinned), comma-separated, or all, in the "
            "pytest-k8s-overlays/skip annotation; `pytest --help` lists every check and rule"
        ),
        "unused-patch": (
            "make the patch's target select what the patch is for (kind, name, labelSelector "
            "as the base writes them; Kustomize matches a name before or after namePrefix, as "
            "an anchored regular expression), or delete the patch: Kustomize applies a patch "
            "whose target selects nothing silently"
        ),
    },
)

UNIQUE_NAMES_CHECK = Check(
    id="unique-names",
    scope="group",
    module="unique_names",
    summary="every object is rendered once: by one manifest, in one overlay of the group",
    rules={
        "duplicate-in-overlay": (
            "keep one manifest per object: delete the copy with the old apiVersion "
            "(Kustomize lets two apiVersions of one object through; Argo CD then reports a "
            "RepeatedResourceWarning and applies only one of them)"
        ),
        "shared-object": (
            "give each overlay its own namePrefix/namespace, or create the shared object in "
            "one overlay only (a common overlay), so one Argo CD Application owns it; "
            "environments of one service (dev, prod) go in groups of their own instead"
        ),
    },
)

ISOLATION_CHECK = Check(
    id="isolation",
    scope="group",
    module="isolation",
    summary="selectors reach only their own overlay's long-running pods",
    rules={
        "cross-overlay-selector": (
            "add a per-service label to selectors, e.g. `labels: [{pairs: {domain: <name>}, "
            "includeSelectors: true}]` in the overlay's kustomization.yaml, or give each "
            "service its own namespace"
        ),
        "service-selects-job": (
            "give the Job's pod template labels of its own (e.g. `app: api-migrate`, not the "
            "API's `app: api`) so the Service routes only to the long-running pods"
        ),
        "ownership-label": (
            "label everything the overlay renders: `labels: [{pairs: {<label>: <overlay>}, "
            "includeTemplates: true}]` in the overlay's kustomization.yaml; includeTemplates "
            "skips Argo Rollouts and other custom workloads, so set their template's label "
            "with a patch"
        ),
    },
)

IMAGES_CHECK = Check(
    id="images",
    scope="overlay",
    module="images",
    summary="containers run real, pinned images, and every images: entry takes effect",
    rules={
        "missing-image": (
            "give the container an image: in its manifest or patch (an images: entry only "
            "rewrites an image that is already there)"
        ),
        "invalid-image": (
            "write the image as container runtimes parse it: [registry[:port]/]path[:tag]"
            "[@digest], the path in lower case, the tag of letters, digits, _ . - (at most "
            "128), no spaces; check the images: entry (newName:, newTag:, digest:) that wrote it"
        ),
        "placeholder": (
            "add an images: entry to the overlay's kustomization.yaml: name: <the placeholder, "
            "as the base writes it>, newName: <the service's image>, newTag: <its version>"
        ),
        "unpinned": (
            "set newTag: (a version) or digest: in the overlay's images: entry; where :latest "
            "is intended, set overlays_allow_latest = true (or --overlays-allow-latest)"
        ),
        "registry": (
            "point newName: of the overlay's images: entry at an allowed registry, or add the "
            "registry to overlays_allowed_registries"
        ),
        "environment-leak": (
            "give the overlay an images: entry with the tag built for its own environment "
            "(newTag:), so it does not keep the tag its base or another environment uses"
        ),
        "image-convention": (
            "point the container at its own image (an images: entry with newName:/newTag:, or "
            "the image: in the patch that adds it), or widen overlays_image_convention"
        ),
        "unused-images-entry": (
            "make name: equal the image exactly as the manifests write it, registry included: "
            "Kustomize matches names literally, so docker.io/org/app does not match org/app; "
            "or delete the entry"
        ),
    },
)

NAMESPACE_CHECK = Check(
    id="namespace",
    scope="group",
    module="namespace",
    summary="an overlay's namespaced resources share one namespace (the expected one when "
    "configured), or all leave it to deploy time",
    rules={
        "partial-namespace": (
            "set namespace: in the overlay's kustomization.yaml so every resource gets it; or, "
            "if the namespace is chosen at deploy time (kubectl apply -n, an Argo CD "
            "destination), drop metadata.namespace from the resources that set one"
        ),
        "missing-namespace": (
            "set namespace: in the overlay's kustomization.yaml (or metadata.namespace in the "
            "manifest); without one the object lands in whatever namespace the Argo CD "
            "Application or kubectl context defaults to (overlays_namespace_required or "
            "overlays_namespace asked for one)"
        ),
        "wrong-namespace": (
            "set namespace: in the overlay's kustomization.yaml to the expected namespace; a "
            "resource that must live elsewhere can carry pytest-k8s-overlays/skip: namespace"
        ),
    },
)

PORTS_CHECK = Check(
    id="ports",
    scope="group",
    module="ports",
    summary="Services, probes and Ingresses point at ports that exist",
    rules={
        "target-port-name": (
            "declare the named port in every workload the Service selects (a patch adding "
            "`ports: [{name: <port>, containerPort: <n>}]`), or narrow the selector"
        ),
        "target-port-number": (
            "set targetPort to a declared containerPort (better: its name), or declare the port"
        ),
        "selects-nothing": (
            "make the Service selector match a workload's pod template labels (check "
            "`labels:` with includeSelectors in the kustomization), or remove the Service"
        ),
        "probe-port": (
            "name a port the container declares in the probe, or add that port to the container"
        ),
        "duplicate-container-port": (
            "give each container of the pod its own containerPort (patch the copied sidecar)"
        ),
        "node-port-reused": (
            "give each Service its own nodePort in its overlay's patch, or leave nodePort out "
            "and let Kubernetes allocate one"
        ),
        "ingress-backend": (
            "point the backend at a Service of the same overlay by its base name (Kustomize "
            "adds namePrefix to both) and at one of that Service's port numbers or names; list "
            "a Service installed elsewhere in overlays_external_services"
        ),
        "empty-ingress-rule": (
            "give the rule its http.paths again: a strategic-merge patch replaces the whole "
            "spec.rules list, so repeat each rule's paths in the patch (or use a JSON patch on "
            "/spec/rules/0/host)"
        ),
    },
)

REFERENCES_CHECK = Check(
    id="references",
    scope="group",
    module="references",
    summary="mesh and Gateway API routes, Prometheus monitors and in-cluster DNS names lead to "
    "a Service and port that exist",
    rules={
        "route-backend": (
            "point the route at a Service of the group by its rendered name (namePrefix "
            "included) and one of its port numbers (the Service's port, not the container's); "
            "list a Service installed elsewhere in overlays_external_services"
        ),
        "monitor-port": (
            "name a port of the selected Services (ServiceMonitor endpoints[].port) or a "
            "container port of the selected pods (PodMonitor podMetricsEndpoints[].port): "
            "names, not numbers, and exactly as the Service or container declares them"
        ),
        "dns-name": (
            "write the Service's rendered name and namespace "
            "(<service>.<namespace>.svc.cluster.local) and one of its ports; list a Service "
            "installed elsewhere in overlays_external_services"
        ),
        "dns-namespace": (
            "write the namespace the Service is rendered in (the finding suggests it); list a "
            "Service installed elsewhere in overlays_external_services"
        ),
    },
)

SCHEMA_CHECK = Check(
    id="schema",
    scope="overlay",
    module="schema.check",
    summary="every resource is valid for the Kubernetes API (bundled schemas, CRDs, "
    "API-server rules)",
    rules=SCHEMA_HINTS,
    cache_findings=True,
)

APPLICATION_CHECK = Check(
    id="application",
    scope="overlay",
    module="application",
    summary="an Argo CD Application Argo CD accepts: a unique name, its source path, "
    "resolved templates, a known cluster and project, what its AppProject permits",
    rules={
        "duplicate-name": (
            "rename one of the two Applications, or delete the standalone one the "
            "ApplicationSet now generates: Argo CD keeps overwriting one with the other"
        ),
        "duplicate-generated-name": (
            "make the template's metadata.name unique per parameter set (add the parameter "
            "that differs, e.g. '{{name}}-{{env}}'); Argo CD creates none of the Applications "
            "that share a name"
        ),
        "invalid-applicationset": (
            "fix the generator or template the message names; until then Argo CD creates, "
            "updates and deletes none of the ApplicationSet's Applications"
        ),
        "source-path": (
            "point the source's path at a directory of this repository, relative to its "
            "root (no leading / and no .. out of it)"
        ),
        "foreign-repo-url": (
            "if the repoURL names this repository (another host name, a mirror), give it "
            "with --overlays-argocd-repo (ini overlays_argocd_repo); if it names another "
            "repository whose path only happens to exist here, leave the rule out with "
            "--overlays-skip-checks=foreign-repo-url"
        ),
        "unresolved-template": (
            "use a parameter the generators give (listed above) or fix its spelling: "
            "fasttemplate leaves an unknown {{key}} as written and goTemplate prints <no value>; "
            "goTemplateOptions: [missingkey=error] makes it an error"
        ),
        "unknown-cluster": (
            "use a destination server or name the instance declares "
            "(--overlays-argocd-clusters), or in-cluster for the cluster Argo CD runs in"
        ),
        "unknown-project": (
            "create the AppProject among the instance's manifests, or use one of its projects"
        ),
        "invalid-application": (
            "write the field as Argo CD's Application types it: kustomize.images as strings "
            "(nginx=ghcr.io/acme/nginx:1.2, not the name:/newTag: maps of a kustomization), "
            "commonLabels as a map of strings (quote numbers); the API server refuses the "
            "manifest, so Argo CD deploys nothing of it"
        ),
        "invalid-project": (
            "fix the AppProject field the message names (a list where Argo CD expects one); "
            "Argo CD refuses the project and syncs none of its Applications"
        ),
        "source-repo": (
            "add the repository to the AppProject's sourceRepos, or take the source from a "
            "repository it allows"
        ),
        "destination": (
            "add the server and namespace to the AppProject's destinations, or deploy into a "
            "namespace it allows"
        ),
        "cluster-resource": (
            "allow the group and kind in the AppProject's clusterResourceWhitelist, or deploy "
            "it with a project allowed to create cluster-scoped resources"
        ),
        "namespace-resource": (
            "take the kind out of the AppProject's namespaceResourceBlacklist (or add it to "
            "namespaceResourceWhitelist), or deploy it with another project"
        ),
    },
    kinds=frozenset({"application"}),
    needs_render=False,
)

#: Every check by id, in the order their items run.
CHECKS: dict[str, Check] = {
    check.id: check
    for check in (
        RENDER_CHECK,
        UNIQUE_NAMES_CHECK,
        ISOLATION_CHECK,
        IMAGES_CHECK,
        NAMESPACE_CHECK,
        PORTS_CHECK,
        REFERENCES_CHECK,
        SCHEMA_CHECK,
        APPLICATION_CHECK,
    )
}


def check_ids() -> list[str]:
    """All check ids, ``render`` first, in the order their items run."""
    return list(CHECKS)


def rule_ids() -> dict[str, list[str]]:
    """Each check's rule ids, sorted: what ``--help`` lists and suppression accepts."""
    return {check.id: sorted(check.rules) for check in CHECKS.values()}


def valid_skip_ids() -> frozenset[str]:
    """What the skip annotation accepts: every check id, every rule id, and ``all``."""
    ids = rule_ids()
    return frozenset({"all", *ids, *(rule for rules in ids.values() for rule in rules)})


__all__ = [
    "CHECKS",
    "RENDER",
    "Check",
    "CheckFunction",
    "CheckOptions",
    "check_ids",
    "rule_ids",
    "valid_skip_ids",
]
