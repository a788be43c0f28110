"""Objects operators make for a custom resource: the naming table, the token rule, and
what the reference rules make of them (issue 18, class 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays import Resource
from pytest_k8s_overlays.checks import CheckOptions, references
from pytest_k8s_overlays.checks.operators import (
    CONVENTIONS,
    SECRET,
    SERVICE,
    contains_name,
    conventional_names,
    maker,
    tokens,
)

from .builders import add_resources, container, deployment, make_overlay, obj, service, write


def custom(api_version: str, kind: str, name: str, namespace: str = "redis", **spec: Any) -> Any:
    """A custom resource with ``spec``."""
    resource = obj(api_version, kind, name, namespace)
    if spec:
        resource["spec"] = spec
    return resource


FAILOVER = custom("databases.spotahome.com/v1", "RedisFailover", "cache-redis")

# -- the table and the token rule --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "owner", "expected"),
    [
        ("rfr-cache-redis", "cache-redis", True),
        ("cache-redis-headless", "cache-redis", True),
        ("cache-redis", "cache-redis", True),
        ("pg-rw", "pg", True),
        ("a.cache-redis.b", "cache-redis", True),
        # A token run, not a substring: a longer token or half the name is not it.
        ("rfr-cache-redisx", "cache-redis", False),
        ("rfr-cache", "cache-redis", False),
        ("redis-cache", "cache-redis", False),
        ("pgbouncer", "pg", False),
        ("anything", "", False),
    ],
)
def test_a_name_holds_a_resources_name_as_a_run_of_tokens(
    name: str, owner: str, expected: bool
) -> None:
    assert contains_name(name, owner) is expected


def test_tokens_split_on_dashes_and_dots() -> None:
    assert tokens("rfr-cache.redis--x") == ["rfr", "cache", "redis", "x"]


@pytest.mark.parametrize(
    ("resource", "kind", "names"),
    [
        (FAILOVER, SERVICE, {"rfr-cache-redis", "rfs-cache-redis"}),
        (
            custom("kafka.strimzi.io/v1beta2", "Kafka", "events"),
            SERVICE,
            {
                "events-kafka-bootstrap",
                "events-kafka-brokers",
                "events-zookeeper-client",
                "events-zookeeper-nodes",
                "events-kafka-external-bootstrap",
            },
        ),
        (
            custom("postgresql.cnpg.io/v1", "Cluster", "pg"),
            SERVICE,
            {"pg-rw", "pg-ro", "pg-r", "pg-any"},
        ),
        (custom("monitoring.coreos.com/v1", "Prometheus", "k8s"), SERVICE, {"prometheus-operated"}),
        (
            custom("monitoring.coreos.com/v1", "Alertmanager", "main"),
            SERVICE,
            {"alertmanager-operated"},
        ),
        (
            custom("acid.zalan.do/v1", "postgresql", "acid-db"),
            SERVICE,
            {"acid-db", "acid-db-repl", "acid-db-config", "acid-db-pooler"},
        ),
        (
            custom("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity", "mdb"),
            SERVICE,
            {"mdb-svc"},
        ),
        (custom("rabbitmq.com/v1beta1", "RabbitmqCluster", "mq"), SERVICE, {"mq", "mq-nodes"}),
        (
            custom("elasticsearch.k8s.elastic.co/v1", "Elasticsearch", "logs"),
            SERVICE,
            {"logs-es-http", "logs-es-transport"},
        ),
        (
            custom("cert-manager.io/v1", "Certificate", "api", secretName="api-tls"),
            SECRET,
            {"api-tls"},
        ),
        (
            custom(
                "external-secrets.io/v1beta1", "ExternalSecret", "db", target={"name": "db-env"}
            ),
            SECRET,
            {"db-env"},
        ),
        (custom("external-secrets.io/v1beta1", "ExternalSecret", "db"), SECRET, {"db"}),
        (custom("bitnami.com/v1alpha1", "SealedSecret", "creds"), SECRET, {"creds"}),
        (custom("example.com/v1", "Widget", "w"), SERVICE, set()),
    ],
)
def test_the_table_names_what_each_operator_makes(
    resource: dict[str, Any], kind: str, names: set[str]
) -> None:
    assert conventional_names(Resource(resource), kind) == names


def test_every_convention_is_one_kind_once_and_names_something() -> None:
    kinds = [(c.group, c.kind) for c in CONVENTIONS]
    assert len(kinds) == len(set(kinds))
    assert all(c.services or c.secrets or c.secret_fields for c in CONVENTIONS)


def test_the_maker_is_found_by_the_table_then_by_the_token_rule() -> None:
    prometheus = Resource(custom("monitoring.coreos.com/v1", "Prometheus", "k8s"))
    failover = Resource(FAILOVER)
    assert maker([prometheus, failover], SERVICE, "prometheus-operated") is prometheus
    assert maker([prometheus, failover], SERVICE, "rfr-cache-redis") is failover
    assert maker([prometheus, failover], SERVICE, "cache-redis-exporter") is failover
    assert maker([prometheus, failover], SERVICE, "rfr-cache") is None


# -- the reference rules -----------------------------------------------------------------


def api_with(**env: str) -> dict[str, Any]:
    variables = [{"name": key, "value": value} for key, value in env.items()]
    return deployment(
        "users-api", container("api", env=variables), labels={"app": "users"}, namespace="users"
    )


COMMANDER = deployment("commander", labels={"app": "commander"}, namespace="redis")


def test_a_service_monitor_of_operator_made_services_is_not_judged_by_the_others() -> None:
    # The operator's exporter Service carries the port; the render holds only the
    # user's own NodePort Service of the same labels.
    labels = {"app.kubernetes.io/part-of": "redis-failover"}
    own = service("redis-nodeport", {"name": "redis", "port": 6379}, selector={}, namespace="redis")
    own["metadata"]["labels"] = labels
    monitor = custom(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        "redis",
        selector={"matchLabels": labels},
        endpoints=[{"port": "http-metrics"}],
    )
    overlay = make_overlay("redis", FAILOVER, COMMANDER, own, monitor)
    assert references.run([overlay], CheckOptions()) == []
    # Without the RedisFailover, the port is judged against the Services rendered.
    alone = make_overlay("redis", COMMANDER, own, monitor)
    assert [f.rule for f in references.run([alone], CheckOptions())] == ["monitor-port"]


CACHE_KUSTOMIZATION = """\
namespace: redis
resources:
  - failover.yaml
  - commander.yaml
"""
FAILOVER_YAML = """\
apiVersion: databases.spotahome.com/v1
kind: RedisFailover
metadata:
  name: cache-redis
spec:
  redis: {replicas: 3}
  sentinel: {replicas: 3}
"""
COMMANDER_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: commander
spec:
  selector: {matchLabels: {app: commander}}
  template:
    metadata: {labels: {app: commander}}
    spec:
      containers:
        - name: commander
          image: ghcr.io/joeferner/redis-commander:0.8.1
---
apiVersion: v1
kind: Service
metadata:
  name: commander
spec:
  selector: {app: commander}
  ports: [{name: http, port: 80, targetPort: 8081}]
"""
PEERS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: peers
data:
  REDIS_URL: redis://rfr-cache-redis.redis.svc.cluster.local:6379/0
  SENTINELS: rfs-cache-redis.redis.svc:26379
  CACHE: {cache}
"""


def run_references(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=references")


def test_services_a_rendered_custom_resource_makes_its_operator_create_are_present(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The RedisFailover cache-redis makes rfr-cache-redis and rfs-cache-redis;
    # the character service reaches both by their DNS names.
    write(example, "k8s/overlays/cache/kustomization.yaml", CACHE_KUSTOMIZATION)
    write(example, "k8s/overlays/cache/failover.yaml", FAILOVER_YAML)
    write(example, "k8s/overlays/cache/commander.yaml", COMMANDER_YAML)
    cache = "rfr-cache-redis-readonly.redis.svc:6379"
    add_resources(example, "character", {"peers.yaml": PEERS.format(cache=cache)})
    run_references(pytester).assert_outcomes(passed=8)


def test_a_name_the_operator_never_gives_is_still_a_missing_service(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: half the resource's name (rfr-cache), which no operator makes.
    write(example, "k8s/overlays/cache/kustomization.yaml", CACHE_KUSTOMIZATION)
    write(example, "k8s/overlays/cache/failover.yaml", FAILOVER_YAML)
    write(example, "k8s/overlays/cache/commander.yaml", COMMANDER_YAML)
    add_resources(example, "character", {"peers.yaml": PEERS.format(cache="rfr-cache.redis:6379")})
    result = run_references(pytester)
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "character: [[]dns-name] ConfigMap/character/character-peers CACHE: *",
            "  ConfigMap/character/character-peers data.CACHE: rfr-cache.redis:6379: no Service "
            "rfr-cache in namespace redis of the group (Services there: commander); expected *",
        ]
    )
