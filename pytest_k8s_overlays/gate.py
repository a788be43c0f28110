"""The gate's session state: groups, renders and check outcomes, computed once."""

from __future__ import annotations

import hashlib
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import code_fingerprint
from .checks import CHECKS, CheckOptions
from .checks.runner import run_check
from .discovery import Group, OverlaySpec
from .findings import Finding, format_report, split_suppressed
from .model import Overlay
from .paths import display_path
from .store import OverlayStore, RenderFailure


@dataclass
class CheckOutcome:
    """What one check found in one overlay, after suppression."""

    reported: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)


class Gate:
    """Runs the built-in checks for the items, sharing every render and group run."""

    def __init__(
        self,
        groups: Sequence[Group],
        store: OverlayStore,
        options: CheckOptions,
        jobs: int = 1,
    ) -> None:
        self.groups = list(groups)
        self.store = store
        self.options = options
        self.jobs = jobs
        self._group_runs: dict[tuple[str, str], list[Finding] | Exception] = {}
        self._lock = threading.Lock()
        self.suppressed: dict[tuple[OverlaySpec, str], list[Finding]] = {}

    @property
    def specs(self) -> list[OverlaySpec]:
        return [spec for group in self.groups for spec in group.overlays]

    def group_of(self, spec: OverlaySpec) -> Group:
        return next(g for g in self.groups if g.name == spec.group)

    def rendered_group(self, group: Group) -> list[Overlay]:
        """The overlays of a group that rendered; the others fail their own items."""
        self.store.prefetch(group.overlays, self.jobs)
        results = [self.store.result(spec) for spec in group.overlays]
        return [r for r in results if isinstance(r, Overlay)]

    def _result_key(self, check_id: str, specs: Sequence[OverlaySpec]) -> str | None:
        """The cache key of a check's findings on ``specs``: their render keys, the
        check, its options, the code and schemas that judge, and the display root."""
        cache = self.store.cache
        if cache is None or not CHECKS[check_id].cache_findings:
            return None
        keys = [self.store.key_of(spec) for spec in specs]
        if any(key is None for key in keys):
            return None
        parts = [code_fingerprint(), check_id, repr(self.options), str(self.store.display_root)]
        if self.options.crds:
            parts.append(cache.files_key(self.options.crds))
        parts += [f"{spec.name}\0{key}" for spec, key in zip(specs, keys, strict=True)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _run_cached(
        self, check_id: str, specs: Sequence[OverlaySpec], overlays: list[Overlay]
    ) -> list[Finding]:
        cache = self.store.cache
        # Only complete inputs are cached: a group with an overlay that failed to
        # render this time (a timeout, say) may look different next time.
        key = self._result_key(check_id, specs) if len(overlays) == len(specs) else None
        if cache is not None and key is not None:
            found = cache.get_findings(key)
            if found is not None:
                return found
        found = run_check(CHECKS[check_id], overlays, self.options)
        if cache is not None and key is not None:
            cache.put_findings(key, found)
        return found

    def _findings(self, spec: OverlaySpec, overlay: Overlay, check_id: str) -> list[Finding]:
        check = CHECKS[check_id]
        if check.scope == "overlay":
            return self._run_cached(check_id, [spec], [overlay])
        key = (spec.group, check_id)
        with self._lock:
            if key not in self._group_runs:
                group = self.group_of(spec)
                try:
                    self._group_runs[key] = self._run_cached(
                        check_id, group.overlays, self.rendered_group(group)
                    )
                except Exception as error:  # remembered: one crash, reported per item
                    self._group_runs[key] = error
            found = self._group_runs[key]
        if isinstance(found, Exception):
            raise found
        return [f for f in found if f.overlay == spec.name]

    def outcome(self, spec: OverlaySpec, check_id: str) -> CheckOutcome | RenderFailure:
        """Run one check on one overlay; a render failure is returned as such."""
        result = self.store.result(spec)
        if isinstance(result, RenderFailure):
            return result
        reported, suppressed = split_suppressed(self._findings(spec, result, check_id), [result])
        if suppressed:
            self.suppressed[(spec, check_id)] = suppressed
        return CheckOutcome(reported, suppressed)

    def summary(self, root: Path, unvalidated: bool) -> Summary:
        """This process's share of the terminal summary; ``unvalidated`` adds the
        custom kinds the schema check had no schema for."""
        store = self.store
        result = Summary(rendered=store.rendered)
        if store.cache is not None:
            result.hits = store.cache.hits
            result.uncacheable = {
                display_path(directory, root): why
                for directory, why in store.cache.uncacheable.items()
            }
        result.suppressed = {
            f"{f.overlay} [{check}] {f.line()}"
            for (_, check), found in self.suppressed.items()
            for f in found
        }
        if unvalidated:
            from .checks.schema.check import unvalidated_kinds

            for rendered in store.results():
                if isinstance(rendered, Overlay):
                    counts = unvalidated_kinds(rendered, self.options)
                    if counts:
                        result.unvalidated[f"{rendered.group}:{rendered.name}"] = counts
        return result

    def failure_message(self, spec: OverlaySpec, check_id: str) -> str | None:
        """The failure text of one item, or None when it passes."""
        try:
            outcome = self.outcome(spec, check_id)
        except Exception as error:
            return crash_message(spec.name, check_id, error)
        if isinstance(outcome, RenderFailure):
            return outcome.message
        if not outcome.reported:
            return None
        return format_report(spec.name, check_id, outcome.reported, CHECKS[check_id].rules)


@dataclass
class Summary:
    """What the terminal summary reports, mergeable across pytest-xdist workers."""

    rendered: int = 0
    hits: int | None = None
    uncacheable: dict[str, str] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)
    #: Custom kinds with no schema, per overlay (so workers that both rendered
    #: one overlay count it once).
    unvalidated: dict[str, dict[str, int]] = field(default_factory=dict)

    def merge(self, other: dict[str, Any]) -> None:
        """Add a worker's summary (as sent by to_dict)."""
        self.rendered += int(other.get("rendered", 0))
        if other.get("hits") is not None:
            self.hits = (self.hits or 0) + int(other["hits"])
        self.uncacheable.update(other.get("uncacheable", {}))
        self.suppressed.update(other.get("suppressed", []))
        self.unvalidated.update(other.get("unvalidated", {}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rendered": self.rendered,
            "hits": self.hits,
            "uncacheable": self.uncacheable,
            "suppressed": sorted(self.suppressed),
            "unvalidated": self.unvalidated,
        }


def crash_message(overlay: str, check_id: str, error: BaseException) -> str:
    """Say plainly that a check crashed (a bug of ours, not the user's), and where."""
    innermost = traceback.extract_tb(error.__traceback__)[-3:]
    where = [f"  at {Path(f.filename).name}:{f.lineno} in {f.name}" for f in innermost]
    return "\n".join(
        [
            f"{overlay}: the {check_id} check crashed: {type(error).__name__}: {error}",
            *where,
            "This is a bug in pytest-k8s-overlays, not in your overlay: please report it "
            "with the manifest that triggers it. Other checks still ran; "
            f"--overlays-skip-check {check_id} leaves this one out meanwhile.",
        ]
    )
