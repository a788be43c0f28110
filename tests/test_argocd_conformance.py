"""The Go template emulation against Argo CD's real code: the conformance corpus.

``tests/data/argocd_conformance/cases.json`` holds templates and parameters;
``results.json`` what Go's ``text/template`` with Sprig and Argo CD's own
functions made of them (``tools/argocd-conformance/``, see its README). Each
case renders through the emulation as an ApplicationSet with ``goTemplate:
true`` does, and must give the same output, or fail as Go failed (a parse
error where Go could not parse, an execution error where Go could not run).
A case the emulation still gets wrong is in KNOWN_DIFFERENCES with its
reason, and docs/argocd.md lists the differences with their effect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.sources.argocd.budget import BudgetExceeded
from pytest_k8s_overlays.sources.argocd.gotemplate import Options, TemplateError, Unsupported
from pytest_k8s_overlays.sources.argocd.govalues import json_numbers
from pytest_k8s_overlays.sources.argocd.templates import TemplateRenderer

CORPUS = Path(__file__).parent / "data" / "argocd_conformance"


def _load() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    table = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
    results = json.loads((CORPUS / "results.json").read_text(encoding="utf-8"))["results"]
    return table["data"], table["cases"], {r["id"]: r for r in results}


DATA, CASES, RESULTS = _load()

#: A function of Argo CD's map the emulation does not have: calling it fails the
#: ApplicationSet as not supported here (docs/argocd.md lists them).
_MISSING = "not supported by this emulation (UNSUPPORTED_FUNCTIONS)"
#: Cases the emulation renders differently from Argo CD, with the reason (docs/argocd.md,
#: "Known differences from Argo CD"). A case fixed makes its test fail (strict xfail):
#: then remove it from here.
KNOWN_DIFFERENCES: dict[str, str] = {
    "fn-derivePassword-1": _MISSING,
    "fn-decryptAES-1": _MISSING,
}


#: Go's words for an error, which the emulation's message must repeat where Go's has them.
MESSAGE_PHRASES = (
    "incompatible types for comparison",
    "invalid type for comparison",
    "non-comparable type",
    "map has no entry for key",
    "nil pointer evaluating",
    "nil is not a command",
    "range can't iterate over",
    "not defined",
    "undefined variable",
    "index out of range",
    "integer divide by zero",
    "unexpected EOF",
    "too many declarations",
)


def emulate(case: dict[str, Any]) -> dict[str, str]:
    """Render one case as an ApplicationSet with ``goTemplate: true`` does: the output,
    or the error class (``parse`` or ``exec``) and message."""
    renderer = TemplateRenderer(go=True, options=Options.parse(case.get("options", [])))
    params = json_numbers(case.get("data", DATA))
    try:
        return {"output": renderer.string(case["template"], params)}
    except Unsupported as error:
        # Never the same as a Go result, even a Go error: the item says Argo CD renders it.
        return {"error": "unsupported", "message": str(error)}
    except TemplateError as error:
        message = str(error)
        kind = "parse" if message.startswith("failed to parse template") else "exec"
        return {"error": kind, "message": message}
    except BudgetExceeded as error:
        return {"error": "budget", "message": str(error)}


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case["id"] in KNOWN_DIFFERENCES:
        marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[case["id"]], strict=True))
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_conformance(case: dict[str, Any]) -> None:
    expected = RESULTS[case["id"]]
    got = emulate(case)
    if "error" in expected:
        assert got.get("error") == expected["error"], (
            f"Argo CD: {expected['error']} error {expected['message']!r}; emulation: {got}"
        )
        # The words that say why, where the emulation gives Go's words.
        for phrase in MESSAGE_PHRASES:
            if phrase in expected["message"]:
                assert phrase in got["message"], (expected["message"], got["message"])
    else:
        assert got == {"output": expected["output"]}, f"template {case['template']!r}"


def test_corpus_is_complete() -> None:
    """Every case has a Go result, the corpus is large enough, and the known differences
    name real cases."""
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 600
    assert set(ids) == set(RESULTS)
    assert set(KNOWN_DIFFERENCES) <= set(ids)
