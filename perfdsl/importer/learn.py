"""`perfdsl import FORM --new-profile NAME`: learn a profile from a form of an unknown layout.

The form's first declaration is read as cell grids (grid.py): the rows above the
indicator heading are the header, the heading row gives the indicator columns. Each
header cell is classified as

- a title or subtitle (one cell across the whole table naming a 表, or `（2025年度）`);
- a label: text that reads like a form label (short, no digits, a known label of any
  profile, or ending in a colon), or a group label standing before another label
  (the vertical 项目资金（万元）);
- a value: the cell after a label, or the cell under a heading of a row of headings
  (two long texts side by side under their titles).

Each label/value pair becomes a field (key from the label, type guessed from the label
and the value), and the header is written back in the profile grid notation
(docs/profiles.md): the same rows, spans (`*N`), cells merged from above (`^`), labels
(`{@键}`) and values (`{键}`). The indicator columns come from the heading row (spans
included), the operators as the form prints them, the hierarchy from the built-in
profile whose hierarchy fits the indicators best (copied, not inherited, so none of its
fields, sums or balances apply). Everything guessed is listed (`Learned.guesses`), in
the TOML as comments and on the terminal.

It must not write files (the command does).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from perfdsl.importer import build, detect
from perfdsl.importer.grid import Book, Table
from perfdsl.importer.safety import ImportFailure
from perfdsl.importer.values import clean, parse_value, squash
from perfdsl.profiles import Profile

TYPE_ZH = {"text": "文字", "list": "多条", "int": "整数", "money": "金额", "year": "年度", "date": "日期"}
_YEAR_IN = re.compile(r"(\d{4})(\s*年度?)")
_NUM = re.compile(r"^-?\d[\d,]*(\.\d+)?$")
_TITLE_NAMES = ("项目名称", "二级项目名称", "单位名称", "部门名称", "单位(部门)名称", "部门(单位)名称", "预算单位名称",
                "预算单位", "单位")


@attrs.frozen
class Learned:
    toml: str
    profile_id: str
    guesses: tuple[str, ...]


@attrs.define
class _Cell:
    r: int
    c: int
    span: int
    rows: int
    text: str
    covered: bool  # continues a cell from above (written `^`)
    kind: str = ""  # title subtitle label group value empty
    key: str = ""


def _geometry(t: Table, r: int) -> list[_Cell]:
    """The cells that start in row r (or continue one from above), with spans."""
    row = t.rows[r]
    out: list[_Cell] = []
    c = 0
    while c < len(row):
        g = row[c]
        orow, ocol = g.origin
        if ocol != c:  # covered from the left
            c += 1
            continue
        span = 1
        while c + span < len(row) and row[c + span].origin == g.origin:
            span += 1
        if orow != r:
            out.append(_Cell(r, c, span, 1, "", True))
        else:
            rows = 1
            while r + rows < len(t.rows) and c < len(t.rows[r + rows]) and t.rows[r + rows][c].origin == g.origin:
                rows += 1
            out.append(_Cell(r, c, span, rows, g.text, False))
        c += span
    return out


def _label_index(known: tuple[Profile, ...]) -> set[str]:
    out: set[str] = set()
    for p in known:
        for f in p.fields:
            for n in (f.label, f.key, *f.aliases):
                out.add(detect.norm_label(n))
    return out - {""}


class _Classifier:
    def __init__(self, known_labels: set[str]) -> None:
        self.known = known_labels

    def strong(self, text: str) -> bool:
        t = clean(text)
        n = detect.norm_label(t)
        if not n:
            return False
        return (n in self.known or t.rstrip().endswith(("：", ":")) or bool(re.search(r"[（(](万元|元|个|人)[)）]$", t))
                or t.startswith("其中"))

    def like(self, text: str) -> bool:
        s = squash(text)
        if not s:
            return False
        if self.strong(text):
            return True
        return len(s) <= 12 and not re.search(r"\d|[。；;，,、]", s)


def _is_title(cell: _Cell, ncols: int) -> str:
    s = squash(cell.text)
    if cell.span < ncols or not s:
        return ""
    if re.fullmatch(r"[（(]?\d{4}年度?[)）]?", s):
        return "subtitle"
    if s.endswith("表") and "目标" in s:
        return "title"
    return ""


def _key(label: str, taken: set[str]) -> str:
    k = detect.norm_label(label)
    k = re.sub(r"^其中[:：]?", "", k) or k
    k = k.replace(".", "．").replace(":", "：")
    k = re.sub(r"[{}|\[\]#\"]", "", k) or "栏目"
    base, n = k, 2
    while k in taken:
        k = f"{base}{n}"
        n += 1
    taken.add(k)
    return k


def _type(label: str, value: str) -> str:
    v = squash(value)
    lab = squash(label)
    if re.fullmatch(r"\d{4}", v) and detect.norm_label(lab) in ("年度", "年份", "预算年度", "申报年度"):
        return "year"
    if (not v or _NUM.match(v)) and any(w in lab for w in ("资金", "金额", "经费", "预算", "万元", "(元)", "拨款", "支出",
                                                     "收入", "合计", "总额")):
        return "money"
    if v and re.fullmatch(r"\d+", v) and re.search(r"(个|人|数)[)]?$", lab):
        return "int"
    if len([ln for ln in clean(value).split("\n") if ln.strip()]) >= 2:
        return "list"
    return "text"


_ITEM_FORMATS = ((re.compile(r"^目标\d+([:：])"), "目标{n}{sep}{text}"), (re.compile(r"^\d+([.、．:：）)])"), "{n}{sep}{text}"),
                 (re.compile(r"^（\d+(）)"), "（{n}{sep}{text}"))


def item_format(value: str) -> str:
    """How a list's paragraphs are numbered (`1.`, `目标1：`, `（1）`), as a field's item_format."""
    lines = [ln.strip() for ln in clean(value).split("\n") if ln.strip()]
    for pat, fmt in _ITEM_FORMATS:
        ms = [pat.match(ln) for ln in lines]
        if lines and all(ms):
            seps = {m.group(1) for m in ms if m}
            if len(seps) == 1:
                return fmt.replace("{sep}", seps.pop())
    return "{text}"


def _quote(text: str) -> str:
    t = text.replace("\n", "")
    if "|" in t or t.startswith(("^", "<", '"', "*")) or re.search(r"\s\*\d+$", t) or t.strip() in (
            "left", "right", "center", "label", "value", "head", "title", "subtitle"):
        return '"' + t.replace('"', "'") + '"'
    return t.replace("{", "｛").replace("}", "｝")


def _year_template(text: str) -> tuple[str, bool]:
    t = clean(text).replace("\n", "")
    m = _YEAR_IN.search(t)
    if m is None:
        return t, False
    return t[:m.start()] + "{年度}" + t[m.start() + 4:], True


def learn(book: Book, name: str, pid: str, known: tuple[Profile, ...]) -> Learned:
    out = build.Out()
    found = None
    for _label, lines in build.streams(book):
        secs = build.sections(lines, out)
        if secs:
            found = secs[0]
            break
    if found is None:
        raise ImportFailure(f"{name} 中没有找到绩效指标表（含“一级指标”“二级指标”“三级指标”或“指标值”的表头行），"
                            "无法由它生成模板。")
    sec = found
    table = sec.head_line.table
    assert table is not None
    guesses: list[str] = []
    cls = _Classifier(_label_index(known))
    ncols = max(len(r) for r in table.rows)
    head_r = sec.head_line.r
    first_r = min((ln.r for ln in sec.zone if ln.table is table), default=head_r)
    rows = [_geometry(table, r) for r in range(first_r, head_r)]
    fields: list[dict[str, Any]] = []
    taken: set[str] = {"模板"}
    title = subtitle = ""
    has_year = False

    def field(label: str, value: str, where: str) -> str:
        k = _key(label, taken)
        ty = _type(label, value)
        spec: dict[str, Any] = {"key": k, "label": clean(label).replace("\n", "")}
        if ty != "text":
            spec["type"] = ty
        if ty == "list" and item_format(value) != "{text}":
            spec["item_format"] = item_format(value)
        fields.append(spec)
        guesses.append(f"{where}“{spec['label']}”当作栏目，右边或下方的格当作它的值（字段“{k}”，类型：{TYPE_ZH[ty]}）")
        return k

    # the DOCX paragraphs above the table: title, subtitle
    for ln in sec.zone:
        if ln.table is not None or not clean(ln.text):
            continue
        t = clean(ln.text)
        if not title and "表" in t:
            title, y = _year_template(t)
            has_year |= y
            guesses.append(f"表格上方的“{t}”当作表名")
        elif not subtitle and re.fullmatch(r"[（(]?\d{4}年度?[)）]?", squash(t)):
            subtitle, _y = _year_template(t)
            has_year = True
            guesses.append(f"表格上方的“{t}”当作副标题（年度）")
    # the header grid
    for i, cells in enumerate(rows):
        live = [c for c in cells if not c.covered]
        for c in live:
            kind = _is_title(c, ncols)
            if kind and (i == 0 or (i == 1 and rows[0][0].kind == "title")):
                c.kind = kind
                text, y = _year_template(c.text)
                has_year |= y
                if kind == "title":
                    title = text
                else:
                    subtitle = text
                guesses.append(f"{table.pos(c.r, c.c)}“{clean(c.text)}”当作{'表名' if kind == 'title' else '副标题'}")
        if any(c.kind for c in live):
            continue
        nxt = [c for c in rows[i + 1] if not c.covered] if i + 1 < len(rows) else []
        # a row of headings with their texts in the row below (side-by-side long texts)
        if (live and all(cls.like(c.text) for c in live) and nxt
                and [(c.c, c.span) for c in nxt] == [(c.c, c.span) for c in live]
                and not any(cls.strong(c.text) for c in nxt) and not all(cls.like(c.text) for c in nxt)):
            for c, v in zip(live, nxt, strict=True):
                c.kind = "label"
                c.key = field(c.text, v.text, table.pos(c.r, c.c))
                v.kind, v.key = "value", c.key
            continue
        j = 0
        while j < len(live):
            c = live[j]
            if c.kind:
                j += 1
                continue
            after = live[j + 1] if j + 1 < len(live) else None
            if not squash(c.text):
                c.kind = "empty"
                j += 1
                continue
            if not cls.like(c.text):
                c.kind = "group"  # text standing alone: printed as it is
                guesses.append(f"{table.pos(c.r, c.c)}“{clean(c.text)}”前面没有栏目，当作固定文字")
                j += 1
                continue
            if after is None:
                c.kind = "group"
                j += 1
                continue
            after2 = live[j + 2] if j + 2 < len(live) else None
            if cls.strong(after.text) or (cls.like(after.text) and after2 is not None and squash(after2.text)
                                          and not cls.like(after2.text)):
                c.kind = "group"  # a group label before a label (项目资金（万元） | 年度资金总额 | …)
                guesses.append(f"{table.pos(c.r, c.c)}“{clean(c.text)}”当作分组栏目（固定文字）")
                j += 1
                continue
            c.kind = "label"
            c.key = field(c.text, after.text, table.pos(c.r, c.c))
            after.kind, after.key = "value", c.key
            j += 2
    # the grid text
    grid_lines: list[str] = []
    for cells in rows:
        parts = []
        for c in cells:
            if c.covered:
                parts.append("^")
                continue
            span = f" *{c.span}" if c.span > 1 else ""
            if c.kind == "title":
                parts.append("{$表名}" + span + " title")
            elif c.kind == "subtitle":
                parts.append("{$副标题}" + span + " subtitle")
            elif c.kind == "label":
                parts.append("{@" + c.key + "}" + span)
            elif c.kind == "value":
                left = " left" if len(clean(c.text)) > 20 or "\n" in clean(c.text) else ""
                parts.append("{" + c.key + "}" + span + left)
            elif c.kind == "empty":
                parts.append('""' + span)
            else:
                parts.append(_quote(clean(c.text)) + span)
        grid_lines.append(" | ".join(parts))
    # indicator columns from the heading row
    columns, operators, bare = _columns(table, sec, guesses)
    rows_ind = build.indicator_rows(sec, build.Out())
    paths = [(r.l1, r.l2) for r in rows_ind]
    texts = build._zone_texts(sec.zone)
    kind = detect.choose_kind(texts, [r.l1 for r in rows_ind])
    parent = _parent(known, paths, kind)
    guesses.append(f"指标体系照内置模板“{parent['id']}”（与表中的一级、二级指标最吻合），类型：{'部门整体' if kind == 'department' else '项目'}")
    if has_year and "年度" not in taken:
        fields.insert(0, {"key": "年度", "type": "year", "show": False})
    title_field = next((f["key"] for f in fields if detect.norm_label(f.get("label", f["key"])) in _TITLE_NAMES), "")
    if not title_field:
        title_field = next((f["key"] for f in fields if "名称" in f["key"]), "")
    if title_field:
        for f in fields:
            if f["key"] == title_field:
                f["required"] = True
    money_unit = "元" if any(re.search(r"[（(]元[)）]", str(f.get("label", ""))) for f in fields) or any(
        re.search(r"[（(]元[)）]", clean(c.text)) for cells in rows for c in cells) else "万元"
    notes = _notes(book, sec, table)
    data: dict[str, Any] = {
        "id": pid,
        "name": f"由 {name} 生成的模板",
        "kind": kind,
        "title": title,
        "subtitle": subtitle,
        "title_field": title_field,
        "money_unit": money_unit,
        "hierarchy_set": str(parent.get("hierarchy_set", "")),
        "bare_equals": bare,
        "operators": operators,
        "hierarchy": parent.get("hierarchy", []),
        "layout": {"widths": [10] * ncols, "header": "\n" + "\n".join(grid_lines) + "\n"},
        "fields": fields,
        "columns": columns,
    }
    if not grid_lines:
        del data["layout"]["header"]
    if notes:
        data["page"] = {"notes": notes}
        guesses.append(f"表格下方的 {len(notes)} 段文字当作表下注释")
    from perfdsl import tomlout

    head = [f"# 由 perfdsl import --new-profile 从 {name} 生成。以下是推测的内容，请核对："]
    head += [f"# - {g}" for g in guesses]
    return Learned("\n".join(head) + "\n\n" + tomlout.dumps(data), pid, tuple(guesses))


def _columns(table: Table, sec: build.Section, guesses: list[str]) -> tuple[list[dict[str, Any]], dict[str, str], bool]:
    h = sec.header
    r = sec.head_line.r
    cells = _geometry(table, r)
    roles = dict(h.roles)
    cols: list[dict[str, Any]] = []
    has_op, has_unit = "op" in roles.values(), "unit" in roles.values()
    for c in cells:
        role = roles.get(c.c)
        label = clean(c.text).replace("\n", "")
        if c.covered:
            col: dict[str, Any] = {"key": "side", "label": "^"}
        elif role is None and c.c in h.extras:
            col = {"key": h.extras[c.c], "label": label}
        elif role is None:
            col = {"key": "side", "label": label}
            guesses.append(f"{table.pos(c.r, c.c)}“{label}”当作竖排的侧标签")
        elif role == "value" and not has_op:
            col = {"key": "target", "label": label, "format": "{op}{value}{unit}" if not has_unit else "{op}{value}"}
            if has_unit:
                col["key"] = "target"
        else:
            col = {"key": role, "label": label}
        if c.span > 1:
            col["span"] = c.span
        cols.append(col)
    if has_unit and not has_op:
        for col in cols:
            if col["key"] == "unit":
                col["key"] = "度量单位"  # a target printed without its unit keeps the unit column as text
    # operators as the form prints them
    ops: dict[str, str] = {}
    bare = False
    cop, cv = h.col("op"), h.col("value")
    for ln in sec.rows:
        cellsx = ln.cells
        if cv is None or cv >= len(cellsx) or not cellsx[cv].text.strip():
            continue
        optext = cellsx[cop].text if cop is not None and cop < len(cellsx) else None
        p = parse_value(cellsx[cv].text, optext, None)
        op = getattr(p.target, "op", None) or ("qual" if p.target.__class__.__name__ == "Qualitative" else None)
        shown = ""
        if optext is not None:
            shown = clean(optext)
        else:
            m = re.match(r"^\s*([^\d\s.\-]*)", squash(cellsx[cv].text))
            shown = m.group(1) if m else ""
        if op is None or op in ops:
            continue
        if op == "qual" and optext is None:
            continue
        if op == "range":
            continue
        ops[op] = shown
        if op == "eq" and shown == "":
            bare = True
    if ops:
        guesses.append("运算符照表中的写法：" + "、".join(f"{k}={v or '（不印）'}" for k, v in sorted(ops.items())))
    return cols, ops, bare


def _notes(book: Book, sec: build.Section, table: Table) -> list[str]:
    out: list[str] = []
    if book.kind == "docx":
        idx = book.tables.index(table)
        after = book.tables[idx + 1].before if idx + 1 < len(book.tables) else book.trailing
        out = [clean(p) for p in after if clean(p)]
    else:
        for ln in sec.rows:
            texts = {g.text for g in ln.cells if g.text.strip()}
            if len(texts) == 1 and squash(next(iter(texts))).startswith(("注", "说明")):
                out.append(clean(next(iter(texts))))
    return out


def _parent(known: tuple[Profile, ...], paths: list[tuple[str, str]], kind: str) -> dict[str, Any]:
    from perfdsl.profiles import BUILTIN_PREFIX, resolved_data

    builtin = [p for p in known if p.source.startswith(BUILTIN_PREFIX)] or list(known)
    order = {"mof2021": 0, "mof2015": 1, "gansu-dept": 2, "gansu-project": 3}

    def rank(p: Profile) -> tuple[int, int, int]:
        return build._fit(p, paths), p.kind == kind, -order.get(p.id, 9)

    best = max(builtin, key=rank)
    data = resolved_data(best.id) or {}
    return {"id": best.id, "hierarchy": data.get("hierarchy", []), "hierarchy_set": data.get("hierarchy_set", "")}
