"""The render cache as the store uses it: a unit's key, its entry, and a render kept
only when none of its inputs changed while it was made."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..cache import Entry, RenderCache, Uncacheable, json_exact
from ..cache.inputs import Budget
from ..cache.key import Seen
from ..parse.documents import Parsed, ParseError, parse_render
from ..render.units import Rendered, RenderUnit


@dataclass(frozen=True)
class Deferred:
    """A unit whose render the cache holds under ``key``: read only when something asks
    for its objects. A warm run whose findings are all cached reads no render at all."""

    key: str


@dataclass
class StoreStats:
    """What the store did this session: renders run, cache hits, what it could not cache."""

    rendered: int = 0
    #: None when there is no cache at all.
    hits: int | None = None
    uncacheable: dict[Path, str] = field(default_factory=dict)


class CachedRenders:
    """Get, put and verify the renders of units in the render cache (None: no cache)."""

    def __init__(self, cache: RenderCache | None, timeout: float, display_root: Path) -> None:
        self.cache = cache
        self.timeout = timeout
        self.display_root = display_root
        self._stats = StoreStats(hits=0 if cache is not None else None)
        #: The cache key of every unit (by identity) rendered or read with a usable key.
        self._keys: dict[str, str] = {}
        self._guard = threading.Lock()

    def counted(self) -> None:
        """Count one render run."""
        with self._guard:
            self._stats.rendered += 1

    def stats(self) -> StoreStats:
        """A copy of this session's figures."""
        with self._guard:
            return replace(self._stats, uncacheable=dict(self._stats.uncacheable))

    def key_of(self, identity: str) -> str | None:
        """The key of a unit rendered (or read) this session; None: it has none."""
        return self._keys.get(identity)

    def keep_key(self, identity: str, key: str | None) -> None:
        """Remember a unit's key (one a pytest-xdist controller computed)."""
        if key is not None:
            with self._guard:
                self._keys[identity] = key

    def key(self, unit: RenderUnit, start: float, seen: Seen) -> str | None:
        """A unit's cache key, read within half its timeout from ``start``; None (and why,
        for the summary) when it has none."""
        if self.cache is None or not unit.cached:
            return None
        budget = Budget(
            deadline=start + self.timeout / 2,
            why_deadline=f"reading its inputs took more than half of --overlays-timeout "
            f"({self.timeout:g}s)",
        )
        try:
            return self.cache.unit_key(unit, budget, seen)
        except Uncacheable as why:
            reason = str(why)
        except (OSError, ValueError) as error:
            reason = f"unreadable input: {error}"
        with self._guard:
            self._stats.uncacheable[unit.directory or self.display_root] = reason
        return None

    def defer(self, unit: RenderUnit, key: str | None) -> Deferred | None:
        """A unit's render left in the cache until asked for (counted a hit); None when the
        cache has no entry under ``key`` (render it now)."""
        if self.cache is None or key is None or not self.cache.holds(key):
            return None
        with self._guard:
            self._stats.hits = (self._stats.hits or 0) + 1
        self.keep_key(unit.identity, key)
        return Deferred(key)

    def get(self, unit: RenderUnit, key: str | None, counted: bool = True) -> Parsed | None:
        """The documents cached under ``key``; None: render it (a miss, a corrupt entry).
        ``counted``: a hit for the summary (False: counted when it was deferred)."""
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
        if counted:
            with self._guard:
                self._stats.hits = (self._stats.hits or 0) + 1
        self.keep_key(unit.identity, key)
        return parsed

    def put(
        self, unit: RenderUnit, key: str | None, seen: Seen, deadline: float, made: Rendered
    ) -> None:
        """Keep a fresh render under ``key``, unless an input changed while it was made."""
        # An input edited while Kustomize ran (a branch switch, an editor saving)
        # means the render matches neither state: it is not kept.
        if self.cache is None or key is None or not self._unchanged(unit, key, seen, deadline):
            return
        exact = json_exact(made.parsed)
        if not exact and not made.text:
            return  # nothing to keep: no output text, and documents JSON cannot hold
        self.cache.put(key, Entry(made.text, made.wrapper, made.parsed if exact else None))
        self.keep_key(unit.identity, key)

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
