"""What the gate writes stays readable and safe whatever a pull request names or holds:
no workflow command smuggled into the log, no crash on a name that is not UTF-8, valid
JUnit XML, bounded reports, no write through a symlink, no credential in the header."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_k8s_overlays.core.text import bounded, shown, shown_lines
from pytest_k8s_overlays.reporting.files import write_json
from pytest_k8s_overlays.sources.argocd.repo import this_repo, without_credentials

from .builders import application, write, write_manifests
from .test_ci_outputs import GATE, commands_in, runner_parse

#: A value that, printed raw in GitHub Actions, stops the gate's own annotations and
#: forges one of its own; then ESC and NUL.
INJECTION = "1.7.0\n::stop-commands::TOKEN\n::error file=x.py,line=1::forged\x1b[31m\x00"


def _set_tag(root: Path, overlay: str, tag: str) -> None:
    kfile = root / f"k8s/overlays/{overlay}/kustomization.yaml"
    text = kfile.read_text(encoding="utf-8")
    kfile.write_text(text.replace('newTag: "1.7.0"', f"newTag: {json.dumps(tag)}"), "utf-8")


# -- the one escaping function ---------------------------------------------------------


def test_a_value_is_shown_on_one_line_escaped_and_bounded() -> None:
    assert shown(INJECTION) == (
        "1.7.0\\n::stop-commands::TOKEN\\n::error file=x.py,line=1::forged\\x1b[31m\\x00"
    )
    # A value that starts a line: the runner trims, then reads "::" or "##[".
    assert shown("  ::error::x") == "  \\x3a:error::x"
    assert shown("\u3000##[error]x") == "\u3000\\x23#[error]x"
    assert shown("a\u2028b\u202ec\r\t") == "a\\u2028b\\u202ec\\r\\t"
    # A directory name that is not UTF-8 shows its byte; a lone surrogate its code.
    assert shown(os.fsdecode(b"bad\xffname") + "\ud800") == "bad\\xffname\\ud800"
    assert shown("x" * 301) == "x" * 300 + "… (1 more characters)"
    assert shown("x" * 301, None) == "x" * 301
    assert bounded("short") == "short"
    # Healthy text is left as it is.
    for text in ("ghcr.io/acme/app:1.0", "k8s/overlays/chat", "naïve ✓ 日本", "a:b::c"):
        assert shown(text) == text
    assert shown_lines("kustomize: error\n  ::error::x\n\x1b") == (
        "kustomize: error\n  \\x3a:error::x\n\\x1b"
    )


# -- item 15: workflow commands and control characters ------------------------------------


def test_a_manifest_value_or_directory_name_cannot_forge_or_stop_annotations(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_tag(example, "chat", INJECTION)
    # Kustomize quotes a missing resource's name in its error: many lines of it.
    kfile = example / "k8s/overlays/my/kustomization.yaml"
    text = kfile.read_text(encoding="utf-8")
    missing = json.dumps("missing" + INJECTION)
    kfile.write_text(text.replace("  - ../../base\n", f"  - ../../base\n  - {missing}\n"))
    # A copy of an overlay renders the same objects: findings name it at line starts.
    shutil.copytree(example / "k8s/overlays/info", example / "k8s/overlays/::error x\n::y")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(*GATE, "-k", "chat or info or error or my")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = result.stdout.str()
    assert "\x1b" not in text
    assert "\x00" not in text
    result.stdout.fnmatch_lines(
        [
            "chat: [[]*] *",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].image: "
            "'ghcr.io/acme/chat-api:1.7.0\\n::stop-commands::TOKEN\\n::error file=x.py,line=1::"
            "forged\\x1b[[]31m\\x00' is no valid image reference; *",
            # The same objects: shown in full under the other overlay, named escaped.
            "info: 3 findings shown in full under other items [[]shared-object]",
            "  [[]shared-object] the same finding as \\x3a:error x\\n::y "
            "(k8s/base/configmap.yaml:1), shown in full under \\x3a:error x\\n::y [[]unique-names]",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "\\x3a:error x\\n::y: 3 findings [[]*]",
            "  ConfigMap/info/info-api-config: also rendered by overlay info; *",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "  kustomize build failed: *'missing1.7.0",
            "\\x3a:stop-commands::TOKEN",
            "\\x3a:error file=x.py,line=1::forged\\x1b[[]31m\\x00*",
        ]
    )
    # Every line the runner would read as a command is one of the gate's annotations.
    commands = [line for line in result.outlines if line.lstrip().startswith(("::", "##["))]
    assert commands == commands_in(result.outlines)
    parsed = [runner_parse(line) for line in commands]
    assert {name for name, _, _ in parsed} == {"error"}
    assert all(props["file"].startswith("k8s/") for _, props, _ in parsed)
    assert "stop-commands" not in {name for name, _, _ in parsed}


def test_a_huge_value_is_cut_in_the_terminal_and_every_report(
    pytester: pytest.Pytester, example: Path
) -> None:
    _set_tag(example, "chat", "1" * 1_000_000)
    result = pytester.runpytest(
        *GATE, "-k", "chat", "--overlays-report=r.json", "--overlays-sarif=r.sarif"
    )
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "chat: [[]*] *",
            "  Deployment/chat/chat-api spec.template.spec.containers[[]0].image: "
            "'ghcr.io/acme/chat-api:111*… (999754 more characters); expected *",
        ]
    )
    assert max(len(line) for line in result.outlines) < 2_000
    for name in ("r.json", "r.sarif"):
        assert (pytester.path / name).stat().st_size < 200_000, name


# -- item 14: a name that is not UTF-8 --------------------------------------------------


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_directory_name_that_is_not_utf8_is_reported_in_every_output(
    pytester: pytest.Pytester, example: Path, xdist: tuple[str, ...]
) -> None:
    if xdist:
        pytest.importorskip("xdist")
    overlays = example / "k8s/overlays"
    # The name as surrogateescape decodes its byte 0xff: what os.listdir gives back.
    shutil.copytree(overlays / "info", overlays / os.fsdecode(b"bad\xffname"))
    args = (*GATE, *xdist, "-k", "info or bad", "--overlays-report=r.json")
    outputs = ("--overlays-sarif=r.sarif", "--junitxml=junit.xml")
    # Twice: the second run reads the render cache (the other overlays' entries).
    for _ in range(2):
        result = pytester.runpytest_subprocess(*args, *outputs)
        result.assert_outcomes(passed=14, failed=2)
        result.stdout.fnmatch_lines(["bad\\xffname: 3 findings [[]*]"])
        result.stdout.no_fnmatch_line("*Traceback*")
        result.stdout.no_fnmatch_line("*INTERNALERROR*")
    report = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert "bad\\xffname" in {finding["overlay"] for finding in report["findings"]}
    statuses = {overlay["name"]: overlay["status"] for overlay in report["overlays"]}
    assert statuses["bad\\xffname"] == statuses["info"] == "checked"
    sarif = json.loads((pytester.path / "r.sarif").read_text(encoding="utf-8"))
    files = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert "k8s/overlays/bad%5Cxffname/kustomization.yaml" in files
    ET.parse(pytester.path / "junit.xml")


def test_a_lone_surrogate_in_a_report_is_escaped_not_a_crash(tmp_path: Path) -> None:
    write_json(tmp_path / "r.json", {"found": "nginx:\ud800", "\udcff": ["ok"]}, tmp_path)
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == {
        "found": "nginx:\\ud800",
        "\\xff": ["ok"],
    }


# -- item 17: JUnit XML -----------------------------------------------------------------


def test_junit_xml_stays_valid_with_control_characters_in_a_directory_name(
    pytester: pytest.Pytester, example: Path
) -> None:
    shutil.copytree(example / "k8s/overlays/info", example / "k8s/overlays/esc\x1b[31mdir\x01")
    # xunit1 writes the file attribute too.
    result = pytester.runpytest(
        *GATE, "-k", "info or esc", "--junitxml=junit.xml", "-o", "junit_family=xunit1", "-v"
    )
    result.assert_outcomes(passed=14, failed=2)
    assert "\x1b" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["k8s/overlays/esc\\x1b[[]31mdir\\x01/kustomization.yaml::images PASSED*"]
    )
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    escaped = [c for c in cases if "esc" in (c.get("classname") or "")]
    assert {c.get("classname") for c in escaped} == {
        "k8s.overlays.esc\\x1b[31mdir\\x01.kustomization.yaml"
    }
    assert {c.get("file") for c in escaped} == {
        "k8s/overlays/esc\\x1b[31mdir\\x01/kustomization.yaml"
    }
    # The node ids stay stable across runs: --lf reruns what failed.
    again = pytester.runpytest(*GATE, "-k", "info or esc", "--lf")
    again.assert_outcomes(failed=2)


# -- item 16: reports and symlinks -------------------------------------------------------


def test_a_report_replaces_a_committed_symlink_instead_of_writing_through_it(
    pytester: pytest.Pytester, example: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (example / "k8s-overlays.sarif").symlink_to(victim)
    (example / "r.json").symlink_to(victim)
    result = pytester.runpytest(
        *GATE, "-k", "chat", "--overlays-sarif=k8s-overlays.sarif", "--overlays-report=r.json"
    )
    result.assert_outcomes(passed=8)
    assert victim.read_text() == "precious\n"
    for name in ("k8s-overlays.sarif", "r.json"):
        assert not (example / name).is_symlink()
        json.loads((example / name).read_text(encoding="utf-8"))
    # No temporary file is left beside them.
    assert not [p for p in example.iterdir() if p.name.endswith(".tmp")]


def test_junit_xml_never_writes_through_a_committed_symlink(
    pytester: pytest.Pytester, example: Path, tmp_path: Path
) -> None:
    # pytest writes the JUnit XML itself: the gate removes a link the checkout holds.
    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    (example / "junit.xml").symlink_to(victim)
    pytester.runpytest(*GATE, "-k", "chat", "--junitxml=junit.xml").assert_outcomes(passed=8)
    assert victim.read_text() == "precious\n"
    assert not (example / "junit.xml").is_symlink()
    ET.parse(example / "junit.xml")
    (example / "out").symlink_to(tmp_path)
    refused = pytester.runpytest(*GATE, "--junitxml=out/junit.xml")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["ERROR: --junitxml=*: * is a symbolic link; *"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bashrc"]


def test_a_report_in_a_symlinked_directory_is_refused(
    pytester: pytest.Pytester, example: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (example / "out").symlink_to(outside)
    result = pytester.runpytest(*GATE, "--overlays-report=out/sub/r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: --overlays-report={example / 'out/sub/r.json'}: {example / 'out'} is a "
            "symbolic link; a report is never written through one"
        ]
    )
    assert list(outside.iterdir()) == []


# -- item 19: credentials -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown_as"),
    [
        ("https://x-access-token:CANARY@github.com/a/r.git", "https://github.com/a/r.git"),
        ("https://CANARY@github.com/a/r.git", "https://github.com/a/r.git"),
        ("https://github.com/a/r.git?access_token=CANARY", "https://github.com/a/r.git"),
        ("ssh://git:CANARY@github.com/a/r.git", "ssh://git@github.com/a/r.git"),
        ("git+ssh://git:CANARY@github.com/a/r", "git+ssh://git@github.com/a/r"),
        ("git:CANARY@github.com:a/r.git", "git@github.com:a/r.git"),
        ("git@github.com:a/r.git?private_token=CANARY", "git@github.com:a/r.git"),
        ("http://u:CANARY@[::1/r", "http://[::1/r"),
        ("git@github.com:a/r.git", "git@github.com:a/r.git"),
        ("ssh://git@github.com:22/a/r.git", "ssh://git@github.com:22/a/r.git"),
    ],
)
def test_a_repository_url_is_shown_without_credentials(url: str, shown_as: str) -> None:
    assert without_credentials(url) == shown_as


def test_the_header_shows_no_credential_of_a_remote_or_a_url_given(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    subprocess.run(["git", "init", "-q", str(argocd_example)], check=True)
    remotes = {
        "origin": "https://github.com/acme/platform.git?access_token=CANARY-TOKEN",
        "mirror": "ssh://git:CANARY-PASS@gitlab.example.com/acme/platform.git",
    }
    for name, url in remotes.items():
        subprocess.run(["git", "-C", str(argocd_example), "remote", "add", name, url], check=True)
    result = pytester.runpytest("--overlays-argocd", "clusters/dev", "--co")
    result.stdout.fnmatch_lines(
        [
            "k8s-overlays: Argo CD clusters/dev: 9 Applications; this repository: "
            "https://github.com/acme/platform.git, ssh://git@gitlab.example.com/acme/platform.git "
            "(git remotes)"
        ]
    )
    assert "CANARY" not in result.stdout.str()
    given = this_repo(argocd_example, ("https://u:CANARY@h/r.git?t=CANARY",), [])
    assert given.describe() == "https://h/r.git (--overlays-argocd-repo)"


def test_an_argo_cd_override_never_writes_through_a_committed_symlink(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # Argo CD's kustomize overrides edit a private copy of the kustomization: a
    # committed link there points at a file of the machine running the gate.
    victim = tmp_path / "kubeconfig.yaml"
    victim.write_text("resources: [cm.yaml]\n# precious\n")
    write(
        pytester.path,
        "apps/web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    )
    (pytester.path / "apps/web/kustomization.yaml").symlink_to(victim)
    app = application("web", "apps/web", namespace="web", kustomize={"namePrefix": "pr-"})
    write_manifests(pytester.path, "argocd/apps.yaml", app)
    result = pytester.runpytest("--overlays-argocd=argocd")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert victim.read_text() == "resources: [cm.yaml]\n# precious\n"
