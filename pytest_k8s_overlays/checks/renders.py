"""render: the overlay renders (the store reports a failure), and what it renders says
what the gate should skip in words the gate knows.

A suppression annotation naming no check or rule (``pytest-k8s-overlays/skip:
imagez``) suppresses nothing: the findings it meant to skip still fail, and
nothing would say why. It is reported here, on the check every overlay gets
first, once per resource, with the ids it could have meant.

``unused-patch``: a patch entry whose ``target:`` selects none of the resources its
kustomization builds (``name: charater-api``) is applied to nothing, and Kustomize
says nothing. Kustomize's transformer annotations name, on each rendered resource,
the kustomizations whose patch transformers ran while it was among their resources
(not which patch touched it): so a kustomization's targets are judged against
exactly the resources it built. The resources are seen as rendered, so a target
is taken to select one when it could have: the name is matched against any part
of the rendered name (namePrefix and nameSuffix come later), the namespace is not
judged (a later ``namespace:`` changes it), and of a label or annotation selector
only what a later label cannot undo (``app=api``, ``env in (a,b)``, ``team``).
Names are not judged for a kind a JSON patch of the overlay may rename
(``/metadata/name``), and a Component's patches not at all: they apply to what
each consumer builds, and a reusable Component's patch for StatefulSets rightly
selects nothing in an overlay of Deployments.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.deployables import COMPONENT
from ..core.findings import SKIP_ANNOTATION, Finding, finding, skipped_checks
from ..core.paths import OutsideRepository, display_path, inside
from ..core.provenance import PatchTarget
from ..core.resources import Overlay, Resource
from ..core.selectors import EQUALS, parse_selector_text
from ..parse.kustomization import KUSTOMIZATION_FILES
from ..parse.patches import patch_targets, renamed_kinds
from . import RENDER, check_ids, valid_skip_ids
from .base import CheckOptions, Rule, declare

CHECK_ID = RENDER
UNKNOWN_SKIP_ID = "unknown-skip-id"
UNUSED_PATCH = "unused-patch"

CHECK = declare(
    __name__,
    CHECK_ID,
    "overlay",
    summary=(
        "the overlay renders with Kustomize and its output parses as YAML mappings; its "
        "suppression annotations name known checks and rules; every patch target selects "
        "something"
    ),
    catches=(
        "the overlay does not render, or its output is not a stream of YAML mappings; a skip "
        "annotation names an unknown id"
    ),
    rules=(
        Rule(
            UNKNOWN_SKIP_ID,
            hint=(
                "write check ids (images) or rule ids (unpinned), comma-separated, or all, in "
                "the pytest-k8s-overlays/skip annotation; `pytest --help` lists every check "
                "and rule"
            ),
            doc=(
                "a `pytest-k8s-overlays/skip` annotation naming neither a check nor a rule "
                "(`imagez`, `Images`): it suppresses nothing, so the findings it meant to skip "
                "still fail; the finding names the valid ids and the closest one"
            ),
        ),
        Rule(
            UNUSED_PATCH,
            hint=(
                "make the patch's target select what the patch is for (kind, name, "
                "labelSelector as the base writes them; Kustomize matches a name before or "
                "after namePrefix, as an anchored regular expression), or delete the patch: "
                "Kustomize applies a patch whose target selects nothing silently"
            ),
            doc=(
                "a patch entry (`patches:`, `patchesJson6902:`) whose `target:` selects none "
                "of the resources its kustomization builds (`name: charater-api`, a "
                "`labelSelector` no resource carries, a kind the overlay does not render): "
                "Kustomize applies it to nothing and says nothing. Found on the entry (file "
                "and line), in the overlay's kustomization or a base or Component it builds. "
                "Kustomize's transformer annotations say which kustomizations' patches ran on "
                "each resource, not which patch touched it, so a target is judged against the "
                "resources its kustomization built, as rendered: a name matches any part of "
                "the rendered name (namePrefix and nameSuffix come later), the namespace is "
                "not judged, and of a selector only the requirements a later label cannot undo "
                "(`app=api`, `env in (a,b)`, `team`). Names are not judged for a kind a JSON "
                "patch of the overlay renames (`/metadata/name`), and a Component's patches "
                "not at all (a reusable Component's patch for StatefulSets rightly selects "
                "nothing in an overlay of Deployments). A patch without a target must match "
                "its own kind and name, or the build fails."
            ),
        ),
    ),
)
#: Resources named in an unused-patch finding, at most.
_SHOWN = 5
#: Requirements a label added by a later kustomization cannot make false.
_POSITIVE = frozenset({EQUALS, "In", "Exists"})


def _annotated(resource: Resource) -> Iterator[tuple[str, dict[str, str]]]:
    """Where a resource carries the annotation: (field path, annotations)."""
    yield "metadata.annotations", resource.annotations
    template = resource.pod_template
    if template is not None and template.raw is not resource.raw:
        yield f"{template.path}.metadata.annotations", template.annotations


def _expected() -> str:
    return f"a check id ({', '.join(check_ids())}), one of their rule ids, or all"


def _full(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True  # Kustomize cannot compile it either: the build fails and says why


def _within(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return True


def _may_select(text: str, values: dict[str, str]) -> bool:
    selector = parse_selector_text(text)
    if selector is None:
        return True  # Kustomize refuses a selector it cannot parse: the build fails
    return all(r.matches(values) for r in selector.requirements if r.operator in _POSITIVE)


def selects(
    target: PatchTarget, resource: Resource, renamed: frozenset[str | None] = frozenset()
) -> bool:
    """Tell whether ``target`` may have selected ``resource`` when its kustomization ran,
    judged from the rendered resource (see the module's docstring); the name is not
    judged for a kind a patch may have renamed (``renamed``, None: any kind)."""
    for field, value in (
        ("group", resource.group),
        ("version", resource.version),
        ("kind", resource.kind),
    ):
        wanted = target.get(field)
        if wanted is not None and not _full(wanted, value):
            return False
    name = target.get("name")
    judged = None not in renamed and resource.kind not in renamed
    if name is not None and judged and not _within(name, resource.name):
        return False
    labels = target.get("labelSelector")
    annotations = target.get("annotationSelector")
    return (labels is None or _may_select(labels, resource.labels)) and (
        annotations is None or _may_select(annotations, resource.annotations)
    )


def _built_by(overlay: Overlay) -> dict[Path, list[Resource]]:
    """Each kustomization of the repository whose patches ran, with the resources they saw."""
    root = overlay.root if overlay.root is not None else Path.cwd()
    built: dict[Path, list[Resource]] = {}
    # A resource whose origin Kustomize gives as a kustomization (made by a generator,
    # or a patch replaced its metadata.annotations, the record so far with them) may
    # have been seen by any kustomization.
    unknown = [
        r for r in overlay.resources if not r.source or Path(r.source).name in KUSTOMIZATION_FILES
    ]
    for resource in overlay.resources:
        for named in resource.patched_in:
            built.setdefault(Path(named), []).append(resource)
    for resources in built.values():
        resources.extend(r for r in unknown if r not in resources)
    kept: dict[Path, list[Resource]] = {}
    for kfile, resources in built.items():
        try:
            # Never a file out of the repository (a base reached through ../..).
            inside(kfile, root)
        except OutsideRepository:
            continue
        if kfile.is_file():
            kept[kfile] = resources
    return kept


def _listed(target: PatchTarget, resources: Sequence[Resource]) -> str:
    kind = target.get("kind")
    same = [r for r in resources if kind is not None and _full(kind, r.kind)]
    refs = sorted({f"{r.kind}/{r.name}" for r in same or resources})
    more = f"... ({len(refs)} in all)" if len(refs) > _SHOWN else ""
    return ", ".join(refs[:_SHOWN]) + more


def unused_patches(overlay: Overlay) -> Iterator[Finding]:
    """Report each patch entry whose target selects none of its kustomization's resources."""
    built = _built_by(overlay)
    renamed = frozenset().union(*(renamed_kinds(kfile) for kfile in built))
    for kfile, resources in sorted(built.items()):
        for target in patch_targets(kfile):
            if any(selects(target, resource, renamed) for resource in resources):
                continue
            count = len(resources)
            yield Finding(
                overlay.name,
                display_path(kfile, overlay.root),
                target.entry,
                CHECK_ID,
                UNUSED_PATCH,
                f"the target {target} selects none of the {count} "
                f"resource{'s' if count != 1 else ''} the kustomization builds, so Kustomize "
                "applied nothing of the patch",
                f"a target selecting one of them (as rendered: {_listed(target, resources)})",
            )


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Report every id in a suppression annotation that names no check or rule, and every
    patch whose target selects nothing."""
    valid = valid_skip_ids()
    found: list[Finding] = []
    for overlay in overlays:
        if overlay.deployable is not None and overlay.deployable.kind == COMPONENT:
            # Rendered through a consumer, whose resources (and their annotations) are
            # the consumer's: its own items report them, once.
            continue
        found.extend(unused_patches(overlay))
        for resource in overlay.resources:
            for path, written in _annotated(resource):
                for unknown in sorted(skipped_checks(written) - valid):
                    close = difflib.get_close_matches(unknown, sorted(valid), n=1)
                    hint = f" (did you mean {close[0]}?)" if close else ""
                    found.append(
                        finding(
                            overlay,
                            resource,
                            CHECK_ID,
                            UNKNOWN_SKIP_ID,
                            f"{path}.{SKIP_ANNOTATION}",
                            f"{unknown} is not a check or rule id{hint}",
                            _expected(),
                        )
                    )
    return sorted(found)
