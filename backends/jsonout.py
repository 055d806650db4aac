"""JSON backend: the canonical JSON of a declaration set.

Stable key order, exact decimals as strings (so `100.00` stays `100.00`), full official
names, no spans (moving a line must not change the output). The schema is
perfdsl/data/perfdsl.schema.json. This JSON is also what the DOCX and XLSX backends embed
for a lossless import.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

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
    return dumps(set_json(dset, findings))
