"""The printer and the lossless formatter: identity corpus, examples, round trips, the CLI.

tests/fixtures/identity/*.perf are formatted files that `fmt` must leave byte-identical
(sqlglot's identity.sql idea). A hypothesis round trip prints generated trees, parses
them back and compares both the syntax (modulo positions) and the resolved model.
"""

from __future__ import annotations

import random
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfdsl import ast
from perfdsl.backends.jsonout import declaration_json
from perfdsl.formatter import format_source
from perfdsl.parser import parse_text
from perfdsl.printer import PrintError, format_document
from perfdsl.record import Record
from perfdsl.resolve import resolve_document

from conftest import EXAMPLE, ROOT, run_cli

IDENTITY = sorted((ROOT / "tests" / "fixtures" / "identity").glob("*.perf"))
EXAMPLES = sorted(EXAMPLE.glob("*.perf"))


def fmt(text: str) -> str:
    out, diags = format_source(text, "t.perf")
    assert out is not None, [d.message for d in diags]
    return out


@pytest.mark.parametrize("path", IDENTITY, ids=lambda p: p.name)
def test_identity_corpus_is_unchanged(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert fmt(text) == text


def test_identity_corpus_is_not_empty() -> None:
    assert len(IDENTITY) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_idempotent_and_keep_every_comment(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = fmt(text)
    assert fmt(once) == once
    comments = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("#")]
    assert comments and [ln.strip() for ln in once.splitlines() if ln.strip().startswith("#")] == comments
    assert once.count("\n\n") == text.count("\n\n")  # blank-line grouping survives


def test_committed_examples_are_fmt_clean() -> None:
    res = run_cli("fmt", "--check", str(EXAMPLE))
    assert res.code == 0, res.out


MESSY = """\
#   顶部注释

项目   测试项目｛
    模板：gansu-project


  一级项目名称 ：  示例   # 尾注释
  年度绩效目标：
        -   第一条
        # 列表中的注释
        - 第二条
  #[allow( PD-R002 ,理由=“没有满意度”)]
  产出 ｛   # 组注释
      数量．享受待遇人数   ≥２６００人   [备注：按月]   [口径: 年末]
      质量.资金发放覆盖率＝100％


      时效.及时性   定性    按月 发放
  ｝
  效益.社会效益.稳定   区间值 1~5 元
  # 块末注释
｝
# 文件末注释
"""

CLEAN = """\
#   顶部注释

项目 测试项目 {
  模板: gansu-project

  一级项目名称: 示例 # 尾注释
  年度绩效目标:
    - 第一条
    # 列表中的注释
    - 第二条
  #[allow(PD-R002, 理由 = "没有满意度")]
  产出 { # 组注释
    数量.享受待遇人数 >= 2600 人 [备注: 按月] [口径: 年末]
    质量.资金发放覆盖率 = 100 %

    时效.及时性 定性 按月 发放
  }
  效益.社会效益.稳定 区间 1-5 元
  # 块末注释
}
# 文件末注释
"""


def test_messy_spacing_and_full_width_format_to_the_clean_text() -> None:
    assert fmt(MESSY) == CLEAN
    assert fmt(CLEAN) == CLEAN


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_random_indentation_and_operator_forms_format_to_the_clean_example(seed: int) -> None:
    rnd = random.Random(seed)
    clean = fmt(EXAMPLES[0].read_text(encoding="utf-8"))
    swaps = {" >= ": ["≥", " ＞＝ ", ">="], " <= ": ["≤ ", "<=", " ＜= "], " = ": ["＝", "=", " == "],
             ": ": ["：", ":", " :  "], " {": ["｛", "{", "  ｛"], "}": ["｝", "}"]}
    lines = []
    for ln in clean.split("\n"):
        body = ln.strip()
        if body.startswith("#") or not body:
            lines.append(" " * rnd.randint(0, 5) + body if body else " " * rnd.randint(0, 3))
            continue
        for old, news in swaps.items():
            if old in body and "“" not in body and rnd.random() < 0.7:
                body = body.replace(old, rnd.choice(news), 1)
        lines.append(" " * rnd.randint(0, 6) + body + " " * rnd.randint(0, 2))
    assert fmt("\n".join(lines)) == clean


def test_syntax_errors_refuse_to_format() -> None:
    out, diags = format_source("项目 x {\n  产出.数量.人数 >= >= 1 人\n}\n", "bad.perf")
    assert out is None and diags and all(d.code.startswith("PD-") for d in diags)


def test_trailing_comments_on_closing_braces_survive() -> None:
    text = "项目 x {\n  产出 {\n    数量.人数 >= 1 人\n  } # 组结束\n} # 声明结束\n"
    assert fmt(text) == text


# --- printer on hand-built trees ----------------------------------------------------


def _seg(*names: str) -> ast.Path:
    return ast.Path(tuple(ast.Segment(n) for n in names))


def _q(raw: str, unit: str | None = None) -> ast.Quantity:
    return ast.Quantity(raw, Decimal(raw), unit)


def test_printer_on_a_hand_built_tree() -> None:
    doc = ast.Document("", (ast.Declaration("project", "手工 项目", (
        ast.Field(_seg("模板"), ast.Text("gansu-project")),
        ast.Field(_seg("年度绩效目标"), None, (ast.Item("目标一"), ast.Item("目标二"))),
        ast.Field(_seg("基本情况"), ast.Text("第一行\n第二行")),
        ast.Group(_seg("产出"), (
            ast.Indicator(_seg("数量", "人数"), ast.Comparison("ge", _q("2600", "人")),
                          (ast.Attr("备注", "按月"),)),
            ast.Indicator(_seg("时效", "及时性"), ast.Qualitative(ast.Text(" 前导空格"))),
        )),
        ast.Indicator(_seg("成本", "经济成本", "标准"), ast.Range(_q("500"), _q("1940", "元"))),
    )),))
    text = format_document(doc)
    assert text == (
        "项目 手工 项目 {\n"
        "  模板: gansu-project\n"
        "  年度绩效目标:\n"
        "    - 目标一\n"
        "    - 目标二\n"
        '  基本情况: """\n'
        "    第一行\n"
        "    第二行\n"
        '    """\n'
        "\n"
        "  产出 {\n"
        "    数量.人数 >= 2600 人 [备注: 按月]\n"
        '    时效.及时性 定性 " 前导空格"\n'
        "  }\n"
        "\n"
        "  成本.经济成本.标准 区间 500-1940 元\n"
        "}\n"
    )
    again, diags = parse_text(text, "x.perf")
    assert not diags and _strip(again) == _strip(doc)


def test_printer_refuses_what_the_language_cannot_write() -> None:
    doc = ast.Document("", (ast.Declaration("project", "x", (
        ast.Indicator(_seg("产出", "数量", "人数"), ast.Comparison("ge", _q("1")), (ast.Attr("备注", "a]b"),)),
    )),))
    with pytest.raises(PrintError):
        format_document(doc)


# --- hypothesis round trip -----------------------------------------------------------

_SPANLESS = {"span", "op_span", "unit_span", "title_span", "quoted", "style", "op_text", "sep",
             "kind_text", "raw", "path_str"}


def _strip(node: Any) -> Any:
    """A tree as plain data without positions and spelling choices (quotes, operator text)."""
    if isinstance(node, ast.Waiver):
        return ("waiver", node.codes, node.reason)
    if isinstance(node, Record):
        out: dict[str, Any] = {"_": type(node).__name__}
        for name in node._fields:
            if name in _SPANLESS or (isinstance(node, ast.Document) and name in ("path", "comments")):
                continue
            out[name] = _strip(getattr(node, name))
        if isinstance(node, ast.Quantity):
            out["raw"] = node.raw
        return out
    if isinstance(node, tuple):
        return [_strip(x) for x in node]
    return node


TRICKY = list("#[]［］\"\\:：{}｛｝.．=<>-— \t\n\u3000“”、，。%")
WORDS = ["部门整体", "项目", "定性", "区间", '"""', " #", "#[", "- ", "1-2"]
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
ANY_CHAR = st.one_of(CJK, st.sampled_from(TRICKY), st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r\x85"))
FRAGMENT = st.one_of(ANY_CHAR, st.sampled_from(WORDS))
texts = st.lists(FRAGMENT, max_size=10).map("".join)
names = st.lists(FRAGMENT, min_size=1, max_size=6).map("".join)
safe = st.text(st.one_of(CJK, st.sampled_from(list("abc123（）、-"))), min_size=1, max_size=8)
numbers = st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, places=2).map(str)
units = st.sampled_from([None, "人", "%", "万元", "元/人.年", "次/年"])
L2 = [("产出", "数量"), ("产出", "质量"), ("效益", "社会效益"), ("满意度", "服务对象满意度"), ("成本", "经济成本")]


@st.composite
def indicators(draw: st.DrawFn) -> ast.Indicator:
    l1, l2 = draw(st.sampled_from(L2))
    kind = draw(st.sampled_from(["cmp", "range", "qual"]))
    if kind == "cmp":
        target: ast.Target = ast.Comparison(draw(st.sampled_from(["eq", "ge", "le", "gt", "lt"])),
                                            _q(draw(numbers), draw(units)))
    elif kind == "range":
        target = ast.Range(_q(draw(numbers)), _q(draw(numbers), draw(units)))
    else:
        target = ast.Qualitative(ast.Text(draw(texts)))
    attrs_ = tuple(ast.Attr(k, v) for k, v in draw(st.lists(st.tuples(safe, safe), max_size=2)))
    waivers = tuple(ast.Waiver((c,), r) for c, r in draw(st.lists(
        st.tuples(st.sampled_from(["PD-R002", "PD-V002"]), st.none() | safe), max_size=1)))
    return ast.Indicator(_seg(l1, l2, draw(names)), target, attrs_, waivers=waivers)


@st.composite
def fields(draw: st.DrawFn) -> ast.Field:
    value = draw(st.none() | texts.map(ast.Text))
    items = tuple(ast.Item(t) for t in draw(st.lists(safe, max_size=3)))
    return ast.Field(ast.Path((ast.Segment(draw(names)),)), value, items)


@st.composite
def declarations(draw: st.DrawFn) -> ast.Declaration:
    body: list[ast.Stmt] = [ast.Field(_seg("模板"), ast.Text("gansu-project"))]
    body += draw(st.lists(fields(), max_size=4))
    inds = draw(st.lists(indicators(), max_size=6))
    if inds and draw(st.booleans()):
        first = inds[0].path.segments[0]
        inside = [i._replace(path=ast.Path(i.path.segments[1:])) for i in inds
                  if i.path.segments[0] == first]
        rest = [i for i in inds if i.path.segments[0] != first]
        body.append(ast.Group(ast.Path((first,)), tuple(inside)))
        body += rest
    else:
        body += inds
    return ast.Declaration("project", draw(st.none() | names), tuple(body))


def _model(doc: ast.Document) -> list[Any]:
    resolved, _ = resolve_document(doc)
    return [declaration_json(d) for d in resolved.declarations]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decls=st.lists(declarations(), min_size=1, max_size=2))
def test_round_trip_print_parse_resolve(decls: list[ast.Declaration]) -> None:
    doc = ast.Document("", tuple(decls))
    text = format_document(doc)
    back, diags = parse_text(text, "gen.perf")
    assert [d for d in diags if d.severity == "error"] == [], text
    assert _strip(back) == _strip(doc), text
    assert _model(back) == _model(doc)
    assert fmt(text) == text  # the printer's output is already formatted


# --- the CLI -------------------------------------------------------------------------


def test_fmt_check_diff_and_rewrite(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "ex")
    target = tmp_path / "ex" / "01-企业职工养老保险县级财政补助资金.perf"
    original = target.read_text(encoding="utf-8")
    messy = re.sub(r"(?m)^  ", "    ", original).replace(" >= ", "≥")
    target.write_text(messy, encoding="utf-8")
    res = run_cli("fmt", "--check", str(tmp_path / "ex"))
    assert res.code == 1 and "01-企业职工养老保险县级财政补助资金.perf" in res.out
    res = run_cli("fmt", "--diff", str(target))
    assert res.code == 1 and "+  产出 {" in res.out and target.read_text(encoding="utf-8") == messy
    res = run_cli("fmt", str(tmp_path / "ex"))
    assert res.code == 0
    assert target.read_text(encoding="utf-8") == fmt(original)
    assert run_cli("fmt", "--check", str(target)).code == 0


def test_fmt_leaves_broken_files_alone(tmp_path: Path) -> None:
    bad = tmp_path / "bad.perf"
    bad.write_text("项目 x {\n  产出.数量.人数 >= >= 1 人\n}\n", encoding="utf-8")
    res = run_cli("fmt", str(bad))
    assert res.code == 1 and "PD-S001" in res.err and "未整理" in res.err
    assert bad.read_text(encoding="utf-8").count(">=") == 2
    assert run_cli("fmt", str(tmp_path / "nope")).code == 2


def test_meaning_change_is_refused_with_pd_f001(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """If the printer ever changed a value, fmt must refuse (PD-F001) and leave the file alone."""
    import perfdsl.formatter as formatter

    original = formatter.TriviaPrinter.document

    def broken(self: Any, doc: ast.Document) -> str:
        return original(self, doc).replace(">= 2600 人", ">= 2800 人")

    monkeypatch.setattr(formatter.TriviaPrinter, "document", broken)
    src = EXAMPLE / "01-企业职工养老保险县级财政补助资金.perf"
    text = src.read_text(encoding="utf-8")
    out, diags = format_source(text, str(src))
    assert out is None
    assert [d.code for d in diags] == ["PD-F001"]
    assert "改变申报表的含义" in diags[0].message
    target = tmp_path / "a.perf"
    target.write_text(text.replace("2600 人", "2600人"), encoding="utf-8")
    before = target.read_bytes()
    res = run_cli("fmt", str(target))
    assert res.code != 0 and "PD-F001" in res.text
    assert target.read_bytes() == before


def test_header_fields_are_sorted_in_profile_order_with_their_comments() -> None:
    src = ("项目 测试 {\n  模板: mof2021\n  # 实施单位的注释\n  实施单位: 中心  # 行尾\n\n  主管部门: 局\n"
           '  #[allow(PD-R003, 理由 = "x")]\n  项目来源: 本级\n  项目名称: 测试\n  年度目标:\n    - 目标\n'
           "  产出.数量.人数 >= 1 人\n}\n")
    want = ("项目 测试 {\n  模板: mof2021\n  项目名称: 测试\n\n  主管部门: 局\n  # 实施单位的注释\n  实施单位: 中心 # 行尾\n"
            '  年度目标:\n    - 目标\n  #[allow(PD-R003, 理由 = "x")]\n  项目来源: 本级\n  产出.数量.人数 >= 1 人\n}\n')
    assert fmt(src) == want
    assert fmt(want) == want


def test_trailing_no_break_space_is_quoted_so_it_survives() -> None:
    """Found by test_round_trip_print_parse_resolve: `定性 一\\xa0` read back as `一`."""
    from perfdsl.printer import qual_text_ok

    assert not qual_text_ok("一\xa0")
    text = "项目 {\n  模板: gansu-project\n  产出.数量.一 定性 \"一\xa0\"\n}\n"
    doc, diags = parse_text(text, "t.perf")
    assert not diags
    again, _ = parse_text(format_document(doc), "t.perf")
    assert again.declarations[0].body[1].target.value.text == "一\xa0"
