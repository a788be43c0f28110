"""Generate the catalogue, the rule tables of the docs and the README from the check declarations.

Each check module declares its check once (``CHECK = declare(...)``: rules with
their hints and docs, options). This writes what is read from those
declarations: ``checks/catalogue.json`` (what start-up, ``--help``, the
settings table and suppression read), the rule tables of ``docs/checks.md``
and the README's table of checks, each between generated-region markers.

    python -m pytest_k8s_overlays.docgen          # write them
    python -m pytest_k8s_overlays.docgen --check  # exit 1, naming the stale files

It sits outside the layers, as the command does: it imports every check.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .checks.base import Check
from .core.deployables import APPLICATION

#: The modules declaring the built-in checks, in the order their items run.
CHECK_MODULES = (
    "renders",
    "unique_names",
    "isolation",
    "images",
    "namespace",
    "ports",
    "references",
    "schema.check",
    "application",
)

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
CATALOGUE = PACKAGE / "checks" / "catalogue.json"
CHECKS_DOC = ROOT / "docs" / "checks.md"
README = ROOT / "README.md"


class GenerationError(Exception):
    """A generated region's markers are missing from the file that should hold it."""


def declared_checks() -> list[Check]:
    """Every built-in check as its module declares it, in run order."""
    return [
        importlib.import_module(f"{__package__}.checks.{module}").CHECK for module in CHECK_MODULES
    ]


def catalogue_text(checks: Sequence[Check]) -> str:
    """The catalogue: each check without its docs, and every check's options."""
    entries = [
        {
            "id": check.id,
            "scope": check.scope,
            "summary": check.summary,
            "module": check.module,
            "rules": dict(check.rules),
            "cache_findings": check.cache_findings,
            "kinds": None if check.kinds is None else sorted(check.kinds),
            "needs_render": check.needs_render,
        }
        for check in checks
    ]
    options = [dataclasses.asdict(option) for check in checks for option in check.options]
    data = {"generated_by": "python -m pytest_k8s_overlays.docgen", "checks": entries}
    data["options"] = options
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    """A plain-text hint as a table cell: ``<name>`` outside code would read as HTML."""
    parts = text.replace("|", "\\|").replace("\n", " ").split("`")
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def rules_table(check: Check) -> str:
    """The Markdown table of one check's rules: what each catches and the fix."""
    rows = [
        f"| `{rule}` | {check.docs[rule]} | {_cell(hint)} |" for rule, hint in check.rules.items()
    ]
    return "\n".join(["| rule | catches | fix |", "|---|---|---|", *rows])


def _scope(check: Check) -> str:
    return "Argo CD Application" if check.kinds == frozenset({APPLICATION}) else check.scope


def checks_table(checks: Sequence[Check]) -> str:
    """The README's table: each check, its scope, and what it catches."""
    rows = [f"| `{check.id}` | {_scope(check)} | {check.catches} |" for check in checks]
    return "\n".join(["| check | scope | catches |", "|---|---|---|", *rows])


def fill(text: str, name: str, content: str, where: Path) -> str:
    """Replace the region ``name`` of ``text`` (between its markers) with ``content``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(f"{re.escape(begin)}\n.*?{re.escape(end)}", re.S)
    if not pattern.search(text):
        raise GenerationError(f"{where.name}: no generated region {begin} ... {end}")
    return pattern.sub(lambda _: f"{begin}\n{content}\n{end}", text, count=1)


def outputs(checks: Sequence[Check]) -> dict[Path, Callable[[str], str]]:
    """Each generated file, with how its new text follows from its current text."""

    def checks_doc(text: str) -> str:
        for check in checks:
            text = fill(text, f"rules:{check.id}", rules_table(check), CHECKS_DOC)
        return text

    return {
        CATALOGUE: lambda _: catalogue_text(checks),
        CHECKS_DOC: checks_doc,
        README: lambda text: fill(text, "checks", checks_table(checks), README),
    }


def stale_files(write: bool) -> list[Path]:
    """The generated files that differ from the declarations; rewrite them if ``write``."""
    stale = []
    for path, generate in outputs(declared_checks()).items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        wanted = generate(current)
        if wanted != current:
            stale.append(path)
            if write:
                path.write_text(wanted, encoding="utf-8")
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """Write the generated files, or with ``--check`` report the stale ones."""
    parser = argparse.ArgumentParser(prog="python -m pytest_k8s_overlays.docgen")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    try:
        stale = stale_files(write=not args.check)
    except GenerationError as error:
        print(f"docgen: {error}", file=sys.stderr)
        return 2
    for path in stale:
        verb = "is stale" if args.check else "written"
        print(f"{path.relative_to(ROOT)} {verb}")
    if args.check and stale:
        print("run: python -m pytest_k8s_overlays.docgen", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
