"""One rendered resource as the diff sees it: its identity, its normalised text, masked.

- Identity is (API group, kind, namespace, name): an ``apiVersion`` bump of one
  object is a modification of it, not a removal and an addition.
- The text is YAML with sorted keys and lists in their order.
- A Secret's ``data``/``stringData`` values never reach the text: each key shows
  as ``<redacted>``, or ``<redacted, changed>`` / ``<redacted, added>`` /
  ``<redacted, removed>`` when the two sides' values (compared before masking)
  differ.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import yaml

from ..core.resources import SECRET_COPY_ANNOTATIONS

REDACTED = "<redacted>"
CHANGED = "<redacted, changed>"
ADDED = "<redacted, added>"
REMOVED = "<redacted, removed>"

#: The hash suffix Kustomize appends to a generated ConfigMap's or Secret's name.
HASH_SUFFIX = re.compile(r"^(?P<stem>.+)-[2456789bcdfghkmt]{10}$")
#: The kinds whose generators append it.
GENERATED_KINDS = frozenset({"ConfigMap", "Secret"})


class Identity(NamedTuple):
    """What makes two manifests of two sides the same object."""

    group: str
    kind: str
    namespace: str
    name: str

    def shown(self) -> str:
        """``Deployment.apps/ns/name`` (``Kind/name`` for the core group, no namespace)."""
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return "/".join(part for part in (kind, self.namespace, self.name) if part)

    def ref(self) -> str:
        """``Kind/namespace/name`` as findings and ignore rules name a resource."""
        return "/".join(part for part in (self.kind, self.namespace, self.name) if part)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def identity(raw: Mapping[str, Any]) -> Identity:
    """The object's identity: the API group (not the version), kind, namespace, name."""
    api = _text(raw.get("apiVersion"))
    group = api.rpartition("/")[0] if "/" in api else ""
    metadata = raw.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return Identity(
        group, _text(raw.get("kind")), _text(metadata.get("namespace")), _text(metadata.get("name"))
    )


def generated_stem(ident: Identity) -> str | None:
    """The name without Kustomize's hash suffix, for a generated ConfigMap or Secret."""
    if ident.kind not in GENERATED_KINDS:
        return None
    match = HASH_SUFFIX.match(ident.name)
    return match.group("stem") if match else None


class _Dumper(yaml.SafeDumper):
    """Block style throughout; a multi-line string as a literal block, line by line."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump(raw: Mapping[str, Any]) -> str:
    """Normalised YAML: sorted keys, lists in order, one block style."""
    return yaml.dump(
        raw,
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )


def is_secret(raw: Mapping[str, Any]) -> bool:
    return raw.get("kind") == "Secret"


def secret_values(raw: Mapping[str, Any]) -> dict[str, bytes]:
    """Every key of a Secret with its value as bytes (``data`` decoded, ``stringData``
    encoded; ``stringData`` wins, as the API server merges them)."""
    values: dict[str, bytes] = {}
    data = raw.get("data")
    if isinstance(data, Mapping):
        for key, value in data.items():
            try:
                values[str(key)] = base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                values[str(key)] = str(value).encode("utf-8", "replace")
    string_data = raw.get("stringData")
    if isinstance(string_data, Mapping):
        for key, value in string_data.items():
            values[str(key)] = str(value).encode("utf-8", "replace")
    return values


def _masked(raw: Mapping[str, Any], marks: Mapping[str, str]) -> dict[str, Any]:
    """A Secret with each value replaced by its mark (``<redacted>`` unless told), and
    the annotations that may copy it whole hidden."""
    copy = dict(raw)
    for field in ("data", "stringData"):
        values = raw.get(field)
        if isinstance(values, Mapping):
            copy[field] = {str(k): marks.get(str(k), REDACTED) for k in values}
        elif values is not None:
            copy[field] = REDACTED
    metadata = raw.get("metadata")
    if isinstance(metadata, Mapping):
        annotations = metadata.get("annotations")
        if isinstance(annotations, Mapping):
            hidden = {
                k: REDACTED if k in SECRET_COPY_ANNOTATIONS else v for k, v in annotations.items()
            }
            copy["metadata"] = {**metadata, "annotations": hidden}
    return copy


class SecretChange(NamedTuple):
    """Which keys of a Secret changed, by name only."""

    changed: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)


def mask_pair(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, SecretChange]:
    """Both sides of a Secret masked, change-aware: values compared before masking,
    never shown. A side that is not a Secret is returned as it is."""
    old = secret_values(before) if before is not None and is_secret(before) else {}
    new = secret_values(after) if after is not None and is_secret(after) else {}
    changed = tuple(sorted(k for k in old.keys() & new.keys() if old[k] != new[k]))
    added = tuple(sorted(new.keys() - old.keys())) if before is not None else ()
    removed = tuple(sorted(old.keys() - new.keys())) if after is not None else ()
    after_marks = {k: CHANGED for k in changed} | {k: ADDED for k in added}
    before_marks = {k: REMOVED for k in removed}
    masked_before = (
        _masked(before, before_marks) if before is not None and is_secret(before) else before
    )
    masked_after = _masked(after, after_marks) if after is not None and is_secret(after) else after
    return (
        dict(masked_before) if masked_before is not None else None,
        dict(masked_after) if masked_after is not None else None,
        SecretChange(changed, added, removed),
    )
