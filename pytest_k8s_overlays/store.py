"""Render each deployable once per session, in parallel, and keep the results."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import processes
from .cache import Entry, RenderCache, Uncacheable, json_exact
from .cache.inputs import Budget
from .cache.key import Seen
from .defaults import DEFAULT_TIMEOUT
from .deployable import Deployable
from .handoff import SessionRenders
from .kustomization import kustomization_file
from .model import Overlay, Resource
from .parsing import Parsed, ParseError, parse_render, to_resources
from .redact import Redactor
from .renderer import Renderer, RenderError, build


@dataclass(frozen=True)
class RenderFailure:
    """A deployable that did not render or parse; ``message`` starts with its name."""

    spec: Deployable
    message: str


RenderResult = Overlay | RenderFailure

#: A render's outcome, before it is tied to a deployable: resources, or why not.
Outcome = tuple[Resource, ...] | str

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


class OverlayStore:
    """Render results for the session: each directory is built at most once."""

    def __init__(
        self,
        renderer: Renderer,
        build_args: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        display_root: Path | None = None,
        env: dict[str, str] | None = None,
        cache: RenderCache | None = None,
        keep_origins: bool = False,
    ) -> None:
        self.renderer = renderer
        self.build_args = tuple(build_args)
        self.timeout = timeout
        self.display_root = display_root or Path.cwd()
        self.env = env
        self.cache = cache
        self.keep_origins = keep_origins
        #: Under pytest-xdist: the renders the controller hands to the workers.
        self.shared: SessionRenders | None = None
        self._stats = StoreStats(hits=0 if cache is not None else None)
        #: The cache key of every directory rendered with a usable key.
        self._keys: dict[Path, str] = {}
        self._resolved: dict[Path, Path] = {}
        self._outcomes: dict[Path, Outcome] = {}
        self._by_spec: dict[Deployable, RenderResult] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()
        processes.reset()

    # -- what callers ask for ----------------------------------------------------

    def result(self, spec: Deployable) -> RenderResult:
        """Return the rendered deployable, or why it failed; render on first use."""
        known = self._by_spec.get(spec)
        if known is not None:
            return known
        outcome = self._outcome(self._render_key(spec))
        result: RenderResult
        if isinstance(outcome, str):
            result = RenderFailure(spec, f"{spec.name}: {outcome}")
        else:
            result = Overlay(
                spec.name, spec.group, spec.path, spec.kustomization, outcome, self.display_root
            )
        with self._guard:
            return self._by_spec.setdefault(spec, result)

    def results(self) -> list[RenderResult]:
        """The deployables rendered (or failed) so far, without rendering any more."""
        with self._guard:
            return list(self._by_spec.values())

    def key_of(self, spec: Deployable) -> str | None:
        """The content key of a rendered deployable, or None when it is not cacheable."""
        return self._keys.get(self._render_key(spec))

    def stats(self) -> StoreStats:
        """A copy of this session's figures."""
        with self._guard:
            return replace(self._stats, uncacheable=dict(self._stats.uncacheable))

    def prefetch(
        self, specs: Iterable[Deployable], jobs: int, progress: Progress | None = None
    ) -> None:
        """Render every spec not rendered yet, ``jobs`` at a time."""
        todo = sorted({self._render_key(s) for s in specs} - self._outcomes.keys())
        if not todo:
            return
        done = 0
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            for _ in pool.map(self._outcome, todo):
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

    # -- rendering -----------------------------------------------------------------

    def _render_key(self, spec: Deployable) -> Path:
        # Symlinked directories render once; resolve() costs system calls.
        resolved = self._resolved.get(spec.path)
        if resolved is None:
            resolved = self._resolved.setdefault(spec.path, spec.path.resolve())
        return resolved

    def _lock_for(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())

    def _outcome(self, directory: Path) -> Outcome:
        with self._lock_for(directory):
            if directory not in self._outcomes:
                self._outcomes[directory] = self._render(directory)
            return self._outcomes[directory]

    def _render(self, directory: Path) -> Outcome:
        handed = self._handed_over(directory)
        if handed is not None:
            return handed
        # Whatever goes wrong is this overlay's failure, never the session's.
        try:
            outcome = self._render_once(directory)
        except Exception as error:
            outcome = self._crash(directory, error)
        self._hand_over(directory, outcome)
        return outcome

    def _crash(self, directory: Path, error: Exception) -> str:
        """The failure of an overlay whose rendering crashed, with no Secret value in it."""
        message = render_crash(error)
        try:
            return Redactor(directory, self.display_root).scrub(message)
        except Exception:
            # Nothing can say which values to hide: keep where it happened only.
            return message.replace(f": {error} (at", " (at", 1)

    # -- the pytest-xdist hand-off ---------------------------------------------------

    def _hand_over(self, directory: Path, outcome: Outcome) -> None:
        """On the controller: keep the outcome for the workers."""
        if self.shared is None or not self.shared.writable:
            return
        if isinstance(outcome, str):
            self.shared.put(directory, {"failure": outcome, "key": self._keys.get(directory)})
            return
        resources = [[resource.raw, resource.source] for resource in outcome]
        if json_exact(resources):  # else each worker renders it (a date in a manifest)
            self.shared.put(directory, {"resources": resources, "key": self._keys.get(directory)})

    def _handed_over(self, directory: Path) -> Outcome | None:
        """On a worker: the controller's outcome, not counted again in the summary."""
        if self.shared is None or self.shared.writable:
            return None
        record = self.shared.get(directory)
        if record is None:
            return None
        if isinstance(record.get("key"), str):
            self._keep_key(directory, record["key"])
        if isinstance(record.get("failure"), str):
            return str(record["failure"])
        rows = record.get("resources")
        if not isinstance(rows, list) or not all(
            isinstance(row, list) and len(row) == 2 and isinstance(row[0], dict) for row in rows
        ):
            return None
        return tuple(
            Resource(raw, source if isinstance(source, str) else None) for raw, source in rows
        )

    def _render_once(self, directory: Path) -> Outcome:
        # One deadline for the whole overlay: its key, the build (and a rebuild
        # for a better error), and the check that no input changed meanwhile.
        start = time.monotonic()
        deadline = start + self.timeout
        seen: Seen = {}
        key_budget = Budget(
            deadline=start + self.timeout / 2,
            why_deadline=f"reading its inputs took more than half of --overlays-timeout "
            f"({self.timeout:g}s)",
        )
        key = self._cache_key(directory, key_budget, seen)
        cached = self._from_cache(key)
        if cached is not None:
            self._keep_key(directory, key)
            return cached
        return self._build(directory, key, seen, deadline)

    def _build(self, directory: Path, key: str | None, seen: Seen, deadline: float) -> Outcome:
        with self._guard:
            self._stats.rendered += 1
        redactor = Redactor(directory, self.display_root)
        try:
            output, wrapper = build(
                self.renderer,
                directory,
                self.build_args,
                self.timeout,
                self.env,
                deadline=deadline,
                locate=redactor.locate,
            )
        except RenderError as error:
            # Failures are never cached: a fix must show at once.
            return f"kustomize build failed: {redactor.scrub(str(error))}"
        text = output.decode("utf-8", "replace")
        try:
            parsed = parse_render(text, wrapper)
        except ParseError as error:
            return str(error)
        entry = Entry(text, str(wrapper) if wrapper else None)
        self._store(directory, key, seen, deadline, entry, parsed)
        return to_resources(parsed, self.display_root, self.keep_origins)

    # -- the cache -----------------------------------------------------------------

    def _cache_key(self, directory: Path, budget: Budget, seen: Seen) -> str | None:
        if self.cache is None:
            return None
        try:
            return self.cache.key(directory, budget, seen)
        except Uncacheable as why:
            reason = str(why)
        except (OSError, ValueError) as error:
            reason = f"unreadable input: {error}"
        with self._guard:
            self._stats.uncacheable[directory] = reason
        return None

    def _unchanged(self, directory: Path, key: str, seen: Seen, deadline: float) -> bool:
        """Tell whether every input still holds what the key was computed from.

        Every file is read again (content, not metadata, decides), and no
        file's change time may differ: an edit restored during the build
        (same content, size and modification time) still shows.
        """
        assert self.cache is not None
        after: Seen = {}
        try:
            again = self.cache.key(directory, Budget(deadline=deadline), after, fresh=True)
        except (Uncacheable, OSError, ValueError):
            return False
        return again == key and after == seen

    def _from_cache(self, key: str | None) -> tuple[Resource, ...] | None:
        if self.cache is None or key is None:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        parsed = entry.parsed
        if parsed is None:
            wrapper = Path(entry.wrapper) if entry.wrapper is not None else None
            try:
                parsed = parse_render(entry.text, wrapper)
            except ParseError:
                return None  # a corrupt entry: render again and overwrite it
        resources = to_resources(parsed, self.display_root, self.keep_origins)
        with self._guard:
            self._stats.hits = (self._stats.hits or 0) + 1
        return resources

    def _store(
        self,
        directory: Path,
        key: str | None,
        seen: Seen,
        deadline: float,
        entry: Entry,
        parsed: Parsed,
    ) -> None:
        # An input edited while Kustomize ran (a branch switch, an editor saving)
        # means the render matches neither state: it is not kept.
        if self.cache is None or key is None or not self._unchanged(directory, key, seen, deadline):
            return
        self.cache.put(key, replace(entry, parsed=parsed if json_exact(parsed) else None))
        self._keep_key(directory, key)

    def _keep_key(self, directory: Path, key: str | None) -> None:
        if key is not None:
            with self._guard:
                self._keys[directory] = key
