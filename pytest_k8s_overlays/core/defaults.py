"""Defaults the settings table and the core share, each written once."""

from __future__ import annotations

#: Seconds a render may take before it is killed (``--overlays-timeout``).
DEFAULT_TIMEOUT = 60.0

#: Image patterns that mean "the overlay forgot its images: entry".
DEFAULT_PLACEHOLDERS = ("*placeholder*",)
