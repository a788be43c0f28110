"""What every check shares: its options, its declaration (rules, hints, docs) and its record.

A check module declares its check once, next to its logic: ``CHECK = Check(...)``
with its rules (:class:`Rule`: id, hint, one paragraph of documentation) and
the options it reads (:class:`~..core.options.Setting` rows). The catalogue,
``--help``, the settings table and the docs are generated from these
declarations (``python -m pytest_k8s_overlays.docgen``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..core.defaults import DEFAULT_PLACEHOLDERS
from ..core.options import Setting

if TYPE_CHECKING:
    # Only for the types: the catalogue is read on every start-up, and the
    # model and findings load with the first check that runs.
    from ..core.findings import Finding
    from ..core.presumed import Presumed
    from ..core.resources import Overlay


@dataclass(frozen=True)
class CheckOptions:
    """The settings checks read; built once from options and ini keys."""

    allow_latest: bool = False
    placeholder_images: tuple[str, ...] = DEFAULT_PLACEHOLDERS
    allowed_registries: tuple[str, ...] = ()
    service_label: str | None = None
    namespace: str | None = None
    #: Require a namespace even in an overlay that sets none (a relocatable package).
    namespace_required: bool = False
    k8s_version: str | None = None
    strict: bool = True
    crds: tuple[Path, ...] = ()
    require_schemas: bool = False
    #: Services installed outside the repository, ``namespace/name`` globs.
    external_services: tuple[str, ...] = ()
    #: Patterns every container image must match (``{workload}``, ``{last}``... filled in).
    image_convention: tuple[str, ...] = ()
    #: Every group of the session, Argo CD's included (set at start-up): their environments.
    groups: tuple[str, ...] = ()
    #: Rule ids left out everywhere (``--overlays-skip-checks=unpinned``).
    skip_rules: tuple[str, ...] = ()
    #: What the groups deploy that no render holds (a not-rendered Argo CD
    #: Application's namespace, a deployable that failed to render).
    presumed: tuple[Presumed, ...] = ()


#: A check's implementation: the rendered units of one group (or one unit, for
#: an ``overlay``-scope check) in, sorted findings out.
CheckFunction = Callable[[Sequence["Overlay"], CheckOptions], list["Finding"]]


@dataclass(frozen=True)
class Rule:
    """One rule of a check: its id, the hint printed under its findings, and its doc."""

    id: str
    #: The fix, in Kustomize terms: printed under the rule's findings.
    hint: str
    #: What the rule catches, one Markdown paragraph (a row of docs/checks.md).
    doc: str


@dataclass(frozen=True)
class Check:
    """A registered check: its id, scope, rules with their hints, and where it is implemented.

    ``scope`` is ``overlay`` for checks that look at one rendered unit at a time
    and ``group`` for checks that compare the units of one group. ``module``
    (under ``pytest_k8s_overlays.checks``) defines ``run``, a CheckFunction; it
    is imported on first use, so that listing the checks costs nothing.
    """

    id: str
    scope: Literal["overlay", "group"]
    summary: str
    #: Every rule the check reports, with the hint printed under its findings.
    rules: Mapping[str, str]
    module: str | None
    #: Store findings in the render cache, keyed by the renders' content, the units'
    #: definitions and the options: a warm run then reads neither renders nor runs the
    #: check. False only for a check whose findings depend on anything else.
    cache_findings: bool = True
    #: The kinds of deployable it applies to (``overlay``, ``application``); None: all.
    kinds: frozenset[str] | None = None
    #: False for a check that reports something of a unit that did not render
    #: (an Argo CD Application's spec): it then runs on the unit with no resources.
    needs_render: bool = True
    #: What the check catches, one line of the README's table of checks.
    catches: str = ""
    #: Each rule's documentation, by id (declarations only: the catalogue holds no docs).
    docs: Mapping[str, str] = field(default_factory=dict)
    #: The options the check reads: rows of the settings table, fields of CheckOptions.
    options: tuple[Setting, ...] = ()

    def applies_to(self, kind: str) -> bool:
        """Tell whether units of ``kind`` get this check's items."""
        return self.kinds is None or kind in self.kinds

    @property
    def function(self) -> CheckFunction:
        """The implementation (a check with no module finds nothing: ``render``)."""
        if self.module is None:
            return _nothing
        module = importlib.import_module(f"{__package__}.{self.module}")
        function: CheckFunction = module.run
        return function

    def run(self, overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
        """Run the implementation on the units of one group (or one unit)."""
        return self.function(overlays, options)


def declare(
    module: str,
    id: str,
    scope: Literal["overlay", "group"],
    summary: str,
    catches: str,
    rules: Sequence[Rule],
    options: Sequence[Setting] = (),
    *,
    cache_findings: bool = True,
    kinds: frozenset[str] | None = None,
    needs_render: bool = True,
) -> Check:
    """Declare the check of ``module`` (its ``__name__``) with its rules and options."""
    package = f"{__package__}."
    return Check(
        id=id,
        scope=scope,
        summary=summary,
        rules={rule.id: rule.hint for rule in rules},
        module=module.removeprefix(package),
        cache_findings=cache_findings,
        kinds=kinds,
        needs_render=needs_render,
        catches=catches,
        docs={rule.id: rule.doc for rule in rules},
        options=tuple(options),
    )


def _nothing(overlays: Sequence[Overlay], options: CheckOptions) -> list[Finding]:
    return []
