"""Findings name the patch that set a field: unit cases, then real renders through pytester."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import yaml

from pytest_k8s_overlays.core.findings import Finding
from pytest_k8s_overlays.core.provenance import Patch, Provenance, field_path
from pytest_k8s_overlays.core.resources import Resource
from pytest_k8s_overlays.parse.patches import kustomization_patches, patched_in, patches_for

from .builders import malformed, write

TRANSFORMATIONS = """
- configuredIn: ../prod/kustomization.yaml
  configuredBy:
    apiVersion: builtin
    kind: PatchTransformer
- configuredIn: ../prod/kustomization.yaml
  configuredBy:
    apiVersion: builtin
    kind: NamespaceTransformer
- configuredIn: ../base/kustomization.yaml
  configuredBy:
    apiVersion: builtin
    kind: PatchStrategicMergeTransformer
"""


def test_the_transformations_annotation_names_the_kustomizations_that_patched() -> None:
    assert patched_in(TRANSFORMATIONS) == [
        "../prod/kustomization.yaml",
        "../base/kustomization.yaml",
    ]
    assert patched_in("") == []


PROD = """
resources: [../base]
patches:
  - path: patch-ingress.yaml
  - target: {kind: Ingress, name: web}
    patch: |-
      - op: add
        path: /spec/ingressClassName
        value: nginx
  - path: replicas.json
    target: {kind: Deployment}
patchesStrategicMerge:
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
    spec:
      template:
        spec:
          containers:
            - name: api
              image: ghcr.io/acme/api:2.0
"""


@pytest.fixture
def prod(tmp_path: Path) -> Path:
    write(tmp_path, "prod/kustomization.yaml", PROD)
    write(
        tmp_path,
        "prod/patch-ingress.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
        "  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /\n",
    )
    write(
        tmp_path, "prod/replicas.json", '[{"op": "replace", "path": "/spec/replicas", "value": 3}]'
    )
    return tmp_path / "prod/kustomization.yaml"


def test_every_kind_of_patch_is_read_with_what_it_targets_and_sets(prod: Path) -> None:
    root = prod.parent.parent
    assert kustomization_patches(prod, root) == (
        Patch(
            "prod/patch-ingress.yaml",
            "Ingress",
            "web",
            (("metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target"),),
        ),
        Patch(
            "prod/kustomization.yaml",
            "Ingress",
            "web",
            (("spec", "ingressClassName"),),
            "patches[1]",
        ),
        Patch("prod/replicas.json", "Deployment", None, (("spec", "replicas"),)),
        Patch(
            "prod/kustomization.yaml",
            "Deployment",
            "api",
            (("spec", "template", "spec", "containers", "name=api", "image"),),
            "patchesStrategicMerge[0]",
        ),
    )
    # A prefixed name still matches; another kind does not.
    assert [p.source for p in patches_for("Ingress", "prod-web", [str(prod)], root)] == [
        "prod/patch-ingress.yaml",
        "prod/kustomization.yaml patches[1]",
    ]
    assert patches_for("Service", "web", [str(prod)], root) == ()


def test_an_unreadable_kustomization_or_patch_names_nothing(tmp_path: Path) -> None:
    write(tmp_path, "a/kustomization.yaml", "patches: [{path: gone.yaml}]\n")
    write(tmp_path, "b/kustomization.yaml", "patches: [unclosed\n")
    for name in ("a", "b", "c"):
        assert kustomization_patches(tmp_path / name / "kustomization.yaml", tmp_path) == ()


def test_a_finding_names_the_patch_only_for_the_fields_it_set(prod: Path) -> None:
    root = prod.parent.parent
    raw = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "prod-api"},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "api", "image": "ghcr.io/acme/api:2.0"},
                        {"name": "proxy", "image": "envoy"},
                    ]
                }
            },
        },
    }
    api = Resource(
        raw, "base/deployment.yaml", patches_for("Deployment", "prod-api", [str(prod)], root)
    )
    base = "base/deployment.yaml"
    replicas = api.source_of("spec.replicas")
    assert replicas == Provenance(base, "prod/replicas.json")
    assert str(replicas) == "prod/replicas.json, patching base/deployment.yaml"
    image = api.source_of("spec.template.spec.containers[0].image")
    assert image == Provenance(base, "prod/kustomization.yaml", "patchesStrategicMerge[0]")
    assert str(image) == (
        "prod/kustomization.yaml patchesStrategicMerge[0], patching base/deployment.yaml"
    )
    for path in ("spec.template.spec.containers[1].image", "metadata.labels", ""):
        assert api.source_of(path) == Provenance(base)
        assert str(api.source_of(path)) == base


#: A Component adding a sidecar with a JSON patch (bank-of-anthos's cloud-sql-proxy).
SIDECAR = """\
- op: add
  path: /spec/template/spec/containers/-
  value:
    name: cloud-sql-proxy
    image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0
- op: add
  path: /spec/template/spec/containers/0/env/-
  value: {name: PROXY, value: "127.0.0.1"}
"""


def test_a_json_patch_adding_a_container_sets_that_container_only(tmp_path: Path) -> None:
    # Before, the untagged image of the app's own container was credited to the sidecar
    # patch (line 1), and the same finding of five apps was shown as one.
    write(tmp_path, "sql/kustomization.yaml", "patches:\n  - path: add-container.yaml\n")
    write(tmp_path, "sql/add-container.yaml", SIDECAR)
    kfile = tmp_path / "sql/kustomization.yaml"
    (patch,) = kustomization_patches(kfile, tmp_path)
    assert patch.paths == (
        ("spec", "template", "spec", "containers", "name=cloud-sql-proxy"),
        ("spec", "template", "spec", "containers", "*", "env", "name=PROXY"),
    )
    raw = {
        "kind": "Deployment",
        "metadata": {"name": "contacts"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "contacts", "image": "contacts"},
                        {"name": "cloud-sql-proxy", "image": "gcr.io/x/proxy"},
                    ]
                }
            }
        },
    }
    base = "accounts/contacts.yaml"
    contacts = Resource(raw, base, patches_for("Deployment", "contacts", [str(kfile)], tmp_path))
    assert contacts.source_of("spec.template.spec.containers[0].image") == Provenance(base)
    assert contacts.source_of("spec.template.spec.containers[1].image") == Provenance(
        base, "sql/add-container.yaml"
    )
    # A field the added container lacks is the patch's too.
    assert contacts.source_of("spec.template.spec.containers[1].resources") == Provenance(
        base, "sql/add-container.yaml"
    )


def test_provenance_reads_as_the_finding_lines_write_it() -> None:
    inline = Provenance("base/app.yaml", "prod/kustomization.yaml", "patches[1]")
    assert (str(inline), inline.patched, inline.single) == (
        "prod/kustomization.yaml patches[1], patching base/app.yaml",
        True,
        None,
    )
    # A patch of the resource's own file, or of a resource Kustomize gave no origin.
    for own in (Provenance("prod/p.yaml", "prod/p.yaml"), Provenance(None, "prod/p.yaml")):
        assert (str(own), own.patched, own.single) == ("prod/p.yaml", False, "prod/p.yaml")
    assert Provenance.of(None) is None
    assert Provenance.of("") is None
    own_file = Patch("prod/p.yaml", "Deployment", "api", (("spec", "replicas"),))
    assert Provenance.of("prod/p.yaml", own_file) == Provenance("prod/p.yaml")
    assert Provenance.of(None, own_file) == Provenance(None, "prod/p.yaml")
    assert sorted([Provenance("b"), Provenance(None, "a"), Provenance("a")]) == [
        Provenance(None, "a"),
        Provenance("a"),
        Provenance("b"),
    ]


def test_a_cached_finding_is_the_same_value_and_an_old_entry_is_refused() -> None:
    found = Finding("prod", "Deployment/api", "spec.replicas", "c", "r", "3", "2")
    patched = replace(found, source=Provenance("base/a.yaml", "k.yaml", "patches[0]"))
    for finding in (found, patched, replace(found, source=Provenance("base/a.yaml"))):
        assert Finding.from_dict(json.loads(json.dumps(asdict(finding)))) == finding
    with pytest.raises(TypeError):  # a cache entry written when sources were text
        Finding.from_dict({**asdict(found), "source": "k.yaml, patching base/a.yaml"})


def test_field_paths_read_list_elements_by_name() -> None:
    raw = {"spec": {"containers": [{"name": "api"}], "ports": [{"port": 80}]}, "data": {"a/b": "1"}}
    assert field_path("spec.containers[0].image", raw) == (
        ("spec", "containers", "name=api", "image"),
        False,
    )
    assert field_path("spec.ports[0].port", raw) == (("spec", "ports", "*", "port"), True)
    assert field_path('data["a/b"]', raw) == (("data", "a/b"), True)
    assert field_path("spec.containers[3]", raw) == (("spec", "containers", "*"), False)


# -- end to end ------------------------------------------------------------------------------

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: web, port: {number: 80}}
"""

# The mistake of the issue: the annotation is indented one level too little.
MISINDENTED = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
annotations:
  nginx.ingress.kubernetes.io/rewrite-target: /
"""

SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancr
  ports:
    - {port: 80}
"""


def test_a_field_a_patch_set_names_the_patch_and_others_the_base(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, "base/kustomization.yaml", "resources: [ingress.yaml, service.yaml]\n")
    write(pytester.path, "base/ingress.yaml", INGRESS)
    write(pytester.path, "base/service.yaml", SERVICE)
    write(
        pytester.path,
        "prod/kustomization.yaml",
        "namespace: web\nresources: [../base]\npatches:\n  - path: patch-ingress.yaml\n",
    )
    write(pytester.path, "prod/patch-ingress.yaml", MISINDENTED)
    result = pytester.runpytest("--overlays=prod", "--overlays-checks=schema")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "prod: 2 findings [[]*]",
            "  Ingress/web/web annotations: unknown field; expected a field of Ingress "
            "[[]unknown-field] (from prod/patch-ingress.yaml, patching base/ingress.yaml)",
            '  Service/web/web spec.type: "LoadBalancr" (a string); expected one of ClusterIP, '
            "ExternalName, LoadBalancer, NodePort (did you mean LoadBalancer?) [[]enum] "
            "(from base/service.yaml)",
        ]
    )
    # Asked for, the origin annotations come back as Kustomize wrote them, and
    # the transformer annotations the gate added do not.
    pytester.makepyfile(
        """
        def test_origins(overlays):
            ingress = overlays["prod"].get("Ingress", "web")
            assert "alpha.config.kubernetes.io/transformations" not in ingress.annotations
            origin = ingress.annotations["config.kubernetes.io/origin"]
            assert origin == "path: base/ingress.yaml\\n"
        """
    )
    result = pytester.runpytest("--overlays=prod", "--overlays-origin-annotations", "-k", "origins")
    result.assert_outcomes(passed=1)


def test_malformed_kustomizations_and_patches_never_crash(tmp_path: Path) -> None:
    kustomization = {
        "patches": [
            {"path": "p.yaml", "target": {"kind": "Ingress", "name": "web"}},
            {"patch": "- {op: add, path: /spec/x, value: 1}", "target": {"kind": "Ingress"}},
        ],
        "patchesStrategicMerge": ["p.yaml"],
        "patchesJson6902": [{"path": "p.yaml", "target": {"kind": "Ingress"}}],
    }
    write(tmp_path, "p.yaml", "kind: Ingress\nmetadata: {name: web}\nspec: {rules: [{host: a}]}\n")
    kfile = tmp_path / "kustomization.yaml"
    raw = {"kind": "Ingress", "metadata": {"name": "web"}, "spec": {"rules": [{"host": "a"}]}}
    runs = 0
    for path, value, variant in malformed(kustomization, (8080, None, [], {}, [1], {"a": []})):
        kfile.write_text(yaml.safe_dump(variant))
        try:
            patches = patches_for("Ingress", "web", [str(kfile)], tmp_path)
            Resource(raw, "base.yaml", patches).source_of("spec.rules[0].host")
        except Exception as error:  # pragma: no cover - the failure message says it all
            pytest.fail(f"crashed on {path} = {value!r}: {error!r}")
        runs += 1
    assert runs > 50
    assert field_path("spec.rules[0].host", {"spec": 1}) == (("spec", "rules", "*", "host"), False)
