"""Components no gated overlay uses yet: find them, and a consumer to render each through.

A ``kind: Component`` is never built on its own, so one that no gated overlay
enables is never rendered: a malformed one (``patches:`` written as a list of
strings) passes until the day someone enables it. Each such Component under a
group's root is rendered through a consumer the repository implies, in this
order: a kustomization of the tree that already uses it (rendered as it is);
one that uses a sibling Component (the same directory of components), with
this one added; the root kustomization of its tree (the nearest ancestor that
is no Component, up to the group's root), with this one added. Its render
fails only when it fails through every consumer, so a Component that merely
does not combine with one consumer's other Components is not reported. A
Component with no consumer at all is listed in the terminal summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ...core import paths
from ...core.deployables import COMPONENT, Deployable, Group
from ...core.paths import own_repository
from ...parse.kustomization import (
    directories_used_by,
    is_component,
    referenced_directories,
)
from .overlays import kustomization_dirs, outside


def used_directories(overlays: Iterable[Deployable]) -> set[Path]:
    """Every kustomization directory the overlays use, directly or through others
    (what one uses outside its repository is not read: its render fails)."""
    seen: set[Path] = set()
    todo = [(paths.resolved(spec.path), spec.repository) for spec in overlays]
    while todo:
        directory, repository = todo.pop()
        if directory in seen:
            continue
        seen.add(directory)
        if not outside(directory, repository):
            todo.extend((used, repository) for used in directories_used_by(directory))
    return seen


def _root_consumer(component: Path, root: Path, kinds: dict[Path, bool]) -> Path | None:
    """The nearest ancestor of ``component``, up to ``root``, that is no Component."""
    for parent in component.parents:
        if kinds.get(parent) is False:
            return parent
        if parent == root or root not in parent.parents:
            return None
    return None


def _consumers(
    component: Path, root: Path, uses: dict[Path, set[Path]], kinds: dict[Path, bool]
) -> tuple[Path, ...]:
    own = [d for d, targets in uses.items() if component in targets]
    siblings = {c for c, is_comp in kinds.items() if is_comp and c.parent == component.parent}
    siblings.discard(component)
    near = [d for d, targets in uses.items() if targets & siblings and d not in own]
    base = _root_consumer(component, root, kinds)
    chosen = [*own[:1], *near[:1], *([base] if base is not None else [])]
    return tuple(dict.fromkeys(chosen))


def _group_components(
    group: Group, used: set[Path]
) -> tuple[tuple[Deployable, ...], tuple[Path, ...]]:
    found = kustomization_dirs(group.root, group.repository)
    kinds: dict[Path, bool] = {paths.resolved(d): is_component(data) for d, _, data in found}
    uses: dict[Path, set[Path]] = {
        paths.resolved(d): set(referenced_directories(d, data))
        for d, _, data in found
        if not is_component(data)
    }
    root = group.root.resolve()
    specs: list[Deployable] = []
    unexercised: list[Path] = []
    for directory, kfile, data in found:
        resolved = paths.resolved(directory)
        if not is_component(data) or resolved in used:
            continue
        consumers = _consumers(resolved, root, uses, kinds)
        if not consumers:
            unexercised.append(directory)
            continue
        name = directory.relative_to(group.root).as_posix()
        specs.append(
            Deployable(
                name,
                group.name,
                directory,
                kfile,
                kind=COMPONENT,
                consumers=consumers,
                repository=group.repository or own_repository(directory),
            )
        )
    return tuple(specs), tuple(unexercised)


def with_components(groups: Sequence[Group]) -> list[Group]:
    """The groups, each with the Components under its root that no gated overlay uses.

    A Component under two groups' roots belongs to the first.
    """
    used = used_directories(spec for group in groups for spec in group.overlays)
    taken: set[Path] = set()
    result = []
    for group in groups:
        specs, unexercised = _group_components(group, used)
        specs = tuple(s for s in specs if paths.resolved(s.path) not in taken)
        unexercised = tuple(u for u in unexercised if paths.resolved(u) not in taken)
        taken.update(paths.resolved(s.path) for s in specs)
        taken.update(paths.resolved(u) for u in unexercised)
        result.append(replace(group, components=specs, unexercised=unexercised))
    return result


def uses_directly(consumer: Path, component: Path) -> bool:
    """Tell whether ``consumer``'s kustomization lists ``component`` itself."""
    return paths.resolved(component) in directories_used_by(consumer)
