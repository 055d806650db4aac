"""Span, the AST nodes and SourceFile are cheap records that still behave as values.

They used to be frozen attrs classes; the hand-written tuple records (perfdsl.record)
must keep what callers relied on: immutability, equality and hashing by value (never
equal to a plain tuple or to another record type), pickling, repr and `_replace`.
"""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest

from perfdsl import ast, record
from perfdsl.parser import parse_text
from perfdsl.source import NO_SPAN, SourceFile, Span

TEXT = """项目 测试 {
    模板: gansu-project-2025
    产出.数量.人数 >= 2,600 人 [备注: 按月]
    效益.社会效益.保障 定性 有效保障
    产出.成本.标准 区间 500-1940 元
}
"""


def _nodes(node: object) -> list[record.Record]:
    out: list[record.Record] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, record.Record):
            out.append(n)
        if isinstance(n, tuple):
            stack.extend(n)
    return out


@pytest.fixture(scope="module")
def doc() -> ast.Document:
    d, diags = parse_text(TEXT, "t.perf")
    assert not diags
    return d


def test_every_record_type_is_built_by_the_parser(doc: ast.Document) -> None:
    kinds = {type(n).__name__ for n in _nodes(doc)}
    assert {"Document", "Declaration", "Field", "Indicator", "Path", "Segment", "Quantity", "Text",
            "Comparison", "Range", "Qualitative", "Attr", "Span"} <= kinds


def test_records_are_immutable(doc: ast.Document) -> None:
    for n in _nodes(doc):
        name = n._fields[0]
        with pytest.raises(AttributeError):
            setattr(n, name, None)
        with pytest.raises(AttributeError):
            n.extra = 1  # type: ignore[attr-defined]  # no __dict__
    with pytest.raises(TypeError):
        doc.declarations[0].span[1] = 5  # type: ignore[index]


def test_equality_and_hashing_are_by_value_and_by_type() -> None:
    a, b = Span("p", 1, 2, 1, 5), Span("p", 1, 2, 1, 5)
    assert a == b and hash(a) == hash(b) and not (a != b)
    assert a != Span("p", 1, 2, 1, 6)
    assert a != ("p", 1, 2, 1, 5) and not (a == ("p", 1, 2, 1, 5))
    assert ast.Item("x", a) != ast.Attr("x", "", a)
    assert ast.Comment(1, 2, "#") != (1, 2, "#")
    assert len({a, b, Span("p", 1, 2, 1, 6)}) == 2
    q1 = ast.Quantity("1.0", Decimal("1.0"), "元")
    assert q1 == ast.Quantity("1.0", Decimal("1.0"), "元")
    assert q1 != ast.Quantity("1", Decimal("1"), "元")
    with pytest.raises(TypeError):
        _ = a < b  # attrs records had no order; neither do these


def test_parsing_twice_gives_equal_trees(doc: ast.Document) -> None:
    again, _ = parse_text(TEXT, "t.perf")
    assert again == doc and hash(again) == hash(doc)
    other, _ = parse_text(TEXT.replace("人数", "人次"), "t.perf")
    assert other != doc


def test_pickle_and_copy_round_trip(doc: ast.Document) -> None:
    for proto in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(doc, protocol=proto))
        assert back == doc and type(back) is ast.Document
        assert type(back.declarations[0].body[1].target.quantity.span) is Span
    assert copy.deepcopy(doc) == doc and copy.copy(NO_SPAN) == NO_SPAN
    src = SourceFile("a.perf", "x\ny")
    assert pickle.loads(pickle.dumps(src)) == src and src.line_text(2) == "y"


def test_replace_keywords_defaults_and_repr() -> None:
    s = Span(path="p", line=1, col=2, end_line=3, end_col=4)
    assert s._replace(col=9) == Span("p", 1, 9, 3, 4)
    with pytest.raises(TypeError):
        s._replace(nope=1)
    assert repr(s) == "Span(path='p', line=1, col=2, end_line=3, end_col=4)"
    seg = ast.Segment("产出")
    assert seg.span == NO_SPAN and seg.quoted is False
    assert ast.Range(ast.Quantity("1", Decimal(1)), ast.Quantity("2", Decimal(2))).op_text == "区间"
    assert Span.point("p", 2, 3) == Span("p", 2, 3, 2, 4)


def test_attrs_functions_still_work_on_records() -> None:
    """Code elsewhere (backends, importers) may call attrs.evolve/fields/asdict on these classes."""
    import attrs

    from perfdsl.model import Target
    from perfdsl.profiles import Profile

    t = Target("ge", value=Decimal("1"))
    assert attrs.evolve(t, unit="人") == Target("ge", value=Decimal("1"), unit="人")
    assert attrs.asdict(t)["value"] == Decimal("1")
    assert attrs.fields(Target).unit.name == "unit"
    assert [f.name for f in attrs.fields(Profile) if not f.init] == ["_fields_by_key", "_level1_by_name",
                                                                 "_columns_by_name"]
    span = Span("p", 1, 2, 3, 4)
    assert attrs.evolve(span, col=9) == Span("p", 1, 9, 3, 4)
    seg = ast.Segment("产出", span)
    assert attrs.evolve(seg, quoted=True) == ast.Segment("产出", span, True)
