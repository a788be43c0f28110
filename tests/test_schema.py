"""The schema check on plain dicts: every rule failing on a real mistake, and passing."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.checks import CHECKS
from pytest_k8s_overlays.checks.assertions import check
from pytest_k8s_overlays.checks.base import CheckOptions
from pytest_k8s_overlays.checks.schema.check import (
    CrdFileError,
    UnsupportedVersion,
    custom_kinds,
    load_crds,
    resolve_version,
    run,
)
from pytest_k8s_overlays.checks.schema.versions import bundled_versions
from pytest_k8s_overlays.core.resources import Resource
from pytest_k8s_overlays.parse.crds import crd_index, find_crd

from .builders import finding_lines, make_overlay, malformed

NEWEST = bundled_versions()[-1]
OLDEST = bundled_versions()[0]


def lines(*docs: dict[str, Any], **options: Any) -> list[str]:
    """The finding lines of the schema check on one overlay of these manifests."""
    return finding_lines("schema", make_overlay("auth", *docs), prefix=False, **options)


def deployment(**changes: Any) -> dict[str, Any]:
    """The example repository's Deployment as the auth overlay renders it."""
    labels = {"app": "api", "domain": "auth"}
    doc: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "auth-api", "namespace": "auth", "labels": dict(labels)},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "image": "ghcr.io/acme/auth-api:1.1.0",
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "envFrom": [{"configMapRef": {"name": "auth-api-config"}}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                        }
                    ]
                },
            },
        },
    }
    doc.update(changes)
    return doc


def container(doc: dict[str, Any], index: int = 0) -> dict[str, Any]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return containers[index]


def service(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "auth-api", "namespace": "auth"},
        "spec": {
            "selector": {"app": "api", "domain": "auth"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            **spec,
        },
    }


CONFIGMAP: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "auth-api-config", "namespace": "auth"},
    "data": {"LOG_LEVEL": "debug"},
}

DEPLOYMENT = "Deployment/auth/auth-api"
CONTAINER = "spec.template.spec.containers[0]"


def test_the_example_render_passes() -> None:
    assert lines(deployment(), service(), CONFIGMAP) == []


# --- type, unknown-field, required, enum ---------------------------------------------


def test_a_quoted_port_number_is_a_type_error() -> None:
    doc = deployment()
    container(doc)["ports"][0]["containerPort"] = "8080"
    assert lines(doc) == [
        f'{DEPLOYMENT} {CONTAINER}.ports[0].containerPort: "8080" (a string); '
        "expected an integer [type]"
    ]


def test_every_error_of_a_resource_is_reported() -> None:
    doc = deployment()
    container(doc)["ports"][0]["containerPort"] = "8080"
    container(doc)["env"] = {"LOG_LEVEL": "debug"}
    doc["spec"]["replicas"] = "two"
    assert lines(doc) == [
        f'{DEPLOYMENT} spec.replicas: "two" (a string); expected an integer [type]',
        f"{DEPLOYMENT} {CONTAINER}.env: an object; expected a list [type]",
        f'{DEPLOYMENT} {CONTAINER}.ports[0].containerPort: "8080" (a string); '
        "expected an integer [type]",
    ]


def test_an_int_or_string_field_names_both_types() -> None:
    doc = deployment()
    container(doc)["readinessProbe"]["httpGet"]["port"] = 80.5
    assert lines(doc) == [
        f"{DEPLOYMENT} {CONTAINER}.readinessProbe.httpGet.port: 80.5 (a number); "
        "expected a string or an integer [type]"
    ]


def test_a_misspelt_field_fails_in_strict_mode() -> None:
    doc = deployment()
    container(doc)["imagePullPolcy"] = "Always"
    assert lines(doc) == [
        f"{DEPLOYMENT} {CONTAINER}.imagePullPolcy: unknown field; "
        "expected a field of Container (did you mean imagePullPolicy?) [unknown-field]"
    ]


def test_a_misspelt_field_passes_without_strict() -> None:
    doc = deployment()
    container(doc)["imagePullPolcy"] = "Always"
    assert lines(doc, strict=False) == []


def test_unknown_metadata_field_is_reported_with_its_path() -> None:
    doc = deployment()
    doc["metadata"]["label"] = {"team": "auth"}
    assert lines(doc) == [
        f"{DEPLOYMENT} metadata.label: unknown field; "
        "expected a field of ObjectMeta (did you mean labels?) [unknown-field]"
    ]


def test_a_container_without_a_name_misses_a_required_field() -> None:
    doc = deployment()
    del container(doc)["name"]
    assert lines(doc) == [
        f"{DEPLOYMENT} {CONTAINER}.name: missing; expected a value: Container requires name "
        "[required]"
    ]


def test_a_misspelt_service_type_is_an_enum_error() -> None:
    assert lines(service(type="LoadBalancr")) == [
        'Service/auth/auth-api spec.type: "LoadBalancr" (a string); expected one of ClusterIP, '
        "ExternalName, LoadBalancer, NodePort (did you mean LoadBalancer?) [enum]"
    ]


def test_enum_values_pass() -> None:
    doc = deployment()
    container(doc)["imagePullPolicy"] = "IfNotPresent"
    container(doc)["livenessProbe"]["httpGet"]["scheme"] = "HTTPS"
    assert lines(doc, service(type="NodePort", externalTrafficPolicy="Local")) == []


def test_a_lowercase_probe_scheme_is_an_enum_error() -> None:
    doc = deployment()
    container(doc)["livenessProbe"]["httpGet"]["scheme"] = "http"
    assert lines(doc) == [
        f'{DEPLOYMENT} {CONTAINER}.livenessProbe.httpGet.scheme: "http" (a string); '
        "expected one of HTTP, HTTPS (did you mean HTTP?) [enum]"
    ]


# --- quantity ------------------------------------------------------------------------


def test_an_unparsable_quantity_fails() -> None:
    doc = deployment()
    container(doc)["resources"]["limits"]["cpu"] = "lots"
    assert lines(doc) == [
        f'{DEPLOYMENT} {CONTAINER}.resources.limits.cpu: "lots" (a string); '
        "expected a quantity such as 250m, 1, 512Mi or 2Gi [quantity]"
    ]


@pytest.mark.parametrize(
    "value",
    [
        "100m",
        "0.5",
        "1",
        "1e3",
        "1E-3",
        "2E",
        "1Gi",
        "1.5Gi",
        "+1",
        ".5",
        2,
        "250000000n",
        "250000u",
        "1k",
        "1.",
    ],
)
def test_kubernetes_quantities_pass(value: str | int) -> None:
    doc = deployment()
    container(doc)["resources"]["limits"]["cpu"] = value
    assert lines(doc) == []


@pytest.mark.parametrize(
    "value", ["1 Gi", "1gi", "1GB", "1.2.3", "Mi", "1e", "--1", "1Gi\n", "1e1.5", "1N", "1U"]
)
def test_malformed_quantities_fail(value: str) -> None:
    doc = deployment()
    container(doc)["resources"]["requests"]["memory"] = value
    assert [line.rsplit(" ", 1)[1] for line in lines(doc)] == ["[quantity]"]


def test_a_volume_claim_size_is_a_quantity_too() -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "auth"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10gb"}}},
    }
    assert lines(claim) == [
        'PersistentVolumeClaim/auth/data spec.resources.requests.storage: "10gb" (a string); '
        "expected a quantity such as 250m, 1, 512Mi or 2Gi [quantity]"
    ]


# --- removed-api, unknown-kind -------------------------------------------------------

INGRESS = {
    "apiVersion": "extensions/v1beta1",
    "kind": "Ingress",
    "metadata": {"name": "auth", "namespace": "auth"},
    "spec": {"rules": [{"host": "auth.acme.example"}]},
}


def test_a_removed_api_fails_with_its_replacement() -> None:
    assert lines(INGRESS) == [
        "Ingress/auth/auth apiVersion: extensions/v1beta1 Ingress was removed in 1.22; "
        "expected apiVersion networking.k8s.io/v1 [removed-api]"
    ]


def test_the_current_api_passes() -> None:
    assert lines({**INGRESS, "apiVersion": "networking.k8s.io/v1"}) == []


def test_an_api_removed_later_than_the_target_version_passes() -> None:
    hpa = {
        "apiVersion": "autoscaling/v2beta2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "auth", "namespace": "auth"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "auth-api"},
            "maxReplicas": 4,
        },
    }
    assert lines(hpa, k8s_version="1.25") == []
    assert lines(hpa) == [
        "HorizontalPodAutoscaler/auth/auth apiVersion: autoscaling/v2beta2 "
        "HorizontalPodAutoscaler was removed in 1.26; expected apiVersion autoscaling/v2 "
        "[removed-api]"
    ]


def test_a_misspelt_builtin_kind_is_unknown() -> None:
    assert lines(deployment(kind="Deploymnet")) == [
        f"Deploymnet/auth/auth-api kind: apps/v1 Deploymnet is not served by Kubernetes "
        f"{NEWEST}; expected a kind the apps API group serves (did you mean Deployment?) "
        "[unknown-kind]"
    ]


def test_a_builtin_kind_in_a_version_never_served_is_unknown() -> None:
    assert lines(deployment(apiVersion="apps/v1beta3")) == [
        f"{DEPLOYMENT} apiVersion: apps/v1beta3 Deployment is not served by Kubernetes "
        f"{NEWEST}; expected apiVersion apps/v1 [unknown-kind]"
    ]


def test_a_builtin_kind_under_another_groups_api_version_names_the_right_one() -> None:
    assert lines(deployment(apiVersion="v1")) == [
        f"{DEPLOYMENT} apiVersion: v1 Deployment is not served by Kubernetes {NEWEST}; "
        "expected apiVersion apps/v1 for Deployment [unknown-kind]"
    ]
    assert lines(deployment()) == []


def test_a_core_kind_that_does_not_exist_is_unknown_not_custom() -> None:
    doc = {"apiVersion": "v1", "kind": "Configmap", "metadata": {"name": "x"}}
    assert lines(doc) == [
        f"Configmap/x kind: v1 Configmap is not served by Kubernetes {NEWEST}; "
        "expected a kind the core API group serves (did you mean ConfigMap?) [unknown-kind]"
    ]


# --- selector ------------------------------------------------------------------------


def test_the_mission_base_deployment_without_selector_fails() -> None:
    doc = deployment()
    del doc["spec"]["selector"]
    assert lines(doc) == [
        f"{DEPLOYMENT} spec.selector: missing; expected a selector matching the pod template "
        "labels (app=api, domain=auth) [selector]"
    ]


def test_a_selector_the_template_labels_do_not_match_fails() -> None:
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"] = {"app": "web"}
    assert lines(doc) == [
        f"{DEPLOYMENT} spec.selector.matchLabels.app: app=api but the pod template has app=web; "
        "expected the selector to match spec.template.metadata.labels [selector]",
        f"{DEPLOYMENT} spec.selector.matchLabels.domain: domain=auth but the pod template has "
        "no label domain; expected the selector to match spec.template.metadata.labels "
        "[selector]",
    ]


def test_an_empty_selector_fails() -> None:
    doc = deployment()
    doc["spec"]["selector"] = {}
    assert lines(doc) == [
        f"{DEPLOYMENT} spec.selector: an empty selector; expected a selector matching the pod "
        "template labels (app=api, domain=auth) [selector]"
    ]


def test_match_expressions_are_evaluated() -> None:
    doc = deployment()
    doc["spec"]["selector"] = {
        "matchLabels": {"app": "api"},
        "matchExpressions": [
            {"key": "domain", "operator": "In", "values": ["auth", "my"]},
            {"key": "tier", "operator": "DoesNotExist"},
            {"key": "domain", "operator": "Exists"},
            {"key": "app", "operator": "NotIn", "values": ["web"]},
        ],
    }
    assert lines(doc) == []
    doc["spec"]["selector"]["matchExpressions"][0]["values"] = ["my"]
    assert lines(doc) == [
        f"{DEPLOYMENT} spec.selector.matchExpressions[0]: domain In (my) but the pod template "
        "has domain=auth; expected the selector to match spec.template.metadata.labels "
        "[selector]"
    ]


def test_an_unknown_selector_operator_is_an_enum_error() -> None:
    doc = deployment()
    doc["spec"]["selector"]["matchExpressions"] = [{"key": "app", "operator": "Equals"}]
    assert lines(doc) == [
        f'{DEPLOYMENT} spec.selector.matchExpressions[0].operator: "Equals" (a string); '
        "expected one of DoesNotExist, Exists, In, NotIn [enum]"
    ]


def test_a_selector_operator_written_as_a_map_is_a_type_error_not_a_crash() -> None:
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    doc["spec"]["selector"]["matchExpressions"] = [{"key": "tier", "operator": {"In": ["web"]}}]
    assert lines(doc) == [
        f"{DEPLOYMENT} spec.selector.matchExpressions[0].operator: an object; "
        "expected a string [type]"
    ]
    doc["spec"]["selector"]["matchExpressions"] = [
        {"key": "tier", "operator": "In", "values": ["web"]}
    ]
    assert lines(doc) == []


# --- name ----------------------------------------------------------------------------


def test_an_uppercase_name_fails() -> None:
    doc = deployment()
    doc["metadata"]["name"] = "Auth_API"
    assert lines(doc) == [
        'Deployment/auth/Auth_API metadata.name: "Auth_API" is not a DNS-1123 subdomain; '
        "expected at most 253 lowercase letters, digits, '-' or '.', starting and ending with "
        "a letter or digit [name]"
    ]


def test_a_service_name_must_start_with_a_letter() -> None:
    doc = service()
    doc["metadata"]["name"] = "1-api"
    assert lines(doc) == [
        'Service/auth/1-api metadata.name: "1-api" is not a DNS-1035 label; expected at most '
        "63 lowercase letters, digits or '-', starting with a letter and ending with a letter "
        "or digit [name]"
    ]
    other = deployment()
    other["metadata"]["name"] = "1-api.v2"
    assert lines(other) == []


def test_an_overlong_cronjob_name_fails() -> None:
    name = "auth-" + "x" * 48
    job: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "auth"},
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "job", "image": "busybox:1.36"}],
                        }
                    }
                }
            },
        },
    }
    assert lines(job) == [
        f'CronJob/auth/{name} metadata.name: "{name}" is not a valid CronJob name '
        "(53 characters); expected a DNS-1123 subdomain of at most 52 characters "
        "(Job names add 11) [name]"
    ]
    job["metadata"]["name"] = name[:-1]
    assert lines(job) == []


def test_rbac_names_may_hold_colons() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:auth-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    assert lines(role) == []


def test_an_invalid_namespace_fails() -> None:
    doc = copy.deepcopy(CONFIGMAP)
    doc["metadata"]["namespace"] = "Auth"
    assert lines(doc) == [
        'ConfigMap/Auth/auth-api-config metadata.namespace: "Auth" is not a DNS-1123 label; '
        "expected at most 63 lowercase letters, digits or '-', starting and ending with a "
        "letter or digit [name]"
    ]


# --- port-range, duplicate-container --------------------------------------------------


def test_port_numbers_out_of_range_fail() -> None:
    doc = deployment()
    container(doc)["ports"][0]["containerPort"] = 80800
    container(doc)["livenessProbe"] = {"tcpSocket": {"port": 0}}
    svc = service(type="NodePort")
    svc["spec"]["ports"][0].update(port=70000, nodePort=0)
    assert lines(doc, svc) == [
        f"{DEPLOYMENT} {CONTAINER}.livenessProbe.tcpSocket.port: 0 (an integer); "
        "expected a port number from 1 to 65535 [port-range]",
        f"{DEPLOYMENT} {CONTAINER}.ports[0].containerPort: 80800 (an integer); "
        "expected a port number from 1 to 65535 [port-range]",
        "Service/auth/auth-api spec.ports[0].port: 70000 (an integer); "
        "expected a port number from 1 to 65535 [port-range]",
    ]


def test_ports_in_range_and_unset_zeros_pass() -> None:
    doc = deployment()
    container(doc)["ports"][0].update(containerPort=65535, hostPort=0)
    svc = service(type="NodePort")
    svc["spec"]["ports"][0].update(port=1, targetPort=8080, nodePort=30080)
    assert lines(doc, svc) == []


def test_an_init_container_named_like_the_app_container_fails() -> None:
    doc = deployment()
    doc["spec"]["template"]["spec"]["initContainers"] = [
        {"name": "api", "image": "ghcr.io/acme/migrate:1.0.0"}
    ]
    assert lines(doc) == [
        f'{DEPLOYMENT} {CONTAINER}.name: "api", already the name of '
        "spec.template.spec.initContainers[0]; expected a name unique among the pod's "
        "containers, init containers included [duplicate-container]"
    ]
    doc["spec"]["template"]["spec"]["initContainers"][0]["name"] = "migrate"
    assert lines(doc) == []


# --- port-name, service-ports --------------------------------------------------------

PORT_NAME = (
    "expected at most 15 lowercase letters, digits or '-', with at least one letter, "
    "not starting or ending with '-', no '--' [port-name]"
)


def test_an_overlong_or_uppercase_container_port_name_fails() -> None:
    doc = deployment()
    container(doc)["ports"] = [
        {"name": "prometheus-metrics", "containerPort": 9090},
        {"name": "HTTP", "containerPort": 8080},
    ]
    assert lines(doc) == [
        f'{DEPLOYMENT} {CONTAINER}.ports[0].name: "prometheus-metrics" is not a valid port '
        f"name (18 characters); {PORT_NAME}",
        f'{DEPLOYMENT} {CONTAINER}.ports[1].name: "HTTP" is not a valid port name '
        f"(uppercase letters); {PORT_NAME}",
    ]
    container(doc)["ports"] = [
        {"name": "metrics", "containerPort": 9090},
        {"name": "http", "containerPort": 8080},
        {"name": "grpc-web-2", "containerPort": 8081},
        {"containerPort": 8082},
    ]
    assert lines(doc) == []


@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("8080", "digits only: unquote a port number"),
        ("-http", "a leading or trailing '-'"),
        ("grpc--web", "'--'"),
        ("http_alt", "characters other than a-z, 0-9 and '-'"),
    ],
)
def test_port_names_follow_the_iana_service_name_rules(name: str, fault: str) -> None:
    doc = deployment()
    container(doc)["ports"][0]["name"] = name
    container(doc)["readinessProbe"]["httpGet"]["port"] = name
    container(doc)["livenessProbe"]["httpGet"]["port"] = 8080
    shown = f'"{name}" is not a valid port name ({fault}); {PORT_NAME}'
    assert lines(doc) == [
        f"{DEPLOYMENT} {CONTAINER}.ports[0].name: {shown}",
        f"{DEPLOYMENT} {CONTAINER}.readinessProbe.httpGet.port: {shown}",
    ]


def test_a_port_name_used_twice_in_one_container_fails() -> None:
    doc = deployment()
    container(doc)["ports"].append({"name": "http", "containerPort": 8081})
    assert lines(doc) == [
        f'{DEPLOYMENT} {CONTAINER}.ports[1].name: "http", already the name of '
        f"{CONTAINER}.ports[0]; expected a port name unique within the container [port-name]"
    ]
    # The same name in two containers of the pod is fine.
    doc = deployment()
    sidecar: dict[str, Any] = {"name": "proxy", "image": "ghcr.io/acme/proxy:1.0.0"}
    sidecar["ports"] = [{"name": "http", "containerPort": 9080}]
    doc["spec"]["template"]["spec"]["containers"].append(sidecar)
    assert lines(doc) == []


def test_service_port_and_target_port_names_are_validated() -> None:
    svc = service()
    svc["spec"]["ports"][0].update(name="HTTP", targetPort="Http-Port")
    assert lines(svc) == [
        'Service/auth/auth-api spec.ports[0].name: "HTTP" is not a DNS-1123 label; expected '
        "at most 63 lowercase letters, digits or '-', starting and ending with a letter or "
        "digit [port-name]",
        'Service/auth/auth-api spec.ports[0].targetPort: "Http-Port" is not a valid port name '
        f"(uppercase letters); {PORT_NAME}",
    ]


def test_a_multi_port_service_needs_unique_names_and_ports() -> None:
    svc = service()
    svc["spec"]["ports"] += [
        {"name": "http", "port": 81, "targetPort": 8081},
        {"port": 80, "targetPort": 8080},
    ]
    assert lines(svc) == [
        'Service/auth/auth-api spec.ports[1].name: "http", already the name of spec.ports[0]; '
        "expected a port name unique within the Service [service-ports]",
        "Service/auth/auth-api spec.ports[2]: 80/TCP, already the port of spec.ports[0]; "
        "expected each port and protocol once in a Service [service-ports]",
        "Service/auth/auth-api spec.ports[2].name: missing; expected a name on every port of "
        "a Service with more than one port [service-ports]",
    ]


def test_a_multi_port_service_with_named_distinct_ports_passes() -> None:
    dns = service()
    dns["spec"]["ports"] = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353},
        {"name": "dns-tcp", "port": 53, "targetPort": 5353},
        {"name": "metrics", "port": 9153, "targetPort": "metrics"},
    ]
    single = service()
    del single["spec"]["ports"][0]["name"]
    single["spec"]["ports"][0]["targetPort"] = ""  # defaults to port
    assert lines(dns, single) == []


def test_a_service_needs_ports_unless_headless_or_external_name() -> None:
    svc = service()
    del svc["spec"]["ports"]
    assert lines(svc) == [
        "Service/auth/auth-api spec.ports: missing; expected at least one port (only a "
        "headless Service, clusterIP: None, or an ExternalName Service has none) "
        "[service-ports]"
    ]
    headless = service(clusterIP="None", ports=[])
    external = service(type="ExternalName", externalName="db.acme.example")
    del external["spec"]["ports"]
    del external["spec"]["selector"]
    assert lines(headless, {**external, "metadata": {"name": "db", "namespace": "auth"}}) == []


# --- data-key, base64 ----------------------------------------------------------------

DATA_KEY = (
    "expected a key of letters, digits, '-', '_' or '.' (at most 253 characters, "
    'not "." or ".." or starting with "..") [data-key]'
)


def secret(**fields: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "auth-db", "namespace": "auth"},
        "type": "Opaque",
        **fields,
    }


def test_a_secret_data_value_that_is_not_base64_fails_without_showing_it() -> None:
    doc = secret(data={"password": "CANARY-plaintext-hunter2!", "user": "YWRtaW4"})
    found = lines(doc)
    assert found == [
        "Secret/auth/auth-db data.password: not valid base64; expected base64-encoded bytes "
        "(put plain text under stringData) [base64]",
        "Secret/auth/auth-db data.user: not valid base64; expected base64-encoded bytes "
        "(put plain text under stringData) [base64]",
    ]
    assert not any("CANARY" in line or "YWRtaW4" in line for line in found)


def test_base64_secret_data_and_plain_string_data_pass() -> None:
    doc = secret(
        data={"password": "aHVudGVyMg==", "user": "YWRtaW4=", "key": "YWJj\nZGVm", "empty": ""},
        stringData={"token": "CANARY plain text is fine here!"},
    )
    assert lines(doc) == []


def test_configmap_binary_data_must_be_base64_too() -> None:
    doc = copy.deepcopy(CONFIGMAP)
    doc["binaryData"] = {"logo.png": "not base64!"}
    assert lines(doc) == [
        'ConfigMap/auth/auth-api-config binaryData["logo.png"]: not valid base64; expected '
        "base64-encoded bytes (put text under data) [base64]"
    ]
    doc["binaryData"] = {"logo.png": "iVBORw0KGgo="}
    assert lines(doc) == []


def test_an_env_file_export_line_yields_an_invalid_key() -> None:
    config = copy.deepcopy(CONFIGMAP)
    config["data"]["export DB_HOST"] = "db.auth"
    creds = secret(data={"export DB_PASSWORD": "aHVudGVyMg=="}, stringData={"..data": "x"})
    assert lines(config, creds) == [
        'ConfigMap/auth/auth-api-config data["export DB_HOST"]: an invalid key (" " is not '
        f"allowed); {DATA_KEY}",
        'Secret/auth/auth-db data["export DB_PASSWORD"]: an invalid key (" " is not '
        f"allowed); {DATA_KEY}",
        f'Secret/auth/auth-db stringData["..data"]: an invalid key (it starts with ".."); '
        f"{DATA_KEY}",
    ]


@pytest.mark.parametrize(
    ("key", "fault"),
    [
        (".", '"." is not allowed'),
        ("config/app.yaml", '"/" is not allowed'),
        ("a b:c", '" ", ":" are not allowed'),
        ("k" * 254, "254 characters"),
    ],
)
def test_invalid_config_keys_say_why(key: str, fault: str) -> None:
    config = copy.deepcopy(CONFIGMAP)
    config["data"] = {key: "x"}
    [line] = lines(config)
    assert line.endswith(f": an invalid key ({fault}); {DATA_KEY}")


def test_config_keys_of_letters_digits_dots_dashes_and_underscores_pass() -> None:
    config = copy.deepcopy(CONFIGMAP)
    config["data"].update({"app.properties": "a=b", "DB_HOST": "db", "oidc-config.json": "{}"})
    creds = secret(data={"tls.crt": "YWJj", ".dockerconfigjson": "e30="})
    assert lines(config, creds) == []


def test_a_configmap_key_in_both_data_and_binary_data_fails() -> None:
    config = copy.deepcopy(CONFIGMAP)
    config["binaryData"] = {"LOG_LEVEL": "ZGVidWc="}
    assert lines(config) == [
        "ConfigMap/auth/auth-api-config data.LOG_LEVEL: also a key of binaryData; expected "
        "each key in data or in binaryData, not both [data-key]"
    ]


# --- Secrets -------------------------------------------------------------------------


def test_secret_values_are_never_shown() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "auth-db", "namespace": "auth"},
        "type": "Opaque",
        "data": {"password": 123456789},
        "stringData": {"token": "hunter2", "port": 5432},
    }
    found = lines(secret)
    assert found == [
        "Secret/auth/auth-db data.password: <redacted> (an integer); expected a string [type]",
        "Secret/auth/auth-db stringData.port: <redacted> (an integer); expected a string [type]",
    ]
    assert not any("123456789" in line or "5432" in line for line in found)


# --- custom resources ----------------------------------------------------------------

CRD = textwrap.dedent(
    """
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: widgets.example.com
    spec:
      group: example.com
      scope: Namespaced
      names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
      versions:
        - name: v1alpha1
          served: false
          storage: false
          schema:
            openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  required: [size]
                  properties:
                    size: {type: integer, minimum: 1}
                    color: {type: string, enum: [red, blue]}
                    port: {x-kubernetes-int-or-string: true}
                    note: {type: string, nullable: true}
                    template:
                      type: object
                      x-kubernetes-embedded-resource: true
                      properties:
                        spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
                    extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
    """
)


def crd() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(CRD)
    return loaded


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "blue", "namespace": "auth"},
        "spec": {"size": 2, **spec},
    }


WHERE = "per CRD widgets.example.com in the render"


def test_a_custom_resource_valid_for_its_crd_passes() -> None:
    valid = widget(
        color="red",
        port="http",
        note=None,
        template={"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": {"x": 1}},
        extra={"anything": ["goes"]},
    )
    assert lines(crd(), valid) == []


def test_a_custom_resource_violating_its_crd_fails() -> None:
    bad = widget(size="2", color="green", colour="red", port=1.5)
    bad["metadata"]["labels"] = {"team": 7}
    assert lines(crd(), bad) == [
        f"Widget/auth/blue metadata.labels.team: 7 (an integer); expected a string {WHERE} "
        "[crd-schema]",
        f'Widget/auth/blue spec.color: "green" (a string); expected one of red, blue {WHERE} '
        "[crd-schema]",
        f"Widget/auth/blue spec.colour: unknown field; expected a field of Widget.spec "
        f"(did you mean color?) {WHERE} [crd-schema]",
        f"Widget/auth/blue spec.port: 1.5 (a number); expected an integer or a string {WHERE} "
        "[crd-schema]",
        f'Widget/auth/blue spec.size: "2" (a string); expected an integer {WHERE} [crd-schema]',
    ]


def test_crd_bounds_and_required_fields() -> None:
    bad = widget(size=0)
    missing = widget()
    del missing["spec"]["size"]
    missing["metadata"]["name"] = "red"
    assert lines(crd(), bad, missing) == [
        f"Widget/auth/blue spec.size: 0 (an integer); expected at least 1 {WHERE} [crd-schema]",
        f"Widget/auth/red spec.size: missing; expected a value: Widget.spec requires size {WHERE} "
        "[crd-schema]",
    ]


def test_unknown_crd_fields_pass_without_strict() -> None:
    assert lines(crd(), widget(colour="red"), strict=False) == []


def test_a_version_the_crd_does_not_serve_is_unknown() -> None:
    assert lines(crd(), {**widget(), "apiVersion": "example.com/v1alpha1"}) == [
        "Widget/auth/blue apiVersion: example.com/v1alpha1 Widget is not served by CRD "
        "widgets.example.com in the render; expected apiVersion example.com/v1 [unknown-kind]"
    ]


def test_crds_are_read_from_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "crds" / "example").mkdir(parents=True)
    path = tmp_path / "crds" / "example" / "widget.yaml"
    path.write_text(CRD, encoding="utf-8")
    assert [c.name for c in load_crds([tmp_path / "crds"])] == ["widgets.example.com"]
    assert lines(widget(size="2"), crds=(tmp_path / "crds",)) == [
        f'Widget/auth/blue spec.size: "2" (a string); expected an integer per CRD '
        f"widgets.example.com in {path} [crd-schema]"
    ]


def test_a_crds_catalog_directory_is_read_by_file_name_and_merged_by_kind(
    tmp_path: Path,
) -> None:
    (tmp_path / "crds" / "example").mkdir(parents=True)
    (tmp_path / "crds" / "example" / "widget.yaml").write_text(CRD, encoding="utf-8")
    group = tmp_path / "crds" / "monitoring.coreos.com"
    group.mkdir()
    for name in ("servicemonitor_v1.json", "servicemonitor_v1alpha1.json", "podmonitor_v1.json"):
        (group / name).write_text("not read until a resource needs it", encoding="utf-8")
    # Not catalog schemas: no group directory, or not a {kind}_{version} name.
    (tmp_path / "crds" / "example" / "notes_v1.json").write_text("{}", encoding="utf-8")
    (group / "README.json").write_text("{}", encoding="utf-8")
    loaded = load_crds([tmp_path / "crds"], tmp_path)
    catalog = {c.kind: [v.name for v in c.versions] for c in loaded if c.catalog}
    assert catalog == {"podmonitor": ["v1"], "servicemonitor": ["v1", "v1alpha1"]}
    assert [c.name for c in loaded if not c.catalog] == ["widgets.example.com"]
    index = crd_index([], [tmp_path / "crds"], tmp_path)
    found = find_crd(index, "monitoring.coreos.com", "ServiceMonitor")
    assert found is not None
    assert [v.shown for v in found.versions] == [
        "crds/monitoring.coreos.com/servicemonitor_v1.json",
        "crds/monitoring.coreos.com/servicemonitor_v1alpha1.json",
    ]
    # A CRD manifest's kind is matched exactly, as the API server does.
    assert find_crd(index, "example.com", "widget") is None
    assert find_crd(index, "example.com", "Widget") is not None


def test_a_missing_or_broken_crd_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CrdFileError, match=r"--overlays-crds .*nowhere: no such file"):
        load_crds([tmp_path / "nowhere"])
    (tmp_path / "broken.yaml").write_text("kind: [", encoding="utf-8")
    with pytest.raises(CrdFileError, match=r"--overlays-crds .*broken.yaml: rendered output"):
        load_crds([tmp_path])


def test_a_broken_crd_schema_is_reported_not_raised() -> None:
    broken = crd()
    broken["spec"]["versions"][1]["schema"]["openAPIV3Schema"]["properties"]["spec"]["type"] = 7
    crd_line, line = lines(broken, widget())
    assert crd_line == (
        "CustomResourceDefinition/widgets.example.com "
        "spec.versions[1].schema.openAPIV3Schema.properties.spec.type: 7 (an integer); "
        "expected a string [type]"
    )
    assert line.startswith(
        "Widget/auth/blue: CRD widgets.example.com in the render cannot validate it: "
        "its openAPIV3Schema is not a valid schema: "
    )
    assert line.endswith("; expected a valid CRD schema [crd-schema]")


def test_a_crd_with_scalar_versions_is_reported_on_the_crd_not_raised() -> None:
    broken = crd()
    broken["spec"]["versions"] = 1
    assert lines(broken, widget()) == [
        "CustomResourceDefinition/widgets.example.com spec.versions: 1 (an integer); "
        "expected a list [type]"
    ]
    # With no usable version the CRD is no schema source: the Widget is merely unvalidated.
    assert custom_kinds(make_overlay("auth", broken, widget()), CheckOptions())[1] == {
        "example.com/v1 Widget": 1
    }


def crd_with_pattern(pattern: str) -> dict[str, Any]:
    with_pattern = crd()
    spec = with_pattern["spec"]["versions"][1]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["code"] = {"type": "string", "pattern": pattern}
    return with_pattern


def test_an_re2_end_of_text_pattern_is_checked() -> None:
    assert lines(crd_with_pattern(r"^\d+\z"), widget(code="8080")) == []
    assert lines(crd_with_pattern(r"^\d+\z"), widget(code="8080a")) == [
        f'Widget/auth/blue spec.code: "8080a" (a string); expected a string matching '
        f"^\\d+\\z {WHERE} [crd-schema]"
    ]


@pytest.mark.parametrize("pattern", [r"(?<=a)b", r"^(a)\1$", r"^(unclosed$", r"a++"])
def test_a_pattern_re2_refuses_goes_unchecked(pattern: str) -> None:
    assert lines(crd_with_pattern(pattern), widget(code="x1 ✓")) == []
    # The rest of the CRD's schema still applies.
    assert lines(crd_with_pattern(pattern), widget(code="x1 ✓", size="2")) == [
        f'Widget/auth/blue spec.size: "2" (a string); expected an integer {WHERE} [crd-schema]'
    ]


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"^[[:alpha:]][[:alnum:]_-]*$", "a_1", "1a"),
        (r"^[a-z&|~[]+$", "a&[", "A"),
        (r"^[]a]\]$", "]]", "b]"),
        (r"^\x{263a}$", "\u263a", "x"),
        (r"^(?<major>\d+)\.(?P<minor>\d+)$", "1.2", "1"),
        (r"^(?i:abc)$", "ABC", "abd"),
        (r"^\P{C}*$", "x1 ✓", "a\x00"),
        (r"^\p{L}+$", "ésé", "x1"),
        (r"^\Qa.b\E$", "a.b", "axb"),
        (r"(?U)^a+$", "aaa", "b"),
        # Exponential for a backtracking engine; linear for RE2, as in the API server.
        (r"^(a+)+$", "a" * 40, "a" * 40 + "b"),
    ],
)
def test_crd_patterns_are_matched_as_re2_matches_them(pattern: str, good: str, bad: str) -> None:
    assert lines(crd_with_pattern(pattern), widget(code=good)) == []
    assert len(lines(crd_with_pattern(pattern), widget(code=bad))) == 1


GATEWAY_ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "auth", "namespace": "auth"},
    "spec": {"parentRefs": [{"name": "public"}]},
}


def test_custom_kinds_without_schema_are_counted_not_failed() -> None:
    docs = (widget(), {**widget(), "metadata": {"name": "red"}}, GATEWAY_ROUTE, deployment())
    assert lines(*docs) == []
    assert custom_kinds(make_overlay("auth", *docs), CheckOptions())[1] == {
        "example.com/v1 Widget": 2,
        "gateway.networking.k8s.io/v1 HTTPRoute": 1,
    }
    assert custom_kinds(make_overlay("auth", crd(), *docs), CheckOptions())[1] == {
        "gateway.networking.k8s.io/v1 HTTPRoute": 1
    }


def test_custom_kinds_without_schema_fail_when_schemas_are_required() -> None:
    assert lines(GATEWAY_ROUTE, require_schemas=True) == [
        "HTTPRoute/auth/auth kind: no schema for gateway.networking.k8s.io/v1 HTTPRoute; "
        "expected a CRD with an openAPIV3Schema [no-schema]"
    ]


# --- malformed manifests never crash a rule --------------------------------------------

#: Values of every shape, put where another shape belongs; a map with keys YAML
#: may decode to other types than strings.
ODD_VALUES: tuple[Any, ...] = (
    None,
    7,
    "x",
    True,
    [1],
    [{"a": []}],
    {"a": {"b": 1}},
    {2: "a", None: "b", False: "c", 1.5: "d", "ok": ["e"]},
)


def fuzz_targets() -> list[dict[str, Any]]:
    doc = deployment()
    doc["spec"]["selector"]["matchExpressions"] = [
        {"key": "app", "operator": "In", "values": ["api"]}
    ]
    doc["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": "busybox"}]
    svc = service(clusterIP="None")
    svc["spec"]["ports"].append({"name": "grpc", "port": 81, "targetPort": "grpc"})
    config = {**copy.deepcopy(CONFIGMAP), "binaryData": {"logo.png": "iVBORw0KGgo="}}
    creds = secret(data={"password": "aHVudGVyMg=="}, stringData={"token": "t"})
    return [doc, svc, config, creds, crd_with_pattern(r"^\d+\z"), widget(color="red")]


def test_no_rule_raises_on_malformed_manifests() -> None:
    from pytest_k8s_overlays.checks.schema.rules import (
        container_problems,
        data_problems,
        name_problems,
        port_problems,
        selector_problems,
        service_port_problems,
    )
    from pytest_k8s_overlays.parse.crds import parse_crd

    rules = (
        name_problems,
        selector_problems,
        port_problems,
        service_port_problems,
        container_problems,
        data_problems,
    )
    targets = fuzz_targets()
    checked = 0
    for index, target in enumerate(targets):
        others = targets[:index] + targets[index + 1 :]
        for _, _, variant in malformed(target, ODD_VALUES):
            resource = Resource(variant)
            for rule in rules:
                list(rule(resource))
            parse_crd(variant, "the render")
            # The whole check, with every other manifest beside it (the CRD for the Widget).
            found = run([make_overlay("auth", variant, *others)], CheckOptions())
            assert {f.rule for f in found} <= set(CHECKS["schema"].rules), found
            custom_kinds(make_overlay("auth", variant, *others), CheckOptions())[1]
            checked += 1
    assert checked > 1000


# --- versions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        (None, NEWEST),
        ("", NEWEST),
        ("v1.30.4", "1.30"),
        ("1.30", "1.30"),
        ("1.30.4-eks-abc", "1.30"),
    ],
)
def test_versions_are_read_like_clusters_print_them(text: str | None, resolved: str) -> None:
    assert resolve_version(text) == resolved


def test_an_unbundled_version_names_the_supported_range() -> None:
    from importlib.metadata import version

    with pytest.raises(UnsupportedVersion) as raised:
        resolve_version("1.12")
    assert str(raised.value) == (
        f"Kubernetes 1.12 is not bundled: supported versions are {OLDEST} to {NEWEST} "
        f"(kubernetes-validate {version('kubernetes-validate')})"
    )
    with pytest.raises(UnsupportedVersion, match=r"'latest' is not a Kubernetes version"):
        run([make_overlay("auth", deployment())], CheckOptions(k8s_version="latest"))


def test_the_oldest_bundled_version_validates() -> None:
    assert lines(deployment(), service(), CONFIGMAP, k8s_version=f"v{OLDEST}.9") == []


# --- registration and the public helper ------------------------------------------------


def test_the_check_is_registered_per_overlay_with_a_hint_per_rule() -> None:
    registered = CHECKS["schema"]
    assert registered.scope == "overlay"
    assert set(registered.rules) >= {
        "type",
        "unknown-field",
        "required",
        "enum",
        "quantity",
        "removed-api",
        "unknown-kind",
        "crd-schema",
        "no-schema",
        "selector",
        "name",
        "port-range",
        "port-name",
        "service-ports",
        "duplicate-container",
        "data-key",
        "base64",
    }


def test_the_generic_helper_raises_with_every_finding() -> None:
    doc = deployment()
    container(doc)["imagePullPolcy"] = "Always"
    with pytest.raises(AssertionError) as raised:
        check("schema", make_overlay("auth", doc, service()))
    assert str(raised.value).splitlines() == [
        f"auth: [unknown-field] {DEPLOYMENT} imagePullPolcy: unknown field",
        f"  {DEPLOYMENT} {CONTAINER}.imagePullPolcy: unknown field; "
        "expected a field of Container (did you mean imagePullPolicy?) [unknown-field]",
        "hint [unknown-field]: fix the field name's spelling or indentation in the patch or "
        "base that sets it; --overlays-no-strict accepts unknown fields",
    ]
    check("schema", make_overlay("auth", doc, service()), strict=False)


def test_the_skip_annotation_suppresses_schema_findings() -> None:
    doc = deployment()
    doc["metadata"]["annotations"] = {"pytest-k8s-overlays/skip": "schema"}
    container(doc)["imagePullPolcy"] = "Always"
    check("schema", make_overlay("auth", doc))
