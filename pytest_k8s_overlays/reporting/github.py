"""GitHub Actions workflow commands: one ``::error`` annotation per finding.

Escaping follows actions/toolkit (``packages/core/src/command.ts``), which the
runner undoes (``ActionCommand.cs``): in the message, ``%``, CR and LF; in a
property, also ``:`` and ``,`` (a bare ``,`` would start another property, a
``::`` would end the command's header). Other control characters (ESC, NUL),
which the runner would print as they are, are escaped first, and each line
is bounded (:func:`~pytest_k8s_overlays.core.text.shown_lines`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.findings import plural
from ..core.text import shown_lines
from .priority import Priority, first
from .records import Record
from .shared import per_location

#: GitHub shows at most 10 error annotations per step (and 50 per job) and
#: drops the rest silently: annotate that many, then say how many more there are.
ANNOTATION_LIMIT = 10


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return shown_lines(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    """One workflow command line: ``::name key=value,...::message``."""
    shown = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}"


def annotation(record: Record) -> str:
    """The ``::error`` line of one record: the overlay and rule as title, the
    finding and its hint as message, on the file and line it is about."""
    also = record.get("also", [])
    overlays = f"{record['overlay']} and {len(also)} more" if also else record["overlay"]
    if record["check"] == record["rule"]:  # a render failure
        title = f"{overlays}: {record['check']}"
        message = f"{record['message']}\nhint: {record['hint']}"
    else:
        title = f"{overlays}: {record['check']} [{record['rule']}]"
        message = f"{record['message']}\nhint [{record['rule']}]: {record['hint']}"
    source = record["source"]
    return command("error", message, file=source["file"], line=source["line"], title=title)


def annotation_lines(
    records: Sequence[Record], limit: int = ANNOTATION_LIMIT, priority: Priority | None = None
) -> list[str]:
    """The workflow commands for ``records``: an annotation for each reported one, up
    to ``limit``, then a notice saying how many more the log holds. A finding several
    deployables share is annotated once, naming them. With a ``priority`` (a pull
    request's), its own findings come first."""
    located = first(per_location(records), priority)
    reported = [record for record in located if not record["suppressed"]]
    lines = [annotation(record) for record in reported[:limit]]
    rest = len(reported) - limit
    if rest > 0:
        lines.append(
            command(
                "notice",
                f"k8s-overlays: {plural(rest, 'more finding')} not annotated (GitHub shows "
                f"{limit} error annotations per step): see the test failures in this log, "
                "or the SARIF report in code scanning",
                title="k8s-overlays",
            )
        )
    return lines
