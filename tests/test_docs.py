"""The documentation names every setting, check and rule the code declares."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_k8s_overlays.checks import CHECKS
from pytest_k8s_overlays.config.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHECKS_DOC = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")


def test_the_readme_options_table_names_every_flag_and_ini_key() -> None:
    for setting in SETTINGS:
        assert f"`{setting.flag}" in README, setting.flag
        assert f"`{setting.ini}`" in README, setting.ini
        if setting.negative:
            assert f"`{setting.negative}`" in README, setting.negative


def test_every_check_is_in_the_readme_and_every_rule_in_the_checks_reference() -> None:
    for check in CHECKS.values():
        assert f"| `{check.id}` |" in README, check.id
        for rule in check.rules:
            assert f"`{rule}`" in CHECKS_DOC, rule


def readme_workflow() -> str:
    """The GitHub Actions workflow the README gives, as written there."""
    marker = "# .github/workflows/k8s-overlays.yaml\n"
    start = README.index(marker)
    return README[start : README.index("```", start)]


def actionlint() -> str | None:
    found = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    return found


@pytest.mark.skipif(actionlint() is None, reason="actionlint (the test extra) is not installed")
def test_the_readme_workflow_passes_actionlint(tmp_path: Path) -> None:
    workflow = readme_workflow()
    assert "actions: read" in workflow  # upload-sarif in private repositories
    assert "hashFiles('k8s-overlays.sarif')" in workflow  # no upload after a usage error
    done = subprocess.run(
        [str(actionlint()), "-no-color", "-shellcheck=", "-pyflakes=", "-"],
        input=workflow,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(actionlint() is None, reason="actionlint (the test extra) is not installed")
def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    # What the test above relies on: actionlint reads standard input and fails.
    broken = readme_workflow().replace("hashFiles(", "hashFile(")
    done = subprocess.run(
        [str(actionlint()), "-no-color", "-shellcheck=", "-pyflakes=", "-"],
        input=broken,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert 'undefined function "hashFile"' in done.stdout
