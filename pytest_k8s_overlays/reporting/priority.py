"""Which findings a pull request's reviewer sees first in annotations and SARIF.

GitHub shows a step's first ten error annotations and drops the rest: with
``--overlays-diff``, the findings the change introduced come first, and among
them those on files it touched, then the existing ones (touched files first).
The caller hands the facts as plain values; nothing here knows git or the gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .records import Record, fingerprint


@dataclass(frozen=True)
class Priority:
    """What a change is: the files it touched (relative to the repository root, as a
    record's ``source.file``) and the fingerprints (:func:`.records.fingerprint`, SARIF's) of
    the findings it introduced."""

    touched: frozenset[str]
    new: frozenset[str]

    def is_new(self, record: Record) -> bool:
        """A render failure counts as new: ``--overlays-new-only`` fails on it too."""
        return record["check"] == record["rule"] or fingerprint(record) in self.new

    def rank(self, record: Record) -> tuple[bool, bool]:
        """Sorts new before existing, then touched files before the others."""
        return (not self.is_new(record), record["source"]["file"] not in self.touched)


def first(records: Iterable[Record], priority: Priority | None) -> list[Record]:
    """``records`` with the change's own findings first; otherwise in their order."""
    found = list(records)
    if priority is None:
        return found
    return sorted(found, key=priority.rank)  # stable: the usual order within each rank
