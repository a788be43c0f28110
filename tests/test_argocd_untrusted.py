"""Untrusted Argo CD input: whatever an ApplicationSet or AppProject holds, its own
items fail, cleanly and in bounded time and memory, never the session; and no
template error quotes the text around the construct that failed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from .builders import REPO, app_project, app_template, application, application_set, write
from .builders import write_manifests as write_documents

SECRET = "hunter2-never-printed"
ELEMENTS = [{"list": {"elements": [{"name": "a"}]}}]


def make_app(root: Path) -> None:
    """apps/a: one ConfigMap, the source every generated Application points at."""
    write(root, "apps/a/kustomization.yaml", "configMapGenerator:\n  - {name: a, literals: [A=a]}\n")


def go_set(
    name: str, generators: Any = None, template: Any = None, **spec: Any
) -> dict[str, Any]:
    """A goTemplate ApplicationSet (by default of one element, ``name: a``) generating
    ``a-<name>`` from apps/a."""
    if template is None:
        template = app_template(f"{{{{.name}}}}-{name}", "apps/a", "a")
    if generators is None:
        generators = ELEMENTS
    return application_set(name, generators, template, goTemplate=True, **spec)


def helm_set(name: str, values: str, go: bool = True) -> dict[str, Any]:
    """An ApplicationSet whose template passes ``values`` to Helm."""
    key = "{{.name}}" if go else "{{name}}"
    template = app_template(f"{key}-{name}", "apps/a", "a", helm={"values": values})
    return application_set(name, ELEMENTS, template, goTemplate=go)


def run_gate(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-checks=render,application",
        "--junitxml=out.xml",
        "-p",
        "no:cacheprovider",
        *args,
    )


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """Each item's (outcome, first line of its failure), by node id without the file."""
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        failure = case.find("failure")
        name = f"{case.get('name')}"
        message = failure.get("message", "") if failure is not None else ""
        found[name] = ("failed" if failure is not None else "passed", message.split("\n")[0])
    return found


# -- item 10: template errors quote the failed construct, never the text around it ----------


def leaky_sets() -> list[dict[str, Any]]:
    """ApplicationSets whose Helm values (with a password) hold a template that fails."""
    values = f"db:\n  password: {SECRET}\nimage: "
    return [
        helm_set("parse", values + "{{ .name | shout }}"),
        helm_set("execute", values + "{{ index .name 9 }}"),
        helm_set("unclosed", "image: {{ .name\n" + values),
        helm_set("fast", values + "{{name}} {{oops", go=False),
    ]


def test_a_failing_template_never_quotes_the_values_around_it(pytester: pytest.Pytester) -> None:
    make_app(pytester.path)
    write_documents(pytester.path, "argocd/sets.yaml", *leaky_sets())
    result = run_gate(pytester, "--overlays-report=r.json", "--overlays-sarif=r.sarif", "-rA")
    outputs = {
        "terminal": result.stdout.str(),
        "junit": (pytester.path / "out.xml").read_text(),
        "json": (pytester.path / "r.json").read_text(),
        "sarif": (pytester.path / "r.sarif").read_text(),
    }
    assert {name: SECRET in text for name, text in outputs.items()} == dict.fromkeys(
        outputs, False
    )
    assert "password" not in outputs["terminal"]
    result.stdout.fnmatch_lines_random(
        [
            "*ApplicationSet/argocd/parse spec: failed to parse template {{ .name | shout }}: "
            'function "shout" not defined*',
            "*ApplicationSet/argocd/execute spec: failed to execute go template "
            "{{ index .name 9 }}: error calling index: index out of range: 9*",
            "*ApplicationSet/argocd/unclosed spec: failed to parse template: unclosed action "
            "starting at line 1*",
            '*ApplicationSet/argocd/fast spec: invalid template: cannot find end tag "}}" '
            "(line 3)*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
