"""An index of the pod templates of a group, so selectors find their pods in linear time.

Comparing every selector with every pod template of a group is quadratic:
2,000 overlays make four million comparisons. The index files each template
under its namespace and under every ``(namespace, key, value)`` label pair; a
selector then only verifies the smallest candidate list its requirements
allow (usually the one pod template carrying its most specific label).

Labels a controller adds at runtime (``statefulset.kubernetes.io/pod-name``,
``pod-template-hash``...) are in no template: a selector naming them matches
the workloads whose controller adds them (see :mod:`.controllers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.resources import Overlay, PodTemplate
from ..core.selectors import EQUALS, Selector
from .controllers import RUNTIME_LABELS, has_runtime_label, matches_at_runtime


@dataclass(frozen=True, eq=False)
class Pod:
    """A pod template with the overlay rendering it and its labels, read once."""

    overlay: Overlay
    template: PodTemplate
    labels: dict[str, str]

    @property
    def namespace(self) -> str | None:
        return self.template.resource.namespace

    @property
    def ref(self) -> str:
        return self.template.resource.ref

    @property
    def kind(self) -> str:
        return self.template.resource.kind

    @property
    def labels_path(self) -> str:
        """Where the template keeps its labels, e.g. ``spec.template.metadata.labels``."""
        path = self.template.path
        return f"{path}.metadata.labels" if path else "metadata.labels"


class PodIndex:
    """The pod templates of some overlays, by namespace, label key and label pair."""

    def __init__(self, overlays: Iterable[Overlay]) -> None:
        self.pods: list[Pod] = []
        self._by_namespace: dict[str | None, list[Pod]] = {}
        self._by_key: dict[tuple[str | None, str], list[Pod]] = {}
        self._by_pair: dict[tuple[str | None, str, str], list[Pod]] = {}
        for overlay in overlays:
            for template in overlay.pod_templates:
                pod = Pod(overlay, template, template.labels)
                self.pods.append(pod)
                namespace = pod.namespace
                self._by_namespace.setdefault(namespace, []).append(pod)
                for key, value in pod.labels.items():
                    self._by_key.setdefault((namespace, key), []).append(pod)
                    self._by_pair.setdefault((namespace, key, value), []).append(pod)

    def _candidates(self, namespace: str | None, selector: Selector) -> Sequence[Pod]:
        """The smallest list of pods that holds every pod the selector can match."""
        best: Sequence[Pod] = self._by_namespace.get(namespace, [])
        for requirement in selector.requirements:
            if requirement.key in RUNTIME_LABELS:
                continue  # in no template: its controller adds it
            if requirement.operator in (EQUALS, "In"):
                if len(requirement.values) == 1:
                    found: Sequence[Pod] = self._by_pair.get(
                        (namespace, requirement.key, requirement.values[0]), []
                    )
                else:
                    found = [
                        p
                        for p in self._by_key.get((namespace, requirement.key), [])
                        if p.labels[requirement.key] in requirement.values
                    ]
            elif requirement.operator == "Exists":
                found = self._by_key.get((namespace, requirement.key), [])
            else:
                continue
            if len(found) < len(best):
                best = found
            if not best:
                break
        return best

    def selected(self, namespace: str | None, selector: Selector) -> list[Pod]:
        """Return the pods in ``namespace`` the selector matches, in overlay order."""
        candidates = self._candidates(namespace, selector)
        if has_runtime_label(selector):
            return [
                p for p in candidates if matches_at_runtime(selector, p.labels, p.template.resource)
            ]
        return [p for p in candidates if selector.matches(p.labels)]
