"""The settings as pytest reads them: its options and ini keys, into a frozen Settings."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..checks import CHECK_SETTINGS, check_ids, rule_ids
from ..checks.base import CheckOptions
from ..config.settings import BY_NAME, PARSERS, SETTINGS, Settings
from ..core.options import Kind, Setting, words

_PYTEST = tuple(int(part) for part in pytest.__version__.split(".")[:2] if part.isdigit())


def _argparse_type(setting: Setting) -> Callable[[str], Any] | None:
    parse = PARSERS.get(setting.name)
    if setting.kind == "list":

        def parse_list(text: str) -> list[str]:
            return words(text, setting.split)

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
            return [word for value in raw for word in words(str(value), setting.split)] or None
        if setting.kind == "bool":
            return _bool(raw)
        if setting.kind in ("float", "int"):
            if isinstance(raw, bool):
                raise ValueError("a number is needed, not a boolean")
            return PARSERS[setting.name](str(raw).strip())
        text = str(raw).strip()
        parse = PARSERS.get(setting.name)
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


def _value(config: pytest.Config, name: str) -> Any:
    return read(config, BY_NAME[name])[0]


def diff_asked(config: pytest.Config) -> bool:
    """Whether pull-request mode's options are given (``--overlays-diff``, or
    ``--overlays-new-only``, which needs it): only then is that mode loaded."""
    return bool(_value(config, "diff") or _value(config, "new_only"))


def _located(config: pytest.Config, name: str) -> tuple[tuple[str, Path], ...]:
    """Paths of a list setting with the directory they are relative to."""
    value, source = read(config, BY_NAME[name])
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
    by_check = rule_ids()
    rules = {rule for ids in by_check.values() for rule in ids}
    given = list(_value(config, "skip_checks"))
    for written in given:
        # ``check/rule``: the rule must be the check's (schema/placeholder left out the
        # images check's placeholder rule, in silence).
        check, slash, rule = written.partition("/")
        if slash and check in by_check and rule in rules and rule not in by_check[check]:
            owners = sorted(c for c, ids in by_check.items() if rule in ids)
            raise pytest.UsageError(
                f"--overlays-skip-checks {written}: {rule} is not a rule of {check}; it is "
                f"{', '.join(f'{owner}/{rule}' for owner in owners)}"
            )
        if slash and check not in by_check:
            raise pytest.UsageError(
                f"--overlays-skip-checks {written}: unknown overlay check {check!r}; checks: "
                f"{', '.join(check_ids())}"
            )
    names = {name.partition("/")[2] or name for name in given}
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
    """The options the checks declare, each read into its CheckOptions field."""
    values: dict[str, Any] = {}
    for setting in CHECK_SETTINGS:
        if setting.paths:
            located = _located(config, setting.name)
            values[setting.name] = tuple(Path(os.path.normpath(base / p)) for p, base in located)
        elif setting.kind in ("list", "bool"):
            values[setting.name] = _typed(setting, _value(config, setting.name))
        else:
            values[setting.name] = _value(config, setting.name)
    return CheckOptions(**values, skip_rules=_skipped_rules(config))


def _typed(setting: Setting, value: Any) -> Any:
    return tuple(value) if setting.kind == "list" else bool(value)


def _clusters(config: pytest.Config) -> tuple[tuple[str, str], ...]:
    value, source = read(config, BY_NAME["argocd_clusters"])
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
    from_cli = read(config, BY_NAME["argocd"])[1] == "--overlays-argocd"
    return {
        "argocd": _located(config, "argocd"),
        "argocd_label": "--overlays-argocd" if from_cli else "ini overlays_argocd =",
        "argocd_repos": tuple(str(u) for u in _value(config, "argocd_repo")),
        "argocd_clusters": _clusters(config),
        "argocd_build_options": _value(config, "argocd_build_options"),
    }


def from_config(config: pytest.Config) -> Settings:
    """Read every setting; raise UsageError for values that make no sense."""
    from_cli = read(config, BY_NAME["overlays"])[1] == "--overlays"
    argocd_from_cli = read(config, BY_NAME["argocd"])[1] == "--overlays-argocd"
    kustomize, kustomize_source = read(config, BY_NAME["kustomize"])
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
    value, source = read(config, BY_NAME[name])
    if value is None:
        return None
    base = _ini_base(config) if source.startswith("ini") else config.invocation_params.dir
    return Path(os.path.normpath(base / os.path.expanduser(str(value))))
