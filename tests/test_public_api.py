"""The public API: one vocabulary for options, findings as data, no internals, fixtures."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

import pytest_k8s_overlays
from pytest_k8s_overlays import (
    Finding,
    assert_images,
    assert_namespace,
    assert_valid_schema,
    check,
    findings,
)
from pytest_k8s_overlays.core import deployables

from .builders import container, deployment, make_overlay, obj

LATEST = make_overlay("auth", deployment("auth-api", container("api", image="acme/api:latest")))
CONFIG = make_overlay("auth", obj("v1", "ConfigMap", "settings", "auth"))


# -- findings as data --------------------------------------------------------------------


def test_findings_are_returned_as_data_not_raised() -> None:
    found = findings("images", LATEST)
    assert found == [
        Finding(
            "auth",
            "Deployment/auth/auth-api",
            "spec.template.spec.containers[0].image",
            "images",
            "unpinned",
            "acme/api:latest is tagged latest",
            "a version tag or a digest",
        )
    ]
    assert findings("images", LATEST, allow_latest=True) == []


def test_findings_leave_out_what_the_skip_annotation_suppresses() -> None:
    skipped = deployment("auth-api", container("api", image="acme/api:latest"))
    skipped["metadata"]["annotations"] = {"pytest-k8s-overlays/skip": "unpinned"}
    assert findings("images", make_overlay("auth", skipped)) == []


def test_findings_of_an_unknown_check_name_the_checks() -> None:
    with pytest.raises(ValueError, match="unknown check 'imagez'; checks: render, "):
        findings("imagez", LATEST)


# -- one vocabulary: the settings' names, the old keywords deprecated ---------------------


def test_the_helpers_take_the_settings_names() -> None:
    placeholder = make_overlay(
        "auth", deployment("auth-api", container("api", image="acme/todo:1.0"))
    )
    with pytest.raises(AssertionError, match=r"\[placeholder\]"):
        assert_images(placeholder, placeholder_images=["*todo*"])
    with pytest.raises(AssertionError, match=r"\[image-convention\]"):
        assert_images(LATEST, allow_latest=True, image_convention=["ghcr.io/*"])
    package = make_overlay("install", obj("v1", "ConfigMap", "settings"))
    with pytest.raises(AssertionError, match=r"\[missing-namespace\]"):
        assert_namespace(package, namespace_required=True)
    with pytest.raises(AssertionError, match=r"\[wrong-namespace\]"):
        assert_namespace(make_overlay("auth", obj("v1", "ConfigMap", "c", "x")), namespace="auth")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_valid_schema(CONFIG, k8s_version="1.30")
        check("images", LATEST, allow_latest=True)


@pytest.mark.parametrize(
    ("call", "old", "new"),
    [
        (
            lambda: assert_images(LATEST, allow_latest=True, convention=["*/api:*"]),
            "convention",
            "image_convention",
        ),
        (
            lambda: assert_images(LATEST, allow_latest=True, placeholders=["*todo*"]),
            "placeholders",
            "placeholder_images",
        ),
        (lambda: assert_namespace(LATEST, expected="auth"), "expected", "namespace"),
        (lambda: assert_namespace(LATEST, required=True), "required", "namespace_required"),
        (
            lambda: assert_valid_schema(CONFIG, kubernetes_version="1.30"),
            "kubernetes_version",
            "k8s_version",
        ),
        (
            lambda: check("schema", CONFIG, kubernetes_version="1.30"),
            "kubernetes_version",
            "k8s_version",
        ),
        (
            lambda: findings("images", LATEST, placeholders=["*api*"]),
            "placeholders",
            "placeholder_images",
        ),
    ],
)
def test_the_old_keywords_still_work_with_a_deprecation_warning(
    call: Callable[[], object], old: str, new: str
) -> None:
    message = f"{old}= is deprecated: use {new}= (the name of the setting, overlays_{new})"
    with pytest.warns(DeprecationWarning, match=rf"^{re.escape(message)}$") as caught:
        call()
    # Pointed at the caller's line, where the old keyword is written.
    assert [Path(w.filename).name for w in caught] == ["test_public_api.py"]


def test_an_old_keyword_means_what_it_meant() -> None:
    with pytest.warns(DeprecationWarning, match="placeholders= is deprecated"):
        found = findings("images", LATEST, placeholders=["*api*"])
    assert [f.rule for f in found] == ["placeholder", "unpinned"]
    elsewhere = make_overlay("auth", obj("v1", "ConfigMap", "c", "x"))
    with pytest.warns(DeprecationWarning, match="expected= is deprecated"):
        found = findings("namespace", elsewhere, expected="auth")
    assert [f.rule for f in found] == ["wrong-namespace"]
    with (
        pytest.warns(DeprecationWarning, match="expected= is deprecated"),
        pytest.raises(AssertionError, match="wrong-namespace"),
    ):
        assert_namespace(elsewhere, expected="auth")


def test_an_option_of_no_check_is_a_type_error_naming_the_options() -> None:
    with pytest.raises(TypeError, match=r"unknown option 'alow_latest'; options: allow_latest, "):
        findings("images", LATEST, alow_latest=True)


PINNED = make_overlay(
    "auth", deployment("auth-api", container("api", image="ghcr.io/acme/auth-api:1.2.0"))
)


def test_a_list_option_written_as_the_ini_writes_it_is_split_on_commas() -> None:
    # Before: tuple("ghcr.io/acme") — one allowed registry per character, so an
    # allowed image failed ("expected an image from an allowed registry: g, h, c, r...")
    # and a convention written as one string was never checked.
    assert findings("images", PINNED, allowed_registries="ghcr.io/acme") == []
    assert_images(PINNED, allowed_registries="quay.io/acme, ghcr.io/acme")
    off = findings("images", PINNED, image_convention="ghcr.io/acme/{last}-web:*")
    assert [f.rule for f in off] == ["image-convention"]
    assert findings("images", PINNED, image_convention=["ghcr.io/acme/{last}-web:*"]) == off


def test_an_option_of_the_wrong_kind_is_a_type_error_naming_it() -> None:
    # Before: AttributeError: 'float' object has no attribute 'strip', deep in the check.
    with pytest.raises(
        TypeError, match=r"k8s_version= takes a string, not float 1.31 \(write '1.31'\)"
    ):
        assert_valid_schema(PINNED, k8s_version=1.31)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"allow_latest= takes True or False, not str 'yes'"):
        findings("images", LATEST, allow_latest="yes")
    with pytest.raises(TypeError, match=r"allowed_registries= takes a list of strings"):
        findings("images", LATEST, allowed_registries=3)


# -- nothing internal exported ------------------------------------------------------------


def test_internals_are_not_exported_and_their_old_names_warn() -> None:
    assert "Deployable" not in pytest_k8s_overlays.__all__
    assert "OverlaySpec" not in pytest_k8s_overlays.__all__
    assert "findings" in pytest_k8s_overlays.__all__
    for name in ("Deployable", "OverlaySpec"):
        with pytest.warns(DeprecationWarning, match=rf"pytest_k8s_overlays\.{name} is internal"):
            value = getattr(pytest_k8s_overlays, name)
        assert value is getattr(deployables, name)


# -- the overlay fixture -------------------------------------------------------------------


def test_a_users_own_overlay_fixture_wins_over_the_plugins_parametrization(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def overlay():
            return "mine"
        """
    )
    pytester.makepyfile(
        test_mine="""
        def test_uses_my_fixture(overlay):
            assert overlay == "mine"

        def test_each(k8s_overlay):
            assert k8s_overlay.group == "k8s/overlays"
        """
    )
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render", "-v")
    # 7 render items, the user's test once (not once per overlay), test_each per overlay.
    result.assert_outcomes(passed=7 + 1 + 7)
    result.stdout.fnmatch_lines(
        ["test_mine.py::test_uses_my_fixture PASSED*", "test_mine.py::test_each[[]auth] PASSED*"]
    )


def test_a_lookup_in_a_group_says_which_group_lacks_what() -> None:
    from pytest_k8s_overlays import Overlays

    found = Overlays([PINNED, make_overlay("info", group="deploy/prod")])
    # Before: "no overlay named 'info'; overlays: auth, info", listing it.
    with pytest.raises(KeyError, match=r"no group 'nope'; groups: k8s/overlays, deploy/prod"):
        found.named("info", group="nope")
    with pytest.raises(
        KeyError, match=r"no overlay named 'info' in group 'k8s/overlays'; overlays: auth"
    ):
        found.named("info", group="k8s/overlays")
    assert found.named("info", group="deploy/prod").group == "deploy/prod"
