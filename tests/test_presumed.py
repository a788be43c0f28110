"""What the group deploys unseen is presumed present: a deployable that did not render
(issue 18, class 3) and an Argo CD Application not rendered here (class 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays.checks import CheckOptions, ports, references
from pytest_k8s_overlays.core.presumed import Presumed

from .builders import (
    add_patch,
    add_resources,
    application,
    container,
    deployment,
    make_overlay,
    service,
    write,
    write_manifests,
)

WORKER = """\
namespace: info
resources:
  - worker.yaml
"""
WORKER_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: info-worker
spec:
  selector: {matchLabels: {app: info-worker}}
  template:
    metadata: {labels: {app: info-worker}}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/info-worker:1.6.0
"""
PEERS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: peers
data:
  INFO_URL: http://info-api.info.svc:80
  LOCATION_URL: http://{location}.location.svc:80
"""
BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 3
"""


def info_and_its_worker(root: Path, location: str = "location-api") -> None:
    """A worker overlay next to info in namespace info; character calls info and location."""
    write(root, "k8s/overlays/info-worker/kustomization.yaml", WORKER)
    write(root, "k8s/overlays/info-worker/worker.yaml", WORKER_YAML)
    add_resources(root, "character", {"peers.yaml": PEERS.format(location=location)})


def run_references(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=references")


def test_what_depends_on_an_overlay_that_did_not_render_is_unknown_not_a_finding(
    pytester: pytest.Pytester, example: Path
) -> None:
    # info fails to render; character's address of info-api is no finding of its own
    # (it said: no Service info-api in namespace info of the group (no Service there)).
    info_and_its_worker(example)
    add_patch(example, "info", "worker-patch.yaml", BROKEN)
    result = run_references(pytester)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "unknown: info did not render (what k8s/overlays expects of it is not judged)",
            "FAILED k8s/overlays/info/kustomization.yaml::references - info: kustomize bui*",
        ]
    )
    result.stdout.no_fnmatch_line("*no Service info-api*")


def test_beside_an_overlay_that_did_not_render_other_namespaces_are_still_judged(
    pytester: pytest.Pytester, example: Path
) -> None:
    # info sets namespace info: what it would deploy is there, not in location.
    info_and_its_worker(example, location="location-apii")
    add_patch(example, "info", "worker-patch.yaml", BROKEN)
    result = run_references(pytester)
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(
        [
            "  ConfigMap/character/character-peers data.LOCATION_URL: "
            "location-apii.location.svc:80: no Service location-apii in namespace location *",
        ]
    )
    result.stdout.no_fnmatch_line("*no Service info-api*")


def test_when_every_overlay_renders_a_missing_service_is_a_finding(
    pytester: pytest.Pytester, example: Path
) -> None:
    info_and_its_worker(example)
    write(example, "k8s/overlays/info/kustomization.yaml", _renamed_info(example))
    result = run_references(pytester)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  ConfigMap/character/character-peers data.INFO_URL: info-api.info.svc:80: no "
            "Service info-api in namespace info of the group (Services there: info-api-v2)*",
        ]
    )
    result.stdout.no_fnmatch_line("unknown: *")


def _renamed_info(root: Path) -> str:
    """info's kustomization with a nameSuffix: its Service is info-api-v2."""
    text = (root / "k8s/overlays/info/kustomization.yaml").read_text(encoding="utf-8")
    return text.replace("namePrefix: info-", "namePrefix: info-\nnameSuffix: -v2")


# -- unit: presumptions in the checks ------------------------------------------------------


def test_a_presumed_namespace_accounts_for_missing_services_and_pods() -> None:
    api = deployment(
        "users-api",
        container("api", env=[{"name": "TRACES", "value": "otel.tracing.svc:4317"}]),
        labels={"app": "users"},
        namespace="users",
    )
    collector_service = service(
        "otel-gateway", {"port": 4317}, selector={"app": "otel"}, namespace="tracing"
    )
    overlay = make_overlay("users", api, collector_service)
    # Without a presumption: no Service otel, and otel-gateway selects nothing.
    assert [f.rule for f in references.run([overlay], CheckOptions())] == ["dns-name"]
    assert [f.rule for f in ports.run([overlay], CheckOptions())] == ["selects-nothing"]
    presumed = CheckOptions(presumed=(Presumed("k8s/overlays", "tracing", "otel not rendered"),))
    assert references.run([overlay], presumed) == []
    assert ports.run([overlay], presumed) == []
    # A presumption of another group or namespace changes nothing.
    other = CheckOptions(presumed=(Presumed("clusters/prod", "tracing", "x"),))
    assert [f.rule for f in references.run([overlay], other)] == ["dns-name"]
    elsewhere = CheckOptions(presumed=(Presumed("k8s/overlays", "mesh", "x"),))
    assert [f.rule for f in references.run([overlay], elsewhere)] == ["dns-name"]


# -- Argo CD: a Helm Application not rendered here -----------------------------------------

USERS = """\
namespace: tracing-clients
resources:
  - users.yaml
"""
USERS_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: users-api
spec:
  selector: {matchLabels: {app: users}}
  template:
    metadata: {labels: {app: users}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/users-api:1.0.0
          env:
            - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector.tracing.svc:4317"}
---
apiVersion: v1
kind: Service
metadata:
  name: users-api
spec:
  selector: {app: users}
  ports: [{name: http, port: 80, targetPort: 8080}]
"""
SAMPLING = """\
namespace: tracing
resources:
  - sampling.yaml
"""
SAMPLING_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sampler
spec:
  selector: {matchLabels: {app: sampler}}
  template:
    metadata: {labels: {app: sampler}}
    spec:
      containers:
        - name: sampler
          image: ghcr.io/acme/sampler:1.0.0
"""


def tracing_repo(root: Path, *apps: dict[str, object]) -> None:
    """users calls the collector in namespace tracing, where the repository renders a
    sampler and a Helm Application installs the collector."""
    write(root, "apps/users/kustomization.yaml", USERS)
    write(root, "apps/users/users.yaml", USERS_YAML)
    write(root, "apps/sampler/kustomization.yaml", SAMPLING)
    write(root, "apps/sampler/sampling.yaml", SAMPLING_YAML)
    write_manifests(
        root,
        "argocd/apps.yaml",
        application("users", "apps/users", namespace="tracing-clients"),
        application("sampler", "apps/sampler", namespace="tracing"),
        *apps,
    )


COLLECTOR = application(
    "otel-collector",
    namespace="tracing",
    repo="https://open-telemetry.github.io/opentelemetry-helm-charts",
    chart="opentelemetry-collector",
    targetRevision="0.90.0",
)


def run_argocd(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest("--overlays-argocd=argocd", "--overlays-checks=references")


def test_what_a_helm_application_not_rendered_here_installs_is_presumed_present(
    pytester: pytest.Pytester,
) -> None:
    tracing_repo(pytester.path, COLLECTOR)
    result = run_argocd(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "Argo CD: 1 not rendered or evaluated here:",
            "  argocd: otel-collector (argocd/apps.yaml): Helm chart opentelemetry-collector "
            "0.90.0 from https://open-telemetry.github.io/opentelemetry-helm-charts (external); "
            "what it deploys into namespace tracing is presumed present",
        ]
    )


def test_without_an_application_installing_it_the_collector_is_missing(
    pytester: pytest.Pytester,
) -> None:
    # The same repository without the Helm Application: nothing installs the collector.
    tracing_repo(pytester.path)
    result = run_argocd(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  Deployment/tracing-clients/users-api spec.template.spec.containers[[]0].env[[]0]"
            ".value: otel-collector.tracing.svc:4317: no Service otel-collector in namespace "
            "tracing of the group (no Service there); expected *",
        ]
    )


CALLER = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: peers
data:
  USERS: http://users-api.users.svc:80
  BILLING: http://billing-apii.billing.svc:80
"""


def test_an_application_that_did_not_render_makes_its_namespace_unknown(
    pytester: pytest.Pytester,
) -> None:
    # users fails to render (a patch of nothing); its worker runs in users beside it.
    # The caller's address of users-api is unknown; billing's typo is still a finding.
    root = pytester.path
    write(root, "apps/users/kustomization.yaml", USERS.replace("tracing-clients", "users"))
    write(root, "apps/users/users.yaml", USERS_YAML)
    add_patch_file = "apps/users/broken.yaml"
    write(root, add_patch_file, BROKEN)
    with (root / "apps/users/kustomization.yaml").open("a", encoding="utf-8") as handle:
        handle.write("patches:\n  - path: broken.yaml\n")
    write(root, "apps/worker/kustomization.yaml", "namespace: users\nresources: [worker.yaml]\n")
    write(root, "apps/worker/worker.yaml", SAMPLING_YAML)
    write(root, "apps/billing/kustomization.yaml", "namespace: billing\nresources: [b.yaml]\n")
    write(root, "apps/billing/b.yaml", USERS_YAML.replace("users-api", "billing-api"))
    write(root, "apps/caller/kustomization.yaml", "namespace: caller\nresources: [peers.yaml]\n")
    write(root, "apps/caller/peers.yaml", CALLER)
    write_manifests(
        root,
        "argocd/apps.yaml",
        *(application(n, f"apps/{n}", namespace=n) for n in ("users", "worker", "billing")),
        application("caller", "apps/caller", namespace="caller"),
    )
    result = run_argocd(pytester)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "  ConfigMap/caller/peers data.BILLING: billing-apii.billing.svc:80: no Service "
            "billing-apii in namespace billing *",
            "unknown: users did not render (what argocd@in-cluster expects of it is not judged)",
        ]
    )
    result.stdout.no_fnmatch_line("*no Service users-api*")
