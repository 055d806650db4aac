"""Text that deceives the reader: invisible or bidi control characters, look-alike names.

`check_invisible` (PD-T001) scans the decoded source text itself, so every occurrence is
reported at its exact line and column — in names, values, header fields and comments
alike (a bidi override in a comment can hide code just as well). It runs once per file
from the front end (perfdsl.api.compile_text), in time linear in the text.
`check_confusable_names` (PD-T002) is a declaration rule: two different indicator names
whose NFKC + TR39 skeleton (perfdsl.confusables) are equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter

from perfdsl.checks import fastexit
from perfdsl.checks.parts import NAME
from perfdsl.confusables import fold_name, fold_names
from perfdsl.diagnostics import Diagnostic, Fix, diag
from perfdsl.invisible import PATTERN, describe, visible
from perfdsl.model import Declaration, Indicator
from perfdsl.source import Span


def check_invisible(text: str, path: str, decls: Iterable[Declaration]) -> Iterator[Diagnostic]:
    matches = list(PATTERN.finditer(text))
    if not matches:
        return
    owners = _line_owners(decls)
    line, line_start, pos = 1, 0, 0
    for m in matches:
        nl = text.count("\n", pos, m.start())
        if nl:
            line += nl
            line_start = text.rfind("\n", 0, m.start()) + 1
        pos = m.start()
        col = m.start() - line_start + 1
        line_end = text.find("\n", m.start())
        shown = visible(text[line_start: line_end if line_end >= 0 else len(text)].strip())
        owner_path, kind = owners.get(line, ((), "indicator"))
        span = Span.point(path, line, col)
        yield diag("PD-T001", span, path=owner_path, path_kind=kind,
                   char=describe(m.group(0)), text=_short(shown, m.start() - line_start),
                   fix=Fix(span, "", f"删除 {describe(m.group(0))}"))


def _line_owners(decls: Iterable[Declaration]) -> dict[int, tuple[tuple[str, ...], str]]:
    owners: dict[int, tuple[tuple[str, ...], str]] = {}
    for d in decls:
        for f in d.fields:
            for ln in range(f.span.line, f.span.end_line + 1):
                owners.setdefault(ln, (tuple(f.key.split(".")), "field"))
        for ind in d.indicators:
            owners[ind.span.line] = (ind.path, "indicator")
    return owners


def _short(text: str, around: int, limit: int = 40) -> str:
    if len(text) <= limit:
        return text
    start = max(0, min(around - limit // 2, len(text) - limit))
    return ("…" if start else "") + text[start:start + limit] + ("…" if start + limit < len(text) else "")


_name = itemgetter(NAME)


def check_confusable_names(decl: Declaration) -> Iterator[Diagnostic]:
    if not fastexit.ENABLED or not _skeletons_distinct(decl.indicators):
        yield from _confusable_exact(decl)


def _skeletons_distinct(inds: tuple[Indicator, ...]) -> bool:
    """True when no two different names share a skeleton's hash (a shared hash is only a
    maybe: the exact pass decides): the distinct names give as many distinct hashes as there
    are names. Hashes, not skeletons, are kept (a new string per name: a million indicators,
    issue #16); the sets are built in C."""
    distinct = list(set(map(_name, inds)))
    return len(set(map(hash, fold_names(distinct)))) == len(distinct)


def _confusable_exact(decl: Declaration) -> Iterator[Diagnostic]:
    first: dict[str, Indicator] = {}
    for ind in decl.indicators:
        key = fold_name(ind.name)
        seen = first.get(key)
        if seen is None:
            first[key] = ind
        elif seen.name != ind.name:
            where = seen.name_span
            yield diag("PD-T002", ind.name_span, path=ind.path, name=visible(ind.name), other=visible(seen.name),
                       line=where.line, related=((where, f"“{visible(seen.name)}”在这里"),),
                       help="两个名称在屏幕上几乎无法区分，但程序把它们当作不同的指标："
                            f"“{_codes(ind.name, seen.name)}”")


def _codes(a: str, b: str) -> str:
    """Where two look-alike names differ, by code point: `Р U+0420 ↔ P U+0050`."""
    for x, y in zip(a, b, strict=False):
        if x != y:
            return f"{visible(x)} U+{ord(x):04X} ↔ {visible(y)} U+{ord(y):04X}"
    longer = a if len(a) > len(b) else b
    extra = longer[min(len(a), len(b))]
    return f"多出 {describe(extra)}"
