# mypy: disable-error-code="import-untyped"
"""RE2: the regular expressions of Go and Kubernetes, in time linear in the text.

Go's ``regexp`` (Sprig's ``regexMatch``, …) and the API server's CRD ``pattern``
are RE2; Python's ``re`` backtracks, so ``^(a+)+$`` against forty ``a`` and a
``b`` would hang the session. A pattern committed by a pull request is compiled
here, with RE2's syntax and guarantee.
"""

from __future__ import annotations

import functools
from typing import Any

import re2


class BadRegex(ValueError):
    """A pattern RE2 does not accept; the message says why."""


def _options() -> Any:
    options = re2.Options()
    # Errors are ours to report; RE2 would also log each to stderr.
    options.log_errors = False
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=1024)
def compile_re2(pattern: str) -> Any:
    """The compiled RE2 ``pattern`` (``search``, ``finditer``, ``sub`` as in ``re``)."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise BadRegex(text) from None
