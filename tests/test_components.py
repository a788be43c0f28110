"""Components no gated overlay uses: found, rendered through a consumer, listed when none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_k8s_overlays.sources.kustomize.components import with_components
from pytest_k8s_overlays.sources.kustomize.overlays import discover

from .builders import write

COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"

TRACING = (
    COMPONENT
    + """
patches:
  - target: {kind: Deployment}
    patch: |-
      - op: add
        path: /spec/template/metadata/annotations
        value: {tracing: "on"}
"""
)

# The mistake: patches written as a list of strings (the old patchesStrategicMerge form).
DEBUG = COMPONENT + "patches:\n  - debug-patch.yaml\n"

METRICS = (
    COMPONENT
    + """
labels:
  - pairs: {metrics: "on"}
"""
)


def components_tree(root: Path) -> None:
    """auth uses components/tracing; components/debug (broken) and metrics nobody uses yet."""
    write(root, "k8s/overlays/components/tracing/kustomization.yaml", TRACING)
    write(root, "k8s/overlays/components/debug/kustomization.yaml", DEBUG)
    write(root, "k8s/overlays/components/metrics/kustomization.yaml", METRICS)
    kfile = root / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "components:\n  - ../components/tracing\n")


def test_unused_components_get_the_consumers_the_tree_implies(tmp_path: Path) -> None:
    write(tmp_path, "app/base/kustomization.yaml", "resources: []\n")
    write(tmp_path, "app/kustomization.yaml", "resources: [base]\n")
    write(tmp_path, "app/components/a/kustomization.yaml", COMPONENT)
    write(tmp_path, "app/components/b/kustomization.yaml", COMPONENT)
    write(tmp_path, "app/components/c/kustomization.yaml", COMPONENT)
    write(tmp_path, "app/extra/lonely/kustomization.yaml", COMPONENT)
    write(
        tmp_path,
        "app/tests/all/kustomization.yaml",
        "resources: [../..]\ncomponents: [../../components/a]\n",
    )
    # The group is the root kustomization alone: every Component is unused by it.
    [group] = with_components([discover("app", tmp_path)])
    consumers = {
        spec.name: [c.relative_to(tmp_path.resolve()).as_posix() for c in spec.consumers]
        for spec in group.components
    }
    assert consumers == {
        # tests/all uses a itself; b and c are a's siblings; app is the root of the tree.
        "components/a": ["app/tests/all", "app"],
        "components/b": ["app/tests/all", "app"],
        "components/c": ["app/tests/all", "app"],
        "extra/lonely": ["app"],
    }
    assert group.unexercised == ()
    # Gated, tests/all uses a; b and c have a gated sibling consumer.
    [group] = with_components([discover("app/tests", tmp_path)])
    assert group.components == ()
    # No kustomization of its tree uses it or a sibling, and no ancestor builds: none.
    write(tmp_path, "other/overlays/x/kustomization.yaml", "resources: []\n")
    write(tmp_path, "other/overlays/extras/lonely/kustomization.yaml", COMPONENT)
    [group] = with_components([discover("other/overlays", tmp_path)])
    assert (group.components, [p.name for p in group.unexercised]) == ((), ["lonely"])


def test_an_unused_malformed_component_fails_its_own_render_item(
    pytester: pytest.Pytester, example: Path
) -> None:
    components_tree(example)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render", "-v")
    result.assert_outcomes(passed=8, failed=1)
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays: 7 overlays in 1 group, 2 unused components; renderer: *",
            "k8s/overlays/components/debug/kustomization.yaml::render FAILED*",
            "k8s/overlays/components/metrics/kustomization.yaml::render PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ components/debug [[]render] _*",
            # Kustomize's innermost cause first, then its whole chain.
            "components/debug: a Component no gated overlay uses, rendered through "
            "k8s/overlays/auth: invalid Kustomization: json: cannot unmarshal string into Go "
            "struct field Kustomization.patches of type types.Patch",
            "  kustomize build failed: accumulating components: "
            "accumulateDirectory: \"couldn't make target for path 'k8s/overlays/components/"
            "debug': invalid Kustomization: json: cannot unmarshal string into Go struct field "
            'Kustomization.patches of type types.Patch"',
        ]
    )
    # Every check still gates the overlays; a Component gets its render item only.
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-report=r.json")
    result.assert_outcomes(passed=57, failed=1)
    # The JSON report lists the Components it judged, with what it counts of them.
    report = json.loads((pytester.path / "r.json").read_text())
    entries = {(e["name"], e["kind"], e["status"]) for e in report["overlays"]}
    assert {e for e in entries if e[1] == "component"} == {
        ("components/debug", "component", "render-failed"),
        ("components/metrics", "component", "checked"),
    }
    assert (report["summary"]["overlays"], report["summary"]["render_failures"]) == (9, 1)


def test_a_component_nothing_can_render_is_listed_in_the_summary(
    pytester: pytest.Pytester, example: Path
) -> None:
    write(example, "k8s/overlays/extras/lonely/kustomization.yaml", METRICS)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "1 component no gated overlay uses, and nothing to render it through (no "
            "kustomization of its tree uses it, a sibling component or is its ancestor): not "
            "exercised:",
            "  k8s/overlays/extras/lonely",
        ]
    )


def test_a_components_render_item_leaves_the_consumers_findings_to_the_consumer(
    pytester: pytest.Pytester, example: Path
) -> None:
    components_tree(example)
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "commonAnnotations:\n  pytest-k8s-overlays/skip: imagez\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render", "-v")
    # auth reports its typo; metrics, rendered through auth, does not report it again.
    result.assert_outcomes(passed=7, failed=2)
    result.stdout.fnmatch_lines(
        [
            "k8s/overlays/auth/kustomization.yaml::render FAILED*",
            "k8s/overlays/components/debug/kustomization.yaml::render FAILED*",
            "k8s/overlays/components/metrics/kustomization.yaml::render PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(["*imagez is not a check or rule id (did you mean images?)*"])
