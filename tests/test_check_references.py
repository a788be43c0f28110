"""references: routes, monitors and DNS names as plain dicts, then real renders (pytester)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays import assert_references
from pytest_k8s_overlays.checks import CheckOptions, references
from pytest_k8s_overlays.checks.references import Address, addresses, parse_address

from .builders import (
    add_resources,
    container,
    deployment,
    finding_lines,
    make_overlay,
    obj,
    service,
    write,
)

USERS = {"app": "users"}


def users(namespace: str = "users", *ports: dict[str, Any]) -> list[dict[str, Any]]:
    """The users-api Deployment and its Service (port 80, named http, to 8080)."""
    entries = ports or ({"name": "http", "port": 80, "targetPort": 8080},)
    return [
        deployment("users-api", labels=USERS, namespace=namespace),
        service("users-api", *entries, selector=USERS, namespace=namespace),
    ]


def virtual_service(host: str, port: int | None = None, namespace: str = "users") -> dict[str, Any]:
    destination: dict[str, Any] = {"host": host}
    if port is not None:
        destination["port"] = {"number": port}
    vs = obj("networking.istio.io/v1", "VirtualService", "users", namespace)
    vs["spec"] = {
        "hosts": ["users.example.com"],
        "http": [{"route": [{"destination": destination}]}],
    }
    return vs


def http_route(*refs: dict[str, Any], namespace: str = "users") -> dict[str, Any]:
    route = obj("gateway.networking.k8s.io/v1", "HTTPRoute", "users", namespace)
    route["spec"] = {"rules": [{"backendRefs": list(refs)}]}
    return route


# -- addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "redis.db.svc.cluster.local",
            [Address("redis.db.svc.cluster.local", "redis", "db", None)],
        ),
        ("redis://redis.db.svc:6379/0", [Address("redis.db.svc:6379", "redis", "db", 6379)]),
        ("redis.db:6379", [Address("redis.db:6379", "redis", "db", 6379, short=True)]),
        (
            "kafka-0.kafka.broker.svc.cluster.local:9092",
            [Address("kafka-0.kafka.broker.svc.cluster.local:9092", "kafka", "broker", 9092, True)],
        ),
        (
            "postgres://app:pw@pg.data:5432/app",
            [Address("pg.data:5432", "pg", "data", 5432, short=True)],
        ),
        (
            "a.db:1,b.db:2",
            [
                Address("a.db:1", "a", "db", 1, short=True),
                Address("b.db:2", "b", "db", 2, short=True),
            ],
        ),
        # Not Service addresses: a bare short name, an external host, a name
        # built from a variable, a file, an IP, an SRV record.
        ("redis:6379", []),
        ("api.example.com", []),
        ("api.example.com:443", []),
        ("$(POD_NAME).redis.db.svc", []),
        ("settings.yaml", []),
        ("10.0.0.1:8080", []),
        ("_grpc._tcp.api.db.svc", []),
    ],
)
def test_addresses_in_a_value(text: str, expected: list[Address]) -> None:
    assert list(addresses(text)) == expected


def test_an_address_needs_a_port_or_the_svc_label() -> None:
    assert parse_address("redis.db", None) is None
    assert parse_address("redis.db", 6379) == Address(
        "redis.db:6379", "redis", "db", 6379, short=True
    )
    assert parse_address("1redis.db", 6379) is None  # a Service name starts with a letter


# -- route-backend -----------------------------------------------------------------------


def test_a_virtual_service_must_route_to_a_service_and_port_of_the_group() -> None:
    mesh = make_overlay(
        "mesh",
        virtual_service("users-api", 8000),
        {
            **virtual_service("users-api.users.svc.cluster.local", 80),
            "metadata": {"name": "b", "namespace": "users"},
        },
        {**virtual_service("user-api.users", 80), "metadata": {"name": "c", "namespace": "users"}},
    )
    assert finding_lines("references", mesh, make_overlay("users", *users())) == [
        "mesh: VirtualService/users/c spec.http[0].route[0].destination.host: user-api.users: no "
        "Service user-api in namespace users of the group (Services there: users-api); expected "
        "a Service of the group in namespace users, or users/user-api in "
        "overlays_external_services if it is installed outside the repository [route-backend]",
        "mesh: VirtualService/users/users spec.http[0].route[0].destination.port.number: 8000 is "
        "not a port of Service/users/users-api of overlay users (ports: 80 (http)); expected one "
        "of the Service's port numbers [route-backend]",
    ]


def test_hosts_outside_the_groups_services_are_not_judged() -> None:
    entry = obj("networking.istio.io/v1", "ServiceEntry", "payments", "users")
    entry["spec"] = {"hosts": ["payments"]}
    mesh = make_overlay(
        "mesh",
        *users(),
        virtual_service("api.example.com", 443),
        {**virtual_service("*.example.com"), "metadata": {"name": "w", "namespace": "users"}},
        {
            **virtual_service("billing.finance.svc.cluster.local", 80),
            "metadata": {"name": "x", "namespace": "users"},
        },
        {**virtual_service("payments", 80), "metadata": {"name": "e", "namespace": "users"}},
        entry,
    )
    assert references.run([mesh], CheckOptions()) == []


def test_a_gateway_route_must_name_a_service_and_port_of_the_group() -> None:
    route = http_route(
        {"name": "users-api", "port": 80},
        {"name": "users-api", "port": 8080},
        {"name": "users-apy", "port": 80},
        {"name": "users-api", "namespace": "other", "port": 80},
        {"name": "bucket", "group": "storage.example.com", "kind": "Bucket"},
    )
    assert finding_lines("references", make_overlay("users", *users(), route)) == [
        "users: HTTPRoute/users/users spec.rules[0].backendRefs[1].port: 8080 is not a port of "
        "Service/users/users-api (ports: 80 (http)); expected one of the Service's port numbers "
        "[route-backend]",
        "users: HTTPRoute/users/users spec.rules[0].backendRefs[2].name: no Service users-apy in "
        "namespace users of the group (Services there: users-api); expected a Service of the "
        "group in namespace users, or users/users-apy in overlays_external_services if it is "
        "installed outside the repository [route-backend]",
    ]


def test_a_route_to_an_external_or_operator_made_service_passes() -> None:
    gateway = http_route({"name": "istio-ingressgateway", "port": 80}, namespace="users")
    assert [
        f.rule for f in references.run([make_overlay("u", *users(), gateway)], CheckOptions())
    ] == ["route-backend"]
    listed = CheckOptions(external_services=("users/istio-*",))
    assert references.run([make_overlay("u", *users(), gateway)], listed) == []
    cluster = obj("rabbitmq.com/v1beta1", "RabbitmqCluster", "queue", "users")
    rabbit = http_route({"name": "queue-nodes", "port": 15672})
    assert references.run([make_overlay("u", *users(), cluster, rabbit)], CheckOptions()) == []


# -- monitor-port ------------------------------------------------------------------------


def service_monitor(port: str, selector: dict[str, Any], **spec: Any) -> dict[str, Any]:
    monitor = obj("monitoring.coreos.com/v1", "ServiceMonitor", "users", "users")
    monitor["spec"] = {"selector": selector, "endpoints": [{"port": port}], **spec}
    return monitor


def test_a_service_monitor_must_name_a_port_of_the_services_it_selects() -> None:
    metrics = {"name": "http-metrics", "port": 9090}
    app = users("users", {"name": "http", "port": 80}, metrics)
    selector = {"matchLabels": USERS}
    wrong = make_overlay("users", *app, service_monitor("metrics", selector))
    assert finding_lines("references", wrong) == [
        "users: ServiceMonitor/users/users spec.endpoints[0].port: metrics is no port name of "
        "the Services it selects (Service/users/users-api (port names: http, http-metrics)); "
        "expected the name of a port of a selected Service [monitor-port]"
    ]
    assert (
        references.run(
            [make_overlay("users", *app, service_monitor("http-metrics", selector))], CheckOptions()
        )
        == []
    )
    # Selecting nothing of the group (a Helm chart's Services): not judged.
    elsewhere = service_monitor("metrics", {"matchLabels": {"app": "kube-state-metrics"}})
    assert references.run([make_overlay("users", *app, elsewhere)], CheckOptions()) == []
    # Another namespace, chosen by namespaceSelector.
    central = service_monitor("metrics", selector, namespaceSelector={"matchNames": ["users"]})
    central["metadata"]["namespace"] = "monitoring"
    assert [
        f.rule
        for f in references.run(
            [make_overlay("m", central), make_overlay("users", *app)], CheckOptions()
        )
    ] == ["monitor-port"]


def test_a_pod_monitor_must_name_a_container_port_of_the_pods_it_selects() -> None:
    api = deployment(
        "users-api",
        container(
            "api",
            {"name": "http", "containerPort": 8080},
            {"name": "metrics", "containerPort": 9090},
        ),
        labels=USERS,
        namespace="users",
    )
    monitor = obj("monitoring.coreos.com/v1", "PodMonitor", "users", "users")
    monitor["spec"] = {
        "selector": {"matchLabels": USERS},
        "podMetricsEndpoints": [{"port": "metrics"}, {"port": "prometheus"}],
    }
    assert finding_lines("references", make_overlay("users", api, monitor)) == [
        "users: PodMonitor/users/users spec.podMetricsEndpoints[1].port: prometheus is no "
        "container port name of the pods it selects (Deployment/users/users-api; port names: "
        "http, metrics); expected the name of a container port of a selected pod [monitor-port]"
    ]


# -- dns-name ----------------------------------------------------------------------------


def config_map(namespace: str, **data: str) -> dict[str, Any]:
    config = obj("v1", "ConfigMap", "settings", namespace)
    config["data"] = data
    return config


def test_an_address_must_name_a_service_of_a_namespace_the_group_renders() -> None:
    # Redis lives in `data`; the app was told `db`, where only postgres runs.
    redis = service(
        "redis", {"name": "redis", "port": 6379}, selector={"app": "redis"}, namespace="data"
    )
    postgres = service("postgres", {"port": 5432}, selector={}, namespace="db")
    data = make_overlay(
        "data", deployment("redis", labels={"app": "redis"}, namespace="data"), redis, postgres
    )
    api = deployment(
        "users-api",
        container("api", env=[{"name": "REDIS", "value": "redis.db.svc.cluster.local:6379"}]),
        labels=USERS,
        namespace="users",
    )
    settings = config_map(
        "users",
        REDIS_URL="redis://redis.data.svc:6380/0",
        DATABASE="postgres://postgres.db:5432/app",
        **{"app.yaml": "cache: redis.data:6379\nsearch: elastic.search.svc:9200\n"},
    )
    assert finding_lines("references", data, make_overlay("users", api, settings)) == [
        "users: ConfigMap/users/settings data.REDIS_URL: redis.data.svc:6380: 6380 is not a port "
        "of Service/data/redis of overlay data (ports: 6379 (redis)); expected one of the "
        "Service's port numbers [dns-name]",
        "users: Deployment/users/users-api spec.template.spec.containers[0].env[0].value: "
        "redis.db.svc.cluster.local:6379: no Service redis in namespace db of the group "
        "(Services there: postgres; redis exists in namespace data); expected a Service of the "
        "group in namespace db, or db/redis in overlays_external_services if it is installed "
        "outside the repository [dns-name]",
    ]


def test_a_pod_of_a_headless_service_next_door_is_no_service_address() -> None:
    # In namespace redis, `redis-0.redis:6379` is pod redis-0 of Service redis,
    # not a Service redis-0 of namespace redis.
    redis = service("redis", {"port": 6379}, selector={"app": "redis"}, namespace="redis")
    sts = deployment("redis", labels={"app": "redis"}, namespace="redis", kind="StatefulSet")
    settings = config_map("redis", SENTINEL="redis-0.redis:26379")
    assert references.run([make_overlay("redis", sts, redis, settings)], CheckOptions()) == []
    # Written with .svc, it names namespace redis and is judged.
    wrong = config_map("redis", PRIMARY="redis-0.redis.svc:6379")
    assert [
        f.rule for f in references.run([make_overlay("redis", sts, redis, wrong)], CheckOptions())
    ] == ["dns-name"]


def test_headless_services_and_pod_addresses_take_any_port() -> None:
    kafka = service(
        "kafka", {"port": 9092}, selector={"app": "kafka"}, namespace="broker", clusterIP="None"
    )
    broker = make_overlay(
        "broker", deployment("kafka", labels={"app": "kafka"}, namespace="broker"), kafka
    )
    settings = config_map(
        "broker", A="kafka.broker.svc:29092", B="kafka-0.kafka.broker.svc.cluster.local:9999"
    )
    assert references.run([broker, make_overlay("x", settings)], CheckOptions()) == []


# -- end to end --------------------------------------------------------------------------

MESH = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: chat
  namespace: chat
spec:
  hosts: [chat.example.com]
  http:
    - route:
        - destination:
            host: chat-api
            port: {number: 8080}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: info
  namespace: info
spec:
  rules:
    - backendRefs:
        - {name: info-api, port: 80}
        - {name: info-api-canary, port: 80}
"""


def run_references(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=references", *args)


def test_routes_to_the_container_port_or_a_missing_service_fail(
    pytester: pytest.Pytester, example: Path
) -> None:
    # Routing has its own overlay. The mistakes: the VirtualService names the
    # container's 8080 (the Service listens on 80), and the HTTPRoute's canary
    # backend was never deployed.
    write(example, "k8s/overlays/routes/kustomization.yaml", "resources: [mesh.yaml]\n")
    write(example, "k8s/overlays/routes/mesh.yaml", MESH)
    result = run_references(pytester)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "routes: 2 findings [[]*]",
            "  HTTPRoute/info/info spec.rules[[]0].backendRefs[[]1].name: no Service "
            "info-api-canary in namespace info of the group (Services there: info-api); expected "
            "a Service of the group in namespace info, or info/info-api-canary in "
            "overlays_external_services if it is installed outside the repository "
            "[[]route-backend] (from k8s/overlays/routes/mesh.yaml)",
            "  VirtualService/chat/chat spec.http[[]0].route[[]0].destination.port.number: 8080 is "
            "not a port of Service/chat/chat-api of overlay chat (ports: 80 (http)); expected one "
            "of the Service's port numbers [[]route-backend] (from k8s/overlays/routes/mesh.yaml)",
            "hint [[]route-backend]: point the route at a Service of the group *",
        ]
    )
    fixed = MESH.replace("{number: 8080}", "{number: 80}").replace(
        "        - {name: info-api-canary, port: 80}\n", ""
    )
    write(example, "k8s/overlays/routes/mesh.yaml", fixed)
    run_references(pytester).assert_outcomes(passed=8)


MONITORS = """
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: api
spec:
  selector:
    matchLabels: {{app: api}}
  endpoints:
    - port: {service_port}
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: api
spec:
  selector:
    matchLabels: {{app: api}}
  podMetricsEndpoints:
    - port: {pod_port}
"""


def test_monitors_naming_a_port_nobody_declares_fail(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: the monitors say `metrics`; the Service and the container call it `http`.
    add_resources(
        example,
        "auth",
        {"monitors.yaml": MONITORS.format(service_port="metrics", pod_port="metrics")},
    )
    add_resources(
        example, "my", {"monitors.yaml": MONITORS.format(service_port="http", pod_port="http")}
    )
    result = run_references(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "auth: 2 findings [[]*]",
            "  PodMonitor/auth/auth-api spec.podMetricsEndpoints[[]0].port: metrics is no "
            "container port name of the pods it selects (Deployment/auth/auth-api; port names: "
            "http); expected the name of a container port of a selected pod [[]monitor-port] "
            "(from k8s/overlays/auth/monitors.yaml)",
            "  ServiceMonitor/auth/auth-api spec.endpoints[[]0].port: metrics is no port name of "
            "the Services it selects (Service/auth/auth-api (port names: http)); expected the "
            "name of a port of a selected Service [[]monitor-port] "
            "(from k8s/overlays/auth/monitors.yaml)",
            "hint [[]monitor-port]: *",
        ]
    )


ADDRESSES = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: peers
data:
  LOCATION_URL: http://location-api.location.svc.cluster.local:80
  AUTH_URL: http://auth-api.auth:8080
  INFO_URL: http://info-api.location.svc:80
  PAYMENTS_URL: https://payments-api.payments.svc:443
"""


def test_addresses_of_a_missing_service_or_port_fail(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistakes: the container port for auth, and info's Service looked up in
    # location's namespace. payments runs outside the repository: not judged.
    add_resources(example, "character", {"peers.yaml": ADDRESSES})
    result = run_references(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "character: 2 findings [[]*]",
            "  ConfigMap/character/character-peers data.AUTH_URL: auth-api.auth:8080: 8080 is not "
            "a port of Service/auth/auth-api of overlay auth (ports: 80 (http)); expected one of "
            "the Service's port numbers [[]dns-name] (from k8s/overlays/character/peers.yaml)",
            "  ConfigMap/character/character-peers data.INFO_URL: info-api.location.svc:80: no "
            "Service info-api in namespace location of the group (Services there: location-api; "
            "info-api exists in namespace info); expected a Service of the group in namespace "
            "location, or location/info-api in overlays_external_services if it is installed "
            "outside the repository [[]dns-name] (from k8s/overlays/character/peers.yaml)",
            "hint [[]dns-name]: *",
        ]
    )
    fixed = ADDRESSES.replace("auth:8080", "auth:80").replace("info-api.location", "info-api.info")
    write(example, "k8s/overlays/character/peers.yaml", fixed)
    run_references(pytester).assert_outcomes(passed=7)


def test_example_repo_passes_references(pytester: pytest.Pytester, example: Path) -> None:
    run_references(pytester).assert_outcomes(passed=7)


def test_the_assertion_helper_reports_and_accepts_external_services() -> None:
    gateway = http_route({"name": "istio-ingressgateway", "port": 80})
    users_overlay = make_overlay("users", *users(), gateway)
    with pytest.raises(AssertionError) as raised:
        assert_references(users_overlay)
    assert str(raised.value).splitlines()[0].startswith("users: [")
    assert_references(users_overlay, external_services=["users/istio-ingressgateway"])
