"""The diff's only calls into the render store: a unit's input hash, and its render.

Kept in one module so the store's render-unit protocol can take them over:
:func:`input_hash` says what a unit builds from, by content and by paths
relative to its repository (so the two sides of a diff, checked out in two
directories, hash alike); :func:`side_of` turns the store's result into the
diff's :class:`~..diff.engine.Side`; :func:`base_store` is the base side's
store, with the same renderer, arguments and timeout as the head's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..cache.inputs import Budget, Uncacheable, inputs
from ..cache.key import _Hasher
from ..core.deployables import COMPONENT, Deployable
from ..core.outcomes import RenderFailure
from ..diff.engine import Side
from .store import OverlayStore, Progress, RenderResult

#: One hasher per process: a file's digest is reused while its signature holds.
_HASHER = _Hasher()


def _relative(path: Path, top: Path) -> str:
    # What inputs() returns is resolved already.
    return os.path.relpath(path, top)


def input_hash(spec: Deployable, build_args: Sequence[str]) -> str | None:
    """The content hash of what ``spec`` builds from, paths relative to its repository;
    None when files cannot describe it (a remote base, an Argo CD Application, a
    Component): such a unit is rendered on both sides and compared."""
    if spec.recipe is not None or spec.kind == COMPONENT or spec.repository is None:
        return None
    top = os.path.realpath(spec.repository)
    budget = Budget()
    try:
        found = inputs(spec.path, build_args, budget=budget, root=spec.repository)
        digest = hashlib.sha256(f"args\0{list(build_args)}\n".encode())
        digest.update(f"helm\0{found.helm}\n".encode())
        for directory in sorted(found.chain):
            tree = _HASHER.tree(directory, budget, None, spec.repository)
            digest.update(f"dir\0{_relative(directory, Path(top))}\0{tree}\n".encode())
        for path in sorted(set(found.named)):
            if path.is_dir():
                tree = _HASHER.tree(path, budget, None, spec.repository)
                digest.update(f"tree\0{_relative(path, Path(top))}\0{tree}\n".encode())
            else:
                content = _HASHER.file(path, budget)
                digest.update(f"file\0{_relative(path, Path(top))}\0{content}\n".encode())
    except (Uncacheable, OSError, ValueError):
        return None
    return digest.hexdigest()


def side_of(
    store: OverlayStore, spec: Deployable, hashed: str | None, rendered: bool = True
) -> Side:
    """The diff's view of one unit: its input hash and, when ``rendered``, its render."""
    if not rendered:
        return Side(None, None, hashed)
    result: RenderResult = store.result(spec)
    if isinstance(result, RenderFailure):
        return Side((), result.message, hashed)
    return Side(tuple(resource.raw for resource in result.resources), None, hashed)


def render_all(store: OverlayStore, specs: Sequence[Deployable], jobs: int) -> None:
    """Render ``specs`` in parallel before their results are asked for."""
    store.prefetch(specs, jobs)


class BorrowingStore(OverlayStore):
    """The base side's store: a unit whose inputs hash as the head's does is the head's
    render (nothing rendered again); any other is rendered from the base's files."""

    def __init__(
        self, head: OverlayStore, root: Path, borrowed: Mapping[Deployable, Deployable]
    ) -> None:
        super().__init__(
            head.renderer,
            head.build_args,
            head.timeout,
            display_root=root,
            env=head.env,
            cache=None,
            keep_origins=head.keep_origins,
            crd_files=head.crd_files,
        )
        self._head = head
        self._borrowed = dict(borrowed)

    def borrow(self, borrowed: Mapping[Deployable, Deployable]) -> None:
        """Take the head's render for these base units (their inputs hash alike)."""
        self._borrowed = dict(borrowed)

    def result(self, spec: Deployable) -> RenderResult:
        theirs = self._borrowed.get(spec)
        if theirs is not None:
            return self._head.result(theirs)
        return super().result(spec)

    def prefetch(
        self, specs: Iterable[Deployable], jobs: int, progress: Progress | None = None
    ) -> None:
        super().prefetch([s for s in specs if s not in self._borrowed], jobs, progress)
