"""The gate alone: ``k8s-overlays [PATH ...] [OPTIONS]``, without the repository's own tests.

A platform team runs a linter as one command, often from a job that installs
nothing of the services' Python stack. ``pytest`` in such a repository loads
its conftests (``pytest_plugins = ["pytest_asyncio"]``), its ``addopts`` and
its ``testpaths`` before the gate runs, and stops with exit status 4 when one
of them needs a package the job does not have. This command runs the same
gate through pytest, with the same options and ini keys, but:

- no ``conftest.py`` is loaded (``--noconftest``), so no ``pytest_plugins``;
- the ini file's ``addopts`` and ``required_plugins`` are left out: they
  belong to the repository's own test run (gate options have ini keys of
  their own, ``overlays_sarif = ...``); ``PYTEST_ADDOPTS`` still applies;
- pytest's walk of the tree collects nothing: the gate's items are the only
  ones, whatever ``testpaths`` says;
- each PATH is a root of overlays, as ``--overlays PATH`` (or, with
  ``--overlays-argocd``, nothing else is needed).

The exit status is pytest's: 0 all passed, 1 a finding, 2 interrupted, 3 an
internal error, 4 a usage error (nothing configured to gate is one), 5 nothing
selected (a ``-k`` that matches no item).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Sequence

import pytest

from .config.settings import value_flags

#: How pytest words the warning about a plugin's package imported before it loads.
_ALREADY_IMPORTED = "Module already imported so cannot be rewritten; pytest_k8s_overlays"

USAGE = """\
usage: k8s-overlays [PATH ...] [OPTIONS]

The pytest-k8s-overlays gate alone: each PATH is a root of overlays (as
--overlays PATH); without one, the ini key overlays (or --overlays-argocd)
says what to gate. No conftest, addopts or testpaths of the repository is
loaded. The options are the plugin's (--overlays-*, listed under
"k8s-overlays" below) and pytest's own. Exit status: 0 passed, 1 findings,
2 interrupted, 3 internal error, 4 usage error, 5 nothing selected. Write
options of other plugins that take a value as --opt=value.
"""

#: pytest's own options (and pytest-xdist's, pytest-timeout's) that take a separate
#: value (``-k auth``): the word after them is theirs, not a PATH. Any other option
#: that takes a value is written ``--opt=value``, or its value is taken for a PATH.
_PYTEST_VALUE_OPTIONS = frozenset(
    {
        "-k",
        "-m",
        "-n",
        "-p",
        "-o",
        "-W",
        "-c",
        "-r",
        "--tb",
        "--maxfail",
        "--rootdir",
        "--basetemp",
        "--junitxml",
        "--junit-xml",
        "--junit-prefix",
        "--durations",
        "--deselect",
        "--override-ini",
        "--log-level",
        "--log-file",
        "--color",
        "--capture",
        "--confcutdir",
        "--numprocesses",
        "--dist",
        "--maxprocesses",
        "--config-file",
        "--pythonwarnings",
        "--ignore",
        "--ignore-glob",
        "--import-mode",
        "--verbosity",
        "--show-capture",
        "--durations-min",
        "--log-cli-level",
        "--log-file-level",
        "--log-format",
        "--log-date-format",
        "--cache-dir",
        "--tx",
        "--max-worker-restart",
        "--timeout",
    }
)

#: What keeps the repository's own test run out of the gate's: its conftests, the
#: ini keys that name its plugins or make their warnings errors, and pytest's
#: warning about the ini keys of those plugins (``asyncio_mode``); a misspelt key
#: of the gate's own (``overlays_...``) is still reported.
_ISOLATION = (
    "--noconftest",
    "-o",
    "addopts=",
    "-o",
    "required_plugins=",
    "-o",
    "testpaths=",
    "-o",
    "strict_config=false",
    "-o",
    "strict=false",
    # In place of the repository's filterwarnings; a regular expression is
    # taken from the ini key only (pytest escapes those of -W).
    "-o",
    "filterwarnings=ignore:Unknown config option. (?!overlays):pytest.PytestConfigWarning",
)


def gate_arguments(argv: Sequence[str]) -> list[str]:
    """pytest's arguments for the gate-only command line ``argv``.

    A plugin option written with a space (``--overlays-kustomize /usr/bin/kubectl``)
    is joined into one word, so that pytest never takes its value for a test path
    (which would move its rootdir); every other bare word is a PATH of overlays.
    """
    plugin_flags = set(value_flags())
    arguments: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--":
            arguments += [f"--overlays={path}" for path in words]
        elif word in plugin_flags:
            value = next(words, None)
            arguments.append(word if value is None else f"{word}={value}")
        elif word in _PYTEST_VALUE_OPTIONS:
            arguments.append(word)
            value = next(words, None)
            if value is not None:
                arguments.append(value)
        elif word.startswith("-") and word != "-":
            arguments.append(word)
        else:
            arguments.append(f"--overlays={word}")
    return [*_ISOLATION, *arguments]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the gate with ``argv`` (default: the command line) and return pytest's exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    if "--version" in given or "-V" in given:
        print(version())
        return 0
    if "--help" in given or "-h" in given:
        print(USAGE)
    arguments = gate_arguments(given)
    # pytest-xdist workers start from the arguments, not from this process's
    # plugins: -p names the command's plugin, so that they skip the walk too.
    arguments = ["-p", "pytest_k8s_overlays.pytest_plugin.gate_only", *arguments]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        arguments = ["-p", "pytest_k8s_overlays.pytest_plugin.plugin", *arguments]
    # This command imported the package before pytest could mark it for assert
    # rewriting (it has no asserts to rewrite): last, so a user's -W error keeps it.
    arguments += ["-W", f"ignore:{_ALREADY_IMPORTED}:pytest.PytestAssertRewriteWarning"]
    return int(pytest.main(arguments))


def version() -> str:
    """``k8s-overlays X (pytest Y)``: what ``--version`` prints."""
    try:
        mine = importlib.metadata.version("pytest-k8s-overlays")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout
        mine = "unknown"
    return f"k8s-overlays {mine} (pytest {pytest.__version__})"
