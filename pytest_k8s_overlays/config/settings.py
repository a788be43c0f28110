"""Where a setting comes from: one table of flags and ini keys, read into a frozen Settings.

Every setting is declared once, in SETTINGS: its flag (and the older
spellings kept as aliases), its ini key, its type, default and help. Both
option registration and reading (:mod:`..pytest_plugin.options`, the only
part that knows pytest) walk that table, so the two cannot drift. The command line wins over the ini
file; an empty ini value means the default, except for the paths and URLs that
name what to gate (a usage error, as the empty flag is); numbers and booleans may be
native TOML values (pytest 9.2+) or strings.

This module runs on every pytest start-up, gate or not: it imports nothing
heavy (the check catalogue is a table, the checks themselves load later).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..checks import CHECK_SETTINGS, check_ids, rule_ids
from ..checks.base import CheckOptions
from ..core.defaults import DEFAULT_TIMEOUT
from ..core.options import Setting


def _checks_help() -> str:
    return "comma-separated check ids to run (default: all): " + ", ".join(check_ids())


def _skip_help() -> str:
    listed = "; ".join(
        f"{check} ({', '.join(rules)})" if rules else check for check, rules in rule_ids().items()
    )
    return (
        "a check id, or a rule id (or check/rule) to leave out everywhere (repeatable, or "
        f"comma-separated); the checks and their rules: {listed}"
    )


def _k8s_versions() -> str:
    from ..checks.schema.versions import bundled_versions

    versions = bundled_versions()
    if not versions:
        return "none bundled (kubernetes-validate bundles none)"
    return f"{versions[0]} to {versions[-1]} (default: {versions[-1]}, the newest bundled)"


def _check_settings() -> tuple[Setting, ...]:
    """The options the checks declare, with what only this installation knows filled in."""
    return tuple(
        replace(setting, help=setting.help.replace("{k8s_versions}", _k8s_versions()))
        for setting in CHECK_SETTINGS
    )


def _settings() -> tuple[Setting, ...]:
    return (
        Setting(
            "overlays",
            ("--overlays",),
            "overlays",
            "list",
            (),
            "a directory or glob of Kustomize overlays to gate; repeat for several groups",
            "PATH",
            split="none",
            required=True,
            paths=True,
        ),
        Setting(
            "kustomize",
            ("--overlays-kustomize",),
            "overlays_kustomize",
            "str",
            None,
            "the renderer command (default: discovered, see the README)",
            "CMD",
        ),
        Setting(
            "build_args",
            ("--overlays-build-args", "--overlays-build-arg"),
            "overlays_build_args",
            "list",
            (),
            "extra kustomize build flags, split like a shell, e.g. "
            "--overlays-build-args=--enable-helm",
            "ARGS",
            split="shell",
        ),
        Setting(
            "timeout",
            ("--overlays-timeout",),
            "overlays_timeout",
            "float",
            DEFAULT_TIMEOUT,
            f"seconds per render before it is killed (default: {DEFAULT_TIMEOUT:g})",
            "SECONDS",
        ),
        Setting(
            "jobs",
            ("--overlays-jobs",),
            "overlays_jobs",
            "int",
            None,
            "parallel renders (default: the CPU count)",
            "N",
        ),
        Setting(
            "checks", ("--overlays-checks",), "overlays_checks", "list", (), _checks_help(), "LIST"
        ),
        Setting(
            "skip_checks",
            ("--overlays-skip-checks", "--overlays-skip-check"),
            "overlays_skip_checks",
            "list",
            (),
            _skip_help(),
            "CHECK",
            additive=True,
        ),
        Setting(
            "cache",
            ("--overlays-cache",),
            "overlays_cache",
            "bool",
            True,
            "reuse renders of unchanged overlays (default: on; --overlays-no-cache renders "
            "every overlay afresh)",
            negative="--overlays-no-cache",
        ),
        Setting(
            "cache_prune",
            ("--overlays-cache-prune",),
            "overlays_cache_prune",
            "bool",
            False,
            "at the end of a completed run, remove the render cache entries it did not use "
            "(default: only those no run used for 7 days); run it with the whole gate",
            negative="--overlays-no-cache-prune",
        ),
        Setting(
            "cache_key_file",
            ("--overlays-cache-key-file",),
            "overlays_cache_key_file",
            "str",
            None,
            "the file holding the secret that signs render cache entries, kept outside the "
            "checkout (default: $PYTEST_K8S_OVERLAYS_CACHE_KEY, else "
            "$XDG_CACHE_HOME/pytest-k8s-overlays/key, created on first use)",
            "PATH",
        ),
        Setting(
            "origin_annotations",
            ("--overlays-origin-annotations",),
            "overlays_origin_annotations",
            "bool",
            False,
            "keep Kustomize's config.kubernetes.io/origin annotations in the manifests",
            negative="--overlays-no-origin-annotations",
        ),
        *_check_settings(),
        Setting(
            "argocd",
            ("--overlays-argocd",),
            "overlays_argocd",
            "list",
            (),
            "a file or directory of Argo CD manifests (one Argo CD instance): gate the "
            "Applications it deploys, rendered as Argo CD renders them; repeatable",
            "PATH",
            split="none",
            required=True,
            paths=True,
        ),
        Setting(
            "argocd_repo",
            ("--overlays-argocd-repo",),
            "overlays_argocd_repo",
            "list",
            (),
            "a repoURL that names this repository (default: its git remotes, else the "
            "repoURL of the Applications whose paths exist here); repeatable",
            "URL",
            split="none",
            required=True,
        ),
        Setting(
            "argocd_clusters",
            ("--overlays-argocd-clusters",),
            "overlays_argocd_clusters",
            "list",
            (),
            "the clusters of the Argo CD instances, NAME=SERVER (stand-ins for the clusters "
            "generator; destinations are checked against them); repeatable",
            "NAME=SERVER",
            split="shell",
        ),
        Setting(
            "argocd_build_options",
            ("--overlays-argocd-build-options",),
            "overlays_argocd_build_options",
            "str",
            None,
            "Argo CD's kustomize.buildOptions, trusted as given (default: those of an "
            "argocd-cm ConfigMap among the instance's manifests that run nothing and keep "
            "the load restrictor)",
            "OPTIONS",
        ),
        Setting(
            "annotations",
            ("--overlays-annotations",),
            "overlays_annotations",
            "str",
            "auto",
            "GitHub Actions annotations for findings: github, none, or auto (default: "
            "github when GITHUB_ACTIONS=true)",
            "MODE",
        ),
        Setting(
            "report",
            ("--overlays-report",),
            "overlays_report",
            "str",
            None,
            "write every finding and the run's summary as JSON to PATH",
            "PATH",
        ),
        Setting(
            "sarif",
            ("--overlays-sarif",),
            "overlays_sarif",
            "str",
            None,
            "write every finding as SARIF 2.1.0 (GitHub code scanning) to PATH",
            "PATH",
        ),
        Setting(
            "diff",
            ("--overlays-diff",),
            "overlays_diff",
            "str",
            None,
            "pull-request mode: show what the change deploys compared with REF (a branch, "
            "tag or commit; by default at its merge base with HEAD), rendered offline",
            "REF",
        ),
        Setting(
            "diff_direct",
            ("--overlays-diff-direct",),
            "overlays_diff_direct",
            "bool",
            False,
            "compare with REF itself, not with its merge base with HEAD",
            negative="--overlays-no-diff-direct",
        ),
        Setting(
            "diff_md",
            ("--overlays-diff-md",),
            "overlays_diff_md",
            "str",
            None,
            "write the diff as a Markdown pull-request comment (at most 65,536 characters) "
            "to PATH, and the whole diff beside it",
            "PATH",
        ),
        Setting(
            "diff_json",
            ("--overlays-diff-json",),
            "overlays_diff_json",
            "str",
            None,
            "write the whole diff as JSON to PATH",
            "PATH",
        ),
        Setting(
            "diff_fail_on",
            ("--overlays-diff-fail-on",),
            "overlays_diff_fail_on",
            "list",
            (),
            "fail the run when the diff has: any (any change), removed (a unit or resource "
            "removed), or a change to one of these kinds (comma-separated)",
            "WHAT",
        ),
        Setting(
            "diff_ignore",
            ("--overlays-diff-ignore",),
            "overlays_diff_ignore",
            "list",
            (),
            "leave a resource (Kind, Kind/name, Kind/namespace/name; globs), one field "
            "of it (RESOURCE:/json/pointer) or changed lines (line:REGEX, RESOURCE:line:REGEX) "
            "out of the diff, counted in its footer; repeatable",
            "RULE",
            split="none",
        ),
        Setting(
            "new_only",
            ("--overlays-new-only",),
            "overlays_new_only",
            "bool",
            False,
            "with --overlays-diff: fail only on findings the change introduced; those "
            "present at the base are counted per rule",
            negative="--overlays-no-new-only",
        ),
    )


# -- parsing one value, for the command line (argparse type=) and the ini file alike ------


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 1e6 or math.isnan(value):  # also refuses inf and nan: no timer takes them
        raise ValueError(f"a positive number of seconds is needed, got {text}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise ValueError(f"at least 1 is needed, got {value}")
    return value


def _command(text: str) -> str:
    try:
        shlex.split(text)
    except ValueError as error:
        raise ValueError(f"{text!r} does not split like a shell command: {error}") from None
    return text


#: What --overlays-annotations accepts.
ANNOTATION_MODES = ("auto", "github", "none")


def _annotations(text: str) -> str:
    if text not in ANNOTATION_MODES:
        raise ValueError(f"{text!r} is not one of {', '.join(ANNOTATION_MODES)}")
    return text


#: Validation of scalar values by setting, shared by the flag and the ini key.
PARSERS: dict[str, Callable[[str], Any]] = {
    "timeout": _seconds,
    "jobs": _jobs,
    "kustomize": _command,
    "annotations": _annotations,
}


# -- registration ----------------------------------------------------------------------


# -- reading ---------------------------------------------------------------------------


SETTINGS: tuple[Setting, ...] = _settings()
BY_NAME = {setting.name: setting for setting in SETTINGS}


def value_flags() -> list[str]:
    """Every flag that takes a value (``--overlays-kustomize CMD``): booleans take none."""
    return [flag for setting in SETTINGS if setting.kind != "bool" for flag in setting.flags]


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was told, the command line winning over the ini file."""

    overlays: tuple[tuple[str, Path], ...]
    #: How the overlays were given, for messages: ``--overlays`` or ``ini overlays =``.
    overlays_label: str
    #: The overlays came from the command line (so they gate whatever else is named).
    overlays_from_cli: bool
    kustomize: str | None
    kustomize_source: str
    build_args: tuple[str, ...]
    timeout: float
    jobs: int
    checks: tuple[str, ...]
    use_cache: bool
    keep_origins: bool
    options: CheckOptions
    #: Argo CD instances (``--overlays-argocd``), as given, with their base directory.
    argocd: tuple[tuple[str, Path], ...] = ()
    argocd_label: str = "--overlays-argocd"
    argocd_repos: tuple[str, ...] = ()
    #: (name, server) of the clusters the instances declare.
    argocd_clusters: tuple[tuple[str, str], ...] = ()
    argocd_build_options: str | None = None
    #: The file holding the secret that signs cache entries (None: the default sources).
    cache_key_file: Path | None = None
    #: Remove the cache entries a completed run did not use.
    cache_prune: bool = False
    #: GitHub Actions annotations: ``auto``, ``github`` or ``none``.
    annotations: str = "auto"
    #: Where to write the JSON report and the SARIF log (absolute), if anywhere.
    report: Path | None = None
    sarif: Path | None = None

    @property
    def active(self) -> bool:
        return bool(self.overlays or self.argocd)

    def github_annotations(self, environ: Mapping[str, str]) -> bool:
        """Print annotations: asked for, or ``auto`` inside GitHub Actions."""
        if self.annotations == "auto":
            return environ.get("GITHUB_ACTIONS") == "true"
        return self.annotations == "github"
