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
internal error, 4 a usage error, 5 nothing to gate.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import pytest

from .config.settings import value_flags

#: pytest's own options that take a separate value (``-k auth``): the word after
#: them is theirs, not a PATH. Any other option is written ``--opt=value``.
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
    arguments = gate_arguments(sys.argv[1:] if argv is None else argv)
    # pytest-xdist workers start from the arguments, not from this process's
    # plugins: -p names the command's plugin, so that they skip the walk too.
    arguments = ["-p", "pytest_k8s_overlays.pytest_plugin.gate_only", *arguments]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        arguments = ["-p", "pytest_k8s_overlays.pytest_plugin.plugin", *arguments]
    return int(pytest.main(arguments))
