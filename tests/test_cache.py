"""The render cache: content-addressed, atomic, never stale."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pytest_k8s_overlays.cache import Entry, RenderCache, Uncacheable, inputs, json_exact
from pytest_k8s_overlays.cache.entries import GRACE_SECONDS, REFRESH_SECONDS, Pruned
from pytest_k8s_overlays.cache.key import FORMAT
from pytest_k8s_overlays.core.findings import Finding
from pytest_k8s_overlays.render.engine import Renderer

from .builders import add_patch, kubectl_pin, kustomize_version, write

RENDERER = Renderer(("/bin/true", "kustomize"), "/bin/true", kustomize_version(), "test")

#: A feature-rich overlay: a component, generators with files and envs, a
#: strategic-merge and a JSON 6902 patch, and replacements.
RICH = {
    "base/kustomization.yaml": """
        resources: [deployment.yaml]
        """,
    "base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, labels: {app: api}}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              containers:
                - name: api
                  image: ghcr.io/acme/api:1.0.0
                  env: [{name: REGION, value: eu}]
        """,
    "component/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        patches:
          - path: tier.yaml
        """,
    "component/tier.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, annotations: {tier: gold}}
        """,
    "overlay/kustomization.yaml": """
        namespace: auth
        namePrefix: auth-
        resources: [../base]
        components: [../component]
        configMapGenerator:
          - name: settings
            files: [config/app.properties]
            envs: [vars.env]
        patches:
          - path: smp.yaml
          - path: json6902.yaml
            target: {kind: Deployment, name: api}
        replacements:
          - path: replacements.yaml
        """,
    "overlay/config/app.properties": "timeout=30\n",
    "overlay/vars.env": "MODE=fast\n",
    "overlay/smp.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec: {replicas: 2}
        """,
    "overlay/json6902.yaml": """
        - op: add
          path: /metadata/labels/owner
          value: team-a
        """,
    "overlay/replacements.yaml": """
        - source: {kind: ConfigMap, name: settings, fieldPath: metadata.name}
          targets:
            - select: {kind: Deployment}
              fieldPaths: [spec.template.metadata.annotations.settings]
              options: {create: true}
        """,
}

#: For each input file, an edit that changes the render.
EDITS = {
    "base/kustomization.yaml": (
        "resources: [deployment.yaml]",
        "resources: [deployment.yaml]\ncommonAnnotations: {note: edited}",
    ),
    "base/deployment.yaml": ("REGION, value: eu", "REGION, value: us"),
    "component/kustomization.yaml": (
        "- path: tier.yaml",
        "- path: tier.yaml\nlabels: [{pairs: {c: d}}]",
    ),
    "component/tier.yaml": ("tier: gold", "tier: silver"),
    "overlay/kustomization.yaml": ("namePrefix: auth-", "namePrefix: auth2-"),
    "overlay/config/app.properties": ("timeout=30", "timeout=60"),
    "overlay/vars.env": ("MODE=fast", "MODE=safe"),
    "overlay/smp.yaml": ("replicas: 2", "replicas: 3"),
    "overlay/json6902.yaml": ("team-a", "team-b"),
    "overlay/replacements.yaml": (
        "spec.template.metadata.annotations.settings",
        "spec.template.metadata.annotations.cfg",
    ),
}

DUMP = """
import json
import os

def test_dump(overlay):
    with open("dump.json", "w") as handle:
        json.dump([r.raw for r in overlay.resources], handle, sort_keys=True)
"""


def test_every_input_file_is_part_of_the_key(pytester: pytest.Pytester) -> None:
    for relative, text in RICH.items():
        write(pytester.path, relative, text)
    pytester.makepyfile(test_dump=DUMP)
    args = ("--overlays", "overlay", "--overlays-checks=render")

    first = pytester.runpytest(*args)
    first.assert_outcomes(passed=2)
    first.stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])
    warm = pytester.runpytest(*args)
    warm.stdout.fnmatch_lines(["0 overlays rendered, 1 from the cache"])
    before = (pytester.path / "dump.json").read_text()

    assert set(EDITS) == set(RICH), "every input file gets an edit"
    for relative, (old, new) in EDITS.items():
        path = pytester.path / relative
        text = path.read_text()
        assert old in text, relative
        path.write_text(text.replace(old, new))
        result = pytester.runpytest(*args)
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])
        after = (pytester.path / "dump.json").read_text()
        assert after != before, f"editing {relative} did not change the render"
        before = after


def test_a_corrupt_entry_is_ignored_and_rewritten(pytester: pytest.Pytester, example: Path) -> None:
    args = ("--overlays", "k8s/overlays/auth", "--overlays-checks=render")
    pytester.runpytest(*args).stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])
    [entry] = (pytester.path / ".pytest_cache/d/k8s-overlays").glob("*.json")
    entry.write_text('{"format": 1, "key": "')
    pytester.runpytest(*args).stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])
    # A signature line, then the JSON.
    assert json.loads(entry.read_text().split("\n", 1)[1])["key"] == entry.stem
    pytester.runpytest(*args).stdout.fnmatch_lines(["0 overlays rendered, 1 from the cache"])
    assert not list(entry.parent.glob("*.tmp")), "temporary files are renamed, never left"


def test_no_cache_and_cache_clear_bypass_it(pytester: pytest.Pytester, example: Path) -> None:
    args = ("--overlays", "k8s/overlays/auth", "--overlays-checks=render")
    pytester.runpytest(*args)
    pytester.runpytest(*args, "--overlays-no-cache").stdout.fnmatch_lines(["1 overlay rendered"])
    pytester.runpytest(*args, "--cache-clear").stdout.fnmatch_lines(
        ["1 overlay rendered, 0 from the cache"]
    )


def test_a_remote_base_is_not_cached_and_the_summary_says_so(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        "remote/kustomization.yaml",
        "resources:\n  - https://github.com/acme/platform//k8s/base?ref=v1\n",
    )
    result = pytester.runpytest("--overlays", "remote", "--overlays-timeout=20")
    result.stdout.fnmatch_lines(
        [
            "1 overlay rendered, 0 from the cache, 1 not cacheable",
            "  not cached: remote: remote https://github.com/acme/platform//k8s/base?ref=v1 in *",
        ]
    )


def _cache(tmp_path: Path, **changes: object) -> RenderCache:
    renderer = changes.pop("renderer", RENDERER)
    assert isinstance(renderer, Renderer)
    build_args = changes.pop("build_args", ())
    environ = changes.pop("environ", {})
    secret = changes.pop("secret", None)
    return RenderCache(tmp_path / "cache", renderer, build_args, environ, secret)  # type: ignore[arg-type]


def test_the_renderer_build_args_and_environment_are_part_of_the_key(tmp_path: Path) -> None:
    for relative, text in RICH.items():
        write(tmp_path, relative, text)
    overlay = tmp_path / "overlay"
    keys = {
        _cache(tmp_path).keys.key(overlay),
        _cache(tmp_path, renderer=Renderer(RENDERER.argv, "/bin/true", "v5.7.0", "t")).keys.key(
            overlay
        ),
        _cache(tmp_path, build_args=("--enable-helm",)).keys.key(overlay),
        _cache(tmp_path, environ={"HELM_CONFIG_HOME": "/x"}).keys.key(overlay),
    }
    assert len(keys) == 4
    assert _cache(tmp_path).keys.key(overlay) == _cache(tmp_path, environ={"HOME": "/y"}).keys.key(
        overlay
    )


def test_files_named_outside_the_chain_are_inputs(tmp_path: Path) -> None:
    write(tmp_path, "shared/labels.yaml", "- op: add\n  path: /x\n  value: 1\n")
    write(
        tmp_path,
        "o/kustomization.yaml",
        "patches:\n  - path: ../shared/labels.yaml\n    target: {kind: Deployment}\n",
    )
    found = inputs(tmp_path / "o")
    assert found.chain == [(tmp_path / "o").resolve()]
    assert found.named == [(tmp_path / "shared/labels.yaml").resolve()]


def test_exec_plugins_and_unfetched_helm_charts_are_uncacheable(tmp_path: Path) -> None:
    write(tmp_path, "p/kustomization.yaml", "transformers: [fn.yaml]\n")
    write(
        tmp_path,
        "p/fn.yaml",
        """
        apiVersion: example.com/v1
        kind: Fn
        metadata:
          annotations:
            config.kubernetes.io/function: |
              exec: {path: ./plugin.sh}
        """,
    )
    with pytest.raises(Uncacheable, match=r"plugin fn\.yaml in .* runs a program"):
        inputs(tmp_path / "p")
    write(tmp_path, "h/kustomization.yaml", "helmCharts:\n  - {name: redis, repo: https://x}\n")
    with pytest.raises(Uncacheable, match="helm chart redis is fetched from a repository"):
        inputs(tmp_path / "h")


def test_entries_round_trip_and_reject_another_key(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    cache.put("a" * 64, Entry("kind: A\n", "/tmp/w"))
    assert cache.get("a" * 64) == Entry("kind: A\n", "/tmp/w")
    (tmp_path / "cache" / ("b" * 64 + ".json")).write_text(
        (tmp_path / "cache" / ("a" * 64 + ".json")).read_text()
    )
    assert cache.get("b" * 64) is None


def test_cached_findings_still_fail_and_a_fix_is_seen(
    pytester: pytest.Pytester, example: Path
) -> None:
    typo = add_patch(
        example,
        "auth",
        "typo.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            spec:
              containers:
                - name: api
                  imagePullPolcy: Always
        """,
    )
    args = ("--overlays", "k8s/overlays/auth", "--overlays-checks=schema")
    line = "  Deployment/auth/auth-api spec.template.spec.containers[[]0].imagePullPolcy: unknown*"
    cold = pytester.runpytest(*args)
    cold.assert_outcomes(failed=1)
    cold.stdout.fnmatch_lines([line, "1 overlay rendered, 0 from the cache"])
    warm = pytester.runpytest(*args)
    warm.assert_outcomes(failed=1)
    warm.stdout.fnmatch_lines([line, "0 overlays rendered, 1 from the cache"])
    typo.write_text(typo.read_text().replace("imagePullPolcy", "imagePullPolicy"))
    fixed = pytester.runpytest(*args)
    fixed.assert_outcomes(passed=1)
    fixed.stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])


def test_json_exact_refuses_what_json_would_change() -> None:
    import datetime

    assert json_exact({"a": [1, 2.5, None, True, "x"], "b": {"c": -3}})
    assert not json_exact({"since": datetime.date(2024, 1, 1)})
    assert not json_exact({1: "int key"})
    assert not json_exact({"nan": float("nan")})
    assert not json_exact({"bytes": b"\x00"})


def test_what_files_cannot_describe_is_uncacheable(tmp_path: Path) -> None:
    write(tmp_path, "gen/kustomization.yaml", "generators: [gen.yaml]\n")
    write(tmp_path, "gen/gen.yaml", "apiVersion: builtin\nkind: ConfigMapGenerator\n")
    inputs(tmp_path / "gen")  # a builtin generator under the default load restrictor: fine
    with pytest.raises(Uncacheable, match="with --enable-alpha-plugins may read any file"):
        inputs(tmp_path / "gen", ["--enable-alpha-plugins"])
    with pytest.raises(Uncacheable, match="with LoadRestrictionsNone may read any file"):
        inputs(tmp_path / "gen", ["--load-restrictor", "LoadRestrictionsNone"])
    write(tmp_path, "ssh/kustomization.yaml", "resources: [deploy@gitea.internal:org/repo.git]\n")
    with pytest.raises(Uncacheable, match=r"remote deploy@gitea\.internal:org/repo\.git in"):
        inputs(tmp_path / "ssh")
    write(tmp_path, "gone/kustomization.yaml", "resources: [somewhere/else]\n")
    with pytest.raises(Uncacheable, match=r"somewhere/else in .* is not a local file or directory"):
        inputs(tmp_path / "gone")
    write(tmp_path, "chart/kustomization.yaml", "helmCharts:\n  - {name: redis, repo: https://x}\n")
    (tmp_path / "chart/charts/redis").mkdir(parents=True)
    with pytest.raises(Uncacheable, match="helm chart redis is fetched from a repository"):
        inputs(tmp_path / "chart")


def test_the_helm_binary_is_part_of_the_key_when_charts_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "o/kustomization.yaml", "helmCharts:\n  - {name: app}\n")
    write(tmp_path, "o/charts/app/Chart.yaml", "name: app\nversion: 0.1.0\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text("#!/bin/sh\necho one\n")
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    before = _cache(tmp_path, build_args=("--enable-helm",)).keys.key(tmp_path / "o")
    helm.write_text("#!/bin/sh\necho two, a longer output\n")
    assert _cache(tmp_path, build_args=("--enable-helm",)).keys.key(tmp_path / "o") != before


def test_a_file_edited_during_a_session_changes_the_key(tmp_path: Path) -> None:
    for relative, text in RICH.items():
        write(tmp_path, relative, text)
    cache = _cache(tmp_path)
    before = cache.keys.key(tmp_path / "overlay")
    base = tmp_path / "base/deployment.yaml"
    base.write_text(base.read_text().replace("value: eu", "value: us"))
    edited = cache.keys.key(tmp_path / "overlay")
    assert edited != before
    # A file added to a directory of the chain is an input too.
    (tmp_path / "overlay/new-file.txt").write_text("added\n")
    assert cache.keys.key(tmp_path / "overlay") not in {before, edited}


def test_the_renderer_is_known_by_its_content_not_its_install_time(tmp_path: Path) -> None:
    """A CI runner installs kubectl afresh on every run (new path, new file times):
    the renders a restored cache holds must still match."""
    for relative, text in RICH.items():
        write(tmp_path, relative, text)
    overlay = tmp_path / "overlay"
    installs = []
    pinned = f"kubectl {kubectl_pin()}".encode()
    for run, content in (("main", pinned), ("pr", pinned), ("x", b"other")):
        binary = tmp_path / run / "bin" / "kubectl"
        binary.parent.mkdir(parents=True)
        binary.write_bytes(content)
        installs.append(Renderer((str(binary), "kustomize"), str(binary), kustomize_version(), "t"))
    os.utime(installs[1].binary, (1, 1))
    main, pr, other = (_cache(tmp_path, renderer=r).keys.key(overlay) for r in installs)
    assert main == pr
    assert other != main
    # The digest is remembered by path, size, time and inode: an edit in place is seen.
    Path(installs[0].binary).write_bytes(b"kubectl 1.38.0")
    assert _cache(tmp_path, renderer=installs[0]).keys.key(overlay) != main


def test_a_renderer_that_runs_but_cannot_be_read_still_gets_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An execute-only kustomize (mode 0711, as some images install it): before, reading
    # it for its digest raised PermissionError out of pytest_configure.
    binary = tmp_path / "kustomize"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o711)
    real_open = Path.open

    def refuse(path: Path, *args: object, **kwargs: object) -> object:
        if path == binary:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse)
    renderer = Renderer((str(binary), "build"), str(binary), "v5.4.3", "kustomize")
    write(tmp_path, "o/kustomization.yaml", "resources: []\n")
    key = RenderCache(tmp_path / "c", renderer, ()).keys.key(tmp_path / "o")
    assert key == RenderCache(tmp_path / "c", renderer, ()).keys.key(tmp_path / "o")
    with open(binary, "a", encoding="utf-8") as handle:  # not Path.open: it refuses
        handle.write("# v5.5.0\n")
    assert RenderCache(tmp_path / "c", renderer, ()).keys.key(tmp_path / "o") != key


def cache_entries(root: Path) -> list[Path]:
    """The render and findings entries of the cache under ``root`` (and findings' index)."""
    directory = root / ".pytest_cache/d/k8s-overlays"
    return sorted([*directory.glob("*.json"), *directory.glob("checks/*.json")])


def index_entries(root: Path) -> dict[str, str]:
    """The check results the cache's indexes under ``root`` hold (past the signature)."""
    held: dict[str, str] = {}
    for index in (root / ".pytest_cache/d/k8s-overlays/checks").glob("index-*.json"):
        data = index.read_text()
        held.update(json.loads(data[data.index("{") :])["entries"])
    return held


def render_entries(root: Path) -> list[Path]:
    """The render entries of the cache under ``root``."""
    return sorted((root / ".pytest_cache/d/k8s-overlays").glob("*.json"))


def test_prune_keeps_the_cache_to_what_the_last_run_used(
    pytester: pytest.Pytester, example: Path
) -> None:
    args = ("--overlays", "k8s/overlays", "--overlays-checks=render,images")
    pytester.runpytest(*args).assert_outcomes(passed=14)
    used = len(cache_entries(example))
    # A render of each overlay, and the index holding the findings of its 2 checks.
    assert used == 7 + 1
    assert len(index_entries(example)) == 7 * 2
    base = example / "k8s/base/deployment.yaml"
    for replicas in (2, 3, 4):  # three edits of the shared base
        base.write_text(
            base.read_text().replace(f"replicas: {replicas - 1}", f"replicas: {replicas}")
        )
        pytester.runpytest(*args).assert_outcomes(passed=14)
    assert len(cache_entries(example)) == 4 * (used - 1) + 1  # every state kept
    assert len(index_entries(example)) == 4 * 7 * 2
    for entry in cache_entries(example):  # runs a minute apart, not within the second
        then = entry.stat().st_mtime - 60
        os.utime(entry, (then, then))

    result = pytester.runpytest(*args, "--overlays-cache-prune")
    result.assert_outcomes(passed=14)
    result.stdout.fnmatch_lines(
        [
            "0 overlays rendered, 7 from the cache",
            # 21 renders and 42 results: 3 earlier states of 7 overlays and 2 checks.
            "  render cache: 63 entries this run did not use removed (* KB)",
        ]
    )
    assert len(cache_entries(example)) == used
    assert len(index_entries(example)) == 7 * 2
    pytester.runpytest(*args).stdout.fnmatch_lines(["0 overlays rendered, 7 from the cache"])


def test_prune_removes_what_a_run_a_moment_before_used_and_keeps_what_this_one_did(
    pytester: pytest.Pytester, example: Path
) -> None:
    # With a second of slack, the renders of a run that ended less than a second
    # before stayed: 30 of 100 overlays in benchmarks/cache_size.py, and 228 files of 300.
    args = ("--overlays", "k8s/overlays", "--overlays-checks=render")
    pytester.runpytest(*args).assert_outcomes(passed=7)
    base = example / "k8s/base/deployment.yaml"
    base.write_text(base.read_text().replace("replicas: 1", "replicas: 2"))
    result = pytester.runpytest(*args, "--overlays-cache-prune")
    result.stdout.fnmatch_lines(
        [
            "7 overlays rendered, 0 from the cache",
            # The first run's 7 renders, and its 7 results of the render check.
            "  render cache: 14 entries this run did not use removed (* KB)",
        ]
    )
    assert len(render_entries(example)) == 7
    assert len(index_entries(example)) == 7
    pytester.runpytest(*args).stdout.fnmatch_lines(["0 overlays rendered, 7 from the cache"])


def test_entries_no_run_used_for_a_week_are_removed_by_any_run(
    pytester: pytest.Pytester, example: Path
) -> None:
    args = ("--overlays", "k8s/overlays/auth", "--overlays-checks=render")
    pytester.runpytest(*args)
    directory = example / ".pytest_cache/d/k8s-overlays"
    [entry] = directory.glob("*.json")
    stale = directory / ("0" * 64 + ".json")
    stale.write_text("an entry of a state long gone")
    recent = directory / ("1" * 64 + ".json")
    recent.write_text("an entry another branch used yesterday")
    eight_days = 8 * 24 * 3600
    for path, age in ((entry, eight_days), (stale, eight_days), (recent, 24 * 3600)):
        then = path.stat().st_mtime - age
        os.utime(path, (then, then))

    result = pytester.runpytest(*args)
    # The entry this run read is marked used, the stale one removed, the recent one kept.
    result.stdout.fnmatch_lines(
        [
            "0 overlays rendered, 1 from the cache",
            "  render cache: 1 entry no run used for 7 days removed (29 bytes)",
        ]
    )
    assert entry.exists()
    assert recent.exists()
    assert not stale.exists()
    assert entry.stat().st_mtime > recent.stat().st_mtime


def test_an_interrupted_run_prunes_only_by_age(pytester: pytest.Pytester, example: Path) -> None:
    args = ("--overlays", "k8s/overlays/auth", "--overlays-checks=render", "-p", "no:randomly")
    pytester.runpytest(*args)
    [entry] = render_entries(example)
    other = entry.with_name("0" * 64 + ".json")  # another state's entry, a minute old
    other.write_text("signed by an earlier run")
    then = other.stat().st_mtime - 60
    os.utime(other, (then, then))
    # Ctrl-C: the run is incomplete, so it cannot tell what the gate uses.
    pytester.makepyfile(test_first="def test_stop():\n    raise KeyboardInterrupt\n")
    result = pytester.runpytest_subprocess("test_first.py", *args, "--overlays-cache-prune")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert render_entries(example) == sorted([entry, other])
    (pytester.path / "test_first.py").unlink()
    pytester.runpytest(*args, "--overlays-cache-prune")
    assert render_entries(example) == [entry]


#: One secret for the caches of several runs (without, each signs with its own).
SECRET = b"a-test-secret-of-32-characters-x"


def _finding(found: str) -> Finding:
    return Finding(
        "a",
        "Deployment/web/web",
        "spec.template.spec.containers[0].image",
        "images",
        "unpinned",
        found,
        "a version tag or a digest",
    )


def test_check_results_live_in_the_index_and_a_partial_run_keeps_the_others(
    tmp_path: Path,
) -> None:
    first = _cache(tmp_path, secret=SECRET)
    for name in ("a", "b", "c"):
        first.put_findings(name * 64, [_finding(f"{name} is tagged latest")])
    first.write_index("main")
    checks = tmp_path / "cache" / "checks"
    assert sorted(p.name for p in checks.iterdir()) == ["index-main.json"]  # one file

    partial = _cache(tmp_path, secret=SECRET)  # a run of one overlay (``-k a``) uses one result
    assert partial.get_findings("a" * 64) == [_finding("a is tagged latest")]
    partial.put_findings("d" * 64, [])
    partial.write_index("main")
    later = _cache(tmp_path, secret=SECRET)
    assert later.get_findings("b" * 64) == [_finding("b is tagged latest")]
    assert later.get_findings("d" * 64) == []
    assert later.get_findings("e" * 64) is None


def test_index_results_unused_for_the_grace_period_or_by_a_pruned_run_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _cache(tmp_path, secret=SECRET)
    for name in ("a", "b"):
        first.put_findings(name * 64, [])
    first.write_index("main")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + GRACE_SECONDS + 60)
    aged = _cache(tmp_path, secret=SECRET)
    assert aged.get_findings("a" * 64) == []  # used again: kept, its time renewed
    assert aged.prune(time.time() - GRACE_SECONDS) == Pruned(1, len(_compact_empty("b")))
    aged.write_index("main")
    after = _cache(tmp_path, secret=SECRET)
    assert (after.get_findings("a" * 64), after.get_findings("b" * 64)) == ([], None)

    # --overlays-cache-prune: every result this run did not use, however recent.
    after.put_findings("c" * 64, [])
    after.write_index("main")
    pruned = _cache(tmp_path, secret=SECRET)
    assert pruned.get_findings("c" * 64) == []
    assert pruned.prune(time.time(), only_used=True).files == 1  # a's result
    pruned.write_index("main")
    last = _cache(tmp_path, secret=SECRET)
    assert (last.get_findings("a" * 64), last.get_findings("c" * 64)) == (None, [])


def test_an_unchanged_index_is_not_written_again_until_its_times_need_renewing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _cache(tmp_path, secret=SECRET)
    first.put_findings("a" * 64, [])
    first.write_index("main")
    index = tmp_path / "cache" / "checks" / "index-main.json"
    written = index.stat().st_ino
    again = _cache(tmp_path, secret=SECRET)
    assert again.get_findings("a" * 64) == []
    again.write_index("main")
    assert index.stat().st_ino == written
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + REFRESH_SECONDS + 60)
    renewed = _cache(tmp_path, secret=SECRET)
    assert renewed.get_findings("a" * 64) == []
    renewed.write_index("main")
    assert index.stat().st_ino != written


def _compact_empty(name: str) -> str:
    """A result with no findings as the index holds it."""
    return json.dumps({"format": FORMAT, "key": name * 64, "findings": []}, separators=(",", ":"))
