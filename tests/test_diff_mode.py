"""Pull-request mode end to end: --overlays-diff on a git copy of example_repo, real renders."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .builders import EVERY_OUTPUT, assert_nowhere, write

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


def commit(root: Path, message: str = "change") -> str:
    git(
        root,
        "add",
        "-A",
        "--",
        "k8s",
        *(p for p in ("clusters", "platform") if (root / p).exists()),
    )
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def on_a_branch(root: Path) -> Path:
    """``root`` committed on ``main``, checked out on a ``feature`` branch."""
    git(root, "init", "-q", "-b", "main")
    write(root, ".gitignore", ".pytest_cache/\nout/\n__pycache__/\n")
    commit(root, "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


@pytest.fixture
def repo(example: Path) -> Path:
    """The example's k8s tree committed on ``main``, checked out on a ``feature`` branch."""
    return on_a_branch(example)


@pytest.fixture
def argocd_repo(argocd_example: Path) -> Path:
    """The same with the example's Argo CD layer (clusters/dev and platform/)."""
    return on_a_branch(argocd_example)


def run_diff(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=render", "--overlays-diff", "main", *args
    )


def diff_section(result: pytest.RunResult) -> list[str]:
    """The terminal section's lines, from the header line (``diff BASE (...) -> HEAD``)."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "= k8s-overlays diff =" in line) + 1
    while not lines[start].strip():
        start += 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("---")), len(lines))
    return lines[start:end]


def set_replicas(root: Path, overlay: str, count: int) -> None:
    write(root, f"k8s/overlays/{overlay}/replicas.yaml", REPLICAS.format(count=count))


REPLICAS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: {count}
"""


def test_added_removed_modified_and_renamed_overlays(pytester: pytest.Pytester, repo: Path) -> None:
    set_replicas(repo, "auth", 5)
    shutil.rmtree(repo / "k8s/overlays/my")
    (repo / "k8s/overlays/location").rename(repo / "k8s/overlays/places")
    news = (repo / "k8s/overlays/chat/kustomization.yaml").read_text()
    write(repo, "k8s/overlays/news/kustomization.yaml", news.replace("chat", "news"))
    result = run_diff(pytester)
    result.assert_outcomes(passed=7)
    section = diff_section(result)
    assert section[0].startswith("diff ")
    assert "(merge base of main) -> " in section[0]
    assert "+dirty, rendered by Kustomize v" in section[0]
    assert section[1] == (
        "Overlays: 1 modified, 1 added, 1 removed, 1 renamed, 4 unchanged - Resources: +3 ~1 -3"
    )
    for line in (
        "k8s/overlays/auth: modified",
        "  ~ Deployment.apps/auth/auth-api",
        "    -  replicas: 2",
        "    +  replicas: 5",
        "k8s/overlays/news: added",
        "  + Deployment.apps/news/news-api",
        "k8s/overlays/my: removed",
        "  - Service/my/my-api",
        "k8s/overlays/places: renamed from k8s/overlays/location",
    ):
        assert line in section, line
    # A rename that changes nothing rendered lists no resource under it.
    after_rename = section[
        section.index("k8s/overlays/places: renamed from k8s/overlays/location") + 1 :
    ]
    assert not after_rename or not after_rename[0].startswith("  ")


def test_a_base_edit_lists_exactly_the_overlays_it_changes(
    pytester: pytest.Pytester, repo: Path
) -> None:
    write(repo, "k8s/shared/kustomization.yaml", "resources: [settings.yaml]\n")
    write(
        repo,
        "k8s/shared/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  MODE: blue\n",
    )
    for name in ("auth", "chat", "info"):
        path = repo / f"k8s/overlays/{name}/kustomization.yaml"
        path.write_text(
            path.read_text().replace("  - ../../base\n", "  - ../../base\n  - ../../shared\n")
        )
    git(repo, "checkout", "-q", "main")
    commit(repo, "a shared base for three overlays")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    write(
        repo,
        "k8s/shared/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  MODE: green\n",
    )
    result = run_diff(pytester)
    section = diff_section(result)
    assert section[1] == "Overlays: 3 modified, 4 unchanged - Resources: +0 ~3 -0"
    # The 4 others' inputs hash alike on both sides: not rendered at the base.
    assert section[2] == (
        "base side: 3 rendered, 4 unchanged by their inputs' content (not rendered again)"
    )
    units = sorted(line for line in section if line.startswith("k8s/"))
    assert units == [
        "k8s/overlays/auth: modified",
        "k8s/overlays/chat: modified",
        "k8s/overlays/info: modified",
    ]
    assert section.count("    -  MODE: blue") == 3
    assert section.count("    +  MODE: green") == 3


def test_a_config_map_generator_change_reads_as_a_data_change(
    pytester: pytest.Pytester, repo: Path
) -> None:
    write(repo, "k8s/overlays/scan/scanner.env", "MAX_FILE_MB=80\nENGINE=clamav\n")
    result = run_diff(pytester)
    section = diff_section(result)
    assert section[1] == "Overlays: 1 modified, 6 unchanged - Resources: +0 ~1 -0"
    title = next(
        i for i, line in enumerate(section) if "ConfigMap/scan/scan-scanner-rules-" in line
    )
    note = section[title + 1]
    assert note.startswith("    # generated name scan-scanner-rules-")
    assert note.endswith("(its content changed)")
    changed = [line for line in section[title + 2 :] if line.startswith(("    -", "    +"))]
    assert changed == ["    -  MAX_FILE_MB: '50'", "    +  MAX_FILE_MB: '80'"]


SECRET_BASE = "base-value-4f1c"
SECRET_HEAD = "head-value-9d2e"


def test_a_secret_value_change_is_shown_changed_and_never_its_value(
    pytester: pytest.Pytester, repo: Path
) -> None:
    generator = (
        "secretGenerator:\n  - name: db\n    literals:\n      - password={}\n      - user=app\n"
    )
    path = repo / "k8s/overlays/auth/kustomization.yaml"
    original = path.read_text()
    path.write_text(original + generator.format(SECRET_BASE))
    git(repo, "checkout", "-q", "main")
    commit(repo, "a secret")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    path.write_text(original + generator.format(SECRET_HEAD))
    result = run_diff(
        pytester,
        *EVERY_OUTPUT,
        "--overlays-annotations=github",
        "--overlays-diff-md=out/diff.md",
        "--overlays-diff-json=out/diff.json",
        "--overlays-checks=",
    )
    section = diff_section(result)
    assert section[1] == (
        "Overlays: 1 modified, 6 unchanged - Resources: +0 ~1 -0 - Secrets: 1 changed (redacted)"
    )
    assert any(
        line.startswith("  ~ Secret/auth/auth-db-")
        and line.endswith("(Secret keys changed password; values redacted)")
        for line in section
    )
    assert "    -  password: <redacted>" in section
    assert "    +  password: <redacted, changed>" in section
    assert "       user: <redacted>" in section
    markdown = (repo / "out/diff.md").read_text()
    report = json.loads((repo / "out/diff.json").read_text())
    # The heading says what is compared, once: "Rendered diff: BASE (how) -> HEAD".
    heading = next(line for line in markdown.splitlines() if line.startswith("### "))
    assert heading.startswith("### Rendered diff: ")
    assert " -> " in heading
    assert not heading.startswith("### Rendered diff: diff ")
    assert "+  password: <redacted, changed>" in markdown
    (unit,) = [u for u in report["units"] if u["status"] == "modified"]
    assert unit["resources"][0]["secret_keys"] == {
        "changed": ["password"],
        "added": [],
        "removed": [],
    }
    for value in (SECRET_BASE, SECRET_HEAD):
        encoded = base64.b64encode(value.encode()).decode()
        assert_nowhere(result, repo, value)
        assert_nowhere(result, repo, encoded)
        for name in ("diff.md", "diff.full.md", "diff.json"):
            text = (repo / "out" / name).read_text()
            assert value not in text, name
            assert encoded not in text, name


def test_a_comment_over_the_limit_is_cut_and_names_every_omission(
    pytester: pytest.Pytester, repo: Path
) -> None:
    # A big ConfigMap in the base: every overlay gets about 90,000 characters of diff.
    data = "".join(f"  KEY_{i:04}: {'v' * 80}\n" for i in range(1000))
    write(
        repo,
        "k8s/base/big.yaml",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{data}",
    )
    kustomization = repo / "k8s/base/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace(
            "  - configmap.yaml\n", "  - configmap.yaml\n  - big.yaml\n"
        )
    )
    result = run_diff(pytester, "--overlays-diff-md=out/comment.md")
    assert diff_section(result)[1] == "Overlays: 7 modified, 0 unchanged - Resources: +7 ~0 -0"
    comment = (repo / "out/comment.md").read_text()
    assert len(comment) <= 65_536
    assert comment.startswith("<!-- pytest-k8s-overlays-diff -->\n")
    assert "| `k8s/overlays/auth` | modified | +1 ~0 -0 |" in comment
    assert "full diff: `out/comment.full.md`" in comment
    for name in ("auth", "my", "scan", "character", "location", "info", "chat"):
        resource = f"ConfigMap/{name}/{name}-big"
        whole = f"**+ {resource}**" in comment
        omitted = f"- `k8s/overlays/{name} {resource}`" in comment
        assert whole != omitted, name
    assert comment.count("**+ ConfigMap/") < 7  # some were left out
    full = (repo / "out/comment.full.md").read_text()
    assert full.count("KEY_0999") == 7


def test_a_render_failure_on_either_side_is_reported_as_such(
    pytester: pytest.Pytester, repo: Path
) -> None:
    info = repo / "k8s/overlays/info/kustomization.yaml"
    good = info.read_text()
    info.write_text(good + "resources: [missing.yaml]\n")
    git(repo, "checkout", "-q", "main")
    commit(repo, "break info")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    info.write_text(good)
    chat = repo / "k8s/overlays/chat/kustomization.yaml"
    chat.write_text(chat.read_text().replace("../../base", "../../nowhere"))
    result = run_diff(pytester)
    section = diff_section(result)
    assert section[1] == "Overlays: 2 failed, 5 unchanged - Resources: +0 ~0 -0"
    assert "k8s/overlays/chat: failed to render on the head side" in section
    assert "k8s/overlays/info: failed to render on the base side" in section
    base_failure = section[
        section.index("k8s/overlays/info: failed to render on the base side") + 1
    ]
    assert base_failure.startswith("  base: info: kustomize build failed")


def test_an_absolute_overlays_path_names_the_base_side_s_copy(
    pytester: pytest.Pytester, repo: Path
) -> None:
    set_replicas(repo, "auth", 7)
    result = pytester.runpytest(
        f"--overlays={repo / 'k8s/overlays'}", "--overlays-checks=render", "--overlays-diff=main"
    )
    section = diff_section(result)
    assert section[1] == "Overlays: 1 modified, 6 unchanged - Resources: +0 ~1 -0"
    assert f"{repo / 'k8s/overlays'}/auth: modified" in section


def test_a_line_ignore_rule_hides_changed_lines_and_counts_them(
    pytester: pytest.Pytester, repo: Path
) -> None:
    set_replicas(repo, "auth", 5)
    unpin(repo, "chat")
    rules = ("--overlays-diff-ignore=Deployment/auth/*:line:^  replicas: ",)
    result = run_diff(pytester, *rules, "--overlays-diff-ignore=*/chat/*:line:replicas")
    section = diff_section(result)
    # auth's only change is hidden, and said so; chat's, which no rule matches, is shown.
    assert section[1] == "Overlays: 1 modified, 6 unchanged - Resources: +0 ~1 -0"
    assert "k8s/overlays/auth: modified" not in section
    assert "    +        image: ghcr.io/acme/chat-api:latest" in section
    assert section[-1] == (
        "Ignored: 1 change by ignore rules (Deployment/auth/*:line:^  replicas: : 1)"
    )


def test_fail_on_removed_fails_the_run(pytester: pytest.Pytester, repo: Path) -> None:
    shutil.rmtree(repo / "k8s/overlays/my")
    result = run_diff(pytester, "--overlays-diff-fail-on=removed")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["--overlays-diff-fail-on: k8s/overlays/my: removed"])
    kinds = run_diff(pytester, "--overlays-diff-fail-on=Secret,Namespace")
    assert kinds.ret == pytest.ExitCode.OK


def test_a_ref_that_names_nothing_is_said_and_fails_a_gate_on_the_diff(
    pytester: pytest.Pytester, repo: Path
) -> None:
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=render",
        "--overlays-diff",
        "no-such-branch",
        "--overlays-diff-fail-on=any",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays diff: not made: --overlays-diff no-such-branch: git rev-parse: *",
            # Every item passed: the line that says why the run fails.
            "--overlays-diff-fail-on: the diff was not made (see above), so the run fails",
        ]
    )


def test_a_unit_of_a_glob_is_named_by_its_directory(pytester: pytest.Pytester, repo: Path) -> None:
    # Before: the glob joined to the name (k8s/overlays/*/auth; bank-of-anthos's
    # src/**/k8s/overlays/production/frontend/k8s/overlays/production).
    set_replicas(repo, "auth", 9)
    for glob in ("k8s/overlays/*", "k8s/**/auth"):
        result = pytester.runpytest(
            "--overlays", glob, "--overlays-checks=render", "--overlays-diff", "main"
        )
        assert "k8s/overlays/auth: modified" in diff_section(result), glob


def test_the_base_is_written_without_touching_the_checkout(
    pytester: pytest.Pytester, repo: Path
) -> None:
    set_replicas(repo, "auth", 9)
    before = git(repo, "status", "--porcelain"), git(repo, "worktree", "list")
    result = run_diff(pytester)
    assert "k8s/overlays/auth: modified" in diff_section(result)
    assert (git(repo, "status", "--porcelain"), git(repo, "worktree", "list")) == before


# -- new or existing findings ------------------------------------------------------------------


def unpin(root: Path, overlay: str) -> None:
    path = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    text = path.read_text()
    start = text.index("    newTag:")
    end = text.index("\n", start)
    path.write_text(text[:start] + '    newTag: "latest"' + text[end:])


@pytest.fixture
def old_finding(repo: Path) -> Path:
    """``main`` has an unpinned image in auth: a finding that exists before the change."""
    git(repo, "checkout", "-q", "main")
    unpin(repo, "auth")
    commit(repo, "auth on latest")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    return repo


def test_new_only_fails_on_a_new_finding(pytester: pytest.Pytester, old_finding: Path) -> None:
    unpin(old_finding, "chat")
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=images",
        "--overlays-diff",
        "main",
        "--overlays-new-only",
        "-rf",
    )
    # The items of units nothing of which changed cannot hold a new finding: left out.
    result.assert_outcomes(failed=1, deselected=6)
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays: --overlays-new-only: 6 items of 6 units whose inputs did not change "
            "deselected (nothing in them can be new)",
            "FAILED *k8s/overlays/chat/kustomization.yaml::images - chat: [[]unpinned] *",
        ]
    )


def test_new_only_renders_at_the_base_only_what_changed(
    pytester: pytest.Pytester, old_finding: Path
) -> None:
    # A group check over a group with one change: the 6 units whose inputs did not
    # change are judged at the base with the head's renders, never rendered again.
    set_replicas(old_finding, "chat", 5)
    args = ("--overlays-checks=images,ports", "--overlays-new-only")
    result = run_diff(pytester, *args)
    result.assert_outcomes(passed=3, deselected=18)
    assert diff_section(result)[2] == (
        "base side: 1 rendered, 6 unchanged by their inputs' content (not rendered again)"
    )


def test_new_only_passes_with_an_old_finding_that_moved(
    pytester: pytest.Pytester, old_finding: Path
) -> None:
    # Lines move in the file that holds the finding: it is still the same finding.
    path = old_finding / "k8s/overlays/auth/kustomization.yaml"
    path.write_text("# moved down\n# by two comment lines\n" + path.read_text())
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=images",
        "--overlays-diff",
        "main",
        "--overlays-new-only",
    )
    result.assert_outcomes(passed=1, deselected=6)
    result.stdout.fnmatch_lines(
        [
            "*= k8s-overlays: existing findings (not failed) =*",
            "images/unpinned: 1 existing finding (not new in this change)",
        ]
    )
    # Without new-only, the same run fails on it.
    plain = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    plain.assert_outcomes(passed=6, failed=1)


def _annotated(result: pytest.RunResult) -> list[str]:
    """The overlay each ``::error`` annotation names in its title, in order."""
    return [
        line.split("title=")[1].split("%3A")[0]
        for line in result.stdout.lines
        if line.startswith("::error ")
    ]


def test_annotations_and_sarif_carry_new_findings_first_then_touched_files(
    pytester: pytest.Pytester, repo: Path
) -> None:
    # At main: auth and my use an unpinned image (existing findings).
    git(repo, "checkout", "-q", "main")
    unpin(repo, "auth")
    unpin(repo, "my")
    commit(repo, "auth and my on latest")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "main")
    # The change: my's file is touched (its finding moves down, still existing);
    # chat gets a new finding, uncommitted.
    mine = repo / "k8s/overlays/my/kustomization.yaml"
    mine.write_text("# moved down\n" + mine.read_text())
    commit(repo, "a comment in my")
    unpin(repo, "chat")
    args = ("--overlays", "k8s/overlays", "--overlays-checks=images", "--overlays-diff", "main")
    outputs = ("--overlays-annotations=github", "--overlays-sarif=out/findings.sarif")
    result = pytester.runpytest(*args, *outputs)
    result.assert_outcomes(passed=4, failed=3)
    # New (chat), then existing on a touched file (my), then the rest (auth): not the
    # usual alphabetical order, which would put auth first.
    assert _annotated(result) == ["chat", "my", "auth"]
    sarif = json.loads((repo / "out/findings.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert [r["properties"]["overlay"] for r in results] == ["chat", "my", "auth"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "k8s/overlays/chat/kustomization.yaml"
    )
    # With --overlays-new-only they carry the new finding only.
    only = pytester.runpytest(*args, *outputs, "--overlays-new-only")
    only.assert_outcomes(failed=1, passed=1, deselected=5)
    assert _annotated(only) == ["chat"]
    sarif = json.loads((repo / "out/findings.sarif").read_text())
    assert [r["properties"]["overlay"] for r in sarif["runs"][0]["results"]] == ["chat"]


def test_new_only_needs_a_ref(pytester: pytest.Pytester, repo: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-new-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--overlays-new-only needs --overlays-diff REF*"])


# -- Argo CD mode ------------------------------------------------------------------------------


def test_an_application_set_generator_change_shows_the_applications_it_changes(
    pytester: pytest.Pytester, argocd_repo: Path
) -> None:
    root = argocd_repo
    services = root / "clusters/dev/apps/services.yaml"
    services.write_text(services.read_text().replace("          - name: my\n", ""))
    set_replicas(root, "auth", 4)
    result = pytester.runpytest(
        "--overlays-argocd",
        "clusters/dev",
        "--overlays-checks=render",
        "--overlays-diff",
        "main",
    )
    section = diff_section(result)
    assert section[1].startswith("Applications: 2 modified, 1 removed, ")
    units = [line for line in section if line.startswith("dev-")]
    assert "dev-api-my -> in-cluster/my: removed" in units
    assert "dev-api-auth -> in-cluster/auth: modified" in units
    # The root Application renders the ApplicationSet: its generator's change shows there.
    assert any(line.startswith("dev-root -> ") and line.endswith(": modified") for line in units)
    assert "    -      - name: my" in section


def test_applications_whose_inputs_did_not_change_are_not_rendered_again(
    pytester: pytest.Pytester, argocd_repo: Path
) -> None:
    root = argocd_repo
    set_replicas(root, "auth", 4)
    # A file of no Application's sources: it changes no input hash.
    write(root, "clusters/README.md", "notes\n")
    args = ("--overlays-argocd", "clusters/dev", "--overlays-checks=render")
    result = pytester.runpytest(*args, "--overlays-diff", "main")
    section = diff_section(result)
    assert section[1] == "Applications: 1 modified, 8 unchanged - Resources: +0 ~1 -0"
    assert "dev-api-auth -> in-cluster/auth: modified" in section
    # The base side renders auth, and what its discovery reads (the root Application's
    # directory, for the Applications it holds): nothing else.
    assert section[2] == (
        "base side: 2 rendered, 8 unchanged by their inputs' content (not rendered again)"
    )
    # An override in the Applications' source (no file of it) changes their hash.
    services = root / "clusters/dev/apps/services.yaml"
    services.write_text(services.read_text().replace("      destination:\n", ANNOTATE, 1))
    again = diff_section(pytester.runpytest(*args, "--overlays-diff", "main"))
    # The seven generated Applications and the root one that renders their ApplicationSet.
    assert again[1] == "Applications: 8 modified, 1 unchanged - Resources: +0 ~23 -0"
    assert again[2].startswith("base side: 8 rendered, 1 unchanged ")
    assert "+    team: core" in "\n".join(again)


ANNOTATE = """\
        kustomize:
          commonAnnotations:
            team: core
      destination:
"""


def test_new_only_keeps_a_new_group_finding_on_a_unit_that_did_not_change(
    pytester: pytest.Pytester, repo: Path
) -> None:
    # chat now renders auth's objects: both overlays hold a new shared-object finding,
    # auth although nothing of it changed.
    chat = repo / "k8s/overlays/chat/kustomization.yaml"
    chat.write_text(chat.read_text().replace("chat", "auth"))
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=unique-names",
        "--overlays-diff",
        "main",
        "--overlays-new-only",
        "-rf",
    )
    # The five others ran the check on both sides and found nothing new: left out.
    result.assert_outcomes(failed=2, deselected=5)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED *k8s/overlays/auth/kustomization.yaml::unique-names*",
            "FAILED *k8s/overlays/chat/kustomization.yaml::unique-names*",
        ]
    )


def test_an_application_s_ignore_differences_hide_a_change_and_are_counted(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    root = argocd_example
    services = root / "clusters/dev/apps/services.yaml"
    services.write_text(
        services.read_text().replace(
            "      syncPolicy:\n",
            "      ignoreDifferences:\n"
            "        - group: apps\n"
            "          kind: Deployment\n"
            "          jsonPointers: [/spec/replicas]\n"
            "        - kind: ConfigMap\n"
            "          jqPathExpressions: [.data]\n"
            "      syncPolicy:\n",
        )
    )
    on_a_branch(root)
    set_replicas(root, "auth", 4)
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "--overlays-checks=render", "--overlays-diff", "main"
    )
    section = diff_section(result)
    # The replicas change is ignored as Argo CD would: no change, and said so.
    assert section[1] == "Applications: 9 unchanged - Resources: +0 ~0 -0"
    assert (
        "Ignored: 1 change by ignore rules (ignoreDifferences of "
        "Application/argocd/dev-api-auth (Deployment *): 1)"
    ) in section
    assert (
        "Not applied: ignoreDifferences of Application/argocd/dev-api-auth (ConfigMap *): "
        "jqPathExpressions not applied (needs jq or a live cluster)"
    ) in section


def test_a_run_without_overlays_diff_never_loads_pull_request_mode(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.makepyfile(
        test_modules="""
        import sys

        def test_pull_request_mode_not_loaded():
            loaded = [m for m in sys.modules if m.startswith("pytest_k8s_overlays.")]
            assert [m for m in loaded if m.endswith(".diffmode") or ".diff." in m] == []
        """
    )
    result = pytester.runpytest_subprocess("--overlays=k8s/overlays", "test_modules.py")
    result.assert_outcomes(passed=7 * 8 + 1)


DUPLICATE_INFO = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dev-api-info
  namespace: argocd
spec:
  project: dev-services
  source:
    repoURL: https://github.com/acme/platform.git
    targetRevision: main
    path: k8s/overlays/info
  destination:
    server: https://kubernetes.default.svc
    namespace: info
"""


def test_new_only_never_passes_an_application_a_pull_request_adds_under_a_taken_name(
    pytester: pytest.Pytester, argocd_repo: Path
) -> None:
    # A standalone Application named as one the ApplicationSet generates, deploying the
    # same overlay to the same place: its unit matched the generated one's (unchanged
    # inputs), so --overlays-new-only left out its items and the run passed.
    root = argocd_repo
    write(root, "clusters/dev/apps/info.yaml", DUPLICATE_INFO)
    result = pytester.runpytest(
        "--overlays-argocd", "clusters/dev", "--overlays-diff", "main", "--overlays-new-only"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*[[]duplicate-name]*"])


def test_new_only_keeps_an_existing_finding_of_an_application_whose_destination_moved(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    # info's image was unpinned at the base already; the change moves every service's
    # destination namespace (the overlays set their own: no object moves). The
    # Applications are the same ones, under their names: info's finding is not new.
    unpin(argocd_example, "info")
    root = on_a_branch(argocd_example)
    services = root / "clusters/dev/apps/services.yaml"
    services.write_text(
        services.read_text().replace('namespace: "{{name}}"', 'namespace: "ns-{{name}}"')
    )
    args = ("--overlays-argocd", "clusters/dev", "--overlays-diff", "main")
    result = pytester.runpytest(*args, "--overlays-new-only", "--overlays-checks=images")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["images/unpinned: 1 existing finding (not new in this change)"])
