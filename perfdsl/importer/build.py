"""Cell grids → `ast.Document`: the layout importer.

The grids (grid.py) are read as one stream of lines: DOCX paragraphs and table rows in
document order, or one XLSX sheet's rows. Each indicator heading row (detect.py) starts
an indicator table; the lines before it since the previous table are that declaration's
header (title, year, label/value cells). Flat system exports (one indicator per row,
with a 项目名称 column) become one declaration per project. 一级/二级 cells left blank
are filled down. Values go through values.py.

Nothing is dropped silently: every non-empty cell that is neither a label, a value nor a
heading is returned as an unmapped item (position + text) that the caller prints as a
comment and reports as a warning. It must not read files nor print.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from perfdsl import ast
from perfdsl.importer import detect, exports, layoutmatch
from perfdsl.importer.grid import Book, GCell, Table
from perfdsl.importer.numbered import split_numbered
from perfdsl.importer.ownprofiles import ProfileHint
from perfdsl.importer.safety import ImportFailure
from perfdsl.importer.values import clean, parse_value, squash
from perfdsl.numbers import other_digits
from perfdsl.profiles import Profile

# A flat 指标清单 that repeats the form sheets' indicators (it is not imported twice).
DUPLICATE_FLAT = "是逐行指标清单，与前面各表的指标重复，未重复导入"

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_NUMERIC_FIELDS = ("money", "int", "year", "date", "code")
_YEAR = re.compile(r"(\d{4})\s*年度")
_CJK = re.compile(r"[^\x00-\x7f]")


@attrs.define
class Line:
    table: Table | None
    r: int  # row index (-1 for a paragraph)
    cells: list[GCell]
    text: str = ""  # paragraph text

    def pos(self, c: int) -> str:
        if self.table is None:
            return "正文段落"
        return self.table.pos(self.r, c)

    def new_cells(self) -> list[tuple[int, GCell]]:
        """Cells that start in this row (merged continuations from the left or above skipped)."""
        return [(c, g) for c, g in enumerate(self.cells) if g.origin == (self.r, c)]

    def context(self) -> list[str]:
        return [g.text for g in self.cells if g.text]


@attrs.define
class Out:
    warnings: list[str] = attrs.Factory(list)
    comments: list[str] = attrs.Factory(list)
    # the fixed texts of the known forms (notes under the table, lines above it): they are
    # the profile's, printed again by every build, so finding them is not a loss
    boiler: set[str] = attrs.Factory(set)
    # layout matches of one import, by (profile, zone): a flat export's thousand projects share one zone
    matches: dict[tuple[object, ...], layoutmatch.Match | None] = attrs.Factory(dict)

    def is_boiler(self, text: str) -> bool:
        return bool(self.boiler) and squash(text) in self.boiler

    def unmapped(self, where: str, text: str, why: str = "未能对应到申报表栏目") -> None:
        one = _LINE_BREAKS.sub(" / ", text)
        self.warnings.append(f"{where}：{why}：{one}")
        self.comments.append(f"{where}：{one}")

    def note(self, where: str, text: str) -> None:
        one = _LINE_BREAKS.sub(" / ", text)
        self.warnings.append(f"{where}：{one}")
        self.comments.append(f"{where}：{one}")


def join_lines(text: str) -> str:
    """Line breaks inside a name cell: dropped next to CJK, a space between Latin words."""
    t = clean(text)
    parts = [p.strip() for p in t.split("\n") if p.strip()]
    out = ""
    for p in parts:
        if out and not (_CJK.match(out[-1]) or _CJK.match(p[0])):
            out += " "
        out += p
    return out


def streams(book: Book) -> Iterator[tuple[str, list[Line]]]:
    if book.kind == "docx":
        lines: list[Line] = []
        for t in book.tables:
            lines += [Line(None, -1, [], p) for p in t.before]
            lines += [Line(t, r, row) for r, row in enumerate(t.rows)]
        lines += [Line(None, -1, [], p) for p in book.trailing]
        yield "文档", lines
        return
    for t in book.tables:
        if t.hidden:
            continue
        yield t.name, [Line(t, r, row) for r, row in enumerate(t.rows)]


def _header_of(line: Line) -> detect.Header | None:
    if line.table is None:
        return None
    own = [g.origin[1] == c for c, g in enumerate(line.cells)]
    return detect.indicator_header([g.text for g in line.cells], own)


@attrs.define
class Section:
    zone: list[Line]
    header: detect.Header
    head_line: Line
    rows: list[Line]


def sections(lines: list[Line], out: Out) -> list[Section]:
    found: list[Section] = []
    zone: list[Line] = []
    i = 0
    while i < len(lines):
        hdr = _header_of(lines[i])
        if hdr is None:
            zone.append(lines[i])
            i += 1
            continue
        head = lines[i]
        j = i + 1
        rows: list[Line] = []
        while j < len(lines) and lines[j].table is head.table and _header_of(lines[j]) is None:
            rows.append(lines[j])
            j += 1
        found.append(Section(zone, hdr, head, rows))
        zone = []
        i = j
    for ln in zone:  # lines after the last indicator table
        _unmapped_line(ln, out)
    return found


def _unmapped_line(ln: Line, out: Out) -> None:
    if ln.table is None:
        if ln.text.strip() and not out.is_boiler(ln.text):
            out.unmapped("正文段落", ln.text)
        return
    for c, g in ln.new_cells():
        if g.text.strip() and not out.is_boiler(g.text):
            out.unmapped(ln.pos(c), g.text)


# ----------------------------------------------------------------------------------------
# Header fields
# ----------------------------------------------------------------------------------------


def _list_items(text: str, fmt: str) -> list[str]:
    found = split_numbered(clean(text))  # `1. … 2. …`, `（1）…`, `目标1：…`, even run together
    if found is not None:
        return found
    pat = re.escape(fmt).replace(r"\{n\}", r"\d+").replace(r"\{text\}", "(.*)")
    pat = pat.replace(r"\ ", r"\s*").replace(r"\.", r"[.．、]")
    own = re.compile("^" + pat + "$")
    generic = re.compile(r"^(?:目标\s*\d+\s*[：:．.、]|\(?\d+[)）.．、]|（\d+）)\s*(.*)$")
    numbered = fmt != "{text}"
    lines = [ln.strip() for ln in clean(text).split("\n") if ln.strip()]
    if numbered and len(lines) == 1:
        pieces = re.split(r"(?=目标\s*\d+\s*[：:])", lines[0])
        lines = [p.strip() for p in pieces if p.strip()]
    items = []
    for ln in lines:
        if numbered:
            m = own.match(ln) or generic.match(ln)
            if m:
                ln = m.group(1).strip()
        items.append(ln)
    return items


def _composite(profile: Profile, key: str, text: str) -> dict[str, str] | None:
    """The parts of `text` by the first of the profile's composite formats that names `key`."""
    for fmt in profile.composites.values():
        if f"{{{key}}}" in fmt and (parts := _split_composite(fmt, text)) is not None:
            return parts
    return None


def _split_composite(fmt: str, text: str) -> dict[str, str] | None:
    keys = re.findall(r"\{([^{}]+)\}", fmt)
    pat = ""
    pos = 0
    for n, m in enumerate(re.finditer(r"\{([^{}]+)\}", fmt)):
        pat += re.escape(fmt[pos:m.start()])
        pat += f"(?P<g{n}>.*)" if n == len(keys) - 1 else f"(?P<g{n}>.*?)"
        pos = m.end()
    pat += re.escape(fmt[pos:])
    mm = re.fullmatch(pat, clean(text), re.S)
    if mm is None:
        return None
    return {k: mm.group(f"g{n}").strip() for n, k in enumerate(keys)}


def _label_like(text: str) -> bool:
    t = squash(text)
    return 0 < len(t) <= 16 and not re.search(r"\d", t)


class _Header:
    def __init__(self, profile: Profile, out: Out) -> None:
        self.profile = profile
        self.idx = detect.FieldIndex(profile)
        self.out = out
        self.values: dict[str, str] = {}
        self.order: list[str] = []
        self.unknown: list[tuple[str, str]] = []

    def place(self, mt: layoutmatch.Match | None) -> set[tuple[int, int, int]]:
        """Values read by position from the layout the header matched; the cells read."""
        if mt is None:
            return set()
        for v in mt.values:
            # an empty value cell is an empty field, as a label beside an empty cell always was
            if clean(v.text) or self.profile.field(v.key) is not None:
                self.assign(v.key, v.text, v.where)
        return set(mt.consumed)

    def assign(self, key: str, text: str, where: str) -> None:
        spec = self.profile.field(key)
        if spec is None and key in self.profile.composites:
            parts = _split_composite(self.profile.composites[key], text)
            if parts:
                for k, v in parts.items():
                    if v:
                        self._set(k, v, where)
                return
        comp = _composite(self.profile, key, text) if spec is not None else None
        if comp:
            for k, v in comp.items():
                self._set(k, v, where)
            return
        self._set(key, text, where)

    def _set(self, key: str, text: str, where: str = "") -> None:
        if key in self.values:
            return
        spec = self.profile.field(key)
        if spec is not None and spec.type in _NUMERIC_FIELDS:
            # as for indicator values: other scripts' digits are written as 0-9, and reported
            ascii_text, scripts = other_digits(text)
            foreign = [s for s in scripts if s != "全角数字"]
            if foreign:
                self.out.note(where or "表头栏目", f"“{spec.label}”的内容“{clean(text)}”中有{'、'.join(foreign)}，"
                              "已改写为 0-9 的数字导入，请核对")
                text = ascii_text
        self.values[key] = text
        self.order.append(key)

    def read(self, zone: list[Line], mt: layoutmatch.Match | None = None) -> None:
        self.fallback: list[tuple[str, str]] = []
        self._read(zone, mt)
        for k, v in self.fallback:
            self._set(k, v, "正文段落")

    def _read(self, zone: list[Line], mt: layoutmatch.Match | None) -> None:
        consumed = self.place(mt)
        for li, ln in enumerate(zone):
            if ln.table is None:
                if not self.out.is_boiler(ln.text):
                    self._paragraph(ln)
                continue
            new = ln.new_cells()
            ctx = ln.context()
            labels = [self.idx.pick(g.text, ctx, set(self.values)) if g.text else None for _c, g in new]
            unmatched = [(c, g) for (c, g), k in zip(new, labels, strict=False) if k is None and g.text]
            heading_row = len(unmatched) >= 3 and all(_label_like(g.text) for _c, g in unmatched) and not any(labels)
            for n, ((c, g), key) in enumerate(zip(new, labels, strict=False)):
                mark = (id(ln.table), ln.r, c)
                if mark in consumed or not g.text:
                    continue
                nxt = new[n + 1] if n + 1 < len(new) else None
                nxt_is_label = nxt is not None and labels[n + 1] is not None
                if key is not None:
                    if nxt is not None and (id(ln.table), ln.r, nxt[0]) in consumed:
                        continue  # its value cell was read by the layout as another field's
                    if nxt is not None and not nxt_is_label:
                        consumed.add((id(ln.table), ln.r, nxt[0]))
                        self.assign(key, nxt[1].text, ln.pos(nxt[0]))
                    elif nxt is None:
                        below = self._below(zone, li)
                        if below is not None:
                            bl, bc, bg = below
                            consumed.add((id(bl.table), bl.r, bc))
                            self.assign(key, bg.text, bl.pos(bc))
                        else:
                            self.assign(key, "", ln.pos(c))
                    # else: a group label followed by a field label (部门（单位）职能 | 职能依据…)
                    continue
                if heading_row or nxt_is_label or _YEAR.search(g.text) or self._is_title(g.text):
                    if _YEAR.search(g.text):
                        self._year(g.text)
                    continue
                if nxt is not None and _label_like(g.text) and not heading_row:
                    consumed.add((id(ln.table), ln.r, nxt[0]))
                    self.unknown.append((norm_key(g.text), nxt[1].text))
                    continue
                if _label_like(g.text) and len(new) > 1:
                    continue  # a group label (e.g. 基本支出) read as context
                if self._above(g.text, ln.pos(c)):
                    continue
                self.out.unmapped(ln.pos(c), g.text)

    def _below(self, zone: list[Line], li: int) -> tuple[Line, int, GCell] | None:
        if li + 1 >= len(zone) or zone[li + 1].table is None:
            return None
        bl = zone[li + 1]
        new = bl.new_cells()
        if not new:
            return None
        c, g = new[0]
        if g.text and self.idx.pick(g.text, bl.context(), set(self.values)) is not None:
            return None
        return bl, c, g

    def _is_title(self, text: str) -> bool:
        t = squash(text)
        return "绩效目标" in t and t.endswith(("表", "申报表")) and len(t) <= 60

    def _year(self, text: str) -> None:
        m = _YEAR.search(text)
        if m and self.profile.field("年度") is not None:
            self._set("年度", m.group(1))

    def _titled(self, t: str) -> bool:
        """The profile's title and/or subtitle (`财政项目支出绩效目标申报表（2026年度）`): their
        fields (年度 …) are read from it."""
        for tmpl in ("{$表名}{$副标题}", "{$表名}", "{$副标题}"):
            want = layoutmatch.title_want(self.profile, tmpl)
            if want.pattern is None or not want.template.strip():
                continue
            mm = want.pattern.fullmatch(squash(t))
            if mm is None:
                continue
            for n, k in enumerate(want.keys):
                if self.profile.field(k) is not None and mm.group(f"g{n}"):
                    # used only where the table itself does not give the field
                    self.fallback.append((k, mm.group(f"g{n}")))
            if tmpl != "{$副标题}":
                self.title_text = t
            return True
        return False

    def _above(self, text: str, where: str) -> bool:
        """A line the profile prints above the table (`填报日期：{填报日期}`): its fields."""
        for tmpl in self.profile.page.above:
            if "{" not in tmpl:
                continue
            got = layoutmatch.read_template(self.profile, tmpl, text)
            if got is not None:
                for k, v in got:
                    if v:
                        self.assign(k, v, where)
                return True
        return False

    def _paragraph(self, ln: Line) -> None:
        t = clean(ln.text)
        if self._titled(t) or self._above(t, "正文段落"):
            return
        if _YEAR.search(t) and len(squash(t)) <= 12:
            self._year(t)
            return
        if self._is_title(t):
            self.title_text = t
            self._year(t)
            return
        m = re.match(r"^([^:：]{1,20})[:：]\s*(.*)$", t)
        if m:
            key = self.idx.pick(m.group(1), [], set(self.values))
            if key is not None:
                self.assign(key, m.group(2), "正文段落")
                return
            if m.group(1).strip() in ("填报单位", "单位", "金额单位", "单位名称") or "盖章" in m.group(1):
                self.unknown.append((norm_key(m.group(1)), m.group(2).strip()))
                return
        self.out.unmapped("正文段落", t)

    title_text: str = ""

    def fields(self) -> list[ast.Field]:
        out: list[ast.Field] = []
        order = {f.key: i for i, f in enumerate(self.profile.fields)}
        for key in sorted(self.order, key=lambda k: order.get(k, 10**6)):
            spec = self.profile.field(key)
            text = self.values[key]
            path = ast.Path(tuple(ast.Segment(s) for s in key.split(".")))
            if spec is not None and spec.type == "list":
                items = _list_items(text, spec.item_format) if text else []
                if spec.item_format == "{text}" and len(items) == 1:
                    items = [x.strip() for x in re.split(r"[、;；]", items[0]) if x.strip()]
                out.append(ast.Field(path, None, tuple(ast.Item(_item_safe(i)) for i in items)))
            else:
                t = clean(text)
                out.append(ast.Field(path, ast.Text(t) if t else None))
        seen = set(self.values)
        for key, text in self.unknown:
            if key in seen or not key:
                continue
            seen.add(key)
            t = clean(text)
            out.append(ast.Field(ast.Path((ast.Segment(key),)), ast.Text(t) if t else None))
        return out


def norm_key(text: str) -> str:
    return detect.norm_label(text).replace(".", "．")


def _item_safe(text: str) -> str:
    return re.sub(r"[ \t\u3000]#", " ＃", text.replace("\n", " "))


# ----------------------------------------------------------------------------------------
# Indicators
# ----------------------------------------------------------------------------------------


@attrs.define
class Row:
    l1: str
    l2: str
    name: str
    target: ast.Target
    attrs: list[ast.Attr]
    decl: str = ""
    left: dict[str, str] = attrs.Factory(dict)


def _attr_safe(key: str, value: str) -> ast.Attr:
    v = clean(value).replace("\n", " ").replace("]", "］").replace("［", "［")
    k = squash(key).replace("]", "］").replace(":", "：")
    return ast.Attr(k, v)


def _hier_like(text: str) -> bool:
    t = squash(text)
    return 0 < len(t) <= 12 and not re.search(r"[:：。，,;；]", t)


def indicator_rows(sec: Section, out: Out) -> list[Row]:
    h = sec.header
    c1, c2, cn = h.col("level1"), h.col("level2"), h.col("name")
    cop, cv, cu = h.col("op"), h.col("value"), h.col("unit")
    rows: list[Row] = []
    l1 = l2 = decl = ""
    used_cols = set(h.roles) | set(h.extras) | set(h.left)
    for ln in sec.rows:
        cells = ln.cells

        def cell(c: int | None, cells: list[GCell] = cells) -> str:
            return cells[c].text if c is not None and c < len(cells) else ""

        if not any(g.text for g in cells):
            continue
        if all(out.is_boiler(g.text) for g in cells if g.text.strip()):
            continue  # a note of the form printed under the indicators (XLSX)
        new1, new2 = squash(cell(c1)), squash(cell(c2))
        name = join_lines(cell(cn)) if cn is not None else ""
        value = cell(cv)
        if not name:
            # a row naming only 一级/二级 (some forms give them their own row) updates the
            # context; anything else in a row without a 三级 name is reported
            own = [(c, g) for c, g in ln.new_cells() if g.text.strip()]
            if own and all(c in (c1, c2) and _hier_like(g.text) for c, g in own):
                if new1:
                    l1, l2 = new1, (new2 or "")
                elif new2:
                    l2 = new2
            elif value.strip() or cell(cop).strip():
                out.unmapped(ln.pos(cv if cv is not None else 0), f"{value}（本行没有三级指标名称）")
            else:
                _unmapped_line(ln, out)
            continue
        if h.decl_col is not None:
            decl = join_lines(cell(h.decl_col)) or decl
        if new1:
            if new1 != l1:
                l2 = ""
            l1 = new1
        if new2:
            l2 = new2
        if not l1 or not l2:
            out.unmapped(ln.pos(cn or 0), f"{name} {value}（缺少一级或二级指标）")
            continue
        parsed = parse_value(value, cell(cop) if cop is not None else None, cell(cu) if cu is not None else None)
        for note in parsed.notes:
            out.note(ln.pos(cv if cv is not None else 0), f"{name}：{note}")
        attrs_: list[ast.Attr] = []
        if parsed.op_attr and cop is not None:
            attrs_.append(_attr_safe(h.names.get(cop) or "指标值类型", parsed.op_attr))
        if parsed.unit_attr:
            key = "度量单位" if isinstance(parsed.target, ast.Qualitative) else "原度量单位"
            attrs_.append(_attr_safe(key, parsed.unit_attr))
        for c, key in sorted(h.extras.items()):
            t = cell(c)
            if t.strip():
                attrs_.append(_attr_safe(key, t))
        for c, g in enumerate(cells):
            if c not in used_cols and g.origin == (ln.r, c) and g.text.strip():
                out.unmapped(ln.pos(c), g.text, "此列没有表头，未导入")
        left = {lab: clean(cell(c)) for c, lab in h.left.items() if c != h.decl_col}
        rows.append(Row(l1, l2, name, parsed.target, attrs_, decl, left))
    return rows


def group_indicators(rows: list[Row]) -> list[ast.Stmt]:
    from perfdsl.importer.fromjson import group_runs

    return group_runs([(r.l1, r.l2, ast.Indicator(ast.Path((ast.Segment(r.name),)), r.target, tuple(r.attrs)))
                       for r in rows])


# ----------------------------------------------------------------------------------------
# Declarations
# ----------------------------------------------------------------------------------------


def _zone_texts(zone: list[Line]) -> list[str]:
    out = []
    for ln in zone:
        if ln.table is None:
            out.append(ln.text)
            m = re.match(r"^([^:：]{1,20})[:：]", clean(ln.text))
            if m:
                out.append(m.group(1))
        else:
            out += [g.text for _c, g in ln.new_cells() if g.text]
    return out


def _fit(profile: Profile, paths: list[tuple[str, str]]) -> int:
    """How many indicators' 一级/二级 the profile's hierarchy has."""
    n = 0
    for l1, l2 in paths:
        lv1 = profile.resolve_level1(l1)
        if lv1 is not None and profile.resolve_level2(lv1, l2) is not None:
            n += 1
    return n


def _layout_match(zone: list[Line], forced: str | ProfileHint | None, known: tuple[Profile, ...],
                  guessed: Profile, paths: list[tuple[str, str]] = (),  # type: ignore[assignment]
                  cache: dict[tuple[object, ...], layoutmatch.Match | None] | None = None) -> layoutmatch.Match | None:
    """The layout the header matches best among the profiles it may use (--profile: only
    that one; a perfdsl-built file: those it names; else every profile known here whose
    indicator hierarchy fits the indicators as well as any: a form of the 2021 system is
    not read with a 2015 profile because their headers look alike)."""
    if forced is not None and not isinstance(forced, str):
        pool: tuple[Profile, ...] = forced.profiles
    elif forced:
        pool = (guessed,)
    else:
        # the guessed profile first: it wins ties with profiles that inherit its layout
        pool = (guessed, *(p for p in known if p.id != guessed.id))
        if paths:
            fits = {p.id: _fit(p, paths) for p in pool}
            top = max(fits.values())
            pool = tuple(p for p in pool if fits[p.id] == top)
    mt = layoutmatch.best(pool, zone, cache)
    return mt if layoutmatch.good(mt) else None


def _declaration(zone: list[Line], rows: list[Row], forced: str | ProfileHint | None, out: Out,
                 extra_fields: list[tuple[str, str]] = (), title: str = "",  # type: ignore[assignment]
                 known: tuple[Profile, ...] = ()) -> ast.Declaration:
    texts = _zone_texts(zone) + [k for k, _ in extra_fields]
    kind = detect.choose_kind(texts, [r.l1 for r in rows])
    profile = detect.choose_profile(kind, texts, [(r.l1, r.l2) for r in rows], forced)
    mt = _layout_match(zone, forced, known, profile, [(r.l1, r.l2) for r in rows], out.matches)
    if mt is not None:
        profile = mt.profile
    if profile.kind != kind:
        kind = profile.kind
    hdr = _Header(profile, out)
    hdr.read(zone, mt)
    for label, text in extra_fields:
        key = hdr.idx.pick(label, [], set(hdr.values))
        if key is not None:
            hdr.assign(key, text, "")
        elif text:
            hdr.unknown.append((norm_key(label), text))
    fields = hdr.fields()
    tf = profile.title_field
    if not title:
        title = clean(hdr.values.get(tf, "")) if tf else ""
    if not title and hdr.title_text and kind == "department":
        title = re.sub(r"(部门)?(\(单位\))?整体.*$", "", squash(hdr.title_text))
    body: list[ast.Stmt] = [ast.Field(ast.Path((ast.Segment("模板"),)), ast.Text(profile.id))]
    body += fields
    body += group_indicators(rows)
    return ast.Declaration(kind, title or None, tuple(body))


def force_profile(doc: ast.Document, profile: str) -> ast.Document:
    """Replace each declaration's 模板 field (for --profile on an exact import)."""
    decls = []
    for d in doc.declarations:
        body = tuple(ast.Field(st.key, ast.Text(profile)) if isinstance(st, ast.Field) and st.key.parts == ("模板",)
                     else st for st in d.body)
        decls.append(d._replace(body=body))
    return doc._replace(declarations=tuple(decls))


def _flat_zone(sec: Section, forced: str | ProfileHint | None, known: tuple[Profile, ...]) -> list[Line]:
    """A flat export's header: the lines above its heading, and — when a layout prints its
    heading row and a department row under it (Sichuan's export) — those two rows too,
    which are then not indicator rows."""
    cn = sec.header.col("name")
    pre: list[Line] = []
    for ln in sec.rows:
        if cn is not None and cn < len(ln.cells) and ln.cells[cn].text.strip():
            break
        pre.append(ln)
    ext = [*sec.zone, sec.head_line, *pre]
    if forced is not None and not isinstance(forced, str):
        pool: tuple[Profile, ...] = forced.profiles
    elif forced:
        return sec.zone
    else:
        pool = known
    mt = layoutmatch.best(pool, ext)
    if not layoutmatch.good(mt) or not any((id(sec.head_line.table), sec.head_line.r, c) in mt.consumed  # type: ignore[union-attr]
                                            for c in range(len(sec.head_line.cells))):
        return sec.zone
    sec.rows = sec.rows[len(pre):]
    return ext


def _header_only(headerless: list[tuple[str, list[Line]]], forced: str | ProfileHint | None,
                 known: tuple[Profile, ...], out: Out) -> list[ast.Declaration]:
    """No indicator table anywhere: a sheet (or document) whose header matches a known
    layout well is a declaration with no indicators yet (a form filled in header first).
    The lines of the others are reported as not mapped."""
    decls: list[ast.Declaration] = []
    for _label, lines in headerless:
        if forced is not None and not isinstance(forced, str):
            pool: tuple[Profile, ...] = forced.profiles
        elif forced:
            pool = (detect.choose_profile("project", [], [], forced),)
        else:
            pool = known
        mt = layoutmatch.best(pool, lines, out.matches)
        if mt is not None and layoutmatch.good(mt):
            decls.append(_declaration(lines, [], ProfileHint((mt.profile,), forced=True), out, known=known))
        else:
            for ln in lines:
                _unmapped_line(ln, out)
    return decls


def known_profiles(profile_dirs: tuple[str, ...]) -> tuple[Profile, ...]:
    """Every profile this import may match: built in, --profile-dir, profiles/ beside the
    output, $PERFDSL_PROFILE_PATH (perfdsl.profilesearch decides the folders)."""
    from perfdsl.profiles import ProfileError, find_profile, profile_ids

    out: list[Profile] = []
    for pid in profile_ids(profile_dirs):
        try:
            p = find_profile(pid, profile_dirs)
        except ProfileError:
            continue
        if p is not None and not any(d.severity == "error" for d in p.problems):
            out.append(p)
    return tuple(out)


def _boilerplate(profiles: tuple[Profile, ...]) -> set[str]:
    out: set[str] = set()
    for p in profiles:
        for t in (*p.page.notes, *p.page.above):
            if "{" not in t and squash(t):
                out.add(squash(t))
    return out


def document_from_book(book: Book, name: str, forced: str | ProfileHint | None,
                       profile_dirs: tuple[str, ...] = ()) -> tuple[ast.Document, list[str], list[str]]:
    known = known_profiles(profile_dirs)
    out = Out(boiler=_boilerplate(known))
    for n in book.notes:
        where, _, text = n.partition("：")
        out.note(where, text)
    decls: list[ast.Declaration] = []
    flat_sets: list[tuple[str, list[Section]]] = []
    kv_zone: list[Line] = []  # key/value sheets of a system export (项目 | 内容)
    records: dict[str, list[tuple[str, str]]] = {}  # record sheets: one declaration per row
    loose: list[tuple[str, list[Line]]] = []
    for label, lines in streams(book):
        if book.kind == "xlsx" and not any(_header_of(ln) for ln in lines):
            shape, found = exports.classify(lines)
            if shape == "kv":
                kv_zone += found  # type: ignore[arg-type]
                continue
            if shape == "records":
                for nm, pairs, _where in found.rows:  # type: ignore[attr-defined]
                    records.setdefault(nm, []).extend(pairs)
                continue
        loose.append((label, lines))
    headerless: list[tuple[str, list[Line]]] = []
    for label, lines in loose:
        if not any(_header_of(ln) for ln in lines):
            headerless.append((label, lines))  # read below: a header-only form, or not mapped
            continue
        secs = sections(lines, out)
        if secs and all(s.header.flat for s in secs):
            flat_sets.append((label, secs))
            continue
        for sec in secs:
            if sec.header.flat:
                flat_sets.append((label, [sec]))
                continue
            rows = indicator_rows(sec, out)
            zone = sec.zone
            if kv_zone and not any(ln.table is not None for ln in zone):
                zone, kv_zone = kv_zone + zone, []  # the department's header is on its own sheet
            decls.append(_declaration(zone, rows, forced, out, known=known))
    if kv_zone and (decls or flat_sets):  # a header with no indicator table of its own
        decls.append(_declaration(kv_zone, [], forced, out, known=known))
    elif kv_zone:
        for ln in kv_zone:  # no indicator table anywhere: not a declaration (reported below)
            _unmapped_line(ln, out)
    titles = {d.title for d in decls if d.title}
    for label, secs in flat_sets:
        for sec in secs:
            zone = _flat_zone(sec, forced, known)
            rows = indicator_rows(sec, out)
            by_decl: dict[str, list[Row]] = {}
            for r in rows:
                by_decl.setdefault(r.decl, []).append(r)
            titles |= {d.title for d in decls if d.title}  # a flat sheet before this one counts too
            if decls and set(by_decl) <= titles | {""}:
                out.warnings.append(f"{label}：{DUPLICATE_FLAT}")
                continue
            for dname, drows in by_decl.items():
                extra: list[tuple[str, str]] = []
                for k, v in records.pop(dname, []):  # the record sheet's row of this project first
                    if k not in {e[0] for e in extra}:
                        extra.append((k, v))
                for r in drows:
                    for k, v in r.left.items():
                        if v and k not in {e[0] for e in extra}:
                            extra.append((k, v))
                decls.append(_declaration(zone, drows, forced, out, extra, title=dname, known=known))
    for dname, pairs in records.items():  # records with no indicator rows: declarations all the same
        decls.append(_declaration([], [], forced, out, pairs, title=dname, known=known))
    if not decls and not flat_sets:
        decls = _header_only(headerless, forced, known, out)
    else:
        for _label, lines in headerless:
            for ln in lines:
                _unmapped_line(ln, out)
    if not decls:
        raise ImportFailure(
            f"{name} 中没有找到绩效指标表：找的是含有“一级指标”“二级指标”和“三级指标”（或“指标值”）"
            "的表头行。请确认这是预算绩效目标申报表。")
    return ast.Document(name, tuple(decls)), out.warnings, out.comments


def render_text(doc: ast.Document, comments: list[str], name: str) -> str:
    from perfdsl.printer import format_document

    head = [f"# 由 perfdsl import 从 {name} 按表格版式导入。"]
    if comments:
        head.append("# 以下内容没有导入（未能对应到申报表的栏目，或在原文件中是隐藏的），或导入时有改动，请人工核对：")
        # one comment line each, whatever the cell held: a line break in a cell must not end the comment
        head += [f"#   {_LINE_BREAKS.sub(' / ', c)}" for c in comments]
    return "\n".join(head) + "\n\n" + format_document(doc)
