"""Rendering ApplicationSet templates: fasttemplate ``{{name}}`` or Go ``{{ .name }}``.

Every string of a template is rendered on its own, map keys included, as
Argo CD's ``RenderTemplateParams`` does. What a template asks for and the
parameters do not hold is recorded (field path and key), so that an
unresolved key becomes a finding instead of an Application named
``dev-api-{{nam}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .budget import Budget, check_size
from .functions import FUNCTIONS
from .gotemplate import Options, TemplateError, execute
from .govalues import NO_VALUE


def has_tag(text: str) -> bool:
    """Whether ``{{`` and a later ``}}`` are on one line: Argo CD renders only such a
    string (``{{.*}}``), decided in one pass where the regular expression is quadratic."""
    start = 0
    while (opening := text.find("{{", start)) >= 0:
        line_end = text.find("\n", opening)
        closing = text.find("}}", opening + 2)
        if closing >= 0 and (line_end < 0 or closing < line_end):
            return True
        if line_end < 0:
            return False
        start = line_end + 1
    return False


def fasttemplate(text: str, params: Mapping[str, Any], on_missing: Callable[[str], None]) -> str:
    """valyala/fasttemplate as Argo CD calls it: ``{{ key }}`` becomes the parameter's
    string value; an unknown key (or a value that is not a string) stays as written."""
    if not has_tag(text):
        return text
    out: list[str] = []
    index = 0
    written = len(text)
    while True:
        start = text.find("{{", index)
        if start < 0:
            out.append(text[index:])
            return "".join(out)
        end = text.find("}}", start + 2)
        if end < 0:
            # Where, never the text around it (it may hold a Secret).
            line = text.count("\n", 0, start) + 1
            raise TemplateError(f'invalid template: cannot find end tag "}}}}" (line {line})')
        out.append(text[index:start])
        tag = text[start + 2 : end]
        value = params.get(tag.strip())
        if tag.strip() and isinstance(value, str):
            written += len(value)
            check_size(written)
            out.append(value)
        else:
            out.append("{{" + tag + "}}")
            on_missing(tag.strip())
        index = end + 2


@dataclass
class TemplateRenderer:
    """Renders templates in one syntax, recording unresolved keys as (field path, key)."""

    go: bool = False
    options: Options = field(default_factory=Options)
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    #: The deadline and bounds of the ApplicationSet being expanded.
    budget: Budget = field(default_factory=Budget)

    def string(self, text: str, params: Mapping[str, Any], where: str = "") -> str:
        """Render one string."""

        missed: list[tuple[str, str]] = []

        def missing(key: str) -> None:
            missed.append((where, key))

        self.budget.check()
        if not self.go:
            rendered = fasttemplate(text, params, missing)
            self.unresolved.extend(missed)
        elif "{{" not in text:
            return text
        else:
            rendered = execute(text, params, FUNCTIONS, self.options, missing, self.budget)
            # A key looked up and not found matters where Go printed <no value>; not where
            # ``default``, ``if`` or ``hasKey`` made up for it, as Argo CD renders those.
            if NO_VALUE in rendered:
                self.unresolved.extend(missed)
        self.budget.spend(len(rendered))
        return rendered

    def value(self, value: Any, params: Mapping[str, Any], where: str = "") -> Any:
        """Render every string in ``value`` (map keys too), recursively."""
        if isinstance(value, str):
            return self.string(value, params, where)
        if isinstance(value, dict):
            rendered: dict[str, Any] = {}
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                new_key = self.string(key, params, path) if isinstance(key, str) else key
                rendered[new_key] = self.value(item, params, path)
            return rendered
        if isinstance(value, list):
            return [self.value(item, params, f"{where}[{i}]") for i, item in enumerate(value)]
        return value
