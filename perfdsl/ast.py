"""Syntax tree of a .perf file: immutable records, each with its span.

The AST says what was written, not what it means: aliases are not resolved, operators
keep the text the author typed (`op_text`) next to their canonical name, numbers keep
their written text. It is produced by the parser (and its grammar-derived fast path) and
by the importers, and it is what the formatter prints. It must not know about profiles.

The nodes are `perfdsl.record.Record`s (hand-written tuple subclasses): about 700k are
built for a 500-set corpus, and a frozen attrs class cost 2–6× as much to build and
~0.5 ms each to generate at import. Use `node._replace(...)` where attrs had `evolve`.
"""

from __future__ import annotations

from decimal import Decimal

from perfdsl.record import Record, fields
from perfdsl.source import NO_SPAN, Span

_new = tuple.__new__


class Segment(Record):
    __slots__ = ()
    _fields = ("text", "span", "quoted")
    text, span, quoted = fields(*_fields)

    def __new__(cls, text: str, span: Span = NO_SPAN, quoted: bool = False) -> Segment:
        return _new(cls, (text, span, quoted))


class Path(Record):
    __slots__ = ()
    _fields = ("segments", "span")
    segments, span = fields(*_fields)

    def __new__(cls, segments: tuple[Segment, ...], span: Span = NO_SPAN) -> Path:
        return _new(cls, (segments, span))

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments)


class Quantity(Record):
    """`raw` is the number as written (full-width digits already folded to ASCII)."""

    __slots__ = ()
    _fields = ("raw", "value", "unit", "span", "unit_span")
    raw, value, unit, span, unit_span = fields(*_fields)

    def __new__(cls, raw: str, value: Decimal, unit: str | None = None, span: Span = NO_SPAN,
                unit_span: Span | None = None) -> Quantity:
        return _new(cls, (raw, value, unit, span, unit_span))


class Text(Record):
    """`style` is plain | quoted | block."""

    __slots__ = ()
    _fields = ("text", "style", "span")
    text, style, span = fields(*_fields)

    def __new__(cls, text: str, style: str = "plain", span: Span = NO_SPAN) -> Text:
        return _new(cls, (text, style, span))


class Comparison(Record):
    """`op` is eq ge le gt lt."""

    __slots__ = ()
    _fields = ("op", "quantity", "op_text", "op_span")
    op, quantity, op_text, op_span = fields(*_fields)

    def __new__(cls, op: str, quantity: Quantity, op_text: str = "", op_span: Span = NO_SPAN) -> Comparison:
        return _new(cls, (op, quantity, op_text, op_span))


class Range(Record):
    __slots__ = ()
    _fields = ("low", "high", "op_text", "sep", "op_span")
    low, high, op_text, sep, op_span = fields(*_fields)

    def __new__(cls, low: Quantity, high: Quantity, op_text: str = "区间", sep: str = "-",
                op_span: Span = NO_SPAN) -> Range:
        return _new(cls, (low, high, op_text, sep, op_span))


class Qualitative(Record):
    __slots__ = ()
    _fields = ("value", "op_text", "op_span")
    value, op_text, op_span = fields(*_fields)

    def __new__(cls, value: Text, op_text: str = "定性", op_span: Span = NO_SPAN) -> Qualitative:
        return _new(cls, (value, op_text, op_span))


Target = Comparison | Range | Qualitative


class Attr(Record):
    __slots__ = ()
    _fields = ("key", "value", "span")
    key, value, span = fields(*_fields)

    def __new__(cls, key: str, value: str, span: Span = NO_SPAN) -> Attr:
        return _new(cls, (key, value, span))


class Waiver(Record):
    """`error` says why the waiver line could not be read."""

    __slots__ = ()
    _fields = ("codes", "reason", "span", "raw", "error")
    codes, reason, span, raw, error = fields(*_fields)

    def __new__(cls, codes: tuple[str, ...], reason: str | None, span: Span = NO_SPAN, raw: str = "",
                error: str | None = None) -> Waiver:
        return _new(cls, (codes, reason, span, raw, error))


class Item(Record):
    __slots__ = ()
    _fields = ("text", "span")
    text, span = fields(*_fields)

    def __new__(cls, text: str, span: Span = NO_SPAN) -> Item:
        return _new(cls, (text, span))


class Field(Record):
    __slots__ = ()
    _fields = ("key", "value", "items", "span", "waivers")
    key, value, items, span, waivers = fields(*_fields)

    def __new__(cls, key: Path, value: Text | None = None, items: tuple[Item, ...] = (), span: Span = NO_SPAN,
                waivers: tuple[Waiver, ...] = ()) -> Field:
        return _new(cls, (key, value, items, span, waivers))


class Indicator(Record):
    __slots__ = ()
    _fields = ("path", "target", "attrs", "span", "waivers")
    path, target, attrs, span, waivers = fields(*_fields)

    def __new__(cls, path: Path, target: Target, attrs: tuple[Attr, ...] = (), span: Span = NO_SPAN,
                waivers: tuple[Waiver, ...] = ()) -> Indicator:
        return _new(cls, (path, target, attrs, span, waivers))


class Group(Record):
    __slots__ = ()
    _fields = ("path", "body", "span", "waivers")
    path, body, span, waivers = fields(*_fields)

    def __new__(cls, path: Path, body: tuple[Stmt, ...], span: Span = NO_SPAN,
                waivers: tuple[Waiver, ...] = ()) -> Group:
        return _new(cls, (path, body, span, waivers))


Stmt = Field | Indicator | Group | Waiver


class Declaration(Record):
    """`kind` is department | project."""

    __slots__ = ()
    _fields = ("kind", "title", "body", "span", "kind_text", "title_span", "waivers")
    kind, title, body, span, kind_text, title_span, waivers = fields(*_fields)

    def __new__(cls, kind: str, title: str | None, body: tuple[Stmt, ...], span: Span = NO_SPAN,
                kind_text: str = "", title_span: Span | None = None,
                waivers: tuple[Waiver, ...] = ()) -> Declaration:
        return _new(cls, (kind, title, body, span, kind_text, title_span, waivers))


class Comment(Record):
    """`text` includes the leading '#'."""

    __slots__ = ()
    _fields = ("line", "col", "text")
    line, col, text = fields(*_fields)

    def __new__(cls, line: int, col: int, text: str) -> Comment:
        return _new(cls, (line, col, text))


class Document(Record):
    __slots__ = ()
    _fields = ("path", "declarations", "comments", "stray_waivers")
    path, declarations, comments, stray_waivers = fields(*_fields)

    def __new__(cls, path: str, declarations: tuple[Declaration, ...], comments: tuple[Comment, ...] = (),
                stray_waivers: tuple[Waiver, ...] = ()) -> Document:
        return _new(cls, (path, declarations, comments, stray_waivers))
