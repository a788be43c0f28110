"""Run the gate over real repositories and count its findings per check and rule.

Precision is measured, not argued: a healthy public repository should give no
finding but pinned-image policy and render failures that need the network or
plugins. This script runs the gate the way a new user would and prints what
it found, rule by rule, so precision can be measured again after every change.

One run, over one checkout::

    python benchmarks/precision.py REPO --overlays PATH [--overlays PATH ...] [-- GATE ARGS]

    # podinfo, one group per environment
    python benchmarks/precision.py ~/src/podinfo --overlays deploy/overlays/dev \\
        --overlays deploy/overlays/staging --overlays deploy/overlays/production

    # a group made of several directories (Flux: apps, infrastructure, flux-system)
    python benchmarks/precision.py ~/src/flux2-kustomize-helm-example \\
        --group staging=apps/staging,clusters/staging/flux-system,infrastructure/*

    # every leaf overlay its own group (a catalogue of unrelated packages)
    python benchmarks/precision.py ~/src/gitops-catalog --each-leaf . -- --overlays-jobs=1

A whole precision set, one run per line of a suite file (see
``benchmarks/precision_suite.txt``), with the checkouts under one directory::

    python benchmarks/precision.py --suite benchmarks/precision_suite.txt --repos ~/src \\
        [--out DIR] [--only NAME ...]

Groups: ``--overlays PATH`` is one group as the gate takes it (a directory or
a glob, relative to REPO). ``--group NAME=DIR,DIR,...`` puts several
directories (globs allowed) into one group through a temporary directory of
symbolic links, named after what tells the members apart. ``--each-leaf DIR``
makes every leaf overlay under DIR its own group (found with the plugin's own
discovery, in the gate's interpreter).

The gate runs in a child process with the repository's own pytest
configuration and Python tests left out (``-c /dev/null -p no:python``), no
cache and ``--junitxml``; the failure texts in the JUnit XML are parsed, so the
console format does not matter. A finding is an indented failure line ending
in ``[rule]`` or ``[rule] (from FILE)``; where its field comes from (the
manifest, the patch that set it) is read from the gate's JSON report
(``--overlays-report``) as a value. A render failure counts once per
overlay and is classed by Kustomize's message as ``network`` (a remote base,
git, http, a timeout), ``plugin/helm`` (helmCharts, KRM functions, exec
plugins) or ``other``. Also reported, as gate problems: a check that crashed,
an INTERNALERROR, a traceback, an exit status other than 0 or 1, overlays the
header counts that got no items, items collected twice under one node id.

Options: ``--python EXE`` (the interpreter with the plugin; default: this one),
``--output FILE`` (pytest's console output), ``--json FILE`` (counts and every
finding), ``--findings`` (print every finding line), ``--timeout SEC``.

Exit status: 0 when every run completed, 2 when the gate itself broke.
Standard library only; Python 3.10+.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: A finding line: indented, ends with ``[rule]`` and optionally `` (from ...)``, where
#: the field comes from (read as a value from the JSON report, not from this text).
FINDING = re.compile(r"^\s+(?P<text>\S.*?\[(?P<rule>[a-z0-9][a-z0-9-]*)\](?: \(from .*\))?)\s*$")
#: The first line of a failure: ``OVERLAY: [rule] ...`` or ``OVERLAY: N findings ...``.
HEADLINE = re.compile(r"^(?P<overlay>.+?): (?:\[[a-z0-9][a-z0-9-]*\] |\d+ findings )")
#: A finding shown in full under another item, said in one line (first or indented).
SAME = re.compile(
    r"^(?:.+?: |\s+)\[(?P<rule>[a-z0-9][a-z0-9-]*)\] "
    r"(?:the same finding as|(?P<count>\d+) findings, the same as) .+ "
    r"\((?P<place>[^()]*)\), shown in full under "
)
#: A render failure shown in full under another render item (a base they all fail on).
SAME_RENDER = re.compile(
    r"^(?P<overlay>.+?): the same render failure as (?P<first>.+) \((?P<place>[^()]*)\), "
    r"shown in full under .+ \[render\]$"
)
#: The cause a render failure shown under another item has until that one is read.
SAME_AS = "same as "
#: A render failure's first line (an unused Component's names its consumer first).
RENDER_FAILED = re.compile(
    r"^(?P<overlay>.+?): (?P<message>(?:a Component no gated overlay uses, rendered through "
    r"[^:]+: )?(?:kustomize build failed|rendered output is not|timed out).*)$"
)
#: The render item's first line: Kustomize's innermost cause (the chain follows).
RENDER_ITEM = re.compile(r"^(?P<overlay>.+?): (?P<message>.*)$")
#: A check that crashed (the plugin's own wording).
CRASHED = re.compile(r"^(?P<overlay>.+?): the (?P<check>\S+) check crashed: (?P<error>.*)$")
#: The gate's header line (printed without -q).
HEADER = re.compile(r"^k8s-overlays: (?P<overlays>\d+) overlays? in (?P<groups>\d+) groups?")
#: The files gate items are collected under (their JUnit ``file``).
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

NETWORK = re.compile(
    r"https?://|git@|ssh://|github\.com|gitlab\.com|bitbucket\.org|\bgit (?:fetch|clone|init)\b|"
    r"dial tcp|no such host|could not resolve|network is unreachable|connection refused|"
    r"timed out|i/o timeout|tls handshake|\.git\b|\?ref=",
    re.IGNORECASE,
)
PLUGIN = re.compile(
    r"helm|enable-alpha-plugins|\bplugin|krm function|function config|exec plugin|"
    r"unable to load (?:generator|transformer|validator)|external plugins",
    re.IGNORECASE,
)

GATE_ARGS = (
    "-c",
    os.devnull,
    "-p",
    "no:cacheprovider",
    "--overlays-no-cache",
    "--tb=short",
    "-rN",
    "-o",
    "junit_family=xunit1",  # xunit1 gives each testcase its file (the kustomization)
)

#: Prints each leaf overlay under a directory, with the plugin's own discovery.
LEAVES = (
    "import sys; from pathlib import Path; "
    "from pytest_k8s_overlays.sources.kustomize.overlays import leaf_overlays; "
    "root = Path(sys.argv[1]).resolve(); "
    "print('\\n'.join(sorted(str(d.relative_to(root)) for d, _ in leaf_overlays(root))))"
)


@dataclass
class Finding:
    """One line of a failure: which check and rule, on which overlay; ``provenance`` is
    where its field comes from (the JSON report's value: the manifest, the patch)."""

    check: str
    rule: str
    overlay: str
    text: str
    item: str
    provenance: dict[str, str | None] | None = None


@dataclass
class RenderFailure:
    """An overlay that did not render, with the cause class and Kustomize's message."""

    overlay: str
    cause: str
    message: str
    item: str


@dataclass
class Report:
    """Everything one gate run gave."""

    name: str
    repo: str
    groups: list[str]
    command: list[str]
    exit_status: int
    overlays_discovered: int | None = None
    overlays_collected: int = 0
    duplicate_items: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    findings: list[Finding] = field(default_factory=list)
    render_failures: list[RenderFailure] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unparsed_failures: list[str] = field(default_factory=list)
    summary_lines: list[str] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        """Tell whether the gate itself misbehaved (as opposed to finding things)."""
        return bool(self.problems) or self.exit_status not in (0, 1)


@dataclass(frozen=True)
class Run:
    """One gate run: a name, a checkout, its groups and extra gate arguments."""

    name: str
    repo: Path
    overlays: tuple[str, ...] = ()
    composite: tuple[str, ...] = ()
    each_leaf: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()


# -- reading the gate's results ----------------------------------------------------------


def render_cause(message: str) -> str:
    """``plugin/helm``, ``network`` or ``other``: what a render failure needs to succeed."""
    if PLUGIN.search(message):
        return "plugin/helm"
    if NETWORK.search(message):
        return "network"
    return "other"


def _render_failure(
    check: str, file: str, lines: list[str], report: Report, failed_renders: set[str]
) -> bool:
    """Add a render failure the item's text says (once per item file); whether it said one."""
    first = lines[0] if lines else ""
    same = SAME_RENDER.match(first) if check == "render" else None
    render = RENDER_FAILED.match(first) or (check == "render" and RENDER_ITEM.match(first))
    if not same and not render:
        return False
    if file in failed_renders:
        return True
    failed_renders.add(file)
    if same:
        # Classed as the failure it repeats, once every item is read (see parse_junit).
        failure = RenderFailure(same["overlay"], SAME_AS + same["first"], first, file)
    else:
        assert render
        # Kustomize's message may span lines (the error, then its warnings).
        message = " ".join([render["message"], *(line.strip() for line in lines[1:])]).strip()
        failure = RenderFailure(render["overlay"], render_cause(message), message, file)
    report.render_failures.append(failure)
    return True


def parse_failure(
    check: str, node: str, file: str, text: str, report: Report, failed_renders: set[str]
) -> None:
    """Add what one failed item's text says to ``report``."""
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if CRASHED.match(first):
        report.problems.append(f"{node}: {first}\n" + "\n".join(lines[1:4]))
        return
    if _render_failure(check, file, lines, report, failed_renders):
        return
    headline = HEADLINE.match(first)
    overlay = headline["overlay"] if headline else node
    found = 0
    for line in lines:
        same = SAME.match(line)
        if same:
            # Counted per overlay, as before findings were shown once (a line may stand
            # for several of the item's findings at one place).
            for _ in range(int(same["count"] or 1)):
                found += 1
                report.findings.append(Finding(check, same["rule"], overlay, line.strip(), file))
            continue
        match = FINDING.match(line) if line is not first else None
        if match:
            found += 1
            report.findings.append(
                Finding(check, match["rule"], overlay, match["text"].strip(), file)
            )
    if not found:
        report.unparsed_failures.append(f"{node}: {first}")
    if "Traceback (most recent call last)" in text:
        report.problems.append(f"{node}: traceback in failure text: {first}")


def read_provenance(path: Path, report: Report) -> None:
    """Give each finding its provenance from the gate's JSON report, whose records hold
    the line the failure text shows (after the overlay's name, for a one-overlay item)."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))["findings"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    by_message = {record["message"]: record.get("provenance") for record in records}
    for finding in report.findings:
        for message in (f"{finding.overlay}: {finding.text}", finding.text):
            if message in by_message:
                finding.provenance = by_message[message]
                break


def _gate_item(file: str) -> bool:
    return Path(file).name in KUSTOMIZATION_FILES


def parse_junit(path: Path, report: Report) -> None:
    """Count outcomes and read failures from pytest's JUnit XML."""
    failed_renders: set[str] = set()
    seen: set[tuple[str, str]] = set()
    files: set[str] = set()
    for case in ET.parse(path).getroot().iter("testcase"):
        name, file = case.get("name", ""), case.get("file", "")
        node = f"{file or case.get('classname', '')}::{name}"
        if _gate_item(file):
            if (file, name) in seen:
                # The same node id twice: count its outcome and findings once.
                report.duplicate_items += 1
                continue
            seen.add((file, name))
            files.add(file)
        failure, error = case.find("failure"), case.find("error")
        if case.find("skipped") is not None:
            report.skipped += 1
        elif failure is not None:
            report.failed += 1
            text = failure.text or failure.get("message") or ""
            parse_failure(name, node, file, text, report, failed_renders)
        elif error is not None:
            report.errors += 1
            detail = (error.text or "")[:2000]
            report.problems.append(f"{node}: error: {error.get('message', '')}\n{detail}")
        else:
            report.passed += 1
    report.overlays_collected = len(files)
    _resolve_same_renders(report)


def _resolve_same_renders(report: Report) -> None:
    """Class each render failure shown in one line as the failure it repeats."""
    by_overlay = {r.overlay: r for r in report.render_failures if not r.cause.startswith(SAME_AS)}
    for index, failure in enumerate(report.render_failures):
        if failure.cause.startswith(SAME_AS):
            label = failure.cause.removeprefix(SAME_AS)
            # A label names the group too when names repeat: ``info (deploy/overlays/prod)``.
            shown = by_overlay.get(label) or by_overlay.get(label.split(" (", 1)[0])
            cause, message = (shown.cause, shown.message) if shown else ("other", failure.message)
            report.render_failures[index] = RenderFailure(
                failure.overlay, cause, message, failure.item
            )


def scan_console(output: str, report: Report) -> None:
    """INTERNALERROR, tracebacks, the header and the k8s-overlays summary section."""
    lines = output.splitlines()
    internal = [line for line in lines if line.startswith("INTERNALERROR")]
    if internal:
        report.problems.append("INTERNALERROR:\n" + "\n".join(internal[-30:]))
    if "Traceback (most recent call last)" in output and not internal:
        start = output.index("Traceback (most recent call last)")
        report.problems.append("traceback on the console:\n" + output[start : start + 3000])
    for line in lines:
        header = HEADER.match(line)
        if header:
            report.overlays_discovered = int(header["overlays"])
            break
    in_summary = False
    for line in lines:
        if "k8s-overlays ----" in line:
            in_summary = True
        elif in_summary:
            if line.startswith("=") or re.match(r"^\d+ (passed|failed)|^no tests ran", line):
                break
            report.summary_lines.append(line)


def check_consistency(report: Report, console: str) -> None:
    """Record what says the gate itself misbehaved."""
    if report.exit_status not in (0, 1):
        tail = "\n".join(console.splitlines()[-15:])
        meaning = "2 interrupted, 3 internal error, 4 usage error"
        report.problems.append(f"exit status {report.exit_status} ({meaning}):\n{tail}")
    if report.duplicate_items:
        report.problems.append(
            f"{report.duplicate_items} items collected twice with the same node id "
            "(counted once here)"
        )
    discovered = report.overlays_discovered
    if discovered is not None and report.overlays_collected < discovered:
        report.problems.append(
            f"the header says {discovered} overlays, but items exist for "
            f"{report.overlays_collected}: overlays silently left out"
        )


# -- running the gate ------------------------------------------------------------------


def _member_names(members: Sequence[Path]) -> list[str]:
    """Names telling the members of a composite group apart: their paths, less the
    components every member's path holds (``src``, ``k8s``, ``overlays``...)."""
    parts = [m.parts for m in members]
    common = set(parts[0]).intersection(*parts[1:]) if parts else set()
    names = ["-".join(part for part in p if part not in common) or "-".join(p) for p in parts]
    return names if len(set(names)) == len(names) else ["-".join(p) for p in parts]


def composite_group(repo: Path, spec: str, where: Path) -> str:
    """Build the group ``NAME=DIR,DIR,...`` as a directory of links under ``where``."""
    name, _, listed = spec.partition("=")
    if not name or not listed:
        raise ValueError(f"--group {spec!r}: write NAME=DIR,DIR,...")
    members: list[Path] = []
    for entry in listed.split(","):
        matched = sorted(glob.glob(entry.strip(), root_dir=repo)) if entry.strip() else []
        if not matched:
            raise ValueError(f"--group {name}: {entry!r} matches nothing in {repo}")
        members.extend(Path(m) for m in matched if (repo / m).is_dir())
    group = where / name
    group.mkdir(parents=True)
    for member, link in zip(members, _member_names(members), strict=True):
        (group / link).symlink_to(repo / member, target_is_directory=True)
    return str(group)


def leaf_groups(repo: Path, directory: str, python: str) -> list[str]:
    """Every leaf overlay under ``repo/directory``, each its own group."""
    root = (repo / directory).resolve()
    done = subprocess.run(
        [python, "-c", LEAVES, str(root)], capture_output=True, text=True, check=True
    )
    return [os.path.relpath(root / line, repo) for line in done.stdout.splitlines() if line.strip()]


@contextmanager
def groups_of(run: Run, python: str) -> Iterator[list[str]]:
    """The ``--overlays`` values of a run; composite groups live while it does."""
    with tempfile.TemporaryDirectory(prefix="precision-groups-") as tmp:
        groups = list(run.overlays)
        groups += [composite_group(run.repo, spec, Path(tmp)) for spec in run.composite]
        for directory in run.each_leaf:
            groups += leaf_groups(run.repo, directory, python)
        yield groups


def _text(value: bytes | str | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value or ""


def run_gate(run: Run, python: str, output: Path | None, timeout: float | None) -> Report:
    """Run the gate once over a checkout and read what it found."""
    with groups_of(run, python) as groups, tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        records = Path(tmp) / "report.json"
        command = [
            python,
            "-m",
            "pytest",
            f"--rootdir={run.repo}",
            *GATE_ARGS,
            "-p",
            "no:python",  # the repository's own tests may not even import here
            *(f"--overlays={group}" for group in groups),
            f"--junitxml={junit}",
            f"--overlays-report={records}",
            *run.extra,
        ]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTEST_ADDOPTS", None)
        try:
            done = subprocess.run(
                command, cwd=run.repo, env=env, capture_output=True, text=True, timeout=timeout
            )
            status, console = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            status = -1
            console = _text(expired.stdout) + _text(expired.stderr) + "\n[killed: timeout]"
        if output is not None:
            shown = " ".join(shlex.quote(part) for part in command)
            output.write_text(f"$ (cd {run.repo} && {shown})\n{console}", encoding="utf-8")
        report = Report(run.name, str(run.repo), groups, command, status)
        if junit.exists():
            parse_junit(junit, report)
            read_provenance(records, report)
        scan_console(console, report)
        check_consistency(report, console)
        return report


# -- printing --------------------------------------------------------------------------


def per_rule(report: Report) -> Counter[tuple[str, str]]:
    """Findings per (check, rule)."""
    return Counter((f.check, f.rule) for f in report.findings)


def print_report(report: Report, show_findings: bool) -> None:
    """Counts per check and rule, render failures by cause, gate problems."""
    out = sys.stdout.write
    out(f"== {report.name}\nrepo: {report.repo}\ngroups: {len(report.groups)}\n")
    out(f"overlays: {report.overlays_discovered} discovered, {report.overlays_collected} gated\n")
    out(
        f"items: {report.passed} passed, {report.failed} failed, {report.errors} errors, "
        f"{report.skipped} skipped; exit status {report.exit_status}\n"
    )
    for line in report.summary_lines:
        out(f"  | {line}\n")
    out(f"findings: {len(report.findings)}\n")
    for (check, rule), count in sorted(per_rule(report).items()):
        overlays = len({f.overlay for f in report.findings if (f.check, f.rule) == (check, rule)})
        out(f"  {check:<13} {rule:<28} {count:>5}  ({overlays} overlay{'s' * (overlays != 1)})\n")
    causes = Counter(r.cause for r in report.render_failures)
    listed = "".join(f"; {c} {causes[c]}" for c in ("network", "plugin/helm", "other") if causes[c])
    out(f"render failures: {len(report.render_failures)}{listed}\n")
    for failure in report.render_failures:
        out(f"  [{failure.cause}] {failure.item}: {failure.message[:300]}\n")
    if report.unparsed_failures:
        out(f"failures with no finding line: {len(report.unparsed_failures)}\n")
        for line in report.unparsed_failures:
            out(f"  {line}\n")
    out(f"gate problems: {len(report.problems)}\n")
    for problem in report.problems:
        out("  " + problem.replace("\n", "\n    ") + "\n")
    if show_findings:
        print_findings(report)


def print_findings(report: Report) -> None:
    """Every finding line, grouped by check and rule."""
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        grouped[(finding.check, finding.rule)].append(finding)
    for (check, rule), findings in sorted(grouped.items()):
        sys.stdout.write(f"--- {check} [{rule}]\n")
        for finding in findings:
            sys.stdout.write(f"  {finding.overlay}: {finding.text}\n")


def print_table(reports: Sequence[Report]) -> None:
    """One line per run: findings per rule, render failures by cause, gate problems."""
    out = sys.stdout.write
    out("\n== summary\n")
    for report in reports:
        rules = ", ".join(f"{rule} {n}" for (_, rule), n in sorted(per_rule(report).items()))
        causes = Counter(r.cause for r in report.render_failures)
        renders = ", ".join(f"{cause} {n}" for cause, n in sorted(causes.items()))
        out(
            f"{report.name:<34} {report.overlays_collected:>4} gated  "
            f"findings: {rules or 'none'}"
            + (f"; render failures: {renders}" if renders else "")
            + (f"; GATE PROBLEMS: {len(report.problems)}" if report.problems else "")
            + "\n"
        )


# -- the command line ------------------------------------------------------------------


def parse_suite(path: Path, repos: Path) -> list[Run]:
    """Read a suite file: ``NAME REPO [--overlays=G | --group=N=D,.. | --each-leaf=D]... [-- ARGS]``
    per line, ``#`` comments; REPO is relative to ``repos``."""
    runs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if len(words) < 3:
            raise ValueError(f"{path}:{number}: write NAME REPO GROUP...")
        name, repo, *rest = words
        runs.append(_run(name, repos / repo, rest))
    return runs


def _run(name: str, repo: Path, words: Sequence[str]) -> Run:
    extra: list[str] = []
    if "--" in words:
        cut = list(words).index("--")
        words, extra = words[:cut], list(words[cut + 1 :])
    parser = argparse.ArgumentParser(prog=name, add_help=False, allow_abbrev=False)
    parser.add_argument("--overlays", action="append", default=[])
    parser.add_argument("--group", action="append", default=[])
    parser.add_argument("--each-leaf", action="append", default=[])
    options, unknown = parser.parse_known_args(list(words))
    return Run(
        name,
        repo.resolve(),
        tuple(options.overlays),
        tuple(options.group),
        tuple(options.each_leaf),
        tuple(unknown + extra),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1 :]
    parser = argparse.ArgumentParser(
        description="Count pytest-k8s-overlays findings per check and rule.", allow_abbrev=False
    )
    parser.add_argument("repo", type=Path, nargs="?", help="the checkout (rootdir and cwd)")
    parser.add_argument("--overlays", action="append", default=[], help="one group")
    parser.add_argument("--group", action="append", default=[], help="NAME=DIR,DIR,...")
    parser.add_argument("--each-leaf", action="append", default=[], help="leaves as groups")
    parser.add_argument("--suite", type=Path, help="a suite file: one run per line")
    parser.add_argument("--repos", type=Path, default=Path.cwd(), help="where suite repos live")
    parser.add_argument("--only", action="append", default=[], help="suite runs to do")
    parser.add_argument("--out", type=Path, help="write NAME.txt and NAME.json here (suite)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with the plugin")
    parser.add_argument("--output", type=Path, help="save the console output here")
    parser.add_argument("--json", type=Path, help="write counts and findings as JSON here")
    parser.add_argument("--findings", action="store_true", help="print every finding line")
    parser.add_argument("--timeout", type=float, help="kill a run after this many seconds")
    options = parser.parse_args(args)
    if options.suite is not None:
        runs = parse_suite(options.suite, options.repos)
        runs = [r for r in runs if not options.only or r.name in options.only]
    elif options.repo is not None:
        words = [f"--overlays={g}" for g in options.overlays]
        words += [f"--group={g}" for g in options.group]
        words += [f"--each-leaf={d}" for d in options.each_leaf]
        runs = [_run(options.repo.name, options.repo, [*words, "--", *extra])]
    else:
        parser.error("give a REPO with its groups, or --suite FILE")
    reports = []
    for run in runs:
        if not run.repo.is_dir():
            parser.error(f"{run.name}: {run.repo} is not a directory")
        out_dir = options.out
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        output = out_dir / f"{run.name}.txt" if out_dir is not None else options.output
        report = run_gate(run, options.python, output, options.timeout)
        print_report(report, options.findings)
        destination = out_dir / f"{run.name}.json" if out_dir is not None else options.json
        if destination is not None:
            destination.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
        reports.append(report)
    if len(reports) > 1:
        print_table(reports)
    return 2 if any(report.broken for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
