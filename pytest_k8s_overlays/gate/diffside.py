"""The diff's only calls into the render store: a unit's input hash, and its render.

Kept in one module so the store's render-unit protocol can take them over:
:func:`input_hash` says what a unit builds from, by content and by paths
relative to its repository (so the two sides of a diff, checked out in two
directories, hash alike); :func:`side_of` turns the store's result into the
diff's :class:`~..diff.engine.Side`; :func:`base_store` is the base side's
store, with the same renderer, arguments and timeout as the head's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ..cache.inputs import Budget, Inputs, Uncacheable, inputs
from ..cache.key import _Hasher, hash_inputs
from ..core.applications import Recipe
from ..core.deployables import COMPONENT, Deployable
from ..core.outcomes import RenderFailure
from ..diff.engine import Side
from ..render.units import ApplicationUnit, Outcome
from .cached import Deferred
from .store import OverlayStore, Progress, RenderResult

#: One hasher per process: a file's digest is reused while its signature holds.
_HASHER = _Hasher()


def _relative(path: Path, top: Path) -> str:
    # What inputs() returns is resolved already.
    return os.path.relpath(path, top)


def _add_inputs(digest: Any, found: Inputs, root: Path | None, budget: Budget) -> None:
    """Add what a Kustomize build reads, each path relative to the repository."""
    top = Path(os.path.realpath(root)) if root is not None else Path("/")
    digest.update(f"helm\0{found.helm}\n".encode())
    hash_inputs(digest, found, _HASHER, budget, None, root, lambda path: _relative(path, top))


def input_hash(spec: Deployable, build_args: Sequence[str]) -> str | None:
    """The content hash of what ``spec`` builds from, paths relative to its repository;
    None when files cannot describe it (a remote base, a Component, an Application
    the emulation refuses): such a unit is rendered on both sides and compared."""
    if spec.recipe is not None:
        return _application_hash(spec.recipe, build_args)
    if spec.kind == COMPONENT or spec.repository is None:
        return None
    budget = Budget()
    try:
        found = inputs(spec.path, build_args, budget=budget, root=spec.repository)
        digest = hashlib.sha256(f"args\0{list(build_args)}\n".encode())
        _add_inputs(digest, found, spec.repository, budget)
    except (Uncacheable, OSError, ValueError):
        return None
    return digest.hexdigest()


class _RelativeKey:
    """The render cache's key of an Argo CD Application (what its ``write_key`` writes:
    the recipe, every override, every file its sources read), with the repository's
    directory written as a placeholder, so its two sides, written out in two
    directories, hash alike exactly when they hold the same."""

    def __init__(self, tops: Iterable[Path], build_args: Sequence[str]) -> None:
        names = sorted({os.fspath(t) for t in tops} | {os.path.realpath(t) for t in tops})
        # A whole path name only: "/repo" is not the start of "/repo2".
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._tops = re.compile(rf"(?:{alternatives})(?=[/'\"\0\n,)\]]|$)")
        self._build_args = tuple(build_args)
        self._budget = Budget()
        self.digest = hashlib.sha256(f"args\0{list(build_args)}\n".encode())

    @property
    def build_args(self) -> tuple[str, ...]:
        return self._build_args

    def text(self, value: str) -> None:
        # NUL never occurs in a path, nor in canonical JSON: the placeholder is no name.
        self.digest.update(self._tops.sub("\0top\0", value).encode())

    def tree(self, directory: Path, root: Path | None) -> str:
        return _HASHER.tree(directory, self._budget, None, root)

    def file(self, path: Path) -> str:
        return _HASHER.file(path, self._budget)

    def build_inputs(
        self,
        directory: Path,
        build_args: Sequence[str],
        top: Mapping[str, Any] | None,
        root: Path | None,
    ) -> None:
        self.text(f"build\0{directory}\0{list(build_args)}\n")
        _add_inputs(
            self.digest, inputs(directory, build_args, top, self._budget, root), root, self._budget
        )

    def program(self, command: str) -> str:
        return command  # both sides of one run call the same program

    def refuse(self, why: str) -> NoReturn:
        raise Uncacheable(why)


#: Build variables naming the checked-out commit: they differ between the two sides by
#: nature. Where the emulation substitutes them (kustomize images, labels,
#: annotations; Helm value file paths) the result is in the key (the edited
#: kustomization, the files read); else they only reach kubectl and helm's
#: environment, which neither reads (exec plugins are refused build options).
_REVISION = ("ARGOCD_APP_REVISION", "ARGOCD_APP_REVISION_SHORT", "ARGOCD_APP_REVISION_SHORT_8")


def _without_revision(recipe: Recipe) -> Recipe:
    sources = tuple(
        dataclasses.replace(s, env=tuple((k, v) for k, v in s.env if k not in _REVISION))
        for s in recipe.sources
    )
    return dataclasses.replace(recipe, sources=sources)


def _application_hash(recipe: Recipe, build_args: Sequence[str]) -> str | None:
    """An Application's input hash: its whole recipe (overrides, ``ARGOCD_APP_*``
    variables, namespace) and what its cache key reads; None for one the emulation
    refuses (it fails on both sides, and says so) or without a local source."""
    if recipe.error is not None or not recipe.sources:
        return None
    key = _RelativeKey((source.root for source in recipe.sources), build_args)
    try:
        key.text(f"recipe\0{_without_revision(recipe)!r}\n")
        ApplicationUnit(recipe).write_key(key)
    except (Uncacheable, OSError, ValueError):
        return None
    return key.digest.hexdigest()


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

    def state_of(self, spec: Deployable) -> Outcome | Deferred:
        theirs = self._borrowed.get(spec)
        if theirs is not None:
            return self._head.state_of(theirs)
        return super().state_of(spec)

    def prefetch(
        self, specs: Iterable[Deployable], jobs: int, progress: Progress | None = None
    ) -> None:
        super().prefetch([s for s in specs if s not in self._borrowed], jobs, progress)
