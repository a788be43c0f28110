"""Start-up reads each kustomization once per content, however many parts ask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_k8s_overlays.cache.key import RenderKeys
from pytest_k8s_overlays.core.provenance import Provenance
from pytest_k8s_overlays.parse import kustomization, patches
from pytest_k8s_overlays.parse.documents import PATCHED_IN, to_resources
from pytest_k8s_overlays.parse.kustomization import load_kustomization
from pytest_k8s_overlays.parse.patches import kustomization_patches
from pytest_k8s_overlays.render.units import unit_of
from pytest_k8s_overlays.sources.kustomize.components import with_components
from pytest_k8s_overlays.sources.kustomize.overlays import discover_all

from .builders import write
from .test_store import RENDERER


def count_loads(monkeypatch: pytest.MonkeyPatch, module: Any) -> Callable[[], int]:
    """Count the YAML loads ``module`` makes."""
    calls = []
    original = module.load_bounded

    def counting(data: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(data)
        return original(data, *args, **kwargs)

    monkeypatch.setattr(module, "load_bounded", counting)
    return lambda: len(calls)


def test_a_kustomization_is_loaded_once_per_content_and_each_caller_gets_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = count_loads(monkeypatch, kustomization)
    kfile = write(tmp_path, "once/kustomization.yaml", f"# {tmp_path}\nresources: [a.yaml]\n")
    first = load_kustomization(kfile)
    first["resources"].append("b.yaml")
    assert load_kustomization(kfile) == {"resources": ["a.yaml"]}
    assert loads() == 1
    kfile.write_text(f"# {tmp_path}\nresources: [c.yaml]\n")
    assert load_kustomization(kfile) == {"resources": ["c.yaml"]}
    assert loads() == 2


def test_start_up_loads_each_kustomization_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A profile at 1,000 overlays showed 4,002 loads of 2,001 files: discovery, the
    # Components' consumers, the confinement check and the cache key each read them.
    # Contents of this test only: what other tests loaded is remembered too.
    unique = f"# {tmp_path}\n"
    write(tmp_path, "app/base/kustomization.yaml", f"{unique}resources: []\n")
    for index in range(20):
        text = f"{unique}resources: [../base]\nnamePrefix: ov{index}-\n"
        write(tmp_path, f"app/ov{index}/kustomization.yaml", text)
    loads = count_loads(monkeypatch, kustomization)
    groups = with_components(discover_all([("app", tmp_path)], rootdir=tmp_path))
    keys = RenderKeys(RENDERER, (), {})
    for spec in groups[0].overlays:
        keys.unit_key(unit_of(spec))
    assert len(groups[0].overlays) == 20
    assert loads() == 21


def test_patches_of_more_kustomizations_than_a_small_memo_holds_are_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each render asks for its kustomizations' patches in turn: a memo of 1,024 files,
    # read in a cycle of 1,100, remembered nothing.
    kfiles = [
        write(
            tmp_path,
            f"ov{index}/kustomization.yaml",
            f"patches: [{{patch: '{tmp_path} {index}'}}]\n",
        )
        for index in range(1100)
    ]
    loads = count_loads(monkeypatch, patches)
    for _ in range(2):
        for kfile in kfiles:
            kustomization_patches(kfile, tmp_path)
    assert loads() <= 2 * len(kfiles)  # the kustomization, and its inline patch


def test_a_render_reads_its_patches_only_when_a_finding_asks_where_a_field_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A group check reads every render again after one edit (1,000 at a time): finding
    # each resource's patches cost a quarter of a second of it, for no finding at all.
    kfile = write(
        tmp_path,
        "prod/kustomization.yaml",
        "resources: [../base]\npatches:\n  - path: replicas.yaml\n",
    )
    write(
        tmp_path,
        "prod/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {replicas: 3}\n",
    )
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}}
    origin = {PATCHED_IN: [str(kfile)]}
    found = []

    def counting(kfile: Path, root: Path | None) -> Any:
        found.append(kfile)
        return kustomization_patches(kfile, root)

    monkeypatch.setattr(patches, "kustomization_patches", counting)
    [api] = to_resources([(deployment, "base/deployment.yaml", origin)], tmp_path)
    assert found == []
    assert api.source_of("spec.replicas") == Provenance(
        "base/deployment.yaml", "prod/replicas.yaml"
    )
    assert found == [kfile]
    assert (
        str(api.source_of("spec.replicas")) == "prod/replicas.yaml, patching base/deployment.yaml"
    )
    assert found == [kfile]  # found once
