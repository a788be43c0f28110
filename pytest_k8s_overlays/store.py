"""Render each overlay once per session, in parallel, and keep the results."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .cache import Entry, RenderCache, Uncacheable, json_exact
from .discovery import OverlaySpec, kustomization_file
from .model import Overlay, Resource
from .parsing import ParseError, load_documents, parse_origin, pop_origin, put_origin
from .paths import display_path
from .renderer import Renderer, RenderError, build


@dataclass(frozen=True)
class RenderFailure:
    """An overlay that did not render or parse; ``message`` starts with its name."""

    spec: OverlaySpec
    message: str


RenderResult = Overlay | RenderFailure


#: Origin fields that hold a local path, relative to the kustomization built.
_ORIGIN_PATHS = ("path", "configuredIn")


def absolute_origin(origin: dict[str, Any] | None, wrapper: Path) -> dict[str, Any] | None:
    """Make the local paths of an origin annotation absolute (they are relative
    to the wrapper kustomization, a temporary directory)."""
    if not origin or origin.get("repo"):
        return origin
    return {
        key: os.path.normpath(wrapper / value)
        if key in _ORIGIN_PATHS and isinstance(value, str)
        else value
        for key, value in origin.items()
    }


def origin_source(origin: dict[str, Any] | None) -> str | None:
    """Turn an origin annotation into a source: a path, or ``repo@ref//path``."""
    if not origin:
        return None
    repo = origin.get("repo")
    path = origin.get("path") or origin.get("configuredIn")
    if not isinstance(path, str):
        return None
    if isinstance(repo, str) and repo:
        ref = origin.get("ref")
        return f"{repo}{'@' + str(ref) if ref else ''}//{path}"
    return path


#: A parsed render: each document, its source (see origin_source) and the
#: origin annotation taken out of it, with absolute local paths.
Parsed = list[tuple[dict[str, Any], str | None, dict[str, Any] | None]]


def parse_render(text: str | bytes, wrapper: Path | None) -> Parsed:
    """Parse a render, moving Kustomize's origin annotations out of the documents."""
    parsed: Parsed = []
    for document in load_documents(text):
        origin = None
        if wrapper is not None:
            origin = absolute_origin(parse_origin(pop_origin(document)), wrapper)
        parsed.append((document, origin_source(origin), origin))
    return parsed


def _shown(source: str | None, root: Path) -> str | None:
    return display_path(source, root) if source and os.path.isabs(source) else source


def to_resources(parsed: Parsed, root: Path, keep_origins: bool = False) -> tuple[Resource, ...]:
    """Build resources, showing source paths relative to ``root``.

    With ``keep_origins``, the origin annotations go back into the manifests.
    """
    if keep_origins:
        for document, _, origin in parsed:
            if origin is not None:
                shown = {
                    key: _shown(value, root) if key in _ORIGIN_PATHS else value
                    for key, value in origin.items()
                }
                put_origin(document, yaml.safe_dump(shown, sort_keys=False))
    return tuple(Resource(document, _shown(source, root)) for document, source, _ in parsed)


class OverlayStore:
    """Render results for the session: each directory is built at most once."""

    def __init__(
        self,
        renderer: Renderer,
        build_args: Sequence[str] = (),
        timeout: float = 60.0,
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
        self.rendered = 0
        #: The cache key of every overlay directory rendered with a usable key.
        self.keys: dict[Path, str] = {}
        self._resolved: dict[Path, Path] = {}
        self._outcomes: dict[Path, tuple[Resource, ...] | str] = {}
        self._by_spec: dict[OverlaySpec, RenderResult] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, path: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())

    def result(self, spec: OverlaySpec) -> RenderResult:
        """Return the rendered overlay, or why it failed; render on first use."""
        known = self._by_spec.get(spec)
        if known is not None:
            return known
        outcome = self._outcome(self._resolve(spec.path))
        result: RenderResult
        if isinstance(outcome, str):
            result = RenderFailure(spec, f"{spec.name}: {outcome}")
        else:
            result = Overlay(
                spec.name, spec.group, spec.path, spec.kustomization, outcome, self.display_root
            )
        with self._guard:
            return self._by_spec.setdefault(spec, result)

    def _outcome(self, key: Path) -> tuple[Resource, ...] | str:
        with self._lock_for(key):
            if key not in self._outcomes:
                self._outcomes[key] = self._render(key)
            return self._outcomes[key]

    def results(self) -> list[RenderResult]:
        """The overlays rendered (or failed) so far, without rendering any more."""
        with self._guard:
            return list(self._by_spec.values())

    def key_of(self, spec: OverlaySpec) -> str | None:
        """The content key of a rendered overlay, or None when it is not cacheable."""
        return self.keys.get(self._resolve(spec.path))

    def _resolve(self, path: Path) -> Path:
        # Symlinked overlay directories render once; resolve() costs system calls.
        resolved = self._resolved.get(path)
        if resolved is None:
            resolved = self._resolved.setdefault(path, path.resolve())
        return resolved

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
            self.cache.uncacheable[directory] = reason
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
            self.cache.hits += 1
        return resources

    def _render(self, directory: Path) -> tuple[Resource, ...] | str:
        key = self._cache_key(directory)
        cached = self._from_cache(key)
        if cached is not None:
            self._keep_key(directory, key)
            return cached
        with self._guard:
            self.rendered += 1
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
        # An input edited while Kustomize ran (a branch switch, an editor saving)
        # changes the key: the render then matches neither state and is not kept.
        if self.cache is not None and key is not None and self._cache_key(directory) == key:
            wrapper_text = str(wrapper) if wrapper is not None else None
            self.cache.put(key, Entry(text, wrapper_text, parsed if json_exact(parsed) else None))
            self._keep_key(directory, key)
        return to_resources(parsed, self.display_root, self.keep_origins)

    def _keep_key(self, directory: Path, key: str | None) -> None:
        if key is not None:
            with self._guard:
                self.keys[directory] = key

    def prefetch(
        self,
        specs: Iterable[OverlaySpec],
        jobs: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Render every spec not rendered yet, ``jobs`` at a time."""
        todo = sorted({self._resolve(s.path) for s in specs} - self._outcomes.keys())
        if not todo:
            return
        done = 0
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for _ in pool.map(self._outcome, todo):
                done += 1
                if progress is not None:
                    progress(done, len(todo))

    def render_path(self, path: Path | str, name: str | None = None) -> Overlay:
        """Render any kustomization directory on demand; raise RenderError on failure."""
        directory = Path(path).resolve()
        kfile = kustomization_file(directory)
        if kfile is None:
            raise RenderError(f"{path}: no kustomization file in {directory}")
        spec = OverlaySpec(name or directory.name, "", directory, kfile)
        result = self.result(spec)
        if isinstance(result, RenderFailure):
            raise RenderError(result.message)
        return result
