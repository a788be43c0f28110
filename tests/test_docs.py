"""The documentation names every setting, check and rule the code declares."""

from __future__ import annotations

import re
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
OPTIONS_DOC = (ROOT / "docs" / "options.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def test_the_options_reference_names_every_flag_and_ini_key() -> None:
    for setting in SETTINGS:
        assert f"`{setting.flag}" in OPTIONS_DOC, setting.flag
        assert f"`{setting.ini}`" in OPTIONS_DOC, setting.ini
        if setting.negative:
            assert f"`{setting.negative}`" in OPTIONS_DOC, setting.negative


def test_the_readme_links_to_the_options_reference() -> None:
    assert "](docs/options.md)" in README


def anchor(heading: str) -> str:
    """Return the anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def broken_links(root: Path) -> list[str]:
    """List the relative links of README.md and docs/*.md that name no file or heading."""
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, fragment = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.is_file():
                broken.append(f"{page.relative_to(root)}: {target}")
            elif fragment and linked.suffix == ".md":
                headings = HEADING.findall(FENCE.sub("", linked.read_text(encoding="utf-8")))
                if fragment not in {anchor(heading) for heading in headings}:
                    broken.append(f"{page.relative_to(root)}: {target}")
    return broken


def test_every_relative_link_of_the_docs_resolves() -> None:
    assert broken_links(ROOT) == []


def test_a_link_to_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## The gate alone: `k8s-overlays`\n")
    (tmp_path / "README.md").write_text(
        "## Exit codes\n\n[ok](docs/a.md#the-gate-alone-k8s-overlays) [ok](#exit-codes)\n"
        "[no](docs/b.md) [no](docs/a.md#options) [no](#nowhere)\n"
        "```\n[code](ignored.md)\n```\n"
    )
    assert broken_links(tmp_path) == [
        "README.md: docs/b.md",
        "README.md: docs/a.md#options",
        "README.md: #nowhere",
    ]


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


def run_actionlint(workflow: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """actionlint on a workflow given as text (standard input)."""
    return subprocess.run(
        [str(actionlint()), "-no-color", "-shellcheck=", "-pyflakes=", "-"],
        input=workflow,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


@pytest.mark.skipif(actionlint() is None, reason="actionlint (the test extra) is not installed")
def test_the_readme_workflow_passes_actionlint(tmp_path: Path) -> None:
    workflow = readme_workflow()
    assert "actions: read" in workflow  # upload-sarif in private repositories
    assert "hashFiles('k8s-overlays.sarif')" in workflow  # no upload after a usage error
    done = run_actionlint(workflow, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def diff_workflow() -> str:
    """The pull-request mode's workflow, as docs/diff.md gives it."""
    text = (ROOT / "docs" / "diff.md").read_text(encoding="utf-8")
    start = text.index("# .github/workflows/k8s-overlays-diff.yaml\n")
    return text[start : text.index("```", start)]


@pytest.mark.skipif(actionlint() is None, reason="actionlint (the test extra) is not installed")
def test_the_diff_workflow_passes_actionlint(tmp_path: Path) -> None:
    workflow = diff_workflow()
    assert "<!-- pytest-k8s-overlays-diff -->" in workflow  # the comment is updated in place
    assert "--overlays-new-only" in workflow
    done = run_actionlint(workflow, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(actionlint() is None, reason="actionlint (the test extra) is not installed")
def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    # What the test above relies on: actionlint reads standard input and fails.
    broken = readme_workflow().replace("hashFiles(", "hashFile(")
    done = run_actionlint(broken, tmp_path)
    assert done.returncode == 1
    assert 'undefined function "hashFile"' in done.stdout
