"""Findings: what a check reports, and the one message format every failure uses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .provenance import Provenance
from .resources import Overlay, Resource
from .text import shown

#: The annotation that suppresses findings on a resource (or a pod template's
#: containers): a comma-separated list of check ids, rule ids, or ``all``.
SKIP_ANNOTATION = "pytest-k8s-overlays/skip"


@dataclass(frozen=True, order=True)
class Finding:
    """One thing wrong with one resource of one overlay.

    ``source`` is where the field comes from (the manifest, the patch that set it);
    ``others`` names the other overlays involved in a cross-overlay finding.
    """

    overlay: str
    resource: str
    path: str
    check: str
    rule: str
    found: str
    expected: str
    source: Provenance | None = None
    others: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Finding:
        """The finding ``dataclasses.asdict`` gave ``row``; TypeError when it has another shape."""
        source = row["source"]
        if source is not None and not isinstance(source, Mapping):
            raise TypeError(f"a finding's source is a mapping, not {type(source).__name__}")
        provenance = None if source is None else Provenance(**source)
        return cls(**{**row, "source": provenance, "others": tuple(row["others"])})

    def line(self) -> str:
        """One line: resource, field, what was found, what was expected, where from;
        each value escaped and bounded (they come from the pull request)."""
        where = f" {shown(self.path)}" if self.path else ""
        origin = str(self.source) if self.source is not None else ""
        source = f" (from {shown(origin)})" if origin else ""
        return (
            f"{shown(self.resource)}{where}: {shown(self.found)}; "
            f"expected {shown(self.expected)} [{self.rule}]{source}"
        )


def finding(
    overlay: Overlay,
    resource: Resource,
    check: str,
    rule: str,
    path: str,
    found: str,
    expected: str,
    others: Iterable[str] = (),
) -> Finding:
    """Build a finding about ``resource`` of ``overlay``."""
    return Finding(
        overlay.name,
        resource.ref,
        path,
        check,
        rule,
        found,
        expected,
        resource.source_of(path),
        tuple(sorted(set(others))),
    )


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


#: The last field of a finding's path (``image`` of ``spec.containers[0].image``).
_LAST_FIELD = re.compile(r"(?:^|\.)(?P<field>[A-Za-z0-9_-]+)(?:\[\d+\])*$")


def short_line(item: Finding) -> str:
    """A finding in a few words: the rule first (what survives a cut line), the
    resource, its last field, what was found."""
    field = _LAST_FIELD.search(item.path)
    where = f" {field.group('field')}" if field else ""
    return f"[{item.rule}] {shown(item.resource)}{where}: {shown(item.found)}"


def headline(
    subject: str,
    findings: Sequence[Finding],
    hints: Mapping[str, str],
    show_overlay: bool = False,
) -> str:
    """A failure's first line, which a CI log cut at 80-120 columns still shows: the
    finding when there is one, else how many and their rules (in their declared order)."""
    if len(findings) == 1:
        only = findings[0]
        overlay = f"{shown(only.overlay)}: " if show_overlay else ""
        return f"{shown(subject)}: {overlay}{short_line(only)}"
    fired = {item.rule for item in findings}
    rules = [rule for rule in hints if rule in fired] + sorted(fired - set(hints))
    return f"{shown(subject)}: {plural(len(findings), 'finding')} [{', '.join(rules)}]"


def format_report(
    subject: str,
    check: str,
    findings: Sequence[Finding],
    hints: Mapping[str, str],
    show_overlay: bool = False,
) -> str:
    """The failure text: a first line that stands alone, a line per finding, the hints."""
    lines = [headline(subject, findings, hints, show_overlay)]
    for item in findings:
        prefix = f"{shown(item.overlay)}: " if show_overlay else ""
        lines.append(f"  {prefix}{item.line()}")
    for rule in sorted({item.rule for item in findings}):
        if rule in hints:
            lines.append(f"hint [{rule}]: {hints[rule]}")
    return "\n".join(lines)


def skipped_checks(annotations: Mapping[str, str]) -> frozenset[str]:
    """Parse the skip annotation into a set of ids: checks, rules, ``all``."""
    value = annotations.get(SKIP_ANNOTATION, "")
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def is_suppressed(item: Finding, overlays: Sequence[Overlay]) -> bool:
    """Tell whether the resource (or the pod template a path is in) skips this finding's
    check or rule."""
    for overlay in overlays:
        if overlay.name != item.overlay:
            continue
        for resource in overlay.resources:
            if resource.ref != item.resource:
                continue
            skipped = set(skipped_checks(resource.annotations))
            template = resource.pod_template
            # A pod template's annotation covers everything under the template
            # (its labels and containers), not the rest of the workload.
            if template is not None and item.path.startswith(template.path or "spec"):
                skipped |= skipped_checks(template.annotations)
            if skipped & {item.check, item.rule, "all"}:
                return True
    return False


def split_suppressed(
    findings: Iterable[Finding], overlays: Sequence[Overlay]
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (reported, suppressed by annotation), both sorted."""
    reported: list[Finding] = []
    suppressed: list[Finding] = []
    for item in sorted(set(findings)):
        (suppressed if is_suppressed(item, overlays) else reported).append(item)
    return reported, suppressed
