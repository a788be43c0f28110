"""Write tests/data/argocd_conformance/generator_cases.json: the generator cases.

Each case names its area (``matrix``, ``merge``, ``values``, ``directories``,
``gitfile``, ``envsubst``) and the inputs ``generators.go`` evaluates with
Argo CD's own functions. Ids are stable: never reuse one. Cases whose id starts
with ``argo-`` are taken from Argo CD's own tests (the test file and case name
in ``source``). Run from the repository root:

    python tools/argocd-conformance/make_generator_cases.py
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

OUT = Path("tests/data/argocd_conformance/generator_cases.json")

Case = dict[str, Any]


def _matrix() -> list[Case]:
    cases: list[Case] = []
    firsts: list[list[dict[str, Any]]] = [
        [{"name": "a", "auto": False, "tier": ""}],
        [{"name": "a", "auto": True, "tier": "gold"}],
        [{"name": "a", "n": 0}, {"name": "b", "n": 1}],
        [{"name": "a", "meta": {"team": "web", "on": False}}],
        [{"name": "a", "meta": {}}],
        [{"name": "a", "meta": None}],
        [{"name": "a", "list": []}],
        [{"name": "a", "list": ["x"]}],
        [{"name": "a", "meta": "flat"}],
        [{}],
    ]
    seconds: list[list[dict[str, Any]]] = [
        [{"auto": True, "tier": "silver"}],
        [{"name": "b", "n": 5}],
        [{"meta": {"team": "ops", "region": "eu"}}],
        [{"meta": {"team": ""}}],
        [{"list": ["y", "z"]}],
        [{"meta": "text"}],
        [{"other": 1.5}, {"other": None}],
        [{}],
    ]
    for i, (first, second) in enumerate(itertools.product(firsts, seconds)):
        cases.append(
            {
                "id": f"matrix-go-{i}",
                "area": "matrix",
                "goTemplate": True,
                "first": first,
                "second": second,
            }
        )
    flat_firsts = [
        [{"name": "a", "env": "dev"}],
        [{"name": "a", "env": ""}],
        [{"name": "a"}, {"name": "b"}],
        [{}],
    ]
    flat_seconds = [
        [{"env": "dev", "path": "apps/a"}],
        [{"env": "prod"}],
        [{"env": ""}],
        [{"path": "x"}, {"path": "y"}],
        [{}],
    ]
    for i, (first, second) in enumerate(itertools.product(flat_firsts, flat_seconds)):
        cases.append(
            {
                "id": f"matrix-flat-{i}",
                "area": "matrix",
                "goTemplate": False,
                "first": first,
                "second": second,
            }
        )
    # Argo CD's own: applicationset/generators/matrix_test.go, TestMatrixGenerateGoTemplate.
    cases.append(
        {
            "id": "argo-matrix-override",
            "area": "matrix",
            "goTemplate": True,
            "source": "matrix_test.go: parameter override: first list elements take precedence",
            "first": [
                {
                    "booleanFalse": False,
                    "booleanTrue": True,
                    "stringFalse": "false",
                    "stringTrue": "true",
                }
            ],
            "second": [
                {
                    "booleanFalse": True,
                    "booleanTrue": False,
                    "stringFalse": "true",
                    "stringTrue": "false",
                }
            ],
        }
    )
    for go in (True, False):
        kind = "go" if go else "flat"
        cases.append(
            {
                "id": f"argo-matrix-two-lists-{kind}",
                "area": "matrix",
                "goTemplate": go,
                "source": "matrix_test.go: happy flow - generate params from two lists",
                "first": [{"a": "1"}, {"a": "2"}],
                "second": [{"b": "1"}, {"b": "2"}],
            }
        )
    return cases


def _merge() -> list[Case]:
    cases: list[Case] = []
    bases = [
        [{"name": "a", "auto": True, "tier": "gold"}, {"name": "b", "auto": True}],
        [{"name": "a", "meta": {"team": "web", "size": 2}}],
        [{"name": "a", "list": ["x"]}],
        [{"name": "a", "n": 3}],
        [{"name": "a"}, {"name": "c"}],
    ]
    overrides = [
        [{"name": "a", "auto": False, "tier": ""}],
        [{"name": "a", "meta": {"team": ""}}],
        [{"name": "a", "meta": {}}],
        [{"name": "a", "meta": None}],
        [{"name": "a", "list": []}],
        [{"name": "a", "n": 0}],
        [{"name": "b", "extra": "y"}, {"name": "z", "extra": "z"}],
        [],
    ]
    for i, (base, override) in enumerate(itertools.product(bases, overrides)):
        cases.append(
            {
                "id": f"merge-go-{i}",
                "area": "merge",
                "goTemplate": True,
                "mergeKeys": ["name"],
                "generators": [base, override],
            }
        )
    flat_bases = [
        [{"name": "a", "env": "dev"}, {"name": "b", "env": "dev"}],
        [{"name": "a", "env": "dev", "region": "eu"}],
    ]
    flat_overrides = [
        [{"name": "a", "env": ""}],
        [{"name": "a", "env": "prod", "extra": "1"}],
        [{"name": "c", "env": "prod"}],
    ]
    for i, (base, override) in enumerate(itertools.product(flat_bases, flat_overrides)):
        cases.append(
            {
                "id": f"merge-flat-{i}",
                "area": "merge",
                "goTemplate": False,
                "mergeKeys": ["name"],
                "generators": [base, override],
            }
        )
    more: list[tuple[str, list[str], list[list[dict[str, Any]]]]] = [
        (
            "compound",
            ["name", "env"],
            [
                [{"name": "a", "env": "dev", "x": "1"}, {"name": "a", "env": "prod", "x": "1"}],
                [{"name": "a", "env": "prod", "x": "2"}],
            ],
        ),
        (
            "three",
            ["name"],
            [
                [{"name": "a", "x": "1"}],
                [{"name": "a", "x": "2"}],
                [{"name": "a", "x": "3", "y": "3"}],
            ],
        ),
        ("absent-key", ["zone"], [[{"name": "a"}, {"name": "b"}], [{"name": "a"}]]),
        ("duplicate", ["name"], [[{"name": "a"}, {"name": "a"}], [{"name": "a"}]]),
        ("duplicate-override", ["name"], [[{"name": "a"}], [{"name": "a"}, {"name": "a"}]]),
        ("number-key", ["n"], [[{"n": 1, "x": "a"}], [{"n": 1, "x": "b"}]]),
        ("no-keys", [], [[{"name": "a"}], [{"name": "a"}]]),
        ("one-generator", ["name"], [[{"name": "a"}]]),
    ]
    for name, keys, generators in more:
        for go in (True, False):
            if not go and any(
                not isinstance(v, str) for g in generators for p in g for v in p.values()
            ):
                continue
            cases.append(
                {
                    "id": f"merge-{name}-{'go' if go else 'flat'}",
                    "area": "merge",
                    "goTemplate": go,
                    "mergeKeys": keys,
                    "generators": generators,
                }
            )
    # Argo CD's own: applicationset/generators/merge_test.go.
    own: list[tuple[str, str, list[str], list[list[dict[str, Any]]]]] = [
        (
            "happy",
            "TestMergeGenerate: happy flow - generate paramSets",
            ["b"],
            [
                [{"a": "1_1", "b": "same", "c": "1_3"}],
                [{"a": "2_1", "b": "same"}],
                [{"a": "3_1", "b": "different", "c": "3_3"}],
            ],
        ),
        (
            "keys-absent",
            "TestMergeGenerate: merge keys absent - do not merge",
            ["b"],
            [[{"a": "a"}], [{"a": "a"}]],
        ),
        (
            "key-first-only",
            "TestMergeGenerate: merge key present in first set, absent in second - do not merge",
            ["b"],
            [[{"a": "a"}], [{"b": "b"}]],
        ),
        (
            "one",
            "TestMergeGenerate: one generator",
            ["b"],
            [[{"a": "1_1", "b": "same", "c": "1_3"}]],
        ),
        ("none", "TestMergeGenerate: no generators", ["b"], []),
    ]
    keyed: list[tuple[str, list[str], list[dict[str, Any]]]] = [
        ("no-merge-keys", [], [{"key": "a"}]),
        ("no-paramsets", ["key"], []),
        ("simple-unique", ["key"], [{"key": "a"}, {"key": "b"}]),
        ("simple-object", ["key"], [{"key": {"hello": "world"}}, {"key": "b"}]),
        ("simple-non-unique", ["key"], [{"key": "a"}, {"key": "b"}, {"key": "b"}]),
        ("duplicated-name", ["key", "key"], [{"key": "a"}, {"key": "b"}]),
        ("duplicated-name-non-unique", ["key", "key"], [{"key": "a"}, {"key": "b"}, {"key": "b"}]),
        (
            "compound-unique",
            ["key1", "key2"],
            [{"key1": "a", "key2": "a"}, {"key1": "a", "key2": "b"}, {"key1": "b", "key2": "a"}],
        ),
        (
            "compound-object",
            ["key1", "key2"],
            [
                {"key1": "a", "key2": {"hello": "world"}},
                {"key1": "a", "key2": "b"},
                {"key1": "b", "key2": "a"},
            ],
        ),
        (
            "compound-duplicate-names",
            ["key1", "key1", "key2"],
            [{"key1": "a", "key2": "a"}, {"key1": "a", "key2": "b"}, {"key1": "b", "key2": "a"}],
        ),
        (
            "compound-non-unique",
            ["key1", "key2"],
            [{"key1": "a", "key2": "a"}, {"key1": "a", "key2": "a"}, {"key1": "b", "key2": "a"}],
        ),
        (
            "compound-duplicate-names-non-unique",
            ["key1", "key1", "key2"],
            [{"key1": "a", "key2": "a"}, {"key1": "a", "key2": "a"}, {"key1": "b", "key2": "a"}],
        ),
    ]
    for name, source, keys, generators in own:
        cases.append(
            {
                "id": f"argo-merge-{name}",
                "area": "merge",
                "goTemplate": False,
                "source": f"merge_test.go {source}",
                "mergeKeys": keys,
                "generators": generators,
            }
        )
    for name, keys, sets in keyed:
        # getParamSetsByMergeKey's cases, as a merge whose base is the sets.
        cases.append(
            {
                "id": f"argo-merge-key-{name}",
                "area": "merge",
                "goTemplate": True,
                "source": "merge_test.go TestParamSetsAreUniqueByMergeKeys",
                "mergeKeys": keys,
                "generators": [sets, []],
            }
        )
    return cases


def _values() -> list[Case]:
    cases: list[Case] = []
    go_values = [
        {"ns": "{{ .env }}-ns"},
        {"ns": "{{ .env }}-{{ .path.basename }}"},
        {"ns": "{{ .path.basename }}"},
        {"ns": "{{ .nope }}"},
        {"ns": "{{ .env | upper }}", "b": "{{ .path.path }}"},
        {"ns": '{{ default "x" .nope }}'},
        {"ns": "{{ .meta.team }}"},
        {"ns": "plain"},
        {"ns": "{{ if .env }}yes{{ end }}"},
        {"ns": "{{ index .path.segments 0 }}"},
    ]
    first = [{"env": "dev", "meta": {"team": "web"}}, {"env": "prod"}]
    own = [{"path": {"path": "apps/a", "basename": "a", "segments": ["apps", "a"]}}]
    for options in ([], ["missingkey=error"], ["missingkey=zero"]):
        for i, values in enumerate(go_values):
            suffix = options[0].split("=")[1] if options else "default"
            cases.append(
                {
                    "id": f"values-go-{suffix}-{i}",
                    "area": "values",
                    "goTemplate": True,
                    "options": options,
                    "first": first,
                    "second": own,
                    "values": values,
                }
            )
    flat_values = [
        {"ns": "{{env}}-{{path.basename}}"},
        {"ns": "{{env}}"},
        {"ns": "{{ env }}-{{nope}}"},
        {"ns": "{{path}}"},
        {"ns": "plain", "b": "{{values.ns}}"},
        {"ns": "{{}}"},
    ]
    flat_first = [{"env": "dev"}]
    flat_own = [{"path": "apps/a", "path.basename": "a"}]
    for i, values in enumerate(flat_values):
        cases.append(
            {
                "id": f"values-flat-{i}",
                "area": "values",
                "goTemplate": False,
                "first": flat_first,
                "second": flat_own,
                "values": values,
            }
        )
    return cases


def _directories() -> list[Case]:
    # No hidden directory: the repo-server lists none (nor does the emulation).
    paths = [
        "apps",
        "apps/a",
        "apps/b",
        "apps/b/c",
        "apps/ab",
        "apps/a-b",
        "apps/[x]",
        "apps/x*y",
        "other/a",
        "apps/a/b/c",
    ]
    patterns = [
        "apps/*",
        "apps/a",
        "apps/?",
        "apps/[a-b]",
        "apps/[!a]",
        "apps/[^a]",
        "apps/*/*",
        "*",
        "*/a",
        "apps/**",
        "apps/\\[x]",
        "apps/x\\*y",
        "apps/[",
        "apps/a*",
        "apps/",
        "apps/*b",
        "apps/.*",
        "apps/[a-]",
        "apps/[]a]",
        "apps/*/c",
    ]
    cases: list[Case] = []
    for i, pattern in enumerate(patterns):
        cases.append(
            {
                "id": f"dirs-{i}",
                "area": "directories",
                "patterns": [{"path": pattern}],
                "paths": paths,
            }
        )
    excludes = [
        ("apps/*", "apps/b"),
        ("apps/*", "apps/[ab]"),
        ("apps/*", "apps/*"),
        ("apps/b", "apps/*"),
        ("apps/*/*", "apps/b/*"),
    ]
    for i, (keep, drop) in enumerate(excludes):
        cases.append(
            {
                "id": f"dirs-exclude-{i}",
                "area": "directories",
                "patterns": [{"path": keep}, {"path": drop, "exclude": True}],
                "paths": paths,
            }
        )
    return cases


def _gitfiles() -> list[Case]:
    contents = [
        "window: 1:20\n",
        "mode: 010\nhex: 0x1F\nbin: 0b11\nunder: 1_000\n",
        "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: True\nh: NO\n",
        "a: ~\nb: null\nc:\n",
        "date: 2001-12-14\nstamp: 2001-12-14t21:59:43.10-05:00\n",
        "a: 1e3\nb: .inf\nc: -.Inf\nd: .nan\ne: 1.50\nf: -0\n",
        "big: 12345678901234567890\nneg: -9223372036854775808\n",
        "name: a\nlist: [1, two, {x: 3}]\nnested: {a: {b: c}}\n",
        "- name: a\n- name: b\n  n: 2\n",
        "",
        "# only a comment\n",
        "name: a\n---\nname: b\n",
        '{"name": "a", "n": 1, "f": 1.5, "t": true}\n',
        "1: one\n2.5: x\ntrue: t\n",
        "base: &b {x: 1}\nuse: *b\n",
        "name: [unclosed\n",
        "- 1\n- 2\n",
        "just a string\n",
        "name: 'quoted: yes'\nother: \"1:20\"\n",
        "key: |\n  line1\n  line2\n",
        "y: 2\non: 3\nn: 1\nx: {y: 1}\n",
        "~: 5\n",
        "a: !!str 010\nb: !!int \"7\"\n",
    ]
    cases: list[Case] = []
    for i, content in enumerate(contents):
        for go in (True, False):
            kind = "go" if go else "flat"
            cases.append(
                {
                    "id": f"gitfile-{kind}-{i}",
                    "area": "gitfile",
                    "goTemplate": go,
                    "file": "envs/dev/config.yaml",
                    "content": content,
                }
            )
    for go in (True, False):
        kind = "go" if go else "flat"
        cases.append(
            {
                "id": f"gitfile-{kind}-prefix",
                "area": "gitfile",
                "goTemplate": go,
                "file": "a/b/c.json",
                "content": "x: 1\n",
                "prefix": "cfg",
            }
        )
        cases.append(
            {
                "id": f"gitfile-{kind}-root",
                "area": "gitfile",
                "goTemplate": go,
                "file": "top.yaml",
                "content": "x: 1\n",
            }
        )
    return cases


def _envsubst() -> list[Case]:
    env = {"ARGOCD_APP_NAME": "web", "ARGOCD_APP_NAMESPACE": "prod", "X": "1", "EMPTY": ""}
    texts = [
        "$ARGOCD_APP_NAME",
        "${ARGOCD_APP_NAME}-x",
        "$ARGOCD_APP_NAME-x",
        "$$X",
        "$$$X",
        "$UNKNOWN-a",
        "${UNKNOWN}",
        "a$",
        "a$-b",
        "${X",
        "${}",
        "$1",
        "$*",
        "$@x",
        "$X$X",
        "${X}${EMPTY}z",
        "$ X",
        "${X:-d}",
        "pre${ARGOCD_APP_NAMESPACE}post",
        "$_X",
        "$x",
        "nginx:$X",
        "${!X}",
        "$$",
        "$",
    ]
    return [
        {"id": f"envsubst-{i}", "area": "envsubst", "text": text, "env": env}
        for i, text in enumerate(texts)
    ]


def _selectors() -> list[Case]:
    go_params = [
        {"name": "a", "env": "dev", "n": 1, "on": True, "meta": {"team": "web"}, "list": ["x", "y"]},
        {"name": "b", "env": "prod", "n": 2.5, "on": False, "meta": {"team": ""}, "none": None},
        {"name": "c", "env": "", "meta": {}},
    ]
    flat_params = [
        {"name": "a", "env": "dev", "path": "apps/a", "path.basename": "a", "path[0]": "apps"},
        {"name": "b", "env": "prod", "path": "apps/b", "path.basename": "b", "path[0]": "apps"},
    ]
    selectors: list[dict[str, Any]] = [
        {"matchLabels": {"env": "dev"}},
        {"matchLabels": {"env": ""}},
        {"matchLabels": {"n": "1"}},
        {"matchLabels": {"n": "2.5"}},
        {"matchLabels": {"on": "true"}},
        {"matchLabels": {"on": "false"}},
        {"matchLabels": {"meta.team": "web"}},
        {"matchLabels": {"meta.team": ""}},
        {"matchLabels": {"list.0": "x"}},
        {"matchLabels": {"none": "<nil>"}},
        {"matchLabels": {"path.basename": "a"}},
        {"matchLabels": {"path[0]": "apps"}},
        {"matchLabels": {"env": "dev", "name": "b"}},
        {"matchLabels": {"example.com/env": "dev"}},
        {"matchLabels": {"Bad Key": "x"}},
        {"matchLabels": {"-env": "x"}},
        {"matchLabels": {"a/b/c": "x"}},
        {"matchLabels": {"env": "not a valid label value!"}},
        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev", "prod"]}]},
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
        {"matchExpressions": [{"key": "meta.team", "operator": "Exists"}]},
        {"matchExpressions": [{"key": "meta.team", "operator": "DoesNotExist"}]},
        {"matchExpressions": [{"key": "env", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "env", "operator": "Exists", "values": ["x"]}]},
        {"matchExpressions": [{"key": "env", "operator": "Gt", "values": ["1"]}]},
        {"matchExpressions": [{"key": "env", "operator": "in", "values": ["dev"]}]},
        {"matchExpressions": [{"key": "missing", "operator": "NotIn", "values": ["x"]}]},
        {"matchLabels": {"env": "dev"},
         "matchExpressions": [{"key": "name", "operator": "In", "values": ["a"]}]},
        {},
    ]
    cases: list[Case] = []
    for i, selector in enumerate(selectors):
        cases.append({"id": f"selector-go-{i}", "area": "selector", "goTemplate": True,
                      "first": go_params, "selector": selector})
        cases.append({"id": f"selector-flat-{i}", "area": "selector", "goTemplate": False,
                      "first": flat_params, "selector": selector})
    return cases


def main() -> None:
    cases = [*_matrix(), *_merge(), *_values(), *_directories(), *_gitfiles(), *_envsubst(),
             *_selectors()]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    OUT.write_text(
        json.dumps({"cases": cases}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"{len(cases)} generator cases written to {OUT}")


if __name__ == "__main__":
    main()
