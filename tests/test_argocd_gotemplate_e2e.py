"""goTemplate ApplicationSets that Argo CD renders differently from a naive emulation,
end to end with real renders: each case is one the conformance corpus
(test_argocd_conformance.py) found, seen as a user sees it."""

from __future__ import annotations

import pytest

from .builders import REPO, app_template, application_set, write, write_manifests

ELEMENTS = [
    {"name": "a", "shard": 0, "replicas": 3, "meta": {"team": "web"}},
    {"name": "b", "shard": 1, "replicas": 2},
]

CONTRACTS = """
def test_to_yaml_writes_whole_numbers_as_go_does(overlays):
    # ConfigMap names end with Kustomize's content hash.
    assert [r.name.rsplit("-", 1)[0] for r in overlays["a-web"]] == ["r3-a"]
    assert [r.name.rsplit("-", 1)[0] for r in overlays["b-none"]] == ["r2-b"]
"""


def _sets() -> list[dict[str, object]]:
    generators = [{"list": {"elements": ELEMENTS}}]
    return [
        # toYaml of a JSON number is 3, not 3.0 and a document end; a missing map's field
        # is <no value>, which default replaces, as Argo CD renders it.
        application_set(
            "fine",
            generators,
            app_template(
                '{{ .name }}-{{ default "none" .meta.team }}',
                "apps/{{ .name }}",
                "{{ .name }}",
                kustomize={"namePrefix": "r{{ toYaml .replicas }}-"},
            ),
            goTemplate=True,
        ),
        # JSON numbers are float64 in Argo CD: eq with the constant 0 (an int) fails there.
        application_set(
            "sharded",
            generators,
            app_template(
                "{{ .name }}-{{ if eq .shard 0 }}first{{ else }}other{{ end }}",
                "apps/{{ .name }}",
                "{{ .name }}",
            ),
            goTemplate=True,
        ),
        # Go calls a function only with its parameter types: trunc wants an int, and a
        # JSON number is a float64.
        application_set(
            "typed",
            generators,
            app_template("{{ trunc .replicas .name }}", "apps/{{ .name }}", "{{ .name }}"),
            goTemplate=True,
        ),
        # Go's parser refuses an undefined $variable even in a branch never taken.
        application_set(
            "dead",
            generators,
            app_template(
                "{{ .name }}{{ if false }}{{ $suffix }}{{ end }}", "apps/{{ .name }}", "{{ .name }}"
            ),
            goTemplate=True,
        ),
    ]


def test_go_template_results_match_argo_cd(pytester: pytest.Pytester) -> None:
    for name in ("a", "b"):
        write(
            pytester.path,
            f"apps/{name}/kustomization.yaml",
            f"configMapGenerator:\n  - name: {name}\n    literals: [SERVICE={name}]\n",
        )
    write_manifests(pytester.path, "argocd/sets.yaml", *_sets())
    pytester.makepyfile(test_contracts=CONTRACTS)
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-checks=render,application",
        "-v",
    )
    result.stdout.fnmatch_lines(
        [
            "*argocd/sets.yaml::a-web::render PASSED*",
            "*argocd/sets.yaml::b-none::render PASSED*",
            "*test_to_yaml_writes_whole_numbers_as_go_does PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "sharded: [[]invalid-applicationset] ApplicationSet/argocd/sharded spec: failed to "
            "execute go template {{ if eq .shard 0 }}: error calling eq: incompatible types "
            "for comparison",
            "  source: no Application generated",
            "  ApplicationSet/argocd/sharded spec: failed to execute go template "
            "{{ if eq .shard 0 }}: error calling eq: incompatible types for comparison; "
            "expected generators and a template Argo CD can evaluate (it generates nothing "
            "meanwhile) [[]invalid-applicationset] (from argocd/sets.yaml)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  ApplicationSet/argocd/typed spec: failed to execute go template "
            "{{ trunc .replicas .name }}: wrong type for value; expected int; got float64; "
            "expected generators and a template Argo CD can evaluate (it generates nothing "
            "meanwhile) [[]invalid-applicationset] (from argocd/sets.yaml)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  ApplicationSet/argocd/dead spec: failed to parse template {{ $suffix }}: "
            'undefined variable "$suffix"; expected generators and a template Argo CD can '
            "evaluate (it generates nothing meanwhile) [[]invalid-applicationset] "
            "(from argocd/sets.yaml)",
        ]
    )
    # One cause, one failure: a set that generates nothing fails its application item;
    # its render item defers to that one.
    result.assert_outcomes(passed=5, failed=3, skipped=3)
    result.stdout.no_fnmatch_line("*Argo CD would render nothing*")


def test_a_function_the_emulation_lacks_is_not_said_to_fail_in_argo_cd(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, "apps/a/kustomization.yaml", "namespace: a\n")
    semver = application_set(
        "versioned",
        [{"list": {"elements": [{"name": "a", "version": "1.2.3"}]}}],
        app_template(
            '{{ .name }}-{{ derivePassword 1 "long" "pw" .name "example.com" | lower }}',
            "apps/{{ .name }}",
            "{{ .name }}",
        ),
        goTemplate=True,
    )
    # Named in a branch never taken, it renders as in Argo CD.
    dead = application_set(
        "dated",
        [{"list": {"elements": [{"name": "a"}]}}],
        app_template("{{ .name }}{{ if false }}{{ now }}{{ end }}", "apps/a", "a"),
        goTemplate=True,
    )
    write_manifests(pytester.path, "argocd/sets.yaml", semver, dead)
    result = pytester.runpytest(
        "--overlays-argocd=argocd",
        f"--overlays-argocd-repo={REPO}",
        "--overlays-checks=render,application",
        "-v",
    )
    result.stdout.fnmatch_lines(
        [
            "*argocd/sets.yaml::a::render PASSED*",
            "*argocd/sets.yaml::versioned::render FAILED*",
            'versioned: not supported by this emulation: function "derivePassword" (in '
            '{{ derivePassword 1 "long" "pw" .name "example.com" | lower }}); Argo CD '
            "renders it, so ApplicationSet versioned is not gated",
        ]
    )
    result.stdout.no_fnmatch_line("*would render nothing*")
    result.stdout.no_fnmatch_line("*invalid-applicationset*")
