"""Findings placed where a pull request changes them (issue 18, classes 11 and 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_k8s_overlays.reporting import locate
from pytest_k8s_overlays.reporting.locate import application_line, render_failure_location

from .builders import application, write_manifests


def sarif_results(root: Path, name: str) -> list[dict[str, Any]]:
    log: Any = json.loads((root / name).read_text(encoding="utf-8"))
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    return results


def where(result: dict[str, Any]) -> tuple[str, int]:
    location = result["locations"][0]["physicalLocation"]
    return location["artifactLocation"]["uri"], location["region"]["startLine"]


def test_application_findings_are_on_the_manifests_that_define_them(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    """A standalone Application duplicating a generated one, with a misspelt project:
    each finding on the line of the manifest that says it, with its own fingerprint."""
    write_manifests(
        argocd_example,
        "clusters/dev/apps/info.yaml",
        application("dev-api-info", "k8s/overlays/info", namespace="info", project="dev-servics"),
    )
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "-k", "application", "--overlays-sarif=out.sarif"
    )
    result.assert_outcomes(passed=8, failed=2)
    results = sarif_results(pytester.path, "out.sarif")
    placed = sorted((r["ruleId"], *where(r)) for r in results)
    info = (argocd_example / "clusters/dev/apps/info.yaml").read_text(encoding="utf-8")
    lines = info.splitlines()
    name_line = next(i for i, line in enumerate(lines, 1) if "name: dev-api-info" in line)
    project_line = next(i for i, line in enumerate(lines, 1) if "project: dev-servics" in line)
    services = (argocd_example / "clusters/dev/apps/services.yaml").read_text(encoding="utf-8")
    template_name = next(
        i for i, line in enumerate(services.splitlines(), 1) if 'name: "dev-api-{{name}}"' in line
    )
    assert placed == [
        ("application/duplicate-name", "clusters/dev/apps/info.yaml", name_line),
        ("application/duplicate-name", "clusters/dev/apps/services.yaml", template_name),
        ("application/unknown-project", "clusters/dev/apps/info.yaml", project_line),
    ]
    fingerprints = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert len(fingerprints) == 3


def test_a_missing_patch_file_is_placed_on_its_entry(
    pytester: pytest.Pytester, example: Path
) -> None:
    kustomization = example / "k8s/overlays/chat/kustomization.yaml"
    text = kustomization.read_text(encoding="utf-8") + "  - path: chat-limits.yaml\n"
    kustomization.write_text(text, encoding="utf-8")
    entry = len(text.splitlines())
    result = pytester.runpytest(
        "--overlays=k8s/overlays", "--overlays-checks=render", "--overlays-sarif=out.sarif"
    )
    result.assert_outcomes(passed=6, failed=1)
    (failure,) = sarif_results(pytester.path, "out.sarif")
    assert where(failure) == ("k8s/overlays/chat/kustomization.yaml", entry)
    assert failure["message"]["text"].splitlines()[0] == (
        "chat: lstat k8s/overlays/chat/chat-limits.yaml: no such file or directory"
    )


def test_a_patch_that_does_not_parse_is_placed_on_the_patch(tmp_path: Path) -> None:
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text("patches:\n  - path: p.yaml\n", encoding="utf-8")
    (tmp_path / "p.yaml").write_text("metadata: {name: api\n", encoding="utf-8")
    message = (
        "trouble configuring builtin PatchTransformer with config: `\npath: p.yaml\n`: "
        'unable to parse SM or JSON patch from [path: "p.yaml"]'
    )
    assert render_failure_location(message, kustomization) == (tmp_path / "p.yaml", 1)
    missing = (
        "trouble configuring builtin PatchTransformer with config: <hidden>: failed to get the "
        "patch file from path(gone.yaml): evalsymlink failure on 'gone.yaml' : lstat gone.yaml: "
        "no such file or directory"
    )
    kustomization.write_text("patches:\n  - path: p.yaml\n  - path: gone.yaml\n", "utf-8")
    assert render_failure_location(missing, kustomization) == (kustomization, 3)
    # A patchesStrategicMerge entry naming no file (gitops-environment-promotion's qa,
    # an entry added at line 4): Kustomize names the path it tried, not the entry.
    kustomization.write_text(
        "patchesStrategicMerge:\n- deployment.yml\n- version.yml\n- limits.yml\n", "utf-8"
    )
    tried = tmp_path / "limits.yml"
    merge = (
        "trouble configuring builtin PatchStrategicMergeTransformer with config: <hidden: may "
        f"hold Secret values; see kustomization.yaml:1>: evalsymlink failure on '{tried}' : "
        f"lstat {tried}: no such file or directory"
    )
    assert render_failure_location(merge, kustomization) == (kustomization, 4)


def test_a_patch_whose_target_a_typo_lost_is_placed_on_the_name(tmp_path: Path) -> None:
    # gitops-environment-promotion's variants/prod with a typo in its patch's name:
    # Kustomize names the Component's directory; the line the pull request changed
    # is the name in the patch file. Before: line 1 of the Component's kustomization.
    component = tmp_path / "variants/prod"
    component.mkdir(parents=True)
    kustomization = component / "kustomization.yml"
    kustomization.write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "patchesStrategicMerge:\n- prod.yml\n",
        encoding="utf-8",
    )
    (component / "prod.yml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: simple-deploymnet\n",
        encoding="utf-8",
    )
    message = (
        'accumulating components: accumulateDirectory: "recursed accumulation of path '
        f"'{component}': no matches for Id Deployment.v1.apps/simple-deploymnet.[noNs]; "
        'failed to find unique target for patch Deployment.v1.apps/simple-deploymnet.[noNs]"'
    )
    overlay = tmp_path / "envs/prod-asia/kustomization.yml"
    assert render_failure_location(message, overlay) == (component / "prod.yml", 4)
    # An inline patch: the name in the kustomization itself.
    kustomization.write_text(
        "kind: Component\npatches:\n- patch: |-\n    kind: Deployment\n    metadata:\n"
        "      name: simple-deploymnet\n",
        encoding="utf-8",
    )
    assert render_failure_location(message, overlay) == (kustomization, 6)
    # Named nowhere Kustomize points: the kustomization, as before.
    kustomization.write_text("kind: Component\n", encoding="utf-8")
    assert render_failure_location(message, overlay) == (kustomization, 1)


def test_a_file_holding_many_findings_is_parsed_once_and_again_when_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Application of a manifest is located in it: a file of hundreds of them was
    parsed again for each (the Argo CD fuzz spent nine tenths of its time so); an edit
    is read anew."""
    parsed: list[str] = []
    locate._composed.cache_clear()
    locate._load_error_line.cache_clear()
    for name in ("compose_all", "load_all"):
        real = getattr(yaml, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            parsed.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(yaml, name, counted)
    apps = [application(f"app-{i}", "apps/a", project=f"p{i}") for i in range(40)]
    file = write_manifests(tmp_path, "apps.yaml", *apps)
    text = file.read_text(encoding="utf-8")
    lines = text.splitlines()
    projects = [lines.index(f"  project: p{i}") + 1 for i in range(40)]
    found = [application_line(file, "Application", f"app-{i}", "spec.project") for i in range(40)]
    assert (found, sorted(parsed)) == (projects, ["compose_all", "load_all"])
    file.write_text("# moved\n" + text, encoding="utf-8")
    assert application_line(file, "Application", "app-3", "spec.project") == projects[3] + 1
    assert len(parsed) == 4


ROOT_AND_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
spec:
  destination:
    namespace: argocd
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: examples
spec:
  template:
    metadata:
      name: "{{ .path.basename }}"
    spec:
      destination:
        namespace: "{{ .path.basenam }}"
"""


def test_a_generated_application_is_placed_in_its_set_not_on_the_files_one_application(
    tmp_path: Path,
) -> None:
    # An app of apps' root and its ApplicationSet in one file: a finding of a generated
    # Application (guestbook) was placed on the root's own namespace (the file's one
    # Application, taken for it), not on the template line a pull request changed.
    file = tmp_path / "root.yaml"
    file.write_text(ROOT_AND_SET, encoding="utf-8")
    lines = ROOT_AND_SET.splitlines()
    template = lines.index('        namespace: "{{ .path.basenam }}"') + 1
    own = lines.index("    namespace: argocd") + 1
    field = "spec.destination.namespace"
    assert application_line(file, "Application", "guestbook", field) == template
    assert application_line(file, "Application", "root", field) == own
