"""One cause, one finding: a mistake several overlays share is shown in full once (issue 18).

A typo in the base every overlay of the example uses fails each overlay's
ports item; the terminal shows the finding in full under the first overlay,
a line under each other, the annotations and SARIF once, and the summary ends
with a tally per rule. The first line of a failure names the finding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.core.findings import Finding, format_report
from pytest_k8s_overlays.pytest_plugin.shared import tally

from .conftest import SERVICES
from .test_ci_outputs import commands_in, runner_parse

PORTS = ("--overlays=k8s/overlays", "--overlays-checks=ports", "-p", "no:randomly")
FULL = (
    "auth: [target-port-name] Service/auth/auth-api targetPort: htp is not a named port of "
    "Deployment/auth/auth-api container api (ports: http)"
)
OTHERS = sorted(name for name in SERVICES if name != "auth")


def one_liner(name: str) -> str:
    return (
        f"{name}: [target-port-name] the same finding as auth (k8s/base/service.yaml:13), "
        "shown in full under auth [ports]"
    )


def typo_in_base(root: Path) -> None:
    """The realistic mistake: a Service's targetPort misspelt in the shared base."""
    service = root / "k8s/base/service.yaml"
    text = service.read_text(encoding="utf-8")
    service.write_text(text.replace("targetPort: http", "targetPort: htp"), encoding="utf-8")


def assert_one_block(result: pytest.RunResult) -> None:
    result.assert_outcomes(failed=len(SERVICES))
    result.stdout.fnmatch_lines(
        [
            FULL,
            "  Service/auth/auth-api spec.ports[[]0].targetPort: htp is not a named port*"
            "[[]target-port-name] (from k8s/base/service.yaml)",
            "  [[]target-port-name] at k8s/base/service.yaml:13 fails 6 more items too, shown "
            "there in one line: character, chat, info, location, my, scan",
            "hint [[]target-port-name]: *",
        ]
    )
    for name in OTHERS:
        result.stdout.fnmatch_lines([one_liner(name)])
        # The other overlays' blocks are their one line, nothing more.
        result.stdout.no_fnmatch_line(f"  Service/{name}/{name}-api spec.ports*")
    assert result.stdout.str().count("hint [target-port-name]") == 1
    result.stdout.fnmatch_lines(
        [
            "findings by rule:",
            "  target-port-name: 1 finding; 6 more items fail for one of them",
            "*short test summary info*",
        ]
    )


def test_a_typo_in_a_shared_base_is_shown_in_full_once(
    pytester: pytest.Pytester, example: Path
) -> None:
    typo_in_base(example)
    result = pytester.runpytest(*PORTS)
    assert_one_block(result)


def test_the_same_overlay_shows_it_in_full_under_xdist(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytest.importorskip("xdist")
    typo_in_base(example)
    result = pytester.runpytest_subprocess(*PORTS, "-n", "2")
    assert_one_block(result)


def test_annotations_and_sarif_carry_it_once_naming_the_overlays(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo_in_base(example)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(*PORTS, "--overlays-sarif=out.sarif", "--overlays-report=r.json")
    lines = commands_in(result.outlines)
    assert len(lines) == 1
    _, properties, message = runner_parse(lines[0])
    assert properties == {
        "file": "k8s/base/service.yaml",
        "line": "13",
        "title": "auth and 6 more: ports [target-port-name]",
    }
    assert message.splitlines()[0].endswith(
        "(the same finding in character, chat, info, location, my, scan)"
    )
    log: Any = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    assert len(results) == 1
    assert results[0]["properties"]["overlays"] == ["auth", *OTHERS]
    # The JSON report keeps a finding per overlay: it is data, not a review comment.
    report = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert sorted(f["overlay"] for f in report["findings"]) == sorted(SERVICES)


def test_different_mistakes_in_different_overlays_are_each_shown_in_full(
    pytester: pytest.Pytester, example: Path
) -> None:
    """The passing case of the rule: two overlays that each set :latest in their own
    images: entry are two findings, each on its entry, each in full."""
    for name in ("auth", "chat"):
        kustomization = example / f"k8s/overlays/{name}/kustomization.yaml"
        text = kustomization.read_text(encoding="utf-8")
        kustomization.write_text(
            text.replace('newTag: "1.1.0"', "newTag: latest").replace(
                'newTag: "1.7.0"', "newTag: latest"
            ),
            encoding="utf-8",
        )
    result = pytester.runpytest(
        "--overlays=k8s/overlays", "--overlays-checks=images", "--overlays-report=r.json"
    )
    result.assert_outcomes(passed=len(SERVICES) - 2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "auth: [[]unpinned] Deployment/auth/auth-api image: ghcr.io/acme/auth-api:latest "
            "is tagged latest",
            "chat: [[]unpinned] Deployment/chat/chat-api image: ghcr.io/acme/chat-api:latest "
            "is tagged latest",
            "findings by rule:",
            "  unpinned: 2 findings",
        ]
    )
    result.stdout.no_fnmatch_line("*the same finding as*")
    # Each on the images: entry the pull request changes, not on the base Deployment.
    report = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert [f["source"] for f in report["findings"]] == [
        {"file": "k8s/overlays/auth/kustomization.yaml", "line": 12},
        {"file": "k8s/overlays/chat/kustomization.yaml", "line": 12},
    ]


# -- first lines -------------------------------------------------------------------------


def finding(rule: str, resource: str = "Deployment/auth/auth-api") -> Finding:
    return Finding(
        "auth",
        resource,
        "spec.template.spec.containers[0].image",
        "images",
        rule,
        "ghcr.io/x/auth:latest is tagged latest",
        "a version tag or a digest",
    )


def test_the_first_line_names_the_finding_when_there_is_one() -> None:
    first = format_report("auth", "images", [finding("unpinned")], {}).splitlines()[0]
    assert first == (
        "auth: [unpinned] Deployment/auth/auth-api image: ghcr.io/x/auth:latest is tagged latest"
    )


def test_the_first_line_names_the_rules_when_there_are_several() -> None:
    found = [finding("unpinned"), finding("placeholder", "Deployment/auth/b"), finding("unpinned")]
    hints = {"placeholder": "", "unpinned": ""}
    first = format_report("auth", "images", found, hints).splitlines()[0]
    # In the order the check declares its rules.
    assert first == "auth: 3 findings [placeholder, unpinned]"


def test_the_tally_counts_findings_per_rule_and_the_one_liners() -> None:
    lines = tally(
        [
            [("check", "ports"), ("findings", "target-port-name=1")],
            [("check", "ports"), ("same-findings", "target-port-name=1")],
            [("check", "images"), ("findings", "unpinned=2,placeholder=1")],
            [("check", "render"), ("rules", "render")],
        ]
    )
    assert lines == [
        "findings by rule:",
        "  placeholder: 1 finding",
        "  target-port-name: 1 finding; 1 more item fails for one of them",
        "  unpinned: 2 findings",
        "  render: 1 deployable did not render",
    ]
    assert tally([]) == []


SHARED_BASE = {
    "base/kustomization.yaml": "resources: [app.yaml, service.yaml]\n",
    "base/service.yaml": """\
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        """,
    "base/app.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: web
                  image: ghcr.io/acme/web:1.0
                  ports: [{containerPort: 8080}]
        """,
}


def test_several_findings_of_an_item_at_one_place_are_one_line_and_counted_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three regions deployed into one namespace from one base, with no label to tell
    # their pods apart (gitops-environment-promotion's prod-asia, prod-eu, prod-us): each
    # region's Deployment selector catches the two others' pods, two findings at one place.
    from .builders import write

    for path, text in SHARED_BASE.items():
        write(pytester.path, path, text)
    for region in ("asia", "eu", "us"):
        write(
            pytester.path,
            f"envs/{region}/kustomization.yaml",
            f"namespace: prod\nnamePrefix: {region}-\nresources: [../../base]\n",
        )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(
        "--overlays=envs", "--overlays-checks=isolation", "-p", "no:randomly"
    )
    result.assert_outcomes(failed=3)
    # Before: each line twice, and "8 more items fail" with three overlays.
    result.stdout.fnmatch_lines(
        [
            "eu: 4 findings shown in full under other items [[]cross-overlay-selector]",
            "  [[]cross-overlay-selector] 2 findings, the same as asia (base/app.yaml:7), "
            "shown in full under asia [[]isolation]",
            "  [[]cross-overlay-selector] 2 findings, the same as asia (base/service.yaml:5), "
            "shown in full under asia [[]isolation]",
            "_*_ us [[]isolation] _*_",
        ]
    )
    # Each item once in the tally, each overlay once in the annotation's title.
    result.stdout.fnmatch_lines(
        ["  cross-overlay-selector: 4 findings; 2 more items fail for one of them"]
    )
    (title,) = {runner_parse(line)[1]["title"] for line in commands_in(result.outlines)}
    assert title == "asia and 2 more: isolation [cross-overlay-selector]"


def test_a_base_every_overlay_fails_to_render_on_is_one_failure_in_full(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull request renames configmap.yaml in the shared base but not its entry: every
    # overlay's render fails on the base. Before, seven full failures and seven
    # annotations on the same line.
    from .test_gate import break_overlay

    kfile = example / "k8s/base/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("- configmap.yaml", "- configmaps.yaml"))
    entry = kfile.read_text().splitlines().index("  - configmaps.yaml") + 1
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(
        "--overlays=k8s/overlays",
        "--overlays-checks=render",
        "-p",
        "no:randomly",
        "--overlays-sarif=out.sarif",
    )
    result.assert_outcomes(failed=len(SERVICES))
    place = f"k8s/base/kustomization.yaml:{entry}"
    result.stdout.fnmatch_lines(
        [
            "auth: lstat k8s/base/configmaps.yaml: no such file or directory",
            "  kustomize build failed: *",
            f"  [[]render] at {place} fails 6 more items too, shown there in one line: "
            "character, chat, info, location, my, scan",
        ]
    )
    for name in OTHERS:
        result.stdout.fnmatch_lines(
            [
                f"{name}: the same render failure as auth ({place}), shown in full under "
                "auth [[]render]"
            ]
        )
    # The summary still counts every deployable that did not render.
    result.stdout.fnmatch_lines(["  render: 7 deployables did not render"])
    (annotation,) = commands_in(result.outlines)
    assert runner_parse(annotation)[1]["title"] == "auth and 6 more: render"
    sarif = json.loads((pytester.path / "out.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 1
    # Two overlays' own mistakes, word for word alike, are two causes in two places.
    kfile.write_text(kfile.read_text().replace("- configmaps.yaml", "- configmap.yaml"))
    break_overlay(example, "info")
    break_overlay(example, "my")
    result = pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.no_fnmatch_line("*the same render failure*")
    assert len(commands_in(result.outlines)) == 2
