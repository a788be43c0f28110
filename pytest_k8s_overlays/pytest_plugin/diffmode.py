"""Pull-request mode in pytest: the diff's terminal section and files, new-only findings.

Registered by ``plugin.pytest_configure`` only with ``--overlays-diff``; the
work is :mod:`..gate.pullrequest` and the pure :mod:`..diff`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .. import reporting
from ..config.settings import BY_NAME
from ..core.findings import Finding
from ..core.paths import display_path
from ..core.resources import Overlay
from ..core.text import encodable
from ..diff import baseline, output
from ..diff.engine import Comparison
from ..diff.ignore import IgnoreRule, RuleError, parse_rule
from ..gate.pullrequest import DiffOptions, PullRequest
from ..reporting.files import write_json, write_text
from ..reporting.locate import repository_root
from ..reporting.records import finding_record, fingerprint
from ..sources import gitref
from .collect import DeployableItem
from .options import read
from .session import GateSession

#: What --overlays-diff-fail-on takes besides kinds.
FAIL_WORDS = ("any", "removed")


@dataclass(frozen=True)
class DiffSettings:
    """The pull-request mode settings."""

    ref: str
    direct: bool
    markdown: Path | None
    json: Path | None
    fail_on: tuple[str, ...]
    ignore: tuple[IgnoreRule, ...]
    new_only: bool


def _path(config: pytest.Config, name: str) -> Path | None:
    value, source = read(config, BY_NAME[name])
    if not value:
        return None
    base = config.invocation_params.dir
    if source.startswith("ini"):
        base = config.inipath.parent if config.inipath else config.rootpath
    return Path(os.path.normpath(base / os.path.expanduser(str(value))))


def diff_settings(config: pytest.Config) -> DiffSettings | None:
    """The diff settings; None without --overlays-diff; UsageError when they make no sense."""
    ref = read(config, BY_NAME["diff"])[0]
    new_only = bool(read(config, BY_NAME["new_only"])[0])
    if not ref:
        if new_only:
            raise pytest.UsageError(
                "--overlays-new-only needs --overlays-diff REF: the findings present at REF "
                "are the existing ones"
            )
        return None
    try:
        ignore = tuple(parse_rule(str(r)) for r in read(config, BY_NAME["diff_ignore"])[0])
    except RuleError as error:
        raise pytest.UsageError(f"--overlays-diff-ignore {error}") from None
    fail_on = tuple(str(w) for w in read(config, BY_NAME["diff_fail_on"])[0])
    for word in fail_on:
        if word not in FAIL_WORDS and not word[:1].isupper():
            raise pytest.UsageError(
                f"--overlays-diff-fail-on {word!r}: write any, removed, or kinds (Secret,Namespace)"
            )
    return DiffSettings(
        str(ref),
        bool(read(config, BY_NAME["diff_direct"])[0]),
        _path(config, "diff_md"),
        _path(config, "diff_json"),
        fail_on,
        ignore,
        new_only,
    )


class DiffPlugin:
    """The pull-request mode of one session (one per pytest-xdist worker too)."""

    def __init__(self, config: pytest.Config, gate: GateSession, settings: DiffSettings) -> None:
        self.config = config
        self.session = gate
        self.settings = settings
        base = gate.settings
        self.pr = PullRequest(
            gate.gate,
            config.rootpath,
            DiffOptions(
                settings.ref,
                settings.direct,
                settings.ignore,
                base.overlays,
                base.argocd,
                base.options.crds,
            ),
        )
        # Without new-only every finding fails, but the CI outputs show the new ones first.
        gate.gate.triage = self.pr.triage if settings.new_only else self.pr.classify
        self._lines: list[str] = []
        self._failed: list[str] = []
        #: With --overlays-new-only: the items left out, and of how many units.
        self._settled: tuple[int, int] = (0, 0)

    def _noun(self) -> str:
        return "Applications" if self.session.settings.argocd else "Overlays"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """With --overlays-new-only, leave out the items of units nothing of which
        changed: every finding they could report exists at the base already."""
        if not self.settings.new_only:
            return
        keep: list[pytest.Item] = []
        settled: list[pytest.Item] = []
        self.pr.prepare([i.spec for i in items if isinstance(i, DeployableItem)])
        for item in items:
            if isinstance(item, DeployableItem) and self.pr.settled(item.spec, item.check):
                settled.append(item)
            else:
                keep.append(item)
        if settled:
            config.hook.pytest_deselected(items=settled)
            items[:] = keep
            units = {item.spec for item in settled if isinstance(item, DeployableItem)}
            self._settled = (len(settled), len(units))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On the controller (or a run without workers): diff, write the files, tell."""
        output_ = getattr(self.config, "workeroutput", None)
        if output_ is not None:
            output_["k8s_overlays_existing"] = [_finding_row(f) for f in self.pr.existing]
            output_["k8s_overlays_new"] = sorted(self._new_fingerprints())
            return
        stopped = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        if self.config.option.collectonly or session.exitstatus in stopped:
            return
        comparison = self.pr.comparison(self.session.settings.jobs)
        if comparison is None:
            self._lines = [f"k8s-overlays diff: not made: {self.pr.error}"]
            if self.settings.fail_on:
                # Asked to gate on the diff, and there is none: never a silent pass, and
                # never a failure that does not say why (every item may have passed).
                self._failed = ["the diff was not made (see above), so the run fails"]
                if session.exitstatus == pytest.ExitCode.OK:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        renderer = self.session.gate.store.renderer
        command = " ".join([Path(renderer.argv[0]).name, *renderer.argv[1:]])
        header = self.pr.header(f"Kustomize {renderer.version} ({command})", self._noun())
        self._lines = output.terminal_lines(comparison, header)
        try:
            self._write(comparison, header)
        except OSError as error:
            self._lines.append(f"k8s-overlays diff: could not write a file: {error}")
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        self._failed = output.fails(comparison, self.settings.fail_on)
        if self._failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    # A second pytest_sessionfinish (pytest reads only names starting with "pytest_"):
    # before the gate's, which writes the CI outputs.
    @pytest.hookimpl(tryfirst=True, specname="pytest_sessionfinish")
    def pytest_sessionfinish_prioritise(self, session: pytest.Session) -> None:
        """Before the CI outputs are written: which findings are this change's own."""
        if getattr(self.config, "workeroutput", None) is not None:
            return
        if not reporting.wanted(self.session.settings, os.environ):
            return
        root = repository_root(self.config.rootpath)
        try:
            touched = frozenset(display_path(path, root) for path in self.pr.touched())
        except gitref.RefError:
            touched = frozenset()  # the order only: the outputs still carry every finding
        new = set(self._new_fingerprints())
        for fingerprints in self.config.stash.get(_NEW_KEY, []):
            new.update(fingerprints)
        self.session.priority = reporting.Priority(touched, frozenset(new))

    def _new_fingerprints(self) -> set[str]:
        """The record fingerprints of the new findings this process's items found."""
        roots = (self.config.rootpath, repository_root(self.config.rootpath))
        found: set[str] = set()
        for spec, item in self.pr.new:
            result = self.session.gate.store.result(spec)
            overlay = result if isinstance(result, Overlay) else None
            record = encodable(finding_record(spec, overlay, item, False, roots))
            found.add(fingerprint(record))
        return found

    def _write(self, comparison: Comparison, header: output.Header) -> None:
        root = repository_root(self.config.rootpath)
        if self.settings.markdown is not None:
            path = self.settings.markdown
            full_path = path.with_name(f"{path.stem}.full{path.suffix or '.md'}")
            shown = os.path.relpath(full_path, self.config.rootpath)
            full = output.markdown(comparison, header, limit=1 << 62)
            write_text(full_path, full, root)
            write_text(path, output.markdown(comparison, header, shown), root)
        if self.settings.json is not None:
            write_json(self.settings.json, output.as_json(comparison, header), root)

    def _existing(self) -> list[Finding]:
        found = list(self.pr.existing)
        for rows in self.config.stash.get(_EXISTING_KEY, []):
            found += [_finding_from(row) for row in rows]
        return found

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        workeroutput = getattr(node, "workeroutput", {})
        rows = workeroutput.get("k8s_overlays_existing")
        if rows is not None:
            self.config.stash.setdefault(_EXISTING_KEY, []).append(rows)
        new = workeroutput.get("k8s_overlays_new")
        if new is not None:
            self.config.stash.setdefault(_NEW_KEY, []).append([str(f) for f in new])

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.config.option.collectonly:
            return
        if self.settings.new_only:
            lines = baseline.per_rule(self._existing())
            if lines:
                terminalreporter.section("k8s-overlays: existing findings (not failed)")
                for line in lines:
                    terminalreporter.write_line(line)
            items, units = self._settled
            if items:
                terminalreporter.write_line(
                    f"k8s-overlays: --overlays-new-only: {items} items of {units} units whose "
                    "inputs did not change deselected (nothing in them can be new)"
                )
        if self._lines:
            terminalreporter.section("k8s-overlays diff")
            for line in self._lines:
                terminalreporter.write_line(line)
        for reason in self._failed:
            terminalreporter.write_line(f"--overlays-diff-fail-on: {reason}", red=True)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.pr.close()


_EXISTING_KEY = pytest.StashKey[list[list[dict[str, Any]]]]()
_NEW_KEY = pytest.StashKey[list[list[str]]]()


def _finding_row(item: Finding) -> dict[str, Any]:
    return {"check": item.check, "rule": item.rule, "overlay": item.overlay}


def _finding_from(row: dict[str, Any]) -> Finding:
    return Finding(str(row["overlay"]), "", "", str(row["check"]), str(row["rule"]), "", "")


def register(config: pytest.Config, gate: GateSession) -> None:
    """Register pull-request mode when --overlays-diff is given."""
    settings = diff_settings(config)
    if settings is not None:
        config.pluginmanager.register(DiffPlugin(config, gate, settings), "k8s-overlays-diff")


__all__ = ["DiffPlugin", "register"]
