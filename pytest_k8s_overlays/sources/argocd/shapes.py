"""The shape Argo CD's Application CRD gives ``spec.source.kustomize``: what the API server
refuses before Argo CD sees the Application.

Argo CD types the overrides in ``pkg/apis/application/v1alpha1/types.go``
(``ApplicationSourceKustomize``): ``images`` is ``KustomizeImages``, a list of
*strings* (``[old_image_name=]<image_name>:<image_tag>``), not the maps a
kustomization's ``images:`` holds; ``commonLabels`` a map of strings. Its CRD's
openAPIV3Schema carries those types, so ``kubectl apply`` (or the ApplicationSet
controller) is refused with ``... in body must be of type string``. The gate says so
on the Application, instead of editing a Python rendering of the map into the
kustomization.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...core.application_rules import INVALID_APPLICATION
from ...core.applications import Problem
from .budget import quote

RULE = INVALID_APPLICATION

_STRING = "a string"
_IMAGE = "an image override string: [<old_image_name>=]<image_name>[:<tag>][@<digest>]"
#: Each override Argo CD types, with the shape it takes: (JSON type, element type, expected).
_FIELDS: Mapping[str, tuple[str, str, str]] = {
    "namePrefix": ("string", "", _STRING),
    "nameSuffix": ("string", "", _STRING),
    "namespace": ("string", "", _STRING),
    "version": ("string", "", _STRING),
    "kubeVersion": ("string", "", _STRING),
    "images": ("array", "string", _IMAGE),
    "components": ("array", "string", "a component path"),
    "apiVersions": ("array", "string", "an API version (group/version)"),
    "commonLabels": ("object", "string", "a label value as a string (quote numbers)"),
    "commonAnnotations": ("object", "string", "an annotation value as a string (quote numbers)"),
    "replicas": ("array", "object", "{name: <workload>, count: <replicas>}"),
    "patches": ("array", "object", "{path: <file>} or {patch: <text>}, with a target"),
    "commonAnnotationsEnvsubst": ("boolean", "", "true or false"),
    "forceCommonLabels": ("boolean", "", "true or false"),
    "forceCommonAnnotations": ("boolean", "", "true or false"),
    "labelWithoutSelector": ("boolean", "", "true or false"),
    "labelIncludeTemplates": ("boolean", "", "true or false"),
    "ignoreMissingComponents": ("boolean", "", "true or false"),
}
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def json_type(value: Any) -> str:
    """The JSON type of a YAML value, as the API server names it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if isinstance(value, float) else "integer"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array" if isinstance(value, list) else "null"


_WORDS = {
    "object": "a map",
    "array": "a list",
    "string": "a string",
    "boolean": "a boolean",
    "integer": "a number",
    "number": "a number",
}


def _fits(value: Any, wanted: str) -> bool:
    found = json_type(value)
    # null is left out (the API server prunes it); an integer is a number.
    return found in (wanted, "null") or (wanted == "number" and found == "integer")


def _key(path: str, key: Any) -> str:
    text = str(key)
    return f"{path}.{text}" if _SIMPLE_KEY.fullmatch(text) else f'{path}["{quote(text, 80)}"]'


#: What follows from a wrong shape in an Application manifest.
REFUSED = ", so the API server refuses the Application"


def _problem(path: str, value: Any, wanted: str, expected: str, then: str) -> Problem:
    found = f"{_WORDS[json_type(value)]} where Argo CD's Application takes {_WORDS[wanted]}"
    return Problem(RULE, path, found + then, expected)


def _elements(path: str, value: Any, element: str, expected: str, then: str) -> Iterator[Problem]:
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, item in items:
        where = _key(path, key) if isinstance(value, Mapping) else f"{path}[{key}]"
        if not _fits(item, element):
            yield _problem(where, item, element, expected, then)
            return  # the first is enough to fix the field, as the API server's message


def kustomize_problems(kustomize: Any, where: str, then: str = REFUSED) -> list[Problem]:
    """What the API server refuses in one source's ``kustomize`` block (``where`` is
    ``spec.source`` or ``spec.sources[1]``): a problem per field of the wrong shape;
    ``then`` says what follows from it."""
    if kustomize is None:
        return []
    path = f"{where}.kustomize"
    if not isinstance(kustomize, Mapping):
        return [_problem(path, kustomize, "object", "a map of Kustomize overrides", then)]
    problems: list[Problem] = []
    for field, (wanted, element, expected) in _FIELDS.items():
        value = kustomize.get(field)
        if not _fits(value, wanted):
            shape = f"a list of {element}s" if wanted == "array" else _WORDS[wanted]
            problems.append(_problem(f"{path}.{field}", value, wanted, shape, then))
        elif element and value is not None:
            problems.extend(_elements(f"{path}.{field}", value, element, expected, then))
    return problems


def refusal(problems: list[Problem]) -> str:
    """Why Argo CD renders nothing: the API server refuses the Application (the fields)."""
    fields = ", ".join(p.path for p in problems)
    return (
        f"the API server refuses the Application: {fields} "
        f"{'is' if len(problems) == 1 else 'are'} not of the type Argo CD's CRD gives"
    )
