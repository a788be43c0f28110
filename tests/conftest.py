"""Shared test helpers: real overlay trees built from example_repo."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "example_repo"
SERVICES = ("auth", "my", "scan", "character", "location", "info", "chat")


def write(root: Path, relative: str, text: str) -> Path:
    """Write a dedented file under root, creating its directories."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def example(pytester: pytest.Pytester) -> Path:
    """A copy of example_repo's k8s tree (no ini, no tests) in pytester's directory."""
    shutil.copytree(EXAMPLE / "k8s", pytester.path / "k8s")
    return pytester.path
