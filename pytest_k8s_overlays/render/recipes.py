"""Rendering one Application as Argo CD does, and normalising what it renders.

A Kustomize source is built on a private copy of the tree: the source
directory is copied, everything around it is a symbolic link to the
checkout, and the Application's ``kustomize`` overrides are written into the
copy's kustomization file (see :mod:`.edit`); then the real Kustomize builds
it, through the same :func:`~pytest_k8s_overlays.render.engine.build` as any
overlay. The origin wrapper sits inside the copy, so origin paths read as
paths of the checkout. A plain-directory source is read as Argo CD reads it
(:mod:`.directory`). The sources' documents are concatenated in order.

After rendering, as Argo CD's controller does: a namespaced resource without
a namespace takes the destination namespace, a cluster-scoped one loses its
namespace (:func:`normalize`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..core.applications import HELM, KUSTOMIZE, Recipe, SourcePlan
from ..parse.crds import GroupKind, declared_scopes
from ..parse.documents import Parsed, ParseError, parse_render
from ..parse.kustomize_edit import EditError, edited_kustomization
from ..parse.safe_yaml import load_one
from ..sources.argocd.directory import DirectoryError, read_directory
from ..sources.kustomize.confine import outside_problem
from . import processes
from .engine import Renderer, RenderError, build, render_environment

#: How a failure Argo CD itself would have is introduced.
NOT_RENDERED = "Argo CD would render nothing"
#: Where the origin wrapper kustomization goes, inside the private copy's root.
WRAPPER_DIR = ".k8s-overlays-wrapper"
#: Directories never copied along with a source that is the repository root.
_NOT_COPIED = (".git", ".pytest_cache", ".tox", ".venv", "__pycache__", "node_modules")

__all__ = ["NotRendered", "RenderError", "edited_kustomization", "normalize", "render_recipe"]


class NotRendered(RenderError):
    """Argo CD itself would render nothing: its spec, an edit or a directory fails."""


# -- the private copy ----------------------------------------------------------------------------


def _link_siblings(source: Path, destination: Path, keep: str) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(source):
        if entry.name != keep:
            os.symlink(entry.path, destination / entry.name)


def private_copy(root: Path, directory: Path, into: Path) -> Path:
    """Lay out ``root`` under ``into`` with ``directory`` copied and everything else linked;
    return the copy of ``directory``."""
    relative = directory.relative_to(root)
    source, destination = root, into
    for part in relative.parts:
        _link_siblings(source, destination, part)
        source, destination = source / part, destination / part
    ignore = shutil.ignore_patterns(*_NOT_COPIED) if not relative.parts else None
    shutil.copytree(directory, destination, symlinks=True, ignore=ignore, dirs_exist_ok=True)
    return destination


def chain_outside(source: SourcePlan, top: Mapping[str, Any] | None) -> str | None:
    """Why the source's build would read outside the repository (a ``resources`` or
    ``components``... directory there) or run Helm plugins it commits, or None (see
    :func:`~pytest_k8s_overlays.sources.kustomize.confine.outside_problem`, which plain
    overlays share).
    ``top`` is the source's kustomization as Argo CD edits it."""
    return outside_problem(source.path, source.root, source.build_options, top)


def _shown_error(message: str, mirror: Path, root: Path) -> str:
    """Kustomize's message with the private copy's paths written as the checkout's."""
    return message.replace(str(mirror), str(root))


def _build_kustomize(
    source: SourcePlan, renderer: Renderer, timeout: float, env: Mapping[str, str] | None
) -> Parsed:
    edited = edited_kustomization(source)
    outside = chain_outside(source, edited[1] if edited is not None else None)
    if outside is not None:
        raise EditError(outside)
    environment = dict(render_environment() if env is None else env)
    environment.update(source.env)
    arguments = list(source.build_options)
    kube_version = source.overrides.get("kubeVersion")
    if kube_version and any("--enable-helm" in option for option in arguments):
        arguments += ["--helm-kube-version", str(kube_version).removeprefix("v")]
    with processes.temporary_directory("argocd-") as tmp:
        mirror = Path(tmp) / "repo"
        copy = private_copy(source.root, source.path, mirror)
        if edited is not None:
            name, data = edited
            # The copy keeps a committed symlink as a link: writing to it would
            # overwrite whatever it points at (a file outside the repository).
            (copy / name).unlink(missing_ok=True)
            (copy / name).write_text(
                yaml.safe_dump(data, sort_keys=False, default_flow_style=False), encoding="utf-8"
            )
        try:
            output, wrapper = build(
                renderer,
                copy,
                arguments,
                timeout,
                environment,
                workdir=mirror / WRAPPER_DIR,
            )
        except RenderError as error:
            raise RenderError(_shown_error(str(error), mirror, source.root)) from None
        # Origin paths are relative to the wrapper inside the copy: read them as if
        # the wrapper were in the checkout, so they name the checkout's files.
        virtual = source.root / WRAPPER_DIR if wrapper is not None else None
        return parse_render(output.decode("utf-8", "replace"), virtual)


def helm_argv(source: SourcePlan, values_file: Path | None) -> list[str]:
    """``helm template`` as Argo CD runs it for a local chart path (its value files and file
    parameters as planning resolved them: inside the repository)."""
    helm = source.overrides
    argv = ["helm", "template", str(source.path), "--name-template", str(helm["releaseName"])]
    if helm.get("namespace"):
        argv += ["--namespace", str(helm["namespace"])]
    for path in source.value_files:
        argv += ["--values", str(path)]
    if values_file is not None:
        argv += ["--values", str(values_file)]
    for parameter in helm.get("parameters") or []:
        flag = "--set-string" if parameter.get("forceString") else "--set"
        argv += [flag, f"{parameter.get('name')}={parameter.get('value')}"]
    for name, path in source.file_parameters:
        argv += ["--set-file", f"{name}={path}"]
    if helm.get("kubeVersion"):
        argv += ["--kube-version", str(helm["kubeVersion"])]
    for version in helm.get("apiVersions") or []:
        argv += ["--api-versions", str(version)]
    if not helm.get("skipCrds"):
        argv.append("--include-crds")
    if helm.get("skipTests"):
        argv.append("--skip-tests")
    return argv


def _build_helm(source: SourcePlan, timeout: float, env: Mapping[str, str] | None) -> Parsed:
    helm = source.overrides
    values = helm.get("valuesObject") or helm.get("values")
    environment = dict(render_environment() if env is None else env)
    environment.update(source.env)
    with processes.temporary_directory("helm-") as tmp:
        values_file = None
        if values:
            values_file = Path(tmp) / "values.yaml"
            text = values if isinstance(values, str) else yaml.safe_dump(values)
            values_file.write_text(text, encoding="utf-8")
        argv = helm_argv(source, values_file)
        try:
            # Like every render: its own process group, killed on a timeout, on
            # Ctrl-C and by the watchdog when pytest dies.
            code, stdout, stderr = processes.run(argv, environment, timeout)
        except subprocess.TimeoutExpired:
            raise RenderError(f"helm template timed out after {timeout:g}s") from None
        except processes.Interrupted:
            raise RenderError("interrupted") from None
        except OSError as error:
            raise RenderError(f"helm template: could not run {argv[0]}: {error}") from None
    if code != 0:
        message = _hide_values(stderr.strip(), helm)
        raise RenderError(f"helm template failed: {message}")
    return parse_render(stdout.decode("utf-8", "replace"), None)


def _hide_values(message: str, helm: Mapping[str, Any]) -> str:
    """A helm message with every value the Application gives the chart hidden: any of
    them may be a Secret's."""
    values = helm.get("valuesObject") or helm.get("values")
    if isinstance(values, str):
        try:
            values = load_one(values, yaml.SafeLoader)
        except yaml.YAMLError:
            return "<helm's message hidden: the Application's values do not parse>"
    given = list(_strings(values))
    for parameter in helm.get("parameters") or []:
        if isinstance(parameter, Mapping):
            given.extend(_strings(parameter.get("value")))
    for value in sorted({v for v in given if len(v) >= 3}, key=len, reverse=True):
        message = message.replace(value, "<hidden>")
    return message


def _strings(node: Any) -> list[str]:
    """Every scalar of a values tree, as text."""
    if isinstance(node, Mapping):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [] if node is None or isinstance(node, bool) else [str(node)]


def _read_directory(source: SourcePlan) -> Parsed:
    result = read_directory(source.path, source.root, source.overrides)
    return [(document, str(path), None) for document, path in result.documents]


def render_recipe(
    recipe: Recipe, renderer: Renderer, timeout: float, env: Mapping[str, str] | None = None
) -> Parsed:
    """Render every source of an Application, in order; raise RenderError (Kustomize's words,
    or the edit or directory problem) when one fails."""
    if recipe.error is not None:
        raise NotRendered(recipe.error)
    parsed: Parsed = []
    for source in recipe.sources:
        try:
            if source.type == KUSTOMIZE:
                parsed.extend(_build_kustomize(source, renderer, timeout, env))
            elif source.type == HELM:
                parsed.extend(_build_helm(source, timeout, env))
            else:
                parsed.extend(_read_directory(source))
        except (EditError, DirectoryError) as error:
            raise NotRendered(f"{source.shown}: {error}") from None
        except ParseError as error:
            raise RenderError(f"{source.shown}: {error}") from None
    return parsed


# -- normalisation ---------------------------------------------------------------------------


def normalize(parsed: Parsed, namespace: str, known: Mapping[GroupKind, bool]) -> None:
    """Argo CD's ``NormalizeTargetObjects``: a namespaced (or unknown) kind without a
    namespace takes ``namespace``; a cluster-scoped one loses its namespace."""
    from ..core.resources import Resource
    from ..parse.scopes import is_cluster_scoped

    scopes = declared_scopes((document for document, _, _ in parsed), known)
    for document, _, _ in parsed:
        metadata = document.get("metadata")
        if not isinstance(metadata, dict):
            continue
        current = metadata.get("namespace")
        if is_cluster_scoped(Resource(document), scopes):
            if current not in (None, ""):
                del metadata["namespace"]
        elif current in (None, "") and namespace:
            metadata["namespace"] = namespace
