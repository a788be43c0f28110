"""The generator emulation against Argo CD's real code: the generator corpus.

``tests/data/argocd_conformance/generator_cases.json`` holds matrix, merge,
values, git directories, git files and env substitution cases;
``generator_results.json`` what Argo CD's own functions (copied into
``tools/argocd-conformance/generators.go``, with mergo, fasttemplate, flatten
and sigs.k8s.io/yaml at Argo CD's versions) made of them. Each case goes
through the emulation's generators and must give the same parameter sets, or
fail where Go failed. Ids starting with ``argo-`` are Argo CD's own test cases.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.parse.kustomize_edit import envsubst
from pytest_k8s_overlays.sources.argocd import generators
from pytest_k8s_overlays.sources.argocd.gotemplate import Options, TemplateError
from pytest_k8s_overlays.sources.argocd.govalues import json_numbers
from pytest_k8s_overlays.sources.argocd.templates import TemplateRenderer

CORPUS = Path(__file__).parent / "data" / "argocd_conformance"


def _load() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    cases = json.loads((CORPUS / "generator_cases.json").read_text(encoding="utf-8"))["cases"]
    results = json.loads((CORPUS / "generator_results.json").read_text(encoding="utf-8"))
    return cases, {r["id"]: r for r in results["results"]}


CASES, RESULTS = _load()

#: Cases the emulation evaluates differently from Argo CD, with the reason
#: (docs/argocd.md, "Known differences from Argo CD"); strict xfail.
KNOWN_DIFFERENCES: dict[str, str] = {}

#: Words of Go's error that the emulation's must hold too.
MESSAGE_PHRASES = (
    "not unique by the given mergeKeys",
    "no merge keys were specified",
    "less than two generators",
    "found duplicate key",
    "map has no entry for key",
)


def _context(case: dict[str, Any], root: Path, files: list[str]) -> generators.Context:
    renderer = TemplateRenderer(
        case.get("goTemplate", False), Options.parse(case.get("options", []))
    )
    return generators.Context(
        root=root, is_local=lambda _: True, files=lambda: files, renderer=renderer
    )


def _lists(sets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"list": {"elements": copy.deepcopy(sets)}}


def _values(case: dict[str, Any], context: generators.Context) -> list[Any]:
    """A matrix whose second generator has ``values``: pre-resolved with the first
    generator's parameters, then rendered with its own, as the emulation's matrix does."""
    found = []
    for a in json_numbers(case["first"]):
        values = case["values"]
        if a:
            values = {k: generators._resolved(v, a, context) for k, v in values.items()}
        for b in json_numbers(case["second"]):
            own = generators._with_values(b, values, context)
            found.append(generators._combine(a, own, context.go))
    return found


def _evaluate(case: dict[str, Any], tmp: Path) -> Any:
    area = case["area"]
    if area == "envsubst":
        return envsubst(case["text"], case["env"])
    if area == "directories":
        files = [f"{p}/kustomization.yaml" for p in case["paths"]]
        spec = {"directories": case["patterns"]}
        found = generators._matching_directories(spec, _context(case, tmp, files))
        return [d for d in found if d in case["paths"]]
    if area == "gitfile":
        (tmp / case["file"]).parent.mkdir(parents=True, exist_ok=True)
        (tmp / case["file"]).write_text(case["content"], encoding="utf-8")
        spec = {"files": [{"path": case["file"]}]}
        context = _context(case, tmp, [case["file"]])
        return generators._git_files(spec, context, case.get("prefix", ""))
    context = _context(case, tmp, [])
    if area == "selector":
        return generators.selected(json_numbers(case["first"]), case["selector"])
    if area == "values":
        return _values(case, context)
    if area == "matrix":
        spec = {"generators": [_lists(case["first"]), _lists(case["second"])]}
        return generators.generate("matrix", spec, context)
    spec = {"mergeKeys": case["mergeKeys"], "generators": [_lists(g) for g in case["generators"]]}
    return sorted(generators.generate("merge", spec, context), key=_canonical)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def emulate(case: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The emulation's result of one case: the output through JSON, or the error."""
    try:
        output = _evaluate(case, tmp)
    except (generators.GeneratorError, TemplateError) as error:
        return {"error": "error", "message": str(error)}
    # Every JSON number a float, as Go decodes it: 12345678901234567000 is a float64.
    return {"output": json.loads(json.dumps(output), parse_int=float)}


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case["id"] in KNOWN_DIFFERENCES:
        marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[case["id"]], strict=True))
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_generator_conformance(case: dict[str, Any], tmp_path: Path) -> None:
    expected = RESULTS[case["id"]]
    got = emulate(case, tmp_path)
    if "error" in expected:
        assert "error" in got, f"Argo CD: {expected['message']!r}; emulation: {got}"
        for phrase in MESSAGE_PHRASES:
            if phrase in expected["message"]:
                assert phrase in got["message"], (expected["message"], got["message"])
        return
    output = json.loads(json.dumps(expected["output"]), parse_int=float)
    if case["area"] == "merge":
        output = sorted(output, key=_canonical)
    if case["area"] == "directories":
        # The repo-server lists directories in its walk's order, the emulation sorted:
        # the same Applications either way.
        got["output"], output = sorted(got["output"]), sorted(output)
    assert got == {"output": output}


def test_generator_corpus_is_complete() -> None:
    """Every case has a Go result, and the known differences name real cases."""
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 300
    assert set(ids) == set(RESULTS)
    assert set(KNOWN_DIFFERENCES) <= set(ids)
