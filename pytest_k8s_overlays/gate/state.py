"""The gate's session state: groups, renders and check outcomes, computed once."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import code_fingerprint
from ..checks import CHECKS, RENDER, CheckOptions
from ..checks.runner import run_check
from ..core.applications import KUSTOMIZE
from ..core.deployables import Deployable, Group, unique_names
from ..core.findings import Finding, format_report, split_suppressed
from ..core.outcomes import CheckOutcome, RenderFailure
from ..core.paths import display_path
from ..core.presumed import Presumed
from ..core.resources import Overlay
from ..core.text import LINE_LIMIT, shown, shown_lines
from ..parse.kustomization import read_kustomization
from ..render.cause import reshape
from .store import OverlayStore, Progress
from .summary import Summary, crash_message

if TYPE_CHECKING:
    from ..sources.argocd.discovery import Instance


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
        self.suppressed: dict[tuple[Deployable, str], list[Finding]] = {}
        #: The Argo CD instances discovered (``--overlays-argocd``).
        self.instances: list[Instance] = []
        self._repeated: set[str] | None = None
        self._by_name: dict[str, Group] | None = None
        self._repeated_in_group: set[tuple[str, str]] = set()
        #: What each item run in this process found: the CI outputs' input.
        self.outcomes: dict[tuple[Deployable, str], CheckOutcome | RenderFailure] = {}
        #: Deployables that did not render while others of their group were checked:
        #: what depends on their objects is unknown, and the summary says so.
        self.unknown: set[str] = set()
        #: Pull-request mode's --overlays-new-only: keeps the findings a change introduced.
        self.triage: Callable[[Deployable, str, CheckOutcome], CheckOutcome] | None = None
        #: Called after a group's check ran over its renders (read back from the cache
        #: after an edit): they live to the session's end, and the pytest session keeps
        #: them out of the garbage collector's passes.
        self.after_group_run: Callable[[], None] | None = None

    @property
    def specs(self) -> list[Deployable]:
        return [spec for group in self.groups for spec in group.overlays]

    @property
    def components(self) -> list[Deployable]:
        """The Components no gated overlay uses, each rendered through a consumer."""
        return [spec for group in self.groups for spec in group.components]

    @property
    def item_specs(self) -> list[Deployable]:
        """Everything that gets test items: the overlays, then the unused Components."""
        return self.specs + self.components

    def label(self, spec: Deployable) -> str:
        """A deployable's name in failure headers, unique: with its group when the name
        repeats across groups (``info (deploy/overlays/prod)``), with the file that
        defines it when it repeats within one (two Argo CD Applications of one name)."""
        if self._repeated is None:
            counts = Counter(s.name for s in self.specs)
            in_group = Counter((s.group, s.name) for s in self.specs)
            self._repeated = {name for name, count in counts.items() if count > 1}
            self._repeated_in_group = {key for key, count in in_group.items() if count > 1}
        if (spec.group, spec.name) in self._repeated_in_group:
            name = self._unique_name(spec)
            return f"{name} ({display_path(spec.anchor, self.store.display_root)})"
        return f"{spec.name} ({spec.group})" if spec.name in self._repeated else spec.name

    def _unique_name(self, spec: Deployable) -> str:
        """Its name as its collector has it (``dup-auth[2]`` for the second of one file)."""
        defined = [s for s in self.specs if s.anchor == spec.anchor]
        names = unique_names(defined)
        return next(
            (n for s, n in zip(defined, names, strict=True) if s is spec),
            spec.name,
        )

    def group_of(self, spec: Deployable) -> Group:
        if self._by_name is None:
            self._by_name = {}
            for group in self.groups:
                self._by_name.setdefault(group.name, group)
        return self._by_name[spec.group]

    def prefetch(self, specs: Sequence[Deployable], progress: Progress | None = None) -> None:
        """Render ``specs`` in parallel (``jobs`` at a time), telling ``progress``."""
        self.store.prefetch(specs, self.jobs, progress)

    def rendered_group(self, group: Group) -> list[Overlay]:
        """The deployables of a group that rendered; the others fail their own items."""
        self.prefetch(group.overlays)
        results = [self.store.result(spec) for spec in group.overlays]
        return [r for r in results if isinstance(r, Overlay)]

    def _result_key(self, what: str, specs: Sequence[Deployable]) -> str | None:
        """The cache key of ``what`` a check (its id) found on ``specs``: their render keys
        and definitions, the check, its options, the code and schemas that judge, and
        the display root. None when a spec has no render key (it failed, or is not
        cacheable)."""
        cache = self.store.cache
        if cache is None:
            return None
        keys = [self.store.key_of(spec) for spec in specs]
        if any(key is None for key in keys):
            return None
        parts = [code_fingerprint(), what, repr(self.options), str(self.store.display_root)]
        if self.options.crds:
            parts.append(cache.files_key(self.options.crds))
        # The whole definition (group, name, path, an Application's facts): what a check
        # reports may quote any of it.
        parts += [f"{spec!r}\0{key}" for spec, key in zip(specs, keys, strict=True)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _stored(self, check_id: str, specs: Sequence[Deployable]) -> list[Finding] | None:
        """A check's findings on ``specs`` as the cache holds them, renders unread; None
        when they are not there (a unit failed, changed, or was never checked so)."""
        cache = self.store.cache
        if cache is None or not CHECKS[check_id].cache_findings:
            return None
        for spec in specs:
            if isinstance(self.store.state_of(spec), str):
                return None
        key = self._result_key(check_id, specs)
        return cache.get_findings(key) if key is not None else None

    def _run(
        self,
        check_id: str,
        specs: Sequence[Deployable],
        overlays: list[Overlay],
        options: CheckOptions | None = None,
    ) -> list[Finding]:
        """Run one check on rendered units, keeping its findings for unchanged renders."""
        options = options or self.options
        cache = self.store.cache
        # Only complete inputs are cached: a group with a unit that failed to
        # render this time (a timeout, say) may look different next time.
        complete = len(overlays) == len(specs) and CHECKS[check_id].cache_findings
        key = self._result_key(check_id, specs) if complete else None
        found = run_check(CHECKS[check_id], overlays, options)
        if cache is not None and key is not None:
            cache.put_findings(key, found)
        return found

    def _group_run(self, group: Group, check_id: str) -> list[Finding]:
        key = (group.name, check_id)
        with self._lock:
            if key not in self._group_runs:
                try:
                    self.prefetch(group.overlays)
                    stored = self._stored(check_id, group.overlays)
                    if stored is None:
                        rendered = self.rendered_group(group)
                        options = self._with_failures(group, rendered)
                        stored = self._run(check_id, group.overlays, rendered, options)
                        if self.after_group_run is not None:
                            self.after_group_run()
                    self._group_runs[key] = stored
                except Exception as error:  # remembered: one crash, reported per item
                    self._group_runs[key] = error
            found = self._group_runs[key]
        if isinstance(found, Exception):
            raise found
        return found

    def _with_failures(self, group: Group, rendered: list[Overlay]) -> CheckOptions:
        """The options of a group run: the units that did not render are presumed to
        deploy what the others expect of them (in their kustomization's namespace, or
        anywhere), so nothing that depends on their objects becomes a finding."""
        failed = [s for s in group.overlays if not isinstance(self.store.result(s), Overlay)]
        if not failed or not rendered:
            return self.options
        presumed = []
        for spec in failed:
            why = f"{self.label(spec)} did not render"
            self.unknown.add(f"{why} (what {group.name} expects of it is not judged)")
            presumed.append(Presumed(group.name, _namespace_of(spec), why))
        return dataclasses.replace(self.options, presumed=(*self.options.presumed, *presumed))

    def _findings(self, spec: Deployable, check_id: str) -> list[Finding]:
        if CHECKS[check_id].scope == "overlay":
            found = self._stored(check_id, [spec])
            if found is None:
                found = self._run(check_id, [spec], [self._checked(spec)])
            return found
        return [f for f in self._group_run(self.group_of(spec), check_id) if f.overlay == spec.name]

    def _checked(self, spec: Deployable) -> Overlay:
        """What a check runs on: the rendered deployable, or (it did not render, and the
        check does not need its objects) the deployable with no resources."""
        result = self.store.result(spec)
        if isinstance(result, RenderFailure):
            return Overlay(spec.name, spec.group, spec.path, spec.kustomization, deployable=spec)
        return result

    def outcome(self, spec: Deployable, check_id: str) -> CheckOutcome | RenderFailure:
        """Run one check on one deployable; a render failure is returned as such. A render
        left in the cache is read only when the check's findings are not stored with it,
        or some need its objects (to tell which are suppressed)."""
        if isinstance(self.store.state_of(spec), str) and CHECKS[check_id].needs_render:
            result = self.store.result(spec)
            assert isinstance(result, RenderFailure)
            return result
        found = self._findings(spec, check_id)
        if not found:
            return CheckOutcome([], [])
        reported, suppressed = split_suppressed(found, [self._checked(spec)])
        if suppressed:
            self.suppressed[(spec, check_id)] = suppressed
        return CheckOutcome(reported, suppressed)

    def failure_message(self, spec: Deployable, check_id: str) -> str | None:
        """The failure text of one item, or None when it passes."""
        try:
            outcome = self.outcome(spec, check_id)
        except Exception as error:
            message = crash_message(spec.name, check_id, error)
            return shown_lines(self.store.without_secrets(spec.path, message, error))
        if self.triage is not None and isinstance(outcome, CheckOutcome):
            outcome = self.triage(spec, check_id, outcome)
        self.outcomes[(spec, check_id)] = outcome
        if isinstance(outcome, RenderFailure):
            # Kustomize's message quotes the pull request's files and names.
            reshaped = reshape(outcome.message, self.store.display_root)
            return _with_source(spec, shown_lines(reshaped))
        if not outcome.reported:
            return None
        return self.report(spec, check_id, outcome.reported)

    def report(self, spec: Deployable, check_id: str, findings: Sequence[Finding]) -> str:
        """The failure text of ``findings`` of one item."""
        report = format_report(spec.name, check_id, findings, CHECKS[check_id].rules)
        return _with_source(spec, report)

    def fired_rules(self, spec: Deployable, check_id: str) -> list[str]:
        """The rules an item's run reported (``render`` when the deployable did not render)."""
        outcome = self.outcomes.get((spec, check_id))
        if isinstance(outcome, RenderFailure):
            return [RENDER]
        return sorted({f.rule for f in outcome.reported}) if outcome is not None else []

    def summary(self, root: Path, unvalidated: bool) -> Summary:
        """This process's share of the terminal summary; ``unvalidated`` adds the
        custom kinds the schema check had no schema for."""
        stats = self.store.stats()
        result = Summary(rendered=stats.rendered, hits=stats.hits)
        result.applications = any(spec.application is not None for spec in self.specs)
        result.unknown = set(self.unknown)
        result.argocd = {f"{i.value}: {note}" for i in self.instances for note in i.notes}
        result.unexercised = {
            display_path(path, root) for group in self.groups for path in group.unexercised
        }
        result.uncacheable = {
            display_path(directory, root): why for directory, why in stats.uncacheable.items()
        }
        result.suppressed = {
            f"{f.overlay} [{check}] {f.line()}"
            for (_, check), found in self.suppressed.items()
            for f in found
        }
        if unvalidated:
            for spec in self.store.asked():
                kinds = self._custom_kinds(spec)
                if kinds is None:
                    continue
                validated, counts = kinds
                name = f"{spec.group}:{spec.name}"
                if validated:
                    result.validated[name] = validated
                if counts:
                    result.unvalidated[name] = counts
        return result

    def _custom_kinds(self, spec: Deployable) -> tuple[dict[str, int], dict[str, int]] | None:
        """The custom kinds of a rendered deployable validated by a schema and those not
        (None: it did not render), kept in the cache beside its findings."""
        if isinstance(self.store.state_of(spec), str):
            return None
        cache = self.store.cache
        key = self._result_key("custom-kinds", [spec]) if cache is not None else None
        if cache is not None and key is not None:
            stored = cache.get_facts(key)
            if stored is not None:
                return stored
        rendered = self.store.result(spec)
        if not isinstance(rendered, Overlay):
            return None
        # Imported only here: a warm run, which reads the counts back, never loads schemas.
        from ..checks.schema.check import custom_kinds

        kinds = custom_kinds(rendered, self.options)
        if cache is not None and key is not None:
            cache.put_facts(key, kinds)
        return kinds


def _namespace_of(spec: Deployable) -> str | None:
    """The one namespace a deployable's objects land in: the ``namespace:`` Kustomize
    forces (its kustomization's, or an Application's ``kustomize.namespace``); None
    (any namespace) otherwise, or for an Application of several sources or another type."""
    directory = spec.kustomization
    if spec.recipe is not None:
        sources = spec.recipe.sources
        if len(sources) != 1 or sources[0].type != KUSTOMIZE:
            return None
        override = sources[0].overrides.get("namespace")
        if isinstance(override, str) and override:
            return override
    namespace = read_kustomization(directory).get("namespace")
    return namespace if isinstance(namespace, str) and namespace else None


def _with_source(spec: Deployable, message: str) -> str:
    """An Application's failure names its source below the first line."""
    if spec.application is None:
        return message
    first, _, rest = message.partition("\n")
    source = f"  source: {shown(spec.application.source, LINE_LIMIT)}"
    return "\n".join(part for part in (first, source, rest) if part)
