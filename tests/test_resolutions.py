"""The session's remembered directory resolutions agree with ``os.path.realpath``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_k8s_overlays.core import paths


@pytest.fixture
def remembering() -> Iterator[None]:
    paths.remember_resolutions(True)
    try:
        yield
    finally:
        paths.remember_resolutions(False)


def _tree(tmp_path: Path) -> Path:
    """Directories, a link to a directory, a link to a file, a chain, a dangling link."""
    (tmp_path / "repo" / "base" / "deep").mkdir(parents=True)
    (tmp_path / "repo" / "base" / "deep" / "file.yaml").write_text("a: 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "repo" / "linked").symlink_to(tmp_path / "repo" / "base")
    (tmp_path / "repo" / "chain").symlink_to("linked")
    (tmp_path / "repo" / "out").symlink_to(tmp_path / "outside")
    (tmp_path / "repo" / "base" / "file-link.yaml").symlink_to("deep/file.yaml")
    (tmp_path / "repo" / "dangling").symlink_to("nowhere")
    return tmp_path / "repo"


CASES = [
    "base/deep/file.yaml",
    "linked/deep/file.yaml",
    "chain/deep/../deep/file.yaml",
    "linked/../base/deep",
    "out/anything",
    "base/file-link.yaml",
    "dangling",
    "missing/../base",
    "base/deep/",
    "chain/./deep",
    ".",
]


@pytest.mark.usefixtures("remembering")
@pytest.mark.parametrize("relative", CASES)
def test_a_remembered_resolution_is_realpaths(tmp_path: Path, relative: str) -> None:
    repo = _tree(tmp_path)
    text = f"{repo}/{relative}"
    # Twice: the second answer comes from what the first remembered.
    assert paths.real(text) == os.path.realpath(text)
    assert paths.real(text) == os.path.realpath(text)
    assert paths.resolved(Path(text)) == Path(text).resolve()


def test_outside_a_session_nothing_is_remembered(tmp_path: Path) -> None:
    repo = _tree(tmp_path)
    assert paths.real(repo / "linked" / "deep") == str(repo / "base" / "deep")
    (repo / "linked").unlink()
    (repo / "linked").symlink_to(tmp_path / "outside")
    # A later call sees the new link: no memo outside a session.
    assert paths.real(repo / "linked" / "deep") == str(tmp_path / "outside" / "deep")


@pytest.mark.parametrize(
    ("target", "root", "inside"),
    [
        ("/repo", "/repo", True),
        ("/repo/a", "/repo", True),
        ("/repository", "/repo", False),
        ("/elsewhere", "/repo", False),
        ("/anything", "/", True),
    ],
)
def test_lies_in_compares_whole_components(target: str, root: str, inside: bool) -> None:
    assert paths.lies_in(target, root) is inside
