"""Diagnostics as data.

A `Diagnostic` is a value: stable code, severity, Chinese message, span, indicator path,
optional help and fix. Passes return lists of them and never raise on user errors.
Message texts come from the one catalogue, perfdsl/data/diagnostics.toml, so that the
checker, `perfdsl explain` and the docs cannot drift apart.
"""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter
from typing import Any

from perfdsl import record
from perfdsl.source import Span

SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


@record.frozen
class Fix:
    """Replace the text at `span` with `replacement`."""

    span: Span
    replacement: str
    description: str = ""


@record.frozen
class Diagnostic:
    code: str
    severity: str
    message: str
    span: Span
    path: tuple[str, ...] = ()
    help: str | None = None
    fix: Fix | None = None
    related: tuple[tuple[Span, str], ...] = ()
    waived: bool = False
    waiver_reason: str | None = None
    path_kind: str = "indicator"  # indicator | field: what `path` names

    @property
    def is_error(self) -> bool:
        return self.severity == "error" and not self.waived

    def sort_key(self) -> tuple[Any, ...]:
        return sort_key(self)  # type: ignore[no-any-return]


# The order diagnostics are reported in: by place, then code and message. One C-level call
# (a set with thousands of findings sorts without a Python call per finding).
sort_key = attrgetter("span.path", "span.line", "span.col", "code", "message")


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    from perfdsl.marshalcache import data_file, load_toml  # cached parse: no tomllib at start

    return load_toml(data_file("data", "diagnostics.toml"), "diagnostics")


def diag(
    code: str,
    span: Span,
    *,
    path: tuple[str, ...] = (),
    help: str | None = None,
    fix: Fix | None = None,
    related: tuple[tuple[Span, str], ...] = (),
    severity: str | None = None,
    path_kind: str = "indicator",
    **args: object,
) -> Diagnostic:
    """Build a diagnostic from the catalogue entry for `code`."""
    entry = catalog()[code]
    for key, value in args.items():  # `args` is this call's own dict
        if isinstance(value, str) and len(value) > MAX_ARG_CHARS:
            args[key] = _clip(value)
    message = entry["message"].format_map(args)
    # positional: code, severity, message, span, path, help, fix, related, waived, waiver_reason, path_kind
    return Diagnostic(code, severity or entry["severity"], message, span, path, help, fix, related, False, None,
                      path_kind)


MAX_ARG_CHARS = 200


def _clip(value: object) -> object:
    """Texts quoted in a message are clipped: a million-character name must not flood the screen."""
    if isinstance(value, str) and len(value) > MAX_ARG_CHARS:
        return value[: MAX_ARG_CHARS - 1] + "…"
    return value


def has_errors(diags: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)
