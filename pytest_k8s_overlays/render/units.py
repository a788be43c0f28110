"""What the store renders once per session: a render unit, whatever deployed it.

A unit says who it is (its identity: two units with one identity are one
render), what its cache key covers (it writes its inputs with a
:class:`KeyWriter`, which the cache implements) and how it renders (with a
:class:`Workshop`, which the store implements). One implementation per kind
of deployable: :class:`OverlayUnit` (a kustomization directory Kustomize
builds as it is), :class:`ApplicationUnit` (an Argo CD Application, as Argo
CD renders it) and :class:`ComponentUnit` (a Component no gated overlay
uses, rendered through a consumer). :func:`unit_of` is the one place that
tells them apart; the store, the cache key and the items only use the
protocol.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from ..core import paths
from ..core.applications import UNSUPPORTED, Recipe
from ..core.deployables import COMPONENT, Deployable
from ..core.paths import display_path
from ..core.resources import Resource
from ..parse.documents import Parsed, ParseError, parse_render
from ..sources.kustomize.components import uses_directly
from ..sources.kustomize.confine import outside_problem
from . import processes
from .engine import Renderer, RenderError, build
from .redact import Redactor

if TYPE_CHECKING:
    from ..parse.crds import GroupKind

#: A render's outcome, before it is tied to a deployable: resources, or why not.
Outcome = tuple[Resource, ...] | str


@dataclass(frozen=True)
class Rendered:
    """A fresh render: its documents and, for the cache, the output as printed and the
    wrapper directory its origin paths are relative to ("" and None: keep the documents)."""

    parsed: Parsed
    text: str = ""
    wrapper: str | None = None


class KeyWriter(Protocol):
    """What a unit writes its cache key with: every input's content, read within a budget."""

    @property
    def build_args(self) -> tuple[str, ...]:
        """The session's build arguments (already part of the key)."""
        ...

    def text(self, value: str) -> None:
        """Add ``value`` to the key."""

    def tree(self, directory: Path, root: Path | None) -> str:
        """The digest of every file under ``directory`` (none read outside ``root``)."""
        ...

    def file(self, path: Path) -> str:
        """The digest of one file."""
        ...

    def build_inputs(
        self,
        directory: Path,
        build_args: Sequence[str],
        top: Mapping[str, Any] | None,
        root: Path | None,
    ) -> None:
        """Add everything the Kustomize build of ``directory`` reads (``top``: its
        kustomization as edited) to the key."""

    def program(self, command: str) -> str:
        """The identity of a program on PATH (its name and content), as JSON."""
        ...

    def refuse(self, why: str) -> NoReturn:
        """Give up: the unit has no key (Uncacheable, saying ``why``)."""
        ...


class Workshop(Protocol):
    """What a unit renders with: the store's renderer, its settings, and other units."""

    renderer: Renderer
    build_args: tuple[str, ...]
    timeout: float
    env: dict[str, str] | None
    display_root: Path

    def outcome(self, unit: RenderUnit) -> Outcome:
        """Another unit's outcome, rendered once per session (a Component's consumer)."""
        ...

    def counted(self) -> None:
        """Count one render run (for the summary)."""

    def scopes(self) -> Mapping[GroupKind, bool]:
        """The scopes of the kinds the CRD files given declare."""
        ...


class RenderUnit(Protocol):
    """One thing rendered once per session: who it is, what its key covers, how it renders."""

    @property
    def identity(self) -> str:
        """Unique in a session: units with one identity are one render."""
        ...

    @property
    def directory(self) -> Path | None:
        """Where a crash is located, and whose Secret sources its messages hide (None:
        none of its own, the repository's)."""
        ...

    @property
    def cached(self) -> bool:
        """Whether it goes through the render cache (False: rendered every session)."""
        ...

    @property
    def judged(self) -> bool:
        """Whether the checks judge its objects (False: only that it renders)."""
        ...

    def refused(self, shop: Workshop) -> str | None:
        """Why it is not rendered at all, before its inputs are read; None: render it."""
        ...

    def write_key(self, key: KeyWriter) -> None:
        """Write every input of its render into its cache key."""

    def render(self, shop: Workshop, deadline: float) -> Rendered | Outcome:
        """Render it: fresh documents, another unit's outcome, or why it failed."""
        ...

    def finish(self, parsed: Parsed, shop: Workshop) -> None:
        """Turn documents (fresh or cached) into what gets deployed, in place."""


@dataclass(frozen=True)
class OverlayUnit:
    """A kustomization directory Kustomize builds as it is."""

    #: The directory as found (messages name it so).
    found: Path
    #: The directory nothing it builds may leave (None: not confined).
    repository: Path | None = None

    cached = True
    judged = True

    @cached_property
    def directory(self) -> Path:
        # Symlinked directories render once.
        return paths.resolved(self.found)

    @cached_property
    def identity(self) -> str:
        return f"overlay:{self.directory}"

    def refused(self, shop: Workshop) -> str | None:
        # Before its key: nothing outside the repository is read, hashed or cached.
        if self.repository is None:
            return None
        problem = outside_problem(self.found, self.repository, shop.build_args)
        return f"not built: {problem}" if problem is not None else None

    def write_key(self, key: KeyWriter) -> None:
        key.text(f"overlay\0{self.directory}\n")
        key.build_inputs(self.directory, key.build_args, None, self.repository)

    def render(self, shop: Workshop, deadline: float) -> Rendered | Outcome:
        shop.counted()
        redactor = Redactor(self.directory, shop.display_root)
        try:
            output, wrapper = build(
                shop.renderer,
                self.directory,
                shop.build_args,
                shop.timeout,
                shop.env,
                deadline=deadline,
                locate=redactor.locate,
            )
        except RenderError as error:
            return f"kustomize build failed: {redactor.scrub(str(error))}"
        text = output.decode("utf-8", "replace")
        try:
            parsed = parse_render(text, wrapper)
        except ParseError as error:
            return str(error)
        return Rendered(parsed, text, str(wrapper) if wrapper else None)

    def finish(self, parsed: Parsed, shop: Workshop) -> None:
        return None


@dataclass(frozen=True)
class ApplicationUnit:
    """An Argo CD Application, rendered as Argo CD does (see :mod:`.recipes`)."""

    recipe: Recipe

    cached = True
    judged = True

    @cached_property
    def identity(self) -> str:
        # Two Applications with the same path but other overrides are two renders.
        return f"argocd:{self.recipe!r}"

    @property
    def directory(self) -> Path | None:
        sources = self.recipe.sources
        return sources[0].path if sources else None

    def refused(self, shop: Workshop) -> str | None:
        from .recipes import NOT_RENDERED

        if self.recipe.error is None:
            return None
        # The emulation's own limit says nothing of what Argo CD renders.
        intro = "" if self.recipe.error.startswith(UNSUPPORTED) else f"{NOT_RENDERED}: "
        return self._scrubbed(shop, f"{intro}{self.recipe.error}")

    def write_key(self, key: KeyWriter) -> None:
        """Its recipe (every override, the merged ``.argocd-source`` files' result, the
        build options, the destination namespace), the kustomization as edited for it,
        and every input its sources read."""
        from ..core.applications import HELM, KUSTOMIZE, canonical
        from ..parse.kustomize_edit import EditError, edited_kustomization

        recipe = self.recipe
        key.text(f"argocd\0{recipe.namespace}\0{recipe.error}\n")
        for source in recipe.sources:
            described = [source.type, str(source.path), source.settings, source.build_options]
            key.text(f"source\0{canonical(described)}\n")
            if source.type != KUSTOMIZE:
                key.text(f"tree\0{key.tree(source.path, source.root)}\n")
                if source.type == HELM:
                    key.text(f"helm\0{key.program('helm')}\n")
                    # Value files and file parameters, in order: they may lie anywhere
                    # in the repository, outside the chart's tree. A missing file fails
                    # the render (never cached); its absence is keyed all the same.
                    named = [("values", path) for path in source.value_files]
                    named += [(f"file\0{name}", path) for name, path in source.file_parameters]
                    for what, path in named:
                        content = key.file(path) if path.exists() else "missing"
                        key.text(f"{what}\0{path}\0{content}\n")
                continue
            try:
                edited = edited_kustomization(source)
            except EditError as error:
                key.refuse(f"{source.shown}: {error}")
            top = edited[1] if edited is not None else None
            key.text(f"edited\0{canonical(top)}\n")
            key.build_inputs(source.path, source.build_options, top, source.root)

    def render(self, shop: Workshop, deadline: float) -> Rendered | Outcome:
        from . import recipes

        shop.counted()
        try:
            parsed = recipes.render_recipe(self.recipe, shop.renderer, shop.timeout, shop.env)
        except recipes.NotRendered as error:
            return self._scrubbed(shop, f"{recipes.NOT_RENDERED}: {error}")
        except RenderError as error:
            # What a failure quotes of a Secret source is hidden.
            return self._scrubbed(shop, f"kustomize build failed: {error}")
        # The documents are the entry: origins were read from the private copy.
        return Rendered(parsed)

    def finish(self, parsed: Parsed, shop: Workshop) -> None:
        """Normalise as Argo CD's controller does (destination namespace, scopes)."""
        from .recipes import normalize

        normalize(parsed, self.recipe.namespace, shop.scopes())

    def _scrubbed(self, shop: Workshop, message: str) -> str:
        """A failure, with what it may quote of a Secret source of any source hidden."""
        for directory in [s.path for s in self.recipe.sources] or [shop.display_root]:
            message = Redactor(directory, shop.display_root).scrub(message)
        return message


@dataclass(frozen=True)
class ComponentUnit:
    """A ``kind: Component`` no gated overlay uses, rendered through a consumer: each
    in order of preference until one succeeds (see :mod:`..sources.kustomize.components`)."""

    path: Path
    consumers: tuple[Path, ...]
    repository: Path | None = None

    # Rendered with a consumer's objects: never cached (rare, and cheap), and only
    # whether it renders is judged; the consumer's objects are judged where it is gated.
    cached = False
    judged = False

    @property
    def identity(self) -> str:
        return f"component:{self.path}"

    @property
    def directory(self) -> Path:
        return self.path

    def refused(self, shop: Workshop) -> str | None:
        if self.repository is None:
            return None
        problem = outside_problem(self.path, self.repository, shop.build_args)
        return f"not built: {problem}" if problem is not None else None

    def write_key(self, key: KeyWriter) -> None:
        key.refuse("a Component is rendered through its consumers, never cached")

    def render(self, shop: Workshop, deadline: float) -> Rendered | Outcome:
        """Through each consumer until one succeeds; the first consumer's message
        when all fail."""
        failures: list[str] = []
        for consumer in self.consumers:
            shown = display_path(consumer, shop.display_root)
            if self.repository is not None:
                problem = outside_problem(consumer, self.repository, shop.build_args)
                if problem is not None:
                    failures.append(f"through {shown}: not built: {problem}")
                    continue
            made: Rendered | Outcome
            if uses_directly(consumer, self.path):
                # The repository's own use: the consumer's render, made once.
                made = shop.outcome(OverlayUnit(consumer, self.repository))
            else:
                made = self._composed(shop, consumer)
            if not isinstance(made, str):
                return made
            failures.append(f"through {shown}: {made}")
        if not failures:
            return "no kustomization to render it through"
        others = [f.split(":", 1)[0] for f in failures[1:]]
        also = f"\n(also failed {', '.join(others)})" if others else ""
        return f"a Component no gated overlay uses, rendered {failures[0]}{also}"

    def _composed(self, shop: Workshop, consumer: Path) -> Rendered | str:
        """Render ``consumer`` with this Component added."""
        shop.counted()
        with processes.temporary_directory("component-") as tmp:
            workdir = Path(tmp)
            wrapper = {
                "resources": [os.path.relpath(consumer, workdir)],
                "components": [os.path.relpath(self.path, workdir)],
            }
            (workdir / "kustomization.yaml").write_text(json.dumps(wrapper), encoding="utf-8")
            # What the failure quotes of a Secret source (the consumer's or the
            # Component's) is hidden and located, as for an overlay.
            mine, theirs = (
                Redactor(self.path, shop.display_root),
                Redactor(consumer, shop.display_root),
            )

            def locate(material: str | bytes) -> str | None:
                return mine.locate(material) or theirs.locate(material)

            try:
                output, _ = build(
                    shop.renderer,
                    workdir,
                    shop.build_args,
                    shop.timeout,
                    shop.env,
                    origins=False,
                    locate=locate,
                )
            except RenderError as error:
                # Built from a temporary directory: show the user's paths as the gate does.
                root = f"{shop.display_root.resolve()}{os.sep}"
                message = theirs.scrub(mine.scrub(str(error).replace(root, "")))
                return f"kustomize build failed: {message}"
        try:
            return Rendered(parse_render(output.decode("utf-8", "replace"), None))
        except ParseError as error:
            return str(error)

    def finish(self, parsed: Parsed, shop: Workshop) -> None:
        return None


def unit_of(spec: Deployable) -> RenderUnit:
    """The unit a deployable renders as: the one place that tells the kinds apart."""
    if spec.recipe is not None:
        return ApplicationUnit(spec.recipe)
    if spec.kind == COMPONENT:
        return ComponentUnit(spec.path, spec.consumers, spec.repository)
    return OverlayUnit(spec.path, spec.repository)
