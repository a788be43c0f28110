"""Bounds on the in-process work one ApplicationSet or Application may cost.

A pull request writes the templates, generators and globs evaluated here, so
each evaluation has a deadline (``--overlays-timeout``, as a render has), a cap
on the size of what a template builds and on how deeply it nests; past one,
that ApplicationSet fails with a clear error and the session goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

#: The most characters one template may write, or one function return as text.
MAX_OUTPUT = 1 << 20
#: The most characters all the templates of one ApplicationSet may write.
MAX_TOTAL = 64 << 20
#: The most parameter sets one ApplicationSet's generators may give.
MAX_PARAMS = 100_000
#: The deepest nesting of template blocks, parentheses and values walked.
MAX_DEPTH = 100
#: How much of a construct an error message quotes.
QUOTE_LIMIT = 80


class BudgetExceeded(Exception):
    """Evaluation went past its deadline, size or depth; the message says which."""


class DeadlineExceeded(BudgetExceeded):
    """Evaluation went past its deadline: all of it stops, wherever it was."""


@dataclass
class Budget:
    """A deadline (``timeout`` seconds from creation) checked inside evaluation loops."""

    timeout: float = 60.0
    deadline: float = field(default=0.0)
    #: Characters the templates wrote so far.
    written: int = 0

    def __post_init__(self) -> None:
        if not self.deadline:
            self.deadline = time.monotonic() + self.timeout

    def check(self) -> None:
        """Raise BudgetExceeded once the deadline has passed."""
        if time.monotonic() > self.deadline:
            raise DeadlineExceeded(
                f"template evaluation exceeded the {self.timeout:g}s timeout "
                "(raise --overlays-timeout if it is just slow)"
            )

    def spend(self, characters: int) -> None:
        """Count what a template wrote; raise BudgetExceeded past MAX_TOTAL."""
        self.written += characters
        if self.written > MAX_TOTAL:
            raise BudgetExceeded(
                f"the templates write more than {MAX_TOTAL} characters (64 MiB) in all"
            )


def check_params(count: int) -> None:
    """Raise BudgetExceeded when generators give more than MAX_PARAMS parameter sets."""
    if count > MAX_PARAMS:
        raise BudgetExceeded(f"the generators give more than {MAX_PARAMS} parameter sets")


def check_size(length: int, what: str = "template output") -> None:
    """Raise BudgetExceeded when ``length`` characters are more than MAX_OUTPUT."""
    if length > MAX_OUTPUT:
        raise BudgetExceeded(f"{what} exceeds {MAX_OUTPUT} characters (1 MiB)")


def check_depth(value: object, limit: int = MAX_DEPTH, what: str = "a value") -> None:
    """Raise BudgetExceeded when ``value`` nests maps and lists deeper than ``limit``
    (iteratively, so a value nested past Python's recursion limit, or holding
    itself, is measured too)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if depth >= limit:
                raise BudgetExceeded(f"{what} nests more than {limit} levels deep")
            items = node.values() if isinstance(node, dict) else node
            stack.extend((item, depth + 1) for item in items)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters (error messages quote no more)."""
    flat = text.replace("\n", "\\n").replace("\r", "\\r")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def check_value(value: object, what: str = "a value") -> None:
    """Raise BudgetExceeded when ``value`` is more than MAX_OUTPUT characters of text and
    entries, or nests deeper than MAX_DEPTH (or holds itself); the walk stops as soon
    as it knows."""
    total = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise BudgetExceeded(
                    f"{what} nests more than {MAX_DEPTH} levels deep (or holds itself)"
                )
            total += 1 + len(node) * (2 if isinstance(node, dict) else 1)
            if total <= MAX_OUTPUT:
                items = [*node.keys(), *node.values()] if isinstance(node, dict) else node
                stack.extend((item, depth + 1) for item in items)
        else:
            total += len(node) if isinstance(node, str | bytes) else 1
        if total > MAX_OUTPUT:
            raise BudgetExceeded(f"{what} exceeds {MAX_OUTPUT} characters (1 MiB)")
