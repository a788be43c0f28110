"""What the API server rejects although the OpenAPI schemas accept it.

- ``selector``: a Deployment, StatefulSet, DaemonSet or ReplicaSet (``apps``)
  needs a non-empty ``spec.selector`` that matches its pod template's labels.
- ``name``: ``metadata.name`` is valid for its kind (a DNS-1035 label for a
  Service, a DNS-1123 label for a Namespace, a path segment for RBAC and
  flow-control objects, a DNS-1123 subdomain otherwise, at most 52 characters
  for a CronJob); ``metadata.namespace`` is a DNS-1123 label.
- ``port-range``: container, host, probe and Service port numbers lie in 1-65535.
- ``port-name``: container port names, named probe, lifecycle and Service
  ``targetPort`` ports are IANA service names (at most 15 lowercase letters,
  digits or '-', with a letter), unique within a container; Service port names
  are DNS-1123 labels.
- ``service-ports``: a Service has ports (unless headless or ExternalName),
  names every port when it has several, each name and each port/protocol once.
- ``duplicate-container``: container names are unique within a pod, init and
  ephemeral containers included.
- ``data-key``: ConfigMap ``data``/``binaryData`` and Secret
  ``data``/``stringData`` keys are config keys (letters, digits, '-', '_', '.'),
  and no ConfigMap key is in both ``data`` and ``binaryData``.
- ``base64``: Secret ``data`` and ConfigMap ``binaryData`` values are base64.

Every rule reads the manifest defensively: a value of the wrong shape is the
schema's ``type`` finding, never an exception here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from ...core.fields import DEFAULT_PROTOCOL, as_dict, as_list, integer
from ...core.resources import PodTemplate, Resource
from ...core.selectors import EQUALS, OPERATORS, Requirement
from ..base import Rule
from .errors import Problem, format_path, quote, show, subpath

SELECTOR = "selector"
NAME = "name"
PORT_RANGE = "port-range"
PORT_NAME = "port-name"
SERVICE_PORTS = "service-ports"
DUPLICATE_CONTAINER = "duplicate-container"
DATA_KEY = "data-key"
BASE64 = "base64"

#: The schema check's rules for the API server's rules the schemas miss.
API_SERVER_RULES = (
    Rule(
        SELECTOR,
        hint=(
            "set spec.selector.matchLabels to labels the pod template carries (Kustomize "
            "`labels:` with includeSelectors: true keeps both in step)"
        ),
        doc=(
            "a Deployment, StatefulSet, DaemonSet or ReplicaSet with no `spec.selector`, an "
            "empty one, or one the pod template's labels do not satisfy"
        ),
    ),
    Rule(
        NAME,
        hint="use lowercase letters, digits and '-' (namePrefix/nameSuffix count too)",
        doc=(
            "`metadata.name` invalid for its kind: a DNS-1035 label for a Service, a DNS-1123 "
            "label for a Namespace, at most 52 characters for a CronJob, a path segment for "
            "RBAC objects, otherwise a DNS-1123 subdomain; `metadata.namespace` not a DNS-1123 "
            "label"
        ),
    ),
    Rule(
        PORT_RANGE,
        hint="use a port number from 1 to 65535",
        doc=(
            "`containerPort`, `hostPort`, probe and lifecycle ports, Service "
            "`port`/`targetPort`/`nodePort` outside 1-65535"
        ),
    ),
    Rule(
        PORT_NAME,
        hint=(
            "name ports with at most 15 lowercase letters, digits or '-' (`metrics`, not "
            "`prometheus-metrics` or `HTTP`), once per container; refer to a port by that name "
            "or by its unquoted number"
        ),
        doc=(
            "a container port name, or a named probe/lifecycle port or Service `targetPort`, that "
            "is not an IANA service name: more than 15 characters (`prometheus-metrics`), "
            'uppercase (`HTTP`), no letter (a quoted `"8080"`), leading/trailing `-` or `--`; the '
            "same port name twice in one container; a Service port name that is not a DNS-1123 "
            "label"
        ),
    ),
    Rule(
        SERVICE_PORTS,
        hint=(
            "give every port of a multi-port Service its own name, and each port "
            "number/protocol once (a patch may have appended a copy)"
        ),
        doc=(
            "a Service with several ports where one has no `name`; two ports of one Service "
            "with the same name, or the same port and protocol (protocol defaults to TCP); a "
            "Service with no ports that is neither headless (`clusterIP: None`) nor "
            "`ExternalName`"
        ),
    ),
    Rule(
        DUPLICATE_CONTAINER,
        hint=(
            "rename one of the containers; a strategic merge patch merges containers by name, "
            "a JSON patch appends"
        ),
        doc="two containers of one pod with the same name, init and ephemeral containers included",
    ),
    Rule(
        DATA_KEY,
        hint=(
            "rename the key to letters, digits, '-', '_' or '.'; in a generator's env file "
            "write plain KEY=value lines (no `export`, no spaces around '=')"
        ),
        doc=(
            "a ConfigMap `data`/`binaryData` or Secret `data`/`stringData` key that is not "
            "letters, digits, `-`, `_` or `.`: a generator env file line `export DB_HOST=db` "
            "makes the key `export DB_HOST`; a ConfigMap key in both `data` and `binaryData`"
        ),
    ),
    Rule(
        BASE64,
        hint=(
            "base64-encode the value (`base64 -w0`), or move plain text to stringData (a "
            "ConfigMap: to data); a secretGenerator encodes for you"
        ),
        doc=(
            "a Secret `data` or ConfigMap `binaryData` value that is not base64 (the API "
            "server's `illegal base64 data`); the value is never printed: `data.password: not "
            "valid base64; expected base64-encoded bytes (put plain text under stringData)`"
        ),
    ),
)


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
PORT_RANGE_EXPECTED = "a port number from 1 to 65535"
#: What an IANA service name (IANA_SVC_NAME) is: the rule for named ports.
PORT_NAME_EXPECTED = (
    "at most 15 lowercase letters, digits or '-', with at least one letter, not starting or "
    "ending with '-', no '--'"
)
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+\Z")
#: A valid port name, to pass the usual case with one match.
_PORT_NAME = re.compile(r"^(?=.{1,15}\Z)(?=[^a-z]*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_PORT_NAME_MAX = 15
#: A ConfigMap or Secret key (``IsConfigMapKey``).
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+\Z")
_DATA_KEY_CHAR = re.compile(r"[-._a-zA-Z0-9]")
_DATA_KEY_MAX = 253
DATA_KEY_EXPECTED = (
    "a key of letters, digits, '-', '_' or '.' (at most 253 characters, "
    'not "." or ".." or starting with "..")'
)
#: Go's base64.StdEncoding as the API server decodes ``[]byte`` fields (newlines skipped).
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
_HANDLERS = ("httpGet", "tcpSocket", "grpc")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def name_problems(resource: Resource) -> Iterator[Problem]:
    """``name``: metadata.name valid for the kind, metadata.namespace a DNS-1123 label."""
    metadata = as_dict(resource.raw.get("metadata"))
    name = metadata.get("name")
    rule = NAME_RULES.get((resource.group, resource.kind), DNS1123_SUBDOMAIN)
    if name is None and not metadata.get("generateName"):
        yield Problem(NAME, "metadata.name", "missing", f"a name: {rule.description}")
    elif isinstance(name, str) and not rule.accepts(name):
        found = f"{quote(name)} is not {rule.title}"
        if rule.max_length is not None and len(name) > rule.max_length:
            found += f" ({len(name)} characters)"
        yield Problem(NAME, "metadata.name", found, rule.description)
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace and not DNS1123_LABEL.accepts(namespace):
        found = f"{quote(namespace)} is not {DNS1123_LABEL.title}"
        yield Problem(NAME, "metadata.namespace", found, DNS1123_LABEL.description)


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
    spec = as_dict(resource.raw.get("spec"))
    selector = spec.get("selector")
    if selector is None:
        yield Problem(SELECTOR, "spec.selector", "missing", wanted)
        return
    if not isinstance(selector, dict):
        return  # the schema reports its type
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = as_list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        yield Problem(SELECTOR, "spec.selector", "an empty selector", wanted)
        return
    expected = f"the selector to match {labels_path}"
    for key, value in sorted(match_labels.items(), key=lambda item: str(item[0])):
        have = labels.get(str(key))
        if not Requirement(str(key), EQUALS, (str(value),)).matches(labels):
            pod = f"{key}={have}" if have is not None else f"no label {key}"
            found = f"{key}={value} but the pod template has {pod}"
            path = format_path(["spec", "selector", "matchLabels", str(key)])
            yield Problem(SELECTOR, path, found, expected)
    for index, expression in enumerate(expressions):
        problem = _expression_problem(as_dict(expression), labels)
        if problem:
            path = format_path(["spec", "selector", "matchExpressions", index])
            yield Problem(SELECTOR, path, problem, expected)


def _expression_problem(expression: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    key, operator = str(expression.get("key") or ""), expression.get("operator")
    values = [str(v) for v in as_list(expression.get("values"))]
    have = labels.get(key)
    # An unknown operator, or one of another type (`operator: {In: [web]}`), is
    # the enum or type rule's business.
    if not isinstance(operator, str) or operator not in OPERATORS:
        return None
    if Requirement(key, str(operator), tuple(values)).matches(labels):
        return None
    pod = f"{key}={have}" if have is not None else f"no label {key}"
    listed = f" ({', '.join(values)})" if values else ""
    return f"{key} {operator}{listed} but the pod template has {pod}"


def _out_of_range(value: Any, zero_means_unset: bool = False) -> bool:
    number = integer(value)
    if number is None or (zero_means_unset and number == 0):
        return False
    return not 1 <= number <= 65535


def port_name_faults(name: str) -> list[str]:
    """Why ``name`` is not an IANA service name (a valid port name); empty when it is one."""
    if not name:
        return ["empty"]
    faults: list[str] = []
    if len(name) > _PORT_NAME_MAX:
        faults.append(f"{len(name)} characters")
    if not _PORT_NAME_CHARS.match(name):
        if _PORT_NAME_CHARS.match(name.lower()):
            faults.append("uppercase letters")
        else:
            faults.append("characters other than a-z, 0-9 and '-'")
    elif name.isdigit():
        faults.append("digits only: unquote a port number")
    elif not any("a" <= char <= "z" for char in name):
        faults.append("no letter")
    if "--" in name:
        faults.append("'--'")
    if name.startswith("-") or name.endswith("-"):
        faults.append("a leading or trailing '-'")
    return faults


def _bad_port_name(value: Any) -> TypeGuard[str]:
    """Tell whether an int-or-string port is a name, and not a valid one."""
    return isinstance(value, str) and not _PORT_NAME.match(value)


def _port_name_problem(name: str, path: str) -> Problem:
    found = f"{quote(name)} is not a valid port name ({', '.join(port_name_faults(name))})"
    return Problem(PORT_NAME, path, found, PORT_NAME_EXPECTED)


def _handler_ports(owner: Mapping[str, Any], path: str) -> Iterator[Problem]:
    for handler in _HANDLERS:
        port = as_dict(owner.get(handler)).get("port")
        if _out_of_range(port):
            yield Problem(
                PORT_RANGE, subpath(path, handler, "port"), show(port), PORT_RANGE_EXPECTED
            )
        # gRPC probes take a number only (the schema says so).
        elif handler != "grpc" and _bad_port_name(port):
            yield _port_name_problem(port, subpath(path, handler, "port"))


def _container_port_names(ports: list[Any], prefix: str) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, port in enumerate(ports):
        name = as_dict(port).get("name")
        if not isinstance(name, str) or not name:
            continue  # the name is optional
        if _bad_port_name(name):
            yield _port_name_problem(name, subpath(prefix, "ports", index, "name"))
        if name in seen:
            first = subpath(prefix, "ports", seen[name])
            found = f"{quote(name)}, already the name of {first}"
            path = subpath(prefix, "ports", index, "name")
            yield Problem(PORT_NAME, path, found, "a port name unique within the container")
        else:
            seen[name] = index


def _template_ports(template: PodTemplate) -> Iterator[Problem]:
    for container in template.containers:
        ports = as_list(container.raw.get("ports"))
        for index, port in enumerate(ports):
            port = as_dict(port)
            for field, zero_ok in (("containerPort", False), ("hostPort", True)):
                if field in port and _out_of_range(port[field], zero_ok):
                    path = subpath(container.path, "ports", index, field)
                    yield Problem(PORT_RANGE, path, show(port[field]), PORT_RANGE_EXPECTED)
        yield from _container_port_names(ports, container.path)
        for probe in _PROBES:
            owner = as_dict(container.raw.get(probe))
            yield from _handler_ports(owner, subpath(container.path, probe))
        lifecycle = as_dict(container.raw.get("lifecycle"))
        for hook in ("postStart", "preStop"):
            owner = as_dict(lifecycle.get(hook))
            yield from _handler_ports(owner, subpath(container.path, "lifecycle", hook))


def port_problems(resource: Resource) -> Iterator[Problem]:
    """``port-range`` and ``port-name``: the ports a pod template or a Service declares."""
    template = resource.pod_template
    if template is not None:
        yield from _template_ports(template)
    if resource.kind == "Service" and resource.group == "":
        for index, port in enumerate(as_list(resource.spec.get("ports"))):
            port = as_dict(port)
            # targetPort 0 defaults to port; nodePort 0 asks for one to be allocated.
            for field, zero_ok in (("port", False), ("targetPort", True), ("nodePort", True)):
                if field in port and _out_of_range(port[field], zero_ok):
                    path = format_path(["spec", "ports", index, field])
                    yield Problem(PORT_RANGE, path, show(port[field]), PORT_RANGE_EXPECTED)
            target = port.get("targetPort")
            # An empty targetPort defaults to port, as 0 does.
            if target != "" and _bad_port_name(target):
                path = format_path(["spec", "ports", index, "targetPort"])
                yield _port_name_problem(target, path)
            name = port.get("name")
            if isinstance(name, str) and name and not DNS1123_LABEL.accepts(name):
                found = f"{quote(name)} is not {DNS1123_LABEL.title}"
                path = format_path(["spec", "ports", index, "name"])
                yield Problem(PORT_NAME, path, found, DNS1123_LABEL.description)


def service_port_problems(resource: Resource) -> Iterator[Problem]:
    """``service-ports``: a Service's ports are there, named when several, each once."""
    if resource.kind != "Service" or resource.group != "":
        return
    spec = resource.spec
    ports = spec.get("ports")
    if ports is None or ports == []:
        if spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
            yield Problem(
                SERVICE_PORTS,
                "spec.ports",
                "missing" if ports is None else "an empty list",
                "at least one port (only a headless Service, clusterIP: None, "
                "or an ExternalName Service has none)",
            )
        return
    yield from _port_names(as_list(ports))
    yield from _port_numbers(as_list(ports))


def _port_names(ports: list[Any]) -> Iterator[Problem]:
    """Every port named when there are several, each name once."""
    names: dict[str, int] = {}
    for index, port in enumerate(ports):
        name = port.get("name") if isinstance(port, dict) else None
        if not isinstance(port, dict) or (name in (None, "") and len(ports) < 2):
            continue
        if name is None or name == "":
            expected = "a name on every port of a Service with more than one port"
            yield Problem(SERVICE_PORTS, _service_port(index, "name"), "missing", expected)
        elif isinstance(name, str) and name in names:
            found = f"{quote(name)}, already the name of {_service_port(names[name])}"
            expected = "a port name unique within the Service"
            yield Problem(SERVICE_PORTS, _service_port(index, "name"), found, expected)
        elif isinstance(name, str):
            names[name] = index


def _port_numbers(ports: list[Any]) -> Iterator[Problem]:
    """Each port number and protocol once."""
    numbers: dict[tuple[int, str], int] = {}
    for index, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        number, protocol = integer(port.get("port")), port.get("protocol") or DEFAULT_PROTOCOL
        if number is None or not isinstance(protocol, str):
            continue
        key = (number, protocol)
        if key in numbers:
            first = _service_port(numbers[key])
            found = f"{number}/{protocol}, already the port of {first}"
            expected = "each port and protocol once in a Service"
            yield Problem(SERVICE_PORTS, _service_port(index), found, expected)
        else:
            numbers[key] = index


def _service_port(index: int, *field: str) -> str:
    return format_path(["spec", "ports", index, *field])


def _data_key_fault(key: str) -> str | None:
    """Why ``key`` is not a valid ConfigMap or Secret key, or None."""
    if _DATA_KEY.match(key) and len(key) <= _DATA_KEY_MAX and not key.startswith(".."):
        return None if key != "." else '"." is not allowed'  # the usual case: one match
    if not key:
        return "empty"
    if len(key) > _DATA_KEY_MAX:
        return f"{len(key)} characters"
    bad = sorted({char for char in key if not _DATA_KEY_CHAR.match(char)})
    if bad:
        shown = ", ".join(json.dumps(char) for char in bad[:5])
        return f"{shown} {'is' if len(bad) == 1 else 'are'} not allowed"
    if key in (".", ".."):
        return f"{json.dumps(key)} is not allowed"
    if key.startswith(".."):
        return 'it starts with ".."'
    return None


def _is_base64(value: str) -> bool:
    # Go's decoder skips line breaks; anything else outside the alphabet is an error.
    return bool(_BASE64.match(value.replace("\n", "").replace("\r", "")))


def data_problems(resource: Resource) -> Iterator[Problem]:
    """``data-key`` and ``base64``: a ConfigMap's or Secret's keys, and its base64 values.

    Values are never shown: only the key, which the path names anyway.
    """
    if resource.group != "" or resource.kind not in ("ConfigMap", "Secret"):
        return
    secret = resource.kind == "Secret"
    fields = ("data", "stringData") if secret else ("data", "binaryData")
    encoded = "data" if secret else "binaryData"
    plain = "stringData" if secret else "data"
    for field in fields:
        for key, value in as_dict(resource.raw.get(field)).items():
            fault = _data_key_fault(str(key))
            if fault:
                path = format_path([field, str(key)])
                yield Problem(DATA_KEY, path, f"an invalid key ({fault})", DATA_KEY_EXPECTED)
            if field == encoded and isinstance(value, str) and not _is_base64(value):
                text = "plain text" if secret else "text"
                expected = f"base64-encoded bytes (put {text} under {plain})"
                yield Problem(BASE64, format_path([field, str(key)]), "not valid base64", expected)
    if not secret:
        binary = as_dict(resource.raw.get("binaryData"))
        for key in as_dict(resource.raw.get("data")):
            if key in binary:
                yield Problem(
                    DATA_KEY,
                    format_path(["data", str(key)]),
                    "also a key of binaryData",
                    "each key in data or in binaryData, not both",
                )


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
                DUPLICATE_CONTAINER,
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
        *service_port_problems(resource),
        *container_problems(resource),
        *data_problems(resource),
    ]
