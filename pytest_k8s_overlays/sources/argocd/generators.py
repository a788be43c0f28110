"""ApplicationSet generators, evaluated offline on the local checkout.

``list`` (``elements`` and ``elementsYaml``), ``git`` directories and files
(this repository only, with ``exclude``), ``matrix``, ``merge``, the
generator ``selector`` and ``values``; ``clusters`` from stand-in clusters
(``--overlays-argocd-clusters``). The others (``scmProvider``,
``pullRequest``, ``clusterDecisionResource``, ``plugin``, a ``git``
generator on another repository, ``clusters`` without stand-ins) raise
NotEvaluable: they are listed, never silently dropped.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...core.globs import glob_match, path_match
from ...core.paths import OutsideRepository, inside
from ...parse.safe_yaml import describe_yaml_error, load_bounded, read_text
from .budget import MAX_DEPTH, check_depth, check_params, quote
from .functions import GoYamlLoader, sanitize_name
from .gotemplate import Options, TemplateError, truthy
from .govalues import flatten, format_value, json_numbers
from .repo import directories
from .templates import TemplateRenderer, fasttemplate

Params = dict[str, Any]
#: (where, key) of a key a generator's ``values`` asked for and no parameter held.
Missed = tuple[tuple[str, str], ...]


class _WithMissed(dict[str, Any]):
    """A parameter set that carries the keys its ``values`` left unresolved."""

    missed: Missed = ()


def missed_keys(params: Params) -> Missed:
    """The keys the ``values`` behind a parameter set asked for and did not find."""
    return getattr(params, "missed", ())


def _with_missed(params: Params, missed: Missed) -> Params:
    """``params``, carrying ``missed`` (the same dict when there is nothing to carry)."""
    if not missed:
        return params
    carried = _WithMissed(params)
    carried.missed = missed
    return carried


def _carrying(params: Params, *sources: Params) -> Params:
    """``params``, carrying the unresolved keys of every source."""
    return _with_missed(params, tuple(m for source in sources for m in missed_keys(source)))


#: Generators that need a live cluster or an external API.
LIVE_GENERATORS = ("scmProvider", "pullRequest", "clusterDecisionResource", "plugin")
GENERATOR_KINDS = ("list", "clusters", "git", "matrix", "merge", *LIVE_GENERATORS)
IN_CLUSTER = ("in-cluster", "https://kubernetes.default.svc")


def known_clusters(declared: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The clusters Argo CD knows: those declared, and its own (in-cluster) unless one
    of them has its server."""
    clusters = list(declared)
    if not any(server == IN_CLUSTER[1] for _, server in clusters):
        clusters.append(IN_CLUSTER)
    return clusters


class GeneratorError(Exception):
    """A generator Argo CD would fail on: the whole ApplicationSet generates nothing.
    ``path`` is the field it is about (``spec.generators[1]``), when known."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class NotEvaluable(Exception):
    """A generator that cannot be evaluated offline; the message says why."""


class ForeignRepository(NotEvaluable):
    """A git generator of another repository whose paths match files here: it generates
    Applications in Argo CD, and none here."""


@dataclass
class Context:
    """What generators read: the checkout, which URLs name it, the template syntax."""

    root: Path
    is_local: Callable[[str], bool]
    files: Callable[[], Sequence[str]]
    renderer: TemplateRenderer
    clusters: Sequence[tuple[str, str]] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def go(self) -> bool:
        return self.renderer.go


def _shape(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a map"


def list_field(value: Any, what: str) -> list[Any]:
    """A field Argo CD reads as a list: unset is empty, anything else is an error naming it."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise GeneratorError(f"{what} must be a list, not {_shape(value)}")
    return value


def map_field(value: Any, what: str) -> dict[str, Any]:
    """A field Argo CD reads as a map: unset is empty, anything else is an error naming it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GeneratorError(f"{what} must be a map, not {_shape(value)}")
    return value


def _json(value: Any, what: str) -> Any:
    """A value as Go decodes JSON (floats, string keys), refused when it nests too deeply."""
    check_depth(value, MAX_DEPTH, what)
    return json_numbers(value)


def kinds_of(entry: Mapping[str, Any]) -> list[str]:
    """The generator kinds set in one generator entry, in Argo CD's order."""
    return [kind for kind in GENERATOR_KINDS if entry.get(kind) is not None]


def generate(kind: str, spec: Any, context: Context) -> list[Params]:
    """The parameter sets of one generator."""
    if kind in LIVE_GENERATORS:
        raise NotEvaluable(f"a {kind} generator needs a live cluster or an external API")
    if not isinstance(spec, dict):
        raise GeneratorError(f"the {kind} generator is not a mapping")
    return _GENERATORS[kind](spec, context)


# -- list -------------------------------------------------------------------------------


def _list(spec: dict[str, Any], context: Context) -> list[Params]:
    found: list[Params] = []
    for element in list_field(spec.get("elements"), "list.elements"):
        found.append(_element(element, context.go))
    text = spec.get("elementsYaml")
    if isinstance(text, str) and text.strip():
        try:
            extra = _go_yaml(text)
        except yaml.YAMLError as error:
            raise GeneratorError(
                f"error unmarshling decoded ElementsYaml {describe_yaml_error(error)}"
            ) from None
        if not isinstance(extra, list) or not all(isinstance(e, dict) for e in extra):
            raise GeneratorError("elementsYaml is not a list of maps")
        found.extend(_json(e, "an element") for e in extra)
    return found


def _element(element: Any, go: bool) -> Params:
    if not isinstance(element, dict):
        raise GeneratorError(f"error unmarshling list element {quote(format_value(element))}")
    element = _json(element, "an element")
    if go:
        return dict(element)
    params: Params = {}
    for key, value in element.items():
        if key == "values" and isinstance(value, dict):
            for name, item in value.items():
                if not isinstance(item, str):
                    raise GeneratorError("error parsing value as string")
                params[f"values.{name}"] = item
        elif isinstance(value, str):
            params[key] = value
        else:
            raise GeneratorError(f"error parsing value as string: {key}")
    return params


# -- git ----------------------------------------------------------------------------------


def _path_params(path: str, filename: str | None, go: bool, prefix: str) -> Params:
    segments = path.split("/")
    details: dict[str, Any] = {
        "path": path,
        "basename": posixpath.basename(path),
        "basenameNormalized": sanitize_name(posixpath.basename(path)),
    }
    if filename is not None:
        details["filename"] = filename
        details["filenameNormalized"] = sanitize_name(filename)
    if go:
        details["segments"] = segments
        return {prefix: {"path": details}} if prefix else {"path": details}
    key = f"{prefix}.path" if prefix else "path"
    flat: Params = {key: path}
    flat.update({f"{key}.{name}": value for name, value in details.items() if name != "path"})
    flat.update({f"{key}[{i}]": segment for i, segment in enumerate(segments)})
    return flat


def _patterns(entries: Any, what: str) -> tuple[list[str], list[str]]:
    keep: list[str] = []
    drop: list[str] = []
    for entry in list_field(entries, f"git.{what}"):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise GeneratorError(f"a git {what} entry has no path")
        (drop if entry.get("exclude") else keep).append(entry["path"])
    return keep, drop


def _matching_directories(spec: dict[str, Any], context: Context) -> list[str]:
    keep, drop = _patterns(spec.get("directories"), "directories")
    return [
        directory
        for directory in directories(context.files())
        if _checked(context)
        and any(path_match(p, directory) for p in keep)
        and not any(path_match(p, directory) for p in drop)
    ]


def _matches_here(spec: dict[str, Any], context: Context) -> bool:
    """Whether a git generator's paths match anything in this checkout (never raises)."""
    try:
        if spec.get("files"):
            keep, drop = _patterns(spec.get("files"), "files")
            return any(
                any(_pathspec(p, f) for p in keep) and not any(_pathspec(p, f) for p in drop)
                for f in context.files()
            )
        return bool(_matching_directories(spec, context))
    except GeneratorError:
        return False


def _git(spec: dict[str, Any], context: Context) -> list[Params]:
    url = str(spec.get("repoURL") or "")
    if not context.is_local(url):
        if _matches_here(spec, context):
            # Argo CD generates these Applications from that repository; if it is a
            # mirror or another host name of this one, nothing of them would be gated.
            raise ForeignRepository(
                f"a git generator reads {url}, another repository, though its paths "
                "match here: it generates nothing gated"
            )
        raise NotEvaluable(f"a git generator reads another repository ({url})")
    prefix = str(spec.get("pathParamPrefix") or "")
    if spec.get("files"):
        found = _git_files(spec, context, prefix)
    else:
        found = [
            _path_params(directory, None, context.go, prefix)
            for directory in _matching_directories(spec, context)
        ]
    return [_with_values(params, spec.get("values"), context) for params in found]


def _pathspec(pattern: str, file: str) -> bool:
    """Git's pathspec: a shell glob whose ``*`` crosses ``/``, or a directory prefix."""
    if any(char in pattern for char in "*?["):
        return glob_match(pattern, file)
    clean = pattern.rstrip("/")
    return file == clean or file.startswith(clean + "/")


def _git_files(spec: dict[str, Any], context: Context, prefix: str) -> list[Params]:
    keep, drop = _patterns(spec.get("files"), "files")
    files = sorted(
        f
        for f in context.files()
        if _checked(context)
        and any(_pathspec(p, f) for p in keep)
        and not any(_pathspec(p, f) for p in drop)
    )
    found: list[Params] = []
    for file in files:
        try:
            # git lists a committed symbolic link as a file: its target may be anywhere.
            inside(context.root / file, context.root, file)
        except OutsideRepository:
            raise GeneratorError(
                f"unable to process file '{file}': a symbolic link out of the repository"
            ) from None
        for content in _file_contents(context.root / file, file):
            directory = posixpath.dirname(file) or "."
            name = posixpath.basename(file)
            paths = _path_params(directory, name, context.go, prefix)
            params = dict(content) if context.go else flatten(content)
            params.update(paths)
            found.append(params)
    return found


def _checked(context: Context) -> bool:
    """Stop a long walk at the ApplicationSet's deadline (true otherwise)."""
    context.renderer.budget.check()
    return True


def _go_yaml(text: str) -> Any:
    """YAML as ``sigs.k8s.io/yaml.Unmarshal`` reads it: the first document, go-yaml v2's
    resolver (``1:20`` stays a string), numbers as float64."""
    documents = load_bounded(text, GoYamlLoader)
    return documents[0] if documents else None


def _file_contents(path: Path, shown: str) -> list[dict[str, Any]]:
    try:
        data = _go_yaml(read_text(path))
    except OSError as error:
        why = error.strerror or type(error).__name__
        raise GeneratorError(f"unable to process file '{shown}': {why}") from None
    except UnicodeDecodeError:
        raise GeneratorError(f"unable to process file '{shown}': not UTF-8") from None
    except yaml.YAMLError as error:
        why = describe_yaml_error(error)
        raise GeneratorError(f"unable to process file '{shown}': {why}") from None
    except ValueError:
        raise GeneratorError(f"unable to process file '{shown}': a bad number") from None
    if data is None:
        return [{}]
    if isinstance(data, dict):
        return [_json(data, f"'{shown}'")]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return [_json(item, f"'{shown}'") for item in data]
    raise GeneratorError(f"unable to process file '{shown}': not a map or a list of maps")


def _with_values(params: Params, values: Any, context: Context) -> Params:
    """Add the generator's ``values``, each rendered with the generator's own parameters."""
    if not map_field(values, "values"):
        return params
    renderer = TemplateRenderer(
        context.go, context.renderer.options, budget=context.renderer.budget
    )
    rendered = {
        str(key): renderer.string(str(value), params, f"values.{key}")
        for key, value in values.items()
    }
    if context.go:
        added = {**params, "values": rendered}
    else:
        added = {**params, **{f"values.{key}": value for key, value in rendered.items()}}
    # Argo CD leaves them as written (fasttemplate) or <no value> (Go): the template's
    # finding, reported with the Applications of this parameter set.
    return _with_missed(added, (*missed_keys(params), *renderer.unresolved))


# -- clusters (stand-ins) -------------------------------------------------------------------


def _clusters(spec: dict[str, Any], context: Context) -> list[Params]:
    if not context.clusters:
        raise NotEvaluable(
            "a clusters generator reads Argo CD's cluster Secrets "
            "(declare stand-ins with --overlays-argocd-clusters)"
        )
    if spec.get("selector"):
        raise NotEvaluable("a clusters generator selecting clusters by Secret labels")
    clusters = known_clusters(context.clusters)
    found = [
        _with_values(
            {"name": name, "nameNormalized": sanitize_name(name), "server": server, "project": ""},
            spec.get("values"),
            context,
        )
        for name, server in clusters
    ]
    if spec.get("flatList"):
        return [{"clusters": found}]
    return found


# -- matrix and merge ------------------------------------------------------------------------


def _children(spec: dict[str, Any], what: str) -> list[tuple[str, Any]]:
    children = []
    for child in list_field(spec.get("generators"), f"{what}.generators"):
        kinds = kinds_of(child) if isinstance(child, dict) else []
        if len(kinds) != 1:
            raise GeneratorError(f"found more than one generator in {what}.Generators")
        children.append((kinds[0], child))
    return children


def selected(params: list[Params], selector: Any) -> list[Params]:
    """The parameter sets a generator's selector keeps; an invalid selector fails even
    when there are none, as Argo CD parses it first."""
    if not selector:
        return params
    matches(selector, {})
    return [p for p in params if matches(selector, flatten(p))]


def _child(kind: str, child: dict[str, Any], context: Context) -> list[Params]:
    selector = map_field(child.get("selector"), "a generator's selector")
    return selected(generate(kind, child[kind], context), selector)


def _matrix(spec: dict[str, Any], context: Context) -> list[Params]:
    children = _children(spec, "matrix")
    if len(children) != 2:
        few = "less" if len(children) < 2 else "more"
        raise GeneratorError(f"found {few} than two generators, Matrix support only two")
    (first_kind, first), (second_kind, second) = children
    if not isinstance(second[second_kind], dict):
        raise GeneratorError(f"the {second_kind} generator is not a mapping")
    combined: list[Params] = []
    for a in _child(first_kind, first, context):
        interpolated = _interpolated(second_kind, second, a, context) if a else second
        for b in _child(second_kind, interpolated, context):
            context.renderer.budget.check()
            check_params(len(combined) + 1)
            combined.append(_carrying(_combine(a, b, context.go), a, b))
    return combined


def _interpolated(kind: str, child: dict[str, Any], params: Params, context: Context) -> Any:
    """A matrix's second generator with the first one's parameters in its strings, as
    Argo CD's ``RenderGeneratorParams`` does: its ``values`` only where they resolve (a
    key the first generator lacks is left for the generator's own parameters)."""
    renderer = TemplateRenderer(
        context.go, context.renderer.options, budget=context.renderer.budget
    )
    spec = child[kind]
    body = renderer.value({k: v for k, v in spec.items() if k != "values"}, params)
    values = spec.get("values")
    if isinstance(values, dict):
        body["values"] = {k: _resolved(str(v), params, context) for k, v in values.items()}
    elif values is not None:
        body["values"] = values
    return {**child, kind: body}


def _resolved(value: str, params: Params, context: Context) -> str:
    """One of the second generator's values, rendered with the first one's parameters
    where they hold every key it asks for (Go: with ``missingkey=error``)."""
    if not context.go:
        return fasttemplate(value, params, lambda key: None)
    options = Options(missing_error=True)
    renderer = TemplateRenderer(True, options, budget=context.renderer.budget)
    try:
        return renderer.string(value, params)
    except TemplateError as error:
        if "map has no entry for key" in str(error) or "can't evaluate field" in str(error):
            return value
        raise


def _combine(a: Params, b: Params, go: bool) -> Params:
    if go:
        # mergo.Merge(b, then a, WithOverride): the first generator's values win.
        merged = copy.deepcopy(b)
        deep_merge(merged, a, override=True)
        return merged
    result = {k: format_value(v) for k, v in a.items()}
    for key, value in b.items():
        text = format_value(value)
        if key in result and result[key] != text:
            raise GeneratorError(
                f"found duplicate key {key} with different value, a: {quote(result[key])} ,b: "
                f"{quote(text)}"
            )
        result[key] = text
    return result


def deep_merge(destination: dict[str, Any], source: Mapping[str, Any], override: bool) -> None:
    """mergo.Merge of maps. With ``override`` every value of ``source`` wins, ``false``,
    ``""`` and null too, but a map merges into a non-empty map; without it only missing
    and empty values of ``destination`` are filled."""
    for key, value in source.items():
        mine = destination.get(key)
        if isinstance(mine, dict) and mine and isinstance(value, Mapping):
            deep_merge(mine, value, override)
        elif override or key not in destination or not truthy(mine):
            destination[key] = copy.deepcopy(value)


def _merge(spec: dict[str, Any], context: Context) -> list[Params]:
    children = _children(spec, "merge")
    if len(children) < 2:
        raise GeneratorError("found less than two generators, Merge requires two or more")
    keys = [str(k) for k in list_field(spec.get("mergeKeys"), "merge.mergeKeys")]
    if not keys:
        raise GeneratorError("no merge keys were specified, Merge requires at least one")
    base: list[Params] | None = None
    index: dict[str, Params] = {}
    for kind, child in children:
        found = _child(kind, child, context)
        by_key = _unique_by(found, keys)
        if base is None:
            base, index = found, by_key
            continue
        for key, params in by_key.items():
            if key in index:
                _merge_into(index[key], params, context.go)
                index[key] = _carrying(index[key], index[key], params)
    return [index[key] for key in index] if base is not None else []


def _unique_by(found: list[Params], keys: list[str]) -> dict[str, Params]:
    by_key: dict[str, Params] = {}
    for params in found:
        key = json.dumps({k: params.get(k) for k in keys}, sort_keys=True, default=str)
        if key in by_key:
            raise GeneratorError(
                "the parameters from a generator were not unique by the given mergeKeys, "
                f"Merge requires all param sets to be unique. Duplicate key was {quote(key)}"
            )
        by_key[key] = params
    return by_key


def _merge_into(base: Params, params: Params, go: bool) -> None:
    if go:
        deep_merge(base, params, override=True)
    else:
        base.update(params)


# -- selectors ---------------------------------------------------------------------------


_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _label_key(key: str) -> str:
    """A selector's key as Kubernetes accepts it (``[prefix/]name``), else the error
    Argo CD fails the generator with."""
    prefix, _, name = key.rpartition("/") if key.count("/") == 1 else ("", "", key)
    valid = key.count("/") <= 1 and 0 < len(name) <= 63 and _QUALIFIED_NAME.fullmatch(name)
    if key.count("/") == 1:
        valid = valid and 0 < len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix)
    if not valid:
        raise GeneratorError(
            f"error parsing label selector: key: Invalid value: {quote(key)}: not a qualified name"
        )
    return key


def matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (``matchLabels``, ``matchExpressions``) against flattened parameters."""
    if not isinstance(selector, dict):
        return True
    found = True
    for key, value in map_field(selector.get("matchLabels"), "selector.matchLabels").items():
        if labels.get(_label_key(str(key))) != format_value(value):
            found = False
    for expression in list_field(selector.get("matchExpressions"), "selector.matchExpressions"):
        # Every requirement is checked, even after one fails: Argo CD refuses an invalid
        # one before matching anything.
        if not _expression(expression, labels):
            found = False
    return found


def _expression(expression: Any, labels: Mapping[str, str]) -> bool:
    if not isinstance(expression, dict):
        raise GeneratorError("a matchExpressions entry is not a mapping")
    key = str(expression.get("key"))
    operator = expression.get("operator")
    values = [format_value(v) for v in list_field(expression.get("values"), "values")]
    checks: dict[Any, Callable[[], bool]] = {
        "In": lambda: key in labels and labels[key] in values,
        "NotIn": lambda: key not in labels or labels[key] not in values,
        "Exists": lambda: key in labels,
        "DoesNotExist": lambda: key not in labels,
    }
    if not isinstance(operator, str) or operator not in checks:
        raise GeneratorError(f"{operator!r} is not a valid label selector operator")
    _label_key(key)
    if operator in ("In", "NotIn") and not values:
        raise GeneratorError(
            "error parsing label selector: values: Invalid value: for 'in', 'notin' "
            "operators, values set can't be empty"
        )
    if operator in ("Exists", "DoesNotExist") and values:
        raise GeneratorError(
            "error parsing label selector: values: Invalid value: values set must be empty "
            "for exists and does not exist"
        )
    return checks[operator]()


_GENERATORS: dict[str, Callable[[dict[str, Any], Context], list[Params]]] = {
    "list": _list,
    "git": _git,
    "clusters": _clusters,
    "matrix": _matrix,
    "merge": _merge,
}

__all__ = [
    "Context",
    "ForeignRepository",
    "GeneratorError",
    "NotEvaluable",
    "Params",
    "TemplateError",
    "generate",
    "kinds_of",
    "matches",
    "missed_keys",
    "selected",
]
