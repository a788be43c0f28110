"""A content-addressed render cache that is never stale.

- :mod:`.inputs`: what a build reads (the kustomization chain and the files it
  names); whatever files cannot describe makes a render uncacheable;
- :mod:`.key`: the key of a render, from its inputs' content, the renderer and
  its arguments;
- :mod:`.store`: the entries on disk (renders and check findings).
"""

from __future__ import annotations

from .entries import Entry, RenderCache, json_exact
from .inputs import Inputs, Uncacheable, inputs
from .key import code_fingerprint

__all__ = [
    "Entry",
    "Inputs",
    "RenderCache",
    "Uncacheable",
    "code_fingerprint",
    "inputs",
    "json_exact",
]
