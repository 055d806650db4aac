"""Did someone edit a perfdsl-made file after it was generated?

A file perfdsl wrote carries its canonical JSON. If a person then changes a value in Word
or Excel, that JSON is stale, and importing it would silently undo their edit. So the
importer also reads the visible tables and compares the two meanings: the same fields
and indicators, with numbers compared by value (100 and 100.00 are the same target).
Only when they agree is the embedded JSON used, for its exactness.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from perfdsl import ast


def _num(text: Any) -> str:
    try:
        return str(Decimal(str(text)).normalize())
    except (InvalidOperation, ValueError):
        return str(text)


def signature(doc: ast.Document, profile_dirs: tuple[str, ...] = (), printed_only: bool = False) -> set[tuple[Any, ...]]:
    """What a declaration means, as a set of comparable facts (order-free), resolved with
    the user's profile folders (`profile_dirs`). `printed_only`: leave out the header fields
    the profile's layout prints nowhere (backends/layout_grid decides), since the tables
    cannot show them, nor so differ in them."""
    from perfdsl.backends.jsonout import declaration_json
    from perfdsl.backends.layout_grid import printed_fields
    from perfdsl.resolve import resolve_document

    resolved, _diags = resolve_document(doc, profile_dirs)
    facts: set[tuple[Any, ...]] = set()
    for decl in resolved.declarations:
        d = declaration_json(decl)
        key = (d["kind"], d["title"])
        shown = printed_fields(decl) if printed_only else None
        for f in d["fields"]:
            if shown is not None and f["key"] not in shown:
                continue  # not in the tables: neither side can show it
            if f.get("number") is not None:
                value: Any = _num(f["number"])
            elif f["type"] == "list":
                value = tuple(f.get("items") or ())
            else:
                value = f.get("text") or ""
            if value in ("", ()):
                continue  # an empty cell and a field left out mean the same
            facts.add((key, "field", f["key"], value))
        for i in d["indicators"]:
            t = {k: (_num(v) if k in ("value", "low", "high") and v is not None else v) for k, v in i["target"].items()}
            facts.add((key, "indicator", i["level1"], i["level2"], i["name"],
                       tuple(sorted(t.items(), key=lambda kv: kv[0])), tuple(sorted(i["columns"].items()))))
    return facts


def differences(embedded: ast.Document, visible: ast.Document, profile_dirs: tuple[str, ...] = ()) -> int:
    """How many facts differ between the embedded data and what the tables show: only
    what the form prints is compared (an unprinted field cannot have been edited there)."""
    a, b = signature(embedded, profile_dirs, True), signature(visible, profile_dirs, True)
    return len(a ^ b)


def _targets(doc: ast.Document) -> set[tuple[Any, ...]]:
    """(一级, 二级, 三级, operator, values…, unit) of every indicator, FASP2 bounds rejoined."""
    facts = {f[2:6] for f in signature(doc) if f[1] == "indicator"}
    out: set[tuple[Any, ...]] = set()
    bounds: dict[tuple[str, str, str], dict[str, Any]] = {}
    for l1, l2, name, target in facts:
        t = dict(target)
        for side, suffix in (("low", "（下限）"), ("high", "（上限）")):
            if name.endswith(suffix) and t.get("op") == ("ge" if side == "low" else "le"):
                b = bounds.setdefault((l1, l2, name[: -len(suffix)]), {"unit": t.get("unit")})
                b[side] = t.get("value")
                break
        else:
            out.add((l1, l2, name, tuple(sorted(t.items()))))
    for (l1, l2, name), b in bounds.items():
        joined = {"op": "range", "low": b.get("low"), "high": b.get("high"), "unit": b.get("unit")}
        out.add((l1, l2, name, tuple(sorted(joined.items()))))
    return out


def flat_sheet_differences(forms: ast.Document, flat: ast.Document) -> int:
    """How many indicator targets differ between the form sheets and the 指标清单 sheet."""
    return len(_targets(forms) ^ _targets(flat))
