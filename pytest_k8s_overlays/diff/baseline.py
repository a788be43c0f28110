"""Findings new or existing: matched across two sides by a fingerprint.

The fingerprint is the rule, the deployable, the object (``Kind/namespace/name``),
the field and what was found and expected, with line and column numbers
taken out: a finding keeps it when lines move or unrelated files change, and
loses it when what is wrong changes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

from ..core.findings import Finding

#: ``file.yaml:12``, ``:12:3``, ``line 12``, ``line 12, column 3``: where, not what.
#: A position in a file (``base/app.yaml:12``, ``line 12``): not an address's port
#: (``redis.db:6379``) nor an image tag (``app:1``), which are part of the finding.
_POSITION = re.compile(
    r"(?P<file>\.(?:ya?ml|json))(?::\d+)+\b|\b(?:line|column|col)\s+\d+", re.IGNORECASE
)


def _without_positions(text: str) -> str:
    return _POSITION.sub(lambda match: match.group("file") or "", text)


def fingerprint(finding: Finding) -> str:
    """The finding's identity across commits."""
    parts = [
        finding.check,
        finding.rule,
        finding.overlay,
        finding.resource,
        finding.path,
        _without_positions(finding.found),
        _without_positions(finding.expected),
        ",".join(finding.others),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()[:32]


def split(findings: Iterable[Finding], known: set[str]) -> tuple[list[Finding], list[Finding]]:
    """(new, existing): those whose fingerprint the base side did not have, and the rest."""
    new: list[Finding] = []
    existing: list[Finding] = []
    for item in findings:
        (existing if fingerprint(item) in known else new).append(item)
    return new, existing


def per_rule(existing: Iterable[Finding]) -> list[str]:
    """One line per rule: ``unpinned: 3 existing findings (not new in this change)``."""
    counts = Counter(f"{f.check}/{f.rule}" if f.rule != f.check else f.check for f in existing)
    return [
        f"{rule}: {count} existing finding{'' if count == 1 else 's'} (not new in this change)"
        for rule, count in sorted(counts.items())
    ]
