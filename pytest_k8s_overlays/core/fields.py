"""Reading manifest fields: a malformed value (a YAML typo) reads as empty, never crashes.

Every check and the resource model read fields through these helpers, so a
``ports: 8080`` or a map where a name belongs is "nothing declared there" in
one place; the schema check is the one that reports such typos.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The protocol of a port that does not say (Kubernetes' default).
DEFAULT_PROTOCOL = "TCP"


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a map, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def dicts(value: Any) -> list[dict[str, Any]]:
    """The maps of a list (``ports:``, ``rules:``); nothing when ``value`` is no list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def str_dict(value: Any) -> dict[str, str]:
    """A map of labels or annotations as text (YAML may have made numbers of them)."""
    return {str(k): str(v) for k, v in as_dict(value).items()}


def integer(value: Any) -> int | None:
    """An integer as YAML wrote it (a boolean is none)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def port_number(value: Any) -> int | None:
    """Read a port number: an int, or a string of digits; None for a name."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return integer(value)


def port_name(value: Any) -> str | None:
    """Read a port name: a non-empty string that is not a number."""
    if isinstance(value, str) and value and not value.isdigit():
        return value
    return None


def protocol(port: Mapping[str, Any]) -> str:
    """A port's protocol, TCP when unset (a malformed value counts as unset)."""
    value = port.get("protocol")
    return value if isinstance(value, str) and value else DEFAULT_PROTOCOL


def shown(value: Any) -> str:
    """A scalar as written; a map or a list (a YAML typo) as a placeholder, never dumped."""
    if isinstance(value, dict | list):
        return "(a map)" if isinstance(value, dict) else "(a list)"
    return str(value)
