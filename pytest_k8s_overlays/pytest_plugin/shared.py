"""Findings one cause gives several deployables, shown in full once: the failure texts.

The items of one check are ordered (group, name, file): a finding is shown in
full under the first item that has it, and the later items fail with one line
naming it. Every process orders the same selected items the same way, so a
serial run and a pytest-xdist run pick the same item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import RENDER
from ..core.deployables import Deployable
from ..core.findings import Finding, plural
from ..core.outcomes import CheckOutcome, RenderFailure
from ..core.resources import Overlay
from ..core.text import shown
from ..gate.state import Gate
from ..reporting.shared import CauseKey, RenderKey, cause_key, render_key, where


def order(spec: Deployable) -> tuple[str, str, str]:
    """The order in which the items of one check claim a shared finding."""
    return (spec.group, spec.name, str(spec.anchor))


@dataclass
class Verdict:
    """One item's findings split: those shown in full here, those shown elsewhere."""

    own: list[Finding] = field(default_factory=list)
    #: A finding shown under an earlier item: its key and that item's deployable.
    elsewhere: list[tuple[Finding, CauseKey, Deployable]] = field(default_factory=list)
    #: For a finding shown here, the later deployables it fails too.
    later: dict[CauseKey, list[Deployable]] = field(default_factory=dict)


class SharedFindings:
    """Tells, for an item, which of its findings an earlier item of its check shows."""

    def __init__(self, gate: Gate, root: Path) -> None:
        self.gate = gate
        self.root = root
        #: The selected items' deployables, per check, in claiming order.
        self.peers: dict[str, list[Deployable]] = {}
        self._keys: dict[tuple[Deployable, str], list[CauseKey]] = {}
        self._render_keys: dict[Deployable, RenderKey | None] = {}
        self._by_render_key: dict[RenderKey, list[Deployable]] | None = None

    def select(self, items: Sequence[tuple[Deployable, str]]) -> None:
        """Remember the selected items (deployable, check)."""
        peers: dict[str, set[Deployable]] = {}
        for spec, check in items:
            peers.setdefault(check, set()).add(spec)
        self.peers = {check: sorted(specs, key=order) for check, specs in peers.items()}

    def _found(self, spec: Deployable, check: str) -> list[Finding]:
        try:
            outcome = self.gate.outcome(spec, check)
        except Exception:  # a crash is that item's own failure
            return []
        return outcome.reported if isinstance(outcome, CheckOutcome) else []

    def keys(
        self, spec: Deployable, check: str, found: Sequence[Finding] | None = None
    ) -> list[CauseKey]:
        """The cause keys of a deployable's reported findings (``found``, else what
        its check reports), computed once."""
        memo = (spec, check)
        if memo not in self._keys:
            if found is None:
                found = self._found(spec, check)
            if not found:  # nothing to place: its render need not be read
                self._keys[memo] = []
                return self._keys[memo]
            result = self.gate.store.result(spec)
            overlay = result if isinstance(result, Overlay) else None
            self._keys[memo] = [cause_key(spec, overlay, f, self.root) for f in found]
        return self._keys[memo]

    def verdict(self, spec: Deployable, check: str, found: Sequence[Finding]) -> Verdict:
        """Split ``found`` (what ``spec``'s item reports) by where each is shown."""
        verdict = Verdict()
        mine = self.keys(spec, check, found)
        peers = self.peers.get(check, [])
        if spec not in peers or len(peers) < 2:
            verdict.own = list(found)
            return verdict
        claimed: dict[CauseKey, Deployable] = {}
        later: dict[CauseKey, list[Deployable]] = {}
        wanted = set(mine)
        position = peers.index(spec)
        for index, peer in enumerate(peers):
            if peer == spec:
                continue
            for key in set(self.keys(peer, check)) & wanted:
                if index < position:
                    claimed.setdefault(key, peer)
                else:
                    later.setdefault(key, []).append(peer)
        for finding, key in zip(found, mine, strict=True):
            if key in claimed:
                verdict.elsewhere.append((finding, key, claimed[key]))
            else:
                verdict.own.append(finding)
                if key in later:
                    verdict.later[key] = later[key]
        return verdict

    def _render_key(self, spec: Deployable) -> RenderKey | None:
        """The place and cause of a deployable's render failure; None when it rendered
        (told without reading a render the cache holds)."""
        if spec not in self._render_keys:
            key = None
            if isinstance(self.gate.store.state_of(spec), str):
                failure = self.gate.store.result(spec)
                if isinstance(failure, RenderFailure):
                    key = render_key(failure, self.root)
            self._render_keys[spec] = key
        return self._render_keys[spec]

    def render_message(self, spec: Deployable, message: str) -> str:
        """A render item's failure text: in full under the first render item (in claiming
        order) whose deployable failed with the same cause at the same place (a base or
        Component every overlay using it fails on), one line under the others."""
        mine = self._render_key(spec)
        if mine is None:
            return message
        alike = self._render_failures().get(mine, [])
        if spec not in alike or len(alike) < 2:
            return message
        place = shown(f"{mine[0]}:{mine[1]}")
        first = alike[0]
        if first != spec:
            label = shown(self.gate.label(first))
            return (
                f"{shown(spec.name)}: the same render failure as {label} ({place}), shown in "
                f"full under {label} [{RENDER}]"
            )
        others = ", ".join(shown(self.gate.label(peer)) for peer in alike[1:])
        return (
            f"{message}\n  [{RENDER}] at {place} fails {plural(len(alike) - 1, 'more item')} "
            f"too, shown there in one line: {others}"
        )

    def _render_failures(self) -> dict[RenderKey, list[Deployable]]:
        """The selected render items' deployables that failed, by place and cause, each
        list in claiming order (made once: a thousand overlays failing on one base ask)."""
        if self._by_render_key is None:
            self._by_render_key = {}
            for peer in self.peers.get(RENDER, []):
                key = self._render_key(peer)
                if key is not None:
                    self._by_render_key.setdefault(key, []).append(peer)
        return self._by_render_key

    def message(self, spec: Deployable, check: str, verdict: Verdict) -> str:
        """The item's failure text: its own findings in full, one line per finding
        shown under another item, and which others a finding shown here fails."""
        gate = self.gate
        lines = []
        # One line per place: several findings of this item at one place (a selector
        # that also catches two other overlays' pods) are one line, with their count.
        places: dict[CauseKey, list[tuple[Finding, CauseKey, Deployable]]] = {}
        for shared in verdict.elsewhere:
            places.setdefault(shared[1], []).append(shared)
        same = [_same(*found[0], gate, check, len(found)) for found in places.values()]
        if verdict.own:
            lines += gate.report(spec, check, verdict.own).splitlines()
        else:
            rules = sorted({finding.rule for finding, _, _ in verdict.elsewhere})
            if len(same) == 1:
                lines.append(f"{shown(spec.name)}: {same[0]}")
            else:
                count = plural(len(verdict.elsewhere), "finding")
                lines.append(
                    f"{shown(spec.name)}: {count} shown in full under other items "
                    f"[{', '.join(rules)}]"
                )
        if verdict.own or len(same) > 1:
            lines += [f"  {line}" for line in same]
        # Which others a finding shown here fails: after the findings, before the hints.
        hints = next((i for i, line in enumerate(lines) if line.startswith("hint [")), len(lines))
        lines[hints:hints] = [
            f"  [{key[1]}] at {shown(where(key))} fails {plural(len(others), 'more item')} "
            f"too, shown there in one line: {', '.join(shown(gate.label(o)) for o in others)}"
            for key, others in sorted(verdict.later.items())
        ]
        return "\n".join(lines)


def _same(
    finding: Finding, key: CauseKey, first: Deployable, gate: Gate, check: str, count: int = 1
) -> str:
    label = shown(gate.label(first))
    same = "the same finding as" if count == 1 else f"{count} findings, the same as"
    return (
        f"[{finding.rule}] {same} {label} ({shown(where(key))}), "
        f"shown in full under {label} [{check}]"
    )


def _counts(rules: Counter[str]) -> str:
    return ",".join(f"{rule}={count}" for rule, count in sorted(rules.items()))


def tally_properties(verdict: Verdict) -> list[tuple[str, object]]:
    """The item's findings per rule, as JUnit properties the summary's tally reads
    (they travel with the report from a pytest-xdist worker)."""
    properties: list[tuple[str, object]] = []
    own = Counter(finding.rule for finding in verdict.own)
    # An item that fails only for findings shown under others counts once per rule:
    # the tally says how many more items fail, not how many findings they repeat.
    same = Counter({finding.rule for finding, _, _ in verdict.elsewhere} - set(own))
    if own:
        properties.append(("findings", _counts(own)))
    if same:
        properties.append(("same-findings", _counts(same)))
    return properties


def _parse(value: object) -> Counter[str]:
    counts: Counter[str] = Counter()
    for part in str(value or "").split(","):
        rule, _, count = part.partition("=")
        if rule and count.isdigit():
            counts[rule] += int(count)
    return counts


def tally(properties: Sequence[Sequence[tuple[str, object]]]) -> list[str]:
    """The summary's last lines: per rule, the findings shown in full, the items that
    fail for one of them in one line, and the deployables that did not render."""
    own: Counter[str] = Counter()
    same: Counter[str] = Counter()
    renders = 0
    for item in properties:
        values = dict(item)
        own += _parse(values.get("findings"))
        same += _parse(values.get("same-findings"))
        renders += values.get("check") == RENDER and values.get("rules") == RENDER
    lines = []
    for rule in sorted(set(own) | set(same)):
        line = f"  {rule}: {plural(own[rule], 'finding')}"
        if same[rule]:
            verb = "fails" if same[rule] == 1 else "fail"
            line += f"; {plural(same[rule], 'more item')} {verb} for one of them"
        lines.append(line)
    if renders:
        lines.append(f"  {RENDER}: {plural(renders, 'deployable')} did not render")
    return ["findings by rule:", *lines] if lines else []
