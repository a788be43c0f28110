"""The ports check: unit cases with plain dicts, then real renders through pytester."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.checks import CHECKS, CheckOptions, ports
from pytest_k8s_overlays.checks.assertions import check
from pytest_k8s_overlays.core.findings import SKIP_ANNOTATION

from .builders import (
    APP,
    HTTP,
    JENKINS_DEPLOYMENT_CONFIG,
    add_resources,
    container,
    count_selector_matches,
    deployment,
    finding_lines,
    make_overlay,
    paths,
    replaced,
    service,
    workload,
    write,
)

# target-port-name / target-port-number


def test_a_named_target_port_must_be_in_every_selected_pod() -> None:
    auth = make_overlay(
        "auth",
        deployment("auth-api"),
        deployment("auth-api-canary", container("api", {"name": "metrics", "containerPort": 9090})),
        deployment("auth-api-mesh", container("api"), container("envoy")),
        service("auth-api"),
    )
    assert finding_lines("ports", auth) == [
        "auth: Service/auth/auth-api spec.ports[0].targetPort: http is not a named port of "
        "Deployment/auth/auth-api-canary container api (ports: metrics); expected a container "
        "port named http [target-port-name]",
        "auth: Service/auth/auth-api spec.ports[0].targetPort: http is not a named port of "
        "Deployment/auth/auth-api-mesh containers api (no ports), envoy (no ports); expected a "
        "container port named http [target-port-name]",
    ]


def test_a_named_target_port_must_match_the_service_ports_protocol() -> None:
    # A DNS Service: UDP port 53 to the container port named dns, declared TCP only.
    dns = {"name": "dns", "containerPort": 5353}
    udp = {"name": "dns-udp", "port": 53, "targetPort": "dns", "protocol": "UDP"}
    tcp = {"name": "dns-tcp", "port": 53, "targetPort": "dns"}
    broken = make_overlay(
        "auth", deployment("auth-dns", container("dns", dns)), service("auth-dns", udp, tcp)
    )
    assert finding_lines("ports", broken) == [
        "auth: Service/auth/auth-dns spec.ports[0].targetPort: dns is a TCP port of "
        "Deployment/auth/auth-dns, but this Service port is UDP; expected a UDP container "
        "port named dns [target-port-name]",
    ]
    # As CoreDNS declares them: one name per protocol (names are unique in a container).
    declared = [
        {"name": "dns", "containerPort": 5353, "protocol": "UDP"},
        {**dns, "name": "dns-tcp"},
    ]
    fixed = make_overlay(
        "auth",
        deployment("auth-dns", container("dns", *declared)),
        service("auth-dns", udp, {**tcp, "targetPort": "dns-tcp"}),
    )
    assert finding_lines("ports", fixed) == []


def test_a_service_selecting_another_overlays_pods_is_reported_on_its_own_overlay() -> None:
    auth = make_overlay("auth", service("auth-api"))
    my = make_overlay("my", deployment("my-api", container("api", {"containerPort": 8080})))
    [found] = ports.run([auth, my], CheckOptions())
    assert (found.overlay, found.others, found.rule) == ("auth", ("my",), "target-port-name")
    assert found.found == (
        "http is not a named port of Deployment/auth/my-api container api (ports: 8080), "
        "in overlay my"
    )


def test_a_sidecar_may_serve_the_port_and_a_plain_init_container_may_not() -> None:
    proxy = container("proxy", HTTP, restartPolicy="Always")
    setup = container("setup", HTTP)
    served = make_overlay(
        "auth", deployment("auth-api", container("api"), init=[proxy]), service("s")
    )
    assert finding_lines("ports", served) == []
    unserved = make_overlay(
        "auth", deployment("auth-api", container("api"), init=[setup]), service("s")
    )
    assert [f.rule for f in ports.run([unserved], CheckOptions())] == ["target-port-name"]


def test_a_numeric_target_port_must_be_declared_when_ports_are() -> None:
    auth = make_overlay(
        "auth",
        deployment("auth-api"),
        service(
            "auth-api",
            {"port": 80, "targetPort": 8081},
            {"port": 8080},
            {"port": 81, "targetPort": "8080"},
            {"port": 9090, "name": "metrics"},
        ),
    )
    assert finding_lines("ports", auth) == [
        "auth: Service/auth/auth-api spec.ports[0].targetPort: 8081 is not a container port of "
        "Deployment/auth/auth-api container api (ports: 8080 (http)); expected containerPort "
        "8081 declared, or a targetPort naming a declared port [target-port-number]",
        "auth: Service/auth/auth-api spec.ports[3].targetPort: port 9090 (targetPort "
        "omitted) is not a container port of Deployment/auth/auth-api container api (ports: 8080 "
        "(http)); expected containerPort 9090 declared, or a targetPort naming a declared port "
        "[target-port-number]",
    ]


def test_a_numeric_target_port_of_a_pod_declaring_no_port_is_not_judged() -> None:
    auth = make_overlay(
        "auth", deployment("auth-api", container("api")), service("a", {"port": 80})
    )
    assert finding_lines("ports", auth) == []


def test_a_sidecars_own_port_does_not_make_the_app_judged() -> None:
    # A cloud-sql-proxy sidecar declares its metrics port; the app declares
    # none, and its undeclared 8080 still routes.
    proxy = container(
        "cloud-sql-proxy", {"name": "proxy-metrics", "containerPort": 9801}, restartPolicy="Always"
    )
    api = deployment("auth-api", container("api"), init=[proxy])
    target = {"name": "http", "port": 80, "targetPort": 8080}
    assert finding_lines("ports", make_overlay("auth", api, service("auth-api", target))) == []
    # A port any serving container declares satisfies it once the app declares ports.
    metrics = {"name": "metrics", "port": 9801}
    declared = deployment("auth-api", container("api", HTTP), init=[proxy])
    assert (
        finding_lines("ports", make_overlay("auth", declared, service("auth-api", target, metrics)))
        == []
    )
    wrong = {"name": "http", "port": 80, "targetPort": 8081}
    assert finding_lines("ports", make_overlay("auth", declared, service("auth-api", wrong))) == [
        "auth: Service/auth/auth-api spec.ports[0].targetPort: 8081 is not a container port of "
        "Deployment/auth/auth-api containers cloud-sql-proxy (ports: 9801 (proxy-metrics)), "
        "api (ports: 8080 (http)); expected containerPort 8081 declared, or a targetPort naming "
        "a declared port [target-port-number]"
    ]


# Malformed manifests: a check reports, it never crashes.


def test_ports_that_are_no_list_declare_nothing() -> None:
    # `ports: 8080` instead of a list: the probes and the Service see no port.
    probe = {"readinessProbe": {"httpGet": {"path": "/", "port": "http"}}}
    api = deployment("auth-api", {"name": "api", "image": "a:1", "ports": 8080, **probe})
    assert finding_lines("ports", make_overlay("auth", api, service("auth-api"))) == [
        "auth: Deployment/auth/auth-api spec.template.spec.containers[0].readinessProbe.httpGet"
        ".port: http is not a named port of container api (no ports); expected a port named "
        "http declared by container api [probe-port]",
        "auth: Service/auth/auth-api spec.ports[0].targetPort: http is not a named port of "
        "Deployment/auth/auth-api container api (no ports); expected a container port named "
        "http [target-port-name]",
    ]


def test_a_port_whose_name_is_a_map_is_no_named_port() -> None:
    # `- name: {containerPort: 8080}`: one indentation level off.
    probe = {"livenessProbe": {"tcpSocket": {"port": "http"}}}
    api = deployment("auth-api", container("api", {"name": {"containerPort": 8080}}, **probe))
    assert finding_lines("ports", make_overlay("auth", api, service("auth-api"))) == [
        "auth: Deployment/auth/auth-api spec.template.spec.containers[0].livenessProbe.tcpSocket"
        ".port: http is not a named port of container api (ports: (a map)); expected a port "
        "named http declared by container api [probe-port]",
        "auth: Service/auth/auth-api spec.ports[0].targetPort: http is not a named port of "
        "Deployment/auth/auth-api container api (ports: (a map)); expected a container port "
        "named http [target-port-name]",
    ]


# selects-nothing


def test_a_selector_matching_no_pod_fails_and_selectorless_services_pass() -> None:
    auth = make_overlay(
        "auth",
        deployment("auth-api"),
        service("auth-worker", selector={"app": "worker"}),
        service("auth-db", {"port": 5432}, selector={}),
        service("auth-ext", selector={"app": "x"}, type="ExternalName", externalName="db.example"),
        service("auth-api", namespace="other"),
        service("loose", namespace=None),
    )
    assert finding_lines("ports", auth) == [
        "auth: Service/auth/auth-worker spec.selector: app=worker matches no pod template of "
        "group k8s/overlays in namespace auth; expected a workload in namespace auth whose pod "
        "template carries app=worker [selects-nothing]",
        "auth: Service/loose spec.selector: app=api matches no pod template of group "
        "k8s/overlays in no namespace; expected a workload in no namespace whose pod template "
        "carries app=api [selects-nothing]",
        "auth: Service/other/auth-api spec.selector: app=api matches no pod template of group "
        "k8s/overlays in namespace other; expected a workload in namespace other whose pod "
        "template carries app=api [selects-nothing]",
    ]


def test_pods_of_another_overlay_count_for_selects_nothing() -> None:
    auth = make_overlay("auth", service("auth-api", selector={"app": "api", "domain": "my"}))
    my = make_overlay("my", deployment("my-api", labels={"app": "api", "domain": "my"}))
    assert ports.run([auth, my], CheckOptions()) == []


def test_per_pod_services_of_a_statefulset_select_the_labels_its_controller_adds() -> None:
    # argocd-redis-ha-announce-N select one pod each by the label the StatefulSet
    # controller adds at runtime; a Service on pod 3 of 3, or of another name, is wrong.
    redis = {"app": "redis-ha"}
    server = workload("redis-ha-server", redis, "argocd", kind="StatefulSet")
    pod_name = "statefulset.kubernetes.io/pod-name"

    def announce(pod: str, key: str = pod_name) -> dict[str, Any]:
        return service(
            f"announce-{pod}", {"port": 6379}, selector={**redis, key: pod}, namespace="argocd"
        )

    fine = make_overlay(
        "redis",
        server,
        announce("redis-ha-server-0"),
        announce("redis-ha-server-2"),
        announce("1", key="apps.kubernetes.io/pod-index"),
        service(
            "hashed",
            {"port": 6379},
            selector={**redis, "controller-revision-hash": "abc"},
            namespace="argocd",
        ),
    )
    assert finding_lines("ports", fine) == []
    wrong = make_overlay(
        "redis",
        server,
        announce("redis-ha-sever-0"),
        announce("redis-ha-server-x"),
        service(
            "hashed",
            {"port": 6379},
            selector={**redis, "pod-template-hash": "abc"},
            namespace="argocd",
        ),
    )
    assert [f.resource for f in ports.run([wrong], CheckOptions())] == [
        "Service/argocd/announce-redis-ha-server-x",
        "Service/argocd/announce-redis-ha-sever-0",
        "Service/argocd/hashed",  # pod-template-hash: a Deployment's, not a StatefulSet's
    ]


def test_a_selector_typo_is_still_caught_beside_operator_and_deploymentconfig_pods() -> None:
    prometheus = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "k8s", "namespace": "monitoring"},
    }
    jenkins = workload("jenkins", {"name": "jenkins"}, "monitoring")
    jenkins["apiVersion"] = "apps.openshift.io/v1"
    jenkins["kind"] = "DeploymentConfig"
    monitoring = make_overlay(
        "monitoring",
        prometheus,
        jenkins,
        # Pods the Prometheus operator makes for the Prometheus `k8s`.
        service(
            "prometheus-k8s", {"port": 9090}, selector={"prometheus": "k8s"}, namespace="monitoring"
        ),
        service(
            "prometheus-app", {"port": 9090}, selector={"app": "prometheus"}, namespace="monitoring"
        ),
        # The DeploymentConfig's own template label, and the one its controller adds.
        service("jenkins", {"port": 8080}, selector={"name": "jenkins"}, namespace="monitoring"),
        service(
            "jenkins-dc",
            {"port": 8080},
            selector={"deploymentconfig": "jenkins"},
            namespace="monitoring",
        ),
        # The typo.
        service(
            "jenkins-typo", {"port": 8080}, selector={"name": "jenkin"}, namespace="monitoring"
        ),
    )
    assert finding_lines("ports", monitoring) == [
        "monitoring: Service/monitoring/jenkins-typo spec.selector: name=jenkin matches no pod "
        "template of group k8s/overlays in namespace monitoring; expected a workload in "
        "namespace monitoring whose pod template carries name=jenkin [selects-nothing]"
    ]
    # The operator's pods are presumed only beside its custom resource, in its namespace.
    elsewhere = make_overlay(
        "monitoring",
        service(
            "prometheus-k8s", {"port": 9090}, selector={"prometheus": "k8s"}, namespace="other"
        ),
        prometheus,
    )
    assert [f.rule for f in ports.run([elsewhere], CheckOptions())] == ["selects-nothing"]


# probe-port


def test_a_named_probe_port_must_be_declared_by_its_container() -> None:
    probes = {
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "health"}},
        "livenessProbe": {"tcpSocket": {"port": "http"}},
        "startupProbe": {"grpc": {"port": 9901}},
    }
    sidecar_probe = {"livenessProbe": {"httpGet": {"port": "admin"}}}
    auth = make_overlay(
        "auth",
        deployment(
            "auth-api",
            container("api", HTTP, **probes),
            container("envoy", readinessProbe={"httpGet": {"port": 9901}}),
            init=[container("proxy", restartPolicy="Always", **sidecar_probe)],
        ),
        service("auth-api"),
    )
    assert finding_lines("ports", auth) == [
        "auth: Deployment/auth/auth-api spec.template.spec.containers[0].readinessProbe.httpGet"
        ".port: health is not a named port of container api (ports: http); expected a port "
        "named health declared by container api [probe-port]",
        "auth: Deployment/auth/auth-api spec.template.spec.initContainers[0].livenessProbe"
        ".httpGet.port: admin is not a named port of container proxy (no ports); expected a "
        "port named admin declared by container proxy [probe-port]",
    ]


# duplicate-container-port


def test_a_port_declared_twice_in_one_pod_fails() -> None:
    copy = container("api-copy", {"name": "http", "containerPort": 8080})
    udp = container("dns", {"containerPort": 8080, "protocol": "UDP"})
    sidecar = container("proxy", {"containerPort": 8080}, restartPolicy="Always")
    init = container("setup", {"containerPort": 8080})
    twice = container("metrics", {"containerPort": 9090}, {"containerPort": 9090})
    auth = make_overlay(
        "auth",
        deployment("auth-api", container("api", HTTP), copy, udp, twice, init=[init, sidecar]),
        service("auth-api"),
    )
    assert finding_lines("ports", auth) == [
        "auth: Deployment/auth/auth-api spec.template.spec.containers[0].ports[0].containerPort: "
        "8080/TCP is already declared by container proxy (spec.template.spec.initContainers[1]"
        ".ports[0]); expected each containerPort/protocol declared once per pod "
        "[duplicate-container-port]",
        "auth: Deployment/auth/auth-api spec.template.spec.containers[1].ports[0].containerPort: "
        "8080/TCP is already declared by container proxy (spec.template.spec.initContainers[1]"
        ".ports[0]); expected each containerPort/protocol declared once per pod "
        "[duplicate-container-port]",
        "auth: Deployment/auth/auth-api spec.template.spec.containers[3].ports[1].containerPort: "
        "9090/TCP is already declared by this container (spec.template.spec.containers[3]"
        ".ports[0]); expected each containerPort/protocol declared once per pod "
        "[duplicate-container-port]",
    ]


def test_a_pod_template_annotation_suppresses_its_container_findings() -> None:
    probe = {"readinessProbe": {"httpGet": {"port": "health"}}}
    api = deployment("auth-api", container("api", HTTP, HTTP, **probe))
    orphan = service("auth-worker", selector={"app": "worker"})
    auth = make_overlay("auth", api, orphan)
    assert [f.rule for f in ports.run([auth], CheckOptions())] == [
        "duplicate-container-port",
        "probe-port",
        "selects-nothing",
    ]
    # The pod template's annotation covers its containers, not the Service.
    api["spec"]["template"]["metadata"]["annotations"] = {SKIP_ANNOTATION: "ports"}
    with pytest.raises(AssertionError, match=r"^auth: \[selects-nothing\] Service/auth/auth-"):
        check("ports", make_overlay("auth", api, orphan))
    check("ports", make_overlay("auth", api))


# node-port-reused


def node_port(name: str, namespace: str, *numbers: int | tuple[int, str]) -> dict[str, Any]:
    entries = []
    for i, number in enumerate(numbers):
        value, protocol = number if isinstance(number, tuple) else (number, "TCP")
        entries.append({"name": f"p{i}", "port": 80 + i, "nodePort": value, "protocol": protocol})
    return service(name, *entries, selector={}, namespace=namespace, type="NodePort")


def test_a_node_port_used_by_two_overlays_fails_both() -> None:
    auth = make_overlay("auth", node_port("auth-api", "auth", 30080))
    my = make_overlay("my", node_port("my-api", "my", 30080, 30081))
    scan = make_overlay("scan", node_port("scan-api", "scan", 30082))
    assert finding_lines("ports", auth, my, scan) == [
        "auth: Service/auth/auth-api spec.ports[0].nodePort: 30080 is also used by "
        "Service/my/my-api (spec.ports[0]) of overlay my; expected a nodePort no other Service "
        "of the group uses (or none: Kubernetes picks one) [node-port-reused]",
        "my: Service/my/my-api spec.ports[0].nodePort: 30080 is also used by "
        "Service/auth/auth-api (spec.ports[0]) of overlay auth; expected a nodePort no other "
        "Service of the group uses (or none: Kubernetes picks one) [node-port-reused]",
    ]
    assert [f.others for f in ports.run([auth, my, scan], CheckOptions())] == [("my",), ("auth",)]


def test_node_ports_within_one_overlay_and_one_service() -> None:
    both = node_port("dns", "auth", (30053, "TCP"), (30053, "UDP"))
    assert finding_lines("ports", make_overlay("auth", both)) == []
    twice = node_port("dns", "auth", 30053, 30053)
    other = node_port("dns-2", "auth", 30054)
    other["spec"]["ports"][0]["nodePort"] = 30053
    assert finding_lines("ports", make_overlay("auth", twice, other)) == [
        "auth: Service/auth/dns spec.ports[0].nodePort: 30053 is also used by spec.ports[1] of "
        "this Service, Service/auth/dns-2 (spec.ports[0]); expected a nodePort no other Service "
        "of the group uses (or none: Kubernetes picks one) [node-port-reused]",
        "auth: Service/auth/dns spec.ports[1].nodePort: 30053 is also used by spec.ports[0] of "
        "this Service, Service/auth/dns-2 (spec.ports[0]); expected a nodePort no other Service "
        "of the group uses (or none: Kubernetes picks one) [node-port-reused]",
        "auth: Service/auth/dns-2 spec.ports[0].nodePort: 30053 is also used by "
        "Service/auth/dns (spec.ports[0], spec.ports[1]); expected a nodePort no other Service "
        "of the group uses (or none: Kubernetes picks one) [node-port-reused]",
    ]


def test_two_services_each_serving_one_node_port_over_tcp_and_udp_name_each_other_once() -> None:
    # Each Service alone is legal; the two together clash, whatever the protocols.
    auth = make_overlay("auth", node_port("auth-dns", "auth", (30053, "UDP"), (30053, "TCP")))
    scan = make_overlay("scan", node_port("scan-dns", "scan", (30053, "UDP"), (30053, "TCP")))
    assert finding_lines("ports", auth) == []
    assert finding_lines("ports", auth, scan) == [
        f"{name}: Service/{name}/{name}-dns spec.ports[{i}].nodePort: 30053 is also used by "
        f"Service/{other}/{other}-dns (spec.ports[0], spec.ports[1]) of overlay {other}; "
        "expected a nodePort no other Service of the group uses (or none: Kubernetes picks one) "
        "[node-port-reused]"
        for name, other in (("auth", "scan"), ("scan", "auth"))
        for i in (0, 1)
    ]


def test_one_service_rendered_by_two_overlays_is_left_to_unique_names() -> None:
    shared = node_port("gateway", "edge", 30080)
    assert (
        finding_lines("ports", make_overlay("auth", shared), make_overlay("my", dict(shared))) == []
    )


# ingress-backend


def ingress(*paths: dict[str, Any], default: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": "api.example.com",
                "http": {"paths": [{"path": "/", "backend": {"service": p}} for p in paths]},
            }
        ]
    }
    if default:
        spec["defaultBackend"] = {"service": default}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "auth", "namespace": "auth"},
        "spec": spec,
    }


def test_an_ingress_backend_must_name_a_service_and_one_of_its_ports() -> None:
    api = service("auth-api", {"name": "http", "port": 80, "targetPort": "http"})
    auth = make_overlay(
        "auth",
        deployment("auth-api"),
        api,
        ingress(
            {"name": "auth-api", "port": {"number": 80}},
            {"name": "auth-api", "port": {"name": "http"}},
            {"name": "auth-api", "port": {"number": 8080}},
            {"name": "auth-api", "port": {"name": "https"}},
            {"name": "api", "port": {"number": 80}},
            {"name": "auth-api"},
            default={"name": "auth-api", "port": {"number": 80}},
        ),
    )
    assert finding_lines("ports", auth) == [
        "auth: Ingress/auth/auth spec.rules[0].http.paths[2].backend.service.port.number: 8080 "
        "is not a port of Service/auth/auth-api (ports: 80 (http)); expected one of the "
        "Service's port numbers or names [ingress-backend]",
        "auth: Ingress/auth/auth spec.rules[0].http.paths[3].backend.service.port.name: https "
        "is not a port of Service/auth/auth-api (ports: 80 (http)); expected one of the "
        "Service's port numbers or names [ingress-backend]",
        "auth: Ingress/auth/auth spec.rules[0].http.paths[4].backend.service.name: no Service "
        "api in namespace auth of the group (Services there: auth-api); expected a Service of "
        "the group in namespace auth, or auth/api in overlays_external_services if it is "
        "installed outside the repository [ingress-backend]",
        "auth: Ingress/auth/auth spec.rules[0].http.paths[5].backend.service.port: no port "
        "number or name for Service/auth/auth-api; expected one of the Service's port numbers "
        "or names [ingress-backend]",
    ]


def test_an_ingress_may_point_at_another_overlays_service_of_its_namespace() -> None:
    gateway = ingress({"name": "my-api", "port": {"number": 8080}})
    auth = make_overlay("auth", gateway)
    my = make_overlay(
        "my", deployment("my-api"), service("my-api", {"port": 80, "targetPort": 8080})
    )
    found = ports.run([auth, my], CheckOptions())
    assert [(f.overlay, f.others, f.found) for f in found] == [
        (
            "auth",
            ("my",),
            "8080 is not a port of Service/auth/my-api of overlay my (ports: 80)",
        )
    ]
    old = {**gateway, "apiVersion": "extensions/v1beta1"}
    assert ports.run([make_overlay("auth", old)], CheckOptions()) == []
    empty = make_overlay("auth", {**gateway, "metadata": {"name": "x", "namespace": "empty"}})
    assert [f.found for f in ports.run([empty], CheckOptions())] == [
        "no Service my-api in namespace empty of the group (no Service there)"
    ]


def test_an_ingress_to_a_service_installed_elsewhere_passes_once_listed() -> None:
    # argocd-server comes from the Argo CD Helm chart; the Ingress is ours.
    gateway = ingress({"name": "argocd-server", "port": {"name": "https"}})
    gateway["metadata"]["namespace"] = "argocd"
    edge = make_overlay("edge", gateway, service("auth-api", namespace="argocd", selector={}))
    [found] = ports.run([edge], CheckOptions())
    assert found.line() == (
        "Ingress/argocd/auth spec.rules[0].http.paths[0].backend.service.name: no Service "
        "argocd-server in namespace argocd of the group (Services there: auth-api); expected a "
        "Service of the group in namespace argocd, or argocd/argocd-server in "
        "overlays_external_services if it is installed outside the repository [ingress-backend]"
    )
    for listed in (("argocd/argocd-server",), ("argocd/*",), ("*/argocd-*", "istio-system/x")):
        assert ports.run([edge], CheckOptions(external_services=listed)) == []
    assert ports.run([edge], CheckOptions(external_services=("other/argocd-server",))) != []


def test_an_ingress_to_a_service_an_operator_makes_for_its_custom_resource_passes() -> None:
    # An ApicurioRegistry `default` makes the operator create `default-service`.
    registry = {
        "apiVersion": "registry.apicur.io/v1",
        "kind": "ApicurioRegistry",
        "metadata": {"name": "default", "namespace": "auth"},
    }
    gateway = ingress({"name": "default-service", "port": {"number": 8080}})
    assert ports.run([make_overlay("auth", gateway, registry)], CheckOptions()) == []
    # A configuration-only resource of that name makes no Service.
    monitor = {**registry, "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor"}
    assert [
        f.rule for f in ports.run([make_overlay("auth", gateway, monitor)], CheckOptions())
    ] == ["ingress-backend"]


def test_an_ingress_rule_without_paths_routes_nothing() -> None:
    gateway = ingress({"name": "auth-api", "port": {"number": 80}})
    gateway["spec"]["rules"] += [{"host": "www.example.com"}, {"host": "x.example.com", "http": {}}]
    auth = make_overlay("auth", deployment("auth-api"), service("auth-api"), gateway)
    assert finding_lines("ports", auth) == [
        "auth: Ingress/auth/auth spec.rules[1].http.paths: the rule for host www.example.com has "
        "no paths, so it routes nothing; expected http.paths with at least one path and backend "
        "(or a spec.defaultBackend) [empty-ingress-rule]",
        "auth: Ingress/auth/auth spec.rules[2].http.paths: the rule for host x.example.com has "
        "no paths, so it routes nothing; expected http.paths with at least one path and backend "
        "(or a spec.defaultBackend) [empty-ingress-rule]",
    ]
    # With a default backend, a host-only rule sends that host there.
    gateway["spec"]["defaultBackend"] = {"service": {"name": "auth-api", "port": {"number": 80}}}
    assert finding_lines("ports", auth) == []


def test_a_missing_backend_says_where_a_service_of_that_name_lives() -> None:
    gateway = ingress({"name": "users-api", "port": {"number": 80}})
    users = make_overlay("users", service("users-api", namespace="users", selector={}))
    [found] = ports.run([make_overlay("auth", gateway), users], CheckOptions())
    assert found.found == (
        "no Service users-api in namespace auth of the group (no Service there; users-api "
        "exists in namespace users)"
    )


# End to end: real renders of example_repo's overlays, modified.


def add_patch(root: Path, name: str, kind: str, target: str, operations: str) -> None:
    """Append a JSON 6902 patch to an overlay's kustomization."""
    kfile = root / f"k8s/overlays/{name}/kustomization.yaml"
    text = kfile.read_text()
    if "\npatches:\n" not in text:
        text += "patches:\n"
    body = "\n".join(f"      {line}" for line in operations.strip().splitlines())
    kfile.write_text(
        text + f"  - target:\n      kind: {kind}\n      name: {target}\n    patch: |-\n{body}\n"
    )


CANARY = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-canary
spec:
  selector:
    matchLabels: {{app: api, track: canary}}
  template:
    metadata:
      labels: {{app: api, track: canary}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/placeholder:latest
          ports:
            - {{name: {port}, containerPort: {number}}}
"""


def run_ports(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=ports")


def test_a_canary_without_the_named_port_fails_its_service(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: the canary only declares its metrics port; the Service's
    # `targetPort: http` then reaches no port on half the pods.
    add_resources(example, "auth", {"canary.yaml": CANARY.format(port="metrics", number=9090)})
    add_resources(example, "my", {"canary.yaml": CANARY.format(port="http", number=8080)})
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "auth: [[]target-port-name] *",
            "  Service/auth/auth-api spec.ports[[]0].targetPort: http is not a named port of "
            "Deployment/auth/auth-api-canary container api (ports: metrics); expected a "
            "container port named http [[]target-port-name] (from k8s/base/service.yaml)",
            "hint [[]target-port-name]: declare the named port in every workload the Service "
            "selects *",
        ]
    )


def test_a_numeric_target_port_the_container_does_not_declare_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: the Service was pointed at 8081 while the app listens on 8080.
    add_patch(
        example,
        "chat",
        "Service",
        "api",
        "- {op: add, path: /spec/ports/0/targetPort, value: 8081}",
    )
    add_patch(
        example,
        "info",
        "Service",
        "api",
        "- {op: add, path: /spec/ports/0/targetPort, value: 8080}",
    )
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: [[]target-port-number] *",
            "  Service/chat/chat-api spec.ports[[]0].targetPort: 8081 is not a container port of "
            "Deployment/chat/chat-api container api (ports: 8080 (http)); expected containerPort "
            "8081 declared, or a targetPort naming a declared port [[]target-port-number] "
            "(from k8s/overlays/chat/kustomization.yaml patches[[]1], patching "
            "k8s/base/service.yaml)",
        ]
    )


SCANNER_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: scanner
spec:
  selector:
    app: scanner
  ports:
    - {name: http, port: 80, targetPort: http}
"""

DATABASE_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  type: ExternalName
  externalName: location-db.postgres.svc.cluster.local
"""


def test_a_service_whose_workload_is_gone_selects_nothing(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: the scanner worker moved out of the overlay, its Service stayed.
    add_resources(example, "scan", {"scanner-service.yaml": SCANNER_SERVICE})
    # An ExternalName Service passes, though includeSelectors gives it a selector:
    # Kubernetes ignores the selector of an ExternalName Service.
    add_resources(example, "location", {"db.yaml": DATABASE_SERVICE})
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "scan: [[]selects-nothing] *",
            "  Service/scan/scan-scanner spec.selector: app=scanner,domain=scan matches no pod "
            "template of group k8s/overlays in namespace scan; expected a workload in namespace "
            "scan whose pod template carries app=scanner,domain=scan [[]selects-nothing] "
            "(from k8s/overlays/scan/scanner-service.yaml)",
        ]
    )


REDIS_HA = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: redis-ha-server
spec:
  replicas: 3
  serviceName: redis-ha
  selector:
    matchLabels: {app: redis-ha}
  template:
    metadata:
      labels: {app: redis-ha}
    spec:
      containers:
        - name: redis
          image: redis:7.2.4
          ports:
            - {name: redis, containerPort: 6379}
---
apiVersion: v1
kind: Service
metadata:
  name: redis-ha-announce-0
spec:
  selector:
    app: redis-ha
    statefulset.kubernetes.io/pod-name: redis-ha-server-0
  ports:
    - {name: redis, port: 6379, targetPort: redis}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: k8s
spec:
  replicas: 2
---
apiVersion: v1
kind: Service
metadata:
  name: prometheus-k8s
spec:
  selector:
    prometheus: k8s
  ports:
    - {name: web, port: 9090, targetPort: web}
"""

TYPO_SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: redis-ha-announce-1
spec:
  selector:
    app: redis-ha
    statefulset.kubernetes.io/pod-name: redis-ha-sever-1
  ports:
    - {name: redis, port: 6379, targetPort: redis}
"""


def test_pods_a_controller_or_an_operator_makes_count_and_a_selector_typo_fails(
    pytester: pytest.Pytester,
) -> None:
    # A platform overlay: a StatefulSet's per-pod Service, a Service in front of
    # a Prometheus custom resource's pods, an OpenShift DeploymentConfig's Service.
    write(pytester.path, "platform/kustomization.yaml", "resources: [redis.yaml, jenkins.yaml]\n")
    write(pytester.path, "platform/redis.yaml", REDIS_HA)
    write(pytester.path, "platform/jenkins.yaml", JENKINS_DEPLOYMENT_CONFIG)
    result = pytester.runpytest("--overlays=platform", "--overlays-checks=ports,images")
    result.assert_outcomes(passed=2)
    # The mistake: pod 1's Service misspells the StatefulSet's name.
    write(pytester.path, "platform/typo.yaml", TYPO_SERVICE)
    write(
        pytester.path,
        "platform/kustomization.yaml",
        "resources: [redis.yaml, jenkins.yaml, typo.yaml]\n",
    )
    result = pytester.runpytest("--overlays=platform", "--overlays-checks=ports")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "platform: [[]selects-nothing] *",
            "  Service/redis-ha-announce-1 spec.selector: app=redis-ha,statefulset.kubernetes.io/"
            "pod-name=redis-ha-sever-1 matches no pod template of group platform in no namespace; "
            "expected a workload in no namespace whose pod template carries app=redis-ha,"
            "statefulset.kubernetes.io/pod-name=redis-ha-sever-1 [[]selects-nothing] "
            "(from platform/typo.yaml)",
        ]
    )


EDGE_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: argocd
  namespace: argocd
spec:
  rules:
    - host: argocd.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: argocd-server
                port: {name: https}
"""


def test_an_ingress_to_a_service_a_helm_chart_installs_passes_once_listed(
    pytester: pytest.Pytester, example: Path
) -> None:
    write(example, "k8s/overlays/edge/kustomization.yaml", "resources: [ingress.yaml]\n")
    write(example, "k8s/overlays/edge/ingress.yaml", EDGE_INGRESS)
    result = run_ports(pytester)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "edge: [[]ingress-backend] *",
            "  Ingress/argocd/argocd spec.rules[[]0].http.paths[[]0].backend.service.name: no "
            "Service argocd-server in namespace argocd of the group (no Service there); expected "
            "a Service of the group in namespace argocd, or argocd/argocd-server in "
            "overlays_external_services if it is installed outside the repository "
            "[[]ingress-backend] (from k8s/overlays/edge/ingress.yaml)",
        ]
    )
    pytester.makeini("[pytest]\noverlays_external_services = argocd/argocd-server\n")
    run_ports(pytester).assert_outcomes(passed=8)
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=ports",
        "--overlays-external-services=istio-system/*,argocd/argocd-*",
    )
    result.assert_outcomes(passed=8)


def test_a_probe_on_an_undeclared_named_port_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: the probe names a `health` port the container never declares.
    add_patch(
        example,
        "chat",
        "Deployment",
        "api",
        "- {op: replace, path: /spec/template/spec/containers/0/readinessProbe/httpGet/port, "
        "value: health}",
    )
    # Numeric probe ports are served by sidecars as often as not: never judged.
    add_patch(
        example,
        "info",
        "Deployment",
        "api",
        "- {op: replace, path: /spec/template/spec/containers/0/livenessProbe/httpGet/port, "
        "value: 15020}",
    )
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: [[]probe-port] *",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].readinessProbe.httpGet"
            ".port: health is not a named port of container api (ports: http); expected a port "
            "named health declared by container api [[]probe-port] "
            "(from k8s/overlays/chat/kustomization.yaml patches[[]1], patching "
            "k8s/base/deployment.yaml)",
            "hint [[]probe-port]: *",
        ]
    )


SIDECAR = """
- op: add
  path: /spec/template/spec/containers/-
  value:
    name: metrics
    image: ghcr.io/acme/exporter:2.0.0
    ports:
      - {{name: metrics, containerPort: {number}}}
"""


def test_a_sidecar_copying_the_app_port_fails(pytester: pytest.Pytester, example: Path) -> None:
    # The mistake: the exporter sidecar was pasted from the api container, port and all.
    add_patch(example, "location", "Deployment", "api", SIDECAR.format(number=8080))
    add_patch(example, "character", "Deployment", "api", SIDECAR.format(number=9090))
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "location: [[]duplicate-container-port] *",
            "  Deployment/location/location-api spec.template.spec.containers[[]1].ports[[]0]"
            ".containerPort: 8080/TCP is already declared by container api "
            "(spec.template.spec.containers[[]0].ports[[]0]); expected each "
            "containerPort/protocol declared once per pod [[]duplicate-container-port] "
            "(from k8s/overlays/location/kustomization.yaml patches[[]0], patching "
            "k8s/base/deployment.yaml)",
        ]
    )


NODE_PORT = """
- {{op: add, path: /spec/type, value: NodePort}}
- {{op: add, path: /spec/ports/0/nodePort, value: {number}}}
"""


UDP_TOO = """
- {op: add, path: /spec/ports/-, value: {name: http3, port: 80, protocol: UDP, targetPort: 8080,
  nodePort: 30081}}
"""


def test_a_node_port_reused_by_two_overlays_fails_both(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: character's patch was copied from my's, nodePort included.
    # info serves its nodePort over TCP and UDP from one Service: legal.
    add_patch(example, "my", "Service", "api", NODE_PORT.format(number=30080))
    add_patch(example, "character", "Service", "api", NODE_PORT.format(number=30080))
    add_patch(example, "info", "Service", "api", NODE_PORT.format(number=30081) + UDP_TOO)
    result = run_ports(pytester)
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "character: [[]node-port-reused] *",
            "  Service/character/character-api spec.ports[[]0].nodePort: 30080 is also used by "
            "Service/my/my-api (spec.ports[[]0]) of overlay my; expected a nodePort no other "
            "Service of the group uses (or none: Kubernetes picks one) [[]node-port-reused] "
            "(from k8s/overlays/character/kustomization.yaml patches[[]0], patching "
            "k8s/base/service.yaml)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "my: [[]*] *",
            "  Service/my/my-api spec.ports[[]0].nodePort: 30080 is also used by "
            "Service/character/character-api (spec.ports[[]0]) of overlay character; *",
        ]
    )


SIDECAR_ONLY_PORTS = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      initContainers:
        - name: cloud-sql-proxy
          image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0
          restartPolicy: Always
          ports:
            - {name: proxy-metrics, containerPort: 9801}
      containers:
        - name: worker
          image: ghcr.io/acme/placeholder:latest
---
apiVersion: v1
kind: Service
metadata:
  name: worker
spec:
  selector: {app: worker}
  ports:
    - {name: http, port: 80, targetPort: 8080}
"""

PORTS_NOT_A_LIST = "- {op: replace, path: /spec/template/spec/containers/0/ports, value: 8080}"


def test_a_sidecar_only_declaring_ports_passes_and_ports_not_a_list_are_reported(
    pytester: pytest.Pytester, example: Path
) -> None:
    # scan's worker declares no port of its own, its cloud-sql-proxy sidecar
    # does; chat's patch writes `ports: 8080` where a list belongs (a check
    # reports what then points nowhere, it does not crash).
    add_resources(example, "scan", {"worker.yaml": SIDECAR_ONLY_PORTS})
    add_patch(example, "chat", "Deployment", "api", PORTS_NOT_A_LIST)
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: 3 findings [[]*]",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].livenessProbe.httpGet"
            ".port: http is not a named port of container api (no ports); expected a port named "
            "http declared by container api [[]probe-port] (from k8s/base/deployment.yaml)",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].readinessProbe.httpGet"
            ".port: http is not a named port of container api (no ports); *",
            "  Service/chat/chat-api spec.ports[[]0].targetPort: http is not a named port of "
            "Deployment/chat/chat-api container api (no ports); expected a container port named "
            "http [[]target-port-name] (from k8s/base/service.yaml)",
        ]
    )
    result.stdout.no_fnmatch_line("*crashed*")


INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
spec:
  rules:
    - host: {name}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: api
                port: {port}
"""


def test_an_ingress_on_the_container_port_instead_of_the_service_port_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: the Ingress names the container's 8080, the Service listens on 80.
    add_resources(
        example, "info", {"ingress.yaml": INGRESS.format(name="info", port="{number: 8080}")}
    )
    add_resources(
        example, "chat", {"ingress.yaml": INGRESS.format(name="chat", port="{name: http}")}
    )
    add_resources(example, "my", {"ingress.yaml": INGRESS.format(name="my", port="{number: 80}")})
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "info: [[]ingress-backend] *",
            "  Ingress/info/info-api spec.rules[[]0].http.paths[[]0].backend.service.port.number: "
            "8080 is not a port of Service/info/info-api (ports: 80 (http)); expected one of the "
            "Service's port numbers or names [[]ingress-backend] "
            "(from k8s/overlays/info/ingress.yaml)",
            "hint [[]ingress-backend]: *",
        ]
    )


HOST_PATCH = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
spec:
  rules:
    - host: info.acme.example
"""


def test_a_patch_that_replaces_the_rules_with_a_bare_host_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: prod's patch changes the host; a strategic merge replaces the
    # whole rules list, and the paths are gone.
    add_resources(
        example, "info", {"ingress.yaml": INGRESS.format(name="info", port="{number: 80}")}
    )
    kfile = example / "k8s/overlays/info/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "patches:\n  - path: host.yaml\n")
    write(example, "k8s/overlays/info/host.yaml", HOST_PATCH)
    result = run_ports(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "info: [[]empty-ingress-rule] *",
            "  Ingress/info/info-api spec.rules[[]0].http.paths: the rule for host "
            "info.acme.example has no paths, so it routes nothing; expected http.paths with at "
            "least one path and backend (or a spec.defaultBackend) [[]empty-ingress-rule] "
            "(from k8s/overlays/info/host.yaml, patching k8s/overlays/info/ingress.yaml)",
            "hint [[]empty-ingress-rule]: give the rule its http.paths again: *",
        ]
    )


def test_example_repo_passes_ports(pytester: pytest.Pytester, example: Path) -> None:
    result = run_ports(pytester)
    result.assert_outcomes(passed=7)


def test_two_thousand_overlays_stay_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    # One shared namespace: the pod index and the Service table keep each
    # Service and Ingress to its own candidates instead of 2,000 x 2,000.
    compared = count_selector_matches(monkeypatch)
    many = []
    for i in range(2000):
        labels = {"app": "api", "domain": f"svc{i}"}
        gateway = ingress({"name": f"svc{i}-api", "port": {"name": "http"}})
        gateway["metadata"] = {"name": f"svc{i}", "namespace": "auth"}
        api = service(f"svc{i}-api", {"name": "http", "port": 80}, selector=labels)
        api["spec"]["ports"][0]["targetPort"] = "http"
        many.append(make_overlay(f"svc{i}", deployment(f"svc{i}-api", labels=labels), api, gateway))
    assert ports.run(many, CheckOptions()) == []
    many.append(make_overlay("edge", ingress({"name": "api", "port": {"number": 80}})))
    [found] = ports.run(many, CheckOptions())
    assert found.found == (
        "no Service api in namespace auth of the group (Services there: svc0-api, svc1-api, "
        "svc10-api, svc100-api, svc1000-api and 1995 more)"
    )
    assert compared() < 10 * len(many)


# Fuzz-ish: every check survives a YAML typo anywhere in a realistic overlay.

#: What a typo puts where something else belongs: scalars, lists and maps.
ODD_VALUES: tuple[Any, ...] = (
    8080,
    "x",
    None,
    True,
    1.5,
    [],
    [1],
    {},
    {"a": {"b": 1}},
    [{"a": {}}],
)


def _realistic_docs() -> list[dict[str, Any]]:
    """One overlay using every field the isolation, ports, namespace and images checks read."""
    probes = {
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
        "livenessProbe": {"tcpSocket": {"port": 8080}},
    }
    proxy = container("proxy", {"name": "metrics", "containerPort": 9801}, restartPolicy="Always")
    api = deployment("auth-api", container("api", HTTP, **probes), init=[proxy])
    api["metadata"]["labels"] = {"domain": "auth"}
    api["spec"]["selector"] = {"matchLabels": APP}
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "auth-api", "namespace": "auth"},
        "spec": {
            "selector": {
                "matchLabels": APP,
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}],
            }
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "auth-api", "namespace": "auth"},
        "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}},
    }
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "quotas.acme.io"},
        "spec": {"group": "acme.io", "names": {"kind": "Quota"}, "scope": "Cluster"},
    }
    api["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "PEER", "value": "http://auth-api.auth.svc.cluster.local:80"}
    ]
    return [
        api,
        service("auth-api", {"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}),
        ingress({"name": "auth-api", "port": {"name": "http"}}, default={"name": "auth-api"}),
        pdb,
        policy,
        crd,
        {"apiVersion": "acme.io/v1", "kind": "Quota", "metadata": {"name": "default"}},
        *_routing_docs(),
    ]


def _routing_docs() -> list[dict[str, Any]]:
    """The routes, monitors, addresses and OpenShift workloads the references check reads."""
    meta = {"name": "auth", "namespace": "auth"}
    destination = {"host": "auth-api.auth.svc.cluster.local", "port": {"number": 80}}
    config = deployment("jenkins", container("jenkins"), labels={"name": "jenkins"})
    config["apiVersion"], config["kind"] = "apps.openshift.io/v1", "DeploymentConfig"
    config["spec"]["triggers"] = [
        {"type": "ImageChange", "imageChangeParams": {"containerNames": ["jenkins"]}}
    ]
    return [
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": meta,
            "spec": {"http": [{"route": [{"destination": destination}]}]},
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": meta,
            "spec": {"rules": [{"backendRefs": [{"name": "auth-api", "port": 80}]}]},
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": APP},
                "namespaceSelector": {"matchNames": ["auth"]},
                "endpoints": [{"port": "http"}],
            },
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": meta,
            "spec": {"selector": {"matchLabels": APP}, "podMetricsEndpoints": [{"port": "http"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": {"PEER": "auth-api.auth:80", "PEER2": "redis-0.auth-api:6379"},
        },
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": meta},
        config,
    ]


@pytest.mark.parametrize(
    "check_id", ["isolation", "ports", "namespace", "unique-names", "images", "references"]
)
def test_malformed_manifests_never_crash_a_check(check_id: str) -> None:
    # Each field of each manifest in turn gets each odd value; the other
    # overlay of the group stays intact, so group checks compare both.
    docs = _realistic_docs()
    options = CheckOptions(
        service_label="domain",
        namespace="{name}",
        allowed_registries=("ghcr.io",),
        external_services=("auth/ext-*",),
        image_convention=("ghcr.io/acme/{workload}:*",),
        groups=("k8s/dev", "k8s/overlays"),
    )
    run = CHECKS[check_id].run
    intact = make_overlay("scan", *deepcopy(docs))
    runs = 0
    for i, doc in enumerate(docs):
        for path in paths(doc):
            for value in ODD_VALUES:
                broken = [*docs[:i], replaced(doc, path, value), *docs[i + 1 :]]
                try:
                    run([make_overlay("auth", *broken), intact], options)
                except Exception as error:  # pragma: no cover - the failure message says it all
                    pytest.fail(f"{check_id} crashed on {path} = {value!r}: {error!r}")
                runs += 1
    assert runs > 500


def test_a_misspelt_port_name_suggests_the_declared_one(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: `htp` for `http`, in the Service and in a probe.
    add_patch(
        example,
        "chat",
        "Service",
        "api",
        "- {op: replace, path: /spec/ports/0/targetPort, value: htp}",
    )
    add_patch(
        example,
        "info",
        "Deployment",
        "api",
        "- {op: replace, path: /spec/template/spec/containers/0/readinessProbe/httpGet/port, "
        "value: htp}",
    )
    result = run_ports(pytester)
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "chat: [[]target-port-name] *",
            "  Service/chat/chat-api spec.ports[[]0].targetPort: htp is not a named port of "
            "Deployment/chat/chat-api container api (ports: http); expected a container port "
            "named htp (did you mean http?) [[]target-port-name] *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "info: [[]probe-port] *",
            "  Deployment/info/info-api spec.template.spec.containers[[]0].readinessProbe.httpGet"
            ".port: htp is not a named port of container api (ports: http); expected a port "
            "named htp declared by container api (did you mean http?) [[]probe-port] *",
        ]
    )
    # A name not close to any declared one gets no guess (see the canary test).
    result.stdout.no_fnmatch_line("*did you mean metrics*")
