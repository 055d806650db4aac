"""Numbered text in list fields becomes list items, numbering removed (issue 12 §4).

Real texts: the seed (宁县社会保险局 2025) and the published forms under
tests/fixtures/forms/*/source.txt; a property test over generated lists; and the CLI on a
workbook whose numbered items were run together into one line by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from perfdsl.importer.numbered import split_numbered

from conftest import EXAMPLE, ROOT, SEED, run_cli

FORMS = ROOT / "tests" / "fixtures" / "forms"


def _seed_line(prefix: str) -> str:
    if not SEED.is_file():
        pytest.skip("seed not available")
    for line in SEED.read_text(encoding="utf-8").splitlines():
        cells = [c for c in line.split("\t") if c.strip()]
        for c in cells:
            if c.strip().startswith(prefix):
                return c
    raise AssertionError(prefix)


def test_seed_functions_run_together_on_one_line() -> None:
    text = _seed_line("1. 负责全县企业职工")
    items = split_numbered(text)
    assert items is not None and len(items) == 6
    assert items[0] == "负责全县企业职工基本养老保险、机关事业单位养老保险、失业保险、工伤保险费的核定及各项社会保险基金管理、支付工作。"
    assert items[2] == "负责全民参保工作。"
    assert items[5] == "完成县委县政府及上级业务部门交办的其他事项。"
    assert not any(re.match(r"^\d", i) for i in items)


def test_seed_targets_run_together_on_one_line() -> None:
    items = split_numbered(_seed_line("目标1："))
    assert items == [
        "按月完成养老、失业和工伤保险核定，保障在职职工社保权益。",
        "按月支付养老、失业和工伤保险待遇，保障待遇领取人员合法权益。",
        "每年按时高质量完成社保基金预决算，确保上级配套资金预算准确。",
        "保障机关正常运转和职工工资福利。",
    ]


def test_shanghai_targets_as_separate_paragraphs_and_wrapped() -> None:
    row = (FORMS / "shanghai-putuo-chengguan-project" / "source.txt").read_text(encoding="utf-8").splitlines()[10]
    cells = [c.strip().strip('"').replace("⏎", "\n") for c in row.split("|") if c.strip()]
    expected = ["完成市、区相关部门下达的年度拆违任务。", "新增违建“零增长”，坚决做到“无增减存”。",
                "开展存量违建专项治理，快速降低违建点位数。", "开展普查数据平台“拆一件、销一项、存一档”目标管理。"]
    assert split_numbered(cells[0]) == expected  # one paragraph per item
    assert split_numbered(cells[1]) == expected  # and the same, wrapped by hand inside items


def test_anhui_single_target() -> None:
    line = (FORMS / "anhui-jinzhai-project" / "source.txt").read_text(encoding="utf-8").splitlines()[8]
    assert split_numbered(line) == ["维护辖区各安置小区安全巡逻、环境卫生及物业日常管理"]


def test_guangshui_functions_numbered_with_chinese_numerals() -> None:
    text = (FORMS / "hubei-guangshui-dept" / "source.txt").read_text(encoding="utf-8")
    start = text.index("(一)负责全市人民防空工作")
    items = split_numbered(text[start:text.index("(四)", start)])
    assert items is not None and len(items) == 3
    assert items[0] == "负责全市人民防空工作。"
    assert items[2].startswith("负责起草《政府工作报告》")


@pytest.mark.parametrize("text, expected", [
    ("1、维护辖区安全2、改善人居环境3、提升服务水平", ["维护辖区安全", "改善人居环境", "提升服务水平"]),
    ("（1）按月完成核定；（2）按月支付待遇。", ["按月完成核定；", "按月支付待遇。"]),
    ("1）甲项工作 2）乙项工作", ["甲项工作", "乙项工作"]),
    ("①宣传②培训③督查", ["宣传", "培训", "督查"]),
    ("１．甲项　２．乙项", ["甲项", "乙项"]),
    ("主要目标：1. 甲项 2. 乙项", ["主要目标：", "甲项", "乙项"]),  # the introduction is kept
    ("1. 负责甲：（1）子项一（2）子项二 2. 负责乙", ["负责甲：（1）子项一（2）子项二", "负责乙"]),
])
def test_styles(text: str, expected: list[str]) -> None:
    assert split_numbered(text) == expected


@pytest.mark.parametrize("text", [
    "补助标准1.5万元/人，2025.1.1起按月发放",
    "第1、2季度完成，1、2号楼改造",
    "一、二、三级指标齐全",
    "全年服务12.5万人次，完成率100%",
    "按时发放村组干部报酬",
    "2025年1月1日至12月31日",
])
def test_numbers_that_are_not_numbering_are_never_split(text: str) -> None:
    assert split_numbered(text) is None


# Fragments of real item texts, including numbers that must not be taken for markers.
_FRAGMENTS = ["负责", "全县", "养老保险", "基金管理", "1.5万元", "2025.1.1", "12.31日", "95%", "第3季度",
              "，", "、", "完成", "2025年1月", "1、2号楼", "工作。", "《通知》", "Word", "（含退休人员）", "10.08万元"]
_items = st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=6).map("".join).filter(
    lambda s: not s[-1].isdigit() and s[0] not in "，、")
_STYLES = [
    lambda n: f"{n}. ", lambda n: f"{n}.", lambda n: f"{n}、", lambda n: f"（{n}）", lambda n: f"({n})",
    lambda n: f"目标{n}：", lambda n: f"{n}）", lambda n: "①②③④⑤⑥⑦⑧⑨⑩"[n - 1],
    lambda n: f"（{'一二三四五六七八九十'[n - 1]}）",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(_items, min_size=2, max_size=10), st.sampled_from(range(len(_STYLES))),
       st.sampled_from(["", " ", "\n", "\n\n", "　"]))
def test_property_numbered_lists_split_back_into_their_items(items: list[str], style: int, sep: str) -> None:
    # `2.1.5万元` is ambiguous to a reader too: `N.`/`N、` glued to an item starting with a digit is not numbering
    assume(style not in (1, 2) or not any(i[0].isdigit() for i in items))
    text = sep.join(_STYLES[style](n) + item for n, item in enumerate(items, 1))
    assert split_numbered(text) == items


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=12).map("".join))
def test_property_prose_with_numbers_is_not_a_list(text: str) -> None:
    assert split_numbered(text) is None


def test_import_splits_numbered_text_run_together_in_a_cell(tmp_path: Path) -> None:
    """A workbook in which someone typed the numbered items into one line of the cell."""
    assert run_cli("build", str(EXAMPLE), "--to", "xlsx", "-o", str(tmp_path)).code == 0
    xlsx = next(tmp_path.glob("*.xlsx"))
    wb = openpyxl.load_workbook(xlsx)
    dept = wb["部门整体"]
    functions = [c for row in dept.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("1. 负责全县企业职工")]
    assert len(functions) == 1
    # 1. … 2. … becomes 1、…2、… run together on one line
    functions[0].value = re.sub(r"\n?(\d)\. ", r"\1、", functions[0].value)
    project = wb["企业厂长经理生活费"]
    targets = [c for row in project.iter_rows() for c in row
               if isinstance(c.value, str) and c.value.startswith("目标1：落实")]
    assert len(targets) == 1
    targets[0].value = "（1）落实国家相关政策，关爱原企业工作人员。（2）确保企业厂长经理生活费按时足额发放，保障其基本生活。"
    wb.save(xlsx)
    res = run_cli("import", str(xlsx), "--stdout", "--ignore-embedded")
    assert res.code == 0, res.err
    out = res.out
    assert "    - 负责全县企业职工基本养老保险" in out
    assert "    - 负责全民参保工作。\n" in out
    assert "    - 完成县委县政府及上级业务部门交办的其他事项。\n" in out
    assert "    - 落实国家相关政策，关爱原企业工作人员。\n    - 确保企业厂长经理生活费按时足额发放" in out
    assert "1、" not in out and "（1）" not in out and "（2）" not in out
