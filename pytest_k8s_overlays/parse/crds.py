"""CustomResourceDefinitions read from renders and files: kinds, scopes, versions, schemas.

Light on purpose (no jsonschema): the namespace and unique-names checks learn
scopes from here, and the schema check (``checks/schema/crds.py``) compiles the
schemas into validators. Files are read once per content: the cache is keyed
by path, modification time and size, so a CRD edited in a long-lived process
is read again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..core.fields import as_dict, as_list
from ..core.paths import display_path
from ..core.resources import Resource
from .documents import ParseError, load_documents
from .safe_yaml import MAX_USER_FILE_BYTES, UnsafeYAML, read_bounded

CRD_KIND = "CustomResourceDefinition"
CRD_GROUP = "apiextensions.k8s.io"
#: Where a CRD came from when it is part of the overlay's own render.
IN_RENDER = "the render"
_SUFFIXES = (".yaml", ".yml", ".json")

#: ``(API group, kind)``.
GroupKind = tuple[str, str]


class CrdFileError(ValueError):
    """A ``--overlays-crds`` path that does not exist or holds no parsable YAML."""


@dataclass(frozen=True)
class CrdVersion:
    """One version a CRD declares: its name, whether it is served, its schema."""

    name: str
    served: bool
    schema: Mapping[str, Any] | None
    #: A CRDs-catalog schema file, read only when a resource of this version is checked,
    #: and how messages name it.
    schema_file: str | None = None
    shown: str | None = None

    @property
    def has_schema(self) -> bool:
        return self.schema is not None or self.schema_file is not None

    @cached_property
    def schema_json(self) -> str | None:
        """The schema as canonical JSON: the key its compiled validator is cached under.
        Raises CrdFileError when a catalog schema file cannot be read."""
        if self.schema is None and self.schema_file is not None:
            return _catalog_json(self.schema_file)
        if self.schema is None:
            return None
        try:
            return json.dumps(self.schema, sort_keys=True, default=str)
        except TypeError:
            # Keys of mixed types (YAML `1:` beside `name:`) cannot be sorted as they are.
            return json.dumps(_string_keys(self.schema), sort_keys=True, default=str)


def _string_keys(node: Any) -> Any:
    """A copy of a decoded YAML tree with every mapping key a string."""
    if isinstance(node, Mapping):
        return {str(key): _string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_string_keys(value) for value in node]
    return node


@dataclass(frozen=True)
class Crd:
    """What the schema check needs from a CustomResourceDefinition."""

    name: str
    group: str
    kind: str
    versions: tuple[CrdVersion, ...]
    preserve_unknown_fields: bool
    source: str
    cluster_scoped: bool = False
    #: Read from a JSON schema of a CRDs-catalog directory (``{group}/{kind}_{version}.json``,
    #: the layout kubeconform users keep): ``kind`` is then lower case, as the file name
    #: writes it, and a version with no file is unknown, not unserved.
    catalog: bool = False

    def version(self, name: str) -> CrdVersion | None:
        return next((v for v in self.versions if v.name == name), None)

    @property
    def served(self) -> list[str]:
        """The apiVersions the CRD serves, ``group/version``."""
        return [f"{self.group}/{v.name}" for v in self.versions if v.served]


def _openapi(holder: Any) -> Mapping[str, Any] | None:
    schema = as_dict(holder).get("openAPIV3Schema")
    return schema if isinstance(schema, dict) else None


def _declares(raw: Mapping[str, Any]) -> tuple[dict[str, Any], str, str] | None:
    """The spec, API group and kind of a CRD manifest; None if ``raw`` is no CRD."""
    if raw.get("kind") != CRD_KIND or not str(raw.get("apiVersion", "")).startswith(CRD_GROUP):
        return None
    spec = as_dict(raw.get("spec"))
    group, kind = spec.get("group"), as_dict(spec.get("names")).get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    return spec, group, kind


def parse_crd(raw: Mapping[str, Any], source: str) -> Crd | None:
    """Read a CRD manifest (v1 or legacy v1beta1); None if ``raw`` is not one or has no version."""
    declared = _declares(raw)
    if declared is None:
        return None
    spec, group, kind = declared
    # v1beta1 CRDs may share one schema for every version (spec.validation).
    shared = _openapi(spec.get("validation"))
    versions: list[CrdVersion] = []
    # A malformed entry declares no version; the CRD's own schema reports it.
    for entry in as_list(spec.get("versions")):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            served = entry.get("served", True) is not False
            schema = _openapi(entry.get("schema")) or shared
            versions.append(CrdVersion(entry["name"], served, schema))
    if not versions and isinstance(spec.get("version"), str):
        versions.append(CrdVersion(spec["version"], True, shared))
    if not versions:
        return None  # malformed: no schema source (the CRD's own schema reports why)
    name = str(as_dict(raw.get("metadata")).get("name") or f"{kind.lower()}s.{group}")
    preserve = spec.get("preserveUnknownFields") is True
    cluster_scoped = spec.get("scope") == "Cluster"
    return Crd(name, group, kind, tuple(versions), preserve, source, cluster_scoped)


def _documents(raw: Any) -> Iterator[Mapping[str, Any]]:
    # `kubectl get crd -o yaml` prints a List; accept it as well as plain documents.
    if not isinstance(raw, Mapping):
        return
    if raw.get("kind") == "List" and isinstance(raw.get("items"), list):
        yield from (item for item in raw["items"] if isinstance(item, dict))
    else:
        yield raw


@lru_cache(maxsize=256)
def _file_documents(path: str, mtime_ns: int, size: int) -> tuple[Mapping[str, Any], ...]:
    # Keyed by mtime and size too, so an edited file is read again.
    try:
        data = read_bounded(Path(path))
    except UnsafeYAML as error:
        raise ParseError(str(error)) from None
    documents = load_documents(data, max_bytes=MAX_USER_FILE_BYTES)
    return tuple(doc for raw in documents for doc in _documents(raw))


def _state(path: Path) -> tuple[str, int, int]:
    """What the file caches are keyed by: the file, and its modification time and size."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def _read(path: Path) -> tuple[Mapping[str, Any], ...]:
    return _file_documents(*_state(path))


@lru_cache(maxsize=256)
def _file_crds(path: str, mtime_ns: int, size: int) -> tuple[Crd, ...]:
    # Parsed once per file state, so that each CRD version's schema_json (the key of its
    # compiled validator) is computed once per session, not once per overlay checked.
    found = (parse_crd(document, path) for document in _file_documents(path, mtime_ns, size))
    return tuple(crd for crd in found if crd is not None)


#: A CRDs-catalog schema's file name: ``{kind}_{version}.json``, both lower case.
_CATALOG_NAME = re.compile(r"^([a-z0-9][a-z0-9-]*)_(v[0-9]+(?:(?:alpha|beta)[0-9]+)?)\.json$")


def _catalog_json(path: str) -> str:
    """A catalog schema file as canonical JSON; raises CrdFileError saying why not (the
    caller names the file)."""
    try:
        schema = json.loads(read_bounded(Path(path)))
    except json.JSONDecodeError as error:
        raise CrdFileError(f"not valid JSON: {error.msg} at line {error.lineno}") from None
    except OSError as error:
        raise CrdFileError(f"cannot be read: {error.strerror}") from None
    except (UnsafeYAML, ValueError) as error:
        raise CrdFileError(str(error)) from None
    if not isinstance(schema, dict):
        raise CrdFileError("not a JSON schema (an object)")
    return json.dumps(schema, sort_keys=True)


def catalog_crd(path: Path) -> Crd | None:
    """A CRDs-catalog schema file as a one-version CRD, read lazily; None if ``path``
    is not named like one.

    The catalog (datreeio/CRDs-catalog; kubeconform's ``-schema-location``
    template ``{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json``) holds
    each CRD version's openAPIV3Schema as JSON, in a directory named after the group.
    """
    named = _CATALOG_NAME.match(path.name)
    if named is None or "." not in path.parent.name:
        return None
    kind, version = named.groups()
    versions = (CrdVersion(version, True, None, str(path)),)
    return Crd(
        f"{kind}_{version}", path.parent.name, kind, versions, False, str(path), catalog=True
    )


def _merge_catalog(crds: Sequence[Crd]) -> list[Crd]:
    """One CRD per catalog kind, with every version the catalog has a file for."""
    merged: dict[tuple[str, str], Crd] = {}
    for crd in crds:
        key = (crd.group, crd.kind)
        if key in merged:
            earlier = merged[key]
            merged[key] = replace(earlier, versions=(*earlier.versions, *crd.versions))
        else:
            merged[key] = crd
    return list(merged.values())


def find_crd(index: Mapping[GroupKind, Crd], group: str, kind: str) -> Crd | None:
    """The CRD of ``group``/``kind``: a CRD manifest's, else a catalog schema's (whose
    file names the kind in lower case)."""
    crd = index.get((group, kind))
    if crd is None:
        crd = index.get((group, kind.lower()))
        if crd is not None and not crd.catalog:
            return None
    return crd


def crd_files(paths: Iterable[Path], catalog: list[Path] | None = None) -> list[Path]:
    """Expand ``--overlays-crds`` paths: files as given, directories to their YAML/JSON
    files; catalog schema files of a directory go to ``catalog`` when it is given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
            if catalog is not None:
                schemas = {p for p in found if catalog_crd(p) is not None}
                catalog.extend(p for p in found if p in schemas)
                found = [p for p in found if p not in schemas]
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CrdFileError(f"--overlays-crds {path}: no such file or directory")
    return files


def load_crds(paths: Iterable[Path], root: Path | None = None) -> tuple[Crd, ...]:
    """Read every CRD under the given paths; raise CrdFileError for a missing or broken file.

    A CRD's source is its file, shown relative to ``root`` (the rootdir).
    """
    crds: list[Crd] = []
    catalog: list[Path] = []
    for path in crd_files(paths, catalog):
        shown = display_path(path, root)
        try:
            found = _file_crds(*_state(path))
        except (OSError, ParseError) as error:
            raise CrdFileError(f"--overlays-crds {shown}: {error}") from None
        crds.extend(replace(crd, source=shown) for crd in found)
    crds.extend(_merge_catalog(_catalog_crds(catalog, root)))
    return tuple(crds)


def _catalog_crds(paths: Iterable[Path], root: Path | None) -> list[Crd]:
    """The catalog schema files as CRDs, each version naming its file relative to ``root``."""
    schemas = []
    for path in paths:
        crd = catalog_crd(path)
        if crd is not None:
            shown = display_path(path, root)
            versions = tuple(replace(v, shown=shown) for v in crd.versions)
            schemas.append(replace(crd, source=shown, versions=versions))
    return schemas


def crd_scope(raw: Mapping[str, Any]) -> tuple[GroupKind, bool] | None:
    """Read ``((group, kind), cluster_scoped)`` from a CRD manifest, or None if it is not one.

    Unlike parse_crd this needs no version: a CRD that serves nothing still says its scope.
    """
    declared = _declares(raw)
    if declared is None:
        return None
    spec, group, kind = declared
    return (group, kind), spec.get("scope") == "Cluster"


def declared_scopes(
    documents: Iterable[Mapping[str, Any]], known: Mapping[GroupKind, bool] | None = None
) -> dict[GroupKind, bool]:
    """The scope of every kind the CRDs among ``documents`` declare, over ``known`` ones."""
    scopes = dict(known or {})
    for document in documents:
        declared = crd_scope(document)
        if declared is not None:
            scopes[declared[0]] = declared[1]
    return scopes


def file_scopes(paths: Iterable[Path]) -> dict[GroupKind, bool]:
    """The scope of every kind the CRD files declare; a broken file declares nothing
    (the schema check and start-up report it)."""
    scopes: dict[GroupKind, bool] = {}
    try:
        files = crd_files(paths, catalog=[])
    except CrdFileError:
        return scopes
    for path in files:
        try:
            scopes = declared_scopes(_read(path), scopes)
        except (OSError, ParseError):
            continue
    return scopes


def crd_index(
    resources: Iterable[Resource], paths: Sequence[Path], root: Path | None = None
) -> dict[GroupKind, Crd]:
    """Map (group, kind) to its CRD (look it up with :func:`find_crd`); a CRD in the
    render wins over one from a file, a CRD manifest over a catalog schema."""
    loaded = load_crds(paths, root)
    index = {(crd.group, crd.kind): crd for crd in loaded if crd.catalog}
    index.update({(crd.group, crd.kind): crd for crd in loaded if not crd.catalog})
    for resource in resources:
        crd = parse_crd(resource.raw, IN_RENDER)
        if crd is not None:
            index[(crd.group, crd.kind)] = crd
    return index
