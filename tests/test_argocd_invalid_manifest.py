"""An Argo CD manifest that is not valid YAML is a finding on its file; the rest runs
(issue 18, class 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .builders import write

UNQUOTED_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: dev-extra
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - name: auth
  template:
    metadata:
      name: dev-extra-{{.name}}
    spec:
      project: dev-services
      source:
        repoURL: https://github.com/acme/platform.git
        path: k8s/overlays/{{.name}}
      destination:
        server: https://kubernetes.default.svc
        namespace: {{.name}}
"""


def test_an_application_set_that_is_not_yaml_fails_its_own_item_only(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    """The realistic mistake: a template value starting with {{ left unquoted."""
    write(argocd_example, "clusters/dev/apps/extra.yaml", UNQUOTED_TEMPLATE)
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "-k", "application", "--overlays-sarif=out.sarif"
    )
    # Not a usage error (exit 4): every other Application is gated.
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=9, failed=1)
    result.stdout.fnmatch_lines(
        [
            "extra.yaml: [[]invalid-applicationset] ApplicationSet/argocd/extra.yaml: not valid "
            "YAML: found unhashable key at line 22, column 21",
            "  source: not valid YAML",
            '*expected valid YAML (quote a value that starts with {{: name: "{{name}}"); Argo CD '
            "applies nothing of the file meanwhile, nor anything of dev-root, whose source "
            "reads it [[]invalid-applicationset] (from clusters/dev/apps/extra.yaml)",
            "FAILED clusters/dev/apps/extra.yaml::extra.yaml::application - *",
        ]
    )
    log: Any = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    (found,) = log["runs"][0]["results"]
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "clusters/dev/apps/extra.yaml"
    assert location["region"]["startLine"] == 22


def test_the_render_item_of_a_file_that_is_not_yaml_says_why_once(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    write(argocd_example, "clusters/dev/apps/extra.yaml", UNQUOTED_TEMPLATE)
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "extra.yaml and render")
    assert result.parseoutcomes()["failed"] == 1
    result.stdout.fnmatch_lines(
        [
            "extra.yaml: Argo CD would render nothing: not valid YAML: found unhashable key at "
            "line 22, column 21",
        ]
    )
    result.stdout.no_fnmatch_line("*not valid YAML: not valid YAML*")


def test_of_a_file_that_is_not_yaml_only_the_application_item_fails(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # One cause, one failure: the application item names the rule and the fix; the
    # render item (Argo CD renders nothing of the file) defers to it, as do the others.
    write(argocd_example, "clusters/dev/apps/extra.yaml", UNQUOTED_TEMPLATE)
    result = pytester.runpytest(
        "--overlays-argocd",
        "clusters/dev",
        "-k",
        "extra.yaml",
        "-rfs",
        "--overlays-sarif=out.sarif",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes()["failed"] == 1
    result.stdout.fnmatch_lines(
        [
            "FAILED clusters/dev/apps/extra.yaml::extra.yaml::application - *",
            "SKIPPED [[]8[]] clusters/dev/apps/extra.yaml:1: extra.yaml generates nothing: see "
            "its application item",
        ]
    )
    result.stdout.fnmatch_lines(["findings by rule:", "  invalid-applicationset: 1 finding"])
    result.stdout.no_fnmatch_line("*did not render*")
    result.stdout.no_fnmatch_line("*Argo CD would render nothing*")
    log: Any = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    (found,) = log["runs"][0]["results"]
    assert found["ruleId"].endswith("invalid-applicationset")


def test_an_app_of_apps_root_that_reads_the_file_is_not_a_second_failure(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # dev-root's directory source (clusters/dev/apps, recurse) reads extra.yaml: Argo CD
    # renders nothing of dev-root either. One cause: the file's item says so, by name.
    write(argocd_example, "clusters/dev/apps/extra.yaml", UNQUOTED_TEMPLATE)
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-rfs")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes()["failed"] == 1
    result.stdout.fnmatch_lines(
        [
            "*Argo CD applies nothing of the file meanwhile, nor anything of dev-root, whose "
            "source reads it [[]invalid-applicationset]*",
            "FAILED clusters/dev/apps/extra.yaml::extra.yaml::application - *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]8[]] clusters/dev/root.yaml:1: dev-root renders nothing while "
            "clusters/dev/apps/extra.yaml is not valid YAML: see extra.yaml [[]application[]]",
        ]
    )
    result.stdout.no_fnmatch_line("*Argo CD would render nothing*")
    # Without the file's item (-k), dev-root's render item fails with Argo CD's words.
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "dev-root and render")
    result.assert_outcomes(failed=1, deselected=89)
    result.stdout.fnmatch_lines(
        [
            "dev-root: Argo CD would render nothing: clusters/dev/apps: Failed to unmarshal "
            '"extra.yaml": not valid YAML'
        ]
    )


def test_a_quoted_template_passes(pytester: pytest.Pytester, argocd_example: Path) -> None:
    quoted = UNQUOTED_TEMPLATE.replace("namespace: {{.name}}", 'namespace: "{{.name}}"')
    write(argocd_example, "clusters/dev/apps/extra.yaml", quoted)
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "application")
    result.assert_outcomes(passed=10)


def test_a_yaml_file_that_names_no_argo_kind_is_listed_not_read(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    write(argocd_example, "clusters/dev/apps/values.yaml", "image: {{ .Values.image }}\n")
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "application")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(
        [
            "  clusters/dev: clusters/dev/apps/values.yaml: not valid YAML: *, names no Argo CD "
            "kind: not read"
        ]
    )


def test_the_projects_tests_of_what_renders_nothing_defer_to_the_application_item(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # A project's test over every Application: for the file that generates nothing and for
    # the root that reads it, the application item that reports the cause runs, so the
    # test skips pointing at it rather than repeat the failure twice more.
    write(argocd_example, "clusters/dev/apps/extra.yaml", UNQUOTED_TEMPLATE)
    pytester.makepyfile(test_contract="def test_each(overlay):\n    assert overlay.resources\n")
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-rfs", "test_contract.py")
    assert result.parseoutcomes()["failed"] == 1
    assert "errors" not in result.parseoutcomes()
    result.stdout.fnmatch_lines_random(
        [
            "FAILED clusters/dev/apps/extra.yaml::extra.yaml::application - *",
            "SKIPPED [[]1[]] test_contract.py:1: extra.yaml generates nothing: see its "
            "application item",
            "SKIPPED [[]1[]] test_contract.py:1: dev-root renders nothing while "
            "clusters/dev/apps/extra.yaml is not valid YAML: see extra.yaml [[]application[]]",
        ]
    )
    # Without the application items (-k), the tests fail with Argo CD's words.
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "-k", "test_each and (extra or dev-root)"
    )
    result.assert_outcomes(errors=2, deselected=98)
    result.stdout.fnmatch_lines_random(
        [
            "ERROR test_contract.py::test_each[[]dev-root[]] - *",
            "ERROR test_contract.py::test_each[[]extra.yaml[]] - *",
        ]
    )


def test_what_leaves_an_application_nothing_to_render_fails_its_application_item_only(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # Two pull-request mistakes: a source path one letter short (dev-platform), and a
    # template key misspelt in the destination of every service's Application. Before,
    # the render item failed too (on line 1, with a Kustomize hint), and every object of
    # the services failed the schema's name rule ("<no value>" is no namespace).
    platform = argocd_example / "clusters/dev/apps/platform.yaml"
    platform.write_text(platform.read_text().replace("platform/namespaces", "platform/namespace"))
    services = argocd_example / "clusters/dev/apps/services.yaml"
    services.write_text(
        services.read_text().replace('namespace: "{{name}}"', 'namespace: "{{nme}}"')
    )
    pytester.makepyfile(test_contract="def test_each(overlay):\n    assert overlay.resources\n")
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-rfs")
    outcomes = result.parseoutcomes()
    # dev-platform's application item, and the services' (one in full, six in one line).
    assert outcomes["failed"] == 8
    assert "errors" not in outcomes
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED [[]8[]] clusters/dev/apps/platform.yaml:1: dev-platform [[]source-path]: "
            "nothing of its render to judge; see its application item",
            "SKIPPED [[]8[]] clusters/dev/apps/services.yaml:1: dev-api-auth "
            "[[]unresolved-template]: nothing of its render to judge; see its application item",
            "SKIPPED [[]1[]] test_contract.py:1: dev-platform [[]source-path]: nothing of its "
            "render to judge; see its application item",
        ]
    )
    result.stdout.no_fnmatch_line("*::render - *")
    result.stdout.no_fnmatch_line("*[[]name]*")
    # Without the application items (-k), the render item still fails, Argo CD's words.
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "-k", "dev-platform and render"
    )
    result.assert_outcomes(failed=1, deselected=89)


def test_a_generator_of_no_known_kind_is_named_and_placed_on_its_entry(
    pytester: pytest.Pytester, argocd_example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull request's typo: `- lists:` for `- list:`. Argo CD's words, then the key it
    # did not know; the annotation on the generator's line (before: on spec:, line 7).
    services = argocd_example / "clusters/dev/apps/services.yaml"
    services.write_text(services.read_text().replace("    - list:\n", "    - lists:\n"))
    entry = services.read_text().splitlines().index("    - lists:") + 1
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "-k", "dev-api and application"
    )
    result.stdout.fnmatch_lines(
        [
            "dev-api: [[]invalid-applicationset] ApplicationSet/argocd/dev-api generators: "
            "contains unrecognized generators (lists: no generator of that name)",
        ]
    )
    (annotation,) = [line for line in result.outlines if line.startswith("::error")]
    assert f"file=clusters/dev/apps/services.yaml,line={entry}," in annotation


def test_a_helm_chart_is_named_as_one_not_read_as_manifests(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # argocd-example-apps's apps/: an app of apps written as a Helm chart. Its templates
    # are Helm's, not YAML: before, each was an invalid-application finding whose hint
    # spoke of kustomize images; pointed at alone, the chart is a usage error naming it.
    write(argocd_example, "charts/apps/Chart.yaml", "apiVersion: v2\nname: apps\nversion: 1.0.0\n")
    write(
        argocd_example,
        "charts/apps/templates/applications.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        "  name: {{ .Values.name }}\n",
    )
    result = pytester.runpytest("--overlays-argocd", "charts/apps")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --overlays-argocd charts/apps: a Helm chart (Chart.yaml), whose templates "
            "Helm renders (not Argo CD manifests to read); point --overlays-argocd at the "
            "manifests of the instance, or of the Application that deploys the chart"
        ]
    )
    # Among an instance's manifests: listed as not read, nothing failed for it.
    (argocd_example / "charts").rename(argocd_example / "clusters/dev/charts")
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "-k", "application")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(
        [
            "  clusters/dev: clusters/dev/charts/apps: a Helm chart (Chart.yaml), whose "
            "templates Helm renders (not Argo CD manifests to read): not read"
        ]
    )
