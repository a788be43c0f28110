"""Generators and templatePatch where a naive emulation differs from Argo CD in silence
(issue 19, silent differences 2, 3 and 6), end to end with real renders. Differences
1, 4 and 5 are in test_argocd_gotemplate_e2e.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .builders import REPO, app_template, application_set, write, write_manifests

GO = {"goTemplate": True}


def _git(path: str, **more: object) -> dict[str, object]:
    return {"git": {"repoURL": REPO, "revision": "main", "directories": [{"path": path}], **more}}


def _falsy_sets() -> list[dict[str, object]]:
    """Silent difference 2: a false or "" of the generator that wins must win."""
    name = '{{ .name }}-{{ if .auto }}auto{{ else }}manual{{ end }}-{{ default "std" .tier }}'
    template = app_template(name, "apps/{{ .name }}", "{{ .name }}")
    first = {"list": {"elements": [{"name": "a", "auto": False, "tier": ""}]}}
    second = {"list": {"elements": [{"auto": True, "tier": "gold"}]}}
    base = {"list": {"elements": [{"name": "b", "auto": True, "tier": "gold"}]}}
    override = {"list": {"elements": [{"name": "b", "auto": False, "tier": ""}]}}
    return [
        # Argo CD's matrix: the first generator's parameters take precedence, false too.
        application_set(
            "falsy-matrix", [{"matrix": {"generators": [first, second]}}], template, **GO
        ),
        # Argo CD's merge: a later generator's parameters override the base, "" too.
        application_set(
            "falsy-merge",
            [{"merge": {"mergeKeys": ["name"], "generators": [base, override]}}],
            template,
            **GO,
        ),
    ]


def _values_sets() -> list[dict[str, object]]:
    """Silent difference 3: a matrix's second generator's values see the first's parameters."""
    env = {"list": {"elements": [{"env": "dev"}]}}
    fast = _git("apps/c", values={"ns": "{{env}}-{{path.basename}}", "typo": "{{nope}}"})
    go = _git("apps/c", values={"ns": "{{ .env }}-ns"})
    fast_template = app_template("{{values.ns}}", "{{path}}", "{{path.basename}}")
    fast_template["metadata"]["annotations"] = {"note": "{{values.typo}}"}
    return [
        application_set("values", [{"matrix": {"generators": [env, fast]}}], fast_template),
        application_set(
            "go-values",
            [{"matrix": {"generators": [env, go]}}],
            app_template("{{ .values.ns }}-{{ .path.basename }}", "{{ .path.path }}", "c"),
            **GO,
        ),
    ]


def _other_sets() -> list[dict[str, object]]:
    """Silent difference 6: generator files read as Argo CD reads them, and templatePatch
    applied to an empty parameter set."""
    files = {"repoURL": REPO, "revision": "main", "files": [{"path": "windows/*.yaml"}]}
    annotated = app_template(
        "window-{{service}}",
        "apps/{{service}}",
        "{{service}}",
        kustomize={"commonAnnotations": {"window": "{{window}}", "octal": "{{mode}}"}},
    )
    patch = (
        'spec:\n  source:\n    kustomize:\n      namePrefix: {{ "patched" }}-{{ round 2.5 0 }}-\n'
    )
    return [
        application_set("windows", [{"git": files}], annotated),
        application_set(
            "empty",
            [{"list": {"elements": [{}]}}],
            app_template("empty-a", "apps/a", "a"),
            templatePatch=patch,
            **GO,
        ),
    ]


#: Written by hand: a YAML writer would quote 1:20. kubectl sends it to Argo CD as the
#: string "1:20" (sigs.k8s.io/yaml), YAML 1.1 readers as the number 80.
RAW_SET = """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: raw, namespace: argocd}
spec:
  generators:
    - list:
        elements:
          - {service: b, window: 1:20}
  template:
    metadata: {name: 'window-{{service}}'}
    spec:
      project: default
      source:
        repoURL: https://github.com/acme/platform.git
        targetRevision: main
        path: 'apps/{{service}}'
        kustomize:
          commonAnnotations: {window: '{{window}}'}
      destination: {server: https://kubernetes.default.svc, namespace: b}
"""

CONTRACTS = """
def _names(overlay):
    # ConfigMap names end with Kustomize's content hash.
    return [r.name.rsplit("-", 1)[0] for r in overlay]


def test_a_file_is_read_as_argo_cd_reads_it(overlays):
    annotations = overlays["window-a"].resources[0].raw["metadata"]["annotations"]
    assert (annotations["window"], annotations["octal"]) == ("1:20", "8")


def test_an_element_is_read_as_kubectl_sends_it(overlays):
    assert overlays["window-b"].resources[0].raw["metadata"]["annotations"]["window"] == "1:20"


def test_the_patch_applies_to_an_empty_parameter_set(overlays):
    assert _names(overlays["empty-a"]) == ["patched-3-a"]
"""


def _make_tree(root: Path) -> None:
    for name in ("a", "b", "c"):
        write(
            root,
            f"apps/{name}/kustomization.yaml",
            f"configMapGenerator:\n  - name: {name}\n    literals: [SERVICE={name}]\n",
        )
    write(root, "windows/a.yaml", "service: a\nwindow: 1:20\nmode: 010\n")


def test_generators_give_what_argo_cd_gives(pytester: pytest.Pytester) -> None:
    _make_tree(pytester.path)
    sets = [*_falsy_sets(), *_values_sets(), *_other_sets()]
    write_manifests(pytester.path, "argocd/sets.yaml", *sets)
    write(pytester.path, "argocd/raw.yaml", RAW_SET)
    pytester.makepyfile(test_contracts=CONTRACTS)
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-checks=render,application",
        "-v",
    )
    result.stdout.fnmatch_lines(
        [
            f"*argocd/sets.yaml::{name}::render PASSED*"
            for name in ("a-manual-std", "b-manual-std", "dev-ns-c", "window-a", "empty-a")
        ]
    )
    # The second generator's values: env from the first, path.basename from its own; a
    # key neither gives stays as written in Argo CD, and is reported.
    result.stdout.fnmatch_lines(
        [
            "*argocd/sets.yaml::dev-c::application FAILED*",
            "  Application/argocd/dev-c values.typo: {{nope}} left as written; expected a "
            "parameter the generators give (env, path, path.basename, path.basenameNormalized, "
            "path[[]0], path[[]1], values.ns, values.typo) [[]unresolved-template] "
            "(from argocd/sets.yaml)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_a_file_is_read_as_argo_cd_reads_it PASSED*",
            "*test_an_element_is_read_as_kubectl_sends_it PASSED*",
            "*test_the_patch_applies_to_an_empty_parameter_set PASSED*",
        ]
    )
    result.assert_outcomes(passed=16, failed=1)


def test_what_argo_cd_refuses_fails_the_set(pytester: pytest.Pytester) -> None:
    _make_tree(pytester.path)
    elements = {"list": {"elements": [{"name": "a", "path": "apps/a"}]}}
    template = app_template("{{ .name }}", "{{ .path }}", "a")
    sets = [
        # Kubernetes refuses the label key path[0]: Argo CD fails the generator.
        application_set(
            "bad-key",
            [{**elements, "selector": {"matchLabels": {"path[0]": "apps"}}}],
            template,
            **GO,
        ),
        # Go's Template.Option panics on an unknown option.
        application_set(
            "bad-option", [elements], template, goTemplateOptions=["missingkey=bogus"], **GO
        ),
    ]
    write_manifests(pytester.path, "argocd/sets.yaml", *sets)
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-checks=render,application",
        "-v",
        "-rs",
    )
    result.stdout.fnmatch_lines(
        [
            # On the generator it is about (before: on spec).
            "  ApplicationSet/argocd/bad-key spec.generators[[]0]: error parsing label "
            "selector: key: Invalid "
            "value: path[[]0]: not a qualified name; expected generators and a template Argo "
            "CD can evaluate (it generates nothing meanwhile) [[]invalid-applicationset] "
            "(from argocd/sets.yaml)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  ApplicationSet/argocd/bad-option spec: panic: unrecognized option: "
            "missingkey=bogus; expected generators and a template Argo CD can evaluate (it "
            "generates nothing meanwhile) [[]invalid-applicationset] (from argocd/sets.yaml)",
        ]
    )
    # One cause, one failure: each set's render item defers to its application item.
    result.assert_outcomes(failed=2, skipped=2)
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] argocd/sets.yaml:*: bad-key generates nothing: see its application item"]
    )
    result.stdout.no_fnmatch_line("*Argo CD would render nothing*")
