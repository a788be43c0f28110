"""dns-namespace: an in-cluster DNS name into a namespace nobody deploys to, while a
Service of that name is rendered in another (issue 18, class 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.checks import CheckOptions, references
from pytest_k8s_overlays.core.presumed import Presumed

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

REDIS = {"app": "redis"}


def data_overlay(*extra: dict[str, Any]) -> Any:
    """Redis in namespace data: a StatefulSet and its Service."""
    return make_overlay(
        "data",
        deployment("redis", labels=REDIS, namespace="data", kind="StatefulSet"),
        service("redis", {"name": "redis", "port": 6379}, selector=REDIS, namespace="data"),
        *extra,
    )


def api(value: str, namespace: str = "users") -> dict[str, Any]:
    return deployment(
        "users-api",
        container("api", env=[{"name": "REDIS", "value": value}]),
        labels={"app": "users"},
        namespace=namespace,
    )


def test_a_name_into_a_namespace_nobody_deploys_to_suggests_where_the_service_is() -> None:
    users = make_overlay("users", api("redis://redis.db.svc.cluster.local:6379/0"))
    assert finding_lines("references", data_overlay(), users) == [
        "users: Deployment/users/users-api spec.template.spec.containers[0].env[0].value: "
        "redis.db.svc.cluster.local:6379: nothing of the group is in namespace db, and Service "
        "redis is in namespace data (did you mean redis.data.svc.cluster.local:6379?); expected "
        "the namespace the Service is rendered in, or db/redis in overlays_external_services if "
        "it is installed outside the repository [dns-namespace]",
    ]


@pytest.mark.parametrize(
    "value",
    [
        # Right: the namespace Redis is in.
        "redis.data.svc.cluster.local:6379",
        # A short name.port may be a host of any domain: not judged.
        "redis.db:6379",
        # No Service of that name anywhere in the group: installed elsewhere, perhaps.
        "cache.db.svc.cluster.local:6379",
    ],
)
def test_names_that_are_right_or_not_known_wrong_pass(value: str) -> None:
    users = make_overlay("users", api(value))
    assert references.run([data_overlay(), users], CheckOptions()) == []


def test_a_namespace_the_group_deploys_to_or_lists_is_not_nobodys() -> None:
    users = make_overlay("users", api("redis.db.svc.cluster.local:6379"))
    # A Namespace object of the group, an object in db, a listed external Service, or
    # an Application not rendered here deploying into db: someone deploys there.
    namespace = obj("v1", "Namespace", "db")
    quota = obj("v1", "ResourceQuota", "quota", "db")
    for extra in (namespace, quota):
        assert references.run([data_overlay(extra), users], CheckOptions()) == []
    external = CheckOptions(external_services=("db/*",))
    assert references.run([data_overlay(), users], external) == []
    helm = CheckOptions(presumed=(Presumed("k8s/overlays", "db", "redis chart"),))
    assert references.run([data_overlay(), users], helm) == []


PEERS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: peers
data:
  INFO_URL: http://info-api.{namespace}.svc.cluster.local:80
"""


def run_references(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=references")


def test_a_service_called_in_a_namespace_nobody_renders_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: info's Service is in namespace info; character calls it in `infos`.
    add_resources(example, "character", {"peers.yaml": PEERS.format(namespace="infos")})
    result = run_references(pytester)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  ConfigMap/character/character-peers data.INFO_URL: "
            "info-api.infos.svc.cluster.local:80: nothing of the group is in namespace infos, "
            "and Service info-api is in namespace info (did you mean "
            "info-api.info.svc.cluster.local:80?); expected *[[]dns-namespace] "
            "(from k8s/overlays/character/peers.yaml)",
            "hint [[]dns-namespace]: *",
        ]
    )
    write(example, "k8s/overlays/character/peers.yaml", PEERS.format(namespace="info"))
    run_references(pytester).assert_outcomes(passed=7)
