"""The files a Helm source reads besides its chart, resolved as Argo CD resolves them.

``valueFiles`` and ``fileParameters`` paths go through Argo CD's
``ResolveValueFilePathOrUrl``: a relative path is relative to the source
directory, an absolute one to the repository root, symbolic links are
resolved, and a path that ends outside the repository (or at its root) is
refused. A value file ``$<ref>/path`` is ``path`` in the repository of the
multi-source ``ref: <ref>`` source (``getResolvedRefValueFile``). An
``http(s)`` value file is fetched by Argo CD, not here; another URL scheme is
refused. A missing value file is left out under ``ignoreMissingValueFiles``.
Nothing here reads a file: it only decides which files helm may read.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.fields import as_list
from ...core.paths import OutsideRepository, display_path, first_link_outside, inside
from ...parse.kustomize_edit import envsubst
from .repo import ThisRepo, without_credentials

#: The value file URL schemes Argo CD allows by default.
URL_SCHEMES = ("http", "https")


class Refused(Exception):
    """A value file or file parameter Argo CD refuses; the message is Argo CD's, with the path."""


class Elsewhere(Exception):
    """Values read from a source not rendered here (another repository, a URL)."""


@dataclass
class HelmFiles:
    """The resolved value files (in order) and file parameters of one Helm source."""

    value_files: list[Path] = field(default_factory=list)
    file_parameters: list[tuple[str, Path]] = field(default_factory=list)


@dataclass(frozen=True)
class Where:
    """What resolving a path needs: the source directory, the checkout, the ref sources."""

    directory: Path
    root: Path
    repo: ThisRepo
    #: ``$<ref>`` of each multi-source ``ref`` source, with its repoURL.
    refs: Mapping[str, str]
    env: Mapping[str, str]


def _resolve(raw: str, work: Path, root: Path) -> Path:
    """Argo CD's ``resolveFileOrDirectory``: relative to ``work``, or to ``root`` when absolute;
    inside ``root`` after symbolic links."""
    joined = root / raw.lstrip("/") if os.path.isabs(raw) else work / raw
    try:
        resolved = inside(Path(os.path.normpath(joined)), root, raw)
    except OutsideRepository:
        raise Refused(f"file '{raw}' resolved to outside repository root") from None
    if resolved == root.resolve():
        raise Refused(f"{raw}: path resolved to repository root, which is not allowed")
    return resolved


def _scheme(raw: str) -> str:
    try:
        return urllib.parse.urlsplit(raw).scheme
    except ValueError:
        return ""


def value_file(raw: str, where: Where) -> Path | None:
    """The local file one ``valueFiles`` entry names; None for a URL Argo CD fetches."""
    if raw.startswith("$"):
        name, _, rest = raw.partition("/")
        url = where.refs.get(name)
        if url is not None:
            if not where.repo.is_local(url):
                shown = without_credentials(url)
                raise Elsewhere(f"values from another repository ({shown}: {raw})")
            return _resolve("/" + envsubst(rest, where.env), where.root, where.root)
    raw = envsubst(raw, where.env)
    scheme = _scheme(raw)
    if scheme in URL_SCHEMES:
        return None
    if scheme:
        raise Refused(f"the URL scheme '{scheme}' is not allowed")
    return _resolve(raw, where.directory, where.root)


def helm_files(helm: Mapping[str, Any], where: Where) -> HelmFiles:
    """Resolve the value files and file parameters of a Helm source.

    Raises Refused where Argo CD fails the Application (a path outside the
    repository, a URL scheme not allowed, a chart linking out of the
    repository) and Elsewhere where the values come from something not
    rendered here.
    """
    link = first_link_outside(where.directory, where.root)
    if link is not None:
        shown = display_path(link, where.root)
        raise Refused(f"{shown}: a symbolic link out of the repository in the chart")
    found = HelmFiles()
    ignore_missing = bool(helm.get("ignoreMissingValueFiles"))
    for entry in as_list(helm.get("valueFiles")):
        raw = str(entry)
        path = value_file(raw, where)
        if path is None:
            shown = without_credentials(raw)
            raise Elsewhere(f"value file {shown} is fetched from a URL")
        if ignore_missing and not path.exists():
            continue
        found.value_files.append(path)
    for parameter in as_list(helm.get("fileParameters")):
        if not isinstance(parameter, Mapping):
            continue
        raw = str(parameter.get("path") or "")
        path = value_file(raw, where)
        if path is None:
            raise Elsewhere(f"file parameter {without_credentials(raw)} is fetched from a URL")
        found.file_parameters.append((str(parameter.get("name")), path))
    return found
