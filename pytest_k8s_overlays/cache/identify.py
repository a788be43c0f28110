"""A deployable's render unit and the content key of its inputs, without rendering it.

For whoever compares renders across states of a repository (a pull request's
rendered diff): two states with the same key for a unit render it alike, so
only units whose key changed need rendering again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.deployables import Deployable
from ..render.units import unit_of
from .inputs import Budget, Uncacheable
from .key import RenderKeys


@dataclass(frozen=True)
class UnitKey:
    """Who a deployable renders as, and the key of everything its render reads."""

    #: Unique in a session: deployables with one identity are one render.
    identity: str
    #: The render cache's key (renderer, build arguments, environment, every input's
    #: content); None when the inputs cannot be accounted for.
    key: str | None
    #: Why there is no key (a remote resource, a plugin, an input outside the repository).
    why: str | None = None


def unit_key(spec: Deployable, keys: RenderKeys, budget: Budget | None = None) -> UnitKey:
    """The render unit of ``spec`` and its cache key, reading its inputs (within
    ``budget``) but rendering nothing."""
    unit = unit_of(spec)
    if not unit.cached:
        return UnitKey(unit.identity, None, "rendered through another kustomization, never cached")
    try:
        return UnitKey(unit.identity, keys.unit_key(unit, budget))
    except Uncacheable as why:
        return UnitKey(unit.identity, None, str(why))
    except (OSError, ValueError) as error:
        return UnitKey(unit.identity, None, f"unreadable input: {error}")
