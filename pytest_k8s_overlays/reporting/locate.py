"""Where a finding lives in the repository: a file and a line a reviewer can click.

A rendered resource knows the file it came from (Kustomize's origin
annotation), not where in that file: the document is found again by kind and
name (the name as the manifest writes it, before ``namePrefix`` and generator
hashes), then the field when the finding names one the file holds. A resource
a generator made points at its ``configMapGenerator``/``secretGenerator``
entry; a render failure at the kustomization file, at the line Kustomize names.
Nothing here reads values: only keys, names and line numbers.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import yaml

from ..parse.kustomization import KUSTOMIZATION_FILES, kustomization_file
from ..parse.safe_yaml import SafeLoader

#: A line of a file, 1-based as editors and GitHub count.
Location = tuple[Path, int]

_STEP_RE = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def repository_root(rootdir: Path) -> Path:
    """The nearest directory at or above ``rootdir`` holding ``.git``, else ``rootdir``:
    GitHub places annotations and code-scanning results by repository path."""
    for directory in (rootdir, *rootdir.parents):
        if (directory / ".git").exists():
            return directory
    return rootdir


def field_steps(path: str) -> list[str | int] | None:
    """Split ``spec.containers[0].env["a.b"]`` into keys and indexes; None if unreadable."""
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _STEP_RE.match(path, position)
        if match is None:
            return None
        plain, index, quoted = match.groups()
        if index is not None:
            steps.append(int(index))
        elif quoted is not None:
            steps.append(json.loads(f'"{quoted}"'))
        else:
            steps.append(plain)
        position = match.end()
    return steps


def _documents(file: Path) -> list[yaml.Node]:
    """The documents of a YAML file as nodes (with line marks); none if it does not parse."""
    try:
        return list(_composed(file.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return []


# Parsed once per text: every finding of a file is located in it (a manifest holding
# hundreds of Applications was parsed again for each, quadratic in the file's size).
@lru_cache(maxsize=8)
def _composed(text: str) -> tuple[yaml.Node, ...]:
    try:
        return tuple(node for node in yaml.compose_all(text, Loader=SafeLoader) if node is not None)
    except yaml.YAMLError:
        return ()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node that starts the step's line, its value) under ``node``, if present."""
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        item = node.value[step]
        return item, item
    return None


def field_line(document: yaml.Node, path: str) -> int | None:
    """The line where the field at ``path`` starts in ``document``; None if it has none."""
    steps = field_steps(path) if path else None
    if not steps:
        return None
    node, start = document, document
    for step in steps:
        found = _child(node, step)
        if found is None:
            return None
        start, node = found
    return _line(start)


def _scalar(node: yaml.Node | None, *steps: str) -> str | None:
    for step in steps:
        found = _child(node, step) if node is not None else None
        node = found[1] if found is not None else None
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _best_by_name(
    candidates: list[tuple[yaml.Node, str | None]], rendered: str
) -> yaml.Node | None:
    """The candidate whose name the rendered name holds (prefix, suffix and hash
    added by Kustomize), the longest such; the only candidate otherwise."""
    exact = [node for node, name in candidates if name == rendered]
    if exact:
        return exact[0]
    within = [(len(name), node) for node, name in candidates if name and name in rendered]
    if within:
        return max(within, key=lambda pair: pair[0])[1]
    return candidates[0][0] if len(candidates) == 1 else None


def document_of(file: Path, kind: str, name: str) -> yaml.Node | None:
    """The document of ``file`` that defines the rendered ``kind``/``name``."""
    candidates = [
        (node, _scalar(node, "metadata", "name"))
        for node in _documents(file)
        if _scalar(node, "kind") == kind
    ]
    return _best_by_name(candidates, name) if candidates else None


_GENERATORS = {"ConfigMap": "configMapGenerator", "Secret": "secretGenerator"}


def _generator_entries(document: yaml.Node, field: str) -> Iterator[tuple[yaml.Node, str | None]]:
    found = _child(document, field)
    if found is not None and isinstance(found[1], yaml.SequenceNode):
        for entry in found[1].value:
            yield entry, _scalar(entry, "name")


def generator_line(kustomization: Path, kind: str, name: str) -> int | None:
    """The line of the generator entry that made the rendered ``kind``/``name``."""
    field = _GENERATORS.get(kind)
    documents = _documents(kustomization)
    if field is None or not documents:
        return None
    entry = _best_by_name(list(_generator_entries(documents[0], field)), name)
    return _line(entry) if entry is not None else None


def resource_line(file: Path, kind: str, name: str, path: str) -> int:
    """Where a rendered resource (or its field at ``path``) starts in the file it came from."""
    if file.name in KUSTOMIZATION_FILES:
        line = generator_line(file, kind, name)
        if line is not None:
            return line
    document = document_of(file, kind, name)
    if document is None:
        return 1
    return field_line(document, path) or _line(document)


def file_field_line(file: Path, path: str) -> int:
    """Where the field at ``path`` of a single-document file starts (an ``images:`` entry)."""
    return file_field(file, path) or 1


def file_field(file: Path, path: str) -> int | None:
    """The same; None when the file does not write that field."""
    documents = _documents(file)
    return field_line(documents[0], path) if documents else None


# -- render failures --------------------------------------------------------------------

_YAML_LINE_RE = re.compile(r"yaml: line (\d+)")
_IN_FILE_RE = re.compile(r"in File: ([^\s'\"]+)")
_TARGET_RE = re.compile(
    r"(?:couldn't make target for path|recursed accumulation of path) '([^']+)'"
)
_UNKNOWN_FIELD_RE = re.compile(r'unknown field "([^"]+)"')
_FROM_RE = re.compile(r"accumulating resources from '([^']+)'")


def _named_kustomization(message: str, kustomization: Path) -> Path:
    """The kustomization file of the innermost directory the message names, or the overlay's."""
    directories = _TARGET_RE.findall(message)
    if directories:
        named = kustomization_file(Path(directories[-1]))
        if named is not None:
            return named
    return kustomization


def _key_line(file: Path, key: str) -> int | None:
    documents = _documents(file)
    if not documents or not isinstance(documents[0], yaml.MappingNode):
        return None
    found = _child(documents[0], key)
    return _line(found[0]) if found is not None else None


def file_lines(file: Path) -> list[str]:
    """The lines of a text file; none when it cannot be read."""
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _entry_line(file: Path, entry: str) -> int | None:
    """The line of a list entry (``- missing.yaml``) in a kustomization file."""
    for number, text in enumerate(file_lines(file), start=1):
        value = text.strip().lstrip("- ")
        # A patches: entry names its file as ``path: x.yaml``.
        value = value.removeprefix("path:").strip() if value.startswith("path:") else value
        if value.strip("'\"") == entry:
            return number
    return None


def render_failure_location(message: str, kustomization: Path) -> Location:
    """The file and line a render failure is about: the kustomization file Kustomize
    names (or the overlay's), at the line it names; a YAML error in a manifest
    (``in File: service.yaml``) points at that manifest."""
    file = _named_kustomization(message, kustomization)
    line = _YAML_LINE_RE.search(message)
    in_file = _IN_FILE_RE.search(message)
    if line is not None and in_file is not None:
        manifest = file.parent / in_file.group(1)
        if manifest.is_file():
            return manifest, int(line.group(1))
    if line is not None:
        return file, int(line.group(1))
    unknown = _UNKNOWN_FIELD_RE.search(message)
    if unknown is not None:
        return file, _key_line(file, unknown.group(1)) or 1
    missing = _FROM_RE.findall(message)
    if missing:
        return file, _entry_line(file, missing[-1]) or 1
    return _patch_failure_location(message, file) or (file, 1)


#: A patch file that does not exist, or does not parse, as Kustomize names it.
_PATCH_FILE_RE = re.compile(r"failed to get the patch file from path\(([^)\n]+)\)")
_PATCH_PARSE_RE = re.compile(r'unable to parse SM or JSON patch from \[path: "([^"\n]+)"\]')


#: A patchesStrategicMerge file that does not exist: Kustomize names the path it tried.
_MERGE_FILE_RE = re.compile(
    r"trouble configuring builtin Patch\w*Transformer with config: .*?: "
    r"evalsymlink failure on '([^'\n]+)'",
    re.S,
)


#: A patch whose target matches nothing: the name it targets, as Kustomize names it.
_NO_TARGET_RE = re.compile(r"failed to find unique target for patch [\w.-]+/(\S+?)\.\[")
#: Files a patch entry of a kustomization may name (``path: x.yaml``, ``- x.yaml``).
_PATCH_ENTRY_RE = re.compile(
    r"^\s*(?:-\s+)?(?:path:\s*)?['\"]?([^\s'\"#]+\.(?:ya?ml|json))['\"]?\s*$"
)


def _named_line(file: Path, name: str) -> int | None:
    """The line of ``file`` that writes ``name: <name>`` (a patch's target), if any."""
    wanted = re.compile(rf"^\s*(?:-\s+)?name:\s*['\"]?{re.escape(name)}['\"]?\s*$")
    lines = file_lines(file)
    return next((number for number, text in enumerate(lines, 1) if wanted.match(text)), None)


def _target_location(message: str, file: Path) -> Location | None:
    """A patch whose target a typo lost (``no matches for Id .../simple-deploymnet``):
    the line naming that target, in the kustomization Kustomize names or a patch file
    it lists; None when none does."""
    lost = _NO_TARGET_RE.search(message)
    if lost is None:
        return None
    name = lost.group(1)
    line = _named_line(file, name)  # an inline patch, or a target: name
    if line is not None:
        return file, line
    for text in file_lines(file):
        entry = _PATCH_ENTRY_RE.match(text)
        patch = file.parent / entry.group(1) if entry else None
        line = _named_line(patch, name) if patch is not None and patch.is_file() else None
        if patch is not None and line is not None:
            return patch, line
    return None


def _patch_failure_location(message: str, file: Path) -> Location | None:
    """A patch Kustomize could not read: the patch file when it exists (it does not
    parse), else its entry in the kustomization; a patch whose target matches nothing,
    where it names that target."""
    named = _PATCH_PARSE_RE.search(message) or _PATCH_FILE_RE.search(message)
    if named is None:
        target = _target_location(message, file)
        if target is not None:
            return target
        merge = _MERGE_FILE_RE.search(message)
        if merge is None:
            return None
        tried = merge.group(1)
        entry = os.path.relpath(tried, file.parent) if os.path.isabs(tried) else tried
        return file, _entry_line(file, entry) or _entry_line(file, Path(tried).name) or 1
    patch = file.parent / named.group(1)
    if patch.is_file() and _PATCH_PARSE_RE.search(message):
        return patch, 1
    return file, _entry_line(file, named.group(1)) or 1


# -- Argo CD Applications -----------------------------------------------------------------


def application_line(file: Path, kind: str, name: str, path: str) -> int:
    """Where the Application (or ApplicationSet) ``name`` sets the field at ``path`` in
    the manifest ``file``; an Application an ApplicationSet generates, in the set's
    template; a file that does not parse, at the line its YAML error names."""
    error = _yaml_error_line(file)
    if error is not None:
        return error
    document, prefix = _application_document(file, kind, name)
    if document is None:
        return 1
    return (
        field_line(document, f"{prefix}{path}" if path else "")
        or (field_line(document, "spec.template") if prefix else None)
        or _line(document)
    )


def application_field_line(file: Path, kind: str, name: str, path: str) -> int | None:
    """The line of the field at ``path`` of the Application ``name`` (in its set's
    template when generated); None when it does not write that field."""
    document, prefix = _application_document(file, kind, name)
    return field_line(document, f"{prefix}{path}") if document is not None else None


def _application_document(file: Path, kind: str, name: str) -> tuple[yaml.Node | None, str]:
    """The document defining the Application ``name``, and the prefix of its fields
    there: the Application itself (found by its exact name: Argo CD renames nothing,
    and the file's one Application may be another, an app of apps' root beside the
    set that generates this one), else the ApplicationSet whose template names it, else
    the file's first ApplicationSet (``spec.template.``)."""
    documents = _documents(file)
    document = next(
        (
            node
            for node in documents
            if _scalar(node, "kind") == kind and _scalar(node, "metadata", "name") == name
        ),
        None,
    )
    if document is not None:
        return document, ""
    sets = [node for node in documents if _scalar(node, "kind") == "ApplicationSet"]
    if not sets:
        return None, ""
    named = [
        node
        for node in sets
        if _template_names(_scalar(node, "spec", "template", "metadata", "name"), name)
    ]
    return (named or sets)[0], "spec.template."


def _template_names(template: str | None, name: str) -> bool:
    """Tell whether a template's name (``dev-api-{{name}}``) can give ``name``."""
    if not template:
        return False
    parts = re.split(r"\{\{.*?\}\}", template)
    return re.fullmatch(".*".join(re.escape(part) for part in parts), name) is not None


def _yaml_error_line(file: Path) -> int | None:
    """The line a YAML parser stops at in ``file``, if it does not parse."""
    try:
        return _load_error_line(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


@lru_cache(maxsize=8)
def _load_error_line(text: str) -> int | None:
    try:
        # Loaded, not composed: a key Argo CD's YAML refuses ({{name}}) fails at load.
        list(yaml.load_all(text, Loader=SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return int(mark.line) + 1 if mark is not None else None
    except yaml.YAMLError:
        return None
    return None
