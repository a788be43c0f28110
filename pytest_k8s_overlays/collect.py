"""The zero-code gate's test items: one per overlay and check."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from .discovery import OverlaySpec
from .gate import Gate
from .stash import GATE_KEY, SETTINGS_KEY, SPECS_BY_FILE_KEY

MARKER = "k8s_overlays"


class OverlayCheckFailed(Exception):
    """A contract or render failure: reported as its message, with no traceback."""


class OverlayFile(pytest.File):
    """An overlay's kustomization file, parent of that overlay's check items."""

    spec: OverlaySpec
    checks: Sequence[str]

    def collect(self) -> list[pytest.Item]:
        return [
            OverlayCheckItem.from_parent(self, name=check, spec=self.spec) for check in self.checks
        ]


class OverlayCheckItem(pytest.Item):
    """One built-in check run on one overlay (``.../kustomization.yaml::images``)."""

    def __init__(self, *, spec: OverlaySpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(MARKER)
        # -k matches node names; the overlay's name and group are not among them.
        self.extra_keyword_matches.update({spec.name, spec.group, *spec.name.split("/")})

    @property
    def check(self) -> str:
        return self.name

    def runtest(self) -> None:
        message = self.config.stash[GATE_KEY].failure_message(self.spec, self.check)
        if message is not None:
            raise OverlayCheckFailed(message)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, OverlayCheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.spec.name} [{self.check}]"


def overlay_file(parent: pytest.Collector, spec: OverlaySpec, checks: Sequence[str]) -> OverlayFile:
    """The collector of one overlay's items, under ``parent``."""
    file = OverlayFile.from_parent(parent, path=spec.kustomization)
    file.spec = spec
    file.checks = checks
    return file


def make_items(
    session: pytest.Session,
    specs: Sequence[OverlaySpec],
    checks: Sequence[str],
) -> list[pytest.Item]:
    """Build the items of overlays that pytest's own collection did not reach."""
    items: list[pytest.Item] = []
    for spec in specs:
        file = overlay_file(session, spec, checks)
        collected: list[pytest.Item | pytest.Collector] = list(file.collect())
        # Report the collection like any other file, so "collected N items",
        # -k/-m counts and xdist see these items.
        report = pytest.CollectReport(file.nodeid, "passed", None, collected)
        session.ihook.pytest_collectreport(report=report)
        items.extend(i for i in collected if isinstance(i, pytest.Item))
    return items


def spec_for(config: pytest.Config, path: Path) -> OverlaySpec | None:
    """The overlay whose kustomization file ``path`` is, if any."""
    gate = config.stash.get(GATE_KEY, None)
    if gate is None:
        return None
    by_file = config.stash.get(SPECS_BY_FILE_KEY, None)
    if by_file is None:
        by_file = {spec.kustomization.resolve(): spec for spec in gate.specs}
        config.stash[SPECS_BY_FILE_KEY] = by_file
    try:
        return by_file.get(path.resolve())
    except OSError:
        return None


def missing_specs(config: pytest.Config, gate: Gate, items: list[pytest.Item]) -> list[OverlaySpec]:
    """The overlays whose items pytest's own collection did not produce, and should have.

    Arguments naming gate items (a kustomization file, its node ids, or a
    directory holding overlays) limit the gate to those; single tests named
    (``path::test``) while the overlays come from the ini file run alone.
    Otherwise (``pytest``, ``pytest tests/``, testpaths) every overlay is gated.
    """
    settings = config.stash[SETTINGS_KEY]
    base = config.invocation_params.dir
    plain = [(base / arg).resolve() for arg in config.args if "::" not in arg]
    node_ids = [(base / arg.split("::")[0]).resolve() for arg in config.args if "::" in arg]

    def under(paths: list[Path], spec: OverlaySpec) -> bool:
        file = spec.kustomization.resolve()
        return any(path == file or path in file.parents for path in paths)

    if any(under(plain + node_ids, spec) for spec in gate.specs):
        # pytest collected what the arguments name; add what its walk skipped
        # (norecursedirs), but not beside a node id, which selects exactly.
        wanted = [s for s in gate.specs if under(plain, s) and not under(node_ids, s)]
    elif node_ids and settings.overlays_label != "--overlays":
        wanted = []
    else:
        wanted = gate.specs
    have = {item.spec for item in items if isinstance(item, OverlayCheckItem)}
    return [spec for spec in wanted if spec not in have]


def needed_specs(items: list[pytest.Item], gate: Gate) -> list[OverlaySpec]:
    """The overlays the selected items render: their own, or all for ``overlays``."""
    needed: dict[OverlaySpec, None] = {}
    for item in items:
        if isinstance(item, OverlayCheckItem):
            needed[item.spec] = None
        elif "overlays" in getattr(item, "fixturenames", ()):
            return gate.specs
        else:
            callspec = getattr(item, "callspec", None)
            param = callspec.params.get("overlay") if callspec is not None else None
            if isinstance(param, OverlaySpec):
                needed[param] = None
    return list(needed)
