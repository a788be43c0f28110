"""The isolation check: unit cases with plain dicts, then real renders through pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays.checks import CHECKS, CheckOptions, isolation
from pytest_k8s_overlays.checks.assertions import check
from pytest_k8s_overlays.core.findings import SKIP_ANNOTATION

from .builders import (
    APP,
    add_resources,
    count_selector_matches,
    finding_lines,
    make_overlay,
    selecting,
    service,
    workload,
    write,
)


def test_a_shared_label_in_a_shared_namespace_fails_both_overlays() -> None:
    auth = make_overlay(
        "auth", workload("auth-api", APP), service("auth-api", selector=APP, namespace="shared")
    )
    my = make_overlay(
        "my", workload("my-api", APP), service("my-api", selector=APP, namespace="shared")
    )
    found = isolation.run([auth, my], CheckOptions())
    assert [(f.overlay, f.resource, f.others) for f in found] == [
        ("auth", "Deployment/shared/auth-api", ("my",)),
        ("auth", "Service/shared/auth-api", ("my",)),
        ("my", "Deployment/shared/my-api", ("auth",)),
        ("my", "Service/shared/my-api", ("auth",)),
    ]
    assert finding_lines("isolation", auth, my)[:2] == [
        "auth: Deployment/shared/auth-api spec.template.metadata.labels: pods selected by "
        "Service/shared/my-api of overlay my (spec.selector app=api); expected labels no "
        "selector of another overlay matches [cross-overlay-selector]",
        "auth: Service/shared/auth-api spec.selector: app=api also selects the pods of overlay "
        "my (Deployment/shared/my-api); expected a selector matching only auth's own pods "
        "[cross-overlay-selector]",
    ]


def test_only_the_overlay_whose_selector_is_too_wide_and_its_victim_fail() -> None:
    auth = make_overlay("auth", service("auth-api", selector=APP, namespace="shared"))
    my = make_overlay("my", workload("my-api", {"app": "api", "domain": "my"}))
    scan = make_overlay("scan", workload("scan-api", {"app": "scan"}))
    assert [f.resource for f in isolation.run([auth, my, scan], CheckOptions())] == [
        "Service/shared/auth-api",
        "Deployment/shared/my-api",
    ]


def test_a_per_service_label_or_namespace_isolates() -> None:
    auth_labels = {"app": "api", "domain": "auth"}
    my_labels = {"app": "api", "domain": "my"}
    labelled = [
        make_overlay(
            "auth",
            workload("auth-api", auth_labels),
            service("auth-api", selector=auth_labels, namespace="shared"),
        ),
        make_overlay(
            "my",
            workload("my-api", my_labels),
            service("my-api", selector=my_labels, namespace="shared"),
        ),
    ]
    spaced = [
        make_overlay(
            "auth",
            workload("auth-api", APP, "auth"),
            service("auth-api", selector=APP, namespace="auth"),
        ),
        make_overlay(
            "my", workload("my-api", APP, "my"), service("my-api", selector=APP, namespace="my")
        ),
    ]
    assert isolation.run(labelled, CheckOptions()) == []
    assert isolation.run(spaced, CheckOptions()) == []


def test_resources_without_a_namespace_share_one() -> None:
    auth = make_overlay("auth", service("auth-api", selector=APP, namespace=None))
    my = make_overlay("my", workload("my-api", APP, None))
    assert finding_lines("isolation", auth, my) == [
        "auth: Service/auth-api spec.selector: app=api also selects the pods of overlay my "
        "(Deployment/my-api); expected a selector matching only auth's own pods "
        "[cross-overlay-selector]",
        "my: Deployment/my-api spec.template.metadata.labels: pods selected by Service/auth-api "
        "of overlay auth (spec.selector app=api); expected labels no selector of another "
        "overlay matches [cross-overlay-selector]",
    ]
    assert (
        isolation.run([auth, make_overlay("my", workload("my-api", APP, "my"))], CheckOptions())
        == []
    )


def test_pdb_selectors_count_and_network_policies_do_not() -> None:
    # A PDB over another service's pods blocks its evictions; a NetworkPolicy
    # choosing them is what a central policy overlay is for.
    pdb = selecting("PodDisruptionBudget", "auth-api", {"matchLabels": APP})
    policy = selecting(
        "NetworkPolicy",
        "auth-api",
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]},
    )
    auth = make_overlay("auth", pdb, policy)
    my = make_overlay("my", workload("my-api", APP))
    assert finding_lines("isolation", auth, my) == [
        "auth: PodDisruptionBudget/shared/auth-api spec.selector: app=api also selects the pods "
        "of overlay my (Deployment/shared/my-api); expected a selector matching only auth's "
        "own pods [cross-overlay-selector]",
        "my: Deployment/shared/my-api spec.template.metadata.labels: pods selected by "
        "PodDisruptionBudget/shared/auth-api of overlay auth (spec.selector app=api); "
        "expected labels no selector of another overlay matches [cross-overlay-selector]",
    ]


def test_a_namespace_wide_empty_selector_is_intended() -> None:
    deny_all = selecting("NetworkPolicy", "default-deny", {})
    auth = make_overlay("auth", deny_all, selecting("PodDisruptionBudget", "all", {}))
    my = make_overlay("my", workload("my-api", APP))
    assert isolation.run([auth, my], CheckOptions()) == []


def test_a_central_policy_overlays_network_policies_are_not_judged() -> None:
    # network-policies/<env>: one policy per service, each naming that service's
    # pods, beside namespace-wide ones; none of them is a leak.
    exists = {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "Exists"}]}
    platform = make_overlay(
        "network-policies",
        selecting("NetworkPolicy", "allow-prometheus-scrape", exists),
        selecting("NetworkPolicy", "auth-api", {"matchLabels": APP}),
        selecting("NetworkPolicy", "allow-gateway", {**exists, "matchLabels": APP}),
    )
    labels = {**APP, "app.kubernetes.io/name": "api"}
    auth = make_overlay("auth", workload("auth-api", labels))
    assert isolation.run([platform, auth], CheckOptions()) == []


def test_a_namespace_wide_pdb_is_still_reported() -> None:
    # A PDB over several services' pods blocks their evictions: never by design.
    exists = {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "Exists"}]}
    platform = make_overlay("platform", selecting("PodDisruptionBudget", "all-apps", exists))
    auth = make_overlay("auth", workload("auth-api", {**APP, "app.kubernetes.io/name": "api"}))
    assert [
        f"{f.overlay}: {f.resource}" for f in isolation.run([platform, auth], CheckOptions())
    ] == [
        "auth: Deployment/shared/auth-api",
        "platform: PodDisruptionBudget/shared/all-apps",
    ]


@pytest.mark.parametrize("skip", ["isolation", "images, isolation", "all"])
def test_skipping_isolation_on_the_selecting_resource_drops_the_mirrored_finding(
    skip: str,
) -> None:
    pdb = selecting("PodDisruptionBudget", "api", {"matchLabels": APP})
    pdb["metadata"]["annotations"] = {SKIP_ANNOTATION: skip}
    platform = make_overlay("platform", pdb)
    auth = make_overlay("auth", workload("auth-api", APP))
    # Only the selecting resource's finding is made; the gate suppresses it
    # (and lists it in the summary), and auth has nothing to answer for.
    assert finding_lines("isolation", platform, auth) == [
        "platform: PodDisruptionBudget/shared/api spec.selector: app=api also selects "
        "the pods of overlay auth (Deployment/shared/auth-api); expected a selector matching "
        "only platform's own pods [cross-overlay-selector]"
    ]
    check("isolation", [platform, auth])


def test_skipping_isolation_on_the_selected_workload_keeps_the_selecting_finding() -> None:
    victim = workload("auth-api", APP)
    victim["metadata"]["annotations"] = {SKIP_ANNOTATION: "isolation"}
    platform = make_overlay(
        "platform", selecting("PodDisruptionBudget", "api", {"matchLabels": APP})
    )
    with pytest.raises(AssertionError) as raised:
        check("isolation", [platform, make_overlay("auth", victim)])
    assert str(raised.value).splitlines()[:2] == [
        "platform: [cross-overlay-selector] PodDisruptionBudget/shared/api selector: app=api "
        "also selects the pods of overlay auth (Deployment/shared/auth-api)",
        "  PodDisruptionBudget/shared/api spec.selector: app=api also selects the pods "
        "of overlay auth (Deployment/shared/auth-api); expected a selector matching only "
        "platform's own pods [cross-overlay-selector]",
    ]


def test_a_null_selector_selects_nothing() -> None:
    auth = make_overlay(
        "auth",
        selecting("NetworkPolicy", "x", None),
        service("auth-api", selector={}, namespace="shared"),
    )
    my = make_overlay("my", workload("my-api", APP))
    assert isolation.run([auth, my], CheckOptions()) == []


def test_one_object_rendered_by_two_overlays_is_left_to_unique_names() -> None:
    shared = workload("api", APP)
    auth = make_overlay("auth", shared, service("auth-api", selector=APP, namespace="shared"))
    my = make_overlay("my", dict(shared))
    assert isolation.run([auth, my], CheckOptions()) == []


def test_a_service_selecting_a_job_beside_its_api_fails() -> None:
    auth = make_overlay(
        "auth",
        workload("auth-api", APP),
        workload("auth-migrate", APP, kind="Job"),
        workload("auth-report", APP, kind="CronJob"),
        service("auth-api", selector=APP, namespace="shared"),
    )
    assert finding_lines("isolation", auth) == [
        "auth: Service/shared/auth-api spec.selector: app=api selects the pods of "
        "CronJob/shared/auth-report as well as Deployment/shared/auth-api; expected a selector "
        "matching only long-running pods [service-selects-job]",
        "auth: Service/shared/auth-api spec.selector: app=api selects the pods of "
        "Job/shared/auth-migrate as well as Deployment/shared/auth-api; expected a selector "
        "matching only long-running pods [service-selects-job]",
    ]


def test_a_headless_service_of_an_indexed_job_and_a_canary_are_fine() -> None:
    worker = {"app": "worker"}
    auth = make_overlay(
        "auth",
        workload("auth-api", APP),
        workload("auth-api-canary", {**APP, "track": "canary"}),
        service("auth-api", selector=APP, namespace="shared"),
        workload("auth-index", worker, kind="Job"),
        service("auth-index", selector=worker, namespace="shared"),
    )
    assert isolation.run([auth], CheckOptions()) == []


def test_ownership_label_takes_the_first_part_of_the_overlay_name() -> None:
    good = {"domain": "auth"}
    docs = [workload("auth-api", good), service("auth-api", selector=good, namespace="shared")]
    assert isolation.owner("auth/dev") == "auth"
    assert finding_lines("isolation", make_overlay("auth/dev", *docs), service_label="domain") == []
    assert finding_lines("isolation", make_overlay("auth", *docs), service_label="domain") == []
    untemplated = workload("auth-worker", {})
    untemplated["metadata"]["labels"] = good
    pod = {"kind": "Pod", "metadata": {"name": "debug", "namespace": "shared"}}
    wrong = service("auth-admin", selector={"domain": "scan"}, namespace="shared")
    assert finding_lines(
        "isolation", make_overlay("auth/dev", untemplated, pod, wrong), service_label="domain"
    ) == [
        "auth/dev: Deployment/shared/auth-worker spec.template.metadata.labels: no label domain; "
        "expected domain=auth (from overlay name auth/dev) [ownership-label]",
        "auth/dev: Pod/shared/debug metadata.labels: no label domain; "
        "expected domain=auth (from overlay name auth/dev) [ownership-label]",
        "auth/dev: Service/shared/auth-admin metadata.labels: domain=scan; "
        "expected domain=auth (from overlay name auth/dev) [ownership-label]",
    ]
    assert finding_lines("isolation", make_overlay("auth", wrong)) == []


def test_an_argo_rollouts_template_needs_the_ownership_label_too() -> None:
    # includeTemplates does not reach a Rollout's template: the label is missing there.
    rollout = workload("auth-api", {"app": "api"})
    rollout["apiVersion"] = "argoproj.io/v1alpha1"
    rollout["kind"] = "Rollout"
    rollout["metadata"]["labels"] = {"domain": "auth"}
    assert finding_lines("isolation", make_overlay("auth", rollout), service_label="domain") == [
        "auth: Rollout/shared/auth-api spec.template.metadata.labels: no label domain; "
        "expected domain=auth (the overlay name) [ownership-label]"
    ]
    assert CHECKS["isolation"].rules["ownership-label"] == (
        "label everything the overlay renders: `labels: [{pairs: {<label>: <overlay>}, "
        "includeTemplates: true}]` in the overlay's kustomization.yaml; includeTemplates skips "
        "Argo Rollouts and other custom workloads, so set their template's label with a patch"
    )


def test_two_thousand_overlays_stay_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every overlay in one namespace, sharing `app: api`: the index must narrow
    # each selector to its own `domain` pair instead of comparing 2,000 x 2,000.
    compared = count_selector_matches(monkeypatch)
    many = []
    for i in range(2000):
        labels = {"app": "api", "domain": f"svc{i}"}
        pdb = selecting("PodDisruptionBudget", f"svc{i}-api", {"matchLabels": labels})
        pdb["metadata"]["labels"] = labels
        many.append(
            make_overlay(
                f"svc{i}",
                workload(f"svc{i}-api", labels),
                service(f"svc{i}-api", selector=labels, namespace="shared"),
                pdb,
            )
        )
    assert isolation.run(many, CheckOptions(service_label="domain")) == []
    many.append(make_overlay("wide", service("wide", selector=APP, namespace="shared")))
    found = isolation.run(many, CheckOptions())
    assert len(found) == 4000
    assert found[0].line().startswith("Deployment/shared/svc0-api ")
    # Each selector is compared with its own pod (the wide one with all): a few
    # comparisons per overlay, where comparing every pair would take millions.
    assert compared() < 10 * len(many)


# End to end: real renders of example_repo's overlays, modified.

SHARED = """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shared
namePrefix: {name}-
resources:
  - ../../base
images:
  - name: ghcr.io/acme/placeholder
    newName: ghcr.io/acme/{name}-api
    newTag: "1.0.0"
"""

LABELLED = (
    SHARED.replace("namespace: shared", "namespace: pair")
    + """
labels:
  - pairs:
      domain: {name}
    includeSelectors: true
"""
)


def test_two_overlays_sharing_a_namespace_without_their_label_fail_each_other(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: auth and my moved into one namespace, and the `labels:`
    # block that told their pods apart was dropped; chat and info share
    # another one but keep the label, and pass.
    for name in ("auth", "my"):
        write(example, f"k8s/overlays/{name}/kustomization.yaml", SHARED.format(name=name))
    for name in ("chat", "info"):
        write(example, f"k8s/overlays/{name}/kustomization.yaml", LABELLED.format(name=name))
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=isolation")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "auth: 2 findings [[]cross-overlay-selector]",
            "  Deployment/shared/auth-api spec.template.metadata.labels: pods selected by "
            "Service/shared/my-api of overlay my (spec.selector app=api); expected labels no "
            "selector of another overlay matches [[]cross-overlay-selector] "
            "(from k8s/base/deployment.yaml)",
            "  Service/shared/auth-api spec.selector: app=api also selects the pods of overlay my "
            "(Deployment/shared/my-api); expected a selector matching only auth's own pods "
            "[[]cross-overlay-selector] (from k8s/base/service.yaml)",
            "hint [[]cross-overlay-selector]: add a per-service label to selectors, e.g. "
            "`labels: [[]{pairs: {domain: <name>}, includeSelectors: true}]` in the overlay's "
            "kustomization.yaml, or give each service its own namespace",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            # One cause, the shared base's labels and selector: in full under auth only.
            "my: 2 findings shown in full under other items [[]cross-overlay-selector]",
            "  [[]cross-overlay-selector] the same finding as auth (k8s/base/deployment.yaml:14), "
            "shown in full under auth [[]isolation]",
            "  [[]cross-overlay-selector] the same finding as auth (k8s/base/service.yaml:8), "
            "shown in full under auth [[]isolation]",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


PLATFORM_POLICIES = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-prometheus-scrape
spec:
  podSelector:
    matchExpressions:
      - {key: app, operator: Exists}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-gateway-to-api
spec:
  podSelector:
    matchLabels: {app: api}
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: gateway
"""

SHARED_PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: api}
"""


def test_a_central_policy_overlays_network_policies_pass_and_its_pdb_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # auth and my share the namespace `apps` with a platform overlay holding
    # its NetworkPolicies: default-deny ({}), allow-Prometheus (Exists) and one
    # naming the services' `app: api` pods, as policies do. The PDB it also
    # holds would block both services' evictions.
    for name in ("auth", "my"):
        kfile = example / f"k8s/overlays/{name}/kustomization.yaml"
        kfile.write_text(kfile.read_text().replace(f"namespace: {name}\n", "namespace: apps\n"))
    write(
        example,
        "k8s/overlays/platform/kustomization.yaml",
        "namespace: apps\nresources: [np.yaml]\n",
    )
    write(example, "k8s/overlays/platform/np.yaml", PLATFORM_POLICIES)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=isolation")
    result.assert_outcomes(passed=8)
    write(example, "k8s/overlays/platform/np.yaml", PLATFORM_POLICIES + "---" + SHARED_PDB)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=isolation")
    result.assert_outcomes(passed=5, failed=3)
    result.stdout.fnmatch_lines(
        [
            "platform: 2 findings [[]*]",
            "  PodDisruptionBudget/apps/api spec.selector: app=api also selects the pods of "
            "overlay auth (Deployment/apps/auth-api); expected a selector matching only "
            "platform's own pods [[]cross-overlay-selector] (from k8s/overlays/platform/np.yaml)",
        ]
    )
    result.stdout.no_fnmatch_line("*NetworkPolicy/apps/*")


MIGRATE_JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    metadata:
      labels:
        app: api
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ghcr.io/acme/placeholder:latest
          args: [migrate]
"""

CANARY = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-canary
spec:
  selector:
    matchLabels: {app: api, track: canary}
  template:
    metadata:
      labels: {app: api, track: canary}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/placeholder:latest
          ports:
            - {name: http, containerPort: 8080}
"""


def test_a_bootstrap_job_with_the_api_labels_fails_and_a_canary_passes(
    pytester: pytest.Pytester, example: Path
) -> None:
    add_resources(example, "auth", {"migrate.yaml": MIGRATE_JOB})
    add_resources(example, "my", {"canary.yaml": CANARY})
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=isolation", "-v")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["k8s/overlays/my/kustomization.yaml::isolation PASSED*"])
    result.stdout.fnmatch_lines(
        [
            "auth: [[]service-selects-job] *",
            "  Service/auth/auth-api spec.selector: app=api,domain=auth selects the pods of "
            "Job/auth/auth-migrate as well as Deployment/auth/auth-api; expected a selector "
            "matching only long-running pods [[]service-selects-job] (from k8s/base/service.yaml)",
            "hint [[]service-selects-job]: give the Job's pod template labels of its own *",
        ]
    )


def test_the_ownership_label_must_reach_pod_templates(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: `labels:` without includeSelectors (or includeTemplates)
    # labels the Deployment but not the pods it creates.
    kfile = example / "k8s/overlays/scan/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("    includeSelectors: true\n", ""))
    pytester.makeini("[pytest]\noverlays_service_label = domain\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=isolation")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "scan: [[]ownership-label] *",
            "  Deployment/scan/scan-api spec.template.metadata.labels: no label domain; "
            "expected domain=scan (the overlay name) [[]ownership-label] "
            "(from k8s/base/deployment.yaml)",
            "hint [[]ownership-label]: label everything the overlay renders: *; "
            "includeTemplates skips Argo Rollouts and other custom workloads, so set their "
            "template's label with a patch",
        ]
    )


def test_example_repo_passes_isolation_with_the_ownership_label(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.makeini("[pytest]\noverlays_service_label = domain\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=isolation")
    result.assert_outcomes(passed=7)
