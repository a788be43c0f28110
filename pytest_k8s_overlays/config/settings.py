"""Where a setting comes from: one table of flags and ini keys, read into a frozen Settings.

Every setting is declared once, in SETTINGS: its flag (and the older
spellings kept as aliases), its ini key, its type, default and help. Both
option registration (:func:`add_options`) and reading (:func:`from_config`)
walk that table, so the two cannot drift. The command line wins over the ini
file; an empty ini value means the default, except for the paths and URLs that
name what to gate (a usage error, as the empty flag is); numbers and booleans may be
native TOML values (pytest 9.2+) or strings.

This module runs on every pytest start-up, gate or not: it imports nothing
heavy (the check catalogue is a table, the checks themselves load later).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from ..checks import check_ids, rule_ids
from ..checks.base import CheckOptions
from ..core.defaults import DEFAULT_PLACEHOLDERS, DEFAULT_TIMEOUT

Kind = Literal["str", "float", "int", "bool", "list"]

_PYTEST = tuple(int(part) for part in pytest.__version__.split(".")[:2] if part.isdigit())


@dataclass(frozen=True)
class Setting:
    """One setting: its flag(s), ini key, type, default and help."""

    name: str
    flags: tuple[str, ...]
    ini: str
    kind: Kind
    default: Any
    help: str
    metavar: str | None = None
    #: For a boolean: the flag that turns it off (``--overlays-no-cache``).
    negative: str | None = None
    #: For a list: how one value splits (``,``-separated words, or shell words).
    split: Literal["comma", "shell", "none"] = "comma"
    #: For a list: the command line adds to the ini file's list instead of replacing it.
    additive: bool = False
    #: Paths of a list are relative to the ini file (or the invocation directory).
    paths: bool = False
    #: An empty value is a usage error, from the flag and the ini file alike: it names
    #: nothing (an unset variable in a CI script), and the default would gate less.
    required: bool = False

    @property
    def dest(self) -> str:
        return self.ini

    @property
    def flag(self) -> str:
        return self.flags[0]


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


def _k8s_help() -> str:
    from ..checks.schema.versions import bundled_versions

    versions = bundled_versions()
    if not versions:
        return "Kubernetes version to validate against (kubernetes-validate bundles none)"
    return (
        f"Kubernetes version to validate against: {versions[0]} to {versions[-1]} "
        f"(default: {versions[-1]}, the newest bundled)"
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
        Setting(
            "namespace",
            ("--overlays-namespace",),
            "overlays_namespace",
            "str",
            None,
            "expected namespace of every namespaced resource; {name} is the overlay name, "
            "{first}/{last} its first/last path component, {group} the group",
            "PATTERN",
        ),
        Setting(
            "namespace_required",
            ("--overlays-namespace-required",),
            "overlays_namespace_required",
            "bool",
            False,
            "every namespaced resource must have a namespace, even in an overlay that sets "
            "none at all (a package deployed with kubectl apply -n)",
            negative="--overlays-no-namespace-required",
        ),
        Setting(
            "allow_latest",
            ("--overlays-allow-latest",),
            "overlays_allow_latest",
            "bool",
            False,
            "accept untagged and :latest images",
            negative="--overlays-no-allow-latest",
        ),
        Setting(
            "placeholder_images",
            ("--overlays-placeholder-images",),
            "overlays_placeholder_images",
            "list",
            DEFAULT_PLACEHOLDERS,
            "image patterns that mean a forgotten images: entry (default: "
            f"{', '.join(DEFAULT_PLACEHOLDERS)})",
            "PATTERNS",
        ),
        Setting(
            "image_convention",
            ("--overlays-image-convention",),
            "overlays_image_convention",
            "list",
            (),
            "image patterns every container must match, comma-separated: {overlay}, {first}, "
            "{last}, {group}, {workload} and {container} are filled in, e.g. "
            "docker.io/acme/app:{workload}-{last}-*",
            "PATTERNS",
        ),
        Setting(
            "allowed_registries",
            ("--overlays-allowed-registries",),
            "overlays_allowed_registries",
            "list",
            (),
            "registries (or registry/path prefixes) images may come from (default: any)",
            "REGISTRIES",
        ),
        Setting(
            "service_label",
            ("--overlays-service-label",),
            "overlays_service_label",
            "str",
            None,
            "a label every resource must carry, valued with the overlay's name",
            "LABEL",
        ),
        Setting(
            "external_services",
            ("--overlays-external-services",),
            "overlays_external_services",
            "list",
            (),
            "Services installed outside the repository that Ingresses, routes, monitors and "
            "DNS names may point at: namespace/name globs, e.g. istio-system/istio-ingressgateway",
            "PATTERNS",
        ),
        Setting(
            "k8s_version",
            ("--overlays-k8s-version",),
            "overlays_k8s_version",
            "str",
            None,
            _k8s_help(),
            "X.Y",
        ),
        Setting(
            "strict",
            ("--overlays-strict",),
            "overlays_strict",
            "bool",
            True,
            "reject fields the schema does not declare (default: on; --overlays-no-strict "
            "accepts them)",
            negative="--overlays-no-strict",
        ),
        Setting(
            "crds",
            ("--overlays-crds",),
            "overlays_crds",
            "list",
            (),
            "a file or directory of CustomResourceDefinitions to validate against (repeatable)",
            "PATH",
            split="none",
            required=True,
            paths=True,
        ),
        Setting(
            "require_schemas",
            ("--overlays-require-schemas",),
            "overlays_require_schemas",
            "bool",
            False,
            "fail custom resources whose kind has no schema",
            negative="--overlays-no-require-schemas",
        ),
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


def _words(text: str, split: str) -> list[str]:
    if split == "shell":
        try:
            return shlex.split(text)
        except ValueError as error:
            raise ValueError(f"{text!r} does not split like shell words: {error}") from None
    if split == "comma":
        return [part.strip() for part in text.split(",") if part.strip()]
    return [text]


#: What --overlays-annotations accepts.
ANNOTATION_MODES = ("auto", "github", "none")


def _annotations(text: str) -> str:
    if text not in ANNOTATION_MODES:
        raise ValueError(f"{text!r} is not one of {', '.join(ANNOTATION_MODES)}")
    return text


#: Validation of scalar values by setting, shared by the flag and the ini key.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "timeout": _seconds,
    "jobs": _jobs,
    "kustomize": _command,
    "annotations": _annotations,
}


def _argparse_type(setting: Setting) -> Callable[[str], Any] | None:
    parse = _PARSERS.get(setting.name)
    if setting.kind == "list":

        def parse_list(text: str) -> list[str]:
            return _words(text, setting.split)

        parse = parse_list
    if parse is None:
        return None
    checked = parse

    def argparse_type(text: str) -> Any:
        try:
            return checked(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return argparse_type


# -- registration ----------------------------------------------------------------------


def _ini_type(kind: Kind, version: tuple[int, ...] = _PYTEST) -> Any:
    """The ini type to register, by pytest version.

    pytest 9.2+ takes a union: a native TOML number (or boolean) or a string,
    and an empty ``key =`` stays a string, which means the default. pytest 9.0
    and 9.1 read native TOML strictly, so numbers need a number type there
    (an empty value is then refused). Before 9.0 there is no native TOML:
    strings, as every ini file writes them.
    """
    if kind == "list":
        return "args"
    if version >= (9, 2) and kind in ("bool", "float", "int"):
        return {"bool": bool, "float": float, "int": int}[kind] | str
    if kind == "bool":
        return "bool"
    if version >= (9, 0) and kind in ("float", "int"):
        return kind
    return "string"


def add_options(parser: pytest.Parser) -> None:
    """Register every setting's flag(s) and ini key, from the one table."""
    group = parser.getgroup("k8s-overlays", "Kustomize overlays gate (pytest-k8s-overlays)")
    for setting in SETTINGS:
        parser.addini(setting.ini, setting.help, type=_ini_type(setting.kind), default=None)
        if setting.kind == "bool":
            group.addoption(
                *setting.flags,
                action="store_const",
                const=True,
                dest=setting.dest,
                help=setting.help,
            )
            if setting.negative:
                group.addoption(
                    setting.negative,
                    action="store_const",
                    const=False,
                    dest=setting.dest,
                    help=argparse.SUPPRESS,
                )
            continue
        group.addoption(
            *setting.flags,
            action="append" if setting.kind == "list" else "store",
            dest=setting.dest,
            metavar=setting.metavar,
            type=_argparse_type(setting),
            help=setting.help,
        )


# -- reading ---------------------------------------------------------------------------


def _ini_base(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath else config.rootpath


def _ini_value(config: pytest.Config, setting: Setting) -> Any:
    """The ini key's value, parsed; None when unset or empty (the default then applies)."""
    try:
        raw = config.getini(setting.ini)
    except (TypeError, ValueError) as error:
        # pytest before 9.2 raises these as they are (an INTERNALERROR): say it plainly.
        raise pytest.UsageError(f"ini {setting.ini}: {error}") from None
    where = f"ini {setting.ini} = {raw!r}" if not isinstance(raw, list) else f"ini {setting.ini}"
    if raw is None:
        return None
    if setting.required and not any(str(value).strip() for value in _as_list(raw)):
        raise pytest.UsageError(
            f"{_ini_name(config)}: ini {setting.ini} is empty (an unset variable?): name "
            f"at least one {setting.metavar}, or remove the key"
        )
    if isinstance(raw, str) and not raw.strip():
        return None
    try:
        if setting.kind == "list":
            return [word for value in raw for word in _words(str(value), setting.split)] or None
        if setting.kind == "bool":
            return _bool(raw)
        if setting.kind in ("float", "int"):
            if isinstance(raw, bool):
                raise ValueError("a number is needed, not a boolean")
            return _PARSERS[setting.name](str(raw).strip())
        text = str(raw).strip()
        parse = _PARSERS.get(setting.name)
        return parse(text) if parse else text
    except ValueError as error:
        raise pytest.UsageError(f"{where}: {error}") from None


def _as_list(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, (list, tuple)) else [raw]


def _ini_name(config: pytest.Config) -> str:
    """The ini file as messages name it: relative to the rootdir when inside it."""
    path = config.inipath
    if path is None:
        return "the ini file"
    try:
        return path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return str(path)


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on", "y", "t"):
        return True
    if text in ("0", "false", "no", "off", "n", "f"):
        return False
    raise ValueError("true or false is needed")


def _cli_value(config: pytest.Config, setting: Setting) -> Any:
    value = config.getoption(setting.dest)
    if setting.kind == "list" and value is not None:
        words = [word for words in value for word in words]
        if setting.required and not all(str(word).strip() for word in words):
            noun = "path" if setting.metavar == "PATH" else setting.metavar
            raise pytest.UsageError(
                f"{setting.flag}: an empty {noun} (an unset variable in the CI script?)"
            )
        return words or None
    return value


def read(config: pytest.Config, setting: Setting) -> tuple[Any, str]:
    """The value of one setting and where it came from (the flag, the ini key, or default)."""
    cli = _cli_value(config, setting)
    ini = _ini_value(config, setting)
    if setting.additive and cli is not None and ini is not None:
        return [*ini, *cli], setting.flag
    if cli is not None:
        return cli, setting.flag
    if ini is not None:
        return ini, f"ini {setting.ini}"
    return setting.default, "default"


SETTINGS: tuple[Setting, ...] = _settings()
_BY_NAME = {setting.name: setting for setting in SETTINGS}


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


def _value(config: pytest.Config, name: str) -> Any:
    return read(config, _BY_NAME[name])[0]


def _located(config: pytest.Config, name: str) -> tuple[tuple[str, Path], ...]:
    """Paths of a list setting with the directory they are relative to."""
    value, source = read(config, _BY_NAME[name])
    base = _ini_base(config) if source.startswith("ini") else config.invocation_params.dir
    return tuple((str(item), base) for item in value)


def _chosen_checks(config: pytest.Config) -> tuple[str, ...]:
    """The checks to run: ``--overlays-checks`` (all by default) less the skipped ones."""
    known = check_ids()
    chosen = list(_value(config, "checks"))
    for name in chosen:
        if name not in known:
            raise pytest.UsageError(f"unknown overlay check {name!r}; checks: {', '.join(known)}")
    skipped = _skipped(config)
    return tuple(c for c in (chosen or known) if c not in skipped)


def _skipped(config: pytest.Config) -> set[str]:
    """What ``--overlays-skip-checks`` names: check ids, rule ids, or ``check/rule``."""
    rules = {rule for ids in rule_ids().values() for rule in ids}
    names = {name.partition("/")[2] or name for name in _value(config, "skip_checks")}
    for name in sorted(names):
        if name not in rules and name not in check_ids():
            raise pytest.UsageError(
                f"unknown overlay check or rule {name!r}; checks: {', '.join(check_ids())} "
                "(pytest --help lists their rules)"
            )
    return names


def _skipped_rules(config: pytest.Config) -> tuple[str, ...]:
    rules = {rule for ids in rule_ids().values() for rule in ids}
    return tuple(sorted(name for name in _skipped(config) if name in rules))


def _check_options(config: pytest.Config) -> CheckOptions:
    crds = tuple(Path(os.path.normpath(base / p)) for p, base in _located(config, "crds"))
    return CheckOptions(
        allow_latest=bool(_value(config, "allow_latest")),
        placeholder_images=tuple(_value(config, "placeholder_images")),
        allowed_registries=tuple(_value(config, "allowed_registries")),
        service_label=_value(config, "service_label"),
        namespace=_value(config, "namespace"),
        namespace_required=bool(_value(config, "namespace_required")),
        external_services=tuple(_value(config, "external_services")),
        image_convention=tuple(_value(config, "image_convention")),
        k8s_version=_value(config, "k8s_version"),
        strict=bool(_value(config, "strict")),
        crds=crds,
        require_schemas=bool(_value(config, "require_schemas")),
        skip_rules=_skipped_rules(config),
    )


def _clusters(config: pytest.Config) -> tuple[tuple[str, str], ...]:
    value, source = read(config, _BY_NAME["argocd_clusters"])
    clusters = []
    for entry in value:
        name, separator, server = str(entry).partition("=")
        if not separator or not name or not server:
            raise pytest.UsageError(
                f"{source} {entry}: write NAME=SERVER, e.g. dev=https://dev.example.com"
            )
        clusters.append((name, server.rstrip("/")))
    return tuple(clusters)


def _argocd(config: pytest.Config) -> dict[str, Any]:
    """The Argo CD mode settings, as Settings fields."""
    from_cli = read(config, _BY_NAME["argocd"])[1] == "--overlays-argocd"
    return {
        "argocd": _located(config, "argocd"),
        "argocd_label": "--overlays-argocd" if from_cli else "ini overlays_argocd =",
        "argocd_repos": tuple(str(u) for u in _value(config, "argocd_repo")),
        "argocd_clusters": _clusters(config),
        "argocd_build_options": _value(config, "argocd_build_options"),
    }


def from_config(config: pytest.Config) -> Settings:
    """Read every setting; raise UsageError for values that make no sense."""
    from_cli = read(config, _BY_NAME["overlays"])[1] == "--overlays"
    argocd_from_cli = read(config, _BY_NAME["argocd"])[1] == "--overlays-argocd"
    kustomize, kustomize_source = read(config, _BY_NAME["kustomize"])
    jobs = _value(config, "jobs")
    return Settings(
        overlays=_located(config, "overlays"),
        overlays_label="--overlays" if from_cli else "ini overlays =",
        overlays_from_cli=from_cli or argocd_from_cli,
        kustomize=kustomize,
        kustomize_source="ini overlays_kustomize"
        if kustomize_source.startswith("ini")
        else "--overlays-kustomize",
        build_args=tuple(_value(config, "build_args")),
        timeout=float(_value(config, "timeout")),
        jobs=jobs if jobs is not None else os.cpu_count() or 1,
        checks=_chosen_checks(config),
        use_cache=bool(_value(config, "cache")),
        keep_origins=bool(_value(config, "origin_annotations")),
        options=_check_options(config),
        **_argocd(config),
        cache_key_file=_located_file(config, "cache_key_file"),
        cache_prune=bool(_value(config, "cache_prune")),
        annotations=_value(config, "annotations"),
        report=_located_file(config, "report"),
        sarif=_located_file(config, "sarif"),
    )


def _located_file(config: pytest.Config, name: str) -> Path | None:
    """A path setting (a file to read or write), ``~`` expanded, relative to the ini
    file's directory (or the invocation directory)."""
    value, source = read(config, _BY_NAME[name])
    if value is None:
        return None
    base = _ini_base(config) if source.startswith("ini") else config.invocation_params.dir
    return Path(os.path.normpath(base / os.path.expanduser(str(value))))
