"""Render each deployable once per session, in parallel, and keep the results."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import Entry, RenderCache, Uncacheable, json_exact
from ..cache.entries import read_parsed
from ..cache.inputs import Budget
from ..cache.key import Seen
from ..core.applications import UNSUPPORTED
from ..core.defaults import DEFAULT_TIMEOUT
from ..core.deployables import COMPONENT, Deployable
from ..core.outcomes import RenderFailure
from ..core.paths import display_path
from ..core.resources import Overlay, Resource
from ..parse.documents import Parsed, ParseError, parse_render, to_resources
from ..parse.kustomization import kustomization_file
from ..render import processes
from ..render.engine import Renderer, RenderError, build
from ..render.redact import Redactor
from ..sources.kustomize.components import uses_directly
from ..sources.kustomize.confine import outside_problem
from .handoff import SessionRenders

if TYPE_CHECKING:
    from ..core.applications import Recipe
    from ..parse.crds import GroupKind


RenderResult = Overlay | RenderFailure

#: A render's outcome, before it is tied to a deployable: resources, or why not.
Outcome = tuple[Resource, ...] | str

#: Told how many renders are done, out of how many: a progress line.
Progress = Callable[[int, int], None]


def _order(key: Path | Recipe) -> tuple[int, str]:
    """Renders are keyed by an overlay's directory (resolved) or an Argo CD Application's
    recipe (two Applications with the same path but other overrides are two renders)."""
    return (0, str(key)) if isinstance(key, Path) else (1, key.sort_key())


def _handoff_name(recipe: Recipe) -> Path:
    """The name an Argo CD recipe's render is handed to pytest-xdist workers under."""
    digest = hashlib.sha256(repr(recipe).encode()).hexdigest()
    return Path(f"argocd-recipe-{digest}")


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
    """Render results for the session: each overlay directory, Argo CD recipe and
    Component (through its consumer) is built at most once per process, and once per
    session under pytest-xdist, where workers read the controller's renders."""

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
        #: The cache key of every directory (or recipe) rendered with a usable key.
        self._keys: dict[Path | Recipe, str] = {}
        self._resolved: dict[Path, Path] = {}
        #: Each confined overlay directory (resolved): its path as found, and the
        #: repository nothing it builds may leave (see :mod:`.confine`).
        self._confined: dict[Path, tuple[Path, Path]] = {}
        self._outcomes: dict[Path | Recipe, Outcome] = {}
        #: On the pytest-xdist controller: parsed renders waiting to be handed over.
        self._parsed: dict[Path | Recipe, Parsed] = {}
        self._by_spec: dict[Deployable, RenderResult] = {}
        self._locks: dict[Path | Recipe, threading.Lock] = {}
        self._guard = threading.Lock()
        processes.reset()

    # -- what callers ask for ----------------------------------------------------

    def result(self, spec: Deployable) -> RenderResult:
        """Return the rendered deployable, or why it failed; render on first use."""
        known = self._by_spec.get(spec)
        if known is not None:
            return known
        if spec.kind == COMPONENT:
            outcome = self._component_render(spec)
        else:
            outcome = self._outcome(self._render_key(spec))
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
        return self._keys.get(self._render_key(spec))

    def stats(self) -> StoreStats:
        """A copy of this session's figures."""
        with self._guard:
            return replace(self._stats, uncacheable=dict(self._stats.uncacheable))

    def prefetch(
        self, specs: Iterable[Deployable], jobs: int, progress: Progress | None = None
    ) -> None:
        """Render every spec not rendered yet, ``jobs`` at a time."""
        specs = list(specs)
        components = [s for s in specs if s.kind == COMPONENT and s not in self._by_spec]
        plain = {self._render_key(s) for s in specs if s.kind != COMPONENT}
        todo: list[Path | Recipe | Deployable] = [
            *sorted(plain - self._outcomes.keys(), key=_order),
            *components,
        ]
        if not todo:
            return
        done = 0

        def render(item: Path | Recipe | Deployable) -> None:
            if isinstance(item, Deployable):
                self.result(item)
            else:
                self._outcome(item)

        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            pending = {pool.submit(render, item) for item in todo}
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

    # -- Components, through their consumers ----------------------------------------

    def _component_render(self, spec: Deployable) -> Outcome:
        """A Component's outcome, made once per session as an overlay's is: under
        pytest-xdist the controller renders it and the workers read it; whatever goes
        wrong is its own failure."""
        handle = Path(f"component-{hashlib.sha256(str(spec.path).encode()).hexdigest()}")
        return self._once(handle, handle, spec.path, lambda: self._component_outcome(spec))

    def _component_outcome(self, spec: Deployable) -> Outcome:
        """Render a Component through each consumer until one succeeds; fail with the
        first consumer's message when all fail."""
        failures: list[str] = []
        if spec.repository is not None:
            problem = outside_problem(spec.path, spec.repository, self.build_args)
            if problem is not None:
                return f"not built: {problem}"
        for consumer in spec.consumers:
            if spec.repository is not None:
                self._confine(consumer, consumer.resolve(), spec.repository)
                problem = outside_problem(consumer, spec.repository, self.build_args)
                if problem is not None:
                    failures.append(
                        f"through {display_path(consumer, self.display_root)}: not built: {problem}"
                    )
                    continue
            if uses_directly(consumer, spec.path):
                outcome = self._outcome(consumer.resolve())  # the repository's own use
            else:
                outcome = self._composed(consumer, spec.path)
            if not isinstance(outcome, str):
                return outcome
            shown = display_path(consumer, self.display_root)
            failures.append(f"through {shown}: {outcome}")
        if not failures:
            return "no kustomization to render it through"
        others = [f.split(":", 1)[0] for f in failures[1:]]
        also = f"\n(also failed {', '.join(others)})" if others else ""
        return f"a Component no gated overlay uses, rendered {failures[0]}{also}"

    def _composed(self, consumer: Path, component: Path) -> Outcome:
        """Render ``consumer`` with ``component`` added (never cached: rare, and cheap)."""
        with self._guard:
            self._stats.rendered += 1
        with processes.temporary_directory("component-") as tmp:
            workdir = Path(tmp)
            wrapper = {
                "resources": [os.path.relpath(consumer, workdir)],
                "components": [os.path.relpath(component, workdir)],
            }
            (workdir / "kustomization.yaml").write_text(json.dumps(wrapper), encoding="utf-8")
            # What the failure quotes of a Secret source (the consumer's or the
            # Component's) is hidden and located, as for an overlay.
            mine, theirs = (
                Redactor(component, self.display_root),
                Redactor(consumer, self.display_root),
            )

            def locate(material: str | bytes) -> str | None:
                return mine.locate(material) or theirs.locate(material)

            try:
                output, _ = build(
                    self.renderer,
                    workdir,
                    self.build_args,
                    self.timeout,
                    self.env,
                    origins=False,
                    locate=locate,
                )
            except RenderError as error:
                # Built from a temporary directory: show the user's paths as the gate does.
                root = f"{self.display_root.resolve()}{os.sep}"
                message = theirs.scrub(mine.scrub(str(error).replace(root, "")))
                return f"kustomize build failed: {message}"
        try:
            parsed = parse_render(output.decode("utf-8", "replace"), None)
        except ParseError as error:
            return str(error)
        return to_resources(parsed, self.display_root)

    # -- rendering -----------------------------------------------------------------

    def documents(self, recipe: Recipe) -> Outcome:
        """The normalised resources of an Argo CD recipe, rendered on first use (an
        app-of-apps root's children are found this way)."""
        return self._outcome(recipe)

    def _render_key(self, spec: Deployable) -> Path | Recipe:
        if spec.recipe is not None:
            return spec.recipe
        # Symlinked directories render once; resolve() costs system calls.
        resolved = self._resolved.get(spec.path)
        if resolved is None:
            resolved = self._resolved.setdefault(spec.path, spec.path.resolve())
        if spec.repository is not None:
            self._confine(spec.path, resolved, spec.repository)
        return resolved

    def _confine(self, path: Path, resolved: Path, repository: Path) -> None:
        with self._guard:
            self._confined.setdefault(resolved, (path, repository))

    def _refused(self, directory: Path) -> str | None:
        """Why a confined overlay directory (resolved) is not built, or None."""
        confined = self._confined.get(directory)
        if confined is None:
            return None
        problem = outside_problem(confined[0], confined[1], self.build_args)
        return f"not built: {problem}" if problem is not None else None

    def _lock_for(self, key: Path | Recipe) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _outcome(self, key: Path | Recipe) -> Outcome:
        with self._lock_for(key):
            if key not in self._outcomes:
                self._outcomes[key] = self._render(key)
            return self._outcomes[key]

    def _render(self, key: Path | Recipe) -> Outcome:
        """Render an overlay directory or an Argo CD recipe once; under pytest-xdist,
        the controller renders and the workers read its outcome."""
        if isinstance(key, Path):
            return self._once(key, key, key, lambda: self._render_once(key))
        return self._once(
            _handoff_name(key), key, self._directory_of(key), lambda: self._render_recipe(key)
        )

    def _once(
        self, handle: Path, key: Path | Recipe, directory: Path, make: Callable[[], Outcome]
    ) -> Outcome:
        """Make an outcome once per session: under pytest-xdist the controller makes it
        and hands it over, the workers read it. Whatever goes wrong is this unit's
        failure (shown against ``directory``), never the session's."""
        handed = self._handed_over(handle, key)
        if handed is not None:
            return handed
        try:
            outcome = make()
        except Exception as error:
            outcome = self._crash(directory, error)
        self._hand_over(handle, key, outcome)
        return outcome

    def _directory_of(self, key: Path | Recipe) -> Path:
        if isinstance(key, Path):
            return key
        return key.sources[0].path if key.sources else self.display_root

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

    # -- the pytest-xdist hand-off ---------------------------------------------------

    def share(self, shared: SessionRenders) -> None:
        """On the controller: hand the workers every render from now on, and those made
        already (an app-of-apps root rendered at discovery)."""
        self.shared = shared
        with self._guard:
            made = list(self._outcomes.items())
        for key, outcome in made:
            self._hand_over(key if isinstance(key, Path) else _handoff_name(key), key, outcome)

    def _resources(self, unit: Path | Recipe, parsed: Parsed) -> tuple[Resource, ...]:
        """The resources of a render; on the pytest-xdist controller, its parsed documents
        are kept for the hand-off (the workers build the same resources from them)."""
        if self.shared is not None and self.shared.writable:
            with self._guard:
                self._parsed[unit] = parsed
        return to_resources(parsed, self.display_root, self.keep_origins)

    def _hand_over(self, handle: Path, key: Path | Recipe, outcome: Outcome) -> None:
        """On the controller: keep the outcome for the workers."""
        if self.shared is None or not self.shared.writable:
            return
        if isinstance(outcome, str):
            self.shared.put(handle, {"failure": outcome, "key": self._keys.get(key)})
            return
        with self._guard:
            parsed = self._parsed.pop(key, None)
        if parsed is not None and json_exact(parsed):
            # Origins and the patches they name: a worker's findings read as a serial run's.
            rows = [list(row) for row in parsed]
            self.shared.put(handle, {"parsed": rows, "key": self._keys.get(key)})
            return
        resources = [[resource.raw, resource.source] for resource in outcome]
        if json_exact(resources):  # else each worker renders it (a date in a manifest)
            self.shared.put(handle, {"resources": resources, "key": self._keys.get(key)})

    def _handed_over(self, handle: Path, key: Path | Recipe) -> Outcome | None:
        """On a worker: the controller's outcome, not counted again in the summary."""
        if self.shared is None or self.shared.writable:
            return None
        record = self.shared.get(handle)
        if record is None:
            return None
        if isinstance(record.get("key"), str):
            self._keep_key(key, record["key"])
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

    def _render_once(self, directory: Path) -> Outcome:
        # One deadline for the whole overlay: its key, the build (and a rebuild
        # for a better error), and the check that no input changed meanwhile.
        # Before its key: nothing outside the repository is read, hashed or cached.
        refused = self._refused(directory)
        if refused is not None:
            return refused
        start = time.monotonic()
        deadline = start + self.timeout
        seen: Seen = {}
        key = self._cache_key(directory, self._key_budget(start), seen)
        cached = self._from_cache(key, directory)
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
        return self._resources(directory, parsed)

    # -- Argo CD Applications ---------------------------------------------------------

    def _render_recipe(self, recipe: Recipe) -> Outcome:
        """Render an Application as Argo CD does (see argocd.render), through the cache,
        then normalise it as Argo CD's controller does. One deadline bounds its key,
        its build and the check that no input changed meanwhile, as for an overlay."""
        from ..render import recipes as render

        if recipe.error is not None:
            # The emulation's own limit says nothing of what Argo CD renders.
            intro = "" if recipe.error.startswith(UNSUPPORTED) else f"{render.NOT_RENDERED}: "
            return self._scrubbed(recipe, f"{intro}{recipe.error}")
        start = time.monotonic()
        seen: Seen = {}
        key = self._cache_key(recipe, self._key_budget(start), seen)
        entry = self.cache.get(key) if self.cache is not None and key is not None else None
        parsed = entry.parsed if entry is not None else None
        if parsed is not None:
            with self._guard:
                self._stats.hits = (self._stats.hits or 0) + 1
            self._keep_key(recipe, key)
        else:
            with self._guard:
                self._stats.rendered += 1
            try:
                parsed = render.render_recipe(recipe, self.renderer, self.timeout, self.env)
            except render.NotRendered as error:
                return self._scrubbed(recipe, f"{render.NOT_RENDERED}: {error}")
            except RenderError as error:
                # Failures are never cached; what they quote of a Secret source is hidden.
                return self._scrubbed(recipe, f"kustomize build failed: {error}")
            # The parsed documents are the entry: origins were read from the private copy.
            self._store(recipe, key, seen, start + self.timeout, Entry("", None), parsed)
        render.normalize(parsed, recipe.namespace, self._known_scopes())
        return self._resources(recipe, parsed)

    def _scrubbed(self, recipe: Recipe, message: str) -> str:
        """A recipe's failure, with what it may quote of a Secret source of any of its
        sources hidden."""
        for directory in [s.path for s in recipe.sources] or [self.display_root]:
            message = Redactor(directory, self.display_root).scrub(message)
        return message

    def _key_budget(self, start: float) -> Budget:
        return Budget(
            deadline=start + self.timeout / 2,
            why_deadline=f"reading its inputs took more than half of --overlays-timeout "
            f"({self.timeout:g}s)",
        )

    def _known_scopes(self) -> dict[GroupKind, bool]:
        from ..parse.crds import file_scopes

        return file_scopes(self.crd_files)

    # -- the cache -----------------------------------------------------------------

    def _key(self, unit: Path | Recipe, budget: Budget, seen: Seen, fresh: bool = False) -> str:
        assert self.cache is not None
        if isinstance(unit, Path):
            confined = self._confined.get(unit)
            root = confined[1] if confined is not None else None
            return self.cache.key(unit, budget, seen, fresh, root)
        return self.cache.recipe_key(unit, budget, seen, fresh)

    def _cache_key(self, unit: Path | Recipe, budget: Budget, seen: Seen) -> str | None:
        """An overlay's or an Application's cache key; None (and why, for the summary)
        when it has none."""
        if self.cache is None:
            return None
        try:
            return self._key(unit, budget, seen)
        except Uncacheable as why:
            reason = str(why)
        except (OSError, ValueError) as error:
            reason = f"unreadable input: {error}"
        with self._guard:
            self._stats.uncacheable[self._directory_of(unit)] = reason
        return None

    def _unchanged(self, unit: Path | Recipe, key: str, seen: Seen, deadline: float) -> bool:
        """Tell whether every input still holds what the key was computed from.

        Every file is read again (content, not metadata, decides), and no
        file's change time may differ: an edit restored during the build
        (same content, size and modification time) still shows.
        """
        after: Seen = {}
        try:
            again = self._key(unit, Budget(deadline=deadline), after, fresh=True)
        except (Uncacheable, OSError, ValueError):
            return False
        return again == key and after == seen

    def _from_cache(self, key: str | None, unit: Path) -> tuple[Resource, ...] | None:
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
        resources = self._resources(unit, parsed)
        with self._guard:
            self._stats.hits = (self._stats.hits or 0) + 1
        return resources

    def _store(
        self,
        unit: Path | Recipe,
        key: str | None,
        seen: Seen,
        deadline: float,
        entry: Entry,
        parsed: Parsed,
    ) -> None:
        # An input edited while Kustomize ran (a branch switch, an editor saving)
        # means the render matches neither state: it is not kept.
        if self.cache is None or key is None or not self._unchanged(unit, key, seen, deadline):
            return
        exact = json_exact(parsed)
        if not exact and not entry.text:
            return  # nothing to keep: no output text, and documents JSON cannot hold
        self.cache.put(key, replace(entry, parsed=parsed if exact else None))
        self._keep_key(unit, key)

    def _keep_key(self, directory: Path | Recipe, key: str | None) -> None:
        if key is not None:
            with self._guard:
                self._keys[directory] = key
