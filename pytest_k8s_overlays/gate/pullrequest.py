"""Pull-request mode: the base side of a diff, and which findings a change introduced.

The base commit (REF, or its merge base with HEAD) is written to a private
directory (:mod:`..sources.gitref`) and discovered with the same settings as
the work tree. Units are matched by key (group and name; an Application's
name and destination). A unit whose inputs hash alike on both sides is
unchanged: it is not rendered again, and on the base side it is the head's
render (its findings are the same). Everything else renders from the base's
files with the same renderer and arguments.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..checks import CHECKS
from ..core.deployables import COMPONENT, Deployable, Group
from ..core.findings import Finding
from ..core.outcomes import CheckOutcome, RenderFailure
from ..core.paths import display_path
from ..diff import baseline
from ..diff.engine import Comparison, Side, compare
from ..diff.ignore import IgnoreRule, argocd_rules
from ..diff.output import Header
from ..sources import gitref
from ..sources.kustomize.overlays import shown_path
from . import diffside
from .state import Gate


@dataclass(frozen=True)
class DiffOptions:
    """What to compare with, and how."""

    ref: str
    direct: bool = False
    ignore: tuple[IgnoreRule, ...] = ()
    #: Overlay roots and Argo CD instances as given, each with its base directory.
    overlays: tuple[tuple[str, Path], ...] = ()
    argocd: tuple[tuple[str, Path], ...] = ()
    #: The CRD files the schema check reads (--overlays-crds): a change to one may
    #: change the findings of a unit whose own inputs did not change.
    crds: tuple[Path, ...] = ()


def unit_key(spec: Deployable) -> str:
    """What matches a unit across the two sides: its group and name (an Application:
    its name and destination)."""
    if spec.application is not None:
        server, name, namespace = spec.application.destination
        return f"{spec.name} -> {name or server or '?'}/{namespace or '-'}"
    suffix = " (Component)" if spec.kind == COMPONENT else ""
    return f"{shown_path(spec.group, spec.name, spec.path)}{suffix}"


@dataclass
class BaseSide:
    """The base commit, written out and discovered."""

    commit: str
    how: str
    root: Path
    groups: list[Group]
    store: diffside.BorrowingStore
    #: Base unit by key.
    by_key: dict[str, Deployable] = field(default_factory=dict)
    #: Base Applications by group and name, the names found once: an Application
    #: whose destination moved keeps its name (Argo CD knows it by it).
    by_name: dict[tuple[str, str], Deployable] = field(default_factory=dict)
    #: Base units whose inputs hash as the head's, with that head unit.
    borrowed: dict[Deployable, Deployable] = field(default_factory=dict)
    gate: Gate | None = None
    #: Whether every CRD file the checks read holds the same on both sides.
    same_crds: bool = True
    #: The keys of the units whose inputs hash alike, and each group's keys.
    unchanged_keys: frozenset[str] = frozenset()
    group_keys: dict[str, frozenset[str]] = field(default_factory=dict)


class PullRequest:
    """The base side, made on first use, shared by the diff and the new-only triage."""

    def __init__(self, gate: Gate, rootpath: Path, options: DiffOptions) -> None:
        self.head = gate
        self.rootpath = rootpath
        self.options = options
        self._base: BaseSide | None = None
        self._error: str | None = None
        self._lock = threading.RLock()
        self._tmp: str | None = None
        self._hashes: dict[Deployable, str | None] = {}
        self._group_keys: dict[str, frozenset[str]] = {}
        #: How many head units each unit key names (a duplicate names one twice).
        self._head_keys: Counter[str] | None = None
        #: How many head Applications each group and name names.
        self._head_names: Counter[tuple[str, str]] | None = None
        #: Whether each head unit is the base's, defined where it was (see _same_definition).
        self._same: dict[Deployable, bool] = {}
        #: Existing findings (not new in this change) that the triage let pass.
        self.existing: list[Finding] = []
        #: New findings (not at the base) the triage or the classification saw.
        self.new: list[tuple[Deployable, Finding]] = []

    # -- the base side -------------------------------------------------------------------

    def base(self) -> BaseSide | None:
        """The base side, or None (and :attr:`error` says why) when it cannot be made."""
        with self._lock:
            if self._base is None and self._error is None:
                try:
                    self._base = self._make_base()
                except (gitref.RefError, OSError, ValueError) as error:
                    self._error = f"--overlays-diff {self.options.ref}: {error}"
            return self._base

    @property
    def error(self) -> str | None:
        return self._error

    def _rebased(self, base: Path, top: Path, root: Path) -> Path:
        real = Path(os.path.normpath(base))
        if real == top or top in real.parents:
            return root / real.relative_to(top)
        return real  # a root the user named outside the repository: theirs, as it is

    def _make_base(self) -> BaseSide:
        top = gitref.toplevel(self.rootpath)
        commit = gitref.commit_of(top, self.options.ref)
        how = f"{self.options.ref}"
        if not self.options.direct:
            commit = gitref.merge_base(top, commit)
            how = f"merge base of {self.options.ref}"
        self._tmp = tempfile.mkdtemp(prefix="k8s-overlays-base-")
        root = Path(self._tmp) / "repo"
        root.mkdir(mode=0o700)
        gitref.materialise(top, commit, root)
        rootpath = self._rebased(self.rootpath, top, root)
        store = diffside.BorrowingStore(self.head.store, rootpath, {})
        groups = self._discover(top, root, rootpath, store)
        side = BaseSide(commit, how, rootpath, groups, store)
        names: Counter[tuple[str, str]] = Counter()
        for group in groups:
            for spec in (*group.overlays, *group.components):
                side.by_key.setdefault(unit_key(spec), spec)
                if spec.application is not None:
                    names[(spec.group, spec.name)] += 1
                    side.by_name[(spec.group, spec.name)] = spec
        side.by_name = {name: s for name, s in side.by_name.items() if names[name] == 1}
        side.borrowed = self._unchanged(side)
        store.borrow(side.borrowed)
        side.unchanged_keys = frozenset(unit_key(s) for s in side.borrowed.values())
        for key, spec in side.by_key.items():
            side.group_keys[spec.group] = side.group_keys.get(spec.group, frozenset()) | {key}
        side.same_crds = all(_same_file(p, self._rebased(p, top, root)) for p in self.options.crds)
        return side

    def _discover(
        self, top: Path, root: Path, rootpath: Path, store: diffside.BorrowingStore
    ) -> list[Group]:
        from ..sources.kustomize.components import with_components
        from ..sources.kustomize.overlays import DiscoveryError, discover_all

        overlays, names = [], {}
        for value, base in self.options.overlays:
            rebased = self._value(value, top, root)
            names[rebased] = value
            overlays.append((rebased, self._rebased(base, top, root)))
        try:
            found = with_components(discover_all(overlays, "--overlays", rootpath))
        except DiscoveryError as error:
            raise ValueError(f"at the base commit: {error}") from None
        # A group is named by its value as given: an absolute one names the head's path.
        groups = [_renamed(group, names.get(group.name, group.name)) for group in found]
        for value, base in self.options.argocd:
            where = (self._value(value, top, root), self._rebased(base, top, root))
            groups += self._argocd(value, where, rootpath, store)
        return groups

    def _value(self, value: str, top: Path, root: Path) -> str:
        """An absolute value inside the repository names the same place in the base."""
        if not os.path.isabs(value):
            return value
        return str(self._rebased(Path(value), top, root))

    def _argocd(
        self,
        value: str,
        where: tuple[str, Path],
        rootpath: Path,
        store: diffside.BorrowingStore,
    ) -> list[Group]:
        from ..sources.argocd.discovery import ArgoSettings, InstanceError, discover_instance

        head = next((i for i in self.head.instances if i.value == value), None)
        argo = ArgoSettings(
            head.repo.urls if head is not None else (),
            timeout=self.head.store.timeout,
        )
        try:
            instance = discover_instance(*where, rootpath, argo, store.documents)
        except InstanceError as error:
            raise ValueError(f"at the base commit: {error}") from None
        return instance.groups

    def _hash(self, spec: Deployable) -> str | None:
        if spec not in self._hashes:
            self._hashes[spec] = diffside.input_hash(spec, self.head.store.build_args)
        return self._hashes[spec]

    def _unchanged(self, side: BaseSide) -> dict[Deployable, Deployable]:
        borrowed: dict[Deployable, Deployable] = {}
        for spec in self.head.item_specs:
            theirs = side.by_key.get(unit_key(spec))
            if theirs is None:
                continue
            mine = self._hash(spec)
            if mine is not None and mine == self._hash(theirs):
                borrowed[theirs] = spec
        return borrowed

    # -- the diff ------------------------------------------------------------------------

    def header(self, renderer: str, noun: str) -> Header:
        side = self.base()
        base = side.commit[:12] if side is not None else "?"
        how = side.how if side is not None else self.options.ref
        try:
            head = gitref.head_name(self.rootpath)
        except gitref.RefError:
            head = "the work tree"
        cost = ""
        if side is not None:
            rendered = side.store.stats().rendered
            same = len(side.borrowed)
            cost = (
                f"base side: {rendered} rendered, {same} unchanged by their inputs' "
                "content (not rendered again)"
            )
        return Header(base, head, how, renderer, noun, cost)

    def comparison(self, jobs: int) -> Comparison | None:
        """Every unit of both sides compared; None when the base side cannot be made."""
        side = self.base()
        if side is None:
            return None
        heads = {unit_key(s): s for s in self.head.item_specs}
        borrowed_keys = {unit_key(h) for h in side.borrowed.values()}
        head_todo = [s for k, s in heads.items() if k not in borrowed_keys]
        base_todo = [s for k, s in side.by_key.items() if k not in borrowed_keys]
        self.head.prefetch(head_todo)
        side.store.prefetch(base_todo, jobs)
        after = {
            key: diffside.side_of(self.head.store, spec, self._hash(spec), key not in borrowed_keys)
            for key, spec in heads.items()
        }
        before = {
            key: diffside.side_of(side.store, spec, self._hash(spec), key not in borrowed_keys)
            for key, spec in side.by_key.items()
        }
        after = {k: _with_rules(s, heads[k], self.options.ignore) for k, s in after.items()}
        before = {k: _with_rules(s, side.by_key[k], self.options.ignore) for k, s in before.items()}
        return compare(before, after)

    # -- new or existing findings ---------------------------------------------------------

    def _base_gate(self, side: BaseSide) -> Gate:
        if side.gate is None:
            side.gate = Gate(side.groups, side.store, self.head.options, self.head.jobs)
        return side.gate

    def _all_existing(self, side: BaseSide, spec: Deployable, check_id: str) -> bool:
        """Whether nothing the check reads of ``spec`` changed: its unit (or its whole
        group, for a check that compares a group's units) hashes alike on both sides."""
        if not side.same_crds:
            return False
        if CHECKS[check_id].scope == "overlay":
            return unit_key(spec) in side.unchanged_keys
        keys = self._head_group_keys(spec.group)
        theirs = side.group_keys.get(spec.group, frozenset())
        return keys == theirs and keys <= side.unchanged_keys

    def _head_group_keys(self, group: str) -> frozenset[str]:
        with self._lock:
            if group not in self._group_keys:
                specs = [
                    s
                    for g in self.head.groups
                    if g.name == group
                    for s in (*g.overlays, *g.components)
                ]
                self._group_keys[group] = frozenset(unit_key(s) for s in specs)
            return self._group_keys[group]

    def settled(self, spec: Deployable, check_id: str) -> bool:
        """Whether the item can hold no new finding: nothing its check reads changed,
        or (a unit that did not change, in a group that did) the check's run on both
        sides finds nothing new in it."""
        side = self.base()
        if side is None or self._base_of(side, spec) is None:
            return False
        if not self._same_definition(side, spec):
            return False
        if self._all_existing(side, spec, check_id):
            return True
        if CHECKS[check_id].scope == "overlay" or unit_key(spec) not in side.unchanged_keys:
            return False
        try:
            outcome = self.head.outcome(spec, check_id)
            if isinstance(outcome, RenderFailure):
                return False
            known = self.known(spec, check_id)
        except Exception:
            return False  # the item runs, and says what went wrong
        return known is None or not baseline.split(outcome.reported, known)[0]

    def _same_definition(self, side: BaseSide, spec: Deployable) -> bool:
        """Whether ``spec`` is the base's unit of its key, defined where it was: one head
        unit of that key, from the same file. An Application a pull request adds under
        a name and destination another already has (a duplicate) matched that one's
        unit, unchanged inputs and all: never settled, its items run."""
        known = self._same.get(spec)
        if known is not None:
            return known  # asked once per unit, not once per item
        key = unit_key(spec)
        with self._lock:
            if self._head_keys is None:
                self._head_keys = Counter(unit_key(s) for s in self.head.item_specs)
        theirs = self._base_of(side, spec)
        try:
            same = (
                self._head_keys[key] == 1
                and theirs is not None
                and display_path(spec.anchor, self.rootpath)
                == display_path(theirs.anchor, side.root)
            )
        except ValueError:
            same = False
        self._same[spec] = same
        return same

    def _base_of(self, side: BaseSide, spec: Deployable) -> Deployable | None:
        """The base's unit of ``spec``: of its key, or (an Application whose destination
        moved) of its group and name, when each side has one Application of that name."""
        found = side.by_key.get(unit_key(spec))
        if found is not None or spec.application is None:
            return found
        with self._lock:
            if self._head_names is None:
                self._head_names = Counter(
                    (s.group, s.name) for s in self.head.item_specs if s.application is not None
                )
        if self._head_names[(spec.group, spec.name)] != 1:
            return None
        return side.by_name.get((spec.group, spec.name))

    def prepare(self, specs: Sequence[Deployable]) -> None:
        """Render (from the cache, mostly) what telling settled items needs, in parallel:
        the head's units and the base's changed ones."""
        side = self.base()
        if side is None:
            return
        self.head.prefetch(specs)
        side.store.prefetch(list(side.by_key.values()), self.head.jobs)

    def known(self, spec: Deployable, check_id: str) -> set[str] | None:
        """The fingerprints the base side has for this unit and check; None: all of
        them (nothing it reads changed)."""
        side = self.base()
        if side is None:
            return set()
        base_spec = self._base_of(side, spec)
        if base_spec is None or not self._same_definition(side, spec):
            return set()  # a unit the base does not have: everything it finds is new
        if self._all_existing(side, spec, check_id):
            return None
        with self._lock:
            outcome = self._base_gate(side).outcome(base_spec, check_id)
        if isinstance(outcome, RenderFailure):
            return set()
        return {baseline.fingerprint(f) for f in (*outcome.reported, *outcome.suppressed)}

    def triage(self, spec: Deployable, check_id: str, outcome: CheckOutcome) -> CheckOutcome:
        """Keep the new findings reported; the existing ones are counted, not failed."""
        new, existing = self._split(spec, check_id, outcome)
        with self._lock:
            self.existing += existing
        return CheckOutcome(new, outcome.suppressed)

    def classify(self, spec: Deployable, check_id: str, outcome: CheckOutcome) -> CheckOutcome:
        """Note which findings are new (for the CI outputs' order); fail on all of them."""
        self._split(spec, check_id, outcome)
        return outcome

    def _split(
        self, spec: Deployable, check_id: str, outcome: CheckOutcome
    ) -> tuple[list[Finding], list[Finding]]:
        """(new, existing) of the reported findings; the new ones noted in :attr:`new`."""
        if not outcome.reported:
            return [], []
        try:
            known = self.known(spec, check_id)
        except Exception:
            known = set()  # the base side could not judge: every finding is new
        new: list[Finding]
        existing: list[Finding]
        if known is None:
            new, existing = [], list(outcome.reported)
        else:
            new, existing = baseline.split(outcome.reported, known)
        with self._lock:
            self.new += [(spec, item) for item in new]
        return new, existing

    def touched(self) -> set[Path]:
        """The files the change touched (from the base commit to the work tree,
        uncommitted changes too), as absolute paths; none without a base side."""
        side = self.base()
        if side is None:
            return set()
        top = gitref.toplevel(self.rootpath)
        return {top / name for name in gitref.touched(top, side.commit)}

    def close(self) -> None:
        """Remove the base side's files."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _renamed(group: Group, name: str) -> Group:
    if group.name == name:
        return group
    overlays = tuple(replace(s, group=name) for s in group.overlays)
    components = tuple(replace(s, group=name) for s in group.components)
    return replace(group, name=name, overlays=overlays, components=components)


def _same_file(head: Path, base: Path) -> bool:
    """Whether two files (or directories of files) hold the same."""
    try:
        if head.is_dir() or base.is_dir():
            mine = {p.relative_to(head): p.read_bytes() for p in head.rglob("*") if p.is_file()}
            theirs = {p.relative_to(base): p.read_bytes() for p in base.rglob("*") if p.is_file()}
            return mine == theirs
        return head.read_bytes() == base.read_bytes()
    except OSError:
        return False


def _with_rules(side: Side, spec: Deployable, rules: Sequence[IgnoreRule]) -> Side:
    """The unit's side with the ignore rules given, and its Application's ignoreDifferences."""
    own: list[IgnoreRule] = []
    skipped: list[str] = []
    facts = spec.application
    if facts is not None and facts.ignore_differences:
        try:
            entries = json.loads(facts.ignore_differences)
        except ValueError:
            entries = []
        own, skipped = argocd_rules(facts.ref, entries if isinstance(entries, list) else [])
    if not rules and not own:
        return side
    return Side(side.resources, side.failure, side.input_hash, (*rules, *own), tuple(skipped))
