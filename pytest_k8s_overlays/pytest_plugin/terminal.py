"""What the gate prints: the header, the rendering progress, the summary, a crash."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from ..cache.entries import Pruned
from ..core.findings import SKIP_ANNOTATION, plural
from ..core.paths import display_path
from ..core.text import LINE_LIMIT, shown
from ..gate.store import Progress
from ..gate.summary import Summary

if TYPE_CHECKING:
    from ..gate.state import Gate

#: Seconds of rendering before a progress line appears.
PROGRESS_AFTER = 0.5
#: Without a terminal (a CI log), at most one plain progress line per this many seconds.
PROGRESS_INTERVAL = 5.0


def header(gate: Gate) -> list[str]:
    """The report header lines: deployables, groups, unused Components and the renderer;
    each Argo CD instance and which URL was taken as this repository."""
    overlays = sum(1 for spec in gate.specs if spec.application is None)
    applications = len(gate.specs) - overlays
    counted = [plural(overlays, "overlay")] if overlays or not applications else []
    if applications:
        counted.append(plural(applications, "Application"))
    components = len(gate.components)
    unused = f", {plural(components, 'unused component')}" if components else ""
    lines = [
        f"k8s-overlays: {' and '.join(counted)} in "
        f"{plural(len(gate.groups), 'group')}{unused}; "
        f"renderer: {gate.store.renderer.describe()}"
    ]
    for group in gate.groups:
        if group.nested:
            names = [display_path(path, gate.store.display_root) for path in group.nested]
            listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            # The advice first: a long list is what the line limit cuts.
            lines.append(
                f"k8s-overlays: {group.name} is a kustomization, gated as one overlay; "
                f"{plural(len(names), 'overlay')} under it not gated (name each with "
                f"--overlays): {listed}"
            )
    for instance in gate.instances:
        lines.append(
            f"k8s-overlays: Argo CD {instance.value}: "
            f"{plural(instance.applications, 'Application')}; "
            f"this repository: {instance.repo.describe()}"
        )
        if instance.refused_options:
            lines.append(f"k8s-overlays: Argo CD {instance.value}: {instance.refused_options}")
    # Directory names and repository URLs are the pull request's.
    return [shown(line, LINE_LIMIT) for line in lines]


def _log_progress(terminal: pytest.TerminalReporter) -> Progress:
    """Plain lines for a CI log, at most one per PROGRESS_INTERVAL (a log keeps every
    line, and a carriage return would pile up the whole animation in it)."""
    last = time.monotonic()
    shown = False

    def progress(done: int, total: int) -> None:
        nonlocal last, shown
        now = time.monotonic()
        # The last line too, once any was shown, so the log says the renders finished.
        if now - last >= PROGRESS_INTERVAL or (shown and done == total):
            last, shown = now, True
            terminal.write_line(f"k8s-overlays: rendered {done}/{total} overlays")

    return progress


@contextmanager
def render_progress(config: pytest.Config) -> Iterator[Progress | None]:
    """A progress line on a terminal while renders take a while, a plain line every
    few seconds in a CI log; None without a terminal reporter."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        yield None
        return
    terminal: pytest.TerminalReporter = reporter
    if not terminal.isatty:
        yield _log_progress(terminal)
        return
    start = time.monotonic()

    def progress(done: int, total: int) -> None:
        if time.monotonic() - start > PROGRESS_AFTER:
            terminal.rewrite(f"rendering overlays: {done}/{total}", bold=True)

    yield progress
    if time.monotonic() - start > PROGRESS_AFTER:
        terminal.rewrite("", erase=True)


def _renders_line(summary: Summary) -> str:
    line = (
        f"{summary.rendered} rendered"
        if summary.applications
        else f"{plural(summary.rendered, 'overlay')} rendered"
    )
    if summary.hits is not None:
        line += f", {summary.hits} from the cache"
    if summary.uncacheable:
        line += f", {len(summary.uncacheable)} not cacheable"
    return line


def _by_kind(per_overlay: dict[str, dict[str, int]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for counted in per_overlay.values():
        counts.update(counted)
    return counts


def _unvalidated_lines(summary: Summary) -> list[str]:
    """Custom resources validated by a schema and those left unvalidated, by kind."""
    lines = []
    validated = _by_kind(summary.validated)
    if validated:
        lines += [
            f"{plural(sum(validated.values()), 'custom resource')} validated against a CRD schema:",
            *(f"  {kind}: {count}" for kind, count in sorted(validated.items())),
        ]
    counts = _by_kind(summary.unvalidated)
    if counts:
        lines += [
            f"{plural(sum(counts.values()), 'custom resource')} not validated, no schema for "
            "the kind (add the CRD, or a CRDs-catalog directory of {group}/{kind}_{version}.json "
            "schemas, with --overlays-crds PATH; --overlays-require-schemas fails them):",
            *(f"  {kind}: {count}" for kind, count in sorted(counts.items())),
        ]
    return lines


def pruned_line(pruned: Pruned, only_used: bool) -> str | None:
    """What pruning the render cache removed; None when it removed nothing by age."""
    if not pruned.files and not only_used:
        return None
    why = "this run did not use" if only_used else "no run used for 7 days"
    entries = f"{pruned.files} {'entry' if pruned.files == 1 else 'entries'}"
    return f"  render cache: {entries} {why} removed ({_size(pruned.bytes)})"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def write_summary(
    terminal: pytest.TerminalReporter,
    summary: Summary,
    cache_off: str | None,
    pruned: str | None = None,
) -> None:
    """Renders and cache use, what was not cached or validated or rendered, what was
    suppressed."""

    def write(line: str) -> None:
        # Paths, kinds and findings are the pull request's: one escaped line each.
        terminal.write_line(shown(line, LINE_LIMIT))

    terminal.write_sep("-", "k8s-overlays")
    for line in _cache_lines(summary, cache_off, pruned):
        write(line)
    for line in _unvalidated_lines(summary):
        write(line)
    if summary.argocd:
        write(f"Argo CD: {len(summary.argocd)} not rendered or evaluated here:")
        for note in sorted(summary.argocd):
            write(f"  {note}")
    _write_unexercised(write, summary)
    for unknown in sorted(summary.unknown):
        write(f"unknown: {unknown}")
    if summary.unselected:
        write(
            f"{len(summary.unselected)} of the {summary.counted} counted above not gated in "
            "this run: the paths given name others"
        )
    if summary.suppressed:
        found = plural(len(summary.suppressed), "finding")
        write(f"{found} suppressed by the {SKIP_ANNOTATION} annotation:")
        for suppressed in sorted(summary.suppressed):
            write(f"  {suppressed}")


def _cache_lines(summary: Summary, cache_off: str | None, pruned: str | None) -> list[str]:
    """Renders, cache hits, what the cache pruned, what it could not hold, why it is off."""
    lines = [_renders_line(summary)]
    if pruned:
        lines.append(pruned)
    lines += [f"  not cached: {d}: {why}" for d, why in sorted(summary.uncacheable.items())]
    if cache_off:
        lines.append(f"  {cache_off}")
    return lines


def _write_unexercised(write: Callable[[str], None], summary: Summary) -> None:
    if summary.unexercised:
        write(
            f"{plural(len(summary.unexercised), 'component')} no gated overlay uses, and "
            "nothing to render it through (no kustomization of its tree uses it, a sibling "
            "component or is its ancestor): not exercised:"
        )
        for path in sorted(summary.unexercised):
            write(f"  {path}")
