"""Unit tests of Argo CD mode's pure pieces: templates, Go values, kustomize edit, globs,
repository URLs and AppProject rules (no rendering)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.core.applications import SourcePlan, canonical
from pytest_k8s_overlays.core.globs import glob_match, path_match
from pytest_k8s_overlays.core.permissions import destination_permitted, kind_permitted
from pytest_k8s_overlays.parse.kustomize_edit import (
    EditError,
    apply_overrides,
    envsubst,
    parse_image,
)
from pytest_k8s_overlays.render.engine import RenderError
from pytest_k8s_overlays.render.recipes import _build_helm, helm_argv
from pytest_k8s_overlays.sources.argocd.directory import refusing_file
from pytest_k8s_overlays.sources.argocd.functions import FUNCTIONS, sanitize_name, slugify
from pytest_k8s_overlays.sources.argocd.gotemplate import Options, TemplateError, execute
from pytest_k8s_overlays.sources.argocd.govalues import flatten, format_float, to_json
from pytest_k8s_overlays.sources.argocd.projects import project_rules, source_permitted
from pytest_k8s_overlays.sources.argocd.repo import ThisRepo, normalize_url, same_url, this_repo
from pytest_k8s_overlays.sources.argocd.templates import fasttemplate

from .builders import write

DATA = {
    "name": "auth",
    "env": "dev",
    "replicas": 3.0,
    "path": {"basename": "auth", "segments": ["k8s", "overlays", "auth"]},
    "list": ["a", "b"],
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ .name }}-api", "auth-api"),
        ("{{.path.basename | upper}}", "AUTH"),
        ("{{ index .path.segments 1 }}", "overlays"),
        ('{{ printf "%s-%s" .env .name }}', "dev-auth"),
        ('{{ printf "%d" .replicas }}', "%!d(float64=3)"),
        ("{{ .replicas }}", "3"),
        ('{{ if eq .env "prod" }}p{{ else if eq .env "dev" }}d{{ else }}x{{ end }}', "d"),
        ("{{- range $i, $v := .list }}[{{ $i }}={{ $v }}]{{ end -}}", "[0=a][1=b]"),
        ("{{ range .nothing }}x{{ else }}empty{{ end }}", "empty"),
        ("{{ $x := .name }}{{ with .path }}{{ $x }}/{{ .basename }}{{ end }}", "auth/auth"),
        ("a {{- /* a comment */ -}} b", "ab"),
        ('{{ default "x" .missing }}', "x"),
        ('{{ or .missing "fallback" }}', "fallback"),
        ("{{ .missing }}", "<no value>"),
        ('{{ .name | trunc 2 }}{{ trimPrefix "k8s/" "k8s/x" }}', "aux"),
        ('{{ normalize "Foo_Bar.baz-" }}', "foo-bar.baz"),
        ("{{ toJson .list }}", '["a","b"]'),
        ('{{ dig "path" "basename" "none" . }}', "auth"),
        ('{{ list "a" "b" | join "," }}', "a,b"),
        ("{{ (index .path.segments 2) | quote }}", '"auth"'),
        ('{{ regexReplaceAll "(a)(u)" .name "${2}$1" }}', "uath"),
        ('{{ "x" | b64enc }}', "eA=="),
        ("{{ add 1 .replicas }}", "4"),
    ],
)
def test_go_templates(template: str, expected: str) -> None:
    assert execute(template, DATA, FUNCTIONS) == expected


@pytest.mark.parametrize(
    ("template", "options", "message"),
    [
        (
            "{{ .name | shout }}",
            Options(),
            'failed to parse template {{ .name | shout }}: function "shout" not defined',
        ),
        (
            "{{ .missing.x }}",
            Options(missing_zero=True),
            "failed to execute go template {{ .missing.x }}: nil pointer evaluating interface {}.x",
        ),
        (
            "{{ if .name }}",
            Options(),
            "failed to parse template {{ if .name }}: unexpected EOF: if has no end",
        ),
        (
            "{{ .nope }}",
            Options(missing_error=True),
            'failed to execute go template {{ .nope }}: map has no entry for key "nope"',
        ),
    ],
)
def test_go_template_errors_in_argo_cds_words(
    template: str, options: Options, message: str
) -> None:
    with pytest.raises(TemplateError) as raised:
        execute(template, DATA, FUNCTIONS, options)
    assert str(raised.value) == message


def test_go_templates_report_missing_keys() -> None:
    missing: list[str] = []
    assert execute("{{ .nam }}/{{ .path.base }}", DATA, FUNCTIONS, on_missing=missing.append) == (
        "<no value>/<no value>"
    )
    assert missing == [".nam", ".path.base"]


def test_fasttemplate_leaves_unknown_keys_as_written() -> None:
    missing: list[str] = []
    params = {"name": "auth", "values.env": "dev", "count": 3.0}
    text = "{{name}}-{{ values.env }}-{{nam}}-{{count}}-{{}}"
    assert fasttemplate(text, params, missing.append) == "auth-dev-{{nam}}-{{count}}-{{}}"
    assert missing == ["nam", "count", ""]
    # Rendered only with {{ and }} on one line; then an unclosed tag is an error.
    assert fasttemplate("{{name", params, missing.append) == "{{name"
    with pytest.raises(TemplateError):
        fasttemplate("{{name}}-{{rest", params, missing.append)


@pytest.mark.parametrize(
    ("value", "shown", "json"),
    [
        (3.0, "3", "3"),
        (1.5, "1.5", "1.5"),
        (123456.0, "123456", "123456"),
        (1e6, "1e+06", "1000000"),
        (1234567.0, "1.234567e+06", "1234567"),
        (1e-5, "1e-05", "0.00001"),
    ],
)
def test_numbers_are_written_as_go_writes_float64(value: float, shown: str, json: str) -> None:
    assert format_float(value) == shown
    assert format_float(value, json_style=True) == json


def test_flatten_and_json_as_argo_cd_sees_parameters() -> None:
    assert flatten({"a": {"b": 1.0, "c": [{"d": True}]}, "e": {}}) == {
        "a.b": "1",
        "a.c.0.d": "true",
    }
    assert to_json({"b": 1e6, "a": "<x>"}) == '{"a":"\\u003cx\\u003e","b":1000000}'


def test_names_argo_cd_normalises() -> None:
    assert sanitize_name("My_App.v2-") == "my-app.v2"
    assert slugify(10, True, "Hello Big World") == "hello-big"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("img:$ARGOCD_APP_NAME", "img:auth"),
        ("img:${ARGOCD_APP_NAME}-x", "img:auth-x"),
        ("$$HOME", "$HOME"),
        ("$UNKNOWN/x", "/x"),
        ("cost: 5$", "cost: 5$"),
        ("a $ b", "a $ b"),
        # Go eats the "${" only (generator corpus, envsubst-9).
        ("${unterminated", "unterminated"),
    ],
)
def test_envsubst_is_gos_os_expand(text: str, expected: str) -> None:
    assert envsubst(text, {"ARGOCD_APP_NAME": "auth"}) == expected


@pytest.mark.parametrize(
    ("argument", "image"),
    [
        ("nginx:1.25", {"name": "nginx", "newTag": "1.25", "digest": ""}),
        (
            "nginx=ghcr.io/x/nginx:1.2",
            {"name": "nginx", "newName": "ghcr.io/x/nginx", "newTag": "1.2", "digest": ""},
        ),
        (
            "registry:5000/app@sha256:ab",
            {"name": "registry:5000/app", "newTag": "", "digest": "sha256:ab"},
        ),
        ("a=b:1@sha256:cd", {"name": "a", "newName": "b", "newTag": "1", "digest": "sha256:cd"}),
        ("nginx=other", {"name": "nginx", "newName": "other", "newTag": "", "digest": ""}),
    ],
)
def test_images_parse_as_kustomize_edit_set_image(argument: str, image: dict[str, str]) -> None:
    assert parse_image(argument) == image


def test_an_image_without_tag_or_new_name_is_refused() -> None:
    with pytest.raises(EditError, match="invalid format of image"):
        parse_image("nginx")


def edited(data: dict[str, Any], overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return apply_overrides(data, overrides, {"ARGOCD_APP_NAME": "auth"}, tmp_path, tmp_path)


def test_kustomize_edit_writes_what_kustomize_would(tmp_path: Path) -> None:
    data = {
        "bases": ["../base"],
        "images": [{"name": "nginx", "newName": "docker.io/nginx", "newTag": "1"}],
        "replicas": [{"name": "web", "count": 1}],
        "labels": [{"pairs": {"a": "b"}, "includeSelectors": False}],
    }
    overrides = {
        "namePrefix": "dev-",
        "images": ["nginx=*:2", "redis:7"],
        "replicas": [{"name": "api", "count": "2"}],
        "commonLabels": {"tier": '"web"'},
        "labelWithoutSelector": True,
        "commonAnnotations": {"by": "$ARGOCD_APP_NAME"},
        "namespace": "staging",
        "patches": [{"path": "p.yaml", "target": {"kind": "Deployment", "name": ""}}],
    }
    assert edited(data, overrides, tmp_path) == {
        "images": [
            {"name": "nginx", "newName": "docker.io/nginx", "newTag": "2"},
            {"name": "redis", "newTag": "7"},
        ],
        "replicas": [{"name": "api", "count": 2}, {"name": "web", "count": 1}],
        "labels": [{"pairs": {"a": "b", "tier": "web"}, "includeSelectors": False}],
        "kind": "Kustomization",
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "resources": ["../base"],
        "namePrefix": "dev-",
        "commonAnnotations": {"by": "$ARGOCD_APP_NAME"},
        "namespace": "staging",
        "patches": [{"path": "p.yaml", "target": {"kind": "Deployment"}}],
    }


def test_kustomize_edit_refuses_like_kustomize(tmp_path: Path) -> None:
    with pytest.raises(EditError) as raised:
        edited({"commonAnnotations": {"by": "x"}}, {"commonAnnotations": {"by": "y"}}, tmp_path)
    assert str(raised.value) == (
        "`kustomize edit add annotation` failed: annotation by already in kustomization file. "
        "Use --force to override."
    )
    with pytest.raises(EditError) as raised:
        edited({"patches": None}, {"patches": [{"path": "p.yaml"}]}, tmp_path)
    assert str(raised.value) == (
        "expected 'patches' field in kustomization.yaml to be []any, but got <nil>"
    )


def test_globs() -> None:
    assert glob_match("{*.yml,*.yaml}", "a/b.yaml")
    assert glob_match("sub/*", "sub/x/y.yaml")
    assert not glob_match("https://github.com/org/*", "https://github.com/org/g/r", "/")
    assert glob_match("https://github.com/org/**", "https://github.com/org/g/r", "/")
    assert glob_match("[!a-c]x", "dx")
    assert not glob_match("[abc", "a")
    assert path_match("k8s/overlays/*", "k8s/overlays/auth")
    assert not path_match("k8s/*", "k8s/overlays/auth")


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://GitHub.com/Org/Repo.git", "https://github.com/org/repo"),
        ("git@github.com:Org/Repo.git", "git@github.com/org/repo"),
        ("ssh://git@github.com/org/repo", "git@github.com/org/repo"),
        ("https://github.com/org/repo.git/", "https://github.com/org/repo.git/"),
        # strings.TrimSpace before anything else.
        (" https://github.com/org/repo.git\n", "https://github.com/org/repo"),
        ("https://github.com/org/repo.git.git", "https://github.com/org/repo.git"),
        ("https://github.com:443/org/repo#main", "https://github.com:443/org/repo#main"),
    ],
)
def test_repository_urls_normalise_as_argo_cd_does(url: str, normalized: str) -> None:
    assert normalize_url(url) == normalized


def test_appproject_rules() -> None:
    rules = project_rules(
        {
            "metadata": {"name": "p"},
            "spec": {
                "sourceRepos": ["https://github.com/acme/*", "!https://github.com/acme/secret"],
                "destinations": [
                    {"server": "*", "namespace": "team-*"},
                    {"name": "!prod", "namespace": "*"},
                ],
                "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
                "namespaceResourceBlacklist": [{"group": "*", "kind": "*Quota"}],
            },
        }
    )
    assert source_permitted(rules, "https://github.com/Acme/app.git")
    assert not source_permitted(rules, "https://github.com/acme/secret")
    # A denial that does not match counts as a match, as in Argo CD.
    assert source_permitted(rules, "https://github.com/acme/group/app")
    only = project_rules({"spec": {"sourceRepos": ["https://github.com/acme/*"]}})
    assert not source_permitted(only, "https://github.com/acme/group/app")
    assert destination_permitted(rules, "https://dev", "dev", "team-a")
    assert not destination_permitted(rules, "https://prod", "prod", "team-a")
    assert kind_permitted(rules, "", "Namespace", "x", namespaced=False)
    assert not kind_permitted(rules, "rbac.authorization.k8s.io", "ClusterRole", "x", False)
    assert not kind_permitted(rules, "", "ResourceQuota", "q", namespaced=True)
    assert kind_permitted(rules, "", "ConfigMap", "c", namespaced=True)


def test_another_spelling_of_this_repository_is_this_repository() -> None:
    ours = ThisRepo(("https://github.com/acme/platform.git",), "git remotes")
    for spelling in (
        "git@github.com:acme/platform.git",
        "ssh://git@github.com:22/acme/platform",
        "https://www.github.com:443//acme/platform/#x",
        "HTTP://GitHub.com/acme/platform",
    ):
        assert ours.is_local(spelling), spelling
    for other in ("https://github.com/acme/tenants.git", "https://gitlab.com/acme/platform", ""):
        assert not ours.is_local(other), other


def test_same_url_as_argo_cd() -> None:
    assert same_url("https://github.com/org/repo.git", " https://github.com/Org/Repo ")
    assert not same_url("https://github.com/org/repo", "https://github.com/org/repo/")
    assert not same_url("", "")
    # A URL that does not parse is compared as written (NormalizeGitURLAllowInvalid).
    assert same_url("https://[x", "https://[x")


def test_this_repository_from_the_git_remotes(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:acme/platform.git"],
        check=True,
    )
    apps = [("git@github.com:acme/platform.git", "."), ("https://github.com/acme/other", "x")]
    repo = this_repo(tmp_path, (), apps)
    assert repo.describe() == "git@github.com:acme/platform.git (git remotes)"
    assert repo.is_local("ssh://git@github.com/Acme/Platform")
    assert repo.is_local("https://github.com/acme/platform.git")  # another spelling
    assert not repo.is_local("https://github.com/acme/other.git")
    assert this_repo(tmp_path, ("https://x/y",), []).describe() == (
        "https://x/y (--overlays-argocd-repo)"
    )


def test_a_remote_with_a_token_or_a_fork_never_gates_nothing_in_silence(tmp_path: Path) -> None:
    # GitLab CI clones with a token in the remote: it is neither compared nor shown.
    token = "https://gitlab-ci-token:CANARY-TOKEN@gitlab.example.com/acme/platform.git"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", token], check=True)
    apps = [("https://gitlab.example.com/acme/platform.git", ".")]
    repo = this_repo(tmp_path, (), apps)
    assert repo.describe() == "https://gitlab.example.com/acme/platform.git (git remotes)"
    assert repo.is_local("https://gitlab.example.com/acme/platform")
    # A fork's remote names no Application's repoURL: the paths that exist here decide
    # (the root, path ".", only as it holds a kustomization).
    assert this_repo(tmp_path, (), [("https://github.com/upstream/platform.git", ".")]).urls == (
        "https://gitlab.example.com/acme/platform.git",
    )
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    fork = this_repo(tmp_path, (), [("https://github.com/upstream/platform.git", ".")])
    assert fork.describe() == (
        "https://github.com/upstream/platform.git (the git remotes name no Application's "
        "repoURL; the repoURL of those whose paths exist here)"
    )


def test_helm_template_as_argo_cd_runs_it(tmp_path: Path) -> None:
    helm = {
        "releaseName": "web",
        "namespace": "team",
        "valueFiles": ["values-dev.yaml"],
        "parameters": [{"name": "image.tag", "value": "1.2", "forceString": True}],
        "skipCrds": False,
    }
    source = SourcePlan(
        "helm",
        tmp_path / "chart",
        tmp_path,
        canonical(helm),
        value_files=(tmp_path / "chart" / "values-dev.yaml",),
    )
    assert helm_argv(source, tmp_path / "v.yaml") == [
        "helm",
        "template",
        str(tmp_path / "chart"),
        "--name-template",
        "web",
        "--namespace",
        "team",
        "--values",
        str(tmp_path / "chart" / "values-dev.yaml"),
        "--values",
        str(tmp_path / "v.yaml"),
        "--set-string",
        "image.tag=1.2",
        "--include-crds",
    ]


def test_a_failing_helm_template_never_shows_the_values_the_application_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # helm quotes values in its errors ("... cannot unmarshal ... <value>"); any of them
    # may be a Secret's, so the message keeps helm's words and hides the values.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(
        '#!/bin/sh\nargs="$*"\nwhile [ "$1" != "--values" ]; do shift; done\n'
        'echo "Error: values don\'t meet the specifications: $(cat "$2") in: $args" >&2\n'
        "exit 1\n"
    )
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    chart = tmp_path / "chart"
    chart.mkdir()
    settings = {
        "releaseName": "web",
        "valuesObject": {"db": {"password": "hunter2-secret"}, "replicas": 2},
        "parameters": [{"name": "token", "value": "tok-123456"}],
    }
    source = SourcePlan("helm", chart, tmp_path, canonical(settings))
    with pytest.raises(RenderError) as failure:
        _build_helm(source, 10.0, None)
    message = str(failure.value)
    assert message.startswith("helm template failed: Error: values don't meet the specifications")
    assert "hunter2-secret" not in message
    assert "tok-123456" not in message
    assert "<hidden>" in message


def test_argo_cd_messages_about_yaml_that_does_not_parse_quote_none_of_it(
    tmp_path: Path,
) -> None:
    from pytest_k8s_overlays.parse.kustomize_edit import edited_kustomization
    from pytest_k8s_overlays.sources.argocd.source_plans import merge_source_files

    # A secretGenerator's literal in a kustomization Argo CD edits (namePrefix), and a
    # parameter in an .argocd-source file: neither file parses, and neither may be shown.
    overlay = tmp_path / "o"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        'secretGenerator:\n  - name: db\n    literals: ["password=CANARY-s3cr3t" oops]\n'
    )
    source = SourcePlan("kustomize", overlay, tmp_path, canonical({"namePrefix": "dev-"}))
    with pytest.raises(EditError) as failure:
        edited_kustomization(source)
    # libyaml's words, as Kustomize's own YAML library says them.
    assert str(failure.value) == (
        "invalid Kustomization: did not find expected ',' or ']' at line 3, column 41"
    )
    (overlay / ".argocd-source.yaml").write_text(
        "helm:\n  parameters:\n    - {name: token, value: CANARY-t0ken\n"
    )
    with pytest.raises(ValueError, match="error while parsing source parameters") as bad:
        merge_source_files({"path": "o"}, overlay, "app", tmp_path)
    assert "CANARY" not in str(bad.value)


@pytest.mark.parametrize(
    ("data", "overrides", "message"),
    [
        (
            {"commonLabels": ["oops"]},
            {"commonLabels": {"team": "api"}},
            "invalid Kustomization: json: cannot unmarshal array into Go struct field "
            "Kustomization.commonLabels of type map[string]string",
        ),
        (
            {"labels": {"team": "api"}},
            {"namePrefix": "dev-"},
            "invalid Kustomization: json: cannot unmarshal object into Go struct field "
            "Kustomization.labels of type []types.Label",
        ),
        (
            {"resources": 5, "bases": ["../base"]},
            {"images": ["nginx:1"]},
            "invalid Kustomization: json: cannot unmarshal number into Go struct field "
            "Kustomization.resources of type []string",
        ),
        (
            {"images": ["nginx:1"]},
            {"components": ["../c"]},
            "invalid Kustomization: json: cannot unmarshal string into Go struct field "
            "Kustomization.images of type types.Image",
        ),
        (
            {"labels": [{"pairs": "app=api"}]},
            {"commonLabels": {"team": "api"}, "labelWithoutSelector": True},
            "`kustomize edit add label` failed: invalid Kustomization: a field it edits "
            "(commonLabels) does not have the shape Kustomize expects",
        ),
    ],
)
def test_a_kustomization_of_the_wrong_shape_is_refused_in_kustomizes_words(
    data: dict[str, Any], overrides: dict[str, Any], message: str, tmp_path: Path
) -> None:
    # Before: a TypeError or AttributeError, reported as a crash of the plugin.
    with pytest.raises(EditError) as raised:
        edited(data, overrides, tmp_path)
    assert str(raised.value) == message


def test_helm_value_files_resolve_as_argo_cd_resolves_them(tmp_path: Path) -> None:
    from pytest_k8s_overlays.sources.argocd.helmfiles import Elsewhere, Refused, Where, value_file
    from pytest_k8s_overlays.sources.argocd.repo import ThisRepo

    chart = tmp_path / "charts" / "web"
    chart.mkdir(parents=True)
    repo = ThisRepo(("https://github.com/acme/platform.git",), "given")
    refs = {"$values": "https://github.com/acme/platform", "$other": "https://x.example/v.git"}
    where = Where(chart, tmp_path, repo, refs, {"ARGOCD_APP_NAME": "web"})
    real = tmp_path.resolve()
    assert value_file("values-$ARGOCD_APP_NAME.yaml", where) == real / "charts/web/values-web.yaml"
    # Absolute: from the repository's root; $ref: from the ref'd repository's root.
    assert value_file("/envs/prod.yaml", where) == real / "envs/prod.yaml"
    assert value_file("$values/envs/prod.yaml", where) == real / "envs/prod.yaml"
    assert value_file("https://example.com/v.yaml", where) is None
    with pytest.raises(Elsewhere, match=r"values from another repository \(https://x"):
        value_file("$other/v.yaml", where)
    for escaping in ("../../../v.yaml", "$values/../v.yaml", "/../v.yaml"):
        with pytest.raises(Refused, match="resolved to outside repository root"):
            value_file(escaping, where)
    with pytest.raises(Refused, match="path resolved to repository root"):
        value_file("$values/", where)
    with pytest.raises(Refused, match="the URL scheme 'file' is not allowed"):
        value_file("file:///etc/passwd", where)


@pytest.mark.parametrize(
    ("options", "kept", "refused"),
    [
        ("", [], []),
        ("--enable-helm", [], ["--enable-helm"]),
        ("--enable-helm --helm-command ./x.sh", [], ["--enable-helm", "--helm-command ./x.sh"]),
        ("--helm-command=./x.sh", [], ["--helm-command=./x.sh"]),
        ("--load-restrictor LoadRestrictionsNone", [], ["--load-restrictor LoadRestrictionsNone"]),
        ("--load-restrictor=LoadRestrictionsNone", [], ["--load-restrictor=LoadRestrictionsNone"]),
        (
            "--load-restrictor LoadRestrictionsRootOnly",
            ["--load-restrictor", "LoadRestrictionsRootOnly"],
            [],
        ),
        ("--enable-alpha-plugins --enable-exec", [], ["--enable-alpha-plugins", "--enable-exec"]),
        (
            "-e A=b --mount type=bind,src=/ --network",
            [],
            ["-e A=b", "--mount type=bind,src=/", "--network"],
        ),
        ("-o /tmp/x --output=y", [], ["-o /tmp/x", "--output=y"]),
        (
            "--helm-kube-version 1.30 --helm-api-versions=v1 --stack-trace "
            "--enable-managedby-label",
            [
                "--helm-kube-version",
                "1.30",
                "--helm-api-versions=v1",
                "--stack-trace",
                "--enable-managedby-label",
            ],
            [],
        ),
        ("--stack-trace=true --stack-trace=/x", ["--stack-trace=true"], ["--stack-trace=/x"]),
        ("stray --helm-kube-version", [], ["stray", "--helm-kube-version"]),
    ],
)
def test_build_options_from_a_repository_file_are_allowed_only_from_a_list(
    options: str, kept: list[str], refused: list[str]
) -> None:
    from pytest_k8s_overlays.sources.argocd.build_options import repository_build_options

    filtered = repository_build_options(options)
    assert (filtered.kept, filtered.refused) == (kept, refused)


def test_a_link_out_of_the_repository_is_found_through_links_inside_it(tmp_path: Path) -> None:
    from pytest_k8s_overlays.core.paths import OutsideRepository, first_link_outside, inside

    root, outside = tmp_path / "repo", tmp_path / "outside"
    (root / "chart").mkdir(parents=True)
    (root / "shared").mkdir()
    outside.mkdir()
    (outside / "secret.yaml").write_text("x: 1\n")
    os.symlink(root / "chart", root / "chart" / "loop")
    os.symlink("../shared", root / "chart" / "templates")
    assert first_link_outside(root / "chart", root) is None
    os.symlink(outside / "secret.yaml", root / "shared" / "leak.yaml")
    assert first_link_outside(root / "chart", root) == root / "chart/templates/leak.yaml"
    assert inside(root / "chart" / "templates", root) == (root / "shared").resolve()
    with pytest.raises(OutsideRepository, match=r"^shared/leak\.yaml resolves outside"):
        inside(root / "shared" / "leak.yaml", root)


def test_a_directory_source_fails_on_the_first_manifest_file_in_argo_cds_order(
    tmp_path: Path,
) -> None:
    good = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    # Unquoted templates, as in an ApplicationSet: not valid YAML, and like a manifest.
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{.name}}\n"
    write(tmp_path, "apps/a.yaml", good)
    write(tmp_path, "apps/b.yaml", bad)
    write(tmp_path, "apps/sub/c.yaml", bad)
    write(tmp_path, "apps/values.yaml", "image: {{.tag}}\n")  # not like a manifest: ignored
    apps = tmp_path / "apps"
    assert refusing_file(apps, tmp_path, {}) == apps / "b.yaml"
    assert refusing_file(apps, tmp_path, {"exclude": "b.yaml"}) is None  # sub/ not read
    assert refusing_file(apps, tmp_path, {"exclude": "b.yaml", "recurse": True}) == (
        apps / "sub" / "c.yaml"
    )
    assert refusing_file(apps, tmp_path, {"include": "a.yaml", "recurse": True}) is None
