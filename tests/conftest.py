"""Shared test helpers: real overlay trees built from example_repo."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays import Overlay, Resource

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "example_repo"
SERVICES = ("auth", "my", "scan", "character", "location", "info", "chat")


def make_overlay(
    name: str,
    *docs: dict[str, Any],
    group: str = "k8s/overlays",
    kustomization: Path | None = None,
    source: str | None = None,
) -> Overlay:
    """An overlay of plain manifests, for unit tests of checks (no rendering)."""
    resources = tuple(Resource(doc, source) for doc in docs)
    kfile = kustomization or Path(name, "kustomization.yaml")
    return Overlay(name, group, Path(name), kfile, resources)


def write(root: Path, relative: str, text: str) -> Path:
    """Write a dedented file under root, creating its directories."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def add_patch(root: Path, overlay: str, name: str, text: str) -> Path:
    """Give an example overlay (one with no ``patches:`` yet) a patch file; return it."""
    kfile = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    kfile.write_text(kfile.read_text() + f"patches:\n  - path: {name}\n")
    return write(root, f"k8s/overlays/{overlay}/{name}", text)


@pytest.fixture
def example(pytester: pytest.Pytester) -> Path:
    """A copy of example_repo's k8s tree (no ini, no tests) in pytester's directory."""
    shutil.copytree(EXAMPLE / "k8s", pytester.path / "k8s")
    return pytester.path
