"""The diff told three ways: terminal lines, a Markdown pull-request comment, JSON.

Every value that comes from a manifest is escaped (:func:`~..core.text.shown`)
and no Secret value is in any of them: the engine masks before it diffs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.findings import plural
from ..core.text import LINE_LIMIT, shown
from .engine import (
    ADDED,
    FAILED,
    MODIFIED,
    REMOVED,
    RENAMED,
    UNCHANGED,
    Comparison,
    ResourceChange,
    UnitDiff,
)

#: The hidden marker CI finds its earlier comment by, to update it in place.
MARKER = "<!-- pytest-k8s-overlays-diff -->"
#: GitHub's limit on a pull-request comment's body.
COMMENT_LIMIT = 65_536


@dataclass(frozen=True)
class Header:
    """What was compared: both commits, how the base was chosen, the renderer."""

    base: str
    head: str
    how: str
    renderer: str
    #: What the units are called in the plan: ``Overlays`` or ``Applications``.
    noun: str = "Overlays"
    #: What the base side cost: how many units it rendered, how many it took as unchanged.
    cost: str = ""

    def line(self) -> str:
        return f"diff {self.base} ({self.how}) -> {self.head}, rendered by {self.renderer}"


def plan(comparison: Comparison, noun: str = "Overlays") -> str:
    """``Overlays: 2 modified, 1 added, 41 unchanged - Resources: +3 ~7 -1 - Secrets: ...``."""
    counts = comparison.counts()
    order = [MODIFIED, ADDED, REMOVED, RENAMED, FAILED, UNCHANGED]
    units = [f"{counts[s]} {s}" for s in order if counts[s] or s == UNCHANGED]
    res = comparison.resource_counts()
    line = f"{noun}: {', '.join(units)} - Resources: +{res['+']} ~{res['~']} -{res['-']}"
    secrets = comparison.secrets_changed()
    if secrets:
        line += f" - Secrets: {secrets} changed (redacted)"
    return line


def _status_word(unit: UnitDiff) -> str:
    if unit.status == RENAMED and unit.old_key is not None:
        return f"renamed from {shown(unit.old_key)}"
    if unit.status == FAILED:
        sides = " and ".join(side for side, _ in unit.failures)
        return f"failed to render on the {sides} side" + ("s" if len(unit.failures) > 1 else "")
    return unit.status


def _change_title(change: ResourceChange) -> str:
    title = f"{change.change} {shown(change.ident.shown())}"
    if change.secret is not None and change.secret:
        parts = [
            f"{label} {', '.join(shown(k) for k in keys)}"
            for label, keys in (
                ("changed", change.secret.changed),
                ("added", change.secret.added),
                ("removed", change.secret.removed),
            )
            if keys
        ]
        title += f" (Secret keys {'; '.join(parts)}; values redacted)"
    return title


def _change_lines(change: ResourceChange) -> Iterator[str]:
    for note in change.notes:
        yield f"# {shown(note)}"
    for line in change.lines:
        yield shown(line, LINE_LIMIT)


def _footer(comparison: Comparison) -> list[str]:
    lines = []
    if comparison.ignored:
        total = sum(comparison.ignored.values())
        rules = "; ".join(f"{shown(r)}: {n}" for r, n in sorted(comparison.ignored.items()))
        lines.append(f"Ignored: {plural(total, 'change')} by ignore rules ({rules})")
    lines += [f"Not applied: {shown(note)}" for note in sorted(set(comparison.not_applied))]
    return lines


def terminal_lines(comparison: Comparison, header: Header) -> list[str]:
    """The terminal section: the header, the plan, then each changed unit's diff."""
    lines = [header.line(), plan(comparison, header.noun)]
    if header.cost:
        lines.append(header.cost)
    for unit in comparison.changed:
        lines.append("")
        lines.append(f"{shown(unit.key)}: {_status_word(unit)}")
        for side, message in unit.failures:
            first, *rest = message.splitlines() or [""]
            lines.append(f"  {side}: {shown(first, LINE_LIMIT)}")
            lines += [f"    {shown(line, LINE_LIMIT)}" for line in rest[:20]]
        for change in unit.changes:
            lines.append(f"  {_change_title(change)}")
            lines += [f"    {line}" for line in _change_lines(change)]
    footer = _footer(comparison)
    if footer:
        lines.append("")
        lines += footer
    return lines


# -- Markdown ------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return shown(text).replace("|", "\\|").replace("`", "'")


def _table(comparison: Comparison) -> list[str]:
    rows = ["| Unit | Status | Resources |", "|---|---|---|"]
    for unit in comparison.changed:
        counts = {c: sum(1 for x in unit.changes if x.change == c) for c in "+~-"}
        figures = f"+{counts['+']} ~{counts['~']} -{counts['-']}"
        rows.append(f"| `{_cell(unit.key)}` | {_cell(_status_word(unit))} | {figures} |")
    return rows


def _fenced(lines: Sequence[str]) -> str:
    body = "\n".join(lines).replace("```", "`\u200b``")
    return f"```diff\n{body}\n```"


def _resource_block(change: ResourceChange) -> str:
    title = _change_title(change).replace("`", "'")
    lines = list(_change_lines(change))
    return f"**{title}**\n\n{_fenced(lines)}\n" if lines else f"**{title}**\n"


def _unit_blocks(unit: UnitDiff) -> tuple[str, list[tuple[str, str]], str]:
    """A unit's opening, its resources' blocks (named), and its closing."""
    opening = f"<details><summary><code>{_cell(unit.key)}</code>: {_cell(_status_word(unit))}"
    opening += "</summary>\n\n"
    for side, message in unit.failures:
        quoted = [shown(line, LINE_LIMIT) for line in message.splitlines()[:20]]
        opening += f"{side}:\n\n{_fenced(quoted)}\n\n"
    blocks = [(f"{unit.key} {c.ident.shown()}", _resource_block(c)) for c in unit.changes]
    return opening, blocks, "</details>\n"


def markdown(
    comparison: Comparison, header: Header, full: str | None = None, limit: int = COMMENT_LIMIT
) -> str:
    """The pull-request comment: never over ``limit`` characters; the plan and the
    summary table always kept; each resource whole or left out, every one left out
    named; ``full`` (where the complete diff is) pointed to."""
    head = [
        MARKER,
        f"### Rendered diff: {_cell(header.line().removeprefix('diff '))}",
        "",
        f"**{_cell(plan(comparison, header.noun))}**",
        "",
        *_table(comparison),
        "",
    ]
    text = "\n".join(head)
    tail = "\n".join(_footer(comparison))
    body: list[str] = []
    omitted: list[str] = []
    # Room kept for the list of omissions: a line per resource left out at most.
    names = [name for u in comparison.changed for name, _ in _unit_blocks(u)[1]]
    reserve = len(tail) + 400 + sum(len(shown(n)) + 8 for n in names)
    budget = limit - len(text) - reserve
    for unit in comparison.changed:
        opening, blocks, closing = _unit_blocks(unit)
        if len(opening) + len(closing) > budget:
            omitted += [name for name, _ in blocks] or [unit.key]
            continue
        budget -= len(opening) + len(closing)
        parts = [opening]
        for name, block in blocks:
            if len(block) > budget:
                omitted.append(name)
                continue
            budget -= len(block)
            parts.append(block)
        body.append("\n".join(parts) + closing)
    text += "\n".join(body)
    if omitted:
        where = f" (full diff: `{_cell(full)}`)" if full else ""
        text += f"\n**Left out to stay under GitHub's comment limit{where}:**\n\n"
        text += "\n".join(f"- `{_cell(name)}`" for name in omitted) + "\n"
    elif full:
        text += f"\nFull diff: `{_cell(full)}`\n"
    if tail:
        text += f"\n{tail}\n"
    if len(text) > limit:  # the names alone are over: keep what must stay, cut the list
        cut = text[: limit - 200].rsplit("\n", 1)[0]
        text = f"{cut}\n\n(the list of omissions is cut here: see the full diff)\n"
    return text


# -- JSON ----------------------------------------------------------------------------------


def _change_json(change: ResourceChange) -> dict[str, Any]:
    ident = change.ident
    item: dict[str, Any] = {
        "group": ident.group,
        "kind": ident.kind,
        "namespace": ident.namespace,
        "name": ident.name,
        "change": {"+": ADDED, "-": REMOVED, "~": MODIFIED}[change.change],
        "diff": list(change.lines),
        "notes": list(change.notes),
    }
    if change.secret is not None:
        item["secret_keys"] = {
            "changed": list(change.secret.changed),
            "added": list(change.secret.added),
            "removed": list(change.secret.removed),
        }
    return item


def as_json(comparison: Comparison, header: Header) -> dict[str, Any]:
    """The whole diff as data: every unit, every resource change, what was ignored."""
    return {
        "base": header.base,
        "head": header.head,
        "base_is": header.how,
        "renderer": header.renderer,
        "plan": plan(comparison, header.noun),
        "units": [
            {
                "key": unit.key,
                "status": unit.status,
                "renamed_from": unit.old_key,
                "failures": [{"side": s, "message": m} for s, m in unit.failures],
                "resources": [_change_json(c) for c in unit.changes],
            }
            for unit in comparison.units
        ],
        "ignored": dict(sorted(comparison.ignored.items())),
        "not_applied": sorted(set(comparison.not_applied)),
    }


def fails(comparison: Comparison, fail_on: Sequence[str]) -> list[str]:
    """Why ``--overlays-diff-fail-on`` fails the run (empty: it does not)."""
    reasons: list[str] = []
    for unit in comparison.changed:
        for word in fail_on:
            if word == "any":
                reasons.append(f"{unit.key}: {_status_word(unit)}")
            elif word == "removed":
                if unit.status == REMOVED:
                    reasons.append(f"{unit.key}: removed")
                reasons += [
                    f"{unit.key}: {c.ident.shown()} removed"
                    for c in unit.changes
                    if c.change == "-"
                ]
            else:
                reasons += [
                    f"{unit.key}: {c.ident.shown()} {c.change}"
                    for c in unit.changes
                    if c.ident.kind == word
                ]
    return sorted(set(reasons))


__all__ = ["MARKER", "Header", "as_json", "fails", "markdown", "plan", "terminal_lines"]
