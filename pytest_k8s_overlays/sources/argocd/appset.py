"""An ApplicationSet expanded into the Applications it generates, as Argo CD does it.

For each generator entry, in order: its parameter sets (filtered by the
entry's ``selector``), the template (the generator's own ``template`` filled
from the ApplicationSet's, mergo-style), each string rendered per parameter
set, then ``templatePatch``; the namespace is always the ApplicationSet's.
A generator or template error makes the whole ApplicationSet generate
nothing, as in Argo CD.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ...core.fields import as_dict
from ...parse.safe_yaml import SafeLoader, describe_yaml_error, load_one
from .budget import MAX_DEPTH, Budget, BudgetExceeded, check_depth, check_params
from .generators import (
    LIVE_GENERATORS,
    Context,
    ForeignRepository,
    GeneratorError,
    NotEvaluable,
    Params,
    deep_merge,
    generate,
    kinds_of,
    list_field,
    map_field,
    missed_keys,
    selected,
)
from .gotemplate import Options, TemplateError, Unsupported
from .govalues import NumberRangeError, flatten
from .templates import TemplateRenderer


@dataclass(frozen=True)
class Generated:
    """One generated Application and the template keys it left unresolved."""

    manifest: dict[str, Any]
    #: (field path, key) of every key the parameters did not hold.
    unresolved: tuple[tuple[str, str], ...] = ()
    #: The keys the parameters did hold, as a template writes them.
    keys: tuple[str, ...] = ()


@dataclass
class Expansion:
    """What an ApplicationSet generates, what could not be evaluated, or why nothing."""

    generated: list[Generated] = field(default_factory=list)
    #: Generators not evaluable offline, said in words.
    not_evaluable: list[str] = field(default_factory=list)
    error: str | None = None
    #: The field ``error`` is about (``spec.generators[1]``); ``spec`` when not known.
    error_path: str = "spec"
    #: Git generators of another repository whose paths match here, said in words.
    foreign: list[str] = field(default_factory=list)
    #: A construct Argo CD renders and the emulation lacks: nothing is known of the set.
    unsupported: str | None = None


def template_options(spec: Mapping[str, Any], budget: Budget | None = None) -> TemplateRenderer:
    """The template syntax an ApplicationSet asks for (``goTemplate``, ``goTemplateOptions``),
    evaluated within ``budget``."""
    options = [str(o).replace(" ", "") for o in as_list_of(spec.get("goTemplateOptions"))]
    return TemplateRenderer(
        go=bool(spec.get("goTemplate")),
        options=Options.parse(options),
        budget=budget or Budget(),
    )


def as_list_of(value: Any) -> list[Any]:
    """A list field that a malformed ApplicationSet may hold a scalar in (then: empty;
    :func:`expand` reports it)."""
    return value if isinstance(value, list) else []


def _generator_template(own: Any, base: Mapping[str, Any]) -> dict[str, Any]:
    """A generator's ``template`` with every empty field filled from the ApplicationSet's."""
    merged = copy.deepcopy(own) if isinstance(own, dict) else {}
    deep_merge(merged, base, override=False)
    return merged


def _starting_object(template: Mapping[str, Any]) -> dict[str, Any]:
    metadata = map_field(template.get("metadata"), "template.metadata")
    kept = ("name", "namespace", "labels", "annotations", "finalizers")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {k: copy.deepcopy(v) for k, v in metadata.items() if k in kept},
        "spec": copy.deepcopy(map_field(template.get("spec"), "template.spec")),
    }


def strategic_merge(target: dict[str, Any], patch: Mapping[str, Any], path: str = "") -> None:
    """The strategic merge patch ``templatePatch`` applies to an Application: maps merge,
    ``null`` deletes, lists replace (``metadata.finalizers`` is a union)."""
    for key, value in patch.items():
        where = f"{path}.{key}" if path else key
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            strategic_merge(target[key], value, where)
        elif (
            where == "metadata.finalizers"
            and isinstance(target.get(key), list)
            and isinstance(value, list)
        ):
            target[key] = target[key] + [v for v in value if v not in target[key]]
        else:
            target[key] = copy.deepcopy(value)


def _apply_patch(
    app: dict[str, Any], patch: str, params: Params, renderer: TemplateRenderer
) -> dict[str, Any]:
    text = renderer.string(patch, params, "spec.templatePatch")
    try:
        loaded = load_one(text, SafeLoader)
    except yaml.YAMLError as error:
        raise GeneratorError(f"invalid templatePatch: {describe_yaml_error(error)}") from None
    if loaded is None:
        return app
    if not isinstance(loaded, dict):
        raise GeneratorError("invalid templatePatch: not a mapping")
    check_depth(loaded, MAX_DEPTH, "templatePatch")
    project = app.get("spec", {}).get("project")
    strategic_merge(app, loaded)
    for name in ("metadata", "spec"):
        if not isinstance(app.get(name), dict):
            raise GeneratorError(f"invalid templatePatch: it makes {name} no map")
    # templatePatch cannot change the project.
    if isinstance(app.get("spec"), dict):
        app["spec"]["project"] = project
    return app


def render_application(
    template: Mapping[str, Any],
    params: Params,
    renderer: TemplateRenderer,
    patch: str | None = None,
) -> Generated:
    """One Application from a template and one parameter set."""
    app = _starting_object(template)
    renderer.unresolved = []
    if params:
        # Argo CD's RenderTemplateParams leaves the template as written for no
        # parameters; its templatePatch is rendered all the same.
        app = renderer.value(app, params)
    if patch:
        app = _apply_patch(app, patch, params, renderer)
    unresolved = (*missed_keys(params), *renderer.unresolved)
    return Generated(app, unresolved, _keys(params, renderer.go))


def _keys(params: Params, go: bool) -> tuple[str, ...]:
    """The parameter names a template can use (list entries left out)."""
    names = (k for k in flatten(params) if not any(p.isdigit() for p in k.split(".")))
    return tuple(sorted(f".{k}" if go else k for k in names))


def _entry(
    entry: Any, spec: Mapping[str, Any], context: Context, expansion: Expansion
) -> list[tuple[dict[str, Any], Params]]:
    """The (template, parameter set) pairs of one generator entry."""
    if not isinstance(entry, dict) or not kinds_of(entry):
        # Argo CD's words, then the keys it did not know (a typo: ``lists``).
        keys = sorted(str(key) for key in entry) if isinstance(entry, dict) else []
        named = f" ({', '.join(keys)}: no generator of that name)" if keys else ""
        raise GeneratorError(f"contains unrecognized generators{named}")
    base = map_field(spec.get("template"), "spec.template")
    pairs: list[tuple[dict[str, Any], Params]] = []
    for kind in kinds_of(entry):
        try:
            found = generate(kind, entry[kind], context)
        except NotEvaluable as why:
            expansion.not_evaluable.append(str(why))
            if isinstance(why, ForeignRepository):
                expansion.foreign.append(str(why))
            continue
        own = entry[kind].get("template") if kind not in LIVE_GENERATORS else None
        template = _generator_template(own, base)
        selector = map_field(entry.get("selector"), "a generator's selector")
        pairs.extend((template, p) for p in selected(found, selector))
        check_params(len(pairs) + len(expansion.generated))
    return pairs


def expand(appset: Mapping[str, Any], context: Context) -> Expansion:
    """Expand an ApplicationSet with the generators that can be evaluated offline.

    Whatever the ApplicationSet holds, this returns: a mistake, a template past
    the deadline or the size bounds, even a bug of ours, is this set's error.
    """
    expansion = Expansion()
    try:
        _expand_into(expansion, appset, context)
    except Unsupported as error:
        return Expansion(not_evaluable=expansion.not_evaluable, unsupported=str(error))
    except GeneratorError as error:
        return Expansion(
            not_evaluable=expansion.not_evaluable, error=str(error), error_path=error.path or "spec"
        )
    except (TemplateError, BudgetExceeded, NumberRangeError) as error:
        return Expansion(not_evaluable=expansion.not_evaluable, error=str(error))
    except RecursionError:
        why = f"it nests more than Python can follow (keep it under {MAX_DEPTH} levels)"
        return Expansion(not_evaluable=expansion.not_evaluable, error=why)
    except Exception as error:  # a bug of ours fails this ApplicationSet only
        message = (
            f"the gate crashed while evaluating it ({type(error).__name__}; a bug of "
            "pytest-k8s-overlays, please report it)"
        )
        return Expansion(not_evaluable=expansion.not_evaluable, error=message)
    return expansion


def _expand_into(expansion: Expansion, appset: Mapping[str, Any], context: Context) -> None:
    if not isinstance(appset.get("spec"), dict):
        # Argo CD's API refuses it; generating nothing in silence would gate nothing.
        raise GeneratorError("spec must be a map of generators and a template")
    spec = as_dict(appset.get("spec"))
    check_depth(spec, MAX_DEPTH, "spec")
    metadata = as_dict(appset.get("metadata"))
    namespace = metadata.get("namespace")
    list_field(spec.get("goTemplateOptions"), "spec.goTemplateOptions")
    patch = spec.get("templatePatch")
    if patch is not None and not isinstance(patch, str):
        raise GeneratorError("spec.templatePatch must be a string")
    for index, entry in enumerate(list_field(spec.get("generators"), "spec.generators")):
        try:
            pairs = _entry(entry, spec, context, expansion)
        except GeneratorError as error:
            error.path = error.path or f"spec.generators[{index}]"
            raise
        for template, params in pairs:
            generated = render_application(template, params, context.renderer, patch)
            generated.manifest["metadata"]["namespace"] = namespace
            expansion.generated.append(generated)
