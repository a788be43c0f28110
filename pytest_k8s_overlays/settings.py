"""Command-line options and ini keys, read once into a frozen Settings value."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from .checks import CheckOptions, check_ids


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was told, the command line winning over the ini file."""

    overlays: tuple[tuple[str, Path], ...]
    overlays_label: str
    kustomize: str | None
    kustomize_source: str
    build_args: tuple[str, ...]
    timeout: float
    jobs: int
    checks: tuple[str, ...]
    use_cache: bool
    keep_origins: bool
    options: CheckOptions

    @property
    def active(self) -> bool:
        return bool(self.overlays)


def _split_list(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--overlays*`` options and their ini keys."""
    group = parser.getgroup("k8s-overlays", "Kustomize overlays gate (pytest-k8s-overlays)")
    group.addoption(
        "--overlays",
        action="append",
        metavar="PATH",
        help="a directory or glob of Kustomize overlays to gate; repeat for several groups",
    )
    group.addoption("--overlays-kustomize", metavar="CMD", help="the renderer command to run")
    group.addoption(
        "--overlays-build-arg",
        action="append",
        metavar="ARG",
        help="extra kustomize build flags, e.g. --overlays-build-arg=--enable-helm",
    )
    group.addoption("--overlays-timeout", type=float, metavar="SECONDS", help="per render (60)")
    group.addoption("--overlays-jobs", type=int, metavar="N", help="parallel renders (CPUs)")
    group.addoption(
        "--overlays-checks", metavar="LIST", help="comma-separated check ids to run (all)"
    )
    group.addoption(
        "--overlays-skip-check",
        action="append",
        metavar="CHECK",
        help="a check id to leave out (repeatable, or comma-separated)",
    )
    group.addoption("--overlays-no-cache", action="store_true", help="render every overlay afresh")
    group.addoption(
        "--overlays-origin-annotations",
        action="store_true",
        help="keep Kustomize's config.kubernetes.io/origin annotations in the manifests",
    )
    group.addoption(
        "--overlays-namespace",
        metavar="PATTERN",
        help="expected namespace of every namespaced resource; {name} is the overlay name, "
        "{first}/{last} its first/last path component, {group} the group",
    )
    group.addoption(
        "--overlays-allow-latest", action="store_true", help="accept untagged and :latest images"
    )
    group.addoption(
        "--overlays-k8s-version", metavar="X.Y", help="Kubernetes version to validate against"
    )
    group.addoption(
        "--overlays-no-strict", action="store_true", help="accept unknown fields in schemas"
    )
    group.addoption(
        "--overlays-crds",
        action="append",
        metavar="PATH",
        help="a file or directory of CustomResourceDefinitions to validate against",
    )
    group.addoption(
        "--overlays-require-schemas",
        action="store_true",
        help="fail custom resources whose kind has no schema",
    )
    parser.addini("overlays", "overlay directories or globs, relative to the ini file", "args")
    parser.addini("overlays_kustomize", "the renderer command to run", default="")
    parser.addini("overlays_build_args", "extra kustomize build flags", "args")
    parser.addini("overlays_timeout", "seconds per render", default="60")
    parser.addini("overlays_jobs", "parallel renders (default: the CPU count)", default="")
    parser.addini("overlays_checks", "check ids to run", "args")
    parser.addini("overlays_skip_checks", "check ids to leave out", "args")
    parser.addini("overlays_cache", "reuse renders of unchanged overlays", "bool", default=True)
    parser.addini("overlays_namespace", "expected namespace pattern", default="")
    parser.addini("overlays_origin_annotations", "keep origin annotations", "bool", False)
    parser.addini("overlays_allow_latest", "accept untagged and :latest images", "bool", False)
    parser.addini(
        "overlays_placeholder_images", "image patterns that mean a forgotten images: entry", "args"
    )
    parser.addini("overlays_allowed_registries", "registries images may come from", "args")
    parser.addini("overlays_service_label", "label every resource must carry: the overlay name")
    parser.addini("overlays_k8s_version", "Kubernetes version to validate against", default="")
    parser.addini("overlays_strict", "reject unknown fields", "bool", default=True)
    parser.addini("overlays_crds", "CRD files or directories, relative to the ini file", "args")
    parser.addini("overlays_require_schemas", "fail custom kinds with no schema", "bool", False)


def _ini_base(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath else config.rootpath


def _number(config: pytest.Config, option: str, ini: str, kind: type[float] | type[int]) -> float:
    value = config.getoption(option)
    if value is not None:
        return float(value)
    raw = str(config.getini(ini) or "").strip()
    if not raw:
        return float(os.cpu_count() or 1)
    try:
        return float(kind(raw))
    except ValueError:
        raise pytest.UsageError(f"ini {ini} = {raw!r}: not a number") from None


def from_config(config: pytest.Config) -> Settings:
    """Read options and ini keys; raise UsageError for values that make no sense."""
    invocation = config.invocation_params.dir
    cli = config.getoption("overlays")
    if cli:
        overlays = tuple((value, invocation) for value in cli)
        label = "--overlays"
    else:
        overlays = tuple((value, _ini_base(config)) for value in config.getini("overlays"))
        label = "ini overlays ="

    kustomize = config.getoption("overlays_kustomize")
    source = "--overlays-kustomize"
    if not kustomize and config.getini("overlays_kustomize"):
        kustomize, source = str(config.getini("overlays_kustomize")), "ini overlays_kustomize"

    cli_args = config.getoption("overlays_build_arg")
    raw_args = cli_args if cli_args else config.getini("overlays_build_args")
    build_args = tuple(word for value in raw_args for word in shlex.split(value))

    timeout = _number(config, "overlays_timeout", "overlays_timeout", float)
    if not 0 < timeout < 1e6:  # also refuses inf and nan, which no timer takes
        raise pytest.UsageError(
            f"--overlays-timeout must be a positive number of seconds, got {timeout:g}"
        )
    jobs = int(_number(config, "overlays_jobs", "overlays_jobs", int))
    if jobs < 1:
        raise pytest.UsageError(f"--overlays-jobs must be at least 1, got {jobs}")

    known = check_ids()
    chosen = _split_list([config.getoption("overlays_checks") or ""]) or _split_list(
        config.getini("overlays_checks")
    )
    skipped = _split_list(config.getoption("overlays_skip_check")) + _split_list(
        config.getini("overlays_skip_checks")
    )
    for name in [*chosen, *skipped]:
        if name not in known:
            raise pytest.UsageError(f"unknown overlay check {name!r}; checks: {', '.join(known)}")
    checks = tuple(c for c in (chosen or known) if c not in skipped)

    crds_cli = config.getoption("overlays_crds")
    crds = (
        tuple(Path(os.path.normpath(invocation / p)) for p in crds_cli)
        if crds_cli
        else tuple(
            Path(os.path.normpath(_ini_base(config) / p)) for p in config.getini("overlays_crds")
        )
    )
    placeholders = tuple(config.getini("overlays_placeholder_images")) or ("*placeholder*",)
    options = CheckOptions(
        allow_latest=bool(
            config.getoption("overlays_allow_latest") or config.getini("overlays_allow_latest")
        ),
        placeholder_images=placeholders,
        allowed_registries=tuple(_split_list(config.getini("overlays_allowed_registries"))),
        service_label=str(config.getini("overlays_service_label") or "").strip() or None,
        namespace=config.getoption("overlays_namespace")
        or str(config.getini("overlays_namespace") or "").strip()
        or None,
        k8s_version=config.getoption("overlays_k8s_version")
        or str(config.getini("overlays_k8s_version") or "").strip()
        or None,
        strict=not config.getoption("overlays_no_strict")
        and bool(config.getini("overlays_strict")),
        crds=crds,
        require_schemas=bool(
            config.getoption("overlays_require_schemas")
            or config.getini("overlays_require_schemas")
        ),
    )
    return Settings(
        overlays=overlays,
        overlays_label=label,
        kustomize=kustomize or None,
        kustomize_source=source,
        build_args=build_args,
        timeout=timeout,
        jobs=jobs,
        checks=checks,
        use_cache=not config.getoption("overlays_no_cache")
        and bool(config.getini("overlays_cache")),
        keep_origins=bool(
            config.getoption("overlays_origin_annotations")
            or config.getini("overlays_origin_annotations")
        ),
        options=options,
    )
