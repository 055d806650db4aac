"""Write profile data back as TOML (for `perfdsl profiles show`).

Only what profile files hold: tables, arrays of tables, arrays, strings, integers, floats
and booleans. Top-level arrays of tables are written as `[[name]]` sections as in the
built-in profiles; tables inside them as inline tables. `tomllib.loads(dumps(d)) == d`
(tested with hypothesis).
"""

from __future__ import annotations

import math
import re
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def key(k: str) -> str:
    return k if _BARE.fullmatch(k) else string(k)


def _escaped(s: str, newlines: bool = False) -> str:
    """`s` escaped for a TOML basic string; with `newlines`, line breaks stay (multi-line strings)."""
    out = []
    for ch in s:
        if newlines and ch == "\n":
            out.append(ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def string(s: str) -> str:
    return '"' + _escaped(s) + '"'


def _multiline(s: str) -> str:
    """A multi-line basic string, for text written over several lines (layout grids)."""
    return '"""\n' + _escaped(s, newlines=True) + '"""'


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _multiline(v) if "\n" in v else string(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {_inline(x)}" for k, x in v.items()) + " }" if v else "{}"
    if isinstance(v, list | tuple):
        if not v:
            return "[]"
        items = [_inline(x) for x in v]
        one = "[" + ", ".join(items) + "]"
        if len(one) <= 100 and not any(isinstance(x, dict) for x in v):
            return one
        return "[\n" + "".join(f"  {i},\n" for i in items) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _inline(v: Any) -> str:
    """A value inside an inline table or array: no multi-line strings there."""
    if isinstance(v, str):
        return string(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {_inline(x)}" for k, x in v.items()) + " }" if v else "{}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    return value(v)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(data: dict[str, Any]) -> str:
    lines: list[str] = []
    plain = [(k, v) for k, v in data.items() if not isinstance(v, dict) and not _is_table_array(v)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, dict)]
    arrays = [(k, v) for k, v in data.items() if _is_table_array(v)]
    for k, v in plain:
        lines.append(f"{key(k)} = {value(v)}")
    for k, v in tables:
        lines.append("")
        lines.append(f"[{key(k)}]")
        for k2, v2 in v.items():
            lines.append(f"{key(k2)} = {value(v2)}")
    for k, v in arrays:
        for entry in v:
            lines.append("")
            lines.append(f"[[{key(k)}]]")
            for k2, v2 in entry.items():
                lines.append(f"{key(k2)} = {value(v2)}")
    return "\n".join(lines).lstrip("\n") + "\n"
