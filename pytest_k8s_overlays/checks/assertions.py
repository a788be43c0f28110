"""Assertion helpers: the built-in checks as plain functions for your own tests.

Each helper runs the same pure check function as the built-in items, so the
two can never disagree, and raises AssertionError listing every finding;
:func:`findings` returns them as data instead. Options are named as the
settings name them (``overlays_placeholder_images`` is ``placeholder_images``);
the older keywords still work, with a DeprecationWarning.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..core.defaults import DEFAULT_PLACEHOLDERS
from ..core.findings import Finding, format_report, split_suppressed
from ..core.options import words
from ..core.resources import Overlay
from . import CHECK_SETTINGS, CHECKS, CheckOptions
from .runner import run_check

OverlayOrMany = Overlay | Iterable[Overlay]

#: Keywords of earlier releases, by the name of the setting that replaced them.
RENAMED = {
    "placeholders": "placeholder_images",
    "convention": "image_convention",
    "expected": "namespace",
    "required": "namespace_required",
    "kubernetes_version": "k8s_version",
}

#: What a caller may set: every CheckOptions field.
_OPTIONS = tuple(field.name for field in dataclasses.fields(CheckOptions))


def _as_list(overlays: OverlayOrMany) -> list[Overlay]:
    return [overlays] if isinstance(overlays, Overlay) else list(overlays)


def _options(given: dict[str, Any], stacklevel: int = 3) -> dict[str, Any]:
    """The options by their settings' names: old keywords renamed, with a warning
    pointing ``stacklevel`` frames up (at the caller's line)."""
    options: dict[str, Any] = {}
    for name, value in given.items():
        if name in RENAMED:
            new = RENAMED[name]
            warnings.warn(
                f"{name}= is deprecated: use {new}= (the name of the setting, overlays_{new})",
                DeprecationWarning,
                stacklevel=stacklevel,
            )
            name = new
        if name not in _OPTIONS:
            raise TypeError(f"unknown option {name!r}; options: {', '.join(_OPTIONS)}")
        options[name] = _typed(name, value)
    return options


#: Each option's default: what kind of value it takes.
_DEFAULTS = {
    field.name: getattr(CheckOptions(), field.name) for field in dataclasses.fields(CheckOptions)
}


#: How each declared list option's written value splits, as the ini key's does.
_SPLITS = {setting.name: setting.split for setting in CHECK_SETTINGS}


def _typed(name: str, value: Any) -> Any:
    """An option's value as the checks read it. A list option written as the ini key
    and the command line write it (``"ghcr.io/acme,quay.io/acme"``) is split on
    commas, never read one character at a time; a value of the wrong kind (a version
    written as the number 1.31) is a TypeError naming the option."""
    default = _DEFAULTS[name]
    if isinstance(default, tuple) and name != "presumed":
        if isinstance(value, str):
            value = words(value, _SPLITS.get(name, "comma"))
        try:
            items = tuple(value)
        except TypeError:
            raise TypeError(
                f"{name}= takes a list of strings (or one string, comma-separated), not "
                f"{type(value).__name__} {value!r}"
            ) from None
        return tuple(Path(item) for item in items) if name == "crds" else items
    if isinstance(default, bool) and not isinstance(value, bool):
        raise TypeError(f"{name}= takes True or False, not {type(value).__name__} {value!r}")
    if default is None and value is not None and not isinstance(value, str):
        raise TypeError(
            f"{name}= takes a string, not {type(value).__name__} {value!r} (write {str(value)!r})"
        )
    return value


def _run(check_id: str, chosen: list[Overlay], options: dict[str, Any]) -> list[Finding]:
    if check_id not in CHECKS:
        raise ValueError(f"unknown check {check_id!r}; checks: {', '.join(CHECKS)}")
    # The groups compared (environment-leak) are those of the overlays given, as the
    # gate compares the session's.
    options.setdefault("groups", tuple(sorted({overlay.group for overlay in chosen})))
    found = run_check(CHECKS[check_id], chosen, dataclasses.replace(CheckOptions(), **options))
    reported, _ = split_suppressed(found, chosen)
    return reported


def findings(check_id: str, overlays: OverlayOrMany, **options: Any) -> list[Finding]:
    """Run the check ``check_id`` on one overlay or several and return its findings.

    Keyword arguments are the check's options, named as the settings name them
    (``allow_latest=True``, ``placeholder_images=[...]``). Findings suppressed by
    the ``pytest-k8s-overlays/skip`` annotation are left out. Nothing is raised
    for a finding: assert on them, count them, or write your own summary.
    """
    return _run(check_id, _as_list(overlays), _options(options))


def check(check_id: str, overlays: OverlayOrMany, **options: Any) -> None:
    """Run the check ``check_id`` on one overlay or several; raise if it finds anything.

    Keyword arguments are the check's options, named as the settings name them
    (``allow_latest=True``...). Findings suppressed by the
    ``pytest-k8s-overlays/skip`` annotation do not fail.
    """
    __tracebackhide__ = True
    _raise(check_id, _as_list(overlays), _options(options))


def _raise(check_id: str, chosen: list[Overlay], options: dict[str, Any]) -> None:
    __tracebackhide__ = True
    reported = _run(check_id, chosen, options)
    if reported:
        names = sorted({f.overlay for f in reported})
        subject = names[0] if len(names) == 1 else ", ".join(names)
        raise AssertionError(
            format_report(subject, check_id, reported, CHECKS[check_id].rules, len(names) > 1)
        )


def _helper(check_id: str, overlays: OverlayOrMany, options: dict[str, Any]) -> None:
    """Run a helper's check with its options, the deprecated ones among them renamed."""
    __tracebackhide__ = True
    _raise(check_id, _as_list(overlays), _options(options, stacklevel=4))


def _given(**deprecated: Any) -> dict[str, Any]:
    """The deprecated keywords a caller passed (None: not passed)."""
    return {name: value for name, value in deprecated.items() if value is not None}


def assert_unique_names(overlays: OverlayOrMany) -> None:
    """Assert no object is rendered twice, in one overlay or by two overlays."""
    __tracebackhide__ = True
    _helper("unique-names", overlays, {})


def assert_isolated(overlays: OverlayOrMany, service_label: str | None = None) -> None:
    """Assert no selector reaches another overlay's pods (and, optionally, ownership labels)."""
    __tracebackhide__ = True
    _helper("isolation", overlays, {"service_label": service_label})


def assert_images(
    overlays: OverlayOrMany,
    allow_latest: bool = False,
    placeholder_images: Iterable[str] = DEFAULT_PLACEHOLDERS,
    allowed_registries: Iterable[str] = (),
    image_convention: Iterable[str] = (),
    *,
    placeholders: Iterable[str] | None = None,
    convention: Iterable[str] | None = None,
) -> None:
    """Assert every container has a real, pinned image from an allowed registry (and
    following the ``image_convention`` patterns, if given)."""
    __tracebackhide__ = True
    options = {
        "allow_latest": allow_latest,
        "placeholder_images": placeholder_images,
        "allowed_registries": allowed_registries,
        "image_convention": image_convention,
    }
    old = _given(placeholders=placeholders, convention=convention)
    _helper("images", overlays, {**options, **old})


def assert_namespace(
    overlays: OverlayOrMany,
    namespace: str | None = None,
    namespace_required: bool = False,
    *,
    expected: str | None = None,
    required: bool | None = None,
) -> None:
    """Assert no overlay leaves some namespaced resources without the namespace others
    have; with ``namespace_required`` or ``namespace`` (a pattern), that every one has
    one (``namespace``)."""
    __tracebackhide__ = True
    options = {"namespace": namespace, "namespace_required": namespace_required}
    _helper("namespace", overlays, {**options, **_given(expected=expected, required=required)})


def assert_ports(overlays: OverlayOrMany, external_services: Iterable[str] = ()) -> None:
    """Assert Services, probes, node ports and Ingress backends point at declared ports."""
    __tracebackhide__ = True
    _helper("ports", overlays, {"external_services": external_services})


def assert_references(overlays: OverlayOrMany, external_services: Iterable[str] = ()) -> None:
    """Assert routes, monitors and in-cluster DNS names lead to a Service and port."""
    __tracebackhide__ = True
    _helper("references", overlays, {"external_services": external_services})


def assert_valid_schema(
    overlays: OverlayOrMany,
    k8s_version: str | None = None,
    strict: bool = True,
    crds: Iterable[str | Path] = (),
    require_schemas: bool = False,
    *,
    kubernetes_version: str | None = None,
) -> None:
    """Assert every resource is valid against the Kubernetes API schemas, offline."""
    __tracebackhide__ = True
    options = {
        "k8s_version": k8s_version,
        "strict": strict,
        "crds": crds,
        "require_schemas": require_schemas,
    }
    _helper("schema", overlays, {**options, **_given(kubernetes_version=kubernetes_version)})
