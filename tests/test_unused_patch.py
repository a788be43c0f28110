"""unused-patch: a patch whose target selects nothing is reported on its entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_k8s_overlays.core.selectors import Requirement, parse_selector_text

from .builders import write

JSON_PATCH = """
  - target: {target}
    patch: |-
      - op: add
        path: /metadata/annotations/patched
        value: "yes"
"""


def add_targeted(example: Path, overlay: str, field: str, *targets: str) -> None:
    """Append entries to an example overlay's kustomization, one per target."""
    kfile = example / f"k8s/overlays/{overlay}/kustomization.yaml"
    entries = "".join(JSON_PATCH.format(target=t) for t in targets)
    kfile.write_text(kfile.read_text() + f"{field}:{entries}")


def run_render(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render")


def test_a_patch_whose_target_matches_nothing_fails(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistakes: a misspelt name, a label selector no resource carries, a kind
    # the overlay does not render. Kustomize applies none of them and says nothing.
    add_targeted(
        example,
        "scan",
        "patchesJson6902",
        "{group: apps, version: v1, kind: Deployment, name: charater-api}",
    )
    add_targeted(example, "scan", "patches", "{kind: Service, labelSelector: 'app=charater'}")
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(
        kfile.read_text()
        + "  - target: {kind: StatefulSet}\n    patch: |-\n"
        + "      - {op: add, path: /spec/replicas, value: 2}\n"
    )
    result = run_render(pytester)
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            "chat: [[]unused-patch] *",
            "  k8s/overlays/chat/kustomization.yaml patches[[]1]: the target kind: StatefulSet "
            "selects none of the 3 resources the kustomization builds, so Kustomize applied "
            "nothing of the patch; expected a target selecting one of them (as "
            "rendered: ConfigMap/chat-api-config, Deployment/chat-api, Service/chat-api) "
            "[[]unused-patch]",
            "hint [[]unused-patch]: make the patch's target select what the patch is for *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "scan: 2 findings [[]*]",
            "  k8s/overlays/scan/kustomization.yaml patchesJson6902[[]0]: the target group: apps, "
            "version: v1, kind: Deployment, name: charater-api selects none of the 4 resources "
            "the kustomization builds, so Kustomize applied nothing of the patch; expected a "
            "target selecting one of them (as rendered: Deployment/scan-api) [[]unused-patch]",
            "  k8s/overlays/scan/kustomization.yaml patches[[]0]: the target kind: Service, "
            "labelSelector: app=charater selects none of the 4 resources the kustomization "
            "builds, so Kustomize applied nothing of the patch; expected a target selecting one "
            "of them (as rendered: Service/scan-api) [[]unused-patch]",
        ]
    )


def test_targets_that_select_by_name_pattern_label_or_base_name_pass(
    pytester: pytest.Pytester, example: Path
) -> None:
    # Kustomize matches the name before or after namePrefix, names as anchored
    # regular expressions, and label selectors with sets and negations.
    add_targeted(
        example,
        "scan",
        "patches",
        "{kind: Deployment, name: api}",
        "{kind: Deployment, name: scan-api}",
        "{name: 'a.i'}",
        "{labelSelector: 'app.kubernetes.io/part-of in (acme, other)'}",
        "{kind: Service, labelSelector: '!canary,domain'}",
        "{annotationSelector: 'team notin (x)'}",
        "{group: apps, kind: 'Deploy.*'}",
    )
    # A patch that renames its object: the render no longer shows the name it matched.
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(
        kfile.read_text()
        + "patches:\n  - target: {kind: ConfigMap, name: api-config}\n    patch: |-\n"
        + "      - {op: replace, path: /metadata/name, value: settings}\n"
    )
    # A reusable Component's patches apply to what each consumer builds: one for
    # StatefulSets selects nothing in an overlay of Deployments, rightly.
    write(
        example,
        "k8s/components/sidecar/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:"
        + JSON_PATCH.format(target="{kind: StatefulSet}"),
    )
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "components:\n  - ../../components/sidecar\n")
    run_render(pytester).assert_outcomes(passed=7)


@pytest.mark.parametrize(
    ("text", "requirements"),
    [
        ("app=api", [Requirement("app", "=", ("api",))]),
        (
            "app==api, tier != web",
            [
                Requirement("app", "=", ("api",)),
                Requirement("tier", "NotIn", ("web",)),
            ],
        ),
        (
            "env in (dev, prod),!canary,team",
            [
                Requirement("env", "In", ("dev", "prod")),
                Requirement("canary", "DoesNotExist"),
                Requirement("team", "Exists"),
            ],
        ),
        ("x notin (a)", [Requirement("x", "NotIn", ("a",))]),
    ],
)
def test_a_selector_text_parses_as_kubernetes_does(
    text: str, requirements: list[Requirement]
) -> None:
    parsed = parse_selector_text(text)
    assert parsed is not None
    assert list(parsed.requirements) == requirements


@pytest.mark.parametrize("text", ["app in (a", "=x", "a b", "app=(x)"])
def test_a_selector_text_that_does_not_parse_is_none(text: str) -> None:
    assert parse_selector_text(text) is None


def test_an_unused_patch_of_a_base_is_placed_on_its_entry(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The base's patch is judged against what the base builds: `api`, before any
    # overlay's namePrefix; `charater-api` selects nothing in any overlay.
    base = example / "k8s/base/kustomization.yaml"
    base.write_text(
        base.read_text()
        + "patches:"
        + JSON_PATCH.format(target="{kind: Deployment, name: api}")
        + JSON_PATCH.format(target="{kind: Deployment, name: charater-api}")
    )
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=render", "--overlays-report=r.json"
    )
    result.assert_outcomes(failed=7)
    result.stdout.fnmatch_lines(
        [
            "  k8s/base/kustomization.yaml patches[[]1]: the target kind: Deployment, name: "
            "charater-api selects none of the 3 resources the kustomization builds, so "
            "Kustomize applied nothing of the patch; expected a target selecting one of them "
            "(as rendered: Deployment/auth-api) [[]unused-patch]",
        ]
    )
    lines = base.read_text().splitlines()
    entry = next(n for n, text in enumerate(lines, 1) if "charater-api" in text)
    sources = {
        (r["rule"], r["source"]["file"], r["source"]["line"])
        for r in json.loads((pytester.path / "r.json").read_text())["findings"]
    }
    assert sources == {("unused-patch", "k8s/base/kustomization.yaml", entry)}
