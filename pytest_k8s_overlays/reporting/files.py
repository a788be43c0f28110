"""The one way a report file is written: whole or not at all, never through a symlink.

A pull request can commit a symbolic link where a report goes
(``k8s-overlays.sarif -> /somewhere/victim``, or a directory of its path):
writing through it would overwrite a file outside the repository. A report
is written to a temporary file beside it and renamed over it, which replaces
a link at its path rather than following it; a symlinked directory between
the repository root and the report is refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..core.text import encodable


def symlinked_directory(path: Path, root: Path) -> Path | None:
    """The first directory of ``path`` at or below ``root`` that is a symbolic link."""
    try:
        relative = path.parent.relative_to(root)
    except ValueError:
        return None  # chosen outside the checkout by whoever runs the gate
    directory = root
    for part in relative.parts:
        directory = directory / part
        if directory.is_symlink():
            return directory
    return None


def _umask() -> int:
    # Reading the umask means setting it: set it back at once (reports are written
    # at the end of the session, when no render thread runs).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: Path, payload: Any, root: Path) -> None:
    """Write ``payload`` as JSON at ``path`` atomically, replacing a symlink there
    rather than writing through it; a lone surrogate in a string is escaped.
    Raises OSError (a symlinked directory below ``root`` among them)."""
    write_text(path, json.dumps(encodable(payload), indent=2, ensure_ascii=False) + "\n", root)


def write_text(path: Path, text: str, root: Path) -> None:
    """Write ``text`` at ``path`` as :func:`write_json` writes JSON: atomically, never
    through a symlink. Raises OSError."""
    linked = symlinked_directory(path, root)
    if linked is not None:
        raise OSError(f"{linked} is a symbolic link; a report is never written through one")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:20]}-", suffix=".tmp")
    try:
        # mkstemp makes it 0600: a report is as readable as any file the user writes.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
