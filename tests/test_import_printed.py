"""Import reads back what the form prints, and only that (issue: real forms §1, §2).

- the check "were the tables edited after generation?" compares only what the profile's
  layout prints (backends/layout_grid): a field printed nowhere cannot differ there;
- a field printed nowhere is named in one line when importing from the tables alone;
- an empty typed value inside fixed text (`{近两年.第一年}年` prints 年) reads back empty;
- indicator cells as a form prints them: `*指标解释` column labels, a 定量 type cell beside a
  text value, a value whose unit conflicts with the unit cell.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

from perfdsl.importer import import_bytes

from conftest import ROOT, run_cli

HUBEI = """部门整体 测试单位 {
  模板: hubei-dept
  年度: 2024
  填报人: 张三
  部门职能概述: 负责测试
}
"""


def _docx(tmp_path: Path) -> Path:
    src = tmp_path / "a.perf"
    src.write_text(HUBEI, encoding="utf-8")
    res = run_cli("build", str(src), "--to", "docx", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    return next((tmp_path / "out").glob("*.docx"))


def _edit_docx(path: Path, old: str, new: str) -> None:
    """Change a visible cell's text as a person would in Word (the embedded data stays)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            zout.writestr(item, data)
    path.write_bytes(buf.getvalue())


def test_a_field_printed_nowhere_is_not_an_edit(tmp_path: Path) -> None:
    res = import_bytes(_docx(tmp_path).read_bytes(), "a.docx")
    assert res.exact, res.warnings  # 年度 is in the embedded data only: not a difference
    assert "年度: 2024" in res.text
    assert not res.warnings


def test_an_edit_of_a_printed_field_is_still_seen(tmp_path: Path) -> None:
    path = _docx(tmp_path)
    _edit_docx(path, "张三", "李四")
    res = import_bytes(path.read_bytes(), "a.docx")
    assert not res.exact
    assert any("生成后被修改过（表格与内嵌数据有 2 处不同）" in w for w in res.warnings), res.warnings
    assert "填报人: 李四" in res.text


def test_fields_printed_nowhere_are_named_when_reading_the_tables(tmp_path: Path) -> None:
    path = _docx(tmp_path)
    out = tmp_path / "b.perf"
    res = run_cli("import", str(path), "--ignore-embedded", "--profile", "hubei-dept", "-o", str(out))
    assert res.code == 0, res.text
    line = f"{path.name}：模板“hubei-dept”的表样没有印出字段“年度”，表格中读不到，未导入；如需要，请在导入后的文本中补上"
    assert res.text.count(line) == 1, res.text
    text = out.read_text(encoding="utf-8")
    assert "年度:" not in text.replace("年度工作任务", "").replace("年度绩效目标", "")
    assert "填报人: 张三" in text


def test_no_such_line_when_the_form_prints_every_field(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("build", str(ROOT / "examples" / "hunan-yueyanglou-2023"), "--to", "docx", "-o", str(out)).code == 0
    path = next(out.glob("*.docx"))
    res = import_bytes(path.read_bytes(), "a.docx", profile="hunan-dept", use_embedded=False)
    assert not [w for w in res.warnings if "没有印出字段" in w], res.warnings
    assert "年度: 2023" in res.text  # printed in its title


def test_an_empty_year_inside_fixed_text_reads_back_empty(tmp_path: Path) -> None:
    # hubei-dept prints `{近两年.第一年}年` as a heading cell: empty, it shows just 年
    res = import_bytes(_docx(tmp_path).read_bytes(), "a.docx", profile="hubei-dept", use_embedded=False)
    assert "年: 年" not in res.text
    assert not [w for w in res.warnings if "未能对应" in w], res.warnings


def _sheet(rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEAD = ["一级指标", "二级指标", "三级指标", "指标值类型", "*指标值", "计量单位", "*指标解释", "*评(扣)分标准"]


def test_column_labels_lose_the_forms_required_marks() -> None:
    res = import_bytes(_sheet([HEAD, ["产出指标", "质量指标", "到位率", "定量", "100", "%", "考察到位", "酌情扣分"]]),
                       "x.xlsx", profile="hunan-dept")
    assert "质量指标.到位率 = 100 % [指标解释: 考察到位] [评(扣)分标准: 酌情扣分]" in res.text
    assert "[*" not in res.text


def test_a_type_cell_saying_定量_beside_a_text_value_is_kept() -> None:
    res = import_bytes(_sheet([HEAD, ["产出指标", "时效指标", "安排时间", "定量", "按月安排", "", "", ""],
                               ["效益指标", "社会效益指标", "正常运转", "定性", "应保尽保", "%", "", ""]]),
                       "x.xlsx", profile="hunan-dept")
    assert "时效指标.安排时间 定性 按月安排 [指标值类型: 定量]\n" in res.text
    assert "社会效益指标.正常运转 定性 应保尽保 [度量单位: %]\n" in res.text  # 定性 is what the form prints


def test_a_value_whose_unit_conflicts_with_the_unit_cell_is_kept_as_printed() -> None:
    res = import_bytes(_sheet([HEAD, ["产出指标", "数量指标", "支出金额", "定量", "28.8万元", "%", "", ""]]),
                       "x.xlsx", profile="hunan-dept")
    assert "数量指标.支出金额 定性 28.8万元 [指标值类型: 定量] [度量单位: %]\n" in res.text
    assert any("“28.8万元”中的单位与度量单位“%”不一致，已照原样作为文字导入" in w for w in res.warnings)
