"""How paths are shown: relative to the pytest rootdir, the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path | str, root: Path | None = None) -> str:
    """Show ``path`` relative to ``root`` (the current directory when None) when below it."""
    base = Path.cwd() if root is None else root
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        pass
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except (OSError, ValueError):
        return Path(os.path.normpath(path)).as_posix()
