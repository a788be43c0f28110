"""The documentation names every setting, check and rule the code declares."""

from __future__ import annotations

from pathlib import Path

from pytest_k8s_overlays.checks import CHECKS
from pytest_k8s_overlays.settings import SETTINGS

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
