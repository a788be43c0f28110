"""Discovery: leaves, components, file names, globs and groups (no rendering)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays.parse.kustomization import is_remote
from pytest_k8s_overlays.sources.kustomize.overlays import DiscoveryError, discover, discover_all

from .builders import write

BASE = "resources: [deployment.yaml]\n"


def tree(root: Path) -> None:
    write(root, "domains/auth/base/kustomization.yaml", BASE)
    write(root, "domains/auth/dev/kustomization.yaml", "resources: [../base]\n")
    write(root, "domains/auth/prod/kustomization.yml", "resources: [../base]\n")
    write(root, "domains/scan/base/kustomization.yaml", BASE)
    write(
        root, "domains/scan/dev/Kustomization", "resources: [../base]\ncomponents: [../../../c]\n"
    )
    write(
        root,
        "c/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    )


def names(value: str, base: Path) -> list[str]:
    return [spec.name for spec in discover(value, base).overlays]


def test_leaves_under_a_root_skip_bases(tmp_path: Path) -> None:
    tree(tmp_path)
    assert names("domains", tmp_path) == ["auth/dev", "auth/prod", "scan/dev"]


def test_components_are_never_overlays(tmp_path: Path) -> None:
    tree(tmp_path)
    assert names(".", tmp_path) == ["domains/auth/dev", "domains/auth/prod", "domains/scan/dev"]


def test_a_kustomization_directory_is_one_overlay_named_after_it(tmp_path: Path) -> None:
    tree(tmp_path)
    group = discover("domains/auth/prod", tmp_path)
    assert [(s.name, s.kustomization.name) for s in group.overlays] == [
        ("prod", "kustomization.yml")
    ]


def test_overlays_under_a_kustomization_directory_are_named_not_gated(
    pytester: pytest.Pytester,
) -> None:
    # microservices-demo's kustomize/: a kustomization with Components, and under it
    # tests/* overlays it does not build with. --overlays=kustomize gates the one
    # overlay, and the header names the others rather than leave them out in silence.
    root = pytester.path
    write(root, "kustomize/kustomization.yaml", "resources: [base]\ncomponents: [components/a]\n")
    write(root, "kustomize/base/kustomization.yaml", "resources: [cm.yaml]\n")
    write(root, "kustomize/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    write(
        root,
        "kustomize/components/a/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {tier: a}\n",
    )
    for name in ("memorystore", "spanner"):
        write(root, f"kustomize/tests/{name}/kustomization.yaml", "resources: [../..]\n")
    group = discover("kustomize", root)
    assert [spec.name for spec in group.overlays] == ["kustomize"]
    assert [path.relative_to(root).as_posix() for path in group.nested] == [
        "kustomize/tests/memorystore",
        "kustomize/tests/spanner",
    ]
    result = pytester.runpytest("--overlays=kustomize", "--overlays-checks=render")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays: kustomize is a kustomization, gated as one overlay; 2 overlays under "
            "it not gated (name each with --overlays): kustomize/tests/memorystore, "
            "kustomize/tests/spanner"
        ]
    )
    assert discover("kustomize/tests/spanner", root).nested == ()


def test_a_glob_names_overlays_by_the_wildcard(tmp_path: Path) -> None:
    tree(tmp_path)
    group = discover("domains/*/dev", tmp_path)
    assert [s.name for s in group.overlays] == ["auth", "scan"]
    assert group.name == "domains/*/dev"


def test_a_group_is_named_by_its_path_however_the_ci_script_spells_it(tmp_path: Path) -> None:
    # overlays.group("domains") must find it whether CI passes domains, ./domains/ or
    # domains/. (before: a group named "./domains/", and a KeyError for "domains").
    tree(tmp_path)
    for spelling in ("domains", "./domains/", "domains/", "domains/./"):
        group = discover(spelling, tmp_path)
        assert group.name == "domains"
        assert {spec.group for spec in group.overlays} == {"domains"}
    assert discover("./domains/*/dev/", tmp_path).name == "domains/*/dev"


def test_each_value_is_a_group(tmp_path: Path) -> None:
    tree(tmp_path)
    groups = discover_all([("domains/*/dev", tmp_path), ("domains/*/prod", tmp_path)])
    assert [(g.name, [s.name for s in g.overlays]) for g in groups] == [
        ("domains/*/dev", ["auth", "scan"]),
        ("domains/*/prod", ["auth"]),
    ]


def test_hidden_directories_are_not_walked(tmp_path: Path) -> None:
    tree(tmp_path)
    write(tmp_path, "domains/.git/x/kustomization.yaml", BASE)
    assert "x" not in " ".join(names("domains", tmp_path))


def test_a_broken_kustomization_is_still_an_overlay(tmp_path: Path) -> None:
    write(tmp_path, "o/a/kustomization.yaml", "resources: [\n")
    assert names("o", tmp_path) == ["a"]


@pytest.mark.parametrize(
    "broken",
    [
        # A quote left open in a pull request's image tag, the base listed above it.
        'resources:\n- ../../base  # the shared base\nimages:\n- name: app\n  newTag: "1.2\n',
        'resources: ["../../base"]\nimages: [{name: app, newTag: "1.2}]\n',
    ],
    ids=["block", "flow"],
)
def test_a_broken_kustomization_does_not_make_its_base_an_overlay(
    tmp_path: Path, broken: str
) -> None:
    # One cause, one failure: dev fails its render; its base stays a base (before, it
    # became an overlay with findings of its own, and "added" in pull-request mode).
    write(tmp_path, "k8s/base/kustomization.yaml", BASE)
    write(tmp_path, "k8s/overlays/dev/kustomization.yaml", broken)
    assert names("k8s", tmp_path) == ["overlays/dev"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "--overlays nope: no such directory"),
        ("empty", "--overlays empty: no overlay found under"),
        ("domains/*/staging", "--overlays domains/*/staging: the pattern matches no overlay"),
        ("c", "--overlays c: kustomization.yaml there is a kind: Component"),
    ],
)
def test_paths_naming_no_overlay_are_errors(tmp_path: Path, value: str, message: str) -> None:
    tree(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiscoveryError) as error:
        discover(value, tmp_path)
    assert str(error.value).startswith(message)


def test_an_empty_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match=r"^--overlays: an empty path"):
        discover("", tmp_path)


def test_the_same_place_twice_counts_once(tmp_path: Path) -> None:
    tree(tmp_path)
    groups = discover_all([("domains", tmp_path), ("./domains/", tmp_path)])
    assert [g.name for g in groups] == ["domains"]


def test_groups_that_share_an_overlay_are_an_error(tmp_path: Path) -> None:
    tree(tmp_path)
    with pytest.raises(DiscoveryError) as error:
        discover_all([("domains", tmp_path), ("domains/auth/dev", tmp_path)], "ini overlays =")
    assert str(error.value) == (
        "ini overlays = domains/auth/dev: overlay dev is already in group domains; "
        "each overlay belongs to one group (one Argo CD ApplicationSet)"
    )


def test_a_double_star_glob_finds_each_overlay_once(tmp_path: Path) -> None:
    tree(tmp_path)
    assert names("domains/**", tmp_path) == ["auth/dev", "auth/prod", "scan/dev"]


def test_a_symlinked_overlay_is_found(tmp_path: Path) -> None:
    tree(tmp_path)
    write(tmp_path, "elsewhere/qa/kustomization.yaml", "resources: [../../domains/auth/base]\n")
    (tmp_path / "domains/auth/qa").symlink_to(tmp_path / "elsewhere/qa")
    assert names("domains", tmp_path) == ["auth/dev", "auth/prod", "auth/qa", "scan/dev"]


COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"


@pytest.mark.parametrize(
    "consumer",
    [
        # Not deployed on its own: a Component, and kinds Kustomize refuses.
        COMPONENT + "resources: [../a]\n",
        COMPONENT + "components: [../a]\n",
        "kind: component\nresources: [../a]\n",
        "kind: Foo\nbases: [../a]\n",
        COMPONENT + "transformers: [../a]\n",
        "kind: Foo\ngenerators: [../a]\n",
        "kind: [Kustomization]\nresources: [../a]\n",
    ],
)
def test_only_a_consumer_deploying_an_overlay_takes_it_out_of_the_gate(
    tmp_path: Path, consumer: str
) -> None:
    write(tmp_path, "o/a/kustomization.yaml", "resources: [x.yaml]\n")
    write(tmp_path, "o/b/kustomization.yaml", "resources: [x.yaml]\n")
    write(tmp_path, "o/zz/kustomization.yaml", consumer)
    gated = names("o", tmp_path)
    assert "a" in gated
    assert names("o/*", tmp_path) == gated


def test_what_a_used_component_lists_is_built_with_its_user(tmp_path: Path) -> None:
    # auth/dev builds what its Component lists: that is no overlay of its own.
    tree(tmp_path)
    write(tmp_path, "domains/auth/c/kustomization.yaml", COMPONENT + "resources: [../prod]\n")
    write(tmp_path, "domains/auth/dev/kustomization.yaml", "components: [../c]\n")
    assert names("domains", tmp_path) == ["auth/dev", "scan/dev"]
    # As before: a Component outside the root (scan/dev uses c) is not followed.
    write(tmp_path, "domains/auth/dev/kustomization.yaml", "resources: [../base]\n")
    write(tmp_path, "c/kustomization.yaml", COMPONENT + "resources: [../domains/auth/prod]\n")
    assert names("domains", tmp_path) == ["auth/dev", "auth/prod", "scan/dev"]


def test_a_kustomization_used_as_a_transformer_is_not_an_overlay(tmp_path: Path) -> None:
    write(tmp_path, "o/a/kustomization.yaml", "resources: [x.yaml]\ntransformers: [../common]\n")
    write(tmp_path, "o/common/kustomization.yaml", "resources: [labels.yaml]\n")
    assert names("o", tmp_path) == ["a"]


@pytest.mark.parametrize("field", ["generators", "transformers", "validators"])
def test_an_overlay_listed_as_plugin_configuration_fails_its_user(
    pytester: pytest.Pytester, field: str
) -> None:
    # Not gated on its own, yet not silently: Kustomize refuses a Pod as a plugin.
    write(pytester.path, "k8s/overlays/a/kustomization.yaml", "resources: [pod.yaml]\n")
    write(pytester.path, "k8s/overlays/a/pod.yaml", LATEST)
    write(pytester.path, "k8s/overlays/b/kustomization.yaml", f"{field}: [../a]\n")
    result = pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["b: kustomize build failed: *unable to load external plugin 'Pod'"]
    )


def test_a_directory_of_components_only_says_so(tmp_path: Path) -> None:
    write(tmp_path, "o/zz/kustomization.yaml", COMPONENT)
    with pytest.raises(DiscoveryError) as error:
        discover("o", tmp_path)
    assert str(error.value) == (
        f"--overlays o: no overlay found under {tmp_path / 'o'} (its 1 kustomization(s) are "
        "all kind: Component, never built on their own; point at the overlays that use them)"
    )


LATEST = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n"
LATEST += "    - {name: c, image: ghcr.io/acme/api:latest}\n"


@pytest.mark.parametrize("with_b", [True, False])
def test_a_component_listing_an_overlay_leaves_it_gated(
    pytester: pytest.Pytester, with_b: bool
) -> None:
    # A pull request adding the Component zz used to take a out of the gate: 8 passed.
    write(pytester.path, "k8s/overlays/a/kustomization.yaml", "resources: [pod.yaml]\n")
    write(pytester.path, "k8s/overlays/a/pod.yaml", LATEST)
    if with_b:
        write(pytester.path, "k8s/overlays/b/kustomization.yaml", "resources: []\n")
    write(pytester.path, "k8s/overlays/zz/kustomization.yaml", COMPONENT + "resources: [../a]\n")
    result = pytester.runpytest("--overlays=k8s/overlays", "--overlays-checks=render,images")
    result.assert_outcomes(passed=3 if with_b else 1, failed=1)
    result.stdout.fnmatch_lines(["FAILED k8s/overlays/a/kustomization.yaml::images - a: [[]*] *"])


def test_an_entry_the_file_system_refuses_is_left_to_kustomize(tmp_path: Path) -> None:
    write(tmp_path, "o/a/kustomization.yaml", f"resources: [../{'x' * 300}/y]\n")
    assert names("o", tmp_path) == ["a"]


@pytest.mark.parametrize(
    ("entry", "remote"),
    [
        ("https://github.com/acme/platform//k8s/base?ref=v1", True),
        ("git@github.com:acme/platform.git//k8s/base", True),
        ("deploy@gitea.internal:org/repo.git?ref=main", True),
        ("github.com/acme/platform/k8s/base?ref=v1", True),
        ("../../base", False),
        ("service.yaml", False),
    ],
)
def test_remote_entries_are_recognised(entry: str, remote: bool) -> None:
    assert is_remote(entry) is remote


def test_brace_alternatives_expand_as_a_shell_would(tmp_path: Path) -> None:
    tree(tmp_path)
    group = discover("domains/{auth,scan}/dev", tmp_path)
    assert [s.name for s in group.overlays] == ["auth", "scan"]
    assert {s.group for s in group.overlays} == {group.name} == {"domains/{auth,scan}/dev"}
    assert names("domains/auth/{dev,prod}", tmp_path) == ["dev", "prod"]
    assert names("domains/{auth/dev,scan/dev}", tmp_path) == ["auth/dev", "scan/dev"]
    with pytest.raises(DiscoveryError) as error:
        discover("domains/{auth,sacn}/dev", tmp_path)
    assert str(error.value) == (
        f"--overlays domains/{{auth,sacn}}/dev: the alternative {tmp_path}/domains/sacn/dev "
        "matches no directory"
    )


def test_naming_kustomization_files_means_their_directories(tmp_path: Path) -> None:
    tree(tmp_path)
    assert names("domains/**/kustomization.yaml", tmp_path) == ["auth/dev", "auth/prod", "scan/dev"]
    assert names("domains/*/dev/kustomization.yaml", tmp_path) == ["auth", "scan"]
    assert names("domains/auth/dev/kustomization.yaml", tmp_path) == ["dev"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "domains/*/base/deployment.yaml",
            "--overlays domains/*/base/deployment.yaml: the pattern matches files, not overlay "
            "directories; name the directories (k8s/overlays/*) or their kustomization files "
            "(k8s/overlays/*/kustomization.yaml)",
        ),
        (
            "domains/auth/base/deployment.yaml",
            "--overlays domains/auth/base/deployment.yaml: a file, not an overlay directory; "
            "name the directory that holds the overlay's kustomization.yaml "
            "({root}/domains/auth/base)",
        ),
    ],
    ids=["pattern", "path"],
)
def test_naming_other_files_says_what_to_write(tmp_path: Path, value: str, message: str) -> None:
    tree(tmp_path)
    write(tmp_path, "domains/auth/base/deployment.yaml", "kind: Deployment\n")
    with pytest.raises(DiscoveryError) as error:
        discover(value, tmp_path)
    assert str(error.value) == message.format(root=tmp_path)


def test_a_kustomization_in_a_cycle_stays_an_overlay(tmp_path: Path) -> None:
    # Copy-paste slips Kustomize refuses to build ("cycle detected"): they must
    # fail their render item, not drop out of the gate and let the run pass.
    tree(tmp_path)
    write(tmp_path, "domains/auth/dev/kustomization.yaml", "resources: [../base, ../dev]\n")
    write(tmp_path, "domains/scan/dev/Kustomization", "resources: [../base, ../../auth/prod]\n")
    write(tmp_path, "domains/auth/prod/kustomization.yml", "resources: [../base, ../../scan/dev]\n")
    assert names("domains", tmp_path) == ["auth/dev", "auth/prod", "scan/dev"]
    assert names("domains/*/*", tmp_path) == ["auth/dev", "auth/prod", "scan/dev"]
    # A base that a cycle member uses is still no overlay.
    assert "auth/base" not in names("domains", tmp_path)


def test_a_cycle_fails_its_render_item_with_kustomizes_words(pytester: pytest.Pytester) -> None:
    write(pytester.path, "ov/a/kustomization.yaml", "resources: [cm.yaml, ../a]\n")
    write(pytester.path, "ov/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    result = pytester.runpytest("--overlays=ov", "--overlays-checks=render")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["a: cycle detected: candidate root 'ov/a' contains visited root 'ov/a'"]
    )
