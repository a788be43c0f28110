"""The ports check: Services, probes and Ingresses point at ports that exist.

Rules:

- ``target-port-name``: a Service's named ``targetPort`` is a named port of
  every pod template the Service selects (same namespace, any overlay of the
  group): a canary without the port breaks part of the traffic. A declared
  name close to the one written is suggested (``htp``: did you mean http?),
  here and in ``probe-port``.
- ``target-port-number``: a numeric ``targetPort`` (``port`` when
  ``targetPort`` is omitted) is declared as a ``containerPort`` (by a
  regular container or a sidecar) of every selected pod whose regular
  containers declare ports. Undeclared ports still route, so a pod whose
  app containers declare none is not judged, even when a sidecar declares
  its own (a cloud-sql-proxy's metrics port says nothing about the app's).
- ``selects-nothing``: a Service with a selector matches no pod template of
  its group in its namespace. Services without a selector (their own
  Endpoints) and ExternalName Services are fine.
- ``probe-port``: a named ``httpGet`` / ``tcpSocket`` port of a liveness,
  readiness or startup probe is a port of that container (Kubernetes resolves
  it there only). Numeric probe ports are not checked: sidecars serve them.
- ``duplicate-container-port``: one ``containerPort``/``protocol`` pair
  (protocol TCP by default) declared twice among the containers that run
  together: the regular containers and the sidecars (init containers with
  ``restartPolicy: Always``). Plain init containers run one at a time before
  them and may reuse a port.
- ``node-port-reused``: one ``nodePort`` used by two Services of the group,
  whatever the protocols, or twice with one protocol by one Service; the
  second apply fails. One Service serving one nodePort over TCP and UDP is
  legal and not reported. A Service two overlays render with the same
  identity is one object (``unique-names``).
- ``ingress-backend``: a ``networking.k8s.io`` Ingress backend names a Service
  of the group in the Ingress's namespace, and one of its ports by number or
  name. A Service listed in ``overlays_external_services``, or named after a
  custom resource of the namespace (its operator makes it), may be missing.
- ``empty-ingress-rule``: an Ingress rule with no ``http.paths`` (a
  strategic-merge patch that replaced ``spec.rules`` and kept only the host)
  routes nothing, unless the Ingress has a ``defaultBackend`` for such hosts.

Findings about a Service land on the Service's overlay, even when the pods it
selects belong to another overlay (``isolation`` reports that part).

Malformed manifests (``ports: 8080``, a port name that is a map) are read as
declaring nothing there: the schema check reports them, this one never fails
on them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.fields import as_dict, dicts, port_name, port_number, protocol, shown
from ..core.findings import Finding, finding
from ..core.options import Setting
from ..core.paths import OutsideRepository, display_path, inside
from ..core.resources import Container, Overlay, PodTemplate, Resource
from ..core.selectors import EQUALS, Selector, service_selector
from ..parse.kustomization import KustomizationError, load_kustomization
from .base import CheckOptions, Rule, declare
from .podindex import Pod, PodIndex
from .services import ServiceIndex, has_port, namespace_phrase, service_named, service_ports

CHECK_ID = "ports"
TARGET_PORT_NAME = "target-port-name"
TARGET_PORT_NUMBER = "target-port-number"
SELECTS_NOTHING = "selects-nothing"
PROBE_PORT = "probe-port"
DUPLICATE_CONTAINER_PORT = "duplicate-container-port"
NODE_PORT_REUSED = "node-port-reused"
INGRESS_BACKEND = "ingress-backend"
EMPTY_INGRESS_RULE = "empty-ingress-rule"
INJECTED_SELECTOR = "injected-selector"

CHECK = declare(
    __name__,
    CHECK_ID,
    "group",
    summary="Services, probes and Ingresses point at ports that exist",
    catches=(
        "target ports, probe ports, node ports and Ingress backends pointing at nothing, "
        "Ingress rules with no paths; Services selecting no pods (pods a StatefulSet, "
        "DeploymentConfig or an operator's custom resource makes count), or an operator's "
        "pods through selector keys Kustomize added (commonLabels)"
    ),
    options=(
        Setting(
            "external_services",
            ("--overlays-external-services",),
            "overlays_external_services",
            "list",
            (),
            "Services installed outside the repository that Ingresses, routes, monitors and "
            "DNS names may point at: namespace/name globs, e.g. istio-system/istio-ingressgateway",
            "PATTERNS",
        ),
    ),
    rules=(
        Rule(
            TARGET_PORT_NAME,
            hint=(
                "declare the named port in every workload the Service selects (a patch adding "
                "`ports: [{name: <port>, containerPort: <n>}]`), or narrow the selector"
            ),
            doc=(
                "a Service's named `targetPort` is not a named port of every pod template it "
                "selects (a canary without the port breaks part of the traffic), or is one of "
                "another protocol (a UDP Service port naming a TCP container port: endpoints "
                "match name and protocol). Regular containers and sidecars (init containers "
                "with `restartPolicy: Always`) count. A declared name close to the one written "
                "is suggested (`htp`: did you mean http?)."
            ),
        ),
        Rule(
            TARGET_PORT_NUMBER,
            hint=(
                "set targetPort to a declared containerPort (better: its name), or declare the port"
            ),
            doc=(
                "a numeric `targetPort` (or `port` when `targetPort` is omitted) is not a "
                "`containerPort` of a selected pod. Judged only when the pod's regular "
                "containers declare ports; a port declared by any of its containers or "
                "sidecars satisfies it. A pod whose app declares no port is not judged, even "
                "when a sidecar declares its own (a cloud-sql-proxy's metrics port)."
            ),
        ),
        Rule(
            SELECTS_NOTHING,
            hint=(
                "make the Service selector match a workload's pod template labels (check "
                "`labels:` with includeSelectors in the kustomization), or remove the Service"
            ),
            doc=(
                "a Service with a selector that matches no pod template of its group in its "
                "namespace (a typo, a label the workload lost); Services without a selector "
                "(own Endpoints, ExternalName) are fine, and so are pods a controller or an "
                "operator makes (see below)"
            ),
        ),
        Rule(
            INJECTED_SELECTOR,
            hint=(
                "keep such labels out of selectors: `labels: [{pairs: {...}}]` (includeSelectors "
                "is false by default) instead of commonLabels, or build the Service in a "
                "kustomization without them; Kustomize writes commonLabels into every selector, "
                "but an operator labels the pods it makes itself"
            ),
            doc=(
                "a Service in front of pods an operator makes for a custom resource (see below: "
                "`app.kubernetes.io/name: cache` beside a RedisFailover `cache`) whose selector "
                "Kustomize extended: the overlay's `commonLabels`, or a `labels:` entry with "
                "`includeSelectors: true`, wrote `env: prod` into the selector as into every "
                "other. The operator never puts that label on the pods it makes, so the Service "
                "selects nothing, and no render holds those pods to show it. Kustomize's "
                "transformer annotations name the kustomizations whose labels reached the "
                "Service; the keys judged are their `commonLabels` and `includeSelectors` "
                "labels, with the value written there."
            ),
        ),
        Rule(
            PROBE_PORT,
            hint=(
                "name a port the container declares in the probe, or add that port to the container"
            ),
            doc=(
                "a named `httpGet`/`tcpSocket` port of a liveness, readiness or startup probe "
                "is not declared by that container; numeric probe ports are not checked "
                "(sidecars serve them); a close declared name is suggested"
            ),
        ),
        Rule(
            DUPLICATE_CONTAINER_PORT,
            hint="give each container of the pod its own containerPort (patch the copied sidecar)",
            doc=(
                "the same `containerPort`/protocol (default TCP) declared twice among the "
                "containers that run together in one pod (regular containers and sidecars)"
            ),
        ),
        Rule(
            NODE_PORT_REUSED,
            hint=(
                "give each Service its own nodePort in its overlay's patch, or leave nodePort "
                "out and let Kubernetes allocate one"
            ),
            doc=(
                "the same `nodePort` used by two Services of the group, whatever their "
                "protocols (one finding per Service entry, naming each other Service once with "
                "its entries: `Service/scan/scan-dns (spec.ports[1], spec.ports[2]) of overlay "
                "scan`), or twice with one protocol in one Service. One Service serving one "
                "nodePort over TCP and UDP is legal and not reported."
            ),
        ),
        Rule(
            INGRESS_BACKEND,
            hint=(
                "point the backend at a Service of the same overlay by its base name "
                "(Kustomize adds namePrefix to both) and at one of that Service's port numbers "
                "or names; list a Service installed elsewhere in overlays_external_services"
            ),
            doc=(
                "a `networking.k8s.io` Ingress backend (`spec.defaultBackend`, "
                "`rules[].http.paths[].backend.service`) names no Service of the group in its "
                "namespace, or a port the Service does not expose. A Service installed outside "
                "the repository is listed in `overlays_external_services` (see below)."
            ),
        ),
        Rule(
            EMPTY_INGRESS_RULE,
            hint=(
                "give the rule its http.paths again: a strategic-merge patch replaces the "
                "whole spec.rules list, so repeat each rule's paths in the patch (or use a "
                "JSON patch on /spec/rules/0/host)"
            ),
            doc=(
                "an Ingress rule with no `http.paths` (a strategic-merge patch that replaced "
                "`spec.rules` to change the host and kept only `- host: ...`): it routes "
                "nothing. Not reported when the Ingress has a `spec.defaultBackend`, where a "
                "host-only rule sends that host to the default backend."
            ),
        ),
    ),
)
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
#: Probe handlers whose port may be a name (``grpc.port`` is a number only).
NAMED_PROBE_HANDLERS = ("httpGet", "tcpSocket")


def _name(container: Container) -> str:
    name = container.raw.get("name")
    if isinstance(name, str) and name:
        return name
    return f"{container.field}[{container.index}]"


def serving_containers(template: PodTemplate) -> list[Container]:
    """The containers that run side by side: regular ones and sidecar init containers."""
    return [
        c
        for c in template.containers
        if c.field == "containers"
        or (c.field == "initContainers" and c.raw.get("restartPolicy") == "Always")
    ]


def _port_label(port: Mapping[str, Any], numbers: bool) -> str:
    name, number = shown(port.get("name")), shown(port.get("containerPort"))
    if numbers:
        return f"{number} ({name})" if port.get("name") else number
    return name if port.get("name") else number


def _describe(containers: Sequence[Container], numbers: bool) -> str:
    """Say which ports the containers declare: ``container api (ports: http, metrics)``."""
    if not containers:
        return "(no containers)"
    parts = []
    for container in containers:
        labels = [_port_label(p, numbers) for p in container.ports]
        parts.append(
            f"{_name(container)} ({'ports: ' + ', '.join(labels) if labels else 'no ports'})"
        )
    word = "container" if len(parts) == 1 else "containers"
    return f"{word} {', '.join(parts)}"


class _Context:
    """What every overlay's run shares: the pod index and the Services of the group."""

    def __init__(self, overlays: Sequence[Overlay], options: CheckOptions) -> None:
        self.index = PodIndex(overlays)
        self.services = ServiceIndex(overlays, options.external_services, options.presumed)


@dataclass(frozen=True)
class _Target:
    """One Service port's target, and where it is written."""

    port: dict[str, Any]
    path: str

    @property
    def omitted(self) -> bool:
        return "targetPort" not in self.port

    @property
    def value(self) -> Any:
        return self.port.get("port") if self.omitted else self.port.get("targetPort")


def did_you_mean(name: str, declared: Iterable[Any]) -> str:
    """`` (did you mean http?)`` when a declared port name is close to ``name``, else ``""``."""
    names = sorted({n for n in declared if isinstance(n, str) and n and n != name})
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _named_target(target: _Target, name: str, pod: Pod, where: str) -> tuple[str, str] | None:
    """(found, expected) when no serving container of ``pod`` declares the named port."""
    containers = serving_containers(pod.template)
    # Endpoints resolve a named targetPort by name and protocol.
    wanted = protocol(target.port)
    named = [p for c in containers for p in c.ports if p.get("name") == name]
    if any(protocol(p) == wanted for p in named):
        return None
    if named:
        have = "/".join(sorted({protocol(p) for p in named}))
        return (
            f"{name} is a {have} port of {pod.ref}{where}, but this Service port is {wanted}",
            f"a {wanted} container port named {name}",
        )
    guess = did_you_mean(name, (p.get("name") for c in containers for p in c.ports))
    return (
        f"{name} is not a named port of {pod.ref} {_describe(containers, False)}{where}",
        f"a container port named {name}{guess}",
    )


def _numbered_target(target: _Target, number: int, pod: Pod, where: str) -> tuple[str, str] | None:
    """(found, expected) when ``pod`` declares its ports and not this one."""
    containers = serving_containers(pod.template)
    # Undeclared ports still route: only an app that declares its ports is
    # judged, and a sidecar's own ports (proxy metrics) say nothing of the app's.
    if not any(c.field == "containers" and c.ports for c in containers):
        return None
    if any(port_number(p.get("containerPort")) == number for c in containers for p in c.ports):
        return None
    shown = f"port {number} (targetPort omitted)" if target.omitted else str(number)
    return (
        f"{shown} is not a container port of {pod.ref} {_describe(containers, True)}{where}",
        f"containerPort {number} declared, or a targetPort naming a declared port",
    )


def _target_ports(
    overlay: Overlay, service: Resource, pods: Sequence[Pod], ports: list[dict[str, Any]]
) -> Iterator[Finding]:
    for i, port in enumerate(ports):
        target = _Target(port, f"spec.ports[{i}].targetPort")
        name, number = port_name(target.value), port_number(target.value)
        rule = TARGET_PORT_NAME if name is not None else TARGET_PORT_NUMBER
        for pod in pods:
            others = [pod.overlay.name] if pod.overlay.name != overlay.name else []
            where = f", in overlay {pod.overlay.name}" if others else ""
            if name is not None:
                problem = _named_target(target, name, pod, where)
            elif number is not None:
                problem = _numbered_target(target, number, pod, where)
            else:
                problem = None
            if problem is not None:
                found, expected = problem
                yield finding(
                    overlay, service, CHECK_ID, rule, target.path, found, expected, others
                )


def _services(overlay: Overlay, context: _Context) -> Iterator[Finding]:
    for service in overlay.services:
        selector = service_selector(service.spec)
        if selector is None:
            continue
        pods = context.index.selected(service.namespace, selector)
        if not pods:
            # Pods an operator makes for a custom resource of the namespace
            # (a Prometheus `k8s` behind `prometheus: k8s`) are in no render.
            owner = context.services.operated.pods_owner(service.namespace, selector)
            if owner is not None:
                yield from _injected_selector(overlay, service, selector, owner)
                continue
            # Pods of an Application not rendered here, or of a unit that failed to render.
            if context.services.presumes(service.namespace) is not None:
                continue
            where = namespace_phrase(service.namespace)
            yield finding(
                overlay,
                service,
                CHECK_ID,
                SELECTS_NOTHING,
                "spec.selector",
                f"{selector} matches no pod template of group {overlay.group} in {where}",
                f"a workload in {where} whose pod template carries {selector}",
            )
            continue
        yield from _target_ports(overlay, service, pods, dicts(service.spec.get("ports")))


def _injected_keys(overlay: Overlay, resource: Resource) -> dict[str, tuple[str, str]]:
    """The selector labels Kustomize added to ``resource``: key -> (value, where from),
    read from the kustomizations its transformer annotations say labelled it."""
    root = overlay.root if overlay.root is not None else Path.cwd()
    injected: dict[str, tuple[str, str]] = {}
    for named in resource.labelled_in:
        try:
            kfile = inside(Path(named), root)  # never a file out of the repository
            data = load_kustomization(kfile)
        except (OutsideRepository, KustomizationError):
            continue
        shown = display_path(named, root)
        for key, value in as_dict(data.get("commonLabels")).items():
            injected[str(key)] = (str(value), f"commonLabels of {shown}")
        for entry in dicts(data.get("labels")):
            if entry.get("includeSelectors") is True:
                for key, value in as_dict(entry.get("pairs")).items():
                    injected[str(key)] = (str(value), f"labels with includeSelectors of {shown}")
    return injected


def _injected_selector(
    overlay: Overlay, service: Resource, selector: Selector, owner: Resource
) -> Iterator[Finding]:
    """Report the selector keys Kustomize added in front of an operator's pods."""
    injected = _injected_keys(overlay, service) if service.labelled_in else {}
    keys = sorted(
        r.key
        for r in selector.requirements
        if r.operator == EQUALS and r.key in injected and r.values == (injected[r.key][0],)
    )
    if not keys:
        return
    pairs = ", ".join(f"{key}={injected[key][0]}" for key in keys)
    where = "; ".join(sorted({injected[key][1] for key in keys}))
    yield finding(
        overlay,
        service,
        CHECK_ID,
        INJECTED_SELECTOR,
        "spec.selector",
        f"{pairs} added by Kustomize ({where}); the pods the operator of {owner.ref} makes "
        "never carry them, so the Service selects no pod",
        f"a selector of the labels the operator gives its pods, without {', '.join(keys)}",
    )


def _probes(overlay: Overlay) -> Iterator[Finding]:
    for container in overlay.containers:
        names = {port_name(p.get("name")) for p in container.ports}
        for probe in PROBES:
            for handler in NAMED_PROBE_HANDLERS:
                action = as_dict(as_dict(container.raw.get(probe)).get(handler))
                name = port_name(action.get("port"))
                if name is None or name in names:
                    continue
                yield finding(
                    overlay,
                    container.resource,
                    CHECK_ID,
                    PROBE_PORT,
                    f"{container.path}.{probe}.{handler}.port",
                    f"{name} is not a named port of {_describe([container], False)}",
                    f"a port named {name} declared by container {_name(container)}"
                    + did_you_mean(name, names),
                )


def _duplicates(overlay: Overlay) -> Iterator[Finding]:
    for template in overlay.pod_templates:
        seen: dict[tuple[int, str], tuple[Container, int]] = {}
        for container in serving_containers(template):
            for j, port in enumerate(container.ports):
                number = port_number(port.get("containerPort"))
                if number is None:
                    continue
                key = (number, protocol(port))
                if key not in seen:
                    seen[key] = (container, j)
                    continue
                first, k = seen[key]
                owner = "this container" if first is container else f"container {_name(first)}"
                yield finding(
                    overlay,
                    template.resource,
                    CHECK_ID,
                    DUPLICATE_CONTAINER_PORT,
                    f"{container.path}.ports[{j}].containerPort",
                    f"{number}/{key[1]} is already declared by {owner} ({first.path}.ports[{k}])",
                    "each containerPort/protocol declared once per pod",
                )


@dataclass(frozen=True)
class _NodePortUse:
    overlay: Overlay
    service: Resource
    index: int
    protocol: str


def _clashes(use: _NodePortUse, other: _NodePortUse) -> bool:
    if other is use:
        return False
    if other.service is use.service:
        # One Service may serve one nodePort over TCP and UDP, not twice over one.
        return other.protocol == use.protocol
    # The same identity rendered by two overlays is one object: unique-names says so.
    return other.service.key != use.service.key


def _name_uses(use: _NodePortUse, clashing: Sequence[_NodePortUse]) -> list[str]:
    """Name each other Service once, with the ``spec.ports`` entries using the nodePort."""
    indexes: dict[int, list[_NodePortUse]] = {}
    for other in clashing:
        indexes.setdefault(id(other.service), []).append(other)
    named: list[str] = []
    for same in indexes.values():
        first = same[0]
        where = ", ".join(f"spec.ports[{o.index}]" for o in same)
        if first.service is use.service:
            named.append(f"{where} of this Service")
        elif first.overlay.name == use.overlay.name:
            named.append(f"{first.service.ref} ({where})")
        else:
            named.append(f"{first.service.ref} ({where}) of overlay {first.overlay.name}")
    return named


def _node_ports(overlays: Sequence[Overlay]) -> Iterator[Finding]:
    uses: dict[int, list[_NodePortUse]] = {}
    for overlay in overlays:
        for service in overlay.services:
            for i, port in enumerate(dicts(service.spec.get("ports"))):
                number = port_number(port.get("nodePort"))
                if number is not None:
                    use = _NodePortUse(overlay, service, i, protocol(port))
                    uses.setdefault(number, []).append(use)
    for number, group in uses.items():
        if len(group) < 2:
            continue
        for use in group:
            clashing = [o for o in group if _clashes(use, o)]
            if not clashing:
                continue
            named = _name_uses(use, clashing)
            yield finding(
                use.overlay,
                use.service,
                CHECK_ID,
                NODE_PORT_REUSED,
                f"spec.ports[{use.index}].nodePort",
                f"{number} is also used by {', '.join(named)}",
                "a nodePort no other Service of the group uses (or none: Kubernetes picks one)",
                [o.overlay.name for o in clashing if o.overlay.name != use.overlay.name],
            )


def _backends(ingress: Resource) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (field path, service backend) of an Ingress: the default one, then each path's."""
    spec = ingress.spec
    default = as_dict(as_dict(spec.get("defaultBackend")).get("service"))
    if default:
        yield "spec.defaultBackend.service", default
    for i, rule in enumerate(dicts(spec.get("rules"))):
        for j, entry in enumerate(dicts(as_dict(rule.get("http")).get("paths"))):
            service = as_dict(as_dict(entry.get("backend")).get("service"))
            if service:
                yield f"spec.rules[{i}].http.paths[{j}].backend.service", service


def _backend_port(backend: Mapping[str, Any], service: Resource) -> tuple[str, str] | None:
    """Return (field, value) of a backend port the Service lacks, or None when it has it."""
    port = as_dict(backend.get("port"))
    number, name = port_number(port.get("number")), port_name(port.get("name"))
    if number is not None:
        return None if has_port(service, number=number) else ("number", str(number))
    if name is not None:
        return None if has_port(service, name=name) else ("name", name)
    return "", ""


def _ingresses(overlay: Overlay, context: _Context) -> Iterator[Finding]:
    ingresses = [
        r for r in overlay.resources if r.kind == "Ingress" and r.group == "networking.k8s.io"
    ]
    for ingress in ingresses:
        for path, backend in _backends(ingress):
            raw_name = backend.get("name")
            name = raw_name if isinstance(raw_name, str) else ""
            # Prefer the overlay's own Service when several overlays render one.
            found = context.services.find(ingress.namespace, name, overlay)
            if found is None:
                if name and context.services.accounted_for(ingress.namespace, name):
                    continue
                problem, expected = context.services.missing(
                    ingress.namespace, shown(raw_name) if raw_name else "(no name)"
                )
                yield finding(
                    overlay, ingress, CHECK_ID, INGRESS_BACKEND, f"{path}.name", problem, expected
                )
                continue
            owner, service = found
            missing = _backend_port(backend, service)
            if missing is None:
                continue
            field, value = missing
            target, others = service_named(overlay, owner, service)
            yield finding(
                overlay,
                ingress,
                CHECK_ID,
                INGRESS_BACKEND,
                f"{path}.port.{field}" if field else f"{path}.port",
                f"{value} is not a port of {target} (ports: {service_ports(service)})"
                if field
                else f"no port number or name for {target}",
                "one of the Service's port numbers or names",
                others,
            )


def _empty_rules(overlay: Overlay) -> Iterator[Finding]:
    for ingress in overlay.resources:
        if ingress.kind != "Ingress" or ingress.group != "networking.k8s.io":
            continue
        # A host-only rule sends that host to the default backend: fine when there is one.
        if as_dict(ingress.spec.get("defaultBackend")):
            continue
        for i, rule in enumerate(dicts(ingress.spec.get("rules"))):
            if dicts(as_dict(rule.get("http")).get("paths")):
                continue
            host = rule.get("host")
            which = f"host {shown(host)}" if host else "no host"
            yield finding(
                overlay,
                ingress,
                CHECK_ID,
                EMPTY_INGRESS_RULE,
                f"spec.rules[{i}].http.paths",
                f"the rule for {which} has no paths, so it routes nothing",
                "http.paths with at least one path and backend (or a spec.defaultBackend)",
            )


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Find Service, probe, container, nodePort and Ingress ports that point nowhere."""
    context = _Context(overlays, options)
    found: set[Finding] = set()
    for overlay in overlays:
        found.update(_services(overlay, context))
        found.update(_probes(overlay))
        found.update(_duplicates(overlay))
        found.update(_ingresses(overlay, context))
        found.update(_empty_rules(overlay))
    found.update(_node_ports(overlays))
    return sorted(found)
