"""YAML loaded safely: PyYAML's safe loader, with bounded size and alias expansion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeLoader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader (the C one when available) that accepts a bare ``=``.

    YAML 1.1 resolves a plain ``=`` to ``tag:yaml.org,2002:value``, which the
    safe loader cannot construct; real renders contain it (``matchType: =`` in
    Prometheus alert rules), so it loads as the string ``"="``.
    """


def _construct_value(loader: Any, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)


SafeLoader.add_constructor("tag:yaml.org,2002:value", _construct_value)
# Likewise a plain ``<<`` used as a value (``op: <<``), which YAML 1.1 resolves
# to the merge tag; as a mapping key it still merges, before any constructor runs.
SafeLoader.add_constructor("tag:yaml.org,2002:merge", _construct_value)


def _construct_int(loader: Any, node: Any) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        # More digits than Python converts (4,300): read as a float, as Go's YAML
        # reads an integer too large for int64, instead of failing the whole file.
        return yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)


SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


#: Nodes one document may hold once its aliases are expanded. Go's yaml.v3
#: (Kustomize's parser) refuses "excessive aliasing" the same way; without a
#: bound, nine levels of nine aliases ("billion laughs", 500 bytes) expand to
#: 387 million entries in any code that walks the document.
MAX_EXPANDED_NODES = 100_000

#: The largest user file (a kustomization, a CRD file) the plugin parses itself.
MAX_USER_FILE_BYTES = 64 << 20


class UnsafeYAML(yaml.YAMLError):
    """YAML the plugin refuses to load: too large, too many aliases, a recursive alias."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node, limit: int = MAX_EXPANDED_NODES) -> None:
    """Refuse a document that expands (through aliases) past ``limit`` nodes, or
    whose aliases contain themselves; raise UnsafeYAML.

    Sizes are memoised per node, so the check itself costs one visit per node
    as written, never per node as expanded; it is iterative, so deep nesting
    cannot exhaust Python's stack.
    """
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        ident = id(node)
        if finished:
            entered.discard(ident)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > limit:
                raise UnsafeYAML(
                    f"excessive aliasing: the document expands to more than {limit} nodes"
                )
            sizes[ident] = total
        elif ident in entered:
            raise UnsafeYAML("an alias contains itself (a recursive anchor)")
        elif ident not in sizes:
            entered.add(ident)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def load_bounded(
    data: str | bytes,
    loader: type[Any] | None = None,
    max_bytes: int | None = MAX_USER_FILE_BYTES,
) -> list[Any]:
    """Load every document of a YAML stream with bounded size and alias expansion.

    Raises UnsafeYAML (a YAMLError) for a stream over ``max_bytes`` or a
    document that aliases too much; other YAMLErrors as PyYAML raises them.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise UnsafeYAML(f"larger than {max_bytes >> 20} MiB")
    anchors = ("&" in data) if isinstance(data, str) else (b"&" in data)
    parser = (loader or SafeLoader)(data)
    try:
        documents = []
        while parser.check_node():
            node = parser.get_node()
            if anchors:  # no anchor, no alias: nothing to expand
                check_expansion(node)
            documents.append(parser.construct_document(node))
        return documents
    finally:
        parser.dispose()


def load_one(
    data: str | bytes, loader: type[Any] | None = None, max_bytes: int | None = MAX_USER_FILE_BYTES
) -> Any:
    """Load a single-document YAML text (as ``yaml.load``) with bounded size and alias
    expansion; a second document is a YAMLError, as PyYAML says it."""
    documents = load_bounded(data, loader, max_bytes)
    if len(documents) > 1:
        raise yaml.YAMLError("expected a single document in the stream, but found another")
    return documents[0] if documents else None


def read_text(path: Path, max_bytes: int = MAX_USER_FILE_BYTES) -> str:
    """Read a user text file (UTF-8) of bounded size: UnsafeYAML past ``max_bytes``,
    OSError and UnicodeDecodeError as raised."""
    return read_bounded(path, max_bytes).decode("utf-8")


def read_bounded(path: Path, max_bytes: int = MAX_USER_FILE_BYTES) -> bytes:
    """Read a user file, refusing (UnsafeYAML) one over ``max_bytes``; OSError as raised."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafeYAML(f"{path.name} is larger than {max_bytes >> 20} MiB")
    return data


def describe_yaml_error(error: yaml.YAMLError) -> str:
    """What went wrong and where, without quoting the document (it may hold a Secret)."""
    if isinstance(error, UnsafeYAML):
        return str(error)
    problem = getattr(error, "problem", None) or type(error).__name__
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


class UnreadableFile(Exception):
    """A user's YAML file that could not be read or loaded; the message says why,
    quoting none of its content."""


def load_file(path: Path, loader: type[Any] | None = None) -> Any:
    """Read and load a single-document user YAML file of bounded size (see
    :func:`read_text` and :func:`load_one`); raise UnreadableFile saying why."""
    try:
        return load_one(read_text(path), loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        why = describe_yaml_error(error) if isinstance(error, yaml.YAMLError) else str(error)
        raise UnreadableFile(why) from None
