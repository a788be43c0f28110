"""Refuse ``--overlays-kustomize PATH`` written with a space when pytest took PATH for a test path.

pytest picks its rootdir and configuration file from the command line before
any plugin's options are known: in ``--overlays-kustomize /usr/bin/kubectl``,
``/usr/bin/kubectl`` is a test path at that moment, so the rootdir becomes
``/usr/bin``, the project's ini file is not read and the cache (rendered
Secrets included) is written there. Nothing can make pytest read it right; the
plugin can tell that it happened, and say how to write it.

Imported on every start-up: standard library and pytest only, and the work is
done only when such a pair is on the command line.
"""

from __future__ import annotations

import itertools
import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest


def separated_values(tokens: Iterable[str], flags: Iterable[str]) -> list[tuple[str, str]]:
    """(flag, value) pairs written as two words, where the value is a path that exists."""
    wanted = set(flags)
    words = list(tokens)
    return [
        (flag, value)
        for flag, value in itertools.pairwise(words)
        if flag in wanted and not value.startswith("-") and os.path.exists(value)
    ]


def _setup_without_them(config: pytest.Config) -> tuple[Path, Path | None] | None:
    """The rootdir and ini file pytest would choose from the real test paths alone,
    or None when pytest's (private) way of choosing cannot be called."""
    try:
        import inspect

        from _pytest.config.findpaths import determine_setup

        params = inspect.signature(determine_setup).parameters
        kwargs: dict[str, Any] = {
            "inifile": config.option.inifilename,
            "args": [str(arg) for arg in config.option.file_or_dir or []],
            "rootdir_cmd_arg": config.option.rootdir or None,
            "invocation_dir": config.invocation_params.dir,
        }
        if "override_ini" in params:
            kwargs["override_ini"] = config.option.override_ini
        rootpath, inipath = determine_setup(**kwargs)[:2]
        return Path(rootpath), Path(inipath) if inipath else None
    except Exception:  # a private API: its signature or behaviour may change
        return None


def check(config: pytest.Config, flags: Iterable[str]) -> None:
    """Raise UsageError when a value written after a space moved the rootdir or ini file."""
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    try:
        tokens = [*shlex.split(addopts), *map(str, config.invocation_params.args)]
    except ValueError:
        tokens = [str(arg) for arg in config.invocation_params.args]
    pairs = separated_values(tokens, flags)
    if not pairs:
        return
    # Quoted for the shell when it needs it: a path with a space is one value.
    fix = ", ".join(shlex.quote(f"{flag}={value}") for flag, value in pairs)
    expected = _setup_without_them(config)
    if expected is None:
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"write {fix} (with '='): pytest may take a value written after a space "
                "for a test path when it chooses its rootdir"
            ),
            stacklevel=2,
        )
        return
    if expected != (config.rootpath, config.inipath):
        raise pytest.UsageError(
            f"write {fix} (with '='): pytest chooses its rootdir and configuration file "
            "before plugin options are known, took the value for a test path and chose "
            f"rootdir {config.rootpath} and configuration file {config.inipath or 'none'} "
            f"instead of {expected[0]} and {expected[1] or 'none'}"
        )
