"""Argo CD's functions whose result depends on the clock or on randomness: the
conformance corpus checks only that they exist, these tests their shape."""

from __future__ import annotations

import re

import pytest

from pytest_k8s_overlays.sources.argocd.gotemplate import TemplateError
from pytest_k8s_overlays.sources.argocd.templates import TemplateRenderer


def _render(template: str) -> str:
    return TemplateRenderer(go=True).string(template, {"n": 3.0})


@pytest.mark.parametrize(
    ("template", "shape"),
    [
        ("{{ randAlpha 6 }}", r"[A-Za-z]{6}"),
        ("{{ randAlphaNum 6 }}", r"[A-Za-z0-9]{6}"),
        ("{{ randNumeric 6 }}", r"[0-9]{6}"),
        ("{{ randAscii 6 }}", r"[ -~]{6}"),
        ("{{ randAlpha -1 }}", r""),
        ("{{ randBytes 6 }}", r"[A-Za-z0-9+/]{8}"),
        ("{{ randInt 3 4 }}", r"3"),
        ("{{ uuidv4 }}", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        ("{{ ago now }}", r"0s"),
        ('{{ ago (dateModify "-90m" now) }}', r"1h30m0s"),
        ('{{ now | date "2006" }}', r"20\d\d"),
        ("{{ htmlDate now }}", r"20\d\d-\d\d-\d\d"),
        ('{{ date "2006" .n }}', r"20\d\d"),
    ],
)
def test_shape(template: str, shape: str) -> None:
    assert re.fullmatch(shape, _render(template))


def test_a_times_number_methods_read_as_fields() -> None:
    date = '(toDate "2006-01-02 15:04" "2024-03-05 14:07")'
    assert _render(f"{{{{ {date}.Year }}}}-{{{{ {date}.YearDay }}}}-{{{{ {date}.Unix }}}}") == (
        "2024-65-1709647620"
    )


def test_other_methods_of_a_time_are_not_supported() -> None:
    with pytest.raises(TemplateError, match="not supported by this emulation: method Month"):
        _render('{{ (toDate "2006" "2024").Month }}')


def test_rand_int_of_an_empty_range_fails_as_go_panics() -> None:
    with pytest.raises(TemplateError, match="error calling randInt"):
        _render("{{ randInt 2 2 }}")


def test_cryptographic_functions_are_not_supported() -> None:
    with pytest.raises(TemplateError, match='not supported by this emulation: function "htpasswd"'):
        _render('{{ htpasswd "user" "pw" }}')
