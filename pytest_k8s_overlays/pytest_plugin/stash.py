"""Where the plugin keeps its session state: typed keys into ``config.stash``.

The gate's own types are named as strings: this module is imported on every
pytest start-up, and the gate's modules only when the gate is active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pytest

from ..config.settings import Settings

if TYPE_CHECKING:
    from ..core.deployables import Deployable
    from ..core.resources import Overlay, Overlays
    from ..gate.state import Gate
    from ..gate.store import OverlayStore
    from .shared import SharedFindings


class ActiveGate(Protocol):
    """What the fixtures and items use of the active gate (:class:`.session.GateSession`)."""

    gate: Gate
    #: The deployables whose ``render`` item this session runs.
    render_selected: set[Deployable]
    #: The deployables whose ``application`` item this session runs.
    application_selected: set[Deployable]
    application_reasons: dict[Deployable, str | None]
    #: Which item shows a finding several deployables share in full.
    shared: SharedFindings

    def overlay_param(self, request: pytest.FixtureRequest) -> Overlay: ...

    def all_overlays(self) -> Overlays: ...


#: The fixture the plugin parametrizes with every deployable (``overlay`` is its alias).
OVERLAY_FIXTURE = "k8s_overlay"

SETTINGS_KEY = pytest.StashKey[Settings]()
#: The active gate (registered as a plugin), when overlays are configured.
SESSION_KEY: pytest.StashKey[ActiveGate] = pytest.StashKey()
#: The store of ``render_overlay`` when no gate exists.
STORE_KEY: pytest.StashKey[OverlayStore] = pytest.StashKey()
#: Why the render cache is off, when it had to be (a read-only directory).
CACHE_OFF_KEY = pytest.StashKey[str]()
#: Summaries pytest-xdist workers handed to the controller.
WORKER_SUMMARIES_KEY = pytest.StashKey[list[dict[str, Any]]]()
#: Finding records pytest-xdist workers handed to the controller (for the CI outputs).
WORKER_RECORDS_KEY = pytest.StashKey[list[dict[str, Any]]]()
#: What a fixture says when the stash holds no active gate.
NOT_CONFIGURED = (
    "no overlays configured: pass --overlays PATH (for example --overlays k8s/overlays) "
    "or set the ini key overlays"
)
