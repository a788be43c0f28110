"""The gate-only command: the gate without the repository's conftests, addopts or testpaths."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_k8s_overlays.cli import gate_arguments

from .builders import OVERLAY_CHECKS, drop_field, write
from .conftest import SERVICES

GATE_ITEMS = len(SERVICES) * len(OVERLAY_CHECKS)

#: A monorepo's own pytest configuration: its services' plugins and tests, none
#: of which the gate's environment has.
MONOREPO_INI = """\
[tool.pytest.ini_options]
testpaths = ["tests", "apps/*/tests"]
addopts = "--asyncio-mode=auto --cov=app"
asyncio_mode = "auto"
required_plugins = ["pytest-asyncio"]
strict_config = true
filterwarnings = ["error"]
overlays = "k8s/overlays"
"""


def monorepo(root: Path, ini: str = MONOREPO_INI) -> Path:
    write(root, "pyproject.toml", ini)
    write(root, "conftest.py", 'pytest_plugins = ["a_plugin_this_job_lacks"]\n')
    write(root, "tests/test_app.py", "import a_package_only_the_app_has\n")
    write(root, "apps/api/tests/conftest.py", "import another_missing_package\n")
    return root


def gate(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.run(sys.executable, "-m", "pytest_k8s_overlays", "-p", "no:randomly", *args)


def test_plain_pytest_cannot_run_in_such_a_repository(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The premise: pytest itself stops before the gate runs.
    monorepo(example)
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_the_command_gates_a_repository_whose_conftest_cannot_load(
    pytester: pytest.Pytester, example: Path
) -> None:
    monorepo(example)
    result = gate(pytester)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines([f"*{GATE_ITEMS} passed*"])
    # The monorepo's plugins' ini keys and test paths are not the gate's business.
    assert "asyncio_mode" not in result.stdout.str()
    assert "testpaths" not in result.stdout.str()

    drop_field(example, "chat", "images")  # chat forgets its images: entry
    result = gate(pytester, "-q")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "FAILED k8s/overlays/chat/kustomization.yaml::images - chat: *",
            f"1 failed, {GATE_ITEMS - 1} passed*",
        ]
    )


def test_paths_name_the_overlays_and_options_take_a_space(
    pytester: pytest.Pytester, example: Path
) -> None:
    monorepo(example, MONOREPO_INI.replace('overlays = "k8s/overlays"\n', ""))
    auth = "k8s/overlays/auth"
    # --overlays-skip-checks written with a space: its value is not a path of overlays.
    result = gate(pytester, auth, "--overlays-skip-checks", "schema", "-k", "images")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed, * deselected*"])
    assert "::schema" not in result.stdout.str()


def test_a_misspelt_gate_key_is_still_reported(pytester: pytest.Pytester, example: Path) -> None:
    monorepo(example, MONOREPO_INI + "overlays_alow_latest = true\n")
    result = gate(pytester)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["*Unknown config option: overlays_alow_latest*"])


def test_nothing_to_gate_is_a_usage_error(pytester: pytest.Pytester) -> None:
    monorepo(pytester.path, MONOREPO_INI.replace('overlays = "k8s/overlays"\n', ""))
    result = gate(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: k8s-overlays: no overlays configured: name them *"])


def test_version_and_help_name_the_command(pytester: pytest.Pytester) -> None:
    result = gate(pytester, "--version")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["k8s-overlays * (pytest *)"])
    result = gate(pytester, "--help")
    result.stdout.fnmatch_lines(
        ["usage: k8s-overlays [[]PATH ...] [[]OPTIONS]", "*--overlays-argocd*"]
    )


def test_arguments_keep_the_repository_out_and_join_spaced_values() -> None:
    arguments = gate_arguments(
        ["k8s/overlays", "--overlays-kustomize", "/usr/bin/kubectl", "-k", "auth", "-q", "--", "x"]
    )
    assert arguments[:2] == ["--noconftest", "-o"]
    assert arguments[arguments.index("--overlays=k8s/overlays") :] == [
        "--overlays=k8s/overlays",
        "--overlays-kustomize=/usr/bin/kubectl",
        "-k",
        "auth",
        "-q",
        "--overlays=x",
    ]
    assert "addopts=" in arguments
    assert "required_plugins=" in arguments
