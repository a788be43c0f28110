"""The Services of a group, for the rules that follow a reference to one.

An Ingress backend, a mesh or Gateway API route, a ServiceMonitor or an
in-cluster DNS name points at a Service by namespace and name. A Service the
group does not render may still exist: installed outside the repository (a
Helm chart's ``istio-ingressgateway``, listed in ``overlays_external_services``)
created by an operator for a custom resource of its namespace (an
ApicurioRegistry ``default`` makes ``default-service``), or deployed by
something the gate does not render (an Argo CD Application's Helm chart, an
overlay that failed to render: :mod:`..core.presumed`). Those are not
reported; any other missing Service is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from ..core.fields import dicts, port_name, port_number, shown
from ..core.presumed import Presumed
from ..core.resources import Overlay, Resource
from .controllers import Operated

#: The setting that lists Services installed outside the repository, as messages name it.
EXTERNAL_SETTING = "overlays_external_services"


def external_pattern(namespace: str | None, name: str) -> str:
    """How ``overlays_external_services`` writes a Service: ``namespace/name`` (``*/name``
    for a Service of a package without a namespace)."""
    return f"{namespace or '*'}/{name}"


def is_external(namespace: str | None, name: str, patterns: Iterable[str]) -> bool:
    """Tell whether ``overlays_external_services`` lists the Service (fnmatch globs on
    ``namespace/name``; a Service without a namespace is ``/name``, which ``*/name`` matches)."""
    target = f"{namespace or ''}/{name}"
    return any(fnmatchcase(target, pattern.strip()) for pattern in patterns if pattern.strip())


def service_ports(service: Resource) -> str:
    """A Service's ports as messages show them: ``80 (http), 9090 (metrics)``."""
    labels = []
    for port in dicts(service.spec.get("ports")):
        number = shown(port.get("port"))
        labels.append(f"{number} ({shown(port.get('name'))})" if port.get("name") else number)
    return ", ".join(labels) or "none"


def has_port(service: Resource, number: int | None = None, name: str | None = None) -> bool:
    """Tell whether the Service exposes ``number`` (a ``port``) or ``name``."""
    for port in dicts(service.spec.get("ports")):
        if number is not None and port_number(port.get("port")) == number:
            return True
        if name is not None and port_name(port.get("name")) == name:
            return True
    return False


def service_named(overlay: Overlay, owner: Overlay, service: Resource) -> tuple[str, list[str]]:
    """How a finding of ``overlay`` names a Service that ``owner`` renders (with ``of
    overlay <owner>`` when that is another), and the other overlays the finding involves."""
    if owner.name == overlay.name:
        return service.ref, []
    return f"{service.ref} of overlay {owner.name}", [owner.name]


def namespace_phrase(namespace: str | None) -> str:
    return f"namespace {namespace}" if namespace else "no namespace"


class ServiceIndex:
    """The Services of a group by namespace and name, and what accounts for a missing one."""

    def __init__(
        self,
        overlays: Sequence[Overlay],
        external: Sequence[str] = (),
        presumed: Sequence[Presumed] = (),
    ) -> None:
        self.external = tuple(external)
        self.operated = Operated.of(overlays)
        groups = {overlay.group for overlay in overlays}
        self.presumed = sorted(
            (p for p in presumed if p.group in groups), key=lambda p: (p.namespace or "", p.why)
        )
        self._services: dict[tuple[str | None, str], list[tuple[Overlay, Resource]]] = {}
        self._names: dict[str | None, set[str]] = {}
        for overlay in overlays:
            for service in overlay.services:
                # A name that is no string (a YAML typo) names no Service to point at.
                if not isinstance(service.metadata.get("name"), str):
                    continue
                key = (service.namespace, service.name)
                self._services.setdefault(key, []).append((overlay, service))
                self._names.setdefault(service.namespace, set()).add(service.name)

    @property
    def namespaces(self) -> set[str | None]:
        """The namespaces the group renders Services in."""
        return set(self._names)

    def find(
        self, namespace: str | None, name: str, overlay: Overlay | None = None
    ) -> tuple[Overlay, Resource] | None:
        """The Service ``name`` in ``namespace`` (``overlay``'s own first, when several
        overlays render one), with the overlay rendering it."""
        candidates = self._services.get((namespace, name), [])
        if not candidates:
            return None
        own = [pair for pair in candidates if overlay is not None and pair[0] is overlay]
        return (own or candidates)[0]

    def elsewhere(self, namespace: str | None, name: str) -> list[str | None]:
        """Other namespaces of the group holding a Service ``name`` (a namespace mix-up)."""
        return sorted(
            (ns for ns, names in self._names.items() if ns != namespace and name in names),
            key=lambda ns: ns or "",
        )

    def accounted_for(self, namespace: str | None, name: str) -> bool:
        """Tell whether a Service the group does not render is expected to exist anyway:
        listed as external, named after a custom resource its operator serves, or in a
        namespace something the gate does not render deploys into."""
        if is_external(namespace, name, self.external):
            return True
        if self.operated.service_owner(namespace, name) is not None:
            return True
        return self.presumes(namespace) is not None

    def presumes(self, namespace: str | None) -> Presumed | None:
        """What deploys into ``namespace`` unseen (a not-rendered Application, a failed
        render), making whatever the render lacks there unknown rather than missing."""
        return next((p for p in self.presumed if p.namespace in (None, namespace)), None)

    def listing(self, namespace: str | None, most: int = 5) -> str:
        """Name the Services of a namespace, a few at most: a shared one may hold thousands."""
        names = sorted(self._names.get(namespace, ()))
        if not names:
            return "no Service there"
        more = f" and {len(names) - most} more" if len(names) > most else ""
        return f"Services there: {', '.join(names[:most])}{more}"

    def missing(self, namespace: str | None, name: str) -> tuple[str, str]:
        """(found, expected) for a reference to a Service the group does not render."""
        where = namespace_phrase(namespace)
        others = self.elsewhere(namespace, name)
        also = (
            f"; {name} exists in {', '.join(namespace_phrase(ns) for ns in others)}"
            if others
            else ""
        )
        found = f"no Service {name} in {where} of the group ({self.listing(namespace)}{also})"
        expected = (
            f"a Service of the group in {where}, or {external_pattern(namespace, name)} "
            f"in {EXTERNAL_SETTING} if it is installed outside the repository"
        )
        return found, expected
