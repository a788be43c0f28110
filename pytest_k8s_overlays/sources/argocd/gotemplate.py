"""Go ``text/template`` for ApplicationSets with ``goTemplate: true``: the part users write.

Supported: text and actions with ``{{-``/``-}}`` trimming and comments; field
chains on the data (``.path.basename``), on variables (``$x.a``) and on
parenthesised pipelines; ``$`` and variables (``:=``, ``=``); string, raw
string, number, boolean and ``nil`` literals; pipelines (``|``); ``if`` /
``else if`` / ``else``, ``range`` (with ``$i, $v :=``, ``else``, ``break``,
``continue``), ``with`` / ``else with``; the Go built-in functions and the
Sprig and Argo CD functions listed in :mod:`.functions`; ``define``,
``template`` and ``block``.

A missing map key prints ``<no value>`` (Go's default, and ``missingkey=zero``
for Argo CD's ``map[string]any`` data) and is reported to ``on_missing``;
with ``missingkey=error`` it is an error, as in Argo CD.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...core.applications import UNSUPPORTED
from .budget import (
    MAX_DEPTH,
    Budget,
    BudgetExceeded,
    DeadlineExceeded,
    check_size,
    check_value,
    quote,
)
from .govalues import MISSING, format_value, sorted_keys


class TemplateError(Exception):
    """A Go template that does not parse or execute; the message says where.

    ``action`` is the ``{{ }}`` action that failed, the one construct an error
    quotes: never the text around it (a Helm values block may hold a Secret).
    """

    def __init__(self, message: str, action: str | None = None) -> None:
        super().__init__(message)
        self.action = action


class Unsupported(TemplateError):
    """A construct Argo CD renders and the emulation does not have (the message names
    it): the ApplicationSet cannot be evaluated here, which says nothing of Argo CD."""


# -- lexing -----------------------------------------------------------------------------


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\]|\\.)+')
  | (?P<declare>:=)
  | (?P<op>[|(),=])
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?))
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    #: Whether whitespace came right before it (a field chain needs none).
    spaced: bool


def tokenize(action: str) -> list[Token]:
    """Split the inside of one ``{{ }}`` action into tokens."""
    tokens: list[Token] = []
    index = 0
    spaced = True
    while index < len(action):
        match = _TOKEN.match(action, index)
        if match is None:
            raise TemplateError(f"unexpected {action[index]!r} in command")
        kind = match.lastgroup or ""
        if kind == "space":
            spaced = True
        else:
            tokens.append(Token(kind, match.group(), spaced))
            spaced = False
        index = match.end()
    return tokens


def _action_end(text: str, start: int) -> int:
    """The index of the ``}}`` closing the action that starts at ``start`` (quotes respected)."""
    index = start
    quote = ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote != "`":
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif text.startswith("}}", index):
            return index
        index += 1
    # Where, not what: the text after an unclosed ``{{`` is no construct to quote.
    raise TemplateError(f"unclosed action starting at line {text.count(chr(10), 0, start) + 1}")


def split_actions(text: str) -> list[tuple[str, str]]:
    """Split a template into ``("text", ...)`` and ``("action", ...)`` parts, trimming
    the spaces ``{{-`` and ``-}}`` ask to trim and dropping comments."""
    parts: list[tuple[str, str]] = []
    index = 0
    trim_next = False
    while True:
        start = text.find("{{", index)
        chunk = text[index:] if start < 0 else text[index:start]
        if trim_next:
            chunk = chunk.lstrip()
        if start < 0:
            parts.append(("text", chunk))
            return parts
        inner_start = start + 2
        if text[inner_start : inner_start + 2] in ("- ", "-\t", "-\n", "-\r"):
            chunk = chunk.rstrip()
            inner_start += 1
        parts.append(("text", chunk))
        end = _action_end(text, inner_start)
        inner = text[inner_start:end]
        trim_next = inner.endswith((" -", "\t-", "\n-", "\r-"))
        if trim_next:
            inner = inner[:-1]
        if not inner.strip().startswith("/*"):
            parts.append(("action", inner))
        index = end + 2


# -- the tree ---------------------------------------------------------------------------


@dataclass
class Command:
    """One command of a pipeline: operands, the first of which may name a function."""

    operands: list[Any]


@dataclass
class Pipeline:
    commands: list[Command]
    #: ``$x :=`` (declare) or ``$x =`` (assign), with the variable names.
    variables: list[str] = field(default_factory=list)
    declare: bool = True


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class FieldChain:
    """``.a.b`` on dot, ``$x.a`` on a variable, or ``(pipe).a`` on a pipeline's value."""

    base: Any  # None for dot, a variable name, or a Pipeline
    names: tuple[str, ...]


@dataclass(frozen=True)
class FunctionName:
    name: str


@dataclass
class Text:
    text: str


@dataclass
class Action:
    pipeline: Pipeline
    #: The action as written, for error messages.
    source: str = ""


@dataclass
class Branch:
    """``if``/``with``/``range``: the pipeline, its body, and the ``else`` body."""

    kind: str
    pipeline: Pipeline
    body: list[Any] = field(default_factory=list)
    otherwise: list[Any] = field(default_factory=list)
    source: str = ""


@dataclass
class Loop:
    """``break`` or ``continue``."""

    kind: str


@dataclass
class Define:
    """``{{define "name"}}`` (or a ``block``'s body): a named template."""

    name: str
    body: list[Any] = field(default_factory=list)
    source: str = ""


@dataclass
class Invoke:
    """``{{template "name" pipeline}}``: a named template run on the pipeline's value."""

    name: str
    pipeline: Pipeline | None
    source: str = ""


class Tree(list[Any]):
    """A parsed template's nodes, and the templates it defines by name."""

    defined: dict[str, list[Any]]


_ESCAPES = {
    **{"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"},
    **{'"': '"', "\\": "\\", "'": "'"},
}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")


def _escape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 1:
        return _ESCAPES.get(code, code)
    number = int(code, 8) if code[0].isdigit() else int(code[1:], 16)
    return chr(number) if number <= 0x10FFFF else "\ufffd"


def _unquote(text: str) -> str:
    """A Go string or character literal's value (``strconv.Unquote``'s escapes)."""
    return _ESCAPE.sub(_escape, text[1:-1])


#: The most characters of a number constant (Go's int64, uint64 and float64 need fewer).
_MAX_NUMBER = 400


def _number(text: str) -> Any:
    """A number constant as Go parses it: an int when it fits 64 bits, else a float64."""
    clean = text.replace("_", "")
    if len(clean) > _MAX_NUMBER:
        raise TemplateError(f"illegal number syntax: {quote(text, 24)}")
    if re.fullmatch(r"[-+]?\d+", clean) or clean.lower().lstrip("+-").startswith("0x"):
        number = int(clean, 0 if "x" in clean.lower() else 10)
        if -(1 << 63) <= number < (1 << 64):
            return number
        if "x" not in clean.lower():
            raise TemplateError(f"integer overflow: {quote(text, 24)}")
    try:
        value = float.fromhex(clean) if "x" in clean.lower() else float(clean)
    except (ValueError, OverflowError):
        raise TemplateError(f"illegal number syntax: {quote(text, 24)}") from None
    if math.isinf(value):
        raise TemplateError(f"illegal number syntax: {quote(text, 24)}")
    return value


def _char(text: str) -> int:
    body = _unquote(text)
    if len(body) != 1:
        raise TemplateError(f"malformed character constant: {quote(text, 24)}")
    return ord(body)


_LITERALS: dict[str, Any] = {"true": True, "false": False, "nil": None}


class _Parser:
    """Parses the tokens of one action into a pipeline."""

    def __init__(self, tokens: list[Token], functions: Mapping[str, Any]) -> None:
        self.tokens = tokens
        self.index = 0
        self.functions = functions
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def pipeline(self, stop: str = "") -> Pipeline:
        variables, declare = self._declaration()
        commands = [self._command(stop)]
        while (token := self.peek()) is not None and token.text == "|":
            self.take()
            commands.append(self._command(stop))
        return Pipeline(commands, variables, declare)

    def _declaration(self) -> tuple[list[str], bool]:
        names: list[str] = []
        start = self.index
        while (token := self.peek()) is not None and token.kind == "variable":
            names.append(self.take().text)
            following = self.peek()
            if following is not None and following.text == ",":
                self.take()
                continue
            if following is not None and following.text in (":=", "="):
                return names, self.take().text == ":="
            break
        self.index = start
        return [], True

    def _command(self, stop: str) -> Command:
        operands: list[Any] = []
        while (token := self.peek()) is not None and token.text not in ("|", ")", stop or "|"):
            operands.append(self._operand())
        if not operands:
            raise TemplateError("missing value for command")
        return Command(operands)

    def _operand(self) -> Any:
        token = self.take()
        value = self._term(token)
        following = self.peek()
        while following is not None and following.kind == "field" and not following.spaced:
            names = tuple(following.text.lstrip(".").split("."))
            if isinstance(value, FieldChain):
                value = FieldChain(value.base, value.names + names)
            else:
                value = FieldChain(value, names)
            self.take()
            following = self.peek()
        return value

    def _term(self, token: Token) -> Any:
        if token.kind == "field":
            names = tuple(n for n in token.text.split(".") if n)
            return FieldChain(None, names)
        if token.kind == "variable":
            return FieldChain(token.text, ())
        if token.kind in ("string", "raw"):
            return Literal(_unquote(token.text) if token.kind == "string" else token.text[1:-1])
        if token.kind == "char":
            return Literal(_char(token.text))
        if token.kind == "number":
            return Literal(_number(token.text))
        if token.text == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise TemplateError(f"parentheses nested more than {MAX_DEPTH} deep")
            inner = self.pipeline(")")
            self.depth -= 1
            closing = self.peek()
            if closing is None or closing.text != ")":
                raise TemplateError("unclosed left paren")
            self.take()
            return inner
        if token.kind == "ident":
            return self._identifier(token.text)
        raise TemplateError(f"unexpected {token.text!r} in command")

    def _identifier(self, name: str) -> Any:
        if name in _LITERALS:
            return Literal(_LITERALS[name])
        if name not in self.functions:
            raise TemplateError(f'function "{name}" not defined')
        return FunctionName(name)


_BLOCKS = ("if", "range", "with")


def parse(text: str, functions: Mapping[str, Any]) -> list[Any]:
    """Parse a template into a list of nodes (a Tree: with the templates it defines)."""
    root = Tree()
    root.defined = {}
    stack: list[tuple[Any, list[Any]]] = []
    current: list[Any] = root
    for kind, content in split_actions(text):
        if kind == "text":
            if content:
                current.append(Text(content))
            continue
        try:
            current, stack = _action(content, functions, current, stack, root.defined)
        except TemplateError as error:
            raise type(error)(str(error), error.action or content) from None
        if len(stack) > MAX_DEPTH:
            raise TemplateError(f"blocks nested more than {MAX_DEPTH} deep", content)
    if stack:
        branch = stack[-1][0]
        kind = branch.kind if isinstance(branch, Branch) else "define"
        raise TemplateError(f"unexpected EOF: {kind} has no end", branch.source)
    _check_variables(root, [{"$"}])
    for body in root.defined.values():
        _check_variables(body, [{"$"}])
    return root


def _check_variables(nodes: Sequence[Any], scopes: list[set[str]]) -> None:
    """Refuse a ``$variable`` used where none is declared, as Go's parser does: even in
    a branch never taken. A variable lives until the ``end`` of the block declaring it."""
    for node in nodes:
        if isinstance(node, Action | Branch) or (isinstance(node, Invoke) and node.pipeline):
            _check_pipeline(node.pipeline, scopes, node.source)  # type: ignore[arg-type]
        if isinstance(node, Action) and node.pipeline.variables and node.pipeline.declare:
            scopes[-1].update(node.pipeline.variables)
        elif isinstance(node, Branch):
            inner = [*scopes, set(node.pipeline.variables)]
            _check_variables(node.body, inner)
            _check_variables(node.otherwise, inner)


def _check_pipeline(pipeline: Pipeline, scopes: list[set[str]], source: str) -> None:
    # Assigning an undeclared variable ($z = 1) fails when run, in Go too.
    for command in pipeline.commands:
        for operand in command.operands:
            _check_operand(operand, scopes, source)


def _check_operand(operand: Any, scopes: list[set[str]], source: str) -> None:
    if isinstance(operand, Pipeline):
        _check_pipeline(operand, scopes, source)
    elif isinstance(operand, FieldChain):
        if isinstance(operand.base, str):
            _check_name(operand.base, scopes, source)
        elif operand.base is not None:
            _check_operand(operand.base, scopes, source)


def _check_name(name: str, scopes: list[set[str]], source: str) -> None:
    if not any(name in scope for scope in scopes):
        raise TemplateError(f'undefined variable "{name}"', source)


def _keyword(action: str) -> tuple[str, str]:
    word, _, rest = action.partition(" ")
    if word in ("if", "range", "with", "else", "end", "break", "continue"):
        return word, rest.strip()
    if word in ("define", "template", "block"):
        return word, rest.strip()
    return "", action


def _template_name(rest: str, word: str) -> tuple[str, str]:
    """The quoted name after ``define``/``template``/``block``, and what follows it."""
    tokens = tokenize(rest)
    if not tokens or tokens[0].kind not in ("string", "raw"):
        raise TemplateError(f"unexpected {quote(rest[:24]) if rest else 'end'} in {word} clause")
    name = _unquote(tokens[0].text) if tokens[0].kind == "string" else tokens[0].text[1:-1]
    return name, rest[rest.index(tokens[0].text) + len(tokens[0].text) :].strip()


def _named(
    word: str,
    rest: str,
    functions: Mapping[str, Any],
    current: list[Any],
    stack: list[tuple[Any, list[Any]]],
    source: str,
) -> tuple[list[Any], list[tuple[Any, list[Any]]]]:
    """``define``, ``block`` (a definition, then its use) and ``template``."""
    name, pipeline = _template_name(rest, word)
    if word == "define":
        if pipeline or stack:
            raise TemplateError("unexpected define: not at the top level")
        definition = Define(name, source=source)
        return definition.body, [*stack, (definition, current)]
    invoke = Invoke(name, _pipeline(pipeline, functions) if pipeline else None, source)
    current.append(invoke)
    if word == "block":
        definition = Define(name, source=source)
        return definition.body, [*stack, (definition, current)]
    return current, stack


def _action(
    action: str,
    functions: Mapping[str, Any],
    current: list[Any],
    stack: list[tuple[Any, list[Any]]],
    defined: dict[str, list[Any]],
) -> tuple[list[Any], list[tuple[Any, list[Any]]]]:
    """Add one action (as written) to the tree; return where the next node goes."""
    source, action = action, action.strip()
    word, rest = _keyword(action)
    if word in ("define", "template", "block"):
        return _named(word, rest, functions, current, stack, source)
    if word in _BLOCKS:
        branch = Branch(word, _pipeline(rest, functions), source=source)
        if len(branch.pipeline.variables) > (2 if word == "range" else 1):
            raise TemplateError(f"too many declarations in {word}")
        current.append(branch)
        return branch.body, [*stack, (branch, current)]
    if word in ("break", "continue"):
        current.append(Loop(word))
        return current, stack
    if not stack and word in ("else", "end"):
        raise TemplateError(f"unexpected {{{{{word}}}}}")
    if word == "end":
        branch, parent = stack[-1]
        if isinstance(branch, Define):
            _define(defined, branch)
        return parent, stack[:-1]
    if word == "else":
        if isinstance(stack[-1][0], Define):
            raise TemplateError("unexpected {{else}}")
        return _else(rest, functions, stack, source)
    current.append(Action(_pipeline(action, functions), source))
    return current, stack


def _empty(body: Sequence[Any]) -> bool:
    """Go's ``IsEmptyTree``: nothing but spaces."""
    return all(isinstance(node, Text) and not node.text.strip() for node in body)


def _define(defined: dict[str, list[Any]], definition: Define) -> None:
    """Add a named template: an empty one never replaces another, two others clash."""
    existing = defined.get(definition.name)
    if existing is not None and not _empty(existing) and not _empty(definition.body):
        raise TemplateError(f"template: multiple definition of template {quote(definition.name)}")
    if existing is None or not _empty(definition.body):
        defined[definition.name] = definition.body


def _else(
    rest: str, functions: Mapping[str, Any], stack: list[tuple[Any, list[Any]]], source: str
) -> tuple[list[Any], list[tuple[Any, list[Any]]]]:
    branch, parent = stack[-1]
    word, condition = _keyword(rest)
    if word in ("if", "with"):
        # ``else if`` is an ``if`` inside the else branch, closed by the same end.
        nested = Branch(word, _pipeline(condition, functions), source=source)
        branch.otherwise.append(nested)
        return nested.body, [*stack[:-1], (nested, parent)]
    return branch.otherwise, stack


def _pipeline(text: str, functions: Mapping[str, Any]) -> Pipeline:
    parser = _Parser(tokenize(text), functions)
    pipeline = parser.pipeline()
    if parser.peek() is not None:
        raise TemplateError(f"unexpected {parser.peek().text!r} in operand")  # type: ignore[union-attr]
    return pipeline


# -- execution --------------------------------------------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def truthy(value: Any) -> bool:
    """Go template truth: false, 0, nil, empty string, list or map are false."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool | int | float):
        return bool(value)
    if isinstance(value, str | list | tuple | dict):
        return len(value) > 0
    return True


@dataclass
class Options:
    """``goTemplateOptions``: ``missingkey=error`` makes a missing key an error;
    ``missingkey=zero`` makes it a nil value, whose fields fail."""

    missing_error: bool = False
    missing_zero: bool = False
    #: An option Go's ``Option`` panics on: every template of the set fails with it.
    refused: str | None = None

    @classmethod
    def parse(cls, options: Sequence[str]) -> Options:
        """The options as Go's ``Option`` reads them in turn: the last ``missingkey`` wins."""
        missing = "default"
        for option in options:
            key, _, value = option.replace(" ", "").partition("=")
            if key != "missingkey" or value not in ("default", "invalid", "zero", "error"):
                return cls(refused=option)
            missing = value
        return cls(missing_error=missing == "error", missing_zero=missing == "zero")


class Executor:
    """Executes a parsed template on the data, with variables in nested scopes."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]],
        data: Any,
        options: Options,
        on_missing: Callable[[str], None] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.functions = functions
        self.options = options
        self.on_missing = on_missing
        self.scopes: list[dict[str, Any]] = [{"$": data}]
        self.budget = budget or Budget()
        #: The templates the template defines (``define``, ``block``), by name.
        self.defined: dict[str, list[Any]] = {}
        #: Characters written so far, and how deep blocks and pipelines nest now.
        self.written = 0
        self.depth = 0

    def run(self, nodes: Sequence[Any], dot: Any) -> str:
        return "".join(self._nodes(nodes, dot))

    def _nodes(self, nodes: Sequence[Any], dot: Any) -> Iterator[str]:
        for node in nodes:
            yield from self._node(node, dot)

    def _node(self, node: Any, dot: Any) -> Iterator[str]:
        try:
            if isinstance(node, Text):
                yield self._written(node.text)
            elif isinstance(node, Action):
                value = self.pipeline(node.pipeline, dot)
                if not node.pipeline.variables:
                    check_value(value, "the value printed")
                    # Go prints a nil result (JSON null, a missing key) as <no value>.
                    yield self._written(format_value(MISSING if value is None else value))
            elif isinstance(node, Loop):
                raise _Break() if node.kind == "break" else _Continue()
            elif isinstance(node, Invoke):
                yield self._invoke(node, dot)
            else:
                yield from self._branch(node, dot)
        except (TemplateError, BudgetExceeded) as error:
            # The innermost action that failed is the one quoted; the deadline stops all.
            if isinstance(error, DeadlineExceeded) or getattr(error, "action", None) is not None:
                raise
            kind = type(error) if isinstance(error, TemplateError) else TemplateError
            raise kind(str(error), node.source) from None

    def _invoke(self, node: Invoke, dot: Any) -> str:
        """``{{template "name" pipeline}}``: its body on the new dot, which ``$`` is too."""
        if node.name not in self.defined:
            raise TemplateError(f"template {quote(node.name)} not defined")
        value = self.pipeline(node.pipeline, dot) if node.pipeline is not None else None
        self.depth += 1
        saved, self.scopes = self.scopes, [{"$": value}]
        try:
            if self.depth > MAX_DEPTH:
                raise TemplateError(f"templates nested more than {MAX_DEPTH} deep")
            return self.run(self.defined[node.name], value)
        finally:
            self.scopes = saved
            self.depth -= 1

    def _written(self, text: str) -> str:
        self.written += len(text)
        check_size(self.written)
        return text

    def _scoped(self, nodes: Sequence[Any], dot: Any) -> str:
        self.scopes.append({})
        try:
            return self.run(nodes, dot)
        finally:
            self.scopes.pop()

    def _branch(self, node: Branch, dot: Any) -> Iterator[str]:
        self.scopes.append({})
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise TemplateError(f"blocks nested more than {MAX_DEPTH} deep")
            value = self.pipeline(node.pipeline, dot, loop=node.kind == "range")
            if node.kind == "range":
                yield self._range(node, value, dot)
            elif truthy(value):
                yield self._scoped(node.body, value if node.kind == "with" else dot)
            else:
                yield self._scoped(node.otherwise, dot)
        finally:
            self.depth -= 1
            self.scopes.pop()

    def _range(self, node: Branch, value: Any, dot: Any) -> str:
        items = _range_items(value)
        if not items:
            return self._scoped(node.otherwise, dot)
        out: list[str] = []
        names = node.pipeline.variables
        for key, item in items:
            self.budget.check()
            self.scopes.append({})
            if len(names) == 1:
                self.scopes[-1][names[0]] = item
            elif len(names) == 2:
                self.scopes[-1].update({names[0]: key, names[1]: item})
            try:
                out.append(self.run(node.body, item))
            except _Break:
                break
            except _Continue:
                continue
            finally:
                self.scopes.pop()
        return "".join(out)

    # -- pipelines ---------------------------------------------------------------------

    def pipeline(self, pipeline: Pipeline, dot: Any, loop: bool = False) -> Any:
        value: Any = MISSING
        piped = False
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise TemplateError(f"pipelines nested more than {MAX_DEPTH} deep")
            for command in pipeline.commands:
                value = self._command(command, dot, value if piped else None, piped)
                piped = True
        finally:
            self.depth -= 1
        if pipeline.variables and not loop:
            self._bind(pipeline.variables[0], value, pipeline.declare)
        return value

    def _bind(self, name: str, value: Any, declare: bool) -> None:
        if declare:
            self.scopes[-1][name] = value
            return
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return
        raise TemplateError(f"undefined variable: {name}")

    def _command(self, command: Command, dot: Any, piped: Any, has_piped: bool) -> Any:
        head, *rest = command.operands
        if isinstance(head, FunctionName):
            if head.name in ("and", "or"):
                return self._logic(head.name, rest, dot, piped, has_piped)
            args = [self._operand(op, dot) for op in rest]
            if has_piped:
                args.append(piped)
            return self._call(head.name, args)
        if isinstance(head, Literal) and head.value is None:
            raise TemplateError("nil is not a command")
        if rest or has_piped:
            raise TemplateError(f"can't give argument to non-function {_describe(head)}")
        return self._operand(head, dot)

    def _logic(self, name: str, rest: list[Any], dot: Any, piped: Any, has_piped: bool) -> Any:
        operands: list[tuple[bool, Any]] = [(False, op) for op in rest]
        if has_piped:
            operands.append((True, piped))
        if not operands:
            raise TemplateError(f"wrong number of args for {name}: want at least 1 got 0")
        value: Any = None
        for evaluated, operand in operands:
            # Evaluated one at a time: and/or stop at the first value that settles them.
            value = operand if evaluated else self._operand(operand, dot)
            if truthy(value) == (name == "or"):
                return value
        return value

    def _call(self, name: str, args: list[Any]) -> Any:
        self.budget.check()
        try:
            check_value(args, f"an argument of {name}")
            # A missing key reaches a function as Go's nil (``print .missing`` is <nil>).
            result = self.functions[name](*[None if a is MISSING else a for a in args])
            check_value(result, f"what {name} returns")
        except (TemplateError, DeadlineExceeded):
            raise
        except BudgetExceeded as error:
            raise TemplateError(f"error calling {name}: {error}") from None
        except RecursionError:
            raise TemplateError(f"error calling {name}: a value nests too deeply") from None
        except Exception as error:  # any mistake in a function fails this template only
            raise TemplateError(f"error calling {name}: {quote(str(error))}") from None
        return result

    def _operand(self, operand: Any, dot: Any) -> Any:
        if isinstance(operand, Literal):
            return operand.value
        if isinstance(operand, Pipeline):
            return self.pipeline(operand, dot)
        if isinstance(operand, FunctionName):
            return self._call(operand.name, [])
        return self._chain(operand, dot)

    def _chain(self, chain: FieldChain, dot: Any) -> Any:
        if chain.base is None:
            value = dot
        elif isinstance(chain.base, str):
            value = self._variable(chain.base)
        else:
            value = self._operand(chain.base, dot)
        shown = chain.base if isinstance(chain.base, str) else ""
        for name in chain.names:
            value = self._field(value, name, f"{shown}.{name}")
            shown = f"{shown}.{name}"
        return value

    def _variable(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise TemplateError(f'undefined variable "{name}"')

    def _field(self, value: Any, name: str, shown: str) -> Any:
        if isinstance(value, Mapping):
            if name in value:
                return value[name]
            if self.options.missing_error:
                raise TemplateError(f'map has no entry for key "{name}"')
            if self.on_missing is not None:
                self.on_missing(shown)
            return MISSING
        if value is MISSING and not self.options.missing_zero:
            # Go: a field of a missing key is missing too (it prints <no value>).
            return MISSING
        if value is None or value is MISSING:
            raise TemplateError(f"nil pointer evaluating interface {{}}.{name}")
        method = getattr(value, "go_method", None)
        if method is not None:
            # A Go value a function returned (a semantic version): its methods.
            return method(name)
        raise TemplateError(f"can't evaluate field {name} in type {_go_type(value)}")


class _Counting:
    """``range`` over an integer: 0 to n-1, produced as the loop asks."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((i, i) for i in range(self.count))


def _range_items(value: Any) -> list[tuple[Any, Any]] | _Counting:
    if value is MISSING or value is None:
        return []
    if isinstance(value, Mapping):
        return [(k, value[k]) for k in sorted_keys(value)]
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    if isinstance(value, int) and not isinstance(value, bool):
        # Lazily: a range over a billion is stopped by the deadline, not by memory.
        return _Counting(value)
    raise TemplateError(f"range can't iterate over {quote(format_value(value))}")


def _describe(operand: Any) -> str:
    if isinstance(operand, Literal):
        return format_value(operand.value)
    if isinstance(operand, FieldChain):
        base = operand.base if isinstance(operand.base, str) else ""
        return base + "".join(f".{n}" for n in operand.names) or "."
    return "pipeline"


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, int):
        return "int"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    return type(value).__name__


def _failed(what: str, error: Exception) -> TemplateError:
    """Argo CD's words for a template error, quoting the failed action only."""
    action = getattr(error, "action", None)
    where = f" {quote('{{' + action + '}}')}" if action is not None else ""
    if isinstance(error, Unsupported):
        return Unsupported(
            f"{UNSUPPORTED}: {error} (in{where or ' a template'}); Argo CD renders it"
        )
    return TemplateError(f"{what}{where}: {error}")


def execute(
    text: str,
    data: Any,
    functions: Mapping[str, Callable[..., Any]],
    options: Options | None = None,
    on_missing: Callable[[str], None] | None = None,
    budget: Budget | None = None,
) -> str:
    """Parse and execute ``text`` on ``data``; raise TemplateError in Argo CD's words, or
    BudgetExceeded past the deadline, the output size or the nesting depth."""
    if options is not None and options.refused is not None:
        # Go's Template.Option panics before anything is parsed.
        raise TemplateError(f"panic: unrecognized option: {quote(options.refused)}")
    try:
        nodes = parse(text, functions)
    except TemplateError as error:
        raise _failed("failed to parse template", error) from None
    executor = Executor(functions, data, options or Options(), on_missing, budget)
    executor.defined = getattr(nodes, "defined", {})
    try:
        return executor.run(nodes, data)
    except (_Break, _Continue):
        message = "failed to parse template: break or continue outside range"
        raise TemplateError(message) from None
    except TemplateError as error:
        raise _failed("failed to execute go template", error) from None
