"""Objects operators create for a custom resource, by the names they give them.

A rendered custom resource (a RedisFailover ``cache-redis``, a Strimzi Kafka
``events``, a CloudNativePG Cluster ``pg``) makes its operator create
Services and Secrets the render does not hold. A reference to one of them
(``rfr-cache-redis.redis.svc.cluster.local``, ``events-kafka-bootstrap:9092``,
``pg-rw``) is no mistake. Two rules tell such an object:

- **The table** :data:`CONVENTIONS`: per operator and kind, the names its
  operator gives, each checked against the operator's code or documentation
  (cited per entry), including names that do not contain the resource's
  (the Prometheus operator's ``prometheus-operated``) and names read from a
  field (cert-manager's ``spec.secretName``).
- **The generic rule**: an object whose name contains a custom resource's
  name as a whole run of tokens (split on ``-`` and ``.``), in the same
  namespace, is presumed its operator's: ``rfr-cache-redis`` for
  ``cache-redis``, ``cache-redis-headless`` too, not ``cache-redisx`` or
  ``rfr-cache``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..core.fields import as_dict
from ..core.resources import Resource

SERVICE = "Service"
SECRET = "Secret"


@dataclass(frozen=True)
class Convention:
    """The objects one operator creates for one kind of custom resource."""

    group: str
    kind: str
    #: Service names, ``{name}`` standing for the custom resource's.
    services: tuple[str, ...] = ()
    #: Secret names, the same way.
    secrets: tuple[str, ...] = ()
    #: Fields (dotted paths) holding the name of a Secret it creates, with the
    #: name to use when the field is empty (``{name}``, or "" for none).
    secret_fields: tuple[tuple[str, str], ...] = ()


#: Naming conventions of common operators. Each entry cites where the names are
#: defined; a name not listed still counts when it contains the resource's name
#: (the generic rule), so the table holds the names that rule misses and
#: documents the rest.
CONVENTIONS: tuple[Convention, ...] = (
    # spotahome/redis-operator, operator/redisfailover/service/names.go:
    # GetRedisName / GetSentinelName = generateName("r"|"s", name) = "rf" + role + "-" + name.
    Convention("databases.spotahome.com", "RedisFailover", ("rfr-{name}", "rfs-{name}")),
    # OT-CONTAINER-KIT/redis-operator, k8sutils/services.go: CreateStandaloneService and
    # CreateReplicationService (cr.ObjectMeta.Name, + "-headless", + "-additional"),
    # CreateRedisLeaderService / CreateRedisFollowerService (+ "-leader", "-follower",
    # "-leader-headless"...). Its RedisSentinel's names are left to the generic rule.
    Convention(
        "redis.redis.opstreelabs.in",
        "Redis",
        ("{name}", "{name}-headless", "{name}-additional"),
    ),
    Convention(
        "redis.redis.opstreelabs.in",
        "RedisCluster",
        (
            "{name}-leader",
            "{name}-leader-headless",
            "{name}-leader-additional",
            "{name}-follower",
            "{name}-follower-headless",
            "{name}-follower-additional",
        ),
    ),
    Convention(
        "redis.redis.opstreelabs.in",
        "RedisReplication",
        ("{name}", "{name}-headless", "{name}-additional"),
    ),
    # prometheus-operator/prometheus-operator, pkg/prometheus/statefulset.go and
    # pkg/alertmanager/statefulset.go: governingServiceName = "prometheus-operated" /
    # "alertmanager-operated" (one per namespace, whatever the resource's name);
    # pkg/thanos/statefulset.go: "thanos-ruler-operated"; pkg/prometheus/agent:
    # "prometheus-agent-operated".
    Convention("monitoring.coreos.com", "Prometheus", ("prometheus-operated",)),
    Convention("monitoring.coreos.com", "Alertmanager", ("alertmanager-operated",)),
    Convention("monitoring.coreos.com", "ThanosRuler", ("thanos-ruler-operated",)),
    Convention("monitoring.coreos.com", "PrometheusAgent", ("prometheus-agent-operated",)),
    # strimzi/strimzi-kafka-operator, api/.../KafkaResources.java: bootstrapServiceName
    # (<cluster>-kafka-bootstrap), brokersServiceName (<cluster>-kafka-brokers),
    # zookeeperServiceName (<cluster>-zookeeper-client), zookeeperHeadlessServiceName
    # (<cluster>-zookeeper-nodes); the Kafka docs, "Listener naming conventions".
    Convention(
        "kafka.strimzi.io",
        "Kafka",
        (
            "{name}-kafka-bootstrap",
            "{name}-kafka-brokers",
            "{name}-zookeeper-client",
            "{name}-zookeeper-nodes",
            "{name}-kafka-external-bootstrap",
        ),
        ("{name}-cluster-ca-cert", "{name}-clients-ca-cert"),
    ),
    # KafkaConnectResources.serviceName / KafkaBridgeResources.serviceName.
    Convention("kafka.strimzi.io", "KafkaConnect", ("{name}-connect-api",)),
    Convention("kafka.strimzi.io", "KafkaBridge", ("{name}-bridge-service",)),
    # KafkaUser: a Secret of the user's name (KafkaUserModel.getSecretName).
    Convention("kafka.strimzi.io", "KafkaUser", secrets=("{name}",)),
    # CloudNativePG, https://cloudnative-pg.io/documentation/current/service_management/:
    # "<CLUSTER_NAME>-<SERVICE_NAME>" for rw, ro and r (and "-any", documentation/1.15/
    # applications/); the -app and -superuser Secrets (documentation/current/applications/).
    Convention(
        "postgresql.cnpg.io",
        "Cluster",
        ("{name}-rw", "{name}-ro", "{name}-r", "{name}-any"),
        ("{name}-app", "{name}-superuser"),
    ),
    Convention("postgresql.cnpg.io", "Pooler", ("{name}",)),
    # zalando/postgres-operator, pkg/cluster/util.go: Cluster.serviceName(role) is the
    # cluster's name (primary) or "<name>-repl"; "<name>-config" for Patroni;
    # connectionPoolerName "<name>-pooler" (and "-pooler-repl").
    Convention(
        "acid.zalan.do",
        "postgresql",
        ("{name}", "{name}-repl", "{name}-config", "{name}-pooler"),
    ),
    # mongodb/mongodb-kubernetes-operator, api/v1/mongodbcommunity_types.go:
    # MongoDBCommunity.ServiceName() is "<name>-svc" (unless statefulSet's serviceName).
    Convention("mongodbcommunity.mongodb.com", "MongoDBCommunity", ("{name}-svc",)),
    # rabbitmq/cluster-operator, internal/resource/service.go and headless_service.go: a
    # client Service of the cluster's name and the headless ChildResourceName("nodes");
    # Secrets ChildResourceName("default-user") and ("erlang-cookie").
    Convention(
        "rabbitmq.com",
        "RabbitmqCluster",
        ("{name}", "{name}-nodes"),
        ("{name}-default-user", "{name}-erlang-cookie"),
    ),
    # elastic/cloud-on-k8s, pkg/apis/elasticsearch/v1/name.go: ESNamer (suffix "es"),
    # HTTPService "<name>-es-http", TransportService "<name>-es-transport",
    # ElasticUserSecret "<name>-es-elastic-user"; Kibana "<name>-kb-http" and APM
    # Server "<name>-apm-http" (the same namer, suffixes "kb" and "apm").
    Convention(
        "elasticsearch.k8s.elastic.co",
        "Elasticsearch",
        ("{name}-es-http", "{name}-es-transport"),
        ("{name}-es-elastic-user",),
    ),
    Convention("kibana.k8s.elastic.co", "Kibana", ("{name}-kb-http",)),
    Convention("apm.k8s.elastic.co", "ApmServer", ("{name}-apm-http",)),
    # cert-manager, https://cert-manager.io/docs/usage/certificate/: the Certificate's
    # key pair goes to the Secret spec.secretName.
    Convention("cert-manager.io", "Certificate", secret_fields=(("spec.secretName", ""),)),
    # External Secrets, https://external-secrets.io/latest/api/externalsecret/:
    # spec.target.name, "Defaults to the .metadata.name of the ExternalSecret resource".
    Convention(
        "external-secrets.io", "ExternalSecret", secret_fields=(("spec.target.name", "{name}"),)
    ),
    # Sealed Secrets, https://github.com/bitnami-labs/sealed-secrets#overview: the
    # controller unseals a SealedSecret into a Secret of the same name and namespace.
    Convention("bitnami.com", "SealedSecret", secrets=("{name}",)),
)

_BY_KIND: Mapping[tuple[str, str], Convention] = {(c.group, c.kind): c for c in CONVENTIONS}
_TOKEN = re.compile(r"[-.]")


def tokens(name: str) -> list[str]:
    """A name's tokens: split on ``-`` and ``.``, empty parts dropped."""
    return [part for part in _TOKEN.split(name) if part]


def contains_name(name: str, owner: str) -> bool:
    """Tell whether ``name`` holds all of ``owner``'s tokens as one run (``rfr-cache-redis``
    holds ``cache-redis``; ``rfr-cache`` and ``cache-redisx`` do not)."""
    inner, outer = tokens(owner), tokens(name)
    if not inner:
        return False
    width = len(inner)
    return any(outer[i : i + width] == inner for i in range(len(outer) - width + 1))


def _field(resource: Resource, dotted: str) -> str:
    node: object = resource.raw
    for part in dotted.split("."):
        node = as_dict(node).get(part)
    return node if isinstance(node, str) else ""


def conventional_names(resource: Resource, kind: str) -> set[str]:
    """The names the table says ``resource``'s operator gives objects of ``kind``."""
    convention = _BY_KIND.get((resource.group, resource.kind))
    if convention is None or not resource.name:
        return set()
    templates = convention.services if kind == SERVICE else convention.secrets
    names = {template.format(name=resource.name) for template in templates}
    if kind == SECRET:
        for dotted, default in convention.secret_fields:
            names.add(_field(resource, dotted) or default.format(name=resource.name))
    return names - {""}


def maker(owners: Iterable[Resource], kind: str, name: str) -> Resource | None:
    """The custom resource among ``owners`` (of one namespace) whose operator plausibly
    creates the ``kind`` object ``name``: by the table, else by the generic rule."""
    candidates = list(owners)
    for owner in candidates:
        if name in conventional_names(owner, kind):
            return owner
    for owner in candidates:
        if contains_name(name, owner.name):
            return owner
    return None


def kind_named(value: str, owner: Resource) -> bool:
    """Tell whether a label value names the resource's kind (``redis-failover``,
    ``redisfailover``, ``prometheus``): how operators label what they make."""
    return value.replace("-", "").lower() == owner.kind.lower()


__all__ = [
    "CONVENTIONS",
    "SECRET",
    "SERVICE",
    "Convention",
    "contains_name",
    "conventional_names",
    "kind_named",
    "maker",
    "tokens",
]
