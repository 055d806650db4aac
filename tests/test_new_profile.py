"""Issue 12 §3: `perfdsl import FORM --new-profile NAME` learns a profile from a form of a
layout no profile describes, and building the imported text with it reproduces the form.

The three forms are built by hand here, modelled on published forms collected in
tests/fixtures/forms (Anhui 金寨 2021 older project form, Hubei 广水 department header
with three label/value pairs on a row, Hunan 岳阳楼区 nine-column department form). Each
is imported with --new-profile, the text is built with the written profile, and the
built table is compared with the form's table cell by cell: texts (whitespace aside:
labels are re-broken to fit their cells) and merged areas.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perfdsl.importer import grid, safety
from perfdsl.importer.values import squash
from perfdsl.profiles import tomllib

from conftest import run_cli


def _docx(path: Path, above: list[str], rows: list[list[str]], merges: list[tuple[int, int, int, int]],
          below: list[str] = ()) -> None:  # type: ignore[assignment]
    import docx

    d = docx.Document()
    for p in above:
        d.add_paragraph(p)
    ncols = max(len(r) for r in rows)
    t = d.add_table(rows=len(rows), cols=ncols)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v:
                t.cell(r, c).text = v
    for r0, c0, r1, c1 in merges:
        t.cell(r0, c0).merge(t.cell(r1, c1))
    for p in below:
        d.add_paragraph(p)
    d.save(str(path))


def _xlsx(path: Path, rows: list[list[str]], merges: list[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "整体绩效目标表"
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    wb.save(str(path))


def jinzhai(path: Path) -> None:
    """Anhui 金寨 2021: title and （2021年度） above the table, 项目资金（万元） down three
    rows beside its labels, 年度目标 on a row of its own above its text, a vertical
    绩效指标 side label, one glued 指标值 column, notes under the table."""
    rows = [
        ["项目名称", "开发区安置小区物业管理", "", "", ""],
        ["主管部门", "县财政局", "实施单位", "开发区管委会", ""],
        ["项目资金（万元）", "年度资金总额：", "1125", "", ""],
        ["", "其中：财政拨款", "1125", "", ""],
        ["", "其他资金", "", "", ""],
        ["年度目标", "", "", "", ""],
        ["完成开发区安置小区物业费清算任务，指导小区物业开展文明创建等工作。", "", "", "", ""],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"],
        ["", "产出指标", "数量指标", "安置小区物业费", "8个"],
        ["", "", "质量指标", "物业管理到位率", "≥95%"],
        ["", "", "时效指标", "完成时间", "2021年全年"],
        ["", "", "成本指标", "项目总成本", "≤1125万元"],
        ["", "效益指标", "社会效益指标", "小区生活质量", "显著改善"],
        ["", "满意度指标", "服务对象满意度指标", "小区居民满意度", "≥90%"],
    ]
    merges = [(0, 1, 0, 4), (1, 3, 1, 4), (2, 0, 4, 0), (2, 2, 2, 4), (3, 2, 3, 4), (4, 2, 4, 4),
              (5, 0, 5, 4), (6, 0, 6, 4), (7, 0, 13, 0), (8, 1, 11, 1)]
    _docx(path, ["项目支出绩效目标申报表", "（2021年度）"], rows, merges,
          ["注：1.“其他资金”是指与财政拨款共同用于同一项目的单位自有资金、社会资金等。"])


def guangshui(path: Path) -> None:
    """Hubei 广水 department form: three label/value pairs on one row, a money block
    (部门总体资金情况（万元）) down three rows with two pairs per row, separate
    指标值类型 / 指标值 / 度量单位 columns."""
    rows = [
        ["部门（单位）名称", "广水市人民政府办公室", "填报人", "南春锋", "联系电话", "6296906"],
        ["部门总体资金情况（万元）", "财政拨款", "968.1918", "其他资金", "0", ""],
        ["", "基本支出", "724.2318", "项目支出", "243.96", ""],
        ["", "收入合计", "968.1918", "支出合计", "968.1918", ""],
        ["部门职能概述", "1.负责市政府日常政务工作。\n2.协助市政府领导处理政务事项。", "", "", "", ""],
        ["年度绩效目标", "保障机关正常运转，按时办理文件和会议。", "", "", "", ""],
        ["一级指标", "二级指标", "三级指标", "指标值类型", "指标值", "度量单位"],
        ["产出指标", "数量指标", "办理文件数", "≥", "3000", "件"],
        ["", "质量指标", "文件办理准确率", "＝", "100", "%"],
        ["效益指标", "社会效益指标", "政务服务水平", "定性", "明显提升", ""],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", "90", "%"],
    ]
    merges = [(1, 0, 3, 0), (1, 4, 1, 5), (2, 4, 2, 5), (3, 4, 3, 5), (4, 1, 4, 5), (5, 1, 5, 5), (7, 0, 8, 0)]
    _docx(path, ["部门整体支出绩效目标申报表"], rows, merges)


def yueyanglou(path: Path) -> None:
    """Hunan 岳阳楼区 department form, nine columns, in Excel: the title inside the sheet,
    labels marked `*`, a 绩效指标 sub-heading across the sheet, 定量/定性 instead of
    operators, three extra columns."""
    t = "岳阳楼区档案馆2023年度整体绩效目标表"
    rows = [
        [t] + [""] * 8,
        ["部门(单位)名称", "岳阳楼区档案馆"] + [""] * 7,
        ["*部门(单位)职责", "负责全区档案的接收、保管和利用。"] + [""] * 7,
        ["*年度总体绩效目标", "完成年度档案接收任务，保障档案安全。"] + [""] * 7,
        ["绩效指标"] + [""] * 8,
        ["一级指标", "二级指标", "三级指标", "指标值类型", "*指标值", "计量单位", "*指标解释", "*评(扣)分标准", "备注"],
        ["产出指标", "数量指标", "接收档案数量", "定量", "2000", "卷", "考察档案接收情况", "未达指标值酌情扣分", ""],
        ["", "质量指标", "档案完好率", "定量", "100", "%", "考察档案保管情况", "未达指标值酌情扣分", ""],
        ["", "时效指标", "工作安排时间", "定性", "按月安排", "", "考察工作安排时间", "未达指标值酌情扣分", ""],
        ["效益指标", "社会效益指标", "保证单位正常运转", "定性", "应保尽保", "", "考察单位运转保障", "未达指标值酌情扣分", "无"],
        ["满意度指标", "服务对象满意度指标", "查档群众满意度", "定量", "90", "%", "考察群众满意度", "未达指标值酌情扣分", ""],
    ]
    merges = ["A1:I1", "B2:I2", "B3:I3", "B4:I4", "A5:I5", "A7:A9"]
    _xlsx(path, rows, merges)


def _table(path: Path) -> list[list[tuple[str, tuple[int, int]]]]:
    data = path.read_bytes()
    kind = "docx" if path.suffix == ".docx" else "xlsx"
    parts = safety.open_package(data, kind, path.name)
    if kind == "docx":
        book = grid.read_docx(parts, path.name)
    else:
        book = grid.read_xlsx(parts, path.name)[0]
    t = book.tables[0]
    return [[(squash(g.text), g.origin) for g in row] for row in t.rows]


FORMS = {"jinzhai": (jinzhai, "docx"), "guangshui": (guangshui, "docx"), "yueyanglou": (yueyanglou, "xlsx")}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_new_profile_reproduces_the_form(tmp_path: Path, form: str) -> None:
    make, fmt = FORMS[form]
    src = tmp_path / f"{form}.{fmt}"
    make(src)
    target = tmp_path / "work" / f"{form}.perf"
    res = run_cli("import", str(src), "--new-profile", f"learned-{form}", "-o", str(target))
    assert res.code == 0, res.text
    assert "推测：" in res.err  # it says what it guessed
    prof = tmp_path / "work" / "profiles" / f"learned-{form}.toml"
    data = tomllib.loads(prof.read_text(encoding="utf-8"))
    assert data["id"] == f"learned-{form}"
    text = target.read_text(encoding="utf-8")
    assert "请人工核对" not in text, text
    assert f"模板: learned-{form}" in text
    res = run_cli("check", str(target))
    assert res.code == 0, res.text
    res = run_cli("build", str(target), "--to", fmt, "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    built = next((tmp_path / "out").glob(f"*.{fmt}"))
    want, got = _table(src), _table(built)
    assert len(got) == len(want)
    for r, (a, b) in enumerate(zip(want, got, strict=True)):
        assert b == a, (r, a, b)


def test_new_profile_refuses_to_overwrite_a_profile(tmp_path: Path) -> None:
    src = tmp_path / "f.docx"
    jinzhai(src)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "mine.toml").write_text("id = 'mine'\n", encoding="utf-8")
    res = run_cli("import", str(src), "--new-profile", "mine", "-o", str(tmp_path / "f.perf"))
    assert res.code == 2 and "已存在" in res.err
    assert not (tmp_path / "f.perf").exists()
