"""Rules on indicator names and on template placeholders left in any text.

Both rules first test the whole declaration at once (a set of the names, one search over
the texts joined) and run their per-indicator pass, which defines them, only on what that
test cannot clear (perfdsl.checks.fastexit).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain, compress
from operator import itemgetter

from perfdsl.checks import fastexit
from perfdsl.checks.parts import COLUMNS, NAME, TARGET, TEXT
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration, Field, Indicator

NAME_LIMIT = 100
_PLACEHOLDER = re.compile(r"\*\*+|[XＸ]{2,}|[xｘ]{2,}|×{2,}|＊{2,}|…{2,}|□+")
# The first character of every `_PLACEHOLDER` match. A text without one of these has no
# placeholder; searching for a single class is ~15× faster than the alternation itself.
_PLACEHOLDER_START = re.compile(r"[*XＸxｘ×＊…□]")

_FILLER = re.compile(r"[\s\-_*－＿＊]+")
# A name that is empty, blank or only filler: `not name.strip() or _FILLER.fullmatch(name)`
# in one C-level match (str.strip and `\s` both strip exactly the str.isspace characters).
_BLANK = re.compile(r"[\s\-_*－＿＊]*")
_FILLER_CHAR = re.compile(r"[\s\-_*－＿＊]")  # a blank name that is not empty holds one of these

_name = itemgetter(NAME)
_target, _text, _columns, _value = itemgetter(TARGET), itemgetter(TEXT), itemgetter(COLUMNS), itemgetter(1)
_field_text, _field_items = Field.text.fget, Field.items.fget


def check_names(decl: Declaration) -> Iterator[Diagnostic]:
    """PD-N002 blank name, PD-N003 overlong name, PD-N001 a name repeated within one 二级."""
    yield from _names_each(_name_suspects(decl.indicators))


def _name_suspects(inds: tuple[Indicator, ...]) -> Iterable[Indicator]:
    """The indicators `_names_each` can report on, in order: all of them when some name is
    blank or too long; otherwise only those whose name is written more than once (PD-N001
    needs an earlier indicator with the same name), which is usually none."""
    if not fastexit.ENABLED:
        return inds
    names = list(map(_name, inds))
    distinct = set(names)
    if "" in distinct or max(map(len, distinct), default=0) > NAME_LIMIT or (
            _FILLER_CHAR.search("".join(distinct)) and any(map(_BLANK.fullmatch, distinct))):
        return inds
    if len(distinct) == len(inds):
        return ()
    repeated = {name for name, count in Counter(names).items() if count > 1}
    return list(compress(inds, map(repeated.__contains__, names)))


def _names_each(inds: Iterable[Indicator]) -> Iterator[Diagnostic]:
    # name -> line, per (一级, 二级): no key tuple per indicator (a million of them, issue #16)
    seen: dict[tuple[str, str], dict[str, int]] = {}
    for ind in inds:
        name = ind.name
        if not name.strip() or _FILLER.fullmatch(name):
            yield diag("PD-N002", ind.name_span, path=ind.path, name=name)
            continue
        if len(name) > NAME_LIMIT:
            yield diag("PD-N003", ind.name_span, path=ind.path, length=len(name), limit=NAME_LIMIT)
        group = seen.get((ind.level1, ind.level2))
        if group is None:
            group = seen[(ind.level1, ind.level2)] = {}
        line = group.get(name)
        if line is not None:
            yield diag("PD-N001", ind.name_span, path=ind.path, name=name, group=f"{ind.level1} › {ind.level2}",
                       help=f"第一次出现在第 {line} 行")
        else:
            group[name] = ind.line


def _placeholder(text: str | None) -> str | None:
    if not text:
        return None
    start = _PLACEHOLDER_START.search(text)
    if start is None:
        return None
    m = _PLACEHOLDER.search(text, start.start())  # no match can begin before its first character
    return m.group(0) if m else None


# Indicators are tested for placeholders in batches: a hit sends only its batch through the
# per-indicator pass, and the joined text of a huge declaration is never built whole.
PLACEHOLDER_BATCH = 256


def check_placeholders(decl: Declaration) -> Iterator[Diagnostic]:
    """PD-N004: the first text of each indicator and header field that holds a template placeholder."""
    inds = decl.indicators
    for start in range(0, len(inds), PLACEHOLDER_BATCH):
        batch = inds[start:start + PLACEHOLDER_BATCH]
        if not fastexit.ENABLED or _may_hold_placeholder(_indicator_texts(batch)):
            yield from _indicator_placeholders(batch)
    if not fastexit.ENABLED or _may_hold_placeholder(_field_texts(decl.fields)):
        yield from _field_placeholders(decl.fields)


def _indicator_placeholders(inds: tuple[Indicator, ...]) -> Iterator[Diagnostic]:
    for ind in inds:
        for text in (ind.name, ind.target.text, *(v for _k, v in ind.columns)):
            ph = _placeholder(text)
            if ph:
                yield diag("PD-N004", ind.span, path=ind.path, text=_short(text or ""), placeholder=ph)
                break


def _field_placeholders(fields: tuple[Field, ...]) -> Iterator[Diagnostic]:
    for f in fields:
        for text in (f.text, *f.items):
            ph = _placeholder(text)
            if ph:
                yield diag("PD-N004", f.span, path=tuple(f.key.split(".")), path_kind="field", text=_short(text or ""), placeholder=ph)
                break


def _indicator_texts(inds: tuple[Indicator, ...]) -> Iterator[str]:
    """Every text `_indicator_placeholders` looks at (names, 定性 texts, column values), read in C."""
    targets = list(map(_target, inds))
    return chain(map(_name, inds), filter(None, map(_text, targets)),
                 map(_value, chain.from_iterable(map(_columns, inds))))


def _field_texts(fields: tuple[Field, ...]) -> Iterator[str]:
    return chain(filter(None, map(_field_text, fields)), chain.from_iterable(map(_field_items, fields)))


def _may_hold_placeholder(texts: Iterable[str]) -> bool:
    """False only when no text holds a character a placeholder starts with."""
    return _PLACEHOLDER_START.search("".join(texts)) is not None


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
