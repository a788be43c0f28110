"""The zero-code gate's test items: one per deployable and check.

Items hang under the file that defines their deployable: an overlay's
kustomization file holds that overlay's items directly
(``k8s/overlays/auth/kustomization.yaml::images``); a file defining several
deployables (an Argo CD ApplicationSet) holds one collector per deployable
(``clusters/dev/appset.yaml::dev-api-auth::images``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..checks import CHECKS, RENDER
from ..core.application_rules import APPLICATION_CHECK, SOURCE_PATH, UNRESOLVED_TEMPLATE
from ..core.deployables import Deployable, unique_names
from ..core.findings import Finding
from ..core.outcomes import CheckOutcome
from ..core.paths import resolved
from ..core.text import shown
from ..render.units import unit_of
from .marker import MARKER
from .shared import tally_properties
from .stash import OVERLAY_FIXTURE, SESSION_KEY

if TYPE_CHECKING:
    from ..gate.state import Gate


class CheckFailed(Exception):
    """A contract or render failure: reported as its message, with no traceback."""


class DeployableItem(pytest.Item):
    """One built-in check run on one deployable (``.../kustomization.yaml::images``)."""

    def __init__(self, *, spec: Deployable, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(MARKER)
        # -k matches node names; the deployable's name and group are not among them.
        names = {spec.name, spec.group, *spec.name.split("/")}
        self.extra_keyword_matches.update(shown(name, None) for name in names)
        # JUnit XML <properties>, so that CI dashboards can group failures.
        self.user_properties += [
            ("check", self.name),
            ("overlay", shown(spec.name)),
            ("group", shown(spec.group)),
        ]

    @property
    def check(self) -> str:
        return self.name

    def runtest(self) -> None:
        active = self.config.stash[SESSION_KEY]
        gate = active.gate
        selected = active.application_selected
        deferred = reported_by_an_application_item(
            self.spec, self.check, selected
        ) or said_by_its_application_item(
            self.spec, self.check, gate, selected, active.application_reasons
        )
        if deferred is not None:
            raise pytest.skip.Exception(deferred, _use_item_location=True)
        message = gate.failure_message(self.spec, self.check)
        rules = gate.fired_rules(self.spec, self.check)
        # One cause, one failure: the render item says why; the others would repeat it
        # word for word. Only when that item runs here (not deselected by -k).
        failed_render = message is not None and rules == [RENDER] and self.check != RENDER
        if failed_render and self.spec in active.render_selected:
            # Reported at the item (its kustomization file), as a skip marker is, not
            # at this line of the plugin.
            raise pytest.skip.Exception(did_not_render(self.spec), _use_item_location=True)
        if rules:
            self.user_properties.append(("rules", ",".join(rules)))
        outcome = gate.outcomes.get((self.spec, self.check))
        if message is not None and isinstance(outcome, CheckOutcome) and outcome.reported:
            # One cause, one finding: what an earlier item shows in full, one line here.
            verdict = active.shared.verdict(self.spec, self.check, outcome.reported)
            self.user_properties += tally_properties(verdict)
            if verdict.elsewhere or verdict.later:
                message = active.shared.message(self.spec, self.check, verdict)
        if message is not None and self.check == RENDER:
            # One cause, one failure: a base every overlay using it fails on.
            message = active.shared.render_message(self.spec, message)
        if message is not None:
            raise CheckFailed(message)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, CheckFailed):
            return failure_repr(self, str(excinfo.value))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int, str]:
        # An int line (0: the file itself): pytest's skip and skipif markers
        # report an item at its line and assert that it has one.
        label = self.config.stash[SESSION_KEY].gate.label(self.spec)
        return _shown_path(self.config.rootpath, self.path), 0, f"{shown(label)} [{self.check}]"


def did_not_render(spec: Deployable) -> str:
    """Why an item (or a test of the project) that needs a deployable's render skips: it
    failed, and its render item, which runs, says why."""
    return f"{spec.name} did not render: see its render item"


def reported_by_an_application_item(
    spec: Deployable, check: str | None, selected: set[Deployable]
) -> str | None:
    """Why an item of ``check`` (None: a test of the project, which needs the render)
    defers to an ``application`` item that runs here (``selected``), which reports the
    same cause with its rule; None when it does not (-k left that item out, or there is
    no such cause). One cause, one failure:

    - an ApplicationSet (or a manifest file) that generates nothing: its own
      application item says why;
    - an app of apps' root whose directory source fails on a manifest file that is
      not valid YAML: that file's application item says so, naming the root. The
      root's items that need no render (its spec's problems) still run.
    """
    recipe = spec.recipe
    if recipe is None:
        return None
    if recipe.explained and check != APPLICATION_CHECK and spec in selected:
        return f"{spec.name} generates nothing: see its application item"
    blocked = recipe.blocked_by
    if (
        blocked is not None
        and (check is None or CHECKS[check].needs_render)
        and any((other.group, other.name) == blocked[:2] for other in selected)
    ):
        return (
            f"{spec.name} renders nothing while {blocked[2]} is not valid YAML: "
            f"see {blocked[1]} [application]"
        )
    return None


#: Where an unresolved template key leaves nothing of the render to judge: what Argo CD
#: renders, and where to (not a key of the Application's labels).
_RENDERED_FROM = ("spec.source", "spec.destination")


def _leaves_nothing_to_judge(finding: Finding) -> bool:
    """Whether an Application's own finding leaves nothing of its render to judge: Argo
    CD renders a path that is not there, or "<no value>" where the template names a key
    its generator lacks (a namespace no object could be in)."""
    return finding.rule == SOURCE_PATH or (
        finding.rule == UNRESOLVED_TEMPLATE and finding.path.startswith(_RENDERED_FROM)
    )


#: Each deployable's reason to defer to its application item, or None (asked once).
Memo = dict[Deployable, "str | None"]


def said_by_its_application_item(
    spec: Deployable, check: str | None, gate: Gate, selected: set[Deployable], memo: Memo
) -> str | None:
    """Why an item of ``check`` that needs the render (None: a test of the project)
    defers to the Application's own ``application`` item, which runs here (``selected``)
    and reports what leaves the render nothing to judge; None when it does not. One
    cause, one failure: a template key misspelt gave its Applications a schema finding
    per object ("<no value>" is no namespace), a wrong source path a render failure.
    ``memo`` keeps each deployable's answer (its items ask one after another)."""
    if spec.recipe is None or spec not in selected or check == APPLICATION_CHECK:
        return None
    if check is not None and not CHECKS[check].needs_render:
        return None
    if spec not in memo:
        memo[spec] = _nothing_to_judge(spec, gate)
    return memo[spec]


def _nothing_to_judge(spec: Deployable, gate: Gate) -> str | None:
    try:
        outcome = gate.outcome(spec, APPLICATION_CHECK)
    except Exception:  # the application item reports its own crash
        return None
    if not isinstance(outcome, CheckOutcome):
        return None
    rules = sorted({f.rule for f in outcome.reported if _leaves_nothing_to_judge(f)})
    if not rules:
        return None
    return (
        f"{spec.name} [{', '.join(rules)}]: nothing of its render to judge; "
        "see its application item"
    )


def failure_repr(item: pytest.Item, message: str) -> Any:
    """A failure as pytest's own reports are built: the message, and a crash
    location whose first line is the message's, so that every ``--tb`` style,
    ``-r`` summary, JUnit XML and pytest-xdist show the message once and whole.

    pytest has no public API for this: a plain string is cut to 50 characters
    by ``--tb=line`` (pytest 8) or printed twice (pytest 9), and only these
    classes survive pytest-xdist's serialisation. Should they move, the
    message is returned as it is.
    """
    try:
        from _pytest._code.code import (
            ReprEntryNative,
            ReprExceptionInfo,
            ReprFileLocation,
            ReprTraceback,
        )
    except ImportError:  # pragma: no cover - a future pytest
        return message

    crash = ReprFileLocation(item.location[0], 1, message)
    if item.config.getoption("tbstyle", "auto") == "line":
        # pytest prints the crash line itself: the entries stay empty, or the
        # message would show twice (pytest 9) or not at all (pytest 8).
        return ReprExceptionInfo(reprtraceback=ReprTraceback([], None, "line"), reprcrash=crash)
    entry = ReprEntryNative([message + "\n"])
    return ReprExceptionInfo(reprtraceback=ReprTraceback([entry], None, "native"), reprcrash=crash)


#: The name earlier versions gave the item class.
OverlayCheckItem = DeployableItem


def _check_items(
    parent: pytest.Collector, spec: Deployable, checks: Sequence[str]
) -> list[pytest.Item]:
    # A unit whose objects are not its own (a Component rendered through a consumer)
    # proves only that it renders.
    chosen = checks if unit_of(spec).judged else [c for c in checks if c == RENDER]
    return [
        DeployableItem.from_parent(parent, name=check, spec=spec)
        for check in chosen
        if CHECKS[check].applies_to(spec.kind)
    ]


class DeployableCollector(pytest.Collector):
    """One deployable of a file that defines several: the parent of its check items."""

    spec: Deployable
    checks: Sequence[str]

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return list(_check_items(self, self.spec, self.checks))


class DeployableFile(pytest.File):
    """A file that defines deployables: the parent of their items."""

    specs: Sequence[Deployable]
    checks: Sequence[str]

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        if len(self.specs) == 1 and self.specs[0].defined_in is None:
            return list(_check_items(self, self.specs[0], self.checks))
        children: list[pytest.Item | pytest.Collector] = []
        for spec, name in zip(self.specs, unique_names(self.specs), strict=True):
            child = DeployableCollector.from_parent(self, name=name)
            child.spec = spec
            child.checks = self.checks
            children.append(child)
        return children


def deployable_files(
    parent: pytest.Collector, specs: Sequence[Deployable], checks: Sequence[str]
) -> list[DeployableFile]:
    """One collector per file defining ``specs``, under ``parent``, in order."""
    by_anchor: dict[Path, list[Deployable]] = {}
    for spec in specs:
        by_anchor.setdefault(spec.anchor, []).append(spec)
    files = []
    for anchor, defined in by_anchor.items():
        file = DeployableFile.from_parent(
            parent, path=anchor, name=_name(parent, anchor), nodeid=_nodeid(parent, anchor)
        )
        file.specs = defined
        file.checks = checks
        files.append(file)
    return files


def _nodeid(parent: pytest.Collector, anchor: Path) -> str | None:
    """A file outside the rootdir is named relative to it (``../other/kustomization.yaml``):
    pytest would name every such file ``::kustomization.yaml``, one id for all of them.
    A directory name with a control character (or not UTF-8) is escaped: node ids are
    printed, and written unescaped into the JUnit XML's ``classname``."""
    root = parent.config.rootpath
    relative = Path(os.path.relpath(anchor, root)).as_posix()
    escaped = shown(relative, None)
    try:
        anchor.relative_to(root)
    except ValueError:
        return escaped
    return escaped if escaped != relative else None  # pytest's own


def _name(parent: pytest.Collector, anchor: Path) -> str:
    """The name pytest gives a file node (relative to its parent), escaped: a node's
    name is a keyword of its items, which pytest-xdist sends as UTF-8."""
    try:
        name = anchor.relative_to(parent.path).as_posix() if parent.path != anchor else anchor.name
    except ValueError:
        name = anchor.name
    return shown(name, None)


@lru_cache(maxsize=1 << 14)
def _shown_path(root: Path, path: Path) -> Path:
    """``path`` as its node id shows it: the JUnit XML's ``file`` is written unescaped.
    Remembered: every item of a file asks (8,000 items of 1,000 overlays)."""
    relative = Path(os.path.relpath(path, root)).as_posix()
    escaped = shown(relative, None)
    return path if escaped == relative else root / escaped


def _report_collection(session: pytest.Session, node: pytest.Collector) -> Iterator[pytest.Item]:
    """Collect ``node`` like pytest would, reporting it, and yield its items."""
    collected = node.collect()
    # Report the collection like any other file, so "collected N items",
    # -k/-m counts and xdist see these items.
    report = pytest.CollectReport(node.nodeid, "passed", None, list(collected))
    session.ihook.pytest_collectreport(report=report)
    for child in collected:
        if isinstance(child, pytest.Item):
            yield child
        elif isinstance(child, pytest.Collector):
            yield from _report_collection(session, child)


def make_items(
    session: pytest.Session, specs: Sequence[Deployable], checks: Sequence[str]
) -> list[pytest.Item]:
    """Build the items of deployables that pytest's own collection did not reach."""
    items: list[pytest.Item] = []
    for file in deployable_files(session, specs, checks):
        items.extend(_report_collection(session, file))
    return items


def _under(paths: Sequence[Path], target: Path) -> bool:
    return any(path == target or path in target.parents for path in paths)


def _named_by_directories(
    directories: Sequence[Path], specs: Sequence[Deployable], roots: Mapping[str, Path]
) -> list[Deployable]:
    """What directory arguments gate: the deployables under them; every deployable of
    a group whose root (its ``--overlays`` value, its Argo CD instance) one of them
    holds, wherever its file lies (an app-of-apps child); every group none reaches."""
    reached = {s.group for s in specs if _under(directories, s.anchor.resolve())}
    whole = {name for name, root in roots.items() if _under(directories, root.resolve())}
    return [
        spec
        for spec in specs
        if spec.group in whole
        or spec.group not in reached
        or _under(directories, spec.anchor.resolve())
    ]


def missing_specs(
    config: pytest.Config,
    specs: Sequence[Deployable],
    from_cli: bool,
    items: list[pytest.Item],
    roots: Mapping[str, Path],
) -> list[Deployable]:
    """The deployables whose items pytest's own collection did not produce, and should have.

    ``roots`` are the groups' roots by group name. A node id or a file naming gate
    items (a kustomization file) limits the gate to those; single tests named
    (``path::test``) while the overlays come from the ini file run alone. A
    directory limits the groups it reaches into to what it holds, unless it holds
    the group's root: ``pytest k8s/overlays/auth`` gates auth, and ``pytest
    clusters/dev`` every Application the instance clusters/dev deploys. A group
    no argument reaches is gated whole, as with no arguments (``pytest``, ``pytest
    tests/``, testpaths): every deployable the header counts is gated.
    """
    base = config.invocation_params.dir
    # Only what the user named selects: the invocation directory pytest walks
    # by default, or testpaths, name no overlay (a group outside them still counts).
    named = config.args if config.args_source == pytest.Config.ArgsSource.ARGS else []
    plain = [(base / arg).resolve() for arg in named if "::" not in arg]
    node_ids = [(base / arg.split("::")[0]).resolve() for arg in named if "::" in arg]
    directories = [path for path in plain if path.is_dir()]
    exact = [*node_ids, *(path for path in plain if not path.is_dir())]

    def under(named: list[Path], spec: Deployable) -> bool:
        return bool(named) and _under(named, resolved(spec.anchor))

    if any(under(exact, spec) for spec in specs):
        # pytest collected what the arguments name; add what its walk skipped
        # (norecursedirs), but not beside a node id, which selects exactly.
        wanted = [s for s in specs if under(plain, s) and not under(node_ids, s)]
    elif any(under(directories, spec) for spec in specs):
        wanted = _named_by_directories(directories, specs, roots)
    elif node_ids and not from_cli:
        wanted = []
    else:
        wanted = list(specs)
    have = {item.spec for item in items if isinstance(item, DeployableItem)}
    return [spec for spec in wanted if spec not in have]


def needed_specs(items: list[pytest.Item], specs: Sequence[Deployable]) -> list[Deployable]:
    """The deployables the selected items render: their own, or all for ``overlays``."""
    needed: dict[Deployable, None] = {}
    for item in items:
        if isinstance(item, DeployableItem):
            needed[item.spec] = None
        elif "overlays" in getattr(item, "fixturenames", ()):
            return list(specs)
        else:
            callspec = getattr(item, "callspec", None)
            param = callspec.params.get(OVERLAY_FIXTURE) if callspec is not None else None
            if isinstance(param, Deployable):
                needed[param] = None
    return list(needed)
