"""The render cache is trusted only for what the gate itself wrote, from the inputs it read."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .builders import kustomize_version, write

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:latest"}]
"""
ARGS = ("--overlays=ov", "--overlays-checks=images")
CACHE = Path(".pytest_cache/d/k8s-overlays")


def unpinned_overlay(root: Path) -> Path:
    """An overlay whose image is ``nginx:latest``: the images check fails it."""
    write(root, "ov/a/kustomization.yaml", "resources: [deploy.yaml]\n")
    return write(root, "ov/a/deploy.yaml", DEPLOYMENT)


def split_entry(entry: Path) -> tuple[str, str]:
    """A cache file's signature line (empty for an unsigned file) and its JSON."""
    text = entry.read_text()
    if text.startswith("{"):
        return "", text
    signature, _, data = text.partition("\n")
    return f"{signature}\n", data


def forge(entry: Path, old: str, new: str) -> None:
    """Edit a cache file's JSON as an attacker would (the signature line stays as it was)."""
    signature, data = split_entry(entry)
    assert old in data
    entry.write_text(signature + data.replace(old, new))


def test_a_hand_edited_entry_is_not_trusted(pytester: pytest.Pytester) -> None:
    unpinned_overlay(pytester.path)
    pytester.runpytest(*ARGS).assert_outcomes(failed=1)
    [entry] = (pytester.path / CACHE).glob("*.json")
    forge(entry, "nginx:latest", "nginx:1.27.0")
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["a: [[]*] *", "1 overlay rendered, 0 from the cache"])


def test_hand_edited_findings_are_not_trusted(pytester: pytest.Pytester) -> None:
    unpinned_overlay(pytester.path)
    deploy = pytester.path / "ov/a/deploy.yaml"
    deploy.write_text(deploy.read_text().replace("spec:\n", 'spec:\n  replicas: "two"\n', 1))
    args = ("--overlays=ov", "--overlays-checks=schema")
    pytester.runpytest(*args).assert_outcomes(failed=1)
    # The findings are kept in the run's index: emptied there, the signature kept.
    [index] = (pytester.path / CACHE / "checks").glob("index-*.json")
    signature, data = split_entry(index)
    entries = json.loads(data)["entries"]
    edited = {
        key: json.dumps(json.loads(value) | {"findings": []}) for key, value in entries.items()
    }
    index.write_text(signature + json.dumps(json.loads(data) | {"entries": edited}))
    for _ in range(2):
        result = pytester.runpytest(*args)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["a: [[]*] *"])
        index.write_text(signature + json.dumps(json.loads(data) | {"entries": edited}))


def test_an_entry_written_with_another_secret_is_not_trusted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpinned_overlay(pytester.path)
    monkeypatch.setenv("PYTEST_K8S_OVERLAYS_CACHE_KEY", "a-ci-secret-of-32-characters-abcd")
    pytester.runpytest(*ARGS).stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])
    pytester.runpytest(*ARGS).stdout.fnmatch_lines(["0 overlays rendered, 1 from the cache"])
    monkeypatch.setenv("PYTEST_K8S_OVERLAYS_CACHE_KEY", "another-secret-of-32-characters-x")
    pytester.runpytest(*ARGS).stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])
    monkeypatch.setenv("PYTEST_K8S_OVERLAYS_CACHE_KEY", "short")
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["  render cache off: PYTEST_K8S_OVERLAYS_CACHE_KEY holds fewer than 16 characters"]
    )


def test_a_committed_forged_entry_does_not_pass_a_broken_overlay(
    pytester: pytest.Pytester,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    unpinned_overlay(pytester.path)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=pytester.path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    pytester.runpytest(*ARGS).assert_outcomes(failed=1)
    [entry] = (pytester.path / CACHE).glob("*.json")
    forge(entry, "nginx:latest", "nginx:1.27.0")
    # What a pull request can do: commit a clean-looking render of its broken overlay.
    git("add", "-f", str(CACHE))
    git("add", "ov")
    git("commit", "-q", "-m", "innocent")
    result = pytester.runpytest(*ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "a: [[]*] *",
            "1 overlay rendered",
            "  render cache off: .pytest_cache/d/k8s-overlays is tracked by git: entries from a "
            "commit are never trusted; untrack it (git rm -r --cached "
            ".pytest_cache/d/k8s-overlays) and keep .pytest_cache out of commits",
        ]
    )


def test_the_cache_and_its_key_are_private_whatever_the_umask(pytester: pytest.Pytester) -> None:
    unpinned_overlay(pytester.path)
    pytester.runpytest("--overlays=ov", "--overlays-checks=images,schema")  # warm, for the umask
    shutil.rmtree(pytester.path / ".pytest_cache")
    key = Path(os.environ["XDG_CACHE_HOME"]) / "pytest-k8s-overlays/key"
    key.unlink(missing_ok=True)
    old = os.umask(0)
    try:
        pytester.runpytest("--overlays=ov", "--overlays-checks=images,schema")
    finally:
        os.umask(old)

    def mode(path: Path) -> str:
        return oct(stat.S_IMODE(path.stat().st_mode))

    cache = pytester.path / CACHE
    [entry] = cache.glob("*.json")
    [index] = (cache / "checks").glob("index-*.json")
    # The findings of images and schema, and the custom kinds the summary counts: in
    # the index, not in files of their own.
    assert len(json.loads(split_entry(index)[1])["entries"]) == 3
    assert not list((cache / "checks").glob("[0-9a-f]*.json"))
    assert {mode(cache), mode(cache / "checks")} == {"0o700"}
    assert {mode(entry), mode(index)} == {"0o600"}
    assert (mode(key), len(key.read_text().strip())) == ("0o600", 64)


#: A renderer that edits an input in place while it runs (same size, same
#: modification time, same inode), then, with EDIT=restore, puts it back.
EDITING_RENDERER = """#!{python}
import os, subprocess, sys
if sys.argv[1:2] == ["version"]:
    print("Kustomize Version: {version}"); sys.exit(0)
path = {path!r}
mode = os.environ.get("EDIT", "off")
info = os.stat(path)
original = open(path).read()

def in_place(text):
    with open(path, "r+") as handle:
        handle.write(text)
        handle.truncate()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))

if mode != "off":
    in_place(original.replace("nginx:1.27.0", "nginx:latest"))  # 12 characters each
done = subprocess.run([{kubectl!r}, "kustomize", *sys.argv[1:]])
if mode == "restore":
    in_place(original)
sys.exit(done.returncode)
"""


@pytest.mark.parametrize("mode", ["restore", "keep"])
def test_an_input_edited_during_the_build_is_not_cached(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    from pytest_k8s_overlays.render.engine import find_renderer

    deploy = unpinned_overlay(pytester.path)
    deploy.write_text(deploy.read_text().replace("nginx:latest", "nginx:1.27.0"))
    before = deploy.stat()
    renderer = pytester.path / "editing-kustomize"
    renderer.write_text(
        EDITING_RENDERER.format(
            python=sys.executable,
            path=str(deploy),
            kubectl=find_renderer().binary,
            version=kustomize_version(),
        )
    )
    renderer.chmod(0o755)
    args = (*ARGS, f"--overlays-kustomize={renderer}")
    monkeypatch.setenv("EDIT", mode)
    edited = pytester.runpytest(*args)
    edited.assert_outcomes(failed=1)  # the render saw nginx:latest
    if mode == "keep":
        # Put the original back as a tool that keeps modification times would.
        text = deploy.read_text().replace("nginx:latest", "nginx:1.27.0")
        with deploy.open("r+") as handle:
            handle.write(text)
        os.utime(deploy, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = deploy.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    monkeypatch.setenv("EDIT", "off")
    again = pytester.runpytest(*args)
    # The stale render (nginx:latest) was not stored under the original's key.
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["1 overlay rendered, 0 from the cache"])


def test_an_empty_secret_variable_means_unset_and_a_short_one_is_refused(tmp_path: Path) -> None:
    from pytest_k8s_overlays.cache.secret import KeyUnavailable, cache_secret

    # A CI secret that is not configured (a fork's pull request) expands to nothing.
    empty = {"PYTEST_K8S_OVERLAYS_CACHE_KEY": "", "XDG_CACHE_HOME": str(tmp_path)}
    assert cache_secret(None, empty) == cache_secret(None, empty)
    assert (tmp_path / "pytest-k8s-overlays" / "key").is_file()
    with pytest.raises(KeyUnavailable, match="fewer than 16 characters"):
        cache_secret(None, {"PYTEST_K8S_OVERLAYS_CACHE_KEY": "short"})


def test_a_named_key_file_that_is_missing_is_a_usage_error_and_off_says_why(
    pytester: pytest.Pytester, example: Path
) -> None:
    missing = pytester.runpytest("--overlays=k8s/overlays", "--overlays-cache-key-file=nope")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--overlays-cache-key-file: cache key file *nope*"])
    off = pytester.runpytest(
        "--overlays=k8s/overlays", "--overlays-checks=render", "--overlays-no-cache"
    )
    off.stdout.fnmatch_lines(["7 overlays rendered", "  render cache off: --overlays-no-cache*"])
    provider_off = pytester.runpytest(
        "--overlays=k8s/overlays", "--overlays-checks=render", "-p", "no:cacheprovider"
    )
    provider_off.stdout.fnmatch_lines(["  render cache off: pytest's cacheprovider plugin is off"])


@pytest.mark.parametrize("link", [".pytest_cache", ".pytest_cache/d/k8s-overlays"])
def test_a_committed_link_never_turns_the_cache_on_another_directory(
    pytester: pytest.Pytester, tmp_path: Path, link: str
) -> None:
    # A pull request commits .pytest_cache (or the cache directory itself) as a link
    # to a directory of the machine running the gate: its files are old JSON files.
    unpinned_overlay(pytester.path)
    victim = tmp_path / "victim"
    for name in ("settings.json", "checks/x.json"):
        write(victim, name, '{"mine": true}\n')
        month_ago = (victim / name).stat().st_mtime - 30 * 24 * 3600
        os.utime(victim / name, (month_ago, month_ago))
    victim.chmod(0o755)
    (pytester.path / link).parent.mkdir(parents=True, exist_ok=True)
    (pytester.path / link).symlink_to(victim, target_is_directory=True)
    result = pytester.runpytest(*ARGS, "--overlays-cache-prune")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"  render cache off: {link} is a symbolic link: the render cache is never used *"]
    )
    # Before: both files were removed as unused entries, the directory made 0700 and
    # rendered Secrets written into it.
    assert sorted(p.name for p in victim.rglob("*.json")) == ["settings.json", "x.json"]
    assert stat.S_IMODE(victim.stat().st_mode) == 0o755
    assert not list(victim.glob("**/k8s-overlays"))
