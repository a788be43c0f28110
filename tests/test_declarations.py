"""Each rule is declared once, next to its logic; what is generated from it is fresh."""

from __future__ import annotations

import ast
import dataclasses
import shutil
from pathlib import Path

import pytest

from pytest_k8s_overlays import docgen
from pytest_k8s_overlays.checks import CHECK_SETTINGS, CHECKS
from pytest_k8s_overlays.checks.base import Check, CheckOptions, Rule, declare

PACKAGE = Path(docgen.__file__).resolve().parent


def test_the_generated_files_match_the_declarations() -> None:
    """Fails when a declaration changed and `python -m pytest_k8s_overlays.docgen` was not run."""
    assert docgen.main(["--check"]) == 0


def test_the_catalogue_is_what_the_modules_declare() -> None:
    for declared in docgen.declared_checks():
        loaded = CHECKS[declared.id]
        assert (loaded.module, loaded.scope, dict(loaded.rules)) == (
            declared.module,
            declared.scope,
            dict(declared.rules),
        )
    assert list(CHECKS) == [check.id for check in docgen.declared_checks()]


def _copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    copies = {}
    for name in ("CATALOGUE", "CHECKS_DOC", "README"):
        original: Path = getattr(docgen, name)
        copy = tmp_path / original.name
        shutil.copy(original, copy)
        monkeypatch.setattr(docgen, name, copy)
        copies[name] = copy
    monkeypatch.setattr(docgen, "ROOT", tmp_path)
    return copies


def test_a_new_rule_makes_the_generated_files_stale_until_regenerated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copies = _copy(tmp_path, monkeypatch)
    checks = docgen.declared_checks()
    ports = next(check for check in checks if check.id == "ports")
    added = declare(
        "pytest_k8s_overlays.checks.ports",
        ports.id,
        ports.scope,
        ports.summary,
        ports.catches,
        [
            *(Rule(rule, hint, ports.docs[rule]) for rule, hint in ports.rules.items()),
            Rule("new-rule", "do the new thing", "a new mistake"),
        ],
        ports.options,
    )
    changed = [added if check is ports else check for check in checks]
    monkeypatch.setattr(docgen, "declared_checks", lambda: changed)

    assert docgen.main(["--check"]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == ["catalogue.json is stale", "checks.md is stale"]
    assert "run: python -m pytest_k8s_overlays.docgen" in out.err

    assert docgen.main([]) == 0
    assert docgen.main(["--check"]) == 0
    assert "| `new-rule` | a new mistake | do the new thing |" in copies["CHECKS_DOC"].read_text()
    assert '"new-rule": "do the new thing"' in copies["CATALOGUE"].read_text()


def test_a_file_without_its_generated_region_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copies = _copy(tmp_path, monkeypatch)
    copies["README"].write_text("# a README with no table of checks\n")
    assert docgen.main(["--check"]) == 2
    assert capsys.readouterr().err == (
        "docgen: README.md: no generated region <!-- checks:begin --> ... <!-- checks:end -->\n"
    )


def test_every_rule_has_a_hint_and_a_doc() -> None:
    for check in docgen.declared_checks():
        assert check.rules, check.id
        for rule, hint in check.rules.items():
            assert hint.strip(), (check.id, rule)
            assert check.docs[rule].strip(), (check.id, rule)


def test_rule_ids_are_unique_across_checks() -> None:
    owners: dict[str, str] = {}
    for check in docgen.declared_checks():
        for rule in check.rules:
            assert rule not in owners, (rule, check.id, owners.get(rule))
            assert rule not in CHECKS, rule
            owners[rule] = check.id


def test_the_check_options_are_the_fields_of_checkoptions() -> None:
    declared = [option.name for check in docgen.declared_checks() for option in check.options]
    assert sorted(declared) == sorted(option.name for option in CHECK_SETTINGS)
    fields = {field.name for field in dataclasses.fields(CheckOptions)}
    # The gate fills these itself: the groups, the rules skipped, what is presumed deployed.
    assert set(declared) == fields - {"groups", "skip_rules", "presumed"}


def _literals(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """Each string literal: its value, line, and whether it is a constant's definition."""
    defined = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
    }
    return [
        (node.value, node.lineno, id(node) in defined)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_rule_ids_are_constants_never_repeated_strings() -> None:
    """A rule id is spelt once, in its constant; every use names the constant.

    Only ids of two words or more are searched for: ``type`` or ``name`` are
    also the field names the checks read.
    """
    rules = {rule for check in CHECKS.values() for rule in check.rules if "-" in rule}
    definitions: dict[str, list[str]] = {rule: [] for rule in rules}
    repeated = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for value, line, is_definition in _literals(ast.parse(path.read_text())):
            if value not in rules:
                continue
            if is_definition:
                definitions[value].append(where)
            else:
                repeated.append(f"{where}:{line}: {value}")
    assert repeated == []
    assert {rule: len(files) for rule, files in definitions.items()} == dict.fromkeys(rules, 1)


def test_a_check_declared_in_its_module_names_that_module() -> None:
    check: Check = declare(
        "pytest_k8s_overlays.checks.schema.check", "x", "overlay", "s", "c", [Rule("r", "h", "d")]
    )
    assert (check.module, check.rules, check.docs) == ("schema.check", {"r": "h"}, {"r": "d"})
