"""Render each deployable once per session, in parallel, and keep the results.

The store ties three parts together: :mod:`.scheduling` (the thread pool and
Ctrl-C), :mod:`.cached` (the render cache's get, put and verify) and
:mod:`.handoff` (the pytest-xdist controller's renders, read by its workers).
What it renders are render units (:mod:`..render.units`); it never asks which
kind.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import RenderCache
from ..cache.key import Seen
from ..core.defaults import DEFAULT_TIMEOUT
from ..core.deployables import Deployable
from ..core.outcomes import RenderFailure
from ..core.resources import Overlay
from ..parse.kustomization import kustomization_file
from ..render import processes
from ..render.engine import Renderer, RenderError
from ..render.redact import Redactor
from ..render.units import ApplicationUnit, Outcome, Rendered, RenderUnit, unit_of
from .cached import CachedRenders, Deferred, StoreStats
from .handoff import Handoff, SessionRenders
from .scheduling import Progress, run_all

if TYPE_CHECKING:
    from ..core.applications import Recipe
    from ..parse.crds import GroupKind

__all__ = ["OverlayStore", "Progress", "RenderResult", "StoreStats", "render_crash"]

RenderResult = Overlay | RenderFailure


def render_crash(error: BaseException) -> str:
    """Say plainly that rendering crashed (a bug of ours, not the user's), and where."""
    innermost = traceback.extract_tb(error.__traceback__)[-2:]
    where = "; ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in innermost)
    return (
        f"the gate crashed while rendering: {type(error).__name__}: {error} (at {where}). "
        "This is a bug in pytest-k8s-overlays, not in your overlay: please report it with "
        "the kustomization that triggers it. The other overlays are not affected."
    )


class OverlayStore:
    """Render results for the session: each render unit (an overlay directory, an Argo CD
    recipe, a Component through its consumer) is built at most once per process, and
    once per session under pytest-xdist, where workers read the controller's renders."""

    def __init__(
        self,
        renderer: Renderer,
        build_args: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        display_root: Path | None = None,
        env: dict[str, str] | None = None,
        cache: RenderCache | None = None,
        keep_origins: bool = False,
        crd_files: Sequence[Path] = (),
    ) -> None:
        self.renderer = renderer
        self.build_args = tuple(build_args)
        self.timeout = timeout
        self.display_root = display_root or Path.cwd()
        self.env = env
        self.cache = cache
        self.keep_origins = keep_origins
        self.crd_files = tuple(crd_files)
        self.cached = CachedRenders(cache, timeout, self.display_root)
        self.handoff = Handoff(self.display_root, keep_origins)
        #: Each unit by identity: the first one asked for renders for all.
        self._units: dict[str, RenderUnit] = {}
        self._outcomes: dict[str, Outcome | Deferred] = {}
        self._by_spec: dict[Deployable, RenderResult] = {}
        self._asked: dict[Deployable, None] = {}
        self._spec_units: dict[Deployable, RenderUnit] = {}
        #: Units keyed by prefetch that must render: their key and what it read.
        self._keyed: dict[str, tuple[str | None, Seen]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        processes.reset()

    @property
    def shared(self) -> SessionRenders | None:
        """Under pytest-xdist: the renders the controller hands to the workers."""
        return self.handoff.shared

    @shared.setter
    def shared(self, shared: SessionRenders | None) -> None:
        self.handoff.shared = shared

    # -- what callers ask for ----------------------------------------------------

    def result(self, spec: Deployable) -> RenderResult:
        """Return the rendered deployable, or why it failed; render on first use."""
        known = self._by_spec.get(spec)
        if known is not None:
            return known
        self._asked.setdefault(spec, None)
        outcome = self.outcome(self._unit_of(spec))
        result: RenderResult
        if isinstance(outcome, str):
            result = RenderFailure(spec, f"{spec.name}: {outcome}")
        else:
            result = Overlay(
                spec.name,
                spec.group,
                spec.path,
                spec.kustomization,
                outcome,
                self.display_root,
                deployable=spec,
            )
        with self._guard:
            return self._by_spec.setdefault(spec, result)

    def results(self) -> list[RenderResult]:
        """The deployables rendered (or failed) so far, without rendering any more."""
        with self._guard:
            return list(self._by_spec.values())

    def state_of(self, spec: Deployable) -> Outcome | Deferred:
        """A deployable's outcome, its render left in the cache when it is there (Deferred:
        read by :meth:`result` when something needs its objects)."""
        self._asked.setdefault(spec, None)
        return self.state(self._unit_of(spec))

    def _unit_of(self, spec: Deployable) -> RenderUnit:
        """The render unit of a deployable, made once (its identity resolves its path)."""
        unit = self._spec_units.get(spec)
        if unit is None:
            unit = self._spec_units.setdefault(spec, unit_of(spec))
        return unit

    def asked(self) -> list[Deployable]:
        """The deployables this process rendered, failed, or found in the cache so far."""
        return list(self._asked)

    def key_of(self, spec: Deployable) -> str | None:
        """The content key of a rendered deployable, or None when it is not cacheable."""
        return self.cached.key_of(self._unit_of(spec).identity)

    def stats(self) -> StoreStats:
        """A copy of this session's figures."""
        return self.cached.stats()

    def prefetch(
        self, specs: Iterable[Deployable], jobs: int, progress: Progress | None = None
    ) -> None:
        """Render every spec not rendered yet, ``jobs`` at a time."""
        units: dict[str, RenderUnit] = {}
        for spec in specs:
            if spec not in self._by_spec:
                unit = self._unit_of(spec)
                units.setdefault(unit.identity, unit)
        todo = [units[identity] for identity in sorted(units.keys() - self._outcomes.keys())]
        # Keys here, in this thread: a warm run's units are all in the cache, and keying
        # is Python work that threads would only take turns at. What must render starts
        # as soon as it is keyed, ``jobs`` at a time, while the next ones are keyed.
        builds = (unit for unit in todo if not self._settled(unit))
        run_all(builds, self.state, jobs, progress)

    def render_path(self, path: Path | str, name: str | None = None) -> Overlay:
        """Render any kustomization directory on demand; raise RenderError on failure."""
        directory = Path(path).resolve()
        kfile = kustomization_file(directory)
        if kfile is None:
            raise RenderError(f"{path}: no kustomization file in {directory}")
        result = self.result(Deployable(name or directory.name, "", directory, kfile))
        if isinstance(result, RenderFailure):
            raise RenderError(result.message)
        return result

    def documents(self, recipe: Recipe) -> Outcome:
        """The normalised resources of an Argo CD recipe, rendered on first use (an
        app-of-apps root's children are found this way)."""
        return self.outcome(ApplicationUnit(recipe))

    def share(self, shared: SessionRenders) -> None:
        """On the controller: hand the workers every render from now on, and those made
        already (an app-of-apps root rendered at discovery)."""
        self.shared = shared
        with self._guard:
            made = list(self._outcomes.items())
        for identity, outcome in made:
            self.handoff.put(identity, outcome, self.cached.key_of(identity))

    # -- what a unit renders with (see render.units.Workshop) -----------------------

    def outcome(self, unit: RenderUnit) -> Outcome:
        """A unit's outcome, made once per session (the first unit of its identity's), its
        render read from the cache now if it was left there."""
        state = self.state(unit)
        if not isinstance(state, Deferred):
            return state
        with self._locks[unit.identity]:
            state = self._outcomes[unit.identity]
            if isinstance(state, Deferred):
                state = self._outcomes[unit.identity] = self._read(
                    self._units[unit.identity], state
                )
            return state

    def state(self, unit: RenderUnit) -> Outcome | Deferred:
        """A unit's outcome, made once per session, its render left in the cache when it is
        there: keyed and known good, but not read."""
        unit, lock = self._claim(unit)
        with lock:
            if unit.identity not in self._outcomes:
                made = self._once(unit)
                assert made is not None  # built: never left for later
                self._outcomes[unit.identity] = made
            return self._outcomes[unit.identity]

    def counted(self) -> None:
        """Count one render run."""
        self.cached.counted()

    def scopes(self) -> Mapping[GroupKind, bool]:
        """The scopes of the kinds the CRD files given declare."""
        from ..parse.crds import file_scopes

        return file_scopes(self.crd_files)

    # -- rendering -----------------------------------------------------------------

    def _claim(self, unit: RenderUnit) -> tuple[RenderUnit, threading.Lock]:
        """The unit of this identity that renders for all (the first asked for), and its
        lock."""
        with self._guard:
            unit = self._units.setdefault(unit.identity, unit)
            return unit, self._locks.setdefault(unit.identity, threading.Lock())

    def _settled(self, unit: RenderUnit) -> bool:
        """Settle a unit unless it must render: True when its outcome is known (refused,
        failed, in the cache, handed over); False when it renders (keyed already)."""
        unit, lock = self._claim(unit)
        with lock:
            if unit.identity not in self._outcomes:
                made = self._once(unit, build=False)
                if made is None:
                    return False
                self._outcomes[unit.identity] = made
            return True

    def _once(self, unit: RenderUnit, build: bool = True) -> Outcome | Deferred | None:
        """Make a unit's outcome once per session: under pytest-xdist the controller makes
        it and hands it over, the workers read it. Whatever goes wrong is this unit's
        failure (shown against its directory), never the session's. None, when not
        ``build``: it must render (its key is kept for then)."""
        handed = self.handoff.get(unit.identity)
        if handed is not None:
            # Not counted again in the summary.
            self.cached.keep_key(unit.identity, handed[1])
            return handed[0]
        try:
            outcome = self._make(unit, build=build)
        except Exception as error:
            outcome = self._crash(unit.directory or self.display_root, error)
        if outcome is None:
            return None
        self.handoff.put(unit.identity, outcome, self.cached.key_of(unit.identity))
        return outcome

    def _read(self, unit: RenderUnit, deferred: Deferred) -> Outcome:
        """A deferred unit's outcome: its cached render, or (the entry went bad or away
        since) a fresh one."""
        try:
            parsed = self.cached.get(unit, deferred.key, counted=False)
            if parsed is None:
                made = self._make(unit, defer=False)
                assert made is not None
                assert not isinstance(made, Deferred)
                return made
            unit.finish(parsed, self)
            return self.handoff.resources(unit.identity, parsed)
        except Exception as error:
            return self._crash(unit.directory or self.display_root, error)

    def _make(
        self, unit: RenderUnit, defer: bool = True, build: bool = True
    ) -> Outcome | Deferred | None:
        keyed = self._keyed.pop(unit.identity, None)
        if keyed is None:
            refused = unit.refused(self)
            if refused is not None:
                return refused
            # Keying has its own bound (half the timeout, see CachedRenders.key).
            seen: Seen = {}
            key = self.cached.key(unit, time.monotonic(), seen)
            deferred = self.cached.defer(unit, key) if defer else None
            if deferred is not None:
                return deferred
            if not build:
                self._keyed[unit.identity] = (key, seen)
                return None
        else:
            key, seen = keyed
        # One deadline for the build (and a rebuild for a better error), and the check
        # that no input changed meanwhile: from when it starts, not when it was keyed.
        deadline = time.monotonic() + self.timeout
        parsed = self.cached.get(unit, key)
        if parsed is None:
            made = unit.render(self, deadline)
            if not isinstance(made, Rendered):
                return made  # a failure (never cached: a fix must show at once), or reused
            parsed = made.parsed
            self.cached.put(unit, key, seen, deadline, made)
        unit.finish(parsed, self)
        return self.handoff.resources(unit.identity, parsed)

    def _crash(self, directory: Path, error: Exception) -> str:
        """The failure of an overlay whose rendering crashed, with no Secret value in it."""
        return self.without_secrets(directory, render_crash(error), error)

    def without_secrets(self, directory: Path, message: str, error: BaseException) -> str:
        """A crash's message (ours: it quotes ``error``) with every value of the
        overlay's Secret sources hidden."""
        try:
            return Redactor(directory, self.display_root).scrub(message)
        except Exception:
            # Nothing can say which values to hide: keep where it happened only.
            return message.replace(f": {error}", "", 1)
