"""JSON backend: the canonical JSON of a declaration set.

Stable key order, exact decimals as strings (so `100.00` stays `100.00`), full official
names, no spans (moving a line must not change the output). The schema is
perfdsl/data/perfdsl.schema.json. This JSON is also what the DOCX and XLSX backends embed
for a lossless import.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from perfdsl import __version__
from perfdsl.model import Declaration, DeclarationSet, Field, Indicator, Target

EXTENSION = ".json"
FORMAT_VERSION = 1


def _dec(v: Decimal | None) -> str | None:
    return None if v is None else format(v, "f")


def target_json(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {"op": t.op}
    if t.op == "qual":
        out["text"] = t.text
    elif t.op == "range":
        out["low"] = _dec(t.low)
        out["high"] = _dec(t.high)
    else:
        out["value"] = _dec(t.value)
    out["unit"] = t.unit
    return out


def indicator_json(ind: Indicator) -> dict[str, Any]:
    return {
        "level1": ind.level1,
        "level2": ind.level2,
        "name": ind.name,
        "target": target_json(ind.target),
        "columns": {k: v for k, v in ind.columns},
    }


def field_json(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"key": f.key, "label": f.label, "type": f.type, "known": f.known}
    if f.type == "list":
        out["items"] = list(f.items)
    else:
        out["text"] = f.text
    if f.number is not None:
        out["number"] = _dec(f.number)
    return out


def declaration_json(d: Declaration) -> dict[str, Any]:
    title, subtitle = d.heading()
    return {
        "kind": d.kind,
        "title": d.title,
        "profile": d.profile.id,
        "form_title": title,
        "form_subtitle": subtitle,
        "fields": [field_json(f) for f in d.fields],
        "indicators": [indicator_json(i) for i in d.ordered_indicators()],  # the order every output prints
    }


def set_json(dset: DeclarationSet, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": "perfdsl",
        "format_version": FORMAT_VERSION,
        "compiler": f"perfdsl {__version__}",
        "name": dset.name,
        "year": dset.year,
        "declarations": [declaration_json(d) for d in dset.declarations],
    }
    if findings is not None:
        out["findings"] = findings
    return out


def dumps(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render(dset: DeclarationSet, options: Any = None, findings: list[dict[str, Any]] | None = None) -> bytes:
    """Exactly `dumps(set_json(dset, findings))`, but built indicator by indicator: the
    dictionaries of a huge declaration never all exist at once (issue #16)."""
    out = io.BytesIO()
    pieces: list[str] = []
    size = 0
    for piece in _iter_json(_lazy_set_json(dset, findings), 0):
        pieces.append(piece)
        size += len(piece)
        if size >= 1 << 20:
            out.write("".join(pieces).encode("utf-8"))
            pieces, size = [], 0
    pieces.append("\n")
    out.write("".join(pieces).encode("utf-8"))
    return out.getvalue()


class _Lazy:
    """A JSON array whose items are made only while it is written."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _lazy_set_json(dset: DeclarationSet, findings: list[dict[str, Any]] | None) -> dict[str, Any]:
    out = set_json(DeclarationSet(dset.name, (), dset.root), findings)
    out["year"] = dset.year
    out["declarations"] = _Lazy(_lazy_declaration(d) for d in dset.declarations)
    return out


def _lazy_declaration(d: Declaration) -> dict[str, Any]:
    out = declaration_json(attrs.evolve(d, indicators=()))
    out["indicators"] = _Lazy(indicator_json(i) for i in d.ordered_indicators())  # the order every output prints
    return out


def _iter_json(obj: Any, level: int) -> Iterator[str]:
    """json.dumps(obj, ensure_ascii=False, indent=2) in pieces, `obj` nested `level` deep."""
    pad = "\n" + "  " * (level + 1)
    if isinstance(obj, _Lazy):
        first = True
        for item in obj.items:
            yield ("[" if first else ",") + pad
            yield from _iter_json(item, level + 1)
            first = False
        yield "[]" if first else "\n" + "  " * level + "]"
    elif isinstance(obj, dict) and obj and any(isinstance(v, (_Lazy, dict)) for v in obj.values()):
        sep = "{"
        for k, v in obj.items():
            yield sep + pad + json.dumps(k, ensure_ascii=False) + ": "
            yield from _iter_json(v, level + 1)
            sep = ","
        yield "\n" + "  " * level + "}"
    else:
        yield json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
