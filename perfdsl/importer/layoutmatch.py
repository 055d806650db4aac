"""Match a form's header cells against the layouts perfdsl knows, and read values by position.

The backends draw each profile's `[layout] header` grid (perfdsl.layout_notation cells,
through backends/layout_grid.py). This module reads the SAME cells back: every grid row
is a sequence of label cells (fixed text, `{@键}` labels, `{$金额单位}`) and value cells
(`{键}`, or text with values inside such as `（{年度}年度）`). A document's header rows
(the lines before its indicator heading) are aligned with the grid rows (a small dynamic
programme over rows, and over the cells of each row pair), so that

- a label found where the layout has it confirms the layout (one point each);
- a value cell takes whatever the document has at the matching place, even when the
  text looks like a label or is empty (money blocks under vertical labels, side-by-side
  texts under their headings, three label/value pairs on one row);
- cells are matched by their order in the row, not by column number, so a form with
  other column widths, extra columns or rows padded with empty cells still matches.

A profile without a header grid is read as its default picture: one `label | value` row
per shown field. Title rows (`{$表名}`, `{$副标题}`) are matched against the profile's
title and subtitle templates, which also yields 年度 from `（2025年度）`.

`best(profiles, zone)` returns the match with the most labels confirmed. It must not
build syntax nor read files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import attrs

from perfdsl.importer.detect import FieldIndex, norm_label, strip_paren
from perfdsl.importer.grid import GCell
from perfdsl.importer.values import clean, fold, squash
from perfdsl.layout_notation import PLACEHOLDER
from perfdsl.profiles import Profile

# A cell pair's score: a confirmed label, a value in place, a conflict.
LABEL_HIT = 3
LABEL_MISS = -2
SKIP_FULL = -1  # a non-empty document cell the layout has no place for


@attrs.frozen
class Want:
    """One layout cell as the importer sees it."""

    kind: str  # label | value | title
    names: frozenset[str]  # label: the normalised texts that confirm it
    pattern: re.Pattern[str] | None  # value / title: captures the fields' values
    keys: tuple[str, ...]  # the fields captured, in order
    template: str


@attrs.frozen
class Placed:
    """A value read from the document: field key, text, where (a table position)."""

    key: str
    text: str
    where: str


@attrs.define
class Match:
    profile: Profile
    score: int
    labels: int  # labels confirmed
    wanted: int  # labels in the layout
    values: list[Placed]
    consumed: set[tuple[int, int, int]]  # (id(table), row, col) of every cell read


@functools.lru_cache(maxsize=65536)
def _norms(text: str) -> frozenset[str]:
    n = norm_label(text)
    return frozenset({n, strip_paren(n)} - {""})


def _label_names(profile: Profile, key: str, idx: FieldIndex) -> set[str]:
    spec = profile.field(key)
    names = {key, key.split(".")[-1]}
    if spec is not None:
        names |= {spec.label, *spec.aliases}
    out: set[str] = set()
    for n in names:
        out |= _norms(n)
    return out


def _fixed(profile: Profile, ref: str) -> str:
    if ref == "$金额单位":
        return profile.money_unit
    return ""


def _want(profile: Profile, template: str, role: str, idx: FieldIndex) -> Want:
    refs = [m.group(1).strip() for m in PLACEHOLDER.finditer(template)]
    values = [r for r in refs if not r.startswith(("@", "$"))]
    if any(r in ("$表名", "$副标题") for r in refs) or role in ("title", "subtitle"):
        return title_want(profile, template)
    if not values:
        if len(refs) == 1 and refs[0].startswith("@") and PLACEHOLDER.fullmatch(template.strip()):
            names = _label_names(profile, refs[0][1:], idx)
        else:
            text = PLACEHOLDER.sub(lambda m: _label_text(profile, m.group(1).strip()), template)
            names = _norms(text)
        return Want("label", frozenset(names), None, (), template)
    return Want("value", frozenset(), _pattern(profile, template), tuple(values), template)


def _label_text(profile: Profile, ref: str) -> str:
    if ref.startswith("@"):
        spec = profile.field(ref[1:])
        return spec.label if spec is not None else ref[1:]
    return _fixed(profile, ref)


# what a typed field's value looks like inside a longer text (`{单位名称}{年度}年度…`)
_TYPED = {"year": r"\d{4}", "int": r"\d+", "money": r"-?[\d,]+(?:\.\d+)?"}


def _pattern(profile: Profile, template: str) -> re.Pattern[str]:
    """A regex over the squashed cell text capturing each `{键}`."""
    out = ""
    pos = 0
    n = 0
    refs = list(PLACEHOLDER.finditer(template))
    for m in refs:
        out += re.escape(squash(template[pos:m.start()]))
        ref = m.group(1).strip()
        if ref.startswith(("@", "$")):
            out += re.escape(squash(_label_text(profile, ref)))
        else:
            spec = profile.field(ref)
            typed = _TYPED.get(spec.type) if spec is not None else None
            # a typed value, or nothing: an empty field still prints the text around it
            # (`{近两年.第一年}年` as a label cell prints 年)
            out += f"(?P<g{n}>{typed + '|' if typed else ('.*?' if m is not refs[-1] else '.*')})"
            n += 1
        pos = m.end()
    out += re.escape(squash(template[pos:]))
    return re.compile(out, re.S)


def title_want(profile: Profile, template: str) -> Want:
    """`{$表名}` / `{$副标题}`: the profile's title templates with their fields captured."""
    t = template.replace("{$表名}", profile.title or "").replace("{$副标题}", profile.subtitle or "")
    keys = tuple(m.group(1).strip() for m in PLACEHOLDER.finditer(t) if not m.group(1).strip().startswith(("@", "$")))
    return Want("title", frozenset(), _pattern(profile, t) if t.strip() else None, keys, t)


@attrs.frozen
class Layout:
    rows: tuple[tuple[Want, ...], ...]
    wanted: int


_CACHE: dict[tuple[str, str], Layout] = {}
_PROFILE_OF: dict[int, Profile] = {}  # a cached layout's wanted cells → their profile (kept alive by _CACHE)


def layout_of(profile: Profile) -> Layout:
    """The profile's header as rows of wanted cells (the backends' picture of it)."""
    ck = (profile.id, profile.source)
    got = _CACHE.get(ck)
    if got is not None:
        return got
    idx = FieldIndex(profile)
    rows: list[list[Want]] = []
    lay = profile.layout
    if lay.header is not None:
        by_row: dict[int, list] = {}
        for gc in lay.header:
            by_row.setdefault(gc.row, []).append(gc)
        for r in range(lay.header_rows):
            cells = sorted(by_row.get(r, []), key=lambda g: g.col)
            rows.append([_want(profile, gc.text, gc.role, idx) for gc in cells])
    else:
        for spec in profile.fields:
            if spec.show:
                rows.append([_want(profile, "{@" + spec.key + "}", "label", idx),
                             _want(profile, "{" + spec.key + "}", "value", idx)])
    for r in rows:
        for w in r:
            _PROFILE_OF[id(w)] = profile
    out = Layout(tuple(tuple(r) for r in rows), sum(1 for r in rows for w in r if w.kind == "label" and w.names))
    _CACHE[ck] = out
    return out


# ----------------------------------------------------------------------------------------
# Alignment
# ----------------------------------------------------------------------------------------


def _cell_score(w: Want, text: str, labels: frozenset[str]) -> int:
    if w.kind == "label":
        if not w.names:  # an empty label cell
            return 0 if not squash(text) else -1
        return LABEL_HIT if _norms(text) & w.names else LABEL_MISS
    if w.kind == "title":
        if w.pattern is not None and w.pattern.fullmatch(squash(text)):
            return 1
        return 0 if not squash(text) else -1
    # a value: anything but the label of another cell of this layout; a value inside
    # fixed text (`（{年度}年度）`) must show that text
    whole = len(w.keys) == 1 and PLACEHOLDER.fullmatch(w.template.strip()) is not None
    if not whole and w.pattern is not None and squash(text) and not w.pattern.fullmatch(squash(text)):
        return -1
    if squash(text) and _norms(text) & labels and len(w.keys) == 1 and w.template.strip().startswith("{"):
        return -1
    return 0


def _align(n: int, m: int, take: Callable[[int, int], int | None], drop_a: Callable[[int], int],
           drop_b: Callable[[int], int]) -> tuple[int, list[tuple[int, int]]]:
    """Best monotone alignment of items 0..n-1 with items 0..m-1: (score, [(i, j)] taken).

    `take(i, j)` scores pairing i with j (None: not allowed); `drop_a(i)` / `drop_b(j)` score
    leaving an item of either side unpaired. Used for a layout row against a document row
    (cells) and for the layout's rows against the document's rows."""
    neg = -10**6
    dp = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, bool] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = 0
    for i in range(n + 1):
        for j in range(m + 1):
            cur = dp[i][j]
            if cur == neg:
                continue
            if i < n and j < m:
                t = take(i, j)
                if t is not None and cur + t > dp[i + 1][j + 1]:
                    dp[i + 1][j + 1], back[i + 1][j + 1] = cur + t, (i, j, True)
            if i < n:
                v = cur + drop_a(i)
                if v > dp[i + 1][j]:
                    dp[i + 1][j], back[i + 1][j] = v, (i, j, False)
            if j < m:
                v = cur + drop_b(j)
                if v > dp[i][j + 1]:
                    dp[i][j + 1], back[i][j + 1] = v, (i, j, False)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while back[i][j] is not None:
        pi, pj, took = back[i][j]  # type: ignore[misc]
        if took:
            pairs.append((pi, pj))
        i, j = pi, pj
    pairs.reverse()
    return dp[n][m], pairs


def _align_row(wants: Sequence[Want], cells: Sequence[tuple[int, GCell]],
               labels: frozenset[str]) -> tuple[int, list[tuple[int, int]]]:
    """Best alignment of a layout row's cells with a document row's cells, in order:
    (score, [(want index, cell index)])."""
    return _align(
        len(wants), len(cells),
        lambda i, j: _cell_score(wants[i], cells[j][1].text, labels),
        # a layout cell missing in the document
        lambda i: -2 if wants[i].kind == "label" and wants[i].names else -1,
        # a document cell the layout has no place for (padding when empty)
        lambda j: SKIP_FULL if squash(cells[j][1].text) else 0)


def match(profile: Profile, zone: Sequence[object]) -> Match | None:
    """Align `profile`'s header with the table rows of `zone` (build.Line objects)."""
    lay = layout_of(profile)
    if not lay.rows:
        return None
    labels = frozenset(n for r in lay.rows for w in r if w.kind == "label" for n in w.names)
    doc = [ln for ln in zone if getattr(ln, "table", None) is not None]
    docrows = [ln.new_cells() for ln in doc]  # type: ignore[attr-defined]
    n, m = len(lay.rows), len(docrows)
    if m == 0:
        return None
    memo: dict[tuple[int, int], tuple[int, list[tuple[int, int]]]] = {}

    def pair(i: int, j: int) -> tuple[int, list[tuple[int, int]]]:
        if (i, j) not in memo:
            memo[(i, j)] = _align_row(lay.rows[i], docrows[j], labels)
        return memo[(i, j)]

    def take(i: int, j: int) -> int | None:
        s, pairs = pair(i, j)
        hits = sum(1 for a, b in pairs if lay.rows[i][a].kind == "label" and lay.rows[i][a].names
                   and _cell_score(lay.rows[i][a], docrows[j][b][1].text, labels) > 0)
        return s + 1 if s >= 0 and (hits or len(pairs) == len(lay.rows[i])) else None

    score, rowpairs = _align(
        n, m, take,
        lambda i: -sum(2 for w in lay.rows[i] if w.kind == "label" and w.names),
        lambda j: -sum(1 for _c, g in docrows[j] if squash(g.text)))
    values: list[Placed] = []
    consumed: set[tuple[int, int, int]] = set()
    confirmed = 0
    for li, di in rowpairs:
        ln = doc[di]
        _s, pairs = pair(li, di)
        for a, b in pairs:
            w = lay.rows[li][a]
            c, g = docrows[di][b]
            sc = _cell_score(w, g.text, labels)
            if w.kind == "label":
                if sc > 0:
                    confirmed += 1
                    consumed.add((id(ln.table), ln.r, c))  # type: ignore[attr-defined]
                elif not w.names and not squash(g.text):
                    consumed.add((id(ln.table), ln.r, c))  # type: ignore[attr-defined]
                continue
            if sc < 0:
                continue
            got = _captures(w, g.text)
            if got is None:
                continue
            consumed.add((id(ln.table), ln.r, c))  # type: ignore[attr-defined]
            where = ln.pos(c)  # type: ignore[attr-defined]
            values += [Placed(k, v, where) for k, v in got]
    return Match(profile, score, confirmed, lay.wanted, values, consumed)


def _captures(w: Want, text: str) -> list[tuple[str, str]] | None:
    if not w.keys:
        return []
    tmpl = w.template.strip()
    whole = PLACEHOLDER.fullmatch(tmpl)
    if whole is not None and len(w.keys) == 1:
        return [(w.keys[0], text)]  # the cell's text as written (line breaks kept for lists)
    if not squash(text):
        return [(k, "") for k in w.keys]
    return read_template(_PROFILE_OF.get(id(w)), w.template, text) if id(w) in _PROFILE_OF else None


def best(profiles: Sequence[Profile], zone: Sequence[object],
         cache: dict[tuple[object, ...], Match | None] | None = None) -> Match | None:
    """The profile whose layout the zone matches best: most labels confirmed, then the
    highest alignment score, then a user's own profile before a built-in one, then the
    first given."""
    found: Match | None = None
    zkey = tuple(id(ln) for ln in zone)  # the lines are alive while the cache is (one import)
    for p in profiles:
        if cache is None:
            mt = match(p, zone)
        else:
            key = (p.id, p.source, zkey)
            if key not in cache:
                cache[key] = match(p, zone)
            mt = cache[key]
        if mt is None or mt.labels == 0:
            continue
        if found is None or _rank(mt) > _rank(found):
            found = mt
    return found


def _rank(mt: Match) -> tuple[int, int, bool]:
    # equal layouts: the user's own profile (profiles/, --profile-dir, $PERFDSL_PROFILE_PATH)
    # is the more specific one
    from perfdsl.profiles import BUILTIN_PREFIX

    return mt.labels, mt.score, not mt.profile.source.startswith(BUILTIN_PREFIX)


def good(mt: Match | None) -> bool:
    """Enough of the layout confirmed to trust it over the label heuristics."""
    return mt is not None and mt.labels >= 2 and mt.labels * 10 >= mt.wanted * 6


def _loose(profile: Profile, template: str) -> re.Pattern[str]:
    """Like `_pattern`, over the text with its spaces kept (a value keeps its own spaces:
    `2021 年 1 月 28 日`): any whitespace may stand between the fixed characters."""
    def lit(t: str) -> str:
        return r"\s*".join(re.escape(ch) for ch in squash(t))

    out = r"\s*"
    pos = 0
    n = 0
    refs = list(PLACEHOLDER.finditer(template))
    for m in refs:
        out += lit(template[pos:m.start()]) + r"\s*"
        ref = m.group(1).strip()
        if ref.startswith(("@", "$")):
            out += lit(_label_text(profile, ref)) + r"\s*"
        else:
            spec = profile.field(ref)
            typed = _TYPED.get(spec.type) if spec is not None else None
            # a typed value, or nothing: an empty field still prints the text around it
            # (`{近两年.第一年}年` as a label cell prints 年)
            out += f"(?P<g{n}>{typed + '|' if typed else ('.*?' if m is not refs[-1] else '.*')})" + r"\s*"
            n += 1
        pos = m.end()
    out += lit(template[pos:]) + r"\s*"
    return re.compile(out, re.S)


def read_template(profile: Profile | None, template: str, text: str) -> list[tuple[str, str]] | None:
    """The fields of a text printed from `template` (`（{年度}年度）`, `填报日期：{填报日期}`), or None."""
    if profile is None:
        return None
    keys = [m.group(1).strip() for m in PLACEHOLDER.finditer(template) if not m.group(1).strip().startswith(("@", "$"))]
    mm = _loose(profile, template).fullmatch(fold(clean(text)))
    if mm is None:
        return None
    return [(k, clean(mm.group(f"g{n}"))) for n, k in enumerate(keys)]
