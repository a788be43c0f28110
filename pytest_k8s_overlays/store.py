"""Render each deployable once per session, in parallel, and keep the results."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import Entry, RenderCache, Uncacheable, json_exact
from .components import uses_directly
from .defaults import DEFAULT_TIMEOUT
from .deployable import COMPONENT, Deployable
from .kustomization import kustomization_file
from .model import Overlay, Resource
from .parsing import Parsed, ParseError, parse_render, to_resources
from .paths import display_path
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
        self._stats = StoreStats(hits=0 if cache is not None else None)
        #: The cache key of every directory rendered with a usable key.
        self._keys: dict[Path, str] = {}
        self._resolved: dict[Path, Path] = {}
        self._outcomes: dict[Path, Outcome] = {}
        self._by_spec: dict[Deployable, RenderResult] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    # -- what callers ask for ----------------------------------------------------

    def result(self, spec: Deployable) -> RenderResult:
        """Return the rendered deployable, or why it failed; render on first use."""
        known = self._by_spec.get(spec)
        if known is not None:
            return known
        if spec.kind == COMPONENT:
            outcome = self._component_outcome(spec)
        else:
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
        specs = list(specs)
        components = [s for s in specs if s.kind == COMPONENT and s not in self._by_spec]
        plain = {self._render_key(s) for s in specs if s.kind != COMPONENT}
        todo: list[Path | Deployable] = [*sorted(plain - self._outcomes.keys()), *components]
        if not todo:
            return
        done = 0

        def render(item: Path | Deployable) -> None:
            if isinstance(item, Deployable):
                self.result(item)
            else:
                self._outcome(item)

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for _ in pool.map(render, todo):
                done += 1
                if progress is not None:
                    progress(done, len(todo))

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

    def _component_outcome(self, spec: Deployable) -> Outcome:
        """Render a Component through each consumer until one succeeds; fail with the
        first consumer's message when all fail."""
        failures: list[str] = []
        for consumer in spec.consumers:
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
        with tempfile.TemporaryDirectory(prefix="k8s-overlays-component-") as tmp:
            workdir = Path(tmp)
            wrapper = {
                "resources": [os.path.relpath(consumer, workdir)],
                "components": [os.path.relpath(component, workdir)],
            }
            (workdir / "kustomization.yaml").write_text(json.dumps(wrapper), encoding="utf-8")
            try:
                output, _ = build(
                    self.renderer, workdir, self.build_args, self.timeout, self.env, origins=False
                )
            except RenderError as error:
                # Built from a temporary directory: show the user's paths as the gate does.
                root = f"{self.display_root.resolve()}{os.sep}"
                return f"kustomize build failed: {str(error).replace(root, '')}"
        try:
            parsed = parse_render(output.decode("utf-8", "replace"), None)
        except ParseError as error:
            return str(error)
        return to_resources(parsed, self.display_root)

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
        key = self._cache_key(directory)
        cached = self._from_cache(key)
        if cached is not None:
            self._keep_key(directory, key)
            return cached
        return self._build(directory, key)

    def _build(self, directory: Path, key: str | None) -> Outcome:
        with self._guard:
            self._stats.rendered += 1
        try:
            output, wrapper = build(
                self.renderer, directory, self.build_args, self.timeout, self.env
            )
        except RenderError as error:
            # Failures are never cached: a fix must show at once.
            return f"kustomize build failed: {error}"
        text = output.decode("utf-8", "replace")
        try:
            parsed = parse_render(text, wrapper)
        except ParseError as error:
            return str(error)
        self._store(directory, key, Entry(text, str(wrapper) if wrapper else None), parsed)
        return to_resources(parsed, self.display_root, self.keep_origins)

    # -- the cache -----------------------------------------------------------------

    def _cache_key(self, directory: Path) -> str | None:
        if self.cache is None:
            return None
        try:
            return self.cache.key(directory)
        except Uncacheable as why:
            reason = str(why)
        except OSError as error:
            reason = f"unreadable input: {error}"
        with self._guard:
            self._stats.uncacheable[directory] = reason
        return None

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

    def _store(self, directory: Path, key: str | None, entry: Entry, parsed: Parsed) -> None:
        # An input edited while Kustomize ran (a branch switch, an editor saving)
        # changes the key: the render then matches neither state and is not kept.
        if self.cache is None or key is None or self._cache_key(directory) != key:
            return
        self.cache.put(key, replace(entry, parsed=parsed if json_exact(parsed) else None))
        self._keep_key(directory, key)

    def _keep_key(self, directory: Path, key: str | None) -> None:
        if key is not None:
            with self._guard:
                self._keys[directory] = key
