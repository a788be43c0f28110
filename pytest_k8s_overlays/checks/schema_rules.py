"""What the API server rejects although the OpenAPI schemas accept it.

- ``selector``: a Deployment, StatefulSet, DaemonSet or ReplicaSet (``apps``)
  needs a non-empty ``spec.selector`` that matches its pod template's labels.
- ``name``: ``metadata.name`` is valid for its kind (a DNS-1035 label for a
  Service, a DNS-1123 label for a Namespace, a path segment for RBAC and
  flow-control objects, a DNS-1123 subdomain otherwise, at most 52 characters
  for a CronJob); ``metadata.namespace`` is a DNS-1123 label.
- ``port-range``: container, host, probe and Service port numbers lie in 1-65535.
- ``duplicate-container``: container names are unique within a pod, init and
  ephemeral containers included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..model import PodTemplate, Resource
from ..selectors import EQUALS, OPERATORS, Requirement
from .schema_errors import Problem, format_path, quote, show, subpath

_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"


@dataclass(frozen=True)
class NameRule:
    """How the API server validates the name of one kind of object."""

    title: str
    pattern: re.Pattern[str] | None
    max_length: int | None
    description: str

    def accepts(self, name: str) -> bool:
        if self.max_length is not None and len(name) > self.max_length:
            return False
        if self.pattern is not None:
            return bool(self.pattern.match(name))
        # A path segment: anything but "." and "..", without "/" or "%".
        return name not in (".", "..") and not {"/", "%"} & set(name)


DNS1123_LABEL = NameRule(
    "a DNS-1123 label",
    re.compile(f"^{_LABEL}$"),
    63,
    "at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
)
DNS1123_SUBDOMAIN = NameRule(
    "a DNS-1123 subdomain",
    re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$"),
    253,
    "at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit",
)
DNS1035_LABEL = NameRule(
    "a DNS-1035 label",
    re.compile(r"^[a-z](?:[-a-z0-9]*[a-z0-9])?$"),
    63,
    "at most 63 lowercase letters, digits or '-', starting with a letter "
    "and ending with a letter or digit",
)
CRONJOB_NAME = NameRule(
    "a valid CronJob name",
    DNS1123_SUBDOMAIN.pattern,
    52,
    "a DNS-1123 subdomain of at most 52 characters (Job names add 11)",
)
PATH_SEGMENT = NameRule("a path segment", None, None, "a name without '/' or '%', not '.' or '..'")

_RBAC = "rbac.authorization.k8s.io"
_FLOW = "flowcontrol.apiserver.k8s.io"
#: Kinds whose names follow another rule than the DNS-1123 subdomain, by (group, kind).
NAME_RULES: Mapping[tuple[str, str], NameRule] = {
    ("", "Service"): DNS1035_LABEL,
    ("", "Namespace"): DNS1123_LABEL,
    ("batch", "CronJob"): CRONJOB_NAME,
    (_RBAC, "Role"): PATH_SEGMENT,
    (_RBAC, "ClusterRole"): PATH_SEGMENT,
    (_RBAC, "RoleBinding"): PATH_SEGMENT,
    (_RBAC, "ClusterRoleBinding"): PATH_SEGMENT,
    (_FLOW, "FlowSchema"): PATH_SEGMENT,
    (_FLOW, "PriorityLevelConfiguration"): PATH_SEGMENT,
}

SELECTOR_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
PORT_RANGE = "a port number from 1 to 65535"
_HANDLERS = ("httpGet", "tcpSocket", "grpc")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def name_problems(resource: Resource) -> Iterator[Problem]:
    """``name``: metadata.name valid for the kind, metadata.namespace a DNS-1123 label."""
    metadata = _dict(resource.raw.get("metadata"))
    name = metadata.get("name")
    rule = NAME_RULES.get((resource.group, resource.kind), DNS1123_SUBDOMAIN)
    if name is None and not metadata.get("generateName"):
        yield Problem("name", "metadata.name", "missing", f"a name: {rule.description}")
    elif isinstance(name, str) and not rule.accepts(name):
        found = f"{quote(name)} is not {rule.title}"
        if rule.max_length is not None and len(name) > rule.max_length:
            found += f" ({len(name)} characters)"
        yield Problem("name", "metadata.name", found, rule.description)
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace and not DNS1123_LABEL.accepts(namespace):
        found = f"{quote(namespace)} is not {DNS1123_LABEL.title}"
        yield Problem("name", "metadata.namespace", found, DNS1123_LABEL.description)


def _labels_text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(labels.items()))


def selector_problems(resource: Resource) -> Iterator[Problem]:
    """``selector``: an apps workload's spec.selector exists and matches its pod template."""
    if resource.group != "apps" or resource.kind not in SELECTOR_KINDS:
        return
    template = resource.pod_template
    labels = template.labels if template is not None else {}
    labels_path = "spec.template.metadata.labels"
    wanted = (
        f"a selector matching the pod template labels ({_labels_text(labels)})"
        if labels
        else f"a selector, and pod template labels ({labels_path}) it matches"
    )
    spec = _dict(resource.raw.get("spec"))
    selector = spec.get("selector")
    if selector is None:
        yield Problem("selector", "spec.selector", "missing", wanted)
        return
    if not isinstance(selector, dict):
        return  # the schema reports its type
    match_labels = _dict(selector.get("matchLabels"))
    expressions = _list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        yield Problem("selector", "spec.selector", "an empty selector", wanted)
        return
    expected = f"the selector to match {labels_path}"
    for key, value in sorted(match_labels.items(), key=lambda item: str(item[0])):
        have = labels.get(str(key))
        if not Requirement(str(key), EQUALS, (str(value),)).matches(labels):
            pod = f"{key}={have}" if have is not None else f"no label {key}"
            found = f"{key}={value} but the pod template has {pod}"
            path = format_path(["spec", "selector", "matchLabels", str(key)])
            yield Problem("selector", path, found, expected)
    for index, expression in enumerate(expressions):
        problem = _expression_problem(_dict(expression), labels)
        if problem:
            path = format_path(["spec", "selector", "matchExpressions", index])
            yield Problem("selector", path, problem, expected)


def _expression_problem(expression: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    key, operator = str(expression.get("key") or ""), expression.get("operator")
    values = [str(v) for v in _list(expression.get("values"))]
    have = labels.get(key)
    if operator not in OPERATORS:
        return None  # an unknown operator is the enum rule's business
    if Requirement(key, str(operator), tuple(values)).matches(labels):
        return None
    pod = f"{key}={have}" if have is not None else f"no label {key}"
    listed = f" ({', '.join(values)})" if values else ""
    return f"{key} {operator}{listed} but the pod template has {pod}"


def _out_of_range(value: Any, zero_means_unset: bool = False) -> bool:
    number = _number(value)
    if number is None or (zero_means_unset and number == 0):
        return False
    return not 1 <= number <= 65535


def _handler_ports(owner: Mapping[str, Any], path: str) -> Iterator[Problem]:
    for handler in _HANDLERS:
        port = _dict(owner.get(handler)).get("port")
        if _out_of_range(port):
            yield Problem("port-range", subpath(path, handler, "port"), show(port), PORT_RANGE)


def _template_ports(template: PodTemplate) -> Iterator[Problem]:
    for container in template.containers:
        for index, port in enumerate(_list(container.raw.get("ports"))):
            port = _dict(port)
            for field, zero_ok in (("containerPort", False), ("hostPort", True)):
                if field in port and _out_of_range(port[field], zero_ok):
                    path = subpath(container.path, "ports", index, field)
                    yield Problem("port-range", path, show(port[field]), PORT_RANGE)
        for probe in _PROBES:
            owner = _dict(container.raw.get(probe))
            yield from _handler_ports(owner, subpath(container.path, probe))
        lifecycle = _dict(container.raw.get("lifecycle"))
        for hook in ("postStart", "preStop"):
            owner = _dict(lifecycle.get(hook))
            yield from _handler_ports(owner, subpath(container.path, "lifecycle", hook))


def port_problems(resource: Resource) -> Iterator[Problem]:
    """``port-range``: every port number a pod template or a Service declares is 1-65535."""
    template = resource.pod_template
    if template is not None:
        yield from _template_ports(template)
    if resource.kind == "Service" and resource.group == "":
        for index, port in enumerate(_list(resource.spec.get("ports"))):
            port = _dict(port)
            # targetPort 0 defaults to port; nodePort 0 asks for one to be allocated.
            for field, zero_ok in (("port", False), ("targetPort", True), ("nodePort", True)):
                if field in port and _out_of_range(port[field], zero_ok):
                    path = format_path(["spec", "ports", index, field])
                    yield Problem("port-range", path, show(port[field]), PORT_RANGE)


def container_problems(resource: Resource) -> Iterator[Problem]:
    """``duplicate-container``: no two containers of a pod share a name."""
    template = resource.pod_template
    if template is None:
        return
    seen: dict[str, str] = {}
    for container in template.containers:
        name = container.raw.get("name")
        if not isinstance(name, str) or not name:
            continue
        if name in seen:
            yield Problem(
                "duplicate-container",
                f"{container.path}.name",
                f"{quote(name)}, already the name of {seen[name]}",
                "a name unique among the pod's containers, init containers included",
            )
        else:
            seen[name] = container.path


def api_server_problems(resource: Resource) -> list[Problem]:
    """Every rule above, for one built-in resource."""
    return [
        *name_problems(resource),
        *selector_problems(resource),
        *port_problems(resource),
        *container_problems(resource),
    ]
