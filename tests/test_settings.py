"""Settings: one table of flags and ini keys, read the same way from every source."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_k8s_overlays.checks import check_ids, rule_ids
from pytest_k8s_overlays.checks.schema.versions import bundled_versions
from pytest_k8s_overlays.config.settings import SETTINGS
from pytest_k8s_overlays.pytest_plugin.options import _ini_type

from .builders import drop_field

PYTEST_9_2 = tuple(int(p) for p in pytest.__version__.split(".")[:2]) >= (9, 2)

#: A test that prints the settings the plugin read, one ``name=value`` per line.
SHOW_SETTINGS = """
    import os
    from pytest_k8s_overlays.pytest_plugin.stash import SETTINGS_KEY

    def test_show(request):
        s = request.config.stash[SETTINGS_KEY]
        o = s.options
        print()
        for name, value in (
            ("timeout", s.timeout), ("jobs", s.jobs), ("cache", s.use_cache),
            ("checks", ",".join(s.checks)), ("build_args", " ".join(s.build_args)),
            ("allow_latest", o.allow_latest), ("placeholders", ",".join(o.placeholder_images)),
            ("registries", ",".join(o.allowed_registries)), ("label", o.service_label),
            ("strict", o.strict), ("cpus", os.cpu_count() or 1),
        ):
            print(f"setting {name}={value}")
"""


def settings_of(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    """Run the SHOW_SETTINGS test and return what it printed."""
    pytester.makepyfile(test_show=SHOW_SETTINGS)
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", "test_show.py", *args)
    assert result.ret == 0, result.stdout.str()
    return dict(
        line.removeprefix("setting ").split("=", 1)
        for line in result.outlines
        if line.startswith("setting ")
    )


def test_every_setting_has_a_flag_and_an_ini_key_of_the_same_name() -> None:
    for setting in SETTINGS:
        assert setting.flag.removeprefix("--").replace("-", "_") == setting.ini, setting
        if setting.kind == "bool":
            assert setting.negative == setting.flag.replace("--overlays-", "--overlays-no-")


def test_an_empty_ini_value_means_the_default(pytester: pytest.Pytester) -> None:
    # It used to mean the CPU count: a 2-second render timeout on a 2-core runner.
    pytester.makeini("[pytest]\noverlays_timeout =\noverlays_jobs =\noverlays_cache =\n")
    shown = settings_of(pytester)
    assert shown["timeout"] == "60.0"
    assert shown["jobs"] == shown["cpus"]
    assert shown["cache"] == "True"


@pytest.mark.skipif(not PYTEST_9_2, reason="native TOML values with unions need pytest 9.2")
def test_native_toml_numbers_and_booleans_are_accepted(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.pytest]
        overlays_timeout = 30
        overlays_jobs = 3
        overlays_cache = false
        overlays_allow_latest = true
        overlays_strict = "false"
        """
    )
    shown = settings_of(pytester)
    assert (shown["timeout"], shown["jobs"], shown["cache"]) == ("30.0", "3", "False")
    assert (shown["allow_latest"], shown["strict"]) == ("True", "False")


def test_the_ini_types_by_pytest_version() -> None:
    assert _ini_type("float", (9, 2)) == float | str
    assert _ini_type("bool", (9, 2)) == bool | str
    assert _ini_type("int", (9, 0)) == "int"
    assert _ini_type("float", (8, 0)) == "string"
    assert _ini_type("bool", (8, 0)) == "bool"
    assert _ini_type("list", (9, 2)) == "args"


def test_the_command_line_wins_and_old_spellings_still_work(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        textwrap.dedent(
            """
            [pytest]
            overlays_timeout = 30
            overlays_build_args = --enable-helm
            overlays_skip_checks = schema
            overlays_allowed_registries = ghcr.io/acme
            """
        )
    )
    shown = settings_of(
        pytester,
        "--overlays-timeout=5",
        "--overlays-build-arg=--load-restrictor LoadRestrictionsNone",
        "--overlays-skip-check=images",
        "--overlays-allowed-registries=quay.io,ghcr.io/acme",
        "--overlays-placeholder-images=*example*",
        "--overlays-service-label=domain",
        "--overlays-no-strict",
    )
    assert shown["timeout"] == "5.0"
    assert shown["build_args"] == "--load-restrictor LoadRestrictionsNone"
    # Skipped checks add up: the ini's and the command line's.
    assert "schema" not in shown["checks"].split(",")
    assert "images" not in shown["checks"].split(",")
    assert shown["registries"] == "quay.io,ghcr.io/acme"
    assert (shown["placeholders"], shown["label"], shown["strict"]) == (
        "*example*",
        "domain",
        "False",
    )
    assert settings_of(pytester, "--overlays-build-args=--enable-helm")["build_args"] == (
        "--enable-helm"
    )


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--overlays-timeout=0"], "", "*--overlays-timeout: a positive number of seconds *got 0*"),
        (["--overlays-timeout=inf"], "", "*--overlays-timeout: a positive number of seconds*"),
        (["--overlays-jobs=0"], "", "*--overlays-jobs: at least 1 is needed, got 0*"),
        ([], "overlays_timeout = soon", "*ini overlays_timeout = 'soon': 'soon' is not a number*"),
        ([], "overlays_cache = maybe", "*ini overlays_cache = 'maybe': true or false is needed*"),
        (
            ["--overlays-kustomize", 'kubectl "x'],
            "",
            "*--overlays-kustomize: *does not split like a shell command: No closing quotation*",
        ),
        (
            ['--overlays-build-args="x'],
            "",
            "*--overlays-build-args/--overlays-build-arg: *does not split like shell words*",
        ),
        (
            [],
            'overlays_build_args = "x',
            "*No closing quotation*",
        ),
        (["--overlays-checks=render,imagez"], "", "*unknown overlay check 'imagez'; checks: *"),
    ],
)
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*INTERNALERROR*")


#: The settings whose empty value names nothing: (flag, ini key, what to name).
REQUIRED = [
    ("--overlays", "overlays", "PATH"),
    ("--overlays-crds", "overlays_crds", "PATH"),
    ("--overlays-argocd", "overlays_argocd", "PATH"),
    ("--overlays-argocd-repo", "overlays_argocd_repo", "URL"),
]


def test_the_settings_that_must_not_be_empty() -> None:
    # Every other list means its default when empty: all checks, no extra flags...
    assert [(s.flag, s.ini, s.metavar) for s in SETTINGS if s.required] == REQUIRED


@pytest.mark.parametrize(("flag", "key", "metavar"), REQUIRED)
def test_an_empty_path_or_url_is_a_usage_error_from_the_ini_file_too(
    pytester: pytest.Pytester, flag: str, key: str, metavar: str
) -> None:
    # ``overlays =`` used to turn the gate off and pass, where --overlays= was an error.
    pytester.makeini(f"[pytest]\n{key} =\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: tox.ini: ini {key} is empty (an unset variable?): name at least one "
            f"{metavar}, or remove the key"
        ]
    )
    result = pytester.runpytest("-p", "no:cacheprovider", f"{flag}=", "--overlays=.")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    noun = "path" if metavar == "PATH" else metavar
    result.stderr.fnmatch_lines(
        [f"ERROR: {flag}: an empty {noun} (an unset variable in the CI script?)"]
    )


@pytest.mark.skipif(not PYTEST_9_2, reason="native TOML values need pytest 9.2")
@pytest.mark.parametrize(
    ("table", "value"),
    [("tool.pytest", "[]"), ("tool.pytest", '["  "]'), ("tool.pytest.ini_options", '""')],
)
def test_an_empty_toml_list_of_overlays_is_a_usage_error(
    pytester: pytest.Pytester, table: str, value: str
) -> None:
    pytester.makepyprojecttoml(f"[{table}]\noverlays = {value}\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: pyproject.toml: ini overlays is empty *"])


def test_help_lists_the_checks_their_rules_and_the_kubernetes_versions(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("--help")
    text = " ".join(result.stdout.str().split())
    assert ", ".join(check_ids()) in text
    for check, rules in rule_ids().items():
        if rules:
            assert f"{check} ({', '.join(rules)})" in text
    versions = bundled_versions()
    assert f"{versions[0]} to {versions[-1]} (default: {versions[-1]}" in text
    assert "--overlays-cache reuse renders" in text
    assert "--overlays-no-allow-latest" not in text  # negative flags are not listed on their own


def test_the_plugin_imports_nothing_heavy_until_the_gate_is_active() -> None:
    # What every pytest run in the environment pays for: the entry point module.
    code = (
        "import sys, pytest_k8s_overlays.pytest_plugin.plugin; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jsonschema', 'yaml', 'kubernetes_validate', 'pytest_k8s_overlays'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [
        m for m in loaded if m.split(".")[0] in ("jsonschema", "yaml", "kubernetes_validate")
    ]
    assert "pytest_k8s_overlays.pytest_plugin.session" not in loaded
    assert "pytest_k8s_overlays.core.resources" not in loaded
    assert not [m for m in loaded if m.startswith("pytest_k8s_overlays.sources.argocd")]


def test_the_gate_is_registered_only_when_overlays_are_configured(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.makepyfile(
        test_registered="""
        def test_registered(request):
            print("gate:", request.config.pluginmanager.has_plugin("k8s-overlays-gate"))
        """
    )
    assert "gate: False" in pytester.runpytest("-s", "test_registered.py").stdout.str()
    with_gate = pytester.runpytest("-s", "test_registered.py", "--overlays=k8s/overlays")
    assert "gate: True" in with_gate.stdout.str()


def test_a_rule_can_be_left_out_everywhere(pytester: pytest.Pytester, example: Path) -> None:
    # chat without its images: entry runs the placeholder, which is also :latest.
    drop_field(example, "chat", "images")
    both = pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=images")
    both.stdout.fnmatch_lines(["chat: 2 findings [[]placeholder, unpinned]"])
    for skipped in ("unpinned", "images/unpinned"):
        args = ("--overlays-checks=images", f"--overlays-skip-checks={skipped}")
        result = pytester.runpytest("--overlays=k8s/overlays", *args)
        result.assert_outcomes(passed=6, failed=1)
        result.stdout.fnmatch_lines(["chat: [[]placeholder] *", "*[[]placeholder]*"])
        result.stdout.no_fnmatch_line("*[[]unpinned]*")
    unknown = pytester.runpytest("--overlays=k8s/overlays", "--overlays-skip-checks=unpined")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines(["*unknown overlay check or rule 'unpined'; checks: render, *"])
    # check/rule names a rule of that check: schema/placeholder left out the images
    # check's placeholder rule, in silence.
    other = pytester.runpytest("--overlays=k8s/overlays", "--overlays-skip-checks=schema/unpinned")
    assert other.ret == pytest.ExitCode.USAGE_ERROR
    other.stderr.fnmatch_lines(
        [
            "ERROR: --overlays-skip-checks schema/unpinned: unpinned is not a rule of schema; "
            "it is images/unpinned"
        ]
    )
    nowhere = pytester.runpytest("--overlays=k8s/overlays", "--overlays-skip-checks=imgs/unpinned")
    assert nowhere.ret == pytest.ExitCode.USAGE_ERROR
    nowhere.stderr.fnmatch_lines(
        ["*imgs/unpinned: unknown overlay check 'imgs'; checks: render, *"]
    )
