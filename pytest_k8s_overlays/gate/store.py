"""Render each deployable once per session, in parallel, and keep the results."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import Entry, RenderCache, Uncacheable, json_exact
from ..cache.entries import read_parsed
from ..cache.inputs import Budget
from ..cache.key import Seen
from ..core.defaults import DEFAULT_TIMEOUT
from ..core.deployables import Deployable
from ..core.outcomes import RenderFailure
from ..core.resources import Overlay, Resource
from ..parse.documents import Parsed, ParseError, parse_render, to_resources
from ..parse.kustomization import kustomization_file
from ..render import processes
from ..render.engine import Renderer, RenderError
from ..render.redact import Redactor
from ..render.units import ApplicationUnit, Outcome, Rendered, RenderUnit, unit_of
from .handoff import SessionRenders

if TYPE_CHECKING:
    from ..core.applications import Recipe
    from ..parse.crds import GroupKind


RenderResult = Overlay | RenderFailure

#: Told how many renders are done, out of how many: a progress line.
Progress = Callable[[int, int], None]


def render_crash(error: BaseException) -> str:
    """Say plainly that rendering crashed (a bug of ours, not the user's), and where."""
    innermost = traceback.extract_tb(error.__traceback__)[-2:]
    where = "; ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in innermost)
    return (
        f"the gate crashed while rendering: {type(error).__name__}: {error} (at {where}). "
        "This is a bug in pytest-k8s-overlays, not in your overlay: please report it with "
        "the kustomization that triggers it. The other overlays are not affected."
    )


@dataclass
class StoreStats:
    """What the store did this session: renders run, cache hits, what it could not cache."""

    rendered: int = 0
    #: None when there is no cache at all.
    hits: int | None = None
    uncacheable: dict[Path, str] = field(default_factory=dict)


#: How long the main thread waits for renders before it looks for a Ctrl-C again.
_TICK = 0.2


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
        #: Under pytest-xdist: the renders the controller hands to the workers.
        self.shared: SessionRenders | None = None
        self._stats = StoreStats(hits=0 if cache is not None else None)
        #: The cache key of every unit (by identity) rendered with a usable key.
        self._keys: dict[str, str] = {}
        #: Each unit by identity: the first one asked for renders for all.
        self._units: dict[str, RenderUnit] = {}
        self._outcomes: dict[str, Outcome] = {}
        #: On the pytest-xdist controller: parsed renders waiting to be handed over.
        self._parsed: dict[str, Parsed] = {}
        self._by_spec: dict[Deployable, RenderResult] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        processes.reset()

    # -- what callers ask for ----------------------------------------------------

    def result(self, spec: Deployable) -> RenderResult:
        """Return the rendered deployable, or why it failed; render on first use."""
        known = self._by_spec.get(spec)
        if known is not None:
            return known
        outcome = self.outcome(unit_of(spec))
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

    def key_of(self, spec: Deployable) -> str | None:
        """The content key of a rendered deployable, or None when it is not cacheable."""
        return self._keys.get(unit_of(spec).identity)

    def stats(self) -> StoreStats:
        """A copy of this session's figures."""
        with self._guard:
            return replace(self._stats, uncacheable=dict(self._stats.uncacheable))

    def prefetch(
        self, specs: Iterable[Deployable], jobs: int, progress: Progress | None = None
    ) -> None:
        """Render every spec not rendered yet, ``jobs`` at a time."""
        units: dict[str, RenderUnit] = {}
        for spec in specs:
            if spec not in self._by_spec:
                unit = unit_of(spec)
                units.setdefault(unit.identity, unit)
        todo = [units[identity] for identity in sorted(units.keys() - self._outcomes.keys())]
        if not todo:
            return
        done = 0
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            pending = {pool.submit(self.outcome, unit) for unit in todo}
            while pending:
                # Waits of a bounded time: Ctrl-C's SIGINT may be delivered to a render
                # thread, and a wait with no timeout would not see it until a render
                # ended (minutes, for a hung one); with one, it is seen within a tick.
                finished, pending = wait(pending, timeout=_TICK, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()
                    done += 1
                    if progress is not None:
                        progress(done, len(todo))
        except BaseException:
            # Ctrl-C: kill the renders now rather than wait for each to end (up to
            # its timeout), and start no more.
            processes.kill_all()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()

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

    # -- what a unit renders with (see render.units.Workshop) -----------------------

    def outcome(self, unit: RenderUnit) -> Outcome:
        """A unit's outcome, made once per session (the first unit of its identity's)."""
        with self._guard:
            unit = self._units.setdefault(unit.identity, unit)
            lock = self._locks.setdefault(unit.identity, threading.Lock())
        with lock:
            if unit.identity not in self._outcomes:
                self._outcomes[unit.identity] = self._once(unit)
            return self._outcomes[unit.identity]

    def counted(self) -> None:
        """Count one render run."""
        with self._guard:
            self._stats.rendered += 1

    def scopes(self) -> Mapping[GroupKind, bool]:
        from ..parse.crds import file_scopes

        return file_scopes(self.crd_files)

    # -- rendering -----------------------------------------------------------------

    def _once(self, unit: RenderUnit) -> Outcome:
        """Make a unit's outcome once per session: under pytest-xdist the controller makes
        it and hands it over, the workers read it. Whatever goes wrong is this unit's
        failure (shown against its directory), never the session's."""
        handed = self._handed_over(unit)
        if handed is not None:
            return handed
        try:
            outcome = self._make(unit)
        except Exception as error:
            outcome = self._crash(unit.directory or self.display_root, error)
        self._hand_over(unit, outcome)
        return outcome

    def _make(self, unit: RenderUnit) -> Outcome:
        # One deadline for the whole unit: its key, the build (and a rebuild for a
        # better error), and the check that no input changed meanwhile.
        refused = unit.refused(self)
        if refused is not None:
            return refused
        start = time.monotonic()
        deadline = start + self.timeout
        seen: Seen = {}
        key = self._cache_key(unit, self._key_budget(start), seen) if unit.cached else None
        parsed = self._from_cache(key)
        if parsed is not None:
            self._keep_key(unit, key)
        else:
            made = unit.render(self, deadline)
            if not isinstance(made, Rendered):
                return made  # a failure (never cached: a fix must show at once), or reused
            parsed = made.parsed
            self._store(unit, key, seen, deadline, made)
        unit.finish(parsed, self)
        return self._resources(unit, parsed)

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

    def _key_budget(self, start: float) -> Budget:
        return Budget(
            deadline=start + self.timeout / 2,
            why_deadline=f"reading its inputs took more than half of --overlays-timeout "
            f"({self.timeout:g}s)",
        )

    # -- the pytest-xdist hand-off ---------------------------------------------------

    def share(self, shared: SessionRenders) -> None:
        """On the controller: hand the workers every render from now on, and those made
        already (an app-of-apps root rendered at discovery)."""
        self.shared = shared
        with self._guard:
            made = [
                (self._units[identity], outcome) for identity, outcome in self._outcomes.items()
            ]
        for unit, outcome in made:
            self._hand_over(unit, outcome)

    def _resources(self, unit: RenderUnit, parsed: Parsed) -> tuple[Resource, ...]:
        """The resources of a render; on the pytest-xdist controller, its parsed documents
        are kept for the hand-off (the workers build the same resources from them)."""
        if self.shared is not None and self.shared.writable:
            with self._guard:
                self._parsed[unit.identity] = parsed
        return to_resources(parsed, self.display_root, self.keep_origins)

    def _hand_over(self, unit: RenderUnit, outcome: Outcome) -> None:
        """On the controller: keep the outcome for the workers."""
        if self.shared is None or not self.shared.writable:
            return
        handle = unit.identity
        key = self._keys.get(handle)
        if isinstance(outcome, str):
            self.shared.put(handle, {"failure": outcome, "key": key})
            return
        with self._guard:
            parsed = self._parsed.pop(handle, None)
        if parsed is not None and json_exact(parsed):
            # Origins and the patches they name: a worker's findings read as a serial run's.
            rows = [list(row) for row in parsed]
            self.shared.put(handle, {"parsed": rows, "key": key})
            return
        resources = [[resource.raw, resource.source] for resource in outcome]
        if json_exact(resources):  # else each worker renders it (a date in a manifest)
            self.shared.put(handle, {"resources": resources, "key": key})

    def _handed_over(self, unit: RenderUnit) -> Outcome | None:
        """On a worker: the controller's outcome, not counted again in the summary."""
        if self.shared is None or self.shared.writable:
            return None
        record = self.shared.get(unit.identity)
        if record is None:
            return None
        if isinstance(record.get("key"), str):
            self._keep_key(unit, record["key"])
        if isinstance(record.get("failure"), str):
            return str(record["failure"])
        parsed = read_parsed(record.get("parsed"))
        if parsed is not None:
            return to_resources(parsed, self.display_root, self.keep_origins)
        rows = record.get("resources")
        if not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == 2 and isinstance(row[0], dict) for row in rows
        ):
            return None
        return tuple(
            Resource(raw, source if isinstance(source, str) else None) for raw, source in rows
        )

    # -- the cache -----------------------------------------------------------------

    def _cache_key(self, unit: RenderUnit, budget: Budget, seen: Seen) -> str | None:
        """A unit's cache key; None (and why, for the summary) when it has none."""
        if self.cache is None:
            return None
        try:
            return self.cache.unit_key(unit, budget, seen)
        except Uncacheable as why:
            reason = str(why)
        except (OSError, ValueError) as error:
            reason = f"unreadable input: {error}"
        with self._guard:
            self._stats.uncacheable[unit.directory or self.display_root] = reason
        return None

    def _unchanged(self, unit: RenderUnit, key: str, seen: Seen, deadline: float) -> bool:
        """Tell whether every input still holds what the key was computed from.

        Every file is read again (content, not metadata, decides), and no
        file's change time may differ: an edit restored during the build
        (same content, size and modification time) still shows.
        """
        assert self.cache is not None
        after: Seen = {}
        try:
            again = self.cache.unit_key(unit, Budget(deadline=deadline), after, fresh=True)
        except (Uncacheable, OSError, ValueError):
            return False
        return again == key and after == seen

    def _from_cache(self, key: str | None) -> Parsed | None:
        if self.cache is None or key is None:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        parsed = entry.parsed
        if parsed is None:
            if not entry.text:
                return None  # documents JSON could not hold, and no text: render again
            wrapper = Path(entry.wrapper) if entry.wrapper is not None else None
            try:
                parsed = parse_render(entry.text, wrapper)
            except ParseError:
                return None  # a corrupt entry: render again and overwrite it
        with self._guard:
            self._stats.hits = (self._stats.hits or 0) + 1
        return parsed

    def _store(
        self, unit: RenderUnit, key: str | None, seen: Seen, deadline: float, made: Rendered
    ) -> None:
        # An input edited while Kustomize ran (a branch switch, an editor saving)
        # means the render matches neither state: it is not kept.
        if self.cache is None or key is None or not self._unchanged(unit, key, seen, deadline):
            return
        exact = json_exact(made.parsed)
        if not exact and not made.text:
            return  # nothing to keep: no output text, and documents JSON cannot hold
        self.cache.put(key, Entry(made.text, made.wrapper, made.parsed if exact else None))
        self._keep_key(unit, key)

    def _keep_key(self, unit: RenderUnit, key: str | None) -> None:
        if key is not None:
            with self._guard:
                self._keys[unit.identity] = key
