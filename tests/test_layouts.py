"""A new form layout is one TOML file and no Python.

tests/fixtures/layouts/profiles/test-sh-ah.toml describes a form no built-in profile has:
a Shanghai-style header (title and year inside the table, three label/value pairs on a
row, the 项目资金（元） block with left and right halves, two long texts side by side under
their headings, a side label continuing down the indicator rows) and an Anhui-style
indicator table (one 指标值 column printing `8个`, `≥90%`), an optional 权重 column and
notes under the table. The test copies that folder as a user would, builds DOCX and XLSX
through the CLI and checks the grid cell by cell.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
from test_docx import structure, tables

from conftest import ROOT, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "layouts"

SIDE = "项目\n绩效\n目标"
MONEY = "项目资金\n（元）"
GOAL_A = "为居民出行提供快速便捷的通道，完善、提高了路网服务功能。"
GOAL_B = "积极推进项目前期征收工作，年内开展管线搬迁及维护结构施工。"
UNIT = "上海市普陀区市政工程建设中心"

# The whole form, one row per table row; a merged cell repeats its text.
EXPECTED = [
    ["财政项目支出绩效目标申报表"] * 9,
    ["（2026年度）"] * 9,
    ["项目名称", "项目名称", "兰溪路-真南路下立交工程", "兰溪路-真南路下立交工程", "项目性质", "阶段性项目",
     "项目\n类别", "特定目标类", "特定目标类"],
    ["主管部门", "主管部门", "上海市普陀区建设和管理委员会", "上海市普陀区建设和管理委员会", "实施单位", *[UNIT] * 4],
    ["计划开始日期", "计划开始日期", "2026/1/1", "2026/1/1", "计划完成日期", *["2027/12/31"] * 4],
    [MONEY, MONEY, "项目资金总额", "项目资金总额", "771325800.00", "年度资金申请总额", "年度资金申请总额",
     "226145100.00", "226145100.00"],
    [MONEY, MONEY, "其中：财政资金", "其中：财政资金", "771325800.00", "其中：当年财政拨款", "其中：当年财政拨款",
     "226145100.00", "226145100.00"],
    [MONEY, MONEY, "其中：财政资金", "其中：财政资金", "771325800.00", "上年结转资金", "上年结转资金", "0", "0"],
    [MONEY, MONEY, "其他资金", "其他资金", "0", "其他资金", "其他资金", "0", "0"],
    [SIDE, *["项目总目标"] * 4, *["年度总体目标"] * 4],
    [SIDE, *[GOAL_A] * 4, *[GOAL_B] * 4],
    [SIDE, "一级\n指标", "二级指标", "三级指标", "三级指标", "三级指标", "年度指标值", "年度指标值", "权重"],
    [SIDE, "成本\n指标", "生态环境\n成本指标", *["文明施工情况"] * 3, "可控", "可控", "10"],
    [SIDE, "产出\n指标", "数量指标", *["道路建设长度"] * 3, "985米", "985米", "30"],
    [SIDE, "产出\n指标", "数量指标", *["安置小区物业费"] * 3, "8个", "8个", "20"],
    [SIDE, "产出\n指标", "质量指标", *["项目验收达标率"] * 3, "100.00%", "100.00%", "20"],
    [SIDE, "效益\n指标", "社会效益\n指标", *["道路通行能力提升情况"] * 3, "提升", "提升", "10"],
    [SIDE, "满意度\n指标", "服务对象\n满意度\n指标", *["居民群众满意度"] * 3, "≥90%", "≥90%", "10"],
]
NOTES = ["注：1.“其他资金”是指与财政拨款共同用于同一项目的单位自有资金、社会资金等。",
         "2.各单位可根据项目特点自行增加或减少二级指标。"]


def _build(tmp_path: Path) -> Path:
    folder = tmp_path / "下立交"
    shutil.copytree(FIXTURE, folder)  # a profile TOML and a .perf, nothing else
    assert sorted(p.suffix for p in folder.rglob("*") if p.is_file()) == [".perf", ".toml"]
    res = run_cli("build", str(folder), "--to", "docx,xlsx,json", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    return tmp_path / "out"


def test_new_layout_docx_cell_by_cell(tmp_path: Path) -> None:
    out = _build(tmp_path)
    data = (out / "下立交.docx").read_bytes()
    grids = tables(data)
    assert len(grids) == 1  # header and indicators are one Word table
    assert grids[0] == EXPECTED
    blocks = structure(data)["blocks"]
    rows = blocks[0]["table"]["rows"]  # the table comes first: the title is inside it
    assert rows[0] == [{"t": "财政项目支出绩效目标申报表", "span": 9}]
    assert rows[5][0] == {"t": MONEY, "span": 2, "vm": "restart"}  # 项目资金（元） over four rows
    assert rows[6][1] == {"t": "其中：财政资金", "span": 2, "vm": "restart"}  # over two rows
    assert rows[9][0] == {"t": SIDE, "vm": "restart"}  # side label continues down the indicators
    assert all(r[0] == {"t": "", "vm": "continue"} for r in rows[10:])
    assert [b["p"] for b in blocks[1:]] == NOTES  # notes under the table
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        styles = zf.read("word/styles.xml").decode()
    title_style = styles[styles.index('w:styleId="PerfdslTitle"'):]
    title_style = title_style[:title_style.index("</w:style>")]
    assert 'w:eastAsia="宋体"' in title_style and '<w:sz w:val="32"/>' in title_style and "<w:b/>" in title_style


def test_new_layout_xlsx_matches_the_docx_grid(tmp_path: Path) -> None:
    out = _build(tmp_path)
    wb = openpyxl.load_workbook(out / "下立交.xlsx")
    ws = wb[wb.sheetnames[0]]
    grid = [[ws.cell(r, c).value for c in range(1, 10)] for r in range(1, len(EXPECTED) + 1)]
    for rng in ws.merged_cells.ranges:  # fill merged cells from their top-left
        top = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if r <= len(EXPECTED):
                    grid[r - 1][c - 1] = top

    def text(v: object) -> str:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return "" if v is None else str(v)

    assert [[text(v) for v in row] for row in grid] == [[c.replace("\n", "") for c in row] for row in EXPECTED]
    assert isinstance(ws.cell(13, 9).value, int | float)  # 权重 is a number
    after = [ws.cell(r, 1).value for r in range(len(EXPECTED) + 1, len(EXPECTED) + 3)]
    assert after == NOTES
    flat = wb["指标清单"]
    heads = [c.value for c in flat[1]]
    assert heads == ["表/项目名称", "一级指标", "二级指标", "三级指标", "指标值类型", "指标值", "度量单位", "权重"]
    assert isinstance(flat.cell(2, 8).value, int | float)


def test_one_indicator_order_in_every_output(tmp_path: Path) -> None:
    out = _build(tmp_path)
    names = [row[3] for row in EXPECTED[12:]]
    assert names == ["文明施工情况", "道路建设长度", "安置小区物业费", "项目验收达标率", "道路通行能力提升情况", "居民群众满意度"]
    doc = json.loads((out / "下立交.json").read_text(encoding="utf-8"))
    assert [i["name"] for i in doc["declarations"][0]["indicators"]] == names
    flat = openpyxl.load_workbook(out / "下立交.xlsx")["指标清单"]
    assert [r[3] for r in flat.iter_rows(min_row=2, values_only=True)] == names


def test_the_layout_is_checked_when_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "坏"
    shutil.copytree(FIXTURE, folder)
    prof = folder / "profiles" / "test-sh-ah.toml"
    text = prof.read_text(encoding="utf-8")
    prof.write_text(text.replace("{项目类别}", "{项目类型}").replace('label = "权重"', 'lable = "权重"'),
                    encoding="utf-8")
    res = run_cli("check", str(folder))
    assert res.code == 1
    assert "PD-C004" in res.out and "{项目类型}" in res.out and "是不是“{项目类别}”？" in res.out
    assert "PD-C001" in res.out and "是不是“label”？" in res.out
    assert "test-sh-ah.toml:" in res.out


SICHUAN = '''# 四川“一体化”导出的扁平表：每个指标一行，左边是单位、项目、预算数、年度目标（纵向合并）
id = "flat-export"
extends = "mof2015"
replace = ["fields", "columns", "sums", "layout"]
title = "部门预算项目绩效目标申报表"
subtitle = "（{年度}年度）"
title_field = "项目名称"
money_unit = "元"
budget_field = "预算数"

[page]
above = ["金额单位：{$金额单位}"]

[layout]
header = """
{$表名}{$副标题} *12 title
"""

[[fields]]
key = "年度"
type = "year"
show = false
[[fields]]
key = "单位名称"
[[fields]]
key = "项目名称"
[[fields]]
key = "预算数"
type = "money"
[[fields]]
key = "年度目标"

[[columns]]
key = "单位名称"
field = "单位名称"
[[columns]]
key = "项目名称"
field = "项目名称"
[[columns]]
key = "预算数"
field = "预算数"
[[columns]]
key = "年度目标"
field = "年度目标"
[[columns]]
key = "level1"
label = "一级指标"
[[columns]]
key = "level2"
label = "二级指标"
[[columns]]
key = "name"
label = "三级指标"
[[columns]]
key = "op"
label = "指标性质"
[[columns]]
key = "value"
label = "指标值"
[[columns]]
key = "unit"
label = "度量单位"
[[columns]]
key = "权重"
[[columns]]
key = "指标方向性"
'''


def test_flat_export_layout_from_one_toml(tmp_path: Path) -> None:
    folder = tmp_path / "井研"
    (folder / "profiles").mkdir(parents=True)
    (folder / "profiles" / "flat.toml").write_text(SICHUAN, encoding="utf-8")
    (folder / "a.perf").write_text(
        "项目 乡村振兴项目 {\n  模板: flat-export\n  年度: 2023\n  单位名称: 820001-井研县马踏镇人民政府\n"
        "  预算数: 300000.00\n  年度目标: 完成村道维护\n"
        "  产出.数量.行政村数量 >= 11 个 [权重: 40] [指标方向性: 正向指标]\n"
        "  产出.质量.验收合格率 = 100 % [权重: 30] [指标方向性: 正向指标]\n"
        "  效益.社会效益.群众出行条件 定性 改善 [权重: 10]\n"
        "  满意度.满意度.群众满意度 >= 90 % [权重: 10] [指标方向性: 正向指标]\n}\n", encoding="utf-8")
    res = run_cli("build", str(folder), "--to", "docx,xlsx", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    grid = tables((tmp_path / "out" / "井研.docx").read_bytes())[0]
    left = ["820001-井研县马踏镇人民政府", "乡村振兴项目", "300000.00", "完成村道维护"]
    assert grid[0] == ["部门预算项目绩效目标申报表（2023年度）"] * 12
    assert [c.replace("\n", "") for c in grid[1]] == ["单位名称", "项目名称", "预算数", "年度目标", "一级指标", "二级指标",
                                                      "三级指标", "指标性质", "指标值", "度量单位", "权重", "指标方向性"]
    assert [r[:4] for r in grid[2:]] == [left] * 4  # merged down every indicator row
    def flat(row: list[str]) -> list[str]:
        return [c.replace("\n", "") for c in row]

    assert flat(grid[2][4:]) == ["产出指标", "数量指标", "行政村数量", "≥", "11", "个", "40", "正向指标"]
    assert flat(grid[4][4:]) == ["效益指标", "社会效益指标", "群众出行条件", "定性", "改善", "", "10", ""]
    blocks = structure((tmp_path / "out" / "井研.docx").read_bytes())["blocks"]
    assert blocks[0] == {"p": "金额单位：元", "style": "PerfdslText", "page_break": False}
    assert len(grid) == 6  # no header rows repeat the fields shown in the columns


def test_page_settings_come_from_the_profile(tmp_path: Path) -> None:
    folder = tmp_path / "横向"
    shutil.copytree(FIXTURE, folder)
    prof = folder / "profiles" / "test-sh-ah.toml"
    prof.write_text(prof.read_text(encoding="utf-8").replace(
        '[page]\n', '[page]\norientation = "landscape"\nmargins = [2.0, 1.5, 2.0, 1.5]\nfooter = ""\n'), encoding="utf-8")
    res = run_cli("build", str(folder), "--to", "docx", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    with zipfile.ZipFile(tmp_path / "out" / "横向.docx") as zf:
        doc = zf.read("word/document.xml").decode()
    sect = doc[doc.rindex("<w:sectPr>"):]
    assert '<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>' in sect
    assert 'w:left="850"' in sect and 'w:top="1134"' in sect
    assert "footerReference" not in sect  # no page footer
    grid = doc[doc.index("<w:tblGrid>"):doc.index("</w:tblGrid>")]
    widths = [int(w) for w in re.findall(r'w:w="(\d+)"', grid)]
    assert sum(widths) == 16838 - 2 * 850  # the table fills the landscape text width


def test_a_column_printed_as_the_form_prints_it(tmp_path: Path) -> None:
    """`[指标值类型: 定量]` beside a 定性 value names the 指标值类型 column by its label: the
    cell prints that text (Hunan's form does), where it used to be dropped silently."""
    folder = tmp_path / "湖南"
    folder.mkdir()
    (folder / "a.perf").write_text(
        "部门整体 某中心 {\n  模板: hunan-dept\n  年度: 2023\n  职责: 负责价格认定工作\n  年度总体绩效目标: 做好工作。\n"
        "  产出.时效.工作安排时间 定性 按月安排 [指标值类型: 定量]\n  产出.质量.到位率 = 100 %\n"
        "  效益.社会效益.保证正常运转 定性 应保尽保\n  满意度.满意度.满意度 >= 90 %\n}\n", encoding="utf-8")
    res = run_cli("build", str(folder), "--to", "docx", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    grid = tables(next((tmp_path / "out").glob("*.docx")).read_bytes())[0]
    rows = {r[2]: r[3:6] for r in grid if len(r) == 9}
    assert rows["工作安排时间"] == ["定量", "按月安排", ""]  # printed as written in [指标值类型: …]
    assert rows["到位率"] == ["定量", "100", "%"]  # this form prints = as 定量
    assert rows["保证正常运转"] == ["定性", "应保尽保", ""]
    assert rows["满意度"] == ["≥", "90", "%"]  # other operators are not lost
