"""Compare the units of two sides: which changed, and how, resource by resource.

Pure: sides in (each unit's resources, render failure or input hash), a
:class:`Comparison` out. A unit whose inputs' hash is the same on both sides is
unchanged without a look at its resources; a unit that failed to render on
either side is ``failed``, never unchanged.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .ignore import IgnoreRule, apply_fields, apply_lines, resource_rule
from .normalize import Identity, SecretChange, dump, generated_stem, identity, mask_pair

ADDED = "added"
REMOVED = "removed"
MODIFIED = "modified"
RENAMED = "renamed"
UNCHANGED = "unchanged"
FAILED = "failed"
#: The order units are told in: what needs a look first.
STATUS_ORDER = (FAILED, MODIFIED, ADDED, REMOVED, RENAMED, UNCHANGED)

#: Lines of context around each change of a resource's unified diff.
CONTEXT = 3


@dataclass(frozen=True)
class Side:
    """One unit on one side: its resources, or why it did not render.

    ``resources`` is None when the unit was not rendered (its inputs' hash
    matched the other side's); ``input_hash`` is None when no hash could be
    computed (a remote base), which always means "render and compare".
    """

    resources: tuple[Mapping[str, Any], ...] | None = None
    failure: str | None = None
    input_hash: str | None = None
    #: Argo CD's ignoreDifferences for this unit, and what of them cannot be applied.
    rules: tuple[IgnoreRule, ...] = ()
    skipped_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceChange:
    """How one resource of a unit changed: ``+``, ``-`` or ``~``, with its diff lines."""

    ident: Identity
    change: str
    lines: tuple[str, ...] = ()
    secret: SecretChange | None = None
    #: One-line notes: a generated name that changed, references that followed it.
    notes: tuple[str, ...] = ()


@dataclass
class UnitDiff:
    """What changed in one unit."""

    key: str
    status: str
    #: For a renamed unit: its key on the base side.
    old_key: str | None = None
    #: For a failed unit: which side(s) failed, each with its message.
    failures: tuple[tuple[str, str], ...] = ()
    changes: list[ResourceChange] = field(default_factory=list)


@dataclass
class Comparison:
    """Every unit's diff, and what the ignore rules hid (counted, never silent)."""

    units: list[UnitDiff]
    ignored: Counter[str] = field(default_factory=Counter)
    not_applied: list[str] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(unit.status for unit in self.units)

    def resource_counts(self) -> Counter[str]:
        return Counter(c.change for unit in self.units for c in unit.changes)

    def secrets_changed(self) -> int:
        return sum(1 for u in self.units for c in u.changes if c.secret is not None and c.secret)

    @property
    def changed(self) -> list[UnitDiff]:
        return [unit for unit in self.units if unit.status != UNCHANGED]


def _hunks(before: str, after: str) -> tuple[str, ...]:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "before", "after", n=CONTEXT, lineterm=""
    )
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def _index(resources: Iterable[Mapping[str, Any]]) -> dict[Identity, Mapping[str, Any]]:
    """Resources by identity; a generated ConfigMap or Secret by its name's stem."""
    found: dict[Identity, Mapping[str, Any]] = {}
    for raw in resources:
        ident = identity(raw)
        stem = generated_stem(ident)
        found[ident._replace(name=stem) if stem is not None else ident] = raw
    return found


def _renamed_generated(
    before: Mapping[Identity, Mapping[str, Any]], after: Mapping[Identity, Mapping[str, Any]]
) -> dict[str, str]:
    """Generated names whose hash suffix changed: old name to new name."""
    renames: dict[str, str] = {}
    for key in before.keys() & after.keys():
        old, new = identity(before[key]).name, identity(after[key]).name
        if old != new and generated_stem(identity(before[key])) is not None:
            renames[old] = new
    return renames


def _follow(value: Any, renames: Mapping[str, str], seen: set[str]) -> Any:
    """``value`` with every string equal to an old generated name replaced by the new."""
    if isinstance(value, str):
        if value in renames:
            seen.add(value)
            return renames[value]
        return value
    if isinstance(value, Mapping):
        return {k: _follow(v, renames, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [_follow(v, renames, seen) for v in value]
    return value


def _resource_change(
    key: Identity,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    renames: Mapping[str, str],
    rules: Sequence[IgnoreRule],
    ignored: Counter[str],
) -> ResourceChange | None:
    notes: list[str] = []
    if before is not None and after is not None:
        old_name, new_name = identity(before).name, identity(after).name
        if old_name != new_name:
            notes.append(f"generated name {old_name} -> {new_name} (its content changed)")
        seen: set[str] = set()
        before = _follow(before, renames, seen)
        for name in sorted(seen - {old_name}):
            notes.append(f"references {name} -> {renames[name]} (a generated name)")
    before, after, used = apply_fields(rules, key, before, after)
    ignored.update(used)
    masked_before, masked_after, secret = mask_pair(before, after)
    old_text = dump(masked_before) if masked_before is not None else ""
    new_text = dump(masked_after) if masked_after is not None else ""
    if before is not None and after is not None:
        # On the masked text: a line rule never tells anything of a Secret's values.
        old_text, new_text, hidden = apply_lines(rules, key, old_text, new_text)
        ignored.update(hidden)
    if before is not None and after is not None and old_text == new_text and not secret:
        if not notes or all(n.startswith("generated name") for n in notes):
            return None
        return ResourceChange(key, "~", (), None, tuple(notes))
    change = "+" if before is None else "-" if after is None else "~"
    is_secret = (masked_after or masked_before or {}).get("kind") == "Secret"
    return ResourceChange(
        key, change, _hunks(old_text, new_text), secret if is_secret else None, tuple(notes)
    )


def diff_resources(
    before: Iterable[Mapping[str, Any]],
    after: Iterable[Mapping[str, Any]],
    rules: Sequence[IgnoreRule] = (),
    ignored: Counter[str] | None = None,
) -> list[ResourceChange]:
    """The changes between two renders of a unit, by identity, sorted."""
    ignored = ignored if ignored is not None else Counter()
    old, new = _index(before), _index(after)
    renames = _renamed_generated(old, new)
    changes: list[ResourceChange] = []
    for key in sorted(old.keys() | new.keys()):
        change = _resource_change(key, old.get(key), new.get(key), renames, rules, ignored)
        if change is None:
            continue
        # Shown under its name on the newer side (a generated name's, too).
        shown_as = identity(new[key]) if key in new else identity(old[key])
        change = ResourceChange(shown_as, change.change, change.lines, change.secret, change.notes)
        hidden_by = resource_rule(rules, shown_as)
        if hidden_by is not None:
            ignored[hidden_by] += 1
            continue
        changes.append(change)
    return changes


def _failures(before: Side | None, after: Side | None) -> tuple[tuple[str, str], ...]:
    sides = (("base", before), ("head", after))
    return tuple((name, s.failure) for name, s in sides if s is not None and s.failure)


def _unit(key: str, before: Side | None, after: Side | None, comparison: Comparison) -> UnitDiff:
    failures = _failures(before, after)
    if failures:
        return UnitDiff(key, FAILED, failures=failures)
    same = before is not None and after is not None and before.input_hash is not None
    if same and before is not None and after is not None and before.input_hash == after.input_hash:
        return UnitDiff(key, UNCHANGED)
    rules = (after or before or Side()).rules
    comparison.not_applied.extend((after or before or Side()).skipped_rules)
    old = before.resources or () if before is not None else ()
    new = after.resources or () if after is not None else ()
    changes = diff_resources(old, new, rules, comparison.ignored)
    status = ADDED if before is None else REMOVED if after is None else MODIFIED
    if status == MODIFIED and not changes:
        status = UNCHANGED
    return UnitDiff(key, status, changes=changes)


def _overlap(a: UnitDiff, b: UnitDiff) -> float:
    """How much two units' resources share identities (for telling a rename)."""
    left = {c.ident._replace(namespace="") for c in a.changes}
    right = {c.ident._replace(namespace="") for c in b.changes}
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _pair_renames(
    units: dict[str, UnitDiff],
    before: Mapping[str, Side],
    after: Mapping[str, Side],
    comparison: Comparison,
) -> None:
    """Pair a removed unit with an added one that holds mostly the same objects."""
    removed = [u for u in units.values() if u.status == REMOVED]
    added = [u for u in units.values() if u.status == ADDED]
    for gone in removed:
        best = max(added, key=lambda new: (_overlap(gone, new), new.key), default=None)
        if best is None or _overlap(gone, best) < 0.5:
            continue
        added.remove(best)
        del units[gone.key]
        changes = diff_resources(
            before[gone.key].resources or (),
            after[best.key].resources or (),
            after[best.key].rules,
            comparison.ignored,
        )
        units[best.key] = UnitDiff(best.key, RENAMED, old_key=gone.key, changes=changes)


def compare(before: Mapping[str, Side], after: Mapping[str, Side]) -> Comparison:
    """Match the units of two sides by key and tell how each changed."""
    comparison = Comparison([])
    units: dict[str, UnitDiff] = {}
    for key in sorted(before.keys() | after.keys()):
        units[key] = _unit(key, before.get(key), after.get(key), comparison)
    _pair_renames(units, before, after, comparison)
    comparison.units = sorted(units.values(), key=lambda u: (STATUS_ORDER.index(u.status), u.key))
    return comparison
