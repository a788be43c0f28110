"""Where the plugin keeps its session state: typed keys into ``config.stash``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .discovery import OverlaySpec
from .gate import Gate
from .settings import Settings
from .store import OverlayStore

SETTINGS_KEY = pytest.StashKey[Settings]()
GATE_KEY = pytest.StashKey[Gate]()
#: The store of ``render_overlay`` when no --overlays gate exists.
STORE_KEY = pytest.StashKey[OverlayStore]()
#: Why the render cache is off, when it had to be (a read-only directory).
CACHE_OFF_KEY = pytest.StashKey[str]()
SPECS_BY_FILE_KEY = pytest.StashKey[dict[Path, OverlaySpec]]()
#: Summaries pytest-xdist workers handed to the controller.
WORKER_SUMMARIES_KEY = pytest.StashKey[list[dict[str, Any]]]()
