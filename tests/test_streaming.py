"""Streaming compile: the parser hands each top-level statement to the resolver as soon as it
is parsed (issue #16), and the result is exactly that of parsing the whole file first.

Differential, like tests/test_fastpath.py: every input is compiled twice, with
`compile_text(stream=True)` (the default) and `stream=False`, and the declarations (with
every span), the waivers and the diagnostics (in order) must be identical. Inputs: every
.perf file under tests/ and examples/, a sample of the benchmark corpus, hypothesis-generated
declarations and mutated seeds (statements in groups, waivers above statements and at the
end of a body, colon names that are dropped, a 模板 line after the indicators, broken
declarations that go to Lark).
"""

from __future__ import annotations

import importlib.util
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from perfdsl import fastpath, lineshapes, record, stream
from perfdsl.api import compile_text
from perfdsl.model import Indicator, Target
from perfdsl.source import NO_SPAN, Span, decode_source

from strategies import char_mutations, documents

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TRICKY = """#[allow(PD-R003, 理由 = "整份")]
项目 模板在后 {
  产出 {
    数量.模板之前的分组 >= 1 人
  }
  模板: mof2015
}
项目 流式 {
  模板: mof2021
  产出.数量.先写的指标 >= 1 人
  #[allow(PD-N001, 理由 = "分组")]
  产出 {
    #[allow(PD-R003, 理由 = "组内第一条")]
    数量 {
      空组 {
      }
      指标2:组内冒号 = 3 个
      #[allow(PD-U004, 理由 = "组末尾")]
    }
    #[allow(PD-V003, 理由 = "太深的组")]
    数量 {
      甲 {
        乙 {
          丙 >= 1 个
          #[allow(PD-V001, 理由 = "太深的组里")]
          丁 >= 2 个
        }
      }
    }
  }
  #[allow(PD-M001, 理由 = "上一行")]
  产出.数量.指标1:安置小区物业费 = 8 个
  产出 {
    数量 {
      #[allow(PD-V002, 理由 = "组内")]
      组内指标 >= 2 人
      深 {
        更深 {
          太深 = 1 个
        }
      }
    }
    质量.合格率 >= 95 %
  }
  模板: mof2015
  项目名称: 流式
  未知字段: x
  效益.社会效益.效果 定性 提高
  #[allow(PD-R007, 理由 = "末尾")]
}
  项目 缩进的第二个 {
    产出.数量.人数 >= 3 人
  }
部门整体 已知字段 {
  模板: gansu-dept
  预算情况 {
    基本支出.公用经费: 25
    基本支出.人员经费: 工资 >= 5 元
  }
  预算情况.其他资金: 工资 >= 5 元
  年度: 2026
  年度: 2027
}
部门整体 单位 {
  模板: 不存在的模板
  产出.数量.人数 >= 3 人
}
项目 坏的 {
  产出.数量.人数 >= >= 3 人
  产出.数量.户数 >= 3 户
}
"""


@contextmanager
def _groups_streamed(groups: bool = True, fused: bool = True) -> Iterator[None]:
    """Hand over groups' bodies statement by statement whatever the file's size (or never),
    with the line shapes on (a process turns them on only after SHAPES_AFTER_CHARS) and
    plain indicators fused into the model (perfdsl.fused) or not."""
    saved = stream.GROUPS_AFTER_CHARS, fastpath.SHAPES_AFTER_CHARS, fastpath.FUSED
    stream.GROUPS_AFTER_CHARS = 0 if groups else 10**12
    fastpath.SHAPES_AFTER_CHARS, fastpath.FUSED = 0, fused
    try:
        yield
    finally:
        stream.GROUPS_AFTER_CHARS, fastpath.SHAPES_AFTER_CHARS, fastpath.FUSED = saved


def _same(text: str, path: str = "t.perf") -> None:
    """Unstreamed; streamed with fused indicators (groups' bodies are then always handed over
    statement by statement); streamed without, groups whole or statement by statement: all
    identical."""
    b = compile_text(text, path, stream=False)
    with _groups_streamed(groups=False, fused=False):
        a = compile_text(text, path)
    with _groups_streamed(fused=False):
        n = compile_text(text, path)
    with _groups_streamed(groups=False):
        g = compile_text(text, path)
    for got, how in ((a, "streamed"), (n, "streamed with groups"), (g, "streamed, fused")):
        assert got.declarations == b.declarations, f"declarations differ for {path} ({how})"
        assert [d.span for d in got.declarations] == [d.span for d in b.declarations]
        assert got.waivers == b.waivers, f"waivers differ for {path} ({how})"
        assert got.diagnostics == b.diagnostics, f"diagnostics differ for {path} ({how})"


def test_group_bodies_are_handed_over_in_big_files_only() -> None:
    assert not stream.StreamedDecls("x" * 1000, ()).groups
    assert stream.StreamedDecls("x" * stream.GROUPS_AFTER_CHARS, ()).groups


def test_tricky_declarations_identical() -> None:
    _same(TRICKY)
    res = compile_text(TRICKY, "t.perf")
    codes = {d.code for d in res.diagnostics}
    assert {"PD-S009", "PD-S008", "PD-H005", "PD-S001"} <= codes, codes  # the cases really occur


def test_every_fixture_and_example_identical() -> None:
    files = sorted(ROOT.glob("tests/**/*.perf")) + sorted(ROOT.glob("examples/**/*.perf"))
    assert len(files) > 100
    for f in files:
        source, _problem = decode_source(str(f), f.read_bytes())
        if source is not None:
            _same(source.text, str(f))


def test_corpus_sample_identical(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.generate(tmp_path, n=8, seed=16)
    files = sorted(tmp_path.glob("*/*.perf"))
    assert files
    for f in files:
        _same(f.read_text(encoding="utf-8"), str(f))


def test_colon_findings_keep_document_order() -> None:
    """PD-S009 of a streamed declaration and of a chunk parsed whole (two declarations, one
    indented) come in the document's order, as without streaming (found by the mutation test:
    the streamed ones came last)."""
    text = ("项目 甲 {\n  产出 {\n    模板: 名称.模板之前 >= 1 人\n  }\n  模板: mof2015\n}\n"
            "项目 乙 {\n  模板: mof2021\n  产出.数量.指标1:名称 = 8 个\n}\n  项目 丙 {\n    产出.数量.人数 >= 3 人\n  }\n")
    for fused in (True, False):
        with _groups_streamed(groups=False, fused=fused):
            res = compile_text(text, "t.perf")
        assert [d.span.line for d in res.diagnostics if d.code == "PD-S009"] == [3, 9]
    _same(text)


def test_fused_path_is_taken(tmp_path: Path) -> None:
    """The comparisons above are not vacuous: on the corpus most indicators are fused (built
    straight into the model), in the declaration's body and in groups, and none without it."""
    text = "项目 x {\n  模板: mof2021\n" + "".join(
        f"  产出.数量.人数{i} >= {i} 人\n  产出 {{\n    数量 {{\n      户数{i} >= 1 户\n      人次{i} 定性 多\n    }}\n"
        f"    数量.场次{i} = 2 场\n  }}\n" for i in range(20)) + "}\n"
    for fused in (True, False):
        before = lineshapes.STATS["fused"]
        with _groups_streamed(groups=False, fused=fused):
            res = compile_text(text, "t.perf")
        n = lineshapes.STATS["fused"] - before
        assert len(res.declarations[0].indicators) == 80
        assert (n >= 75) if fused else (n == 0), n  # (the first of each 一级/二级 pair may not be)
    _same(text)
    # fields too: header fields, and fields in a group (a department's 预算情况)
    fields = ("部门整体 x {\n  模板: gansu-dept\n  年度: 2026\n  联系人: 李强\n  核心职能: 负责\n"
              "  预算情况 {\n    基本支出.人员经费: 795.52\n    基本支出.公用经费: 25.77\n    上级财政补助2:\n  }\n}\n")
    before = lineshapes.STATS["fused"]
    with _groups_streamed(groups=False):
        res = compile_text(fields, "t.perf")
    assert lineshapes.STATS["fused"] - before == 6
    assert len(res.declarations[0].fields) >= 6
    _same(fields)


def test_level_lookups_are_shared_per_profile_only() -> None:
    """Successful 一级/二级 lookups are shared by declarations of the same profile (so the first
    indicator of a pair can be fused too), never across profiles: 产出.成本 is a 二级 under
    mof2015 and a mix-up (PD-H003) under mof2021, in either order, fused or not."""
    one = "项目 甲 {{\n  模板: {}\n  产出.成本.单价 <= 5 元\n  产出.成本.单价2 <= 5 元\n}}\n"
    for first, second in (("mof2015", "mof2021"), ("mof2021", "mof2015")):
        text = one.format(first) + one.format(second)
        for fused in (True, False):
            with _groups_streamed(groups=False, fused=fused):
                res = compile_text(text, "t.perf")
            by_profile = {d.profile.id: d for d in res.declarations}
            assert [i.level2 for i in by_profile["mof2015"].indicators] == ["成本指标"] * 2
            assert not by_profile["mof2021"].indicators
            assert [d.span.line for d in res.diagnostics if d.code == "PD-H003"] == \
                ([8, 9] if first == "mof2015" else [3, 4])
        _same(text)


@SETTINGS
@given(st.from_regex(r"[0-9]{1,22}(\.[0-9]{1,22})?", fullmatch=True) | st.text(alphabet="0123456789.,，０１ +-", max_size=12))
@example("9" * 20)
@example("9" * 21)
@example("0" * 21)
@example("1." + "0" * 20)
@example("1." + "0" * 21)
def test_plain_field_numbers_read_as_parse_decimal(text: str) -> None:
    """The resolver reads a plain number field (`resolve._PLAIN_NUMBER`) without `parse_decimal`
    and `too_large`: the same value, written precision included, and never too large."""
    from perfdsl.numbers import parse_decimal, too_large
    from perfdsl.resolve import _PLAIN_NUMBER

    if _PLAIN_NUMBER.fullmatch(text):
        value = parse_decimal(text)
        assert value is not None and str(value) == str(Decimal(text)) and not too_large(value)


@SETTINGS
@given(documents())
def test_generated_documents_identical(gen: Any) -> None:
    _same(gen.text)


@SETTINGS
@given(char_mutations((TRICKY,)))
def test_mutated_inputs_identical(text: str) -> None:
    _same(text)


# --- the model's compact indicators ---------------------------------------------------------

def _indicator(**changes: Any) -> Indicator:
    values: dict[str, Any] = dict(
        level1="产出指标", level2="数量指标", name="人数", target=Target("ge", value=None),
        columns=(("备注", "x"),), span=Span("a.perf", 7, 3, 7, 30), name_span=Span("a.perf", 7, 13, 7, 15),
        written=("产出", "数量", "人数"), unit_span=Span("a.perf", 7, 22, 7, 23),
        target_span=Span("a.perf", 7, 17, 7, 23), column_spans=(("备注", Span("a.perf", 7, 24, 7, 30)),))
    values.update(changes)
    return Indicator(**values)


@pytest.mark.parametrize("changes", [
    {},  # one line of one file: stored as columns
    {"unit_span": None, "target_span": None},
    {"span": Span("a.perf", 7, 3, 8, 2)},  # over two lines: spans kept as they are
    {"name_span": Span("b.perf", 7, 13, 7, 15)},
    {"span": NO_SPAN, "name_span": NO_SPAN, "unit_span": None, "target_span": None},
])
def test_compact_indicator_keeps_every_field(changes: dict[str, Any]) -> None:
    ind = _indicator(**changes)
    want = {name: getattr(_indicator(**changes), name) for name in Indicator._fields}
    assert ind._asdict() == want
    for name, value in want.items():
        assert getattr(ind, name) == value
        assert type(getattr(ind, name)) is type(value)
    assert ind == _indicator(**changes) and hash(ind) == hash(_indicator(**changes))
    assert ind.line == ind.span.line
    assert pickle.loads(pickle.dumps(ind)) == ind
    assert ind._replace(name="户数").name == "户数" and ind._replace(name="户数").span == ind.span
    assert record.evolve(ind, span=Span("a.perf", 9, 1, 9, 5)).span == Span("a.perf", 9, 1, 9, 5)
    assert attrs.evolve(ind, name="户数") == ind._replace(name="户数")
    assert attrs.asdict(ind, recurse=False) == want
    assert repr(ind).startswith("Indicator(level1='产出指标', level2='数量指标', name='人数'")
    with pytest.raises(AttributeError):
        ind.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ind._replace(nme="x")


def test_indicators_differing_in_one_span_differ() -> None:
    a = _indicator()
    for name in ("span", "name_span", "unit_span", "target_span"):
        other = _indicator(**{name: Span("a.perf", 7, 4, 7, 9)})
        assert other != a and getattr(other, name) == Span("a.perf", 7, 4, 7, 9)
    assert _indicator(unit_span=None) != a and _indicator(unit_span=None).unit_span is None
