"""references: routes, monitors and in-cluster addresses lead to a Service and port that exist.

Rules:

- ``route-backend``: an Istio ``VirtualService`` route destination
  (``spec.http|tcp|tls[].route[].destination.host`` and ``port.number``) or a
  Gateway API ``HTTPRoute``/``GRPCRoute``/``TCPRoute``/``TLSRoute``/``UDPRoute``
  backend (``spec.rules[].backendRefs[]`` of kind Service: ``name``,
  ``namespace``, ``port``) names a Service the group does not render in that
  namespace, or a port that Service does not expose. Istio hosts may be
  short (``users-api``: the route's namespace), ``users-api.users``,
  ``users-api.users.svc`` or ``users-api.users.svc.cluster.local``; other
  hosts (``api.example.com``, wildcards, a ServiceEntry's hosts) are outside
  the cluster's Services and not judged.
- ``monitor-port``: a Prometheus operator ``ServiceMonitor``'s
  ``spec.endpoints[].port`` names no port of the Services it selects, or a
  ``PodMonitor``'s ``spec.podMetricsEndpoints[].port`` names no container port
  of the pods it selects. Judged only when the monitor selects something in
  the group (the Services of a Helm chart are not in the render).
- ``dns-name``: a container's ``env[].value`` or a ConfigMap's ``data`` names
  a Service by its in-cluster DNS name (``redis.db.svc.cluster.local``,
  ``redis.db.svc``, ``redis.db:6379``, a StatefulSet pod's
  ``redis-0.redis.db.svc``) in a namespace where the group renders Services or
  workloads, and no such Service is there, or it does not listen on that port.
- ``dns-namespace``: such a name (with ``.svc``) names a namespace nothing of
  the group is in (no object, no Namespace, no Application's destination,
  nothing installed unseen) while a Service of that name is rendered in
  another namespace: ``redis.db.svc.cluster.local`` where Redis is in ``data``
  (did you mean ``redis.data.svc.cluster.local``?).

Every rule judges only namespaces the group renders Services or workloads in:
a reference into another namespace may point at something installed
elsewhere. A Service listed in ``overlays_external_services``, or named after
a custom resource of its namespace (an operator's), is never missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..core.fields import as_dict, dicts, port_name, port_number, shown
from ..core.findings import Finding, finding
from ..core.resources import Overlay, Resource
from ..core.selectors import Selector, label_selector
from .base import CheckOptions, Rule, declare
from .podindex import Pod, PodIndex
from .services import (
    EXTERNAL_SETTING,
    ServiceIndex,
    external_pattern,
    has_port,
    is_external,
    service_named,
    service_ports,
)

CHECK_ID = "references"
ROUTE_BACKEND = "route-backend"
MONITOR_PORT = "monitor-port"
DNS_NAME = "dns-name"
DNS_NAMESPACE = "dns-namespace"

CHECK = declare(
    __name__,
    CHECK_ID,
    "group",
    summary=(
        "mesh and Gateway API routes, Prometheus monitors and in-cluster DNS names lead to a "
        "Service and port that exist"
    ),
    catches=(
        "Istio and Gateway API routes, ServiceMonitors and PodMonitors, in-cluster DNS names "
        "in env values and ConfigMaps pointing at a Service or port that does not exist"
    ),
    rules=(
        Rule(
            ROUTE_BACKEND,
            hint=(
                "point the route at a Service of the group by its rendered name (namePrefix "
                "included) and one of its port numbers (the Service's port, not the "
                "container's); list a Service installed elsewhere in "
                "overlays_external_services"
            ),
            doc=(
                "an Istio `VirtualService` destination (`spec.http[]`, `tcp[]`, `tls[]` "
                "`.route[].destination.host` and `port.number`) or a Gateway API `HTTPRoute`, "
                "`GRPCRoute`, `TCPRoute`, `TLSRoute` or `UDPRoute` backend "
                "(`spec.rules[].backendRefs[]` of kind Service: `name`, `namespace`, `port`) "
                "naming a Service that does not exist in that namespace, or a port it does not "
                "expose (a route to `users-api:8000` when the Service listens on 80). Istio "
                "hosts may be short (`users-api`, the route's namespace), `users-api.users`, "
                "`users-api.users.svc` or `users-api.users.svc.cluster.local`; other hosts "
                "(`api.example.com`), wildcards and the hosts of a ServiceEntry are not "
                "judged."
            ),
        ),
        Rule(
            MONITOR_PORT,
            hint=(
                "name a port of the selected Services (ServiceMonitor endpoints[].port) or a "
                "container port of the selected pods (PodMonitor podMetricsEndpoints[].port): "
                "names, not numbers, and exactly as the Service or container declares them"
            ),
            doc=(
                "a Prometheus operator `ServiceMonitor` whose `spec.endpoints[].port` names no "
                "port of the Services it selects (`metrics` when the Service calls it "
                "`http-metrics`), or a `PodMonitor` whose `spec.podMetricsEndpoints[].port` "
                "names no container port of the pods it selects. The selection follows "
                "`spec.selector` and `spec.namespaceSelector` (`any`, `matchNames`, or the "
                "monitor's namespace). A monitor selecting nothing in the group (a Helm "
                "chart's Services) is not judged."
            ),
        ),
        Rule(
            DNS_NAME,
            hint=(
                "write the Service's rendered name and namespace "
                "(<service>.<namespace>.svc.cluster.local) and one of its ports; list a "
                "Service installed elsewhere in overlays_external_services"
            ),
            doc=(
                "a container's `env[].value` or a ConfigMap's `data` naming a Service by its "
                "in-cluster DNS name, `redis.db.svc.cluster.local`, `redis.db.svc`, "
                "`redis.db:6379` (in a URL too: `redis://redis.db.svc:6379/0`), where no such "
                "Service exists in that namespace (the Redis Service lives in `data`, not "
                "`db`: the finding says where a Service of that name does exist), or where it "
                "does not listen on that port. A StatefulSet pod's address "
                "(`redis-0.redis.db.svc`) names its headless Service; the pod's own ports are "
                "not judged, nor are a headless or ExternalName Service's. "
                "`redis-0.redis:6379` beside a Service `redis` of one's own namespace is a pod "
                "of that Service, not a Service of namespace `redis`."
            ),
        ),
        Rule(
            DNS_NAMESPACE,
            hint=(
                "write the namespace the Service is rendered in (the finding suggests it); list "
                "a Service installed elsewhere in overlays_external_services"
            ),
            doc=(
                "such a name written with `.svc` (`redis.db.svc.cluster.local`) whose namespace "
                "nothing of the group is in (no object, no `Namespace`, no Application's "
                "destination, nothing an unrendered Application installs there), while a "
                "Service of that name is rendered in another namespace: Redis is in `data`, so "
                'the finding asks "did you mean `redis.data.svc.cluster.local`?".'
            ),
        ),
    ),
)

#: Istio route kinds, by the field holding them.
ISTIO_ROUTES = ("http", "tcp", "tls")
#: Gateway API route kinds (every version).
GATEWAY_ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute"})
GATEWAY_GROUP = "gateway.networking.k8s.io"
MONITORING_GROUP = "monitoring.coreos.com"

_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
#: A host name with an optional port, not inside a longer word, a path or a
#: variable expansion (``$(POD).redis`` names no Service by itself).
_ADDRESS = re.compile(rf"(?<![\w.\-)}}])({_LABEL}(?:\.{_LABEL})+)(?::(\d{{1,5}}))?(?![\w\-]|\.\w)")
_SERVICE_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Address:
    """An in-cluster address: the Service it names, its namespace and port, as written."""

    text: str
    service: str
    namespace: str
    port: int | None
    #: A StatefulSet pod's own name (``redis-0.redis.db.svc``): its port is the pod's.
    pod: bool = False
    #: Written ``name.ns:port``, without ``.svc``: also how a pod of a headless
    #: Service of one's own namespace is written (``redis-0.redis:6379``).
    short: bool = False


def parse_address(host: str, port: int | None) -> Address | None:
    """Read ``name.ns.svc[.domain]``, ``pod.name.ns.svc[.domain]`` or ``name.ns:port``."""
    labels = host.split(".")
    text = f"{host}:{port}" if port is not None else host
    if "svc" in labels:
        before = labels[: labels.index("svc")]
        if len(before) == 2:
            name, namespace = before
            pod = False
        elif len(before) == 3:
            _, name, namespace = before
            pod = True
        else:
            return None
    elif port is not None and len(labels) == 2:
        name, namespace = labels
        pod = False
    else:
        return None
    if not _SERVICE_NAME.fullmatch(name) or name == "svc":
        return None
    return Address(text, name, namespace, port, pod, short="svc" not in labels)


def addresses(text: str) -> Iterator[Address]:
    """The in-cluster Service addresses written in a value."""
    for match in _ADDRESS.finditer(text):
        port = int(match.group(2)) if match.group(2) else None
        address = parse_address(match.group(1), port)
        if address is not None:
            yield address


def _key_path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if _PLAIN_KEY.fullmatch(key) else f'{prefix}["{key}"]'


@dataclass(frozen=True)
class Reference:
    """A reference to a Service: where it points, and where it is written."""

    namespace: str | None
    name: str
    port: int | None
    name_path: str
    port_path: str
    #: The reference as written, when it is more than the name (a host, an address).
    written: str = ""


class _Context:
    """What every overlay's run shares: Services, pods, and the namespaces judged."""

    def __init__(self, overlays: Sequence[Overlay], options: CheckOptions) -> None:
        self.services = ServiceIndex(overlays, options.external_services, options.presumed)
        self.pods = PodIndex(overlays)
        #: Namespaces the group renders Services or workloads in: only there is a
        #: missing Service known to be missing.
        self.judged: set[str | None] = self.services.namespaces | {
            p.namespace for p in self.pods.pods
        }
        #: Namespaces anything of the group is in, names a Namespace, or deploys to.
        self.deployed: set[str | None] = {
            name
            for overlay in overlays
            for r in overlay.resources
            for name in (r.namespace, r.name if r.kind == "Namespace" and r.group == "" else None)
        } | {o.deployable.namespace for o in overlays if o.deployable is not None}
        self.service_entry_hosts = {
            host
            for overlay in overlays
            for r in overlay.resources
            if r.kind == "ServiceEntry" and r.group == "networking.istio.io"
            for host in r.spec.get("hosts") or ()
            if isinstance(host, str)
        }

    def target(
        self, overlay: Overlay, resource: Resource, rule: str, ref: Reference
    ) -> Iterator[Finding]:
        """Findings for a reference to a Service: missing, or not on that port."""
        if ref.namespace not in self.judged:
            return
        prefix = f"{ref.written}: " if ref.written and ref.written != ref.name else ""
        found = self.services.find(ref.namespace, ref.name, overlay)
        if found is None:
            if self.services.accounted_for(ref.namespace, ref.name):
                return
            problem, expected = self.services.missing(ref.namespace, ref.name)
            yield finding(
                overlay, resource, CHECK_ID, rule, ref.name_path, prefix + problem, expected
            )
            return
        owner, service = found
        if ref.port is None or has_port(service, number=ref.port) or _any_port(service):
            return
        target, others = service_named(overlay, owner, service)
        yield finding(
            overlay,
            resource,
            CHECK_ID,
            rule,
            ref.port_path,
            f"{prefix}{ref.port} is not a port of {target} (ports: {service_ports(service)})",
            "one of the Service's port numbers",
            others,
        )


def _any_port(service: Resource) -> bool:
    """A headless or ExternalName Service: clients reach the pods' (or host's) own ports."""
    spec = service.spec
    return spec.get("clusterIP") == "None" or spec.get("type") == "ExternalName"


# -- route-backend ---------------------------------------------------------------------


def _istio_host(host: str, namespace: str | None) -> tuple[str | None, str] | None:
    """(namespace, Service name) an Istio destination host names, or None for an
    external host or a wildcard."""
    if "*" in host or not host:
        return None
    labels = host.split(".")
    if len(labels) == 1:
        return namespace, host
    if "svc" in labels and len(labels[: labels.index("svc")]) == 2:
        return labels[1], labels[0]
    if len(labels) == 2:
        return labels[1], labels[0]
    return None


def _virtual_service(overlay: Overlay, vs: Resource, context: _Context) -> Iterator[Finding]:
    for kind in ISTIO_ROUTES:
        for i, entry in enumerate(dicts(vs.spec.get(kind))):
            for j, route in enumerate(dicts(entry.get("route"))):
                destination = as_dict(route.get("destination"))
                host = destination.get("host")
                if not isinstance(host, str) or host in context.service_entry_hosts:
                    continue
                named = _istio_host(host, vs.namespace)
                if named is None:
                    continue
                path = f"spec.{kind}[{i}].route[{j}].destination"
                port = port_number(as_dict(destination.get("port")).get("number"))
                ref = Reference(*named, port, f"{path}.host", f"{path}.port.number", host)
                yield from context.target(overlay, vs, ROUTE_BACKEND, ref)


def _gateway_route(overlay: Overlay, route: Resource, context: _Context) -> Iterator[Finding]:
    for i, rule in enumerate(dicts(route.spec.get("rules"))):
        for j, ref in enumerate(dicts(rule.get("backendRefs"))):
            group, kind = ref.get("group") or "", ref.get("kind") or "Service"
            name = ref.get("name")
            if group != "" or kind != "Service" or not isinstance(name, str) or not name:
                continue
            namespace = ref.get("namespace") or route.namespace
            if not isinstance(namespace, str | None):
                continue
            path = f"spec.rules[{i}].backendRefs[{j}]"
            port = port_number(ref.get("port"))
            reference = Reference(namespace, name, port, f"{path}.name", f"{path}.port")
            yield from context.target(overlay, route, ROUTE_BACKEND, reference)


def _routes(overlay: Overlay, context: _Context) -> Iterator[Finding]:
    for resource in overlay.resources:
        if resource.kind == "VirtualService" and resource.group == "networking.istio.io":
            yield from _virtual_service(overlay, resource, context)
        elif resource.kind in GATEWAY_ROUTES and resource.group == GATEWAY_GROUP:
            yield from _gateway_route(overlay, resource, context)


# -- monitor-port ----------------------------------------------------------------------


def _monitored_namespaces(monitor: Resource, context: _Context) -> list[str | None]:
    chooser = as_dict(monitor.spec.get("namespaceSelector"))
    if chooser.get("any") is True:
        return sorted(context.judged, key=lambda ns: ns or "")
    names = chooser.get("matchNames")
    if isinstance(names, list) and names:
        return [n for n in names if isinstance(n, str)]
    return [monitor.namespace]


def _selected_services(
    monitor: Resource, selector: Selector, context: _Context, overlays: Sequence[Overlay]
) -> list[Resource]:
    namespaces = set(_monitored_namespaces(monitor, context))
    return [
        service
        for overlay in overlays
        for service in overlay.services
        if service.namespace in namespaces and selector.matches(service.labels)
    ]


def _named_ports(service: Resource) -> str:
    names = [shown(p.get("name")) for p in dicts(service.spec.get("ports")) if p.get("name")]
    return f"{service.ref} (port names: {', '.join(names) or 'none'})"


def _service_monitor(
    overlay: Overlay, monitor: Resource, context: _Context, overlays: Sequence[Overlay]
) -> Iterator[Finding]:
    selector = label_selector(monitor.spec.get("selector"))
    if selector is None:
        return
    services = _selected_services(monitor, selector, context, overlays)
    if not services:
        return  # what it selects is installed elsewhere, or nothing yet: not ours to say
    operated = context.services.operated
    if any(operated.pods_owner(ns, selector) for ns in _monitored_namespaces(monitor, context)):
        return  # it also selects Services an operator makes, which may carry the port
    listed = ", ".join(_named_ports(s) for s in services[:3])
    more = f" and {len(services) - 3} more" if len(services) > 3 else ""
    for i, endpoint in enumerate(dicts(monitor.spec.get("endpoints"))):
        name = port_name(endpoint.get("port"))
        if name is None or any(has_port(s, name=name) for s in services):
            continue
        yield finding(
            overlay,
            monitor,
            CHECK_ID,
            MONITOR_PORT,
            f"spec.endpoints[{i}].port",
            f"{name} is no port name of the Services it selects ({listed}{more})",
            "the name of a port of a selected Service",
        )


def _container_port_names(pod: Pod) -> set[str]:
    return {
        name
        for container in pod.template.containers
        for port in container.ports
        if (name := port_name(port.get("name"))) is not None
    }


def _pod_monitor(overlay: Overlay, monitor: Resource, context: _Context) -> Iterator[Finding]:
    selector = label_selector(monitor.spec.get("selector"))
    if selector is None:
        return
    pods = [
        pod
        for namespace in _monitored_namespaces(monitor, context)
        for pod in context.pods.selected(namespace, selector)
    ]
    if not pods:
        return
    declared = set().union(*(_container_port_names(p) for p in pods))
    listed = ", ".join(p.ref for p in pods[:3]) + (
        f" and {len(pods) - 3} more" if len(pods) > 3 else ""
    )
    for i, endpoint in enumerate(dicts(monitor.spec.get("podMetricsEndpoints"))):
        name = port_name(endpoint.get("port"))
        if name is None or name in declared:
            continue
        yield finding(
            overlay,
            monitor,
            CHECK_ID,
            MONITOR_PORT,
            f"spec.podMetricsEndpoints[{i}].port",
            f"{name} is no container port name of the pods it selects ({listed}; port names: "
            f"{', '.join(sorted(declared)) or 'none'})",
            "the name of a container port of a selected pod",
        )


def _monitors(
    overlay: Overlay, context: _Context, overlays: Sequence[Overlay]
) -> Iterator[Finding]:
    for resource in overlay.resources:
        if resource.group != MONITORING_GROUP:
            continue
        if resource.kind == "ServiceMonitor":
            yield from _service_monitor(overlay, resource, context, overlays)
        elif resource.kind == "PodMonitor":
            yield from _pod_monitor(overlay, resource, context)


# -- dns-name --------------------------------------------------------------------------


def _values(overlay: Overlay) -> Iterator[tuple[Resource, str, str]]:
    """(resource, field path, text) of every env value and ConfigMap data value."""
    for container in overlay.containers:
        for j, env in enumerate(dicts(container.raw.get("env"))):
            value = env.get("value")
            if isinstance(value, str):
                yield container.resource, f"{container.path}.env[{j}].value", value
    for resource in overlay.resources:
        if resource.kind == "ConfigMap" and resource.group == "":
            for key, value in as_dict(resource.raw.get("data")).items():
                if isinstance(value, str):
                    yield resource, _key_path("data", str(key)), value


def _dns_names(overlay: Overlay, context: _Context) -> Iterator[Finding]:
    for resource, path, text in _values(overlay):
        seen: set[str] = set()
        for address in addresses(text):
            if address.text in seen:
                continue
            seen.add(address.text)
            # `redis-0.redis:6379` is pod redis-0 of the headless Service redis next door.
            if address.short and context.services.find(resource.namespace, address.namespace):
                continue
            port = None if address.pod else address.port
            ref = Reference(address.namespace, address.service, port, path, path, address.text)
            yield from context.target(overlay, resource, DNS_NAME, ref)
            if not address.short:
                yield from _nobodys_namespace(overlay, resource, path, address, context)


def _nobodys_namespace(
    overlay: Overlay, resource: Resource, path: str, address: Address, context: _Context
) -> Iterator[Finding]:
    """A ``dns-namespace`` finding: the address's namespace holds nothing of the group,
    and a Service of its name is rendered in another namespace."""
    namespace, name = address.namespace, address.service
    services = context.services
    if namespace in context.deployed or namespace in context.judged:
        return
    if is_external(namespace, name, services.external) or services.presumes(namespace):
        return
    others = [ns for ns in services.elsewhere(namespace, name) if ns is not None]
    if not others:
        return  # no Service of that name in the group: installed elsewhere, perhaps
    meant = address.text.replace(f"{name}.{namespace}.", f"{name}.{others[0]}.", 1)
    where = ", ".join(f"namespace {ns}" for ns in others)
    yield finding(
        overlay,
        resource,
        CHECK_ID,
        DNS_NAMESPACE,
        path,
        f"{address.text}: nothing of the group is in namespace {namespace}, and Service "
        f"{name} is in {where} (did you mean {meant}?)",
        f"the namespace the Service is rendered in, or {external_pattern(namespace, name)} "
        f"in {EXTERNAL_SETTING} if it is installed outside the repository",
    )


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Find routes, monitors and in-cluster addresses that lead to no Service or port."""
    context = _Context(overlays, options)
    found: set[Finding] = set()
    for overlay in overlays:
        found.update(_routes(overlay, context))
        found.update(_monitors(overlay, context, overlays))
        found.update(_dns_names(overlay, context))
    return sorted(found)


__all__ = ["Address", "addresses", "parse_address", "run"]
