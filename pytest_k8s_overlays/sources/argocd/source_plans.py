"""How Argo CD renders one Application's sources, decided before anything runs.

Per source, in Argo CD's order: is it ours (``repoURL`` names this checkout,
no ``chart``)? Does its path exist inside the repository? Merge
``.argocd-source.yaml`` then ``.argocd-source-<appName>.yaml`` (JSON merge
patches); drop empty type blocks; the type is the explicit block, else
Kustomize when a kustomization file is in the path, Helm for a
``Chart.yaml``, else a plain directory. Other repositories, Helm charts,
OCI and plugin sources are noted as not rendered, never dropped silently.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.application_rules import FOREIGN_REPO_URL, SOURCE_PATH
from ...core.applications import DIRECTORY, HELM, KUSTOMIZE, Problem, SourcePlan, canonical
from ...core.fields import as_dict
from ...core.paths import OutsideRepository, display_path, inside
from ...parse.kustomization import KUSTOMIZATION_FILES
from ...parse.safe_yaml import SafeLoader, UnreadableFile, load_file
from .budget import quote
from .helmfiles import Elsewhere, HelmFiles, Refused, Where, helm_files
from .repo import ThisRepo
from .shapes import kustomize_problems, refusal

#: The source type blocks, in the order Argo CD names them in errors.
TYPE_BLOCKS = (("kustomize", "Kustomize"), ("helm", "Helm"), ("directory", "Directory"))
_KUSTOMIZE_FIELDS = (
    "namePrefix",
    "nameSuffix",
    "version",
    "namespace",
    "images",
    "replicas",
    "commonLabels",
    "commonAnnotations",
    "patches",
    "components",
    "kubeVersion",
    "apiVersions",
)


@dataclass(frozen=True)
class SourceContext:
    """What planning a source needs: the checkout, which URLs are ours, the revision."""

    root: Path
    repo: ThisRepo
    revision: str = ""
    build_options: tuple[str, ...] = ()
    #: ``$<ref>`` and repoURL of each ``ref`` source of the Application planned.
    refs: tuple[tuple[str, str], ...] = ()


@dataclass
class Planned:
    """An Application's sources as Argo CD would render them, and what it would not."""

    sources: list[SourcePlan] = field(default_factory=list)
    #: Sources rendered elsewhere or by tools not run here, in words.
    not_rendered: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Why Argo CD would render nothing for it.
    error: str | None = None

    def fail(self, message: str) -> None:
        if self.error is None:
            self.error = message


def app_sources(spec: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The sources of an Application spec and whether it is multi-source."""
    many = spec.get("sources")
    if isinstance(many, list) and many:
        return [as_dict(s) for s in many], True
    single = spec.get("source")
    return ([as_dict(single)] if isinstance(single, dict) else []), False


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, lists replace, null deletes."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def merge_source_files(
    source: dict[str, Any], directory: Path, instance_name: str, root: Path
) -> tuple[dict[str, Any], list[Path]]:
    """Merge ``.argocd-source.yaml`` then ``.argocd-source-<app>.yaml`` into ``source``;
    a file linked out of the repository ``root`` is refused (ValueError), never read."""
    merged: Any = dict(source)
    used: list[Path] = []
    for name in (".argocd-source.yaml", f".argocd-source-{instance_name}.yaml"):
        path = directory / name
        if not path.is_file():
            continue
        try:
            inside(path, root)
        except OutsideRepository as error:
            raise ValueError(f"error while parsing source parameters: {error}") from None
        try:
            patch = load_file(path, SafeLoader)
        except UnreadableFile as error:
            why = f"error while parsing source parameters: {path.name}: {error}"
            raise ValueError(why) from None
        merged = merge_patch(merged, patch if patch is not None else {})
        used.append(path)
    result = as_dict(merged)
    for key in ("chart", "path", "repoURL", "targetRevision"):
        if key in source:
            result[key] = source[key]
        else:
            result.pop(key, None)
    return result, used


def _empty(value: Any) -> bool:
    return value in (None, "", [], {}, False)


def normalize_source(source: dict[str, Any]) -> dict[str, Any]:
    """Argo CD's ``NormalizeSource``: type blocks that set nothing are dropped."""
    result = dict(source)
    kustomize = as_dict(result.get("kustomize"))
    zero = all(_empty(kustomize.get(f)) for f in _KUSTOMIZE_FIELDS)
    if "kustomize" in result and zero and not kustomize.get("ignoreMissingComponents"):
        result.pop("kustomize")
    directory = as_dict(result.get("directory"))
    if "directory" in result and not (
        directory.get("recurse")
        or directory.get("jsonnet")
        or directory.get("disableExtensionFilter")
    ):
        kept = {k: directory[k] for k in ("include", "exclude") if directory.get(k)}
        if kept:
            result["directory"] = kept
        else:
            result.pop("directory")
    if "helm" in result and all(_empty(v) for v in as_dict(result.get("helm")).values()):
        result.pop("helm")
    return result


def source_type(source: Mapping[str, Any], directory: Path) -> str:
    """The explicit type block, else what the files directly in ``directory`` say."""
    explicit = [name for key, name in TYPE_BLOCKS if source.get(key) is not None]
    if source.get("plugin") is not None:
        explicit.append("Plugin")
    if len(explicit) > 1:
        raise ValueError(f"multiple application sources defined: {','.join(explicit)}")
    if explicit:
        return explicit[0].lower()
    found = DIRECTORY
    for name in sorted(os.listdir(directory)):
        if name.endswith("Chart.yaml"):
            found = "helm"
        elif name in KUSTOMIZATION_FILES:
            found = KUSTOMIZE
    return found


def _path_problem(raw: str, root: Path, where: str) -> tuple[Problem, str] | None:
    """Argo CD's checks of an app path: absolute, outside the root, missing, not a directory."""
    expected = "a directory of this repository, relative to its root"
    path = quote(raw)  # a generated path may be a megabyte long
    if os.path.isabs(raw):
        return Problem(
            SOURCE_PATH, where, f"{path} is absolute", expected
        ), f"{path}: app path is absolute"
    target = Path(os.path.normpath(root / raw))
    if target != root and root not in target.parents:
        return Problem(SOURCE_PATH, where, f"{path} is outside the repository", expected), (
            f"{path}: app path outside root"
        )
    try:
        exists, directory = target.exists(), target.is_dir()
        if exists:
            inside(target, root, path)
    except OutsideRepository:
        # Argo CD refuses a checkout with a symbolic link out of it; reading it here
        # would put files of the machine running the gate into its findings.
        return Problem(SOURCE_PATH, where, f"{path} resolves outside the repository", expected), (
            f"{path}: app path resolves outside the repository through a symbolic link"
        )
    except (OSError, ValueError):  # a name too long, a NUL byte: no such directory
        exists = directory = False
    if not exists:
        return Problem(SOURCE_PATH, where, f"{path} does not exist", expected), (
            f"{path}: app path does not exist"
        )
    if not directory:
        return Problem(SOURCE_PATH, where, f"{path} is not a directory", expected), (
            f"{path}: app path is not a directory"
        )
    return None


def source_env(
    source: Mapping[str, Any], instance_name: str, namespace: str, project: str, revision: str
) -> tuple[tuple[str, str], ...]:
    """The ``ARGOCD_APP_*`` variables of one source, in Argo CD's order."""
    return (
        ("ARGOCD_APP_NAME", instance_name),
        ("ARGOCD_APP_NAMESPACE", namespace),
        ("ARGOCD_APP_PROJECT_NAME", project),
        ("ARGOCD_APP_REVISION", revision),
        ("ARGOCD_APP_REVISION_SHORT", revision[:7]),
        ("ARGOCD_APP_REVISION_SHORT_8", revision[:8]),
        ("ARGOCD_APP_SOURCE_REPO_URL", str(source.get("repoURL") or "")),
        ("ARGOCD_APP_SOURCE_PATH", str(source.get("path") or "")),
        ("ARGOCD_APP_SOURCE_TARGET_REVISION", str(source.get("targetRevision") or "")),
    )


@dataclass(frozen=True)
class AppIdentity:
    """What the sources of an Application depend on besides the sources themselves."""

    instance_name: str
    namespace: str
    project: str


def _external(source: Mapping[str, Any]) -> str | None:
    url = str(source.get("repoURL") or "")
    revision = source.get("targetRevision")
    at = f" {revision}" if revision else ""
    if source.get("chart"):
        return f"Helm chart {source['chart']}{at} from {url} (external)"
    if url.startswith("oci://"):
        return f"{url}{at} path {source.get('path') or '.'} (external OCI)"
    return None


def _exists_here(path: Any, root: Path) -> bool:
    """Whether a source path names a directory of this checkout that Argo CD could render:
    the root itself only when it holds a kustomization or a chart (``path: .`` of
    another repository says nothing of this one)."""
    if not isinstance(path, str) or not path or os.path.isabs(path):
        return False
    target = Path(os.path.normpath(root / path))
    if target != root:
        return root in target.parents and target.is_dir()
    return any((root / name).is_file() for name in (*KUSTOMIZATION_FILES, "Chart.yaml"))


def _foreign_problem(url: str, path: str, where: str, context: SourceContext) -> Problem:
    return Problem(
        FOREIGN_REPO_URL,
        f"{where}.repoURL",
        f"{url} names another repository, so {path}, which exists here, is not gated",
        f"this repository's URL: {context.repo.describe()}",
    )


def _plan_one(
    source: dict[str, Any], where: str, app: AppIdentity, context: SourceContext, planned: Planned
) -> None:
    external = _external(source)
    url = str(source.get("repoURL") or "")
    path = source.get("path")
    if external is None and not context.repo.is_local(url):
        external = f"{url} path {path or '.'} (external repository)"
        # Another host name or mirror of this repository would deploy these files
        # ungated: say so where it shows, never only in a note.
        if _exists_here(path, context.root):
            planned.problems.append(_foreign_problem(url, str(path), where, context))
    if external is not None:
        planned.not_rendered.append(external)
        return
    if not isinstance(path, str) or not path:
        planned.problems.append(
            Problem(SOURCE_PATH, f"{where}.path", "no path", "a directory of this repository")
        )
        planned.fail(
            "spec.source.repoURL and either source.path, source.chart, or source.ref are required"
        )
        return
    problem = _path_problem(path, context.root, f"{where}.path")
    if problem is not None:
        planned.problems.append(problem[0])
        planned.fail(problem[1])
        return
    _plan_local(source, path, app, context, planned)


def _plan_local(
    source: dict[str, Any], path: str, app: AppIdentity, context: SourceContext, planned: Planned
) -> None:
    directory = Path(os.path.normpath(context.root / path))
    try:
        merged, used = merge_source_files(source, directory, app.instance_name, context.root)
        merged = normalize_source(merged)
        kind = source_type(merged, directory)
    except (ValueError, OSError) as error:
        planned.fail(str(error))
        return
    wrong = kustomize_problems(merged.get("kustomize"), "", "") if used else []
    if wrong:
        # The repo server decodes the files into the same types, and fails.
        named = ", ".join(display_path(f, context.root) for f in used)
        first = wrong[0]
        planned.fail(
            f"error while parsing source parameters ({named}): {first.path.lstrip('.')}: "
            f"{first.found}"
        )
        return
    if kind == HELM and shutil.which("helm") is None:
        planned.not_rendered.append(f"{path} (helm: needs helm template, no helm binary here)")
        return
    if kind not in (KUSTOMIZE, DIRECTORY, HELM):
        planned.not_rendered.append(f"{path} ({kind}: needs a config management plugin)")
        return
    settings = as_dict(merged.get(kind))
    env = source_env(source, app.instance_name, app.namespace, app.project, context.revision)
    files = HelmFiles()
    if kind == HELM:
        # What `helm template` needs besides the chart: the release and its namespace.
        settings = {
            "releaseName": app.instance_name,
            **settings,
            "namespace": settings.get("namespace") or app.namespace,
        }
        where = Where(directory, context.root, context.repo, dict(context.refs), dict(env))
        found = _helm_files(settings, where, path, planned)
        if found is None:
            return
        files = found
    planned.sources.append(
        SourcePlan(
            type=kind,
            path=directory,
            root=context.root,
            settings=canonical(settings),
            env=env,
            build_options=context.build_options if kind == KUSTOMIZE else (),
            merged=tuple(used),
            shown=path,
            value_files=tuple(files.value_files),
            file_parameters=tuple(files.file_parameters),
        )
    )


def _helm_files(
    settings: Mapping[str, Any], where: Where, path: str, planned: Planned
) -> HelmFiles | None:
    """The files a Helm source reads besides its chart; None (with why) when it is not rendered."""
    try:
        return helm_files(settings, where)
    except Refused as error:
        planned.fail(f"{path}: error resolving value file path: {error}")
    except Elsewhere as error:
        planned.not_rendered.append(f"{path} (helm: {error})")
    return None


def plan_sources(spec: Mapping[str, Any], app: AppIdentity, context: SourceContext) -> Planned:
    """Plan every source of an Application spec."""
    planned = Planned()
    sources, many = app_sources(spec)
    if not sources:
        planned.fail(
            "spec.source.repoURL and either source.path, source.chart, or source.ref are required"
        )
        return planned
    refs = tuple(
        (f"${source['ref']}", str(source.get("repoURL") or ""))
        for source in sources
        if many and isinstance(source.get("ref"), str) and source["ref"]
    )
    context = dataclasses.replace(context, refs=refs)
    refused = [
        problem
        for index, source in enumerate(sources)
        for problem in kustomize_problems(
            source.get("kustomize"), f"spec.sources[{index}]" if many else "spec.source"
        )
    ]
    if refused:
        # Nothing of it reaches Argo CD: no source is planned, none rendered.
        planned.problems.extend(refused)
        planned.fail(refusal(refused))
        return planned
    for index, source in enumerate(sources):
        if many and not source.get("path") and not source.get("chart"):
            continue  # a ref source: values for another source, nothing rendered
        where = f"spec.sources[{index}]" if many else "spec.source"
        _plan_one(source, where, app, context, planned)
    return planned
