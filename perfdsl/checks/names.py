"""Rules on indicator names and on template placeholders left in any text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration

NAME_LIMIT = 100
_PLACEHOLDER = re.compile(r"\*\*+|[XＸ]{2,}|[xｘ]{2,}|×{2,}|＊{2,}|…{2,}|□+")


_FILLER = re.compile(r"[\s\-_*－＿＊]+")


def check_names(decl: Declaration) -> Iterator[Diagnostic]:
    # name -> line, per (一级, 二级): no key tuple per indicator (a million of them, issue #16)
    seen: dict[tuple[str, str], dict[str, int]] = {}
    for ind in decl.indicators:
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
    m = _PLACEHOLDER.search(text)
    return m.group(0) if m else None


def check_placeholders(decl: Declaration) -> Iterator[Diagnostic]:
    search = _PLACEHOLDER.search
    for ind in decl.indicators:
        qual, columns = ind.target.text, ind.columns
        # One search over the texts joined (no placeholder spans a line break); the first text
        # that has one is reported, as before.
        if not search(f"{ind.name}\n{qual or ''}\n{chr(10).join(v for _k, v in columns)}" if qual or columns
                      else ind.name):
            continue
        for text in (ind.name, qual, *(v for _k, v in columns)):
            ph = _placeholder(text)
            if ph:
                yield diag("PD-N004", ind.span, path=ind.path, text=_short(text or ""), placeholder=ph)
                break
    for f in decl.fields:
        for text in (f.text, *f.items):
            ph = _placeholder(text)
            if ph:
                yield diag("PD-N004", f.span, path=tuple(f.key.split(".")), path_kind="field", text=_short(text or ""), placeholder=ph)
                break


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
