"""The zero-code gate's test items: one per overlay and check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from .discovery import OverlaySpec
from .gate import Gate

MARKER = "k8s_overlays"
GATE_KEY = pytest.StashKey[Gate]()


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
