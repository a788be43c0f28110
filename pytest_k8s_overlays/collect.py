"""The zero-code gate's test items: one per deployable and check.

Items hang under the file that defines their deployable: an overlay's
kustomization file holds that overlay's items directly
(``k8s/overlays/auth/kustomization.yaml::images``); a file defining several
deployables (an Argo CD ApplicationSet) holds one collector per deployable
(``clusters/dev/appset.yaml::dev-api-auth::images``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .deployable import Deployable
from .plugin import MARKER
from .stash import SESSION_KEY


class CheckFailed(Exception):
    """A contract or render failure: reported as its message, with no traceback."""


class DeployableItem(pytest.Item):
    """One built-in check run on one deployable (``.../kustomization.yaml::images``)."""

    def __init__(self, *, spec: Deployable, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.add_marker(MARKER)
        # -k matches node names; the deployable's name and group are not among them.
        self.extra_keyword_matches.update({spec.name, spec.group, *spec.name.split("/")})
        # JUnit XML <properties>, so that CI dashboards can group failures.
        self.user_properties += [
            ("check", self.name),
            ("overlay", spec.name),
            ("group", spec.group),
        ]

    @property
    def check(self) -> str:
        return self.name

    def runtest(self) -> None:
        gate = self.config.stash[SESSION_KEY].gate
        message = gate.failure_message(self.spec, self.check)
        rules = gate.fired_rules(self.spec, self.check)
        if rules:
            self.user_properties.append(("rules", ",".join(rules)))
        if message is not None:
            raise CheckFailed(message)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.spec.name} [{self.check}]"


#: The name earlier versions gave the item class.
OverlayCheckItem = DeployableItem


def _check_items(
    parent: pytest.Collector, spec: Deployable, checks: Sequence[str]
) -> list[pytest.Item]:
    return [DeployableItem.from_parent(parent, name=check, spec=spec) for check in checks]


class DeployableCollector(pytest.Collector):
    """One deployable of a file that defines several: the parent of its check items."""

    spec: Deployable
    checks: Sequence[str]

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return list(_check_items(self, self.spec, self.checks))


class DeployableFile(pytest.File):
    """A file that defines deployables: the parent of their items."""

    specs: Sequence[Deployable]
    checks: Sequence[str]

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        if len(self.specs) == 1 and self.specs[0].defined_in is None:
            return list(_check_items(self, self.specs[0], self.checks))
        children: list[pytest.Item | pytest.Collector] = []
        for spec in self.specs:
            child = DeployableCollector.from_parent(self, name=spec.name)
            child.spec = spec
            child.checks = self.checks
            children.append(child)
        return children


def deployable_files(
    parent: pytest.Collector, specs: Sequence[Deployable], checks: Sequence[str]
) -> list[DeployableFile]:
    """One collector per file defining ``specs``, under ``parent``, in order."""
    by_anchor: dict[Path, list[Deployable]] = {}
    for spec in specs:
        by_anchor.setdefault(spec.anchor, []).append(spec)
    files = []
    for anchor, defined in by_anchor.items():
        file = DeployableFile.from_parent(parent, path=anchor)
        file.specs = defined
        file.checks = checks
        files.append(file)
    return files


def _report_collection(session: pytest.Session, node: pytest.Collector) -> Iterator[pytest.Item]:
    """Collect ``node`` like pytest would, reporting it, and yield its items."""
    collected = node.collect()
    # Report the collection like any other file, so "collected N items",
    # -k/-m counts and xdist see these items.
    report = pytest.CollectReport(node.nodeid, "passed", None, list(collected))
    session.ihook.pytest_collectreport(report=report)
    for child in collected:
        if isinstance(child, pytest.Item):
            yield child
        elif isinstance(child, pytest.Collector):
            yield from _report_collection(session, child)


def make_items(
    session: pytest.Session, specs: Sequence[Deployable], checks: Sequence[str]
) -> list[pytest.Item]:
    """Build the items of deployables that pytest's own collection did not reach."""
    items: list[pytest.Item] = []
    for file in deployable_files(session, specs, checks):
        items.extend(_report_collection(session, file))
    return items


def missing_specs(
    config: pytest.Config,
    specs: Sequence[Deployable],
    from_cli: bool,
    items: list[pytest.Item],
) -> list[Deployable]:
    """The deployables whose items pytest's own collection did not produce, and should have.

    Arguments naming gate items (a kustomization file, its node ids, or a
    directory holding overlays) limit the gate to those; single tests named
    (``path::test``) while the overlays come from the ini file run alone.
    Otherwise (``pytest``, ``pytest tests/``, testpaths) every deployable is gated.
    """
    base = config.invocation_params.dir
    plain = [(base / arg).resolve() for arg in config.args if "::" not in arg]
    node_ids = [(base / arg.split("::")[0]).resolve() for arg in config.args if "::" in arg]

    def under(paths: list[Path], spec: Deployable) -> bool:
        file = spec.anchor.resolve()
        return any(path == file or path in file.parents for path in paths)

    if any(under(plain + node_ids, spec) for spec in specs):
        # pytest collected what the arguments name; add what its walk skipped
        # (norecursedirs), but not beside a node id, which selects exactly.
        wanted = [s for s in specs if under(plain, s) and not under(node_ids, s)]
    elif node_ids and not from_cli:
        wanted = []
    else:
        wanted = list(specs)
    have = {item.spec for item in items if isinstance(item, DeployableItem)}
    return [spec for spec in wanted if spec not in have]


def needed_specs(items: list[pytest.Item], specs: Sequence[Deployable]) -> list[Deployable]:
    """The deployables the selected items render: their own, or all for ``overlays``."""
    needed: dict[Deployable, None] = {}
    for item in items:
        if isinstance(item, DeployableItem):
            needed[item.spec] = None
        elif "overlays" in getattr(item, "fixturenames", ()):
            return list(specs)
        else:
            callspec = getattr(item, "callspec", None)
            param = callspec.params.get("overlay") if callspec is not None else None
            if isinstance(param, Deployable):
                needed[param] = None
    return list(needed)
