"""Render units: one per kind of deployable, and their keys without rendering."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pytest_k8s_overlays.cache.identify import unit_key
from pytest_k8s_overlays.cache.key import RenderKeys
from pytest_k8s_overlays.core.deployables import COMPONENT, Deployable
from pytest_k8s_overlays.render.units import ApplicationUnit, ComponentUnit, OverlayUnit, unit_of

from .builders import write
from .test_store import RENDERER, CountingRenderer, application, cache_in, overlays, store
from .test_store import counting as counting


def specs_of_each_kind(root: Path) -> Sequence[Deployable]:
    [overlay] = overlays(root, "a")
    kfile = write(root, "components/c/kustomization.yaml", "kind: Component\n")
    component = Deployable("c", "ov", kfile.parent, kfile, COMPONENT, consumers=(overlay.path,))
    return [overlay, application(root, "api"), component]


def test_each_kind_of_deployable_is_one_kind_of_unit(tmp_path: Path) -> None:
    found = [unit_of(spec) for spec in specs_of_each_kind(tmp_path)]
    assert [type(unit) for unit in found] == [OverlayUnit, ApplicationUnit, ComponentUnit]
    assert [(unit.cached, unit.judged) for unit in found] == [
        (True, True),
        (True, True),
        (False, False),
    ]
    assert len({unit.identity for unit in found}) == 3


def test_unit_key_gives_identity_and_key_without_rendering(
    tmp_path: Path, counting: CountingRenderer
) -> None:
    overlay, app, component = specs_of_each_kind(tmp_path)
    keys = RenderKeys(RENDERER, (), {})
    before = unit_key(overlay, keys)
    assert before.identity == unit_of(overlay).identity
    assert before.key is not None
    assert before.why is None
    assert unit_key(app, keys).key is not None
    assert unit_key(component, keys).key is None
    assert unit_key(component, keys).why == "rendered through another kustomization, never cached"
    # The same key the store computes for its cache.
    gate = store(tmp_path, cache_in(tmp_path))
    gate.result(overlay)
    assert gate.key_of(overlay) == before.key
    write(tmp_path, "ov/a/kustomization.yaml", "resources: []\nnamePrefix: x-\n")
    assert unit_key(overlay, RenderKeys(RENDERER, (), {})).key != before.key
    remote = write(tmp_path, "ov/r/kustomization.yaml", "resources: [github.com/acme/x]\n")
    far = unit_key(Deployable("r", "ov", remote.parent, remote), keys)
    assert far.key is None
    assert far.why
    assert counting.builds == {"a": 1}  # the store's render only
