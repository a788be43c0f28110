"""``python -m pytest_k8s_overlays``: the gate-only command, as ``k8s-overlays``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
