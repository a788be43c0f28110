"""render: the overlay renders (the store reports a failure), and what it renders says
what the gate should skip in words the gate knows.

A suppression annotation naming no check or rule (``pytest-k8s-overlays/skip:
imagez``) suppresses nothing: the findings it meant to skip still fail, and
nothing would say why. It is reported here, on the check every overlay gets
first, once per resource, with the ids it could have meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from ..core.deployables import COMPONENT
from ..core.findings import SKIP_ANNOTATION, Finding, finding, skipped_checks
from ..core.resources import Overlay, Resource
from . import check_ids, valid_skip_ids
from .base import CheckOptions

CHECK_ID = "render"
RULE = "unknown-skip-id"


def _annotated(resource: Resource) -> Iterator[tuple[str, dict[str, str]]]:
    """Where a resource carries the annotation: (field path, annotations)."""
    yield "metadata.annotations", resource.annotations
    template = resource.pod_template
    if template is not None and template.raw is not resource.raw:
        yield f"{template.path}.metadata.annotations", template.annotations


def _expected() -> str:
    return f"a check id ({', '.join(check_ids())}), one of their rule ids, or all"


def run(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    """Report every id in a suppression annotation that names no check or rule."""
    valid = valid_skip_ids()
    found = []
    for overlay in overlays:
        if overlay.deployable is not None and overlay.deployable.kind == COMPONENT:
            # Rendered through a consumer, whose resources (and their annotations) are
            # the consumer's: its own items report them, once.
            continue
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
                            RULE,
                            f"{path}.{SKIP_ANNOTATION}",
                            f"{unknown} is not a check or rule id{hint}",
                            _expected(),
                        )
                    )
    return sorted(found)
