"""The resource model: rendered manifests as typed, read-only Python values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from .fields import as_dict, dicts, str_dict
from .provenance import Patch, Provenance, field_path, setting_patch

if TYPE_CHECKING:
    from .deployables import Deployable

#: Kinds whose pod template the checks inspect, with where the template lives.
POD_TEMPLATE_PATHS: Mapping[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}
#: Custom workloads with a pod template, by (API group, kind): an Argo Rollout
#: replaces a Deployment in many Argo CD repositories; OpenShift's
#: DeploymentConfig predates Deployments there.
CUSTOM_POD_TEMPLATE_PATHS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("argoproj.io", "Rollout"): ("spec", "template"),
    ("apps.openshift.io", "DeploymentConfig"): ("spec", "template"),
}


def template_path(group: str, kind: str) -> tuple[str, ...] | None:
    """Where the pod template of a workload lives; None for other kinds."""
    if (group, kind) in CUSTOM_POD_TEMPLATE_PATHS:
        return CUSTOM_POD_TEMPLATE_PATHS[(group, kind)]
    return POD_TEMPLATE_PATHS.get(kind) if "." not in group else None


CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")
REDACTED = "<redacted>"


#: Annotations that may hold a whole earlier copy of a Secret, values included.
SECRET_COPY_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def redact(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a manifest with Secret ``data``/``stringData`` values hidden,
    including copies of them kept in annotations (last-applied-configuration)."""
    copy = dict(raw)
    if raw.get("kind") == "Secret":
        for key in ("data", "stringData"):
            values = raw.get(key)
            if isinstance(values, Mapping):
                copy[key] = dict.fromkeys(values, REDACTED)
            elif values is not None:
                copy[key] = REDACTED
        metadata = raw.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        if isinstance(annotations, Mapping) and any(
            key in annotations for key in SECRET_COPY_ANNOTATIONS
        ):
            hidden = {
                key: REDACTED if key in SECRET_COPY_ANNOTATIONS else value
                for key, value in annotations.items()
            }
            copy["metadata"] = {**metadata, "annotations": hidden}  # type: ignore[dict-item]
    return copy


def _scalar(value: Any) -> str:
    """A name-like field as text; a map or list where a name belongs (a YAML
    typo the schema check reports) names nothing rather than its Python repr."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


class ResourceKey(NamedTuple):
    """What makes two manifests the same object to the API server."""

    group: str
    kind: str
    namespace: str | None
    name: str


class FoundPatches(Sequence[Patch]):
    """Patches found when first asked for: only a finding about a field a patch may
    have set needs them, and finding them reads the kustomizations and patch files
    of every resource (a group check reads 1,000 renders again after one edit)."""

    __slots__ = ("_find", "_found")

    def __init__(self, find: Callable[[], tuple[Patch, ...]]) -> None:
        self._find: Callable[[], tuple[Patch, ...]] | None = find
        self._found: tuple[Patch, ...] = ()

    def _patches(self) -> tuple[Patch, ...]:
        find = self._find
        if find is not None:  # found twice by two threads at worst: the same patches
            self._found = find()
            self._find = None
        return self._found

    def __len__(self) -> int:
        return len(self._patches())

    @overload
    def __getitem__(self, index: int) -> Patch: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Patch]: ...
    def __getitem__(self, index: int | slice) -> Patch | Sequence[Patch]:
        return self._patches()[index]

    def __iter__(self) -> Iterator[Patch]:
        return iter(self._patches())

    def __reversed__(self) -> Iterator[Patch]:
        return reversed(self._patches())

    def __repr__(self) -> str:
        return repr(self._patches())


@dataclass(frozen=True, eq=False)
class Resource:
    """One rendered Kubernetes manifest.

    ``source`` is the file it came from (``k8s/base/service.yaml``), when
    Kustomize could tell; ``raw`` is the manifest as rendered; ``source_of``
    names the patch that set a field, when one did.
    """

    raw: dict[str, Any]
    source: str | None = None
    #: The patches that plausibly touched it (see :mod:`.patches`), so findings
    #: about a field a patch set can name the patch file.
    patches: Sequence[Patch] = field(default=(), repr=False)
    #: The kustomization files (absolute paths) whose patch transformers ran while it
    #: was among their resources, as Kustomize's transformer annotations say.
    patched_in: tuple[str, ...] = field(default=(), repr=False)
    #: The kustomization files (absolute paths) whose labels (``commonLabels:``,
    #: ``labels:``) Kustomize added to it, as its transformer annotations say.
    labelled_in: tuple[str, ...] = field(default=(), repr=False)

    @property
    def kind(self) -> str:
        return str(self.raw.get("kind") or "")

    @property
    def api_version(self) -> str:
        return str(self.raw.get("apiVersion") or "")

    @property
    def group(self) -> str:
        """The API group: ``apps`` for ``apps/v1``, ``""`` for the core ``v1``."""
        group, _, _ = self.api_version.rpartition("/")
        return group

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def metadata(self) -> dict[str, Any]:
        return as_dict(self.raw.get("metadata"))

    @property
    def name(self) -> str:
        return _scalar(self.metadata.get("name"))

    @property
    def namespace(self) -> str | None:
        return _scalar(self.metadata.get("namespace")) or None

    @property
    def labels(self) -> dict[str, str]:
        return str_dict(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return str_dict(self.metadata.get("annotations"))

    @property
    def spec(self) -> dict[str, Any]:
        return as_dict(self.raw.get("spec"))

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    @property
    def ref(self) -> str:
        """``Kind/namespace/name``, or ``Kind/name`` when it has no namespace."""
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    def source_of(self, path: str) -> Provenance | None:
        """Where the field ``path`` comes from: ``source``, and the patch that set it last
        (shown as ``prod/patch.yaml, patching base/ingress.yaml``) if one did."""
        if not self.patches or not path:
            return Provenance.of(self.source)
        return Provenance.of(self.source, setting_patch(self.patches, *field_path(path, self.raw)))

    @cached_property
    def pod_template(self) -> PodTemplate | None:
        """The pod template of a workload (the Pod itself for a Pod), else None."""
        path = template_path(self.group, self.kind)
        if path is None:
            return None
        node: Any = self.raw
        for step in path:
            node = as_dict(node).get(step)
        template = as_dict(node)
        return PodTemplate(self, ".".join(path), template)

    def __repr__(self) -> str:
        source = f", source={self.source!r}" if self.source else ""
        return f"Resource({self.ref!r}{source}, raw={redact(self.raw)!r})"


@dataclass(frozen=True, eq=False)
class PodTemplate:
    """The pod template of a workload, with the field path it lives at."""

    resource: Resource
    path: str
    raw: dict[str, Any]

    @property
    def labels(self) -> dict[str, str]:
        return str_dict(as_dict(self.raw.get("metadata")).get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return str_dict(as_dict(self.raw.get("metadata")).get("annotations"))

    @property
    def spec(self) -> dict[str, Any]:
        return as_dict(self.raw.get("spec"))

    @property
    def spec_path(self) -> str:
        return f"{self.path}.spec" if self.path else "spec"

    @cached_property
    def containers(self) -> tuple[Container, ...]:
        """Every container of the pod: init, regular and ephemeral."""
        found: list[Container] = []
        for kind in CONTAINER_FIELDS:
            entries = self.spec.get(kind)
            if isinstance(entries, list):
                found.extend(
                    Container(self, kind, index, entry)
                    for index, entry in enumerate(entries)
                    if isinstance(entry, dict)
                )
        return tuple(found)

    def __repr__(self) -> str:
        return f"PodTemplate({self.resource.ref!r}, path={self.path!r})"


@dataclass(frozen=True, eq=False)
class Container:
    """One container of a pod template; ``field`` is ``containers``, ``initContainers``..."""

    template: PodTemplate
    field: str
    index: int
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return _scalar(self.raw.get("name"))

    @property
    def image(self) -> str:
        return _scalar(self.raw.get("image"))

    @property
    def ports(self) -> list[dict[str, Any]]:
        """The declared ports; a malformed ``ports:`` (not a list) declares none
        (the schema check reports it)."""
        return dicts(self.raw.get("ports"))

    @property
    def resource(self) -> Resource:
        return self.template.resource

    @property
    def path(self) -> str:
        return f"{self.template.spec_path}.{self.field}[{self.index}]"

    def __repr__(self) -> str:
        return f"Container({self.resource.ref!r}, {self.name!r}, image={self.image!r})"


@dataclass(frozen=True, eq=False)
class Overlay:
    """One rendered overlay: where it lives and the resources it produces."""

    name: str
    group: str
    path: Path
    kustomization: Path
    resources: tuple[Resource, ...] = field(default=())
    #: The directory paths are shown relative to (the pytest rootdir; None: the
    #: current directory).
    root: Path | None = field(default=None, repr=False)
    #: What was discovered and rendered (an Argo CD Application's facts included).
    deployable: Deployable | None = field(default=None, repr=False)

    def find(
        self,
        kind: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
    ) -> list[Resource]:
        """Return the resources matching every criterion given."""
        return [
            r
            for r in self.resources
            if (kind is None or r.kind == kind)
            and (name is None or r.name == name)
            and (namespace is None or r.namespace == namespace)
        ]

    def get(self, kind: str, name: str, namespace: str | None = None) -> Resource:
        """Return the one resource of ``kind`` named ``name``; KeyError names what exists."""
        matches = self.find(kind, name, namespace)
        if len(matches) == 1:
            return matches[0]
        where = f" in namespace {namespace}" if namespace else ""
        if not matches:
            have = sorted(r.name for r in self.find(kind)) or ["none"]
            raise KeyError(
                f"{self.name}: no {kind} named {name!r}{where}; "
                f"{kind} names rendered: {', '.join(have)}"
            )
        raise KeyError(
            f"{self.name}: {len(matches)} {kind} named {name!r}{where}: "
            f"{', '.join(r.ref for r in matches)}; pass namespace="
        )

    def by_kind(self, kind: str) -> list[Resource]:
        return self.find(kind=kind)

    def in_namespace(self, namespace: str) -> list[Resource]:
        return self.find(namespace=namespace)

    @cached_property
    def workloads(self) -> tuple[Resource, ...]:
        """Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods, Argo
        Rollouts and OpenShift DeploymentConfigs."""
        return tuple(r for r in self.resources if template_path(r.group, r.kind) is not None)

    @cached_property
    def pod_templates(self) -> tuple[PodTemplate, ...]:
        return tuple(t for r in self.workloads if (t := r.pod_template) is not None)

    @cached_property
    def containers(self) -> tuple[Container, ...]:
        """Every container of every pod template, init and ephemeral ones included."""
        return tuple(c for t in self.pod_templates for c in t.containers)

    @cached_property
    def services(self) -> tuple[Resource, ...]:
        return tuple(self.find(kind="Service"))

    @cached_property
    def images(self) -> tuple[str, ...]:
        """The distinct container images, sorted."""
        return tuple(sorted({c.image for c in self.containers if c.image}))

    @cached_property
    def namespaces(self) -> tuple[str, ...]:
        """The distinct namespaces the resources are rendered into, sorted."""
        return tuple(sorted({r.namespace for r in self.resources if r.namespace}))

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def __repr__(self) -> str:
        return f"Overlay({self.group}:{self.name}, {len(self.resources)} resources)"


class OverlayNotRendered(LookupError):
    """The overlay asked for did not render; the message is its render failure."""

    def __str__(self) -> str:
        return str(self.args[0])


class Overlays(Sequence[Overlay]):
    """Every rendered overlay of the session, in discovery order, with group look-ups.

    An overlay that failed to render is left out (its own items fail with the
    render message); asking for it by name raises OverlayNotRendered.
    """

    def __init__(
        self, overlays: Iterable[Overlay], failures: Mapping[str, str] | None = None
    ) -> None:
        self._overlays = tuple(overlays)
        #: Render failures by overlay name: the overlays left out of this sequence.
        self.failures = dict(failures or {})

    @property
    def groups(self) -> dict[str, dict[str, Overlay]]:
        """``{group: {overlay name: overlay}}``."""
        result: dict[str, dict[str, Overlay]] = {}
        for overlay in self._overlays:
            result.setdefault(overlay.group, {})[overlay.name] = overlay
        return result

    def group(self, name: str) -> list[Overlay]:
        """Return the overlays of one group (one ``--overlays`` value)."""
        if name not in self.groups:
            raise KeyError(f"no group {name!r}; groups: {', '.join(self.groups) or 'none'}")
        return list(self.groups[name].values())

    def named(self, name: str, group: str | None = None) -> Overlay:
        """Return the overlay called ``name`` (within ``group`` when names repeat)."""
        matches = [
            o for o in self._overlays if o.name == name and (group is None or o.group == group)
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches and name in self.failures:
            raise OverlayNotRendered(self.failures[name])
        if not matches and group is not None and group not in self.groups:
            raise KeyError(f"no group {group!r}; groups: {', '.join(self.groups) or 'none'}")
        if not matches and group is not None:
            have = ", ".join(self.groups[group]) or "none"
            raise KeyError(f"no overlay named {name!r} in group {group!r}; overlays: {have}")
        if not matches:
            have = ", ".join(o.name for o in self._overlays) or "none"
            raise KeyError(f"no overlay named {name!r}; overlays: {have}")
        groups = ", ".join(o.group for o in matches)
        raise KeyError(f"overlay {name!r} exists in several groups ({groups}); pass group=")

    @overload
    def __getitem__(self, index: str) -> Overlay: ...
    @overload
    def __getitem__(self, index: int) -> Overlay: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Overlay]: ...
    def __getitem__(self, index: int | slice | str) -> Overlay | Sequence[Overlay]:
        if isinstance(index, str):
            return self.named(index)
        return self._overlays[index]

    def __len__(self) -> int:
        return len(self._overlays)

    def __repr__(self) -> str:
        return f"Overlays({', '.join(o.name for o in self._overlays)})"
