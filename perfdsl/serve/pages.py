"""HTML pages of the review site: the index (with server-side SVG charts) and a set's page.

Pure functions from `Site` data to HTML text, rendered with Jinja2 (autoescape on for
every template; declaration texts are never marked safe). The forms come from the HTML
backend (backends/html.py) with `CellMark`s: each finding at the cell it is about, each
change since the baseline as old → new. Pages work without JavaScript; a small inline
script only adds live reload (server-sent events) and nicer filtering.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from perfdsl.backends import html as hb
from perfdsl.backends.common import ordered
from perfdsl.diagnostics import SEVERITY_ZH, Diagnostic, catalog
from perfdsl.model import Declaration
from perfdsl.semdiff import DIRECTION_ZH, Change, describe

from .site import SetEntry, Site, sort_entries

SORT_KEYS = {
    "unit": "单位", "declarations": "声明数", "indicators": "指标数", "budget": "部门预算（万元）",
    "projects": "项目资金（万元）", "errors": "错误", "warnings": "警告", "waived": "已豁免", "quant": "定量指标占比",
}
NUMERIC = {"declarations", "indicators", "budget", "projects", "errors", "warnings", "waived", "quant"}


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("perfdsl.serve", "templates"),
                                    jinja2.PackageLoader("perfdsl.backends", "templates")]),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = lambda v: "" if v is None else format(v, "f")
    env.filters["q"] = lambda v: quote(v, safe="/")
    return env


def set_url(sid: str) -> str:
    return "/set/" + quote(sid, safe="/")


# --- index ------------------------------------------------------------------------------


def _bars(items: list[tuple[str, float, str, str]], width: int = 460, label_w: int = 150,
          row: int = 16) -> dict[str, Any]:
    """Geometry of a horizontal bar chart: (label, value, value text, link) per bar."""
    top = max((v for _l, v, _t, _h in items), default=0) or 1
    bar_w = width - label_w - 60
    bars = []
    for i, (lab, v, text, href) in enumerate(items):
        bars.append({"label": lab, "text": text, "href": href, "y": i * row, "w": round(bar_w * v / top, 1),
                     "x": label_w, "tx": label_w + round(bar_w * v / top, 1) + 4})
    return {"columns": False, "width": width, "height": max(len(items), 1) * row + 4, "bars": bars, "row": row,
            "label_x": label_w - 6}


COLUMNS_FROM = 30  # more departments than this: one thin column each instead of labelled bars


def _columns(items: list[tuple[str, float, str, str]], height: int = 120) -> dict[str, Any]:
    """A column chart (0–100 %) with one column per item; names on hover."""
    step = max(3.0, min(24.0, 560 / max(len(items), 1)))
    left, top = 34, 6
    cols = []
    for i, (lab, v, text, href) in enumerate(items):
        h = round(height * max(min(v, 100.0), 0.0) / 100, 1)
        cols.append({"label": lab, "text": text, "href": href, "x": round(left + i * step, 1),
                     "w": round(max(step - 1, 1), 1), "y": round(top + height - h, 1), "h": h})
    ticks = [{"y": round(top + height - height * t / 100, 1), "text": f"{t}%"} for t in (0, 50, 100)]
    return {"columns": True, "width": round(left + len(items) * step + 4), "height": top + height + 4,
            "cols": cols, "ticks": ticks, "left": left, "bars": []}


def index_html(site: Site, params: dict[str, str]) -> str:
    generation = site.generation  # before reading the sets: a later change is then noticed
    key = params.get("sort", "unit")
    key = key if key in SORT_KEYS else "unit"
    order = params.get("order", "desc" if key in NUMERIC else "asc")
    order = order if order in ("asc", "desc") else "asc"
    code = params.get("code", "")
    entries = site.entries()
    codes = sorted({c for e in entries for c in e.summary.codes})
    if code:
        entries = [e for e in entries if code in e.summary.codes]
    rows = sort_entries(entries, key, order == "desc")
    heads = []
    for k, label in SORT_KEYS.items():
        nxt = "asc" if (k == key and order == "desc") else ("desc" if k == key or k in NUMERIC else "asc")
        q = {"sort": k, "order": nxt, **({"code": code} if code else {})}
        heads.append({"key": k, "label": label, "href": "?" + urlencode(q), "active": k == key,
                      "arrow": ("▼" if order == "desc" else "▲") if k == key else "", "num": k in NUMERIC})
    counts = site.code_counts()
    by_code = _bars([(c, float(n), str(n), "?" + urlencode({"code": c})) for c, n in sorted(counts.items())])
    quant = [(e.summary.unit, float(e.summary.quant_share or 0), f"{e.summary.quant_share}%", set_url(e.id))
             for e in rows if e.summary.quant_share is not None]
    quant_chart = _bars(quant, label_w=190) if len(quant) <= COLUMNS_FROM else _columns(quant)
    totals = {
        "sets": len(rows), "declarations": sum(e.summary.declarations for e in rows),
        "indicators": sum(e.summary.indicators for e in rows),
        "errors": sum(e.summary.errors for e in rows), "warnings": sum(e.summary.warnings for e in rows),
        "waived": sum(e.summary.waived for e in rows),
        "budget": sum((e.summary.budget for e in rows if e.summary.budget is not None), Decimal(0)),
        "projects": sum((e.summary.projects for e in rows if e.summary.projects is not None), Decimal(0)),
    }
    return str(environment().get_template("site_index.html.j2").render(
        site=site, rows=[(e, set_url(e.id)) for e in rows], heads=heads, codes=codes, code=code,
        titles={c: catalog().get(c, {}).get("title", "") for c in codes},
        by_code=by_code, quant_chart=quant_chart, totals=totals, sort=key, order=order,
        scan_error=site.scan_error, against=site.against_label, page="index", set_id="", form_css="", generation=generation,
        problems=site.problems))


# --- set page ---------------------------------------------------------------------------


def _overlaps(a: Any, b: Any) -> bool:
    if a is None or b is None or a.line == 0 or b.line == 0:
        return False
    return (a.line, a.col) < (b.end_line, b.end_col) and (b.line, b.col) < (a.end_line, a.end_col)


def _belongs(d: Diagnostic, decl: Declaration) -> bool:
    s = decl.span
    return bool(decl.path) and d.span.path == decl.path and (s.line == 0 or s.line <= d.span.line <= s.end_line)


def finding_key(d: Diagnostic, decl: Declaration) -> tuple[str, ...] | None:
    """The cell a finding is about (see backends.html.cell_keys), or None."""
    if not d.path:
        return None
    if d.path_kind == "field":
        return ("field", ".".join(d.path))
    if len(d.path) == 3:
        ind = next((i for i in decl.indicators if i.path == tuple(d.path)), None)
        col = "value" if d.code == "PD-A001" else "name"  # a loosened target: its value
        if ind is not None and d.code != "PD-A001":
            if _overlaps(d.span, ind.unit_span):
                col = "unit"
            elif _overlaps(d.span, ind.name_span):
                col = "name"
            elif d.span.line == ind.span.line and d.span.col > ind.name_span.end_col:
                col = "value"
        return ("ind", *d.path, col)
    if len(d.path) == 2:
        return ("l2", *d.path)
    return ("l1", d.path[0])


def _change_key(c: Change) -> tuple[str, ...] | None:
    if c.kind in ("target_changed", "operator_changed"):
        return ("ind", *c.path, "value")
    if c.kind == "unit_changed":
        return ("ind", *c.path, "unit")
    if c.kind == "wording_changed":
        return ("ind", *c.path, "value" if c.note == "定性指标值" else c.note)
    if c.kind in ("indicator_added", "indicator_moved"):
        return ("ind", *c.path, "name")
    if c.kind in ("field_changed", "money_changed", "field_added"):
        return ("field", ".".join(c.path))
    return None


INLINE_MAX = 60  # longer old/new texts go to the hover title, not into the cell


def _change_mark(c: Change) -> hb.CellMark:
    cls = ["changed", c.kind.replace("_", "-")]
    if c.direction:
        cls.append(c.direction)
    text = describe(c)
    if c.kind in ("indicator_added", "indicator_moved"):
        return hb.CellMark(tuple(cls), text)
    old, new = c.old, c.new
    if c.kind == "operator_changed" or c.kind == "target_changed":
        old, new = (f"{c.note} {old}" if c.kind == "target_changed" else old), (
            f"{c.note} {new}" if c.kind == "target_changed" else new)
    if len(old or "") + len(new or "") > INLINE_MAX:
        return hb.CellMark(tuple(cls), text)
    return hb.CellMark(tuple(cls), text, old=old, new=new)


def set_view(site: Site, entry: SetEntry) -> dict[str, Any]:
    decls = ordered(entry.result.dset)
    findings: list[dict[str, Any]] = []
    marks: dict[int, dict[tuple[int, int, int], hb.CellMark]] = {}
    loose: dict[int, list[dict[str, Any]]] = {}  # findings of a form with no cell of their own
    other: list[dict[str, Any]] = []
    keys_cache: dict[int, dict[tuple[str, ...], tuple[int, int, int]]] = {}
    cat = catalog()
    for n, d in enumerate(entry.result.diagnostics, 1):
        fid = f"f{n}"
        item = {
            "id": fid, "code": d.code, "title": cat.get(d.code, {}).get("title", ""),
            "severity": "waived" if d.waived else d.severity,
            "severity_zh": "已豁免" if d.waived else SEVERITY_ZH.get(d.severity, d.severity),
            "where": f"{site.shown_path(d.span.path)}:{d.span.line}:{d.span.col}",
            "message": d.message, "reason": d.waiver_reason, "path": " › ".join(d.path), "placed": False,
            "form_note": False,
        }
        findings.append(item)
        di = next((i for i, decl in enumerate(decls) if _belongs(d, decl)), None)
        if di is None:
            other.append(item)
            continue
        keys = keys_cache.setdefault(di, hb.cell_keys(decls[di]))
        key = finding_key(d, decls[di])
        pos = keys.get(key) if key else None
        if pos is None and key and key[0] == "ind":
            pos = keys.get(("ind", *key[1:4], "name"))
        if pos is None:
            item["form_note"] = True
            loose.setdefault(di, []).append(item)
            continue
        item["placed"] = True
        cls = ("finding", "waived") if d.waived else ("finding", d.severity)
        title = f"[{d.code}] {d.message}" + (f"\n已豁免：{d.waiver_reason}" if d.waived else "")
        mark = hb.CellMark(cls, title, refs=(fid,))
        cur = marks.setdefault(di, {})
        cur[pos] = cur[pos].merge(mark) if pos in cur else mark
    changes: list[dict[str, Any]] = []
    if site.baseline is not None:
        from perfdsl.against import changes_for

        for di, decl in enumerate(decls):
            keys = keys_cache.setdefault(di, hb.cell_keys(decl))
            for c in changes_for(decl, site.baseline):
                changes.append({"decl": decl.title, "text": describe(c), "kind": c.kind,
                                "direction": c.direction or "", "direction_zh": DIRECTION_ZH.get(c.direction or "", "")})
                key = _change_key(c)
                pos = keys.get(key) if key else None
                if pos is None:
                    continue
                cur = marks.setdefault(di, {})
                m = _change_mark(c)
                cur[pos] = cur[pos].merge(m) if pos in cur else m
    counts = Counter(f["severity"] for f in findings)
    return {"findings": findings, "marks": marks, "loose": loose, "other": other, "changes": changes,
            "counts": counts, "decls": decls}


def set_html(site: Site, entry: SetEntry, generation: int | None = None) -> str:
    generation = site.generation if generation is None else generation
    view = set_view(site, entry)
    forms = hb.forms_html(entry.result.dset, view["marks"], view["loose"])
    env = environment()
    return str(env.get_template("site_set.html.j2").render(
        site=site, entry=entry, s=entry.summary, view=view, forms=forms, form_css=hb.page_css(),
        against=site.against_label, page="set", set_id=entry.id, url=set_url(entry.id),
        generation=generation, problems=site.problems))


def message_html(title: str, text: str, status_note: str = "") -> str:
    return str(environment().get_template("site_message.html.j2").render(
        title=title, text=text, note=status_note, page="message", set_id="", against=None, form_css="",
        generation="", problems=()))
