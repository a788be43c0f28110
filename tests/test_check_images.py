"""images: image parsing and rules with plain dicts, then real renders through pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_k8s_overlays import Overlay
from pytest_k8s_overlays.checks.environments import environments_named
from pytest_k8s_overlays.checks.images import (
    ImageEntry,
    ImageRef,
    parse_image,
    reference_error,
    registry_allowed,
)

from .builders import container, finding_lines, make_overlay, write
from .builders import deployment as workload

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ImageRef("nginx")),
        ("nginx:1.25", ImageRef("nginx", "1.25")),
        ("ghcr.io/acme/app:1.2", ImageRef("ghcr.io/acme/app", "1.2")),
        ("localhost:5000/app", ImageRef("localhost:5000/app")),
        ("localhost:5000/app:1.0", ImageRef("localhost:5000/app", "1.0")),
        (f"app@{DIGEST}", ImageRef("app", None, DIGEST)),
        (f"app:1.2@{DIGEST}", ImageRef("app", "1.2", DIGEST)),
        # What Kustomize writes for `newTag: sha256:...`: a tag, oddly spelled.
        (f"org/app:{DIGEST}", ImageRef("org/app", DIGEST)),
        ("app:", ImageRef("app")),
    ],
)
def test_parse_image(image: str, expected: ImageRef) -> None:
    assert parse_image(image) == expected


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("app", False),
        ("app:latest", False),
        ("localhost:5000/app", False),
        ("app:1.2", True),
        (f"app@{DIGEST}", True),
        (f"app:latest@{DIGEST}", True),
    ],
)
def test_pinned(image: str, pinned: bool) -> None:
    assert parse_image(image).pinned is pinned


@pytest.mark.parametrize(
    ("image", "allowed", "ok"),
    [
        ("nginx:1.25", ["docker.io"], True),
        ("nginx:1.25", ["ghcr.io"], False),
        ("ghcr.io/acme/app:1", ["ghcr.io/acme"], True),
        ("ghcr.io/acme/app:1", ["ghcr.io/acme/"], True),
        ("ghcr.io/other/app:1", ["ghcr.io/acme"], False),
        ("ghcr.io.evil.example/app:1", ["ghcr.io"], False),
        ("123.dkr.ecr.eu-west-1.amazonaws.com/app:1", ["*.dkr.ecr.*.amazonaws.com"], True),
        ("localhost:5000/app:1", ["localhost:5000"], True),
    ],
)
def test_registry_allowed(image: str, allowed: list[str], ok: bool) -> None:
    assert registry_allowed(parse_image(image), allowed) is ok


@pytest.mark.parametrize(
    ("entry", "image", "produced"),
    [
        ({"name": "p", "newName": "ghcr.io/acme/app", "newTag": "1"}, "ghcr.io/acme/app:1", True),
        ({"name": "p", "newName": "ghcr.io/acme/app", "newTag": "1"}, "p:1", False),
        ({"name": "p", "newName": "ghcr.io/acme/app", "newTag": "1"}, "ghcr.io/acme/app:2", False),
        ({"name": "p", "newName": "ghcr.io/acme/app"}, "ghcr.io/acme/app:7", True),
        ({"name": "p", "digest": DIGEST}, f"p@{DIGEST}", True),
        ({"name": "p", "newTag": "2", "digest": DIGEST}, f"p:2@{DIGEST}", True),
        ({"name": "p", "newTag": f"2@{DIGEST}"}, f"p:2@{DIGEST}", True),
        ({"name": "p", "tagSuffix": "-fips"}, "p:1.0-fips", True),
        ({"name": "p", "tagSuffix": "-fips"}, "p:1.0", False),
        # A name with a tag or digest matches that image only; its name part is kept.
        ({"name": "docker.io/acme/app:svc", "newTag": "p-1"}, "docker.io/acme/app:p-1", True),
        ({"name": "app:svc", "newName": "ghcr.io/app"}, "ghcr.io/app:svc", True),
        ({"name": "app:svc", "newName": "ghcr.io/app"}, "ghcr.io/app:7", False),
        ({"name": f"app@{DIGEST}", "newTag": "2"}, "app:2", True),
        ({"name": "localhost:5000/app:1", "newTag": "2"}, "localhost:5000/app:2", True),
        # The name is a pattern to Kustomize: `.` matches any character.
        ({"name": "docker.io/app", "newTag": "2"}, "docker-io/app:2", True),
        ({"name": "docker.io/app", "newTag": "2"}, "docker.io/app-x:2", False),
    ],
)
def test_an_images_entry_recognises_what_it_wrote(
    entry: dict[str, str], image: str, produced: bool
) -> None:
    parsed = ImageEntry.from_raw(entry)
    assert parsed is not None
    assert parsed.produced(parse_image(image)) is produced


def test_a_container_without_an_image() -> None:
    auth = make_overlay(
        "auth",
        workload("api", {"name": "migrate"}, {"name": "wait", "image": ""}),
        kustomization=Path("missing.yaml"),
    )
    assert finding_lines("images", auth, prefix=False) == [
        "Deployment/auth/api spec.template.spec.containers[0].image: container migrate has no "
        "image; expected an image reference [missing-image]",
        "Deployment/auth/api spec.template.spec.containers[1].image: container wait has no "
        "image; expected an image reference [missing-image]",
    ]


def test_an_image_an_openshift_trigger_sets_is_not_judged() -> None:
    # The ImageChange trigger sets jenkins' image at deploy time; the sidecar it
    # does not name still needs one, as does the annotated Deployment's worker.
    config = workload("jenkins", {"name": "jenkins", "image": " "}, {"name": "sidecar"})
    config["apiVersion"], config["kind"] = "apps.openshift.io/v1", "DeploymentConfig"
    config["spec"]["triggers"] = [
        {"type": "ImageChange", "imageChangeParams": {"containerNames": ["jenkins"]}},
        {"type": "ConfigChange"},
    ]
    triggers = '[{"from":{"kind":"ImageStreamTag","name":"web:1"},"fieldPath":'
    triggers += '"spec.template.spec.containers[?(@.name==\\"web\\")].image"}]'
    annotated = workload("web", {"name": "web", "image": " "}, {"name": "worker", "image": " "})
    annotated["metadata"]["annotations"] = {"image.openshift.io/triggers": triggers}
    auth = make_overlay("auth", config, annotated, kustomization=Path("missing.yaml"))
    assert finding_lines("images", auth, prefix=False) == [
        "Deployment/auth/web spec.template.spec.containers[1].image: container worker has no "
        "image; expected an image reference [missing-image]",
        "DeploymentConfig/auth/jenkins spec.template.spec.containers[1].image: container sidecar "
        "has no image; expected an image reference [missing-image]",
    ]


def test_an_image_that_is_no_string_is_no_image() -> None:
    # YAML typos: the reference nested one level too deep, or a bare number.
    nested = {"name": "api", "image": {"name": "ghcr.io/acme/api", "tag": "1.0"}}
    auth = make_overlay(
        "auth",
        workload("api", nested, {"name": "worker", "image": 1.5}, {"image": ["a:1"]}),
        kustomization=Path("missing.yaml"),
    )
    assert finding_lines("images", auth, prefix=False) == [
        "Deployment/auth/api spec.template.spec.containers[0].image: container api has an image "
        "that is a map, not a string; expected an image reference [missing-image]",
        "Deployment/auth/api spec.template.spec.containers[1].image: container worker has an "
        "image that is a number, not a string; expected an image reference [missing-image]",
        "Deployment/auth/api spec.template.spec.containers[2].image: container containers[2] "
        "has an image that is a list, not a string; expected an image reference [missing-image]",
    ]


def test_init_and_ephemeral_containers_are_checked_too() -> None:
    auth = make_overlay(
        "auth",
        workload("api", {"name": "init", "image": "busybox"}, field="initContainers"),
        workload("api", {"name": "debug", "image": "busybox:latest"}, field="ephemeralContainers"),
        kustomization=Path("missing.yaml"),
    )
    assert finding_lines("images", auth, prefix=False) == [
        "Deployment/auth/api spec.template.spec.ephemeralContainers[0].image: busybox:latest is "
        "tagged latest; expected a version tag or a digest [unpinned]",
        "Deployment/auth/api spec.template.spec.initContainers[0].image: busybox has no tag, so "
        "it pulls latest; expected a version tag or a digest [unpinned]",
    ]


def test_allow_latest_and_digests_pass_unpinned() -> None:
    auth = make_overlay(
        "auth",
        workload("api", {"name": "a", "image": "app"}, {"name": "b", "image": "app:latest"}),
        kustomization=Path("missing.yaml"),
    )
    assert finding_lines("images", auth, prefix=False, allow_latest=True) == []
    assert (
        finding_lines(
            "images",
            make_overlay(
                "auth",
                workload("api", {"name": "a", "image": f"app@{DIGEST}"}),
                kustomization=Path("missing.yaml"),
            ),
            prefix=False,
        )
        == []
    )


def test_placeholder_patterns_match_the_image_or_its_name() -> None:
    auth = make_overlay(
        "auth",
        workload("api", {"name": "a", "image": "registry.acme.io/changeme:1.0"}),
        kustomization=Path("missing.yaml"),
    )
    assert finding_lines("images", auth, prefix=False) == []
    assert finding_lines(
        "images", auth, prefix=False, placeholder_images=("registry.acme.io/changeme",)
    ) == [
        "Deployment/auth/api spec.template.spec.containers[0].image: registry.acme.io/changeme:1.0 "
        "is a placeholder image; expected the service's own image from an images: entry "
        "[placeholder]"
    ]


def test_an_unreadable_kustomization_skips_the_images_entry_rule(tmp_path: Path) -> None:
    kfile = tmp_path / "kustomization.yaml"
    kfile.write_text("images: [unclosed\n")
    auth = make_overlay(
        "auth", workload("api", {"name": "a", "image": "app:1"}), kustomization=kfile
    )
    assert finding_lines("images", auth, prefix=False) == []


def test_an_images_entry_that_rewrites_a_crd_container_is_used(tmp_path: Path) -> None:
    # An Argo Rollout is no workload the model knows, but Kustomize rewrites its image.
    kfile = tmp_path / "kustomization.yaml"
    kfile.write_text("images:\n  - name: app\n    newName: ghcr.io/acme/app\n    newTag: 1.10\n")
    rollout = workload("api", {"name": "a", "image": "ghcr.io/acme/app:1.10"})
    rollout["apiVersion"], rollout["kind"] = "argoproj.io/v1alpha1", "Rollout"
    assert (
        finding_lines("images", make_overlay("auth", rollout, kustomization=kfile), prefix=False)
        == []
    )


def delete_images_block(root: Path, name: str) -> None:
    """A realistic mistake: the overlay never got its images: entry."""
    kfile = root / f"k8s/overlays/{name}/kustomization.yaml"
    text = kfile.read_text()
    start = text.index("images:\n")
    end = text.index("\n", text.index("newTag:", start)) + 1
    kfile.write_text(text[:start] + text[end:])


def test_an_overlay_without_its_images_entry_runs_the_placeholder(
    pytester: pytest.Pytester, example: Path
) -> None:
    delete_images_block(example, "auth")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "auth: 2 findings [[]placeholder, unpinned]",
            "  Deployment/auth/auth-api spec.template.spec.containers[[]0].image: "
            "ghcr.io/acme/placeholder:latest is a placeholder image; expected the service's own "
            "image from an images: entry [[]placeholder] (from k8s/base/deployment.yaml)",
            "  Deployment/auth/auth-api spec.template.spec.containers[[]0].image: "
            "ghcr.io/acme/placeholder:latest is tagged latest; expected a version tag or a digest "
            "[[]unpinned] (from k8s/base/deployment.yaml)",
            "hint [[]placeholder]: add an images: entry to the overlay's kustomization.yaml: *",
            "hint [[]unpinned]: set newTag: (a version) or digest: in the overlay's images: *",
            "FAILED k8s/overlays/auth/kustomization.yaml::images - auth: 2 findings*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_allow_latest_leaves_only_the_placeholder(pytester: pytest.Pytester, example: Path) -> None:
    delete_images_block(example, "auth")
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=images", "--overlays-allow-latest"
    )
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["auth: [[]placeholder] *", "*[[]placeholder]*"])
    result.stdout.no_fnmatch_line("*[[]unpinned]*")


def test_an_images_entry_naming_the_image_differently_is_a_no_op(
    pytester: pytest.Pytester, example: Path
) -> None:
    # Kustomize matches `name:` literally: the base writes ghcr.io/acme/placeholder.
    kfile = example / "k8s/overlays/my/kustomization.yaml"
    kfile.write_text(
        kfile.read_text().replace(
            "  - name: ghcr.io/acme/placeholder\n", "  - name: docker.io/acme/placeholder\n"
        )
    )
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "my: 3 findings [[]*]",
            "  Deployment/my/my-api spec.template.spec.containers[[]0].image: *[[]placeholder]*",
            "  Deployment/my/my-api spec.template.spec.containers[[]0].image: *[[]unpinned]*",
            "  k8s/overlays/my/kustomization.yaml images[[]0]: docker.io/acme/placeholder -> "
            "ghcr.io/acme/my-api:1.2.0 changed no container image; expected name: written as "
            "the manifests write it, one of: ghcr.io/acme/placeholder [[]unused-images-entry]",
            "hint [[]unused-images-entry]: make name: equal the image exactly as the manifests "
            "write it, registry included: Kustomize matches names literally, so "
            "docker.io/org/app does not match org/app; or delete the entry",
        ]
    )


SIDECAR_PATCH = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          command: ["/app/migrate"]
      containers:
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.31.0
"""


def test_a_container_without_image_and_one_from_a_foreign_registry(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The patch adds a migrate init container but forgets its image, and a
    # sidecar pulled from Docker Hub where only the company registry is allowed.
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "  - path: sidecar.yaml\n")
    write(example, "k8s/overlays/chat/sidecar.yaml", SIDECAR_PATCH)
    pytester.makeini("[pytest]\noverlays_allowed_registries = ghcr.io/acme\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: 2 findings [[]*]",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].image: "
            "docker.io/envoyproxy/envoy:v1.31.0 comes from docker.io; expected an image from an "
            "allowed registry: ghcr.io/acme [[]registry] (from k8s/overlays/chat/sidecar.yaml, "
            "patching k8s/base/deployment.yaml)",
            "  Deployment/chat/chat-api spec.template.spec.initContainers[[]0].image: container "
            "migrate has no image; expected an image reference [[]missing-image] "
            "(from k8s/overlays/chat/sidecar.yaml, patching k8s/base/deployment.yaml)",
            "hint [[]missing-image]: give the container an image: in its manifest or patch *",
            "hint [[]registry]: point newName: of the overlay's images: entry at an allowed *",
        ]
    )


def test_the_skip_annotation_on_a_pod_template_suppresses_images(
    pytester: pytest.Pytester, example: Path
) -> None:
    delete_images_block(example, "auth")
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    patches = "  - path: replicas.yaml\n"
    kfile.write_text(kfile.read_text().replace(patches, patches + "  - path: skip-images.yaml\n"))
    write(
        example,
        "k8s/overlays/auth/skip-images.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          template:
            metadata:
              annotations:
                pytest-k8s-overlays/skip: images
        """,
    )
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "2 findings suppressed by the pytest-k8s-overlays/skip annotation:",
            "  auth [[]images] Deployment/auth/auth-api *[[]placeholder]*",
            "  auth [[]images] Deployment/auth/auth-api *[[]unpinned]*",
        ]
    )


# environment-leak and image-convention


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("envs/prod-eu", {"prod"}),
        ("deploy/overlays/production", {"prod"}),
        ("workloads/domains/*/dev", {"dev"}),
        ("character-api-dev-latest", {"dev"}),
        ("1.4.2-staging.3", {"staging"}),
        ("kustomize", set()),
        ("product-2.0", set()),  # a word, not an environment
        ("dev-to-prod", {"dev", "prod"}),
    ],
)
def test_environment_words(text: str, named: set[str]) -> None:
    assert environments_named(text) == named


def test_a_tag_naming_another_groups_environment_leaks() -> None:
    def prod(image: str) -> Overlay:
        api = workload("character-api", {"name": "api", "image": image})
        return make_overlay(
            "character", api, group="workloads/*/prod", kustomization=Path("missing.yaml")
        )

    groups = ("workloads/*/dev", "workloads/*/prod")
    assert finding_lines("images", prod("acme/app:api-dev-latest"), groups=groups) == [
        "character: Deployment/auth/character-api spec.template.spec.containers[0].image: the "
        "tag api-dev-latest names environment dev, and this is group workloads/*/prod (prod); "
        "expected the prod image: an images: entry in the overlay setting newTag for prod "
        "[environment-leak]"
    ]
    for fine in ("acme/app:api-prod-1", "acme/app:dev-to-prod-1", "acme/app:1.2.3"):
        assert finding_lines("images", prod(fine), groups=groups) == []
    # One group alone, or groups of no known environment: nothing to compare with.
    assert finding_lines("images", prod("acme/app:api-dev-latest")) == []
    assert finding_lines("images", prod("acme/app:api-dev-1"), groups=("a", "b")) == []


def test_every_image_must_follow_the_convention() -> None:
    convention = ("docker.io/acme/app:{workload}-{last}-*", "docker.io/istio/*")
    worker = workload(
        "character-worker",
        {"name": "worker", "image": "docker.io/acme/app:character-api-dev-latest"},
        {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.0"},
    )
    api = workload(
        "character-api", {"name": "api", "image": "docker.io/acme/app:character-api-dev-7"}
    )
    dev = make_overlay("character/dev", worker, api, kustomization=Path("missing.yaml"))
    assert finding_lines("images", dev, image_convention=convention, allow_latest=True) == [
        "character/dev: Deployment/auth/character-worker spec.template.spec.containers[0].image: "
        "docker.io/acme/app:character-api-dev-latest does not follow the image convention; "
        "expected an image matching docker.io/acme/app:character-worker-dev-* (from "
        "docker.io/acme/app:{workload}-{last}-*) or docker.io/istio/* [image-convention]"
    ]


def environments_tree(root: Path) -> None:
    """A base built for dev, overlays per environment: prod/character forgot its images: entry."""
    write(root, "base/kustomization.yaml", "resources: [deployment.yaml]\n")
    write(
        root,
        "base/deployment.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers:
                - name: api
                  image: ghcr.io/acme/app:api-dev-41
        """,
    )
    prod_tag = "images:\n  - name: ghcr.io/acme/app\n    newTag: api-prod-41\n"
    for env, service, images in (
        ("dev", "character", ""),
        ("prod", "character", ""),
        ("prod", "info", prod_tag),
    ):
        write(
            root,
            f"{env}/{service}/kustomization.yaml",
            f"namespace: {service}\nnamePrefix: {service}-\nresources: [../../base]\n{images}",
        )


def test_a_prod_overlay_still_on_the_dev_tag_fails(pytester: pytest.Pytester) -> None:
    environments_tree(pytester.path)
    result = pytester.runpytest("--overlays=dev", "--overlays=prod", "--overlays-checks=images")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "character: [[]environment-leak] *",
            "  Deployment/character/character-api spec.template.spec.containers[[]0].image: the "
            "tag api-dev-41 names environment dev, and this is group prod (prod); expected the "
            "prod image: an images: entry in the overlay setting newTag for prod "
            "[[]environment-leak] (from base/deployment.yaml)",
            "hint [[]environment-leak]: give the overlay an images: entry *",
        ]
    )
    # The dev group alone has nothing to leak from.
    pytester.runpytest("--overlays=dev", "--overlays-checks=images").assert_outcomes(passed=1)


def test_an_image_off_the_convention_fails_when_one_is_set(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The mistake: chat's images: entry was copied from info and kept info's image.
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("ghcr.io/acme/chat-api", "ghcr.io/acme/info-api"))
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=7)
    pytester.makeini("[pytest]\noverlays_image_convention = ghcr.io/acme/{first}-api:*\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: [[]image-convention] *",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].image: "
            "ghcr.io/acme/info-api:* does not follow the image convention; expected an image "
            "matching ghcr.io/acme/chat-api:* (from ghcr.io/acme/{first}-api:*) "
            "[[]image-convention] (from k8s/base/deployment.yaml)",
        ]
    )


# -- references a container runtime cannot parse ------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.25",
        "localhost:5000/a/b:tag",
        f"a@{DIGEST}",
        f"registry.k8s.io/x:v1@{DIGEST}",
        "docker.io/library/nginx:1.25-alpine",
        "quay.io/org/a__b/c-d.e:V1_2",
        "[::1]:5000/a:b",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:2024.05.01-abc",
        "Registry/app:1",  # an upper-case first part is a registry host
        "a" * 64 + ":v1",
        # Substitution variables filled in after the render (Flux postBuild, envsubst).
        "ghcr.io/acme/app:${TAG}",
        "${IMAGE}",
        "ghcr.io/acme/app:${TAG:=1.0}",
    ],
)
def test_a_reference_runtimes_parse_is_valid(image: str) -> None:
    assert reference_error(image) is None


@pytest.mark.parametrize(
    ("image", "error"),
    [
        ("ghcr.io/acme/api: latest", "is no valid image reference"),
        ("Nginx", "is no valid image reference"),
        ("ghcr.io/acme/API:1", "is no valid image reference"),
        ("nginx:", "is no valid image reference"),
        ("a:b:c", "is no valid image reference"),
        ("a//b", "is no valid image reference"),
        ("nginx@sha256:abc", "is no valid image reference"),
        ("nginx:" + "x" * 129, "is no valid image reference"),
        ("nginx:1.25\u00e9", "is no valid image reference"),
        ("nginx:latest\ud800", "is no valid image reference"),
        (" nginx:1.25", "has white space before or after it"),
        ("nginx:1.25\n", "has white space before or after it"),
        ("a" * 256, "has a name longer than 255 characters"),
        ("x" * 513, "is longer than 512 characters"),
        ("a" * 64, "is 64 hexadecimal digits, which reads as an image id, not a name"),
    ],
)
def test_a_reference_runtimes_cannot_parse_says_why(image: str, error: str) -> None:
    assert reference_error(image) == error


def test_an_invalid_image_is_a_finding_and_not_judged_further() -> None:
    overlay = make_overlay(
        "auth",
        workload("api", container("api", image="ghcr.io/acme/api: latest")),
        workload("web", container("web", image="ghcr.io/acme/web:1.0 ")),
        workload("ok", container("ok", image="ghcr.io/acme/ok:1.0")),
    )
    assert finding_lines("images", overlay, prefix=False) == [
        "Deployment/auth/api spec.template.spec.containers[0].image: 'ghcr.io/acme/api: latest' is "
        "no valid image reference; expected [registry[:port]/]lower-case/path[:tag][@digest] "
        "[invalid-image]",
        "Deployment/auth/web spec.template.spec.containers[0].image: 'ghcr.io/acme/web:1.0 ' has "
        "white space before or after it; expected [registry[:port]/]lower-case/path[:tag]"
        "[@digest] [invalid-image]",
    ]


def test_a_tag_with_a_space_fails_instead_of_counting_as_pinned(
    pytester: pytest.Pytester, example: Path
) -> None:
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace('newTag: "1.1.0"', 'newTag: " latest"'))
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "auth: [[]invalid-image] *",
            "  Deployment/auth/auth-api spec.template.spec.containers[[]0].image: "
            "'ghcr.io/acme/auth-api: latest' is no valid image reference; expected "
            "[[]registry[[]:port]/]lower-case/path[[]:tag][[]@digest] [[]invalid-image] "
            "(from k8s/base/deployment.yaml)",
            "hint [[]invalid-image]: write the image as container runtimes parse it: *",
        ]
    )


TAGGED_BASE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: docker.io/acme/app:svc
        - name: cache
          image: localhost:5000/acme/cache:7
        - name: proxy
          image: ghcr.io/acme/proxy@sha256:%s
"""


def tagged_tree(root: Path, images: str) -> None:
    """A base whose images carry a tag, a registry port and a digest; prod retags them."""
    write(root, "base/kustomization.yaml", "resources: [deployment.yaml]\n")
    write(root, "base/deployment.yaml", TAGGED_BASE % ("a" * 64))
    write(root, "prod/kustomization.yaml", f"resources: [../base]\nimages:\n{images}")


def test_an_images_entry_whose_name_carries_a_tag_is_used(pytester: pytest.Pytester) -> None:
    # Kustomize matches `name: app:svc` against `app:svc` and keeps the name
    # before the tag: the image becomes docker.io/acme/app:svc-prod-1.
    tagged_tree(
        pytester.path,
        "  - name: docker.io/acme/app:svc\n    newTag: svc-prod-1\n"
        "  - name: localhost:5000/acme/cache:7\n    newName: ghcr.io/acme/cache\n"
        f"  - name: ghcr.io/acme/proxy@sha256:{'a' * 64}\n    newTag: v2\n",
    )
    result = pytester.runpytest("--overlays=prod", "--overlays-checks=images")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*unused-images-entry*")


def test_an_images_entry_whose_tag_differs_from_the_manifests_is_unused(
    pytester: pytest.Pytester,
) -> None:
    tagged_tree(
        pytester.path,
        "  - name: docker.io/acme/app:other\n    newTag: svc-prod-1\n"
        "  - name: localhost:5000/acme/cache:8\n    newName: ghcr.io/acme/cache\n",
    )
    result = pytester.runpytest("--overlays=prod", "--overlays-checks=images")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "prod: 2 findings [[]*]",
            "  prod/kustomization.yaml images[[]0]: docker.io/acme/app:other -> "
            "docker.io/acme/app:svc-prod-1 changed no container image; expected name: written "
            "as the manifests write it, one of: docker.io/acme/app, ghcr.io/acme/proxy, "
            "localhost:5000/acme/cache [[]unused-images-entry]",
            "  prod/kustomization.yaml images[[]1]: localhost:5000/acme/cache:8 -> "
            "ghcr.io/acme/cache:8 changed no container image; *",
        ]
    )
