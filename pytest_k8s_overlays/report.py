"""What the gate prints: the header, the rendering progress, the summary."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from .discovery import OverlaySpec
from .findings import SKIP_ANNOTATION, plural
from .gate import Gate, Summary


def header(gate: Gate) -> list[str]:
    """The report header line: overlays, groups and the renderer."""
    return [
        f"k8s-overlays: {plural(len(gate.specs), 'overlay')} in "
        f"{plural(len(gate.groups), 'group')}; renderer: {gate.store.renderer.describe()}"
    ]


def prefetch(config: pytest.Config, gate: Gate, specs: list[OverlaySpec]) -> None:
    """Render ``specs`` in parallel, with a progress line when it takes a while."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not reporter.isatty:
        gate.store.prefetch(specs, gate.jobs)
        return
    terminal: pytest.TerminalReporter = reporter
    start = time.monotonic()

    def progress(done: int, total: int) -> None:
        if time.monotonic() - start > 0.5:
            terminal.rewrite(f"rendering overlays: {done}/{total}", bold=True)

    gate.store.prefetch(specs, gate.jobs, progress)
    if time.monotonic() - start > 0.5:
        terminal.rewrite("", erase=True)


def write_summary(
    terminal: pytest.TerminalReporter, summary: Summary, cache_off: str | None
) -> None:
    """Renders and cache use, what was not cached or validated, what was suppressed."""
    write = terminal.write_line
    terminal.write_sep("-", "k8s-overlays")
    line = f"{plural(summary.rendered, 'overlay')} rendered"
    if summary.hits is not None:
        line += f", {summary.hits} from the cache"
    if summary.uncacheable:
        line += f", {len(summary.uncacheable)} not cacheable"
    write(line)
    for directory, why in sorted(summary.uncacheable.items()):
        write(f"  not cached: {directory}: {why}")
    if cache_off:
        write(f"  {cache_off}")
    counts: Counter[str] = Counter()
    for per_overlay in summary.unvalidated.values():
        counts.update(per_overlay)
    if counts:
        write(
            f"{plural(sum(counts.values()), 'custom resource')} not validated, no schema for "
            "the kind (add the CRD with --overlays-crds PATH; --overlays-require-schemas "
            "fails them):"
        )
        for kind, count in sorted(counts.items()):
            write(f"  {kind}: {count}")
    if summary.suppressed:
        found = plural(len(summary.suppressed), "finding")
        write(f"{found} suppressed by the {SKIP_ANNOTATION} annotation:")
        for suppressed in sorted(summary.suppressed):
            write(f"  {suppressed}")
