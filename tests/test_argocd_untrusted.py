"""Untrusted Argo CD input: whatever an ApplicationSet or AppProject holds, its own
items fail, cleanly and in bounded time and memory, never the session; and no
template error quotes the text around the construct that failed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from .builders import (
    IN_CLUSTER,
    REPO,
    app_project,
    app_template,
    application,
    application_set,
    malformed,
    write,
)
from .builders import write_manifests as write_documents

SECRET = "hunter2-never-printed"
ELEMENTS = [{"list": {"elements": [{"name": "a"}]}}]


def make_app(root: Path) -> None:
    """apps/a: one ConfigMap, the source every generated Application points at."""
    write(
        root, "apps/a/kustomization.yaml", "configMapGenerator:\n  - {name: a, literals: [A=a]}\n"
    )


def go_set(name: str, generators: Any = None, template: Any = None, **spec: Any) -> dict[str, Any]:
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
    """Each item's (outcome, failure message), by ``<deployable>::<check>``."""
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        failure = case.find("failure")
        skipped = case.find("skipped")
        where = str(case.get("classname")).removesuffix(".kustomization.yaml")
        name = f"{where.rsplit('.', 1)[1]}::{case.get('name')}"
        if failure is not None:
            found[name] = ("failed", failure.get("message", ""))
        elif skipped is not None:
            found[name] = ("skipped", skipped.get("message", ""))
        else:
            found[name] = ("passed", "")
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
    assert {name: SECRET in text for name, text in outputs.items()} == dict.fromkeys(outputs, False)
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


# -- item 11: hostile ApplicationSets and AppProjects fail their own items only --------------

#: A value nested deeper than Python's recursion limit allows a naive walk, as YAML.
DEEP = "[" * 990 + "x" + "]" * 990


def annotated(name: str, text: str, **spec: Any) -> dict[str, Any]:
    """A goTemplate ApplicationSet whose template annotation is ``text``."""
    template = app_template(f"{{{{.name}}}}-{name}", "apps/a", "a")
    template["metadata"]["annotations"] = {"note": text}
    return go_set(name, template=template, **spec)


def merge(keys: Any) -> list[dict[str, Any]]:
    return [{"merge": {"mergeKeys": keys, "generators": [*ELEMENTS, *ELEMENTS]}}]


#: ApplicationSet name -> (the set, the reason its render item gives).
HOSTILE_SETS: dict[str, tuple[dict[str, Any], str]] = {
    "char": (annotated("char", "{{ 'ab' }}"), "malformed character constant: 'ab'"),
    "digits": (annotated("digits", "{{ " + "1" * 5000 + " }}"), "illegal number syntax: 111"),
    "itself": (
        annotated("itself", '{{ $d := dict }}{{ $_ := set $d "a" $d }}{{ $d }}'),
        "error calling set: what set returns nests more than 100 levels deep (or holds itself)",
    ),
    "ifs": (
        annotated("ifs", "{{ if true }}" * 400 + "x" + "{{ end }}" * 400),
        "blocks nested more than 100 deep",
    ),
    "parens": (
        annotated("parens", "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}"),
        "parentheses nested more than 100 deep",
    ),
    "repeat": (
        annotated("repeat", '{{ repeat 5000000000 "x" }}'),
        "error calling repeat: repeat's result exceeds 1048576 characters (1 MiB)",
    ),
    "generators": (go_set("generators", 5), "spec.generators must be a list, not a number"),
    "elements": (
        go_set("elements", [{"list": {"elements": 5}}]),
        "list.elements must be a list, not a number",
    ),
    "merge-keys": (go_set("merge-keys", merge(5)), "merge.mergeKeys must be a list, not a number"),
    "matrix": (
        go_set("matrix", [{"matrix": {"generators": 5}}]),
        "matrix.generators must be a list, not a number",
    ),
    "git-files": (
        go_set("git-files", [{"git": {"repoURL": REPO, "revision": "main", "files": 5}}]),
        "git.files must be a list, not a number",
    ),
    "labels": (
        go_set("labels", [{**ELEMENTS[0], "selector": {"matchLabels": ["a"]}}]),
        "selector.matchLabels must be a map, not a list",
    ),
    "expressions": (
        go_set("expressions", [{**ELEMENTS[0], "selector": {"matchExpressions": 5}}]),
        "selector.matchExpressions must be a list, not a number",
    ),
    "patch": (
        go_set("patch", templatePatch="metadata: 5"),
        "invalid templatePatch: it makes metadata no map",
    ),
    "options": (
        go_set("options", goTemplateOptions=5),
        "spec.goTemplateOptions must be a list, not a number",
    ),
    "template": (go_set("template", template=5), "spec.template must be a map, not a number"),
    "scalar-spec": (
        {**go_set("scalar-spec"), "spec": 5},
        "spec must be a map of generators and a template",
    ),
}


def hostile_manifests(root: Path) -> None:
    """Every hostile set, a healthy one, AppProjects of the wrong shape with an Application
    each, and sets whose elements hold a 990-deep list or a 5,000-digit number."""
    projects = {
        "destinations": app_project("destinations", sourceRepos=["*"], destinations=5),
        "repos": app_project("repos", sourceRepos=5, destinations=[{"namespace": "*"}]),
        "kinds": app_project("kinds", sourceRepos=["*"], clusterResourceWhitelist="x"),
    }
    write_documents(
        root,
        "argocd/sets.yaml",
        *(spec for spec, _ in HOSTILE_SETS.values()),
        go_set("healthy"),
        annotated("keys", "{{ range $k, $v := .m }}{{ $k }}={{ $v }} {{ end }}"),
        *projects.values(),
        *(application(f"in-{name}", "apps/a", namespace="a", project=name) for name in projects),
        {**application("odd-app"), "spec": {"source": 5, "destination": [1], "project": ["x"]}},
    )
    # By hand: a 990-deep list is past what yaml.safe_dump can write.
    element = "{name: a, m: {1: one, true: yes, b: bee}, %s}"
    write(
        root,
        "argocd/odd-elements.yaml",
        "".join(
            f"---\napiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
            f"metadata: {{name: {name}, namespace: argocd}}\n"
            f"spec:\n  goTemplate: true\n"
            f"  generators: [{{list: {{elements: [{element % extra}]}}}}]\n"
            f"  template: {{metadata: {{name: '{{{{.name}}}}-{name}'}}, spec: {{project: default, "
            f"source: {{repoURL: '{REPO}', path: apps/a}}, destination: {{namespace: a, "
            f"server: 'https://kubernetes.default.svc'}}}}}}\n"
            for name, extra in (("deep", f"deep: {DEEP}"), ("big", "n: " + "9" * 5000))
        ),
    )


def test_hostile_application_sets_and_projects_fail_their_own_items_only(
    pytester: pytest.Pytester,
) -> None:
    make_app(pytester.path)
    hostile_manifests(pytester.path)
    result = run_gate(pytester)
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.no_fnmatch_line("*crashed*")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    found = outcomes(pytester.path / "out.xml")
    # Each set's application item reports why it generates nothing; its render item
    # defers to it (one cause, one failure).
    for name, (_, reason) in HOSTILE_SETS.items():
        outcome, message = found[f"{name}::application"]
        assert (outcome, reason in message) == ("failed", True), (name, message)
        assert found[f"{name}::render"] == (
            "skipped",
            f"{name} generates nothing: see its application item",
        )
    assert found["odd-app::render"][0] == "failed"
    outcome, message = found["deep::application"]
    assert (outcome, "spec nests more than 100 levels deep" in message) == ("failed", True)
    # More digits than a float64 holds: +Inf, as Go reads it.
    assert found["a-big::render"] == ("passed", "")
    # A map key YAML reads as a number or a boolean is a string in Argo CD's JSON.
    assert found["a-keys::render"] == ("passed", "")
    assert found["a-healthy::render"] == ("passed", "")
    for name, field in (
        ("destinations", "destinations"),
        ("repos", "sourceRepos"),
        ("kinds", "clusterResourceWhitelist"),
    ):
        outcome, message = found[f"in-{name}::application"]
        assert (outcome, message.split("\n")[:3]) == (
            "failed",
            [
                f"in-{name}: [invalid-project] Application/argocd/in-{name} project: project "
                f"{name} (argocd/sets.yaml) is invalid: spec.{field} must be a list",
                "  source: apps/a",
                f"  Application/argocd/in-{name} spec.project: project {name} (argocd/sets.yaml) "
                f"is invalid: spec.{field} must be a list; expected an AppProject Argo CD accepts "
                "(it refuses it, and every Application in it) [invalid-project] "
                "(from argocd/sets.yaml)",
            ],
        )


# -- items 12 and 13: bounded in time and memory ---------------------------------------------

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.acme.example}
spec:
  group: acme.example
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                code: {type: string, pattern: "^(a+)+$"}
"""
#: Forty ``a`` and a ``b``: exponential for a backtracking engine, linear for RE2.
EVIL = "a" * 40 + "b"
#: Elements generating one constant name (the unit test below takes a thousand).
TWINS = 30


def costly_sets() -> list[dict[str, Any]]:
    """ApplicationSets each of which would take minutes, or gigabytes, unbounded."""
    ranges = "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}"
    glob = {"git": {"repoURL": REPO, "revision": "main", "files": [{"path": "*" * 13 + "x"}]}}
    return [
        annotated("regex", f'{{{{ regexMatch "^(a+)+$" "{EVIL}" }}}}'),
        annotated("ranges", ranges),
        annotated("memory", '{{ len (repeat 2000000000 "x") }}'),
        go_set("glob", [glob]),
        application_set(
            "tags",
            ELEMENTS,
            {
                **app_template("{{name}}-tags", "apps/a", "a"),
                "metadata": {"name": "{{name}}-tags", "annotations": {"x": "{{" * 100_000}},
            },
        ),
        go_set(
            "twins",
            [{"list": {"elements": [{"name": "a", "n": i} for i in range(TWINS)]}}],
            template=app_template("twin", "apps/a", "a"),
        ),
    ]


def test_costly_input_is_bounded_by_the_timeout_and_the_size_caps(
    pytester: pytest.Pytester,
) -> None:
    make_app(pytester.path)
    write(pytester.path, "cfg/" + "a" * 60 + ".yaml", "name: a\n")
    write(pytester.path, "k8s/overlays/crd/kustomization.yaml", "resources: [crd.yaml, cr.yaml]\n")
    write(pytester.path, "k8s/overlays/crd/crd.yaml", CRD)
    widget = "apiVersion: acme.example/v1\nkind: Widget\nmetadata: {name: w}\n"
    write(pytester.path, "k8s/overlays/crd/cr.yaml", f"{widget}spec: {{code: {EVIL}}}\n")
    write_documents(pytester.path, "argocd/sets.yaml", *costly_sets())
    # In a process of its own: before the bounds, this run took hours.
    result = pytester.runpytest_subprocess(
        "--overlays=k8s/overlays",
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-checks=render,application,schema",
        "--overlays-timeout=2",
        "--junitxml=out.xml",
        "-p",
        "no:cacheprovider",
        timeout=90,
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    found = outcomes(pytester.path / "out.xml")
    # Go's regexp is RE2: no match, at once.
    assert found["a-regex::render"] == ("passed", "")
    assert found["a-tags::render"] == ("passed", "")
    # One cause, one failure: the application item reports it, the render item defers.
    assert found["ranges::application"][0] == "failed"
    assert (
        "template evaluation exceeded the 2s timeout (raise --overlays-timeout if it is just "
        "slow)" in found["ranges::application"][1]
    )
    assert found["ranges::render"] == (
        "skipped",
        "ranges generates nothing: see its application item",
    )
    assert found["memory::application"][0] == "failed"
    assert (
        "error calling repeat: repeat's result exceeds 1048576 characters (1 MiB)"
        in found["memory::application"][1]
    )
    assert found["memory::render"][0] == "skipped"
    # Nothing matches the glob: nothing generated, nothing to report.
    assert not any(name.startswith("glob") for name in found)
    assert found["twin::application"][0] == "failed"
    assert f"ApplicationSet twins generates twin {TWINS} times" in found["twin::application"][1]
    assert found["crd::schema"][0] == "failed"
    assert "expected a string matching ^(a+)+$" in found["crd::schema"][1]


def test_duplicate_names_are_counted_without_comparing_applications() -> None:
    from pytest_k8s_overlays.sources.argocd.discovery import _App, _duplicate_problems

    compared = []

    class Manifest(dict[str, Any]):
        """A manifest that counts how often it is compared."""

        def __eq__(self, other: object) -> bool:
            compared.append(1)
            assert len(compared) < 1000, "Applications compared pairwise"
            return dict.__eq__(self, other)

        __hash__ = None

    apps = [
        _App(Manifest(metadata={"name": "twin"}), Path("sets.yaml"), "argocd", "ApplicationSet s")
        for _ in range(1000)
    ]
    _duplicate_problems(apps, str)
    # Once a cubic walk over every pair of Applications (115 s for these).
    assert compared == []
    assert {p.found for app in apps for p in app.problems} == {
        "ApplicationSet s generates twin 1000 times"
    }


# -- the fuzz: every field of an ApplicationSet and an AppProject, every shape ----------------


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


#: Odd values, in groups of one pytester run each (pytest-xdist splits the groups).
FUZZ_VALUES: dict[str, list[Any]] = {
    "scalars": [5, "x", None, True],
    "shapes": [[[1], 1], {"a": {"b": 1}}, _deep(150), 1e308],
    "broken-templates": ["{{", "}}{{ x", "{{ .name | shout }}", "{{ if }}", "{{ 'ab' }}"],
    "costly-templates": [
        '{{ repeat 5000000000 "x" }}',
        "{{ " + "(" * 300 + "1" + ")" * 300 + " }}",
        '{{ $d := dict }}{{ $_ := set $d "d" $d }}{{ toJson $d }}',
        '{{ regexReplaceAll "a*" (repeat 100000 "a") (repeat 100000 "b") }}',
    ],
    "data-templates": ["{{ index . 5 }}", "{{ range . }}{{ . }}{{ end }}", "{{ .name.x.y }}"],
}


def _fuzz_base() -> dict[str, Any]:
    """An ApplicationSet using every generator and template field the gate reads (its
    source path does not exist: nothing to render, the fuzz is about the rest)."""
    template = app_template("{{.name}}-base", "apps/none", "a")
    template["metadata"]["annotations"] = {"n": "{{ .name | upper }}"}
    lists = [{"list": {"elements": [{"name": "a", "tier": "web"}]}}, {"list": {"elements": [{}]}}]
    selector = {
        "matchLabels": {"name": "a"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}],
    }
    merge = {"mergeKeys": ["name"], "generators": [lists[0], lists[0]]}
    return application_set(
        "base",
        [{"matrix": {"generators": lists}, "selector": selector}, {"merge": merge}],
        template,
        goTemplate=True,
        goTemplateOptions=["missingkey=error"],
        templatePatch="metadata:\n  labels:\n    x: '{{ .name }}'\n",
    )


def _fuzz_project() -> dict[str, Any]:
    return app_project(
        "base",
        sourceRepos=[REPO, "!https://example.com/*"],
        destinations=[{"server": IN_CLUSTER, "namespace": "a"}],
        clusterResourceWhitelist=[{"group": "", "kind": "Namespace"}],
        namespaceResourceBlacklist=[{"group": "", "kind": "ResourceQuota"}],
    )


def _fields(doc: dict[str, Any], values: list[Any]) -> list[tuple[tuple[Any, ...], Any, Any]]:
    """``malformed(doc, values)``; a template string only where a string is."""
    strings = all(isinstance(v, str) and "{{" in v for v in values)
    found = []
    for path, value, variant in malformed(doc, values):
        node: Any = doc
        for step in path:
            node = node[step]
        if not strings or isinstance(node, str):
            found.append((path, value, variant))
    return found


#: Each group of values is gated in this many runs (a share of the fields each), so
#: pytest-xdist can spread one group over its workers.
FUZZ_PARTS = 3


def _variants(values: list[Any], part: int = 0, parts: int = 1) -> list[dict[str, Any]]:
    """Every ApplicationSet and AppProject field set to each value (the ``part``-th of
    ``parts`` shares of them); each ApplicationSet generates names of its own, each
    AppProject has an Application of its own."""
    documents: list[dict[str, Any]] = []
    for index, (path, _, variant) in enumerate(_fields(_fuzz_base(), values)):
        if index % parts != part:
            continue
        if path[:1] != ("metadata",):
            variant["metadata"]["name"] = f"s{index}"
        template = variant["spec"].get("template") if isinstance(variant["spec"], dict) else None
        named = path[:4] == ("spec", "template", "metadata", "name")
        if isinstance(template, dict) and isinstance(template.get("metadata"), dict) and not named:
            template["metadata"]["name"] = f"{{{{.name}}}}-s{index}"
        documents.append(variant)
    for index, (path, _, variant) in enumerate(_fields(_fuzz_project(), values)):
        if index % parts != part:
            continue
        if path[:1] != ("metadata",):
            variant["metadata"]["name"] = f"p{index}"
            documents.append(
                application(f"in-p{index}", "apps/a", namespace="a", project=f"p{index}")
            )
        documents.append(variant)
    return documents


@pytest.mark.parametrize("part", range(FUZZ_PARTS))
@pytest.mark.parametrize("group", sorted(FUZZ_VALUES))
def test_fuzzed_argo_cd_fields_fail_their_own_items_only(
    pytester: pytest.Pytester, group: str, part: int
) -> None:
    make_app(pytester.path)
    documents = _variants(FUZZ_VALUES[group], part, FUZZ_PARTS)
    write_documents(pytester.path, "argocd/fuzz.yaml", *documents)
    write_documents(pytester.path, "argocd/healthy.yaml", go_set("healthy"))
    result = run_gate(pytester, "--overlays-timeout=10")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.no_fnmatch_line("*crashed*")
    result.stdout.no_fnmatch_line("*Traceback*")
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    found = outcomes(pytester.path / "out.xml")
    assert found["a-healthy::render"] == ("passed", "")
    assert found["a-healthy::application"] == ("passed", "")
    # Each failure in words, none a Python error.
    python_error = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")
    unclean = {name: m for name, (_, m) in found.items() if python_error.search(m)}
    assert unclean == {}


# -- the bounds, unit by unit ------------------------------------------------------------------


def _expand(appset: dict[str, Any], timeout: float = 60.0) -> tuple[list[str], str | None]:
    from pytest_k8s_overlays.sources.argocd.appset import expand, template_options
    from pytest_k8s_overlays.sources.argocd.budget import Budget
    from pytest_k8s_overlays.sources.argocd.generators import Context

    context = Context(
        root=Path("."),
        is_local=lambda url: True,
        files=lambda: [],
        renderer=template_options(appset["spec"], Budget(timeout)),
    )
    expansion = expand(appset, context)
    names = [g.manifest["metadata"]["name"] for g in expansion.generated]
    return names, expansion.error


def test_generators_giving_too_many_parameter_sets_fail_their_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_k8s_overlays.sources.argocd import budget

    monkeypatch.setattr(budget, "MAX_PARAMS", 10)
    elements = [{"list": {"elements": [{"name": f"n{i}"} for i in range(4)]}}]
    matrix = go_set("m", [{"matrix": {"generators": [elements[0], elements[0]]}}])
    assert _expand(matrix) == ([], "the generators give more than 10 parameter sets")
    assert len(_expand(go_set("m", elements))[0]) == 4


def test_the_deadline_stops_a_set_and_names_the_timeout() -> None:
    looping = annotated(
        "loop", "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}"
    )
    assert _expand(looping, timeout=0.2) == (
        [],
        "template evaluation exceeded the 0.2s timeout (raise --overlays-timeout if it is "
        "just slow)",
    )


@pytest.mark.parametrize(
    ("template", "printed"),
    [
        # Go's regexp is RE2: the same syntax, and no backtracking.
        (f'{{{{ regexMatch "^(a+)+$" "{EVIL}" }}}}', "false"),
        ('{{ regexReplaceAll "(?P<x>a)(b)" "ab" "${x}-$2$$" }}', "a-b$"),
        ('{{ regexFind "\\\\pL+" "1éa2" }}', "éa"),
        # Go's int64 wraps around.
        ("{{ mul 9223372036854775807 2 }}", "-2"),
        ("{{ add 9223372036854775807 1 }}", "-9223372036854775808"),
        ("{{ 18446744073709551615 }}", "18446744073709551615"),
        ("{{ 1e308 }}", "1e+308"),
    ],
)
def test_go_template_functions_behave_as_go_within_bounds(template: str, printed: str) -> None:
    from pytest_k8s_overlays.sources.argocd.functions import FUNCTIONS
    from pytest_k8s_overlays.sources.argocd.gotemplate import execute

    assert execute(template, {}, FUNCTIONS) == printed


def test_a_tag_scan_is_linear() -> None:
    from pytest_k8s_overlays.sources.argocd.templates import has_tag

    assert has_tag("a {{ b }}")
    assert has_tag("{{\n{{ x }}")
    assert not has_tag("{{ a\n}}")
    assert not has_tag("}} {{")
    assert not has_tag("{{" * 1_000_000)
