"""Syntax tree of a .perf file: frozen attrs records, each with its span.

The AST says what was written, not what it means: aliases are not resolved, operators
keep the text the author typed (`op_text`) next to their canonical name, numbers keep
their written text. It is produced by the parser and by the importers, and it is what
the formatter prints. It must not know about profiles.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from perfdsl.source import NO_SPAN, Span


@attrs.frozen
class Segment:
    text: str
    span: Span = NO_SPAN
    quoted: bool = False


@attrs.frozen
class Path:
    segments: tuple[Segment, ...]
    span: Span = NO_SPAN

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments)


@attrs.frozen
class Quantity:
    raw: str  # the number as written (full-width digits already folded to ASCII)
    value: Decimal
    unit: str | None = None
    span: Span = NO_SPAN
    unit_span: Span | None = None


@attrs.frozen
class Text:
    text: str
    style: str = "plain"  # plain | quoted | block
    span: Span = NO_SPAN


@attrs.frozen
class Comparison:
    op: str  # eq ge le gt lt
    quantity: Quantity
    op_text: str = ""
    op_span: Span = NO_SPAN


@attrs.frozen
class Range:
    low: Quantity
    high: Quantity
    op_text: str = "区间"
    sep: str = "-"
    op_span: Span = NO_SPAN


@attrs.frozen
class Qualitative:
    value: Text
    op_text: str = "定性"
    op_span: Span = NO_SPAN


Target = Comparison | Range | Qualitative


@attrs.frozen
class Attr:
    key: str
    value: str
    span: Span = NO_SPAN


@attrs.frozen
class Waiver:
    codes: tuple[str, ...]
    reason: str | None
    span: Span = NO_SPAN
    raw: str = ""
    error: str | None = None  # why the waiver line could not be read


@attrs.frozen
class Item:
    text: str
    span: Span = NO_SPAN


@attrs.frozen
class Field:
    key: Path
    value: Text | None = None
    items: tuple[Item, ...] = ()
    span: Span = NO_SPAN
    waivers: tuple[Waiver, ...] = ()


@attrs.frozen
class Indicator:
    path: Path
    target: Target
    attrs: tuple[Attr, ...] = ()
    span: Span = NO_SPAN
    waivers: tuple[Waiver, ...] = ()


@attrs.frozen
class Group:
    path: Path
    body: tuple[Stmt, ...]
    span: Span = NO_SPAN
    waivers: tuple[Waiver, ...] = ()


Stmt = Field | Indicator | Group | Waiver


@attrs.frozen
class Declaration:
    kind: str  # department | project
    title: str | None
    body: tuple[Stmt, ...]
    span: Span = NO_SPAN
    kind_text: str = ""
    title_span: Span | None = None
    waivers: tuple[Waiver, ...] = ()


@attrs.frozen
class Comment:
    line: int
    col: int
    text: str  # including the leading '#'


@attrs.frozen
class Document:
    path: str
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = ()
    stray_waivers: tuple[Waiver, ...] = ()
