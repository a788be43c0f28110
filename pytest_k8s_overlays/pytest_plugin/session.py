"""The active gate as a pytest plugin: collection, rendering before the tests, reporting.

Registered by ``plugin.pytest_configure`` only when overlays are configured;
each hook is a few lines over the gate (:mod:`.gate`), the items
(:mod:`.collect`) and the report (:mod:`.report`).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from .. import reporting
from ..cache.entries import GRACE_SECONDS, Pruned
from ..checks import RENDER
from ..config.settings import Settings
from ..core.application_rules import APPLICATION_CHECK
from ..core.deployables import Deployable
from ..core.outcomes import RenderFailure
from ..core.paths import remember_resolutions
from ..core.resources import Overlay, OverlayNotRendered, Overlays
from ..core.text import LINE_LIMIT, shown
from ..gate.handoff import WORKERINPUT_KEY, SessionRenders
from ..gate.summary import Summary
from ..parse.kustomization import KUSTOMIZATION_FILES
from ..render.cause import reshape
from . import terminal
from .collect import (
    DeployableItem,
    deployable_files,
    did_not_render,
    make_items,
    missing_specs,
    needed_specs,
    reported_by_an_application_item,
    said_by_its_application_item,
)
from .shared import SharedFindings, tally
from .startup import build_gate
from .stash import (
    CACHE_OFF_KEY,
    NOT_CONFIGURED,
    OVERLAY_FIXTURE,
    WORKER_RECORDS_KEY,
    WORKER_SUMMARIES_KEY,
)

_LEFT_TO_THE_OS = False


def _leave_to_the_os_at_exit() -> None:
    """Have the interpreter's exit leave this process's objects to the operating system.

    Asked for by a session whose items are all the gate's own (no test of the project
    runs in it), for the rest of the process: with pytest's command line, one session
    and its process. The interpreter's exit otherwise collects the garbage of every
    object still alive, twice, which at 8,000 items took longer than pytest's whole
    unconfigure (0.5 to 0.9 s, against 0.2 s for pytest alone with as many no-op
    tests). Frozen at exit (:func:`gc.freeze`, registered once per process), objects in
    reference cycles are not finalized then, as Python allows ("it is not guaranteed
    that __del__() methods are called for objects that still exist when the interpreter
    exits"); exit handlers still run, and pytest's own collection at cleanup, under its
    unraisable-exception hook, has already run.
    """
    global _LEFT_TO_THE_OS
    if not _LEFT_TO_THE_OS:
        atexit.register(gc.freeze)
        _LEFT_TO_THE_OS = True


class _SessionOverlays(Overlays):
    """The ``overlays`` fixture's sequence: asking by name for an overlay whose render
    failed skips the test when an item of the gate that runs reports that failure (see
    :meth:`GateSession.reported_elsewhere`); it raises OverlayNotRendered otherwise."""

    def __init__(
        self,
        overlays: Iterable[Overlay],
        failures: Mapping[str, str],
        reported: Mapping[str, str | None],
    ) -> None:
        super().__init__(overlays, failures)
        self._reported = dict(reported)

    def named(self, name: str, group: str | None = None) -> Overlay:
        try:
            return super().named(name, group)
        except OverlayNotRendered:
            reason = self._reported.get(name)
            if reason is None:
                raise
            # At the test's own line, as the gate's items report their skips.
            raise pytest.skip.Exception(reason, _use_item_location=True) from None


class GateSession:
    """The gate of one pytest session (one per pytest-xdist worker too)."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        #: When the run started, before discovery renders an app-of-apps root: an entry
        #: not used since is not this run's.
        self._started = time.time()
        #: Whether collection's objects are frozen (gc.freeze), until cleanup.
        self._frozen = False
        # Registered at configure, before pytest's unraisable-exception plugin registers
        # its collection at cleanup (this plugin's configure runs first): called after it.
        config.add_cleanup(self._unfreeze)
        self.gate = build_gate(config, settings)
        self._by_anchor: dict[str, list[Deployable]] | None = None
        self._by_real: dict[Path, list[Deployable]] = {}
        #: The deployables whose items pytest's walk has collected: once each.
        self._collected: set[Deployable] = set()
        self._merged_summary: Summary | None = None
        #: The deployables the arguments left without items (``group:name``).
        self._unselected: set[str] = set()
        #: The run's finding records, once gathered for the CI outputs.
        self._records: list[reporting.Record] | None = None
        #: A pull request's own findings, which the CI outputs show first (diff mode).
        self.priority: reporting.Priority | None = None
        self._write_error: str | None = None
        #: What pruning the render cache removed, and whether it kept only this run's.
        self._pruned: tuple[Pruned, bool] | None = None
        #: The deployables whose render item runs (the others skip when it fails).
        self.render_selected: set[Deployable] = set()
        #: Those whose application item runs (an ApplicationSet's other items defer to it).
        self.application_selected: set[Deployable] = set()
        #: Why each deployable's items defer to its application item (None: they do not).
        self.application_reasons: dict[Deployable, str | None] = {}
        #: Which item shows a finding several deployables share in full.
        self.shared = SharedFindings(self.gate, config.rootpath)

    # -- collection --------------------------------------------------------------------

    def specs_at(self, path: Path, named: bool = False) -> list[Deployable]:
        """The deployables whose items are collected under the file ``path``.

        Only the path discovery found them by counts: the same file reached
        through a symlinked directory (or a symlink loop) is not collected
        again, unless the user named it (``named``).
        """
        if self._by_anchor is None:
            by_anchor: dict[str, list[Deployable]] = {}
            for spec in self.gate.item_specs:
                by_anchor.setdefault(os.path.normpath(spec.anchor.absolute()), []).append(spec)
                with contextlib.suppress(OSError):
                    self._by_real.setdefault(spec.anchor.resolve(), []).append(spec)
            self._by_anchor = by_anchor
        found = self._by_anchor.get(os.path.normpath(path), [])
        if not found and named:
            try:
                found = self._by_real.get(path.resolve(), [])
            except OSError:
                return []
        return found

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        return terminal.header(self.gate)

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        """Collect a deployable's file where pytest's own walk reaches it, so a node id
        from a report (``.../kustomization.yaml::images``) runs again."""
        if file_path.name not in KUSTOMIZATION_FILES and file_path.suffix not in (".yaml", ".yml"):
            return None  # most files: no look-up at all
        if shown(str(file_path), None) != str(file_path):
            # Under a directory name with a control character or not UTF-8, which
            # pytest's own nodes carry into reports (pytest-xdist cannot send it):
            # the items are made under the session, with escaped node ids.
            return None
        named = parent.session.isinitpath(file_path)
        specs = [s for s in self.specs_at(file_path, named) if s not in self._collected]
        if not specs:
            return None
        self._collected.update(specs)
        return deployable_files(parent, specs, self.settings.checks)[0]

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        # tryfirst: our items exist before -k, -m and --lf select among all items.
        missing = missing_specs(
            config,
            self.gate.item_specs,
            self.settings.overlays_from_cli,
            items,
            {group.name: group.root for group in self.gate.groups},
        )
        items.extend(make_items(session, missing, self.settings.checks))
        gated = {item.spec for item in items if isinstance(item, DeployableItem)}
        self._unselected = {f"{s.group}:{s.name}" for s in self.gate.specs if s not in gated}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # Only tests that reach the plugin's fixture: a test using a project's own
        # `overlay` fixture (which overrides the plugin's alias) runs once, as written.
        if OVERLAY_FIXTURE not in metafunc.fixturenames:
            return
        specs = self.gate.specs
        names = [spec.name for spec in specs]
        unique = len(set(names)) == len(names)
        ids = [spec.name if unique else f"{spec.group}:{spec.name}" for spec in specs]
        metafunc.parametrize(OVERLAY_FIXTURE, specs, ids=ids, indirect=True, scope="session")

    # -- rendering, before any test runs -------------------------------------------------

    def _prefetch(self, specs: list[Deployable]) -> None:
        with terminal.render_progress(self.config) as progress:
            self.gate.prefetch(specs, progress)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_setupnodes(self, config: pytest.Config, specs: Any) -> None:
        """Under pytest-xdist, render every deployable once, on the controller, before
        the workers start (after the report header, which this hook follows); the
        workers read these renders, cache or no cache."""
        if config.option.collectonly:
            return
        store = self.gate.store
        store.share(SessionRenders.create())
        self._prefetch(self.gate.item_specs)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Tell each pytest-xdist worker where the controller's renders are."""
        shared = self.gate.store.shared
        if shared is not None:
            node.workerinput[WORKERINPUT_KEY] = shared.to_workerinput()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if not hasattr(config, "workerinput"):
            self._write_index()
        remember_resolutions(False)
        shared = self.gate.store.shared
        if shared is not None:
            shared.remove()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Render, in parallel, every deployable a selected item needs, before any runs;
        then keep what collection made (it lives to the session's end: items, their
        deployables) out of the garbage collector's passes, which otherwise walk it
        again and again while the items run (a third of a second at 8,000 items)."""
        self._select_and_render(session)
        # What the gate read of the repository so far, it read before any test ran: a
        # test that edits files (and renders them) must find them read anew.
        remember_resolutions(False)
        if not session.config.option.collectonly:
            gc.freeze()
            self._frozen = True
            # pytest's collection at unconfigure then walks only what the items made (a
            # fifth of a second less at 8,000 items).
            if not all(isinstance(item, DeployableItem) for item in session.items):
                # A test of the project runs: unfrozen first thing at cleanup (callbacks
                # run last-in, first-out), just before pytest's last collection, which
                # finds garbage among these objects (a test may drop what its conftest
                # made) while its unraisable-exception hook and the configured warning
                # filters are still installed.
                session.config.add_cleanup(self._unfreeze)
            else:
                # Only the gate's items: unfrozen after that collection (by the callback
                # registered at configure), which then walks only what the items made too
                # (0.17 s less at 8,000 items, 0.3 s after a cold run holding every
                # render); garbage among collection's objects is left uncollected by it,
                # as at the interpreter's exit.
                _leave_to_the_os_at_exit()
                # What a group's checks read (every render of the group, after an edit)
                # lives to the end too: frozen as well, so that the collections while
                # the items run do not walk it again and again (0.07 s of collections
                # after one edit at 1,000 overlays). Only when no test of the project
                # runs: a freeze also holds back its garbage until cleanup.
                self.gate.after_group_run = self._freeze_again

    def _freeze_again(self) -> None:
        if self._frozen:
            gc.freeze()

    def _unfreeze(self) -> None:
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    @staticmethod
    def _selected(session: pytest.Session, check: str) -> set[Deployable]:
        """The deployables whose item of ``check`` this session runs."""
        return {
            item.spec
            for item in session.items
            if isinstance(item, DeployableItem) and item.check == check
        }

    def _select_and_render(self, session: pytest.Session) -> None:
        config = session.config
        self.render_selected = self._selected(session, RENDER)
        self.application_selected = self._selected(session, APPLICATION_CHECK)
        self.shared.select(
            [(item.spec, item.check) for item in session.items if isinstance(item, DeployableItem)]
        )
        if config.option.collectonly or hasattr(config, "workerinput"):
            return
        needed = needed_specs(session.items, self.gate.specs)
        if needed:
            self._prefetch(needed)

    # -- fixtures ------------------------------------------------------------------------

    def overlay_param(self, request: pytest.FixtureRequest) -> Overlay:
        """The rendered deployable a parametrized ``k8s_overlay`` test runs with."""
        spec = getattr(request, "param", None)
        if not isinstance(spec, Deployable):
            pytest.fail(NOT_CONFIGURED, pytrace=False)
        result = self.gate.store.result(spec)
        if isinstance(result, RenderFailure):
            reason = self.reported_elsewhere(spec)
            if reason is not None:
                raise pytest.skip.Exception(reason, _use_item_location=True)
            pytest.fail(reshape(result.message, self.gate.store.display_root), pytrace=False)
        return result

    def all_overlays(self) -> Overlays:
        """Every rendered deployable; failures are left out and listed."""
        specs = self.gate.specs
        self.gate.prefetch(specs)
        results = [self.gate.store.result(spec) for spec in specs]
        root = self.gate.store.display_root
        failed = [r for r in results if isinstance(r, RenderFailure)]
        return _SessionOverlays(
            (r for r in results if isinstance(r, Overlay)),
            {r.spec.name: reshape(r.message, root) for r in failed},
            {r.spec.name: self.reported_elsewhere(r.spec) for r in failed},
        )

    def reported_elsewhere(self, spec: Deployable) -> str | None:
        """Why a test of the project that needs a deployable's render, which failed, is
        skipped: an item of the gate that runs in this session reports the failure (its
        render item, or the application item of its cause). None when none runs (-k left
        it out): the test then fails with the render's message, so that a render failure
        never passes as skips alone. One cause, one failure: the project's tests over
        every overlay would otherwise repeat it once each."""
        deferred = reported_by_an_application_item(
            spec, None, self.application_selected
        ) or said_by_its_application_item(
            spec, None, self.gate, self.application_selected, self.application_reasons
        )
        if deferred is not None:
            return deferred
        return did_not_render(spec) if spec in self.render_selected else None

    # -- reporting -----------------------------------------------------------------------

    def _lists_unvalidated(self) -> bool:
        # With --overlays-require-schemas such kinds fail instead of being listed.
        return "schema" in self.settings.checks and not self.settings.options.require_schemas

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On a pytest-xdist worker, hand this worker's summary (and the records of
        its findings) to the controller; on the controller, write the CI outputs."""
        output = getattr(session.config, "workeroutput", None)
        if output is not None:
            output["k8s_overlays"] = self._own_summary().to_dict()
            if reporting.wanted(self.settings, os.environ):
                output["k8s_overlays_records"] = reporting.gather(
                    self.gate.outcomes, self.gate.store.result, self.config.rootpath
                )
            cache = self.gate.store.cache
            if cache is not None and self._prunes_to_used(session):
                cache.leave_out_unused()  # what this run did not use, as the controller
            self._write_index()
            return
        if reporting.wanted(self.settings, os.environ) and not self.config.option.collectonly:
            self._write_outputs(session)
        self._prune_cache(session)

    def _write_index(self) -> None:
        """Keep the check results this process used as its index for the next run (after
        the summary, which reads some of them: a worker's at its session's end, the
        main process's at unconfigure, after the terminal summary)."""
        cache = self.gate.store.cache
        if cache is not None and not self.config.option.collectonly:
            workerinput = getattr(self.config, "workerinput", {})
            cache.write_index(str(workerinput.get("workerid", "main")))

    def _prune_cache(self, session: pytest.Session) -> None:
        """Keep the render cache to what runs use: remove the entries no run used for
        the grace period, or, with --overlays-cache-prune after a completed run, the
        entries this run did not use (what CI saves is then what the run used)."""
        cache = self.gate.store.cache
        if cache is None or self.config.option.collectonly:
            return
        only_used = self._prunes_to_used(session)
        # What this run used is known by key (a coarse clock may date it before the run);
        # what it did not is older than its start, unless a concurrent run wrote it.
        since = self._started if only_used else time.time() - GRACE_SECONDS
        self._pruned = (cache.prune(since, only_used), only_used)

    def _prunes_to_used(self, session: pytest.Session) -> bool:
        """Whether the cache keeps only what this run used: --overlays-cache-prune, after
        a completed run."""
        completed = session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        return bool(self.settings.cache_prune and completed)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """On the pytest-xdist controller, collect a worker's summary and records."""
        workeroutput = getattr(node, "workeroutput", {})
        shared = workeroutput.get("k8s_overlays")
        if shared is not None:
            self.config.stash.setdefault(WORKER_SUMMARIES_KEY, []).append(shared)
        records = workeroutput.get("k8s_overlays_records")
        if records is not None:
            self.config.stash.setdefault(WORKER_RECORDS_KEY, []).append(records)

    def _own_summary(self) -> Summary:
        """This process's summary, with what the arguments left out of its collection."""
        summary = self.gate.summary(self.config.rootpath, self._lists_unvalidated())
        summary.unselected = set(self._unselected)
        summary.counted = len(self.gate.specs)
        return summary

    def _summary(self) -> Summary:
        """This run's summary: this process's figures and every worker's, once."""
        if self._merged_summary is None:
            config = self.config
            summary = self._own_summary()
            for shared in config.stash.get(WORKER_SUMMARIES_KEY, []):
                summary.merge(shared)
            self._merged_summary = summary
        return self._merged_summary

    def _write_outputs(self, session: pytest.Session) -> None:
        config = self.config
        parts = [reporting.gather(self.gate.outcomes, self.gate.store.result, config.rootpath)]
        merged = reporting.merge([*parts, *config.stash.get(WORKER_RECORDS_KEY, [])])
        self._records = merged[0]
        summary = self._summary()
        try:
            reporting.write_files(
                self.settings,
                (self.gate.store.renderer, self.gate.item_specs),
                merged,
                (summary.rendered, summary.hits),
                config.rootpath,
                self.priority,
            )
        except OSError as error:
            self._write_error = f"k8s-overlays: could not write a report: {error}"
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        config = terminalreporter.config
        if config.option.collectonly:
            return
        pruned = terminal.pruned_line(*self._pruned) if self._pruned is not None else None
        terminal.write_summary(
            terminalreporter, self._summary(), config.stash.get(CACHE_OFF_KEY, None), pruned
        )
        reports = terminalreporter.stats.get("failed", [])
        for line in tally([report.user_properties for report in reports]):
            terminalreporter.write_line(shown(line, LINE_LIMIT))
        if self._write_error:
            terminalreporter.write_line(self._write_error, red=True)
        if self._records is not None and self.settings.github_annotations(os.environ):
            for line in reporting.annotation_lines(self._records, priority=self.priority):
                terminalreporter.write_line(line)


__all__ = ["DeployableItem", "GateSession"]
