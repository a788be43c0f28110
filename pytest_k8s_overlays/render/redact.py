"""Keep Secret values out of render-failure messages.

Kustomize's own error text quotes what it could not use: the configuration of
a builtin plugin (an inline patch of a Secret, a Helm chart's
``valuesInline``), every literal of a secretGenerator, the line of an env
file. Each such quotation is replaced by where to look (file and line); then
any value the overlay's Secret sources hold that still appears verbatim is
hidden too (defence in depth: a message shape not foreseen here).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ..core.fields import as_dict, as_list
from ..core.paths import display_path
from ..parse.kustomization import kustomization_file, read_kustomization
from ..parse.safe_yaml import load_bounded, read_bounded

#: Told a quoted piece of text (or the bytes of a line), returns where it is written.
Locate = Callable[[str | bytes], str | None]

HIDDEN = "<hidden: may hold Secret values>"

#: ``trouble configuring builtin PatchTransformer with config: `<yaml>`: ...``
_CONFIG_RE = re.compile(r"with config: `\n?(?P<material>.*?)\n?`(?=: |$)", re.DOTALL)
#: ``unable to parse SM or JSON patch from [patch: "..."]`` (Go's %v, one line).
_PATCH_FROM_RE = re.compile(r"(?P<lead>patch from )\[(?P<material>.*)\]$", re.MULTILINE)
#: ``line [80 65 83 ...] has invalid utf8 bytes : PASSWORD=...`` (secretGenerator envs).
_ENV_LINE_RE = re.compile(
    r"line \[(?P<codes>[0-9 ]+)\] has invalid utf8 bytes(?: : .*)?$", re.MULTILINE
)
#: ``literal sources [a=b =c]: invalid literal source =c, expected key=value``.
_BAD_LITERALS_RE = re.compile(
    r"literal sources \[.*?\]: invalid literal source (?P<bad>.*?), expected key=value",
    re.DOTALL,
)
#: ``literal sources [a=b =c]`` lists every literal of the generator.
_LITERALS_RE = re.compile(
    r"literal sources \[(?P<material>.*?)\](?=: invalid literal source |: |$)", re.DOTALL
)
#: ``invalid literal source =c, expected key=value``.
_BAD_LITERAL_RE = re.compile(
    r"invalid literal source (?P<material>.*?)(?P<tail>, expected key=value)", re.DOTALL
)
#: Kustomize's dumps of a node or a Go map: values follow.
_NODE_DUMP_RE = re.compile(r"node contents:.*", re.DOTALL)
_GO_MAP_DUMP_RE = re.compile(r"map\[[^\]]*\][^{\n]*\{.*\}")

#: Shorter values are too common to hide (``true``, ``80``) and hardly secret.
_MIN_SECRET = 4


def _hidden(where: str | None) -> str:
    return f"<hidden: may hold Secret values; see {where}>" if where else HIDDEN


def _decode_codes(codes: str) -> bytes:
    try:
        return bytes(int(code) for code in codes.split())
    except ValueError:  # a code over 255: not bytes after all
        return b""


def hide_quotations(message: str, locate: Locate | None = None) -> str:
    """Replace what Kustomize quotes from Secret sources with where to look."""
    where: Locate = locate or (lambda material: None)

    def config(match: re.Match[str]) -> str:
        return f"with config: {_hidden(where(match.group('material')))}"

    def patch_from(match: re.Match[str]) -> str:
        return f"{match.group('lead')}<hidden>"

    def env_line(match: re.Match[str]) -> str:
        found = where(_decode_codes(match.group("codes")))
        return f"line <hidden{'; see ' + found if found else ''}> has invalid utf8 bytes"

    def bad_literals(match: re.Match[str]) -> str:
        found = _hidden(where(match.group("bad")))
        return f"literal sources {found}: invalid literal source <hidden>, expected key=value"

    def literals(match: re.Match[str]) -> str:
        return f"literal sources {HIDDEN}"

    def bad_literal(match: re.Match[str]) -> str:
        return f"invalid literal source <hidden>{match.group('tail')}"

    message = _CONFIG_RE.sub(config, message)
    message = _PATCH_FROM_RE.sub(patch_from, message)
    message = _ENV_LINE_RE.sub(env_line, message)
    message = _BAD_LITERALS_RE.sub(bad_literals, message)
    message = _LITERALS_RE.sub(literals, message)
    message = _BAD_LITERAL_RE.sub(bad_literal, message)
    message = _NODE_DUMP_RE.sub(f"node contents: {HIDDEN}", message)
    return _GO_MAP_DUMP_RE.sub("<object hidden: may hold Secret values>", message)


# -- where the overlay's Secret material is written ---------------------------------


#: How many kustomizations of a chain the redactor reads at most.
_MAX_CHAIN = 200


def _chain(directory: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The overlay's kustomization files and what they hold, the overlay's first."""
    from ..parse.kustomization import referenced_directories

    seen: set[Path] = set()
    todo = [directory]
    while todo and len(seen) < _MAX_CHAIN:
        current = todo.pop(0)
        try:
            real = current.resolve()
        except OSError:
            continue
        if real in seen:
            continue
        seen.add(real)
        kfile = kustomization_file(current)
        if kfile is None:
            continue
        data = read_kustomization(kfile)
        yield kfile, data
        todo.extend(referenced_directories(current, data))


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, bool | int | float):
            yield str(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _generator_sources(kfile: Path, data: dict[str, Any]) -> Iterator[Path]:
    for generator in as_list(data.get("secretGenerator")):
        generator = as_dict(generator)
        for field in ("envs", "env", "files"):
            for entry in _strings(generator.get(field)):
                path = entry.split("=", 1)[1] if field == "files" and "=" in entry else entry
                yield kfile.parent / path


def _read_text(path: Path) -> bytes:
    try:
        return read_bounded(path, 4 << 20) if path.is_file() else b""
    except (OSError, ValueError, yaml.YAMLError):
        return b""


class Redactor:
    """Finds, in one overlay's kustomizations and Secret sources, where quoted
    material is written, and hides the values those sources hold."""

    def __init__(self, directory: Path, root: Path | None = None) -> None:
        self.directory = directory
        self.root = root
        self._files: list[tuple[Path, bytes]] | None = None
        self._values: list[str] | None = None

    # -- locating ---------------------------------------------------------------

    def _sources(self) -> list[tuple[Path, bytes]]:
        """Kustomization files first, then the secretGenerator sources they name."""
        if self._files is None:
            chain = list(_chain(self.directory))
            files = [(kfile, _read_text(kfile)) for kfile, _ in chain]
            for kfile, data in chain:
                files += [(path, _read_text(path)) for path in _generator_sources(kfile, data)]
            self._files = files
        return self._files

    def _shown(self, path: Path, line: int) -> str:
        return f"{display_path(os.path.normpath(path), self.root)}:{line}"

    def locate(self, material: str | bytes) -> str | None:
        """Where ``material`` (quoted text, or a line's bytes) is written: ``file:line``."""
        if isinstance(material, bytes):
            return self._locate_line(material) if material else None
        for candidate in _candidates(material):
            for exact in (True, False):
                found = self._locate_text(candidate, exact)
                if found:
                    return found
        return None

    def _locate_line(self, wanted: bytes) -> str | None:
        for path, data in self._sources():
            for number, line in enumerate(data.splitlines(), start=1):
                if line.rstrip(b"\r") == wanted:
                    return self._shown(path, number)
        return None

    def _locate_text(self, candidate: str, exact: bool) -> str | None:
        for path, data in self._sources():
            text = data.decode("utf-8", "replace")
            for number, line in enumerate(text.splitlines(), start=1):
                stripped = line.strip().removeprefix("- ").strip()
                if stripped == candidate if exact else candidate in line:
                    return self._shown(path, number)
        return None

    # -- hiding values ------------------------------------------------------------

    def values(self) -> list[str]:
        """Every value the overlay's Secret sources hold, longest first."""
        if self._values is None:
            found: set[str] = set()
            for kfile, data in _chain(self.directory):
                found.update(_generator_values(kfile, data))
                found.update(_inline_values(data))
                found.update(_secret_file_values(kfile, data))
            encoded = {_encoded(value) for value in found} | {_codes(value) for value in found}
            values = {v for v in found | encoded if len(v) >= _MIN_SECRET}
            self._values = sorted(values, key=lambda v: (-len(v), v))
        return self._values

    def scrub(self, message: str) -> str:
        """Hide every Secret value of the overlay that appears in ``message``."""
        for value in self.values():
            if value in message:
                message = message.replace(value, "<hidden>")
        return message

    def __call__(self, message: str) -> str:
        """Redact a message: quotations replaced by locations, then values hidden."""
        return self.scrub(hide_quotations(message, self.locate))


def _candidates(material: str) -> list[str]:
    """The lines of a quotation worth looking for, most telling first."""
    lines = [line.strip().removeprefix("- ").strip() for line in material.splitlines()]
    return [line for line in lines if len(line) >= _MIN_SECRET]


def _encoded(value: str) -> str:
    return base64.b64encode(value.encode("utf-8", "replace")).decode()


def _codes(value: str) -> str:
    # Kustomize prints a line with invalid UTF-8 as its decimal bytes.
    return " ".join(str(byte) for byte in value.encode("utf-8", "replace"))


def _generator_values(kfile: Path, data: dict[str, Any]) -> Iterator[str]:
    for generator in as_list(data.get("secretGenerator")):
        for literal in _strings(as_dict(generator).get("literals")):
            yield literal
            yield literal.split("=", 1)[-1]
    for source in _generator_sources(kfile, data):
        text = _read_text(source).decode("utf-8", "replace")
        for line in text.splitlines():
            yield line.strip()
            yield line.split("=", 1)[-1].strip()


def _inline_values(data: dict[str, Any]) -> Iterator[str]:
    """Values of inline patches of Secrets, and of Helm charts' valuesInline."""
    for chart in as_list(data.get("helmCharts")):
        yield from _strings(as_dict(chart).get("valuesInline"))
    for patch in as_list(data.get("patches")):
        text = as_dict(patch).get("patch")
        if isinstance(text, str) and "Secret" in text:
            yield from _patch_values(text)


_VALUE_RE = re.compile(r":\s*([^\s{}\[\],]+)")


def _patch_values(text: str) -> Iterator[str]:
    try:
        documents = load_bounded(text, max_bytes=1 << 20)
    except yaml.YAMLError:
        # A patch Kustomize could not parse either: every value after the data keys.
        tail = text.split("data", 1)[-1]
        yield from (match.group(1) for match in _VALUE_RE.finditer(tail))
        return
    for document in documents:
        yield from _secret_document_values(document)


def _secret_document_values(document: Any) -> Iterator[str]:
    document = as_dict(document)
    if document.get("kind") != "Secret":
        return
    yield from _strings(document.get("stringData"))
    for value in _strings(document.get("data")):
        yield value
        try:
            yield base64.b64decode(value, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue


def _secret_file_values(kfile: Path, data: dict[str, Any]) -> Iterator[str]:
    for entry in _strings(data.get("resources")):
        path = kfile.parent / entry
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        text = _read_text(path)
        if b"Secret" not in text:
            continue
        try:
            documents = load_bounded(text)
        except yaml.YAMLError:
            continue
        for document in documents:
            yield from _secret_document_values(document)
