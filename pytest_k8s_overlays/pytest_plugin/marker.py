"""The marker every item of the gate carries: ``-m k8s_overlays`` selects them."""

from __future__ import annotations

MARKER = "k8s_overlays"
