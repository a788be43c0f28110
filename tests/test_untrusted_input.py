"""Untrusted kustomizations: whatever their shape, one overlay fails cleanly, never the session."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from pytest_k8s_overlays.cache import Uncacheable, inputs

from .builders import write

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n"

#: A list nested deeper than Python's recursion limit allows a naive walk.
DEEP = "[" * 990 + "cm.yaml" + "]" * 990

#: Each shape a value can take, as YAML; ``*x`` is a string anchored in the
#: kustomization's own metadata (a field Kustomize ignores).
SHAPES = {
    "int": "5",
    "date": "2024-01-01",
    "null": "~",
    "list": "[[cm.yaml], 1]",
    "map": "{path: cm.yaml}",
    "alias": "*x",
    "recursive-alias": "&a [cm.yaml, *a]",
    "deep-list": DEEP,
}

#: Every kustomization field the cache key or the wrapper kustomization reads.
TOP_FIELDS = (
    "resources",
    "bases",
    "components",
    "crds",
    "configurations",
    "patchesStrategicMerge",
    "generators",
    "transformers",
    "validators",
    "patches",
    "patchesJson6902",
    "replacements",
    "configMapGenerator",
    "secretGenerator",
    "openapi",
    "helmGlobals",
    "helmCharts",
    "sortOptions",
)
#: The same fields' nested entries (``@`` stands for the value).
NESTED_FIELDS = (
    "configMapGenerator: [{name: g, files: @}]",
    "configMapGenerator: [{name: g, envs: @}]",
    "configMapGenerator: [{name: g, env: @}]",
    "secretGenerator: [{name: g, files: @}]",
    "patches: [{path: @}]",
    "patchesJson6902: [{path: @}]",
    "replacements: [{path: @}]",
    "openapi: {path: @}",
    "helmGlobals: {chartHome: @}",
    "helmCharts: [{name: @}]",
    "helmCharts: [{name: c, repo: @}]",
    "helmCharts: [{name: c, valuesFile: @}]",
    "helmCharts: [{name: c, additionalValuesFiles: @}]",
    "sortOptions: {order: legacy, legacySortOptions: {orderFirst: @}}",
)


def _cases(shape: str, level: str) -> dict[str, str]:
    """Overlay name -> kustomization text, one per field of ``level`` (``top``: the
    kustomization's own fields, ``nested``: their entries' fields) set to ``shape``."""
    value = SHAPES[shape]
    cases = {}
    for field in TOP_FIELDS if level == "top" else ():
        resources = "" if field == "resources" else "resources: [cm.yaml]\n"
        cases[f"{field}-{shape}"] = f"{resources}{field}: {value}\n"
    for index, template in enumerate(NESTED_FIELDS if level == "nested" else ()):
        cases[f"nested{index}-{shape}"] = f"resources: [cm.yaml]\n{template.replace('@', value)}\n"
    prelude = "metadata: {annotations: {x: &x cm.yaml}}\n"
    return {name: prelude + text for name, text in cases.items()}


def _outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """Each overlay's render item: (outcome, first line of its failure message)."""
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        failure = case.find("failure")
        name = str(case.get("classname")).split(".")[1]
        message = failure.get("message", "") if failure is not None else ""
        found[name] = ("failed" if failure is not None else "passed", message.split("\n")[0])
    return found


#: What Kustomize itself says of some fields and shapes, in its own words, as that
#: overlay's failure.
KUSTOMIZE_SAYS = {
    "patches-int": "invalid Kustomization: json: cannot unmarshal number into Go struct field "
    "Kustomization.patches of type []types.Patch",
    "resources-recursive-alias": "invalid Kustomization: yaml: anchor 'a' value contains itself",
}


@pytest.mark.parametrize("level", ["top", "nested"])
@pytest.mark.parametrize("shape", SHAPES)
def test_fuzzed_kustomization_fields_fail_their_own_overlay_only(
    pytester: pytest.Pytester, shape: str, level: str
) -> None:
    cases = _cases(shape, level)
    for name, text in cases.items():
        write(pytester.path, f"fz/{name}/kustomization.yaml", text)
        write(pytester.path, f"fz/{name}/cm.yaml", CM)
    write(pytester.path, "fz/healthy/kustomization.yaml", "resources: [cm.yaml]\n")
    write(pytester.path, "fz/healthy/cm.yaml", CM)
    result = pytester.runpytest(
        "--overlays=fz", "--overlays-checks=render", "--junitxml=fz.xml", "--overlays-timeout=30"
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.stdout.no_fnmatch_line("*crashed*")
    outcomes = _outcomes(pytester.path / "fz.xml")
    failed = any(outcome == "failed" for outcome, _ in outcomes.values())
    assert result.ret == (pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK)
    assert set(outcomes) == {*cases, "healthy"}
    assert outcomes["healthy"] == ("passed", "")
    unclean = {
        name: outcome
        for name, outcome in outcomes.items()
        if outcome[0] == "failed"
        # Kustomize's innermost cause leads the first line (the JUnit message): the
        # overlay's own failure, not a crash of the gate.
        and (not outcome[1].startswith(f"{name}: ") or "check crashed" in outcome[1])
    }
    assert unclean == {}
    said = {name: outcomes[name] for name in KUSTOMIZE_SAYS if name in cases}
    assert said == {
        name: ("failed", f"{name}: kustomize build failed: {text}")
        for name, text in KUSTOMIZE_SAYS.items()
        if name in cases
    }


@pytest.mark.parametrize("cache", ["--overlays-cache", "--overlays-no-cache"])
def test_odd_sort_options_fail_the_overlay_with_or_without_the_cache(
    pytester: pytest.Pytester, cache: str
) -> None:
    # The wrapper kustomization copies sortOptions: a date, bytes, a set or a
    # cycle used to crash json.dumps on every build, cache or not.
    for name, value in {
        "date": "2024-01-01",
        "binary": "!!binary aGk=",
        "set": "!!set {a: ~}",
        "cycle": "&a {order: *a}",
    }.items():
        write(
            pytester.path,
            f"so/{name}/kustomization.yaml",
            f"resources: [cm.yaml]\nsortOptions: {value}\n",
        )
        write(pytester.path, f"so/{name}/cm.yaml", CM)
    write(
        pytester.path,
        "so/legacy/kustomization.yaml",
        "resources: [cm.yaml]\nsortOptions:\n  order: legacy\n"
        "  legacySortOptions: {orderFirst: [ConfigMap], orderLast: []}\n",
    )
    write(pytester.path, "so/legacy/cm.yaml", CM)
    result = pytester.runpytest("--overlays=so", "--overlays-checks=render", cache)
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.assert_outcomes(passed=1, failed=4)
    result.stdout.fnmatch_lines(
        [
            "date: kustomize build failed: invalid Kustomization: json: cannot unmarshal string "
            "into Go struct field Kustomization.sortOptions of type types.SortOptions",
        ]
    )


def _laughs(field: str) -> str:
    """Nine levels of nine aliases: 387 million entries once expanded, 500 bytes written."""
    lines = [f"{field}:", "- cm.yaml", "- &l0 [" + ", ".join(["cm.yaml"] * 9) + "]"]
    lines += [f"- &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_or_a_path_to_the_root_cannot_hang_the_session(
    pytester: pytest.Pytester,
) -> None:
    write(pytester.path, "ov/laughs/kustomization.yaml", _laughs("resources"))
    sort_laughs = _laughs("    orderFirst").replace("\n- ", "\n    - ")
    write(
        pytester.path,
        "ov/sort-laughs/kustomization.yaml",
        "resources: [cm.yaml]\nsortOptions:\n  order: legacy\n  legacySortOptions:\n" + sort_laughs,
    )
    write(pytester.path, "ov/root/kustomization.yaml", "resources: [cm.yaml, /]\n")
    up = "/".join([".."] * 40)
    write(
        pytester.path,
        "ov/up/kustomization.yaml",
        f"resources: [cm.yaml]\nhelmGlobals: {{chartHome: {up}}}\n",
    )
    for name in ("laughs", "sort-laughs", "root", "up"):
        write(pytester.path, f"ov/{name}/cm.yaml", CM)
    # A generous bound: a hang (the key walking 387 million entries) is what fails.
    result = pytester.runpytest_subprocess(
        "--overlays=ov", "--overlays-checks=render", "--overlays-timeout=20", timeout=240
    )
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "laughs: kustomize build failed: invalid Kustomization: yaml: document contains "
            "excessive aliasing",
            "sort-laughs: kustomize build failed: invalid Kustomization: yaml: document contains "
            "excessive aliasing",
            "root: new root '/' cannot be absolute",
            "  not cached: ov/laughs: *excessive aliasing: the document expands to more than "
            "100000 nodes",
            "  not cached: ov/root: absolute path / in *",
            # The chart home ``../`` x 40 is ``/``: outside the repository, never read.
            "  not cached: ov/up: * in * resolves outside the repository (never read)",
        ]
    )


def test_the_loader_bounds_alias_expansion_and_size() -> None:
    from pytest_k8s_overlays.parse.safe_yaml import UnsafeYAML, load_bounded

    laughs = _laughs("resources")
    with pytest.raises(UnsafeYAML, match="excessive aliasing"):
        load_bounded(laughs)
    with pytest.raises(UnsafeYAML, match="an alias contains itself"):
        load_bounded("a: &a [x, *a]\n")
    with pytest.raises(UnsafeYAML, match="larger than 1 MiB"):
        load_bounded("a: " + "x" * (1 << 20) + "\n", max_bytes=1 << 20)
    # Ordinary anchors and merge keys still load, shared as written.
    assert load_bounded("base: &b {a: 1}\nprod: {<<: *b, c: 2}\n") == [
        {"base": {"a": 1}, "prod": {"a": 1, "c": 2}}
    ]
    assert issubclass(UnsafeYAML, yaml.YAMLError)  # every existing handler catches it


def test_a_kustomization_the_plugin_refuses_names_why(tmp_path: Path) -> None:
    from pytest_k8s_overlays.parse.kustomization import KustomizationError, load_kustomization

    kfile = write(tmp_path, "o/kustomization.yaml", _laughs("resources"))
    with pytest.raises(KustomizationError, match="excessive aliasing"):
        load_kustomization(kfile)
    with pytest.raises(Uncacheable, match=r"kustomization\.yaml not loadable YAML: excessive"):
        inputs(tmp_path / "o")
    write(tmp_path, "fifo/kustomization.yaml", "resources: [pipe]\n")
    os.mkfifo(tmp_path / "fifo/pipe")
    with pytest.raises(Uncacheable, match=r"pipe in .* is not a regular file"):
        inputs(tmp_path / "fifo")
    write(tmp_path, "nul/kustomization.yaml", 'resources: ["a\\0b"]\n')
    with pytest.raises(Uncacheable, match="is not a local file or directory"):
        inputs(tmp_path / "nul")


def test_keying_an_overlay_is_bounded(tmp_path: Path) -> None:
    import time

    from pytest_k8s_overlays.cache.entries import RenderCache
    from pytest_k8s_overlays.cache.inputs import Budget
    from pytest_k8s_overlays.render.engine import Renderer

    for index in range(4):
        write(tmp_path, f"o/cm{index}.yaml", CM)
    write(tmp_path, "o/kustomization.yaml", "resources: [cm0.yaml, ../o/cm1.yaml, cm0.yaml]\n")
    cache = RenderCache(tmp_path / "c", Renderer(("/bin/true",), "/bin/true", "v5", "t"), ())
    # Five files under the overlay, two of them named again: seven reads.
    cache.keys.key(tmp_path / "o", Budget(max_files=7))
    with pytest.raises(Uncacheable, match="it reads more than 6 files"):
        cache.keys.key(tmp_path / "o", Budget(max_files=6))
    with pytest.raises(Uncacheable, match="more than 1 entries"):
        cache.keys.key(tmp_path / "o", Budget(max_entries=1))
    with pytest.raises(Uncacheable, match="too slow"):
        cache.keys.key(
            tmp_path / "o", Budget(deadline=time.monotonic() - 1, why_deadline="too slow")
        )
    write(tmp_path, "d/kustomization.yaml", "resources: [../..]\n")
    with pytest.raises(Uncacheable, match=r"\.\./\.\. in .* is a directory with no kustomization"):
        inputs(tmp_path / "d")


def test_a_crash_while_rendering_fails_that_overlay_only(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_k8s_overlays.parse import documents as parsing
    from pytest_k8s_overlays.render import units

    original = parsing.parse_render

    def crash_on_b(text: str | bytes, wrapper: Path | None) -> object:
        if "name: b" in str(text):
            raise TypeError("'int' object is not iterable")
        return original(text, wrapper)

    monkeypatch.setattr(units, "parse_render", crash_on_b)
    for name in ("a", "b"):
        write(pytester.path, f"ov/{name}/kustomization.yaml", "resources: [cm.yaml]\n")
        write(pytester.path, f"ov/{name}/cm.yaml", CM.replace("name: c", f"name: {name}"))
    result = pytester.runpytest("--overlays=ov", "--overlays-checks=render")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "b: the gate crashed while rendering: TypeError: 'int' object is not iterable (at "
            "units.py:* in render; test_untrusted_input.py:* in crash_on_b). This is a bug in "
            "pytest-k8s-overlays, not in your overlay: *"
        ]
    )


def test_keying_an_argo_cd_application_is_bounded_like_an_overlay(tmp_path: Path) -> None:
    import time

    from pytest_k8s_overlays.cache.entries import RenderCache
    from pytest_k8s_overlays.cache.inputs import Budget
    from pytest_k8s_overlays.core.applications import Recipe, SourcePlan
    from pytest_k8s_overlays.render.engine import Renderer

    for index in range(4):
        write(tmp_path, f"o/cm{index}.yaml", CM)
    write(tmp_path, "o/kustomization.yaml", "resources: [cm0.yaml, cm1.yaml, cm2.yaml]\n")
    write(tmp_path, "plain/cm.yaml", CM)
    cache = RenderCache(tmp_path / "c", Renderer(("/bin/true",), "/bin/true", "v5", "t"), ())
    kustomized = Recipe((SourcePlan("kustomize", tmp_path / "o", tmp_path, "{}"),), "team")
    directory = Recipe((SourcePlan("directory", tmp_path / "plain", tmp_path, "{}"),), "team")
    # As for an overlay: five files under it, three of them named again.
    cache.keys.recipe_key(kustomized, Budget(max_files=8))
    with pytest.raises(Uncacheable, match="it reads more than 7 files"):
        cache.keys.recipe_key(kustomized, Budget(max_files=7))
    late = Budget(deadline=time.monotonic() - 1, why_deadline="too slow")
    for recipe in (kustomized, directory):
        with pytest.raises(Uncacheable, match="too slow"):
            cache.keys.recipe_key(recipe, late)
