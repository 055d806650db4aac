"""XLSX backend: form sheets, the flat 指标清单 sheet, no formulas from text, reproducible bytes,
the embedded JSON. Workbooks are read back with openpyxl, as a person's Excel would."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from perfdsl.api import check_paths
from perfdsl.backends import RenderOptions, jsonout, xlsx
from perfdsl.cli import main

from conftest import run_cli

SEED = Path(__file__).resolve().parent.parent / "examples" / "ningxian-2025"


def _build(tmp_path: Path, src: Path | str, name: str = "out") -> Path:
    out = tmp_path / name
    assert main(["build", str(src), "--to", "xlsx", "-o", str(out), "--allow-errors"]) == 0
    files = list(out.glob("*.xlsx"))
    assert len(files) == 1
    return files[0]


def _seed_set():
    res = check_paths([str(SEED)])
    return res.sets[0].dset


def test_seed_workbook_sheets_and_flat_sheet_hold_every_indicator(tmp_path: Path) -> None:
    path = _build(tmp_path, SEED)
    wb = openpyxl.load_workbook(path)
    dset = _seed_set()
    assert wb.sheetnames[0] == "部门整体"
    assert "指标清单" in wb.sheetnames
    assert wb["_perfdsl"].sheet_state == "veryHidden"
    assert len([n for n in wb.sheetnames if n not in ("指标清单", "_perfdsl")]) == len(dset.declarations)
    flat = wb["指标清单"]
    rows = list(flat.iter_rows(values_only=True))
    assert rows[0][:9] == xlsx.FLAT_COLUMNS
    assert not flat.merged_cells.ranges
    expected = [(d.title, i.level1, i.level2, i.name) for d in dset.declarations for i in d.ordered_indicators()]
    assert [tuple(r[:4]) for r in rows[1:]] == expected
    # numbers are numeric cells with the written decimals
    by_name = {r[3]: r for r in rows[1:]}
    cells = {c.value: c for c in flat["F"] if isinstance(c.value, (int, float))}
    assert by_name["养老保险标准"][5] == pytest.approx(3.84)
    assert cells[3.84].number_format == "0.00"
    assert cells[322.5].number_format == "0.0"
    assert by_name["厂长经理生活补助标准"][5] == "500-1940"  # a range stays text
    assert by_name["财务管理制度健全性"][4:6] == ("定性", "健全")
    assert by_name["待遇发放及时性"][8] == "按月发放"


def test_form_sheet_merges_like_the_printed_form(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(_build(tmp_path, SEED))
    ws = wb["部门整体"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    title_row = [c.value for c in ws[1]]
    assert title_row[0] == "宁县社会保险局整体绩效目标申报表"
    assert "A1:H1" in merged
    # the indicator heading, and 部门管理 merged vertically over its ten rows
    head = next(r for r in ws.iter_rows() if r[0].value == "一级指标")
    first = head[0].row + 1
    assert ws.cell(first, 1).value == "部门管理"
    assert f"A{first}:A{first + 9}" in merged
    assert ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0  # fit to width
    assert ws.cell(first, 1).font.name == "宋体"
    assert ws.cell(first, 1).border.left.style == "thin"


def test_reproducible_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = _build(tmp_path, SEED, "a").read_bytes()
    b = _build(tmp_path, SEED, "b").read_bytes()
    assert a == b
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    c = _build(tmp_path, SEED, "c").read_bytes()
    d = _build(tmp_path, SEED, "d").read_bytes()
    assert c == d and c != a


INJECT = '''项目 "=HYPERLINK(""x"")" {
  模板: mof2021
  项目名称: "=HYPERLINK(\\"http://evil.example\\",\\"点我\\")"
  主管部门: "+1+1"
  实施单位: "@SUM(1,2)"
  年度目标:
    - "-2+3"
  成本.经济成本."=HYPERLINK(\\"x\\")" <= 10 万元
  产出.数量."+cmd|' /C calc'!A0" = 1 个
  效益.社会效益."@SUM(A1:A2)" 定性 "=1+1"
  满意度.服务对象满意度."-1+1" >= 90 %
}
'''


def test_no_text_becomes_a_formula(tmp_path: Path) -> None:
    src = tmp_path / "inject.perf"
    src.write_text(INJECT.replace('"=HYPERLINK(""x"")"', "注入测试"), encoding="utf-8")
    res = check_paths([str(src)])
    assert not res.has_errors, [d.message for d in res.diagnostics]
    path = _build(tmp_path, src)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name), name
    wb = openpyxl.load_workbook(path)
    texts = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for s in ('=HYPERLINK("x")', "+cmd|' /C calc'!A0", "@SUM(A1:A2)", "=1+1", "-1+1",
              '=HYPERLINK("http://evil.example","点我")', "+1+1", "@SUM(1,2)"):
        assert s in texts, s
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)


def test_embedded_json_is_exact_and_chunked(tmp_path: Path) -> None:
    long = "很长的说明" * 9000  # 45,000 characters: the JSON needs several cells
    src = tmp_path / "long.perf"
    src.write_text(
        "项目 长文本 {\n  模板: mof2021\n  项目名称: 长文本\n  主管部门: 某局\n  实施单位: 某局\n"
        f"  项目属性: {long}\n  年度目标:\n    - 目标\n"
        "  成本.经济成本.成本控制数 <= 100.00 万元\n  产出.数量.人数 >= 1 人\n"
        "  效益.社会效益.效果 定性 好\n  满意度.服务对象满意度.满意度 >= 90 %\n}\n", encoding="utf-8")
    dset = check_paths([str(src)]).sets[0].dset
    data = xlsx.render(dset, RenderOptions())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = [list(r) for r in wb["_perfdsl"].iter_rows(values_only=True, max_col=3)]
    assert rows[0][2] >= 2
    assert all(len(r[0]) <= xlsx.CHUNK for r in rows[1:])
    back = xlsx.embedded_json_from_rows(rows)
    assert back == jsonout.render(dset)
    assert json.loads(back)["declarations"][0]["indicators"][0]["target"]["value"] == "100.00"
    cell = next(c for c in wb["指标清单"]["F"] if isinstance(c.value, (int, float)))
    assert cell.number_format == "0.00"


def test_sheet_names_are_legal_and_unique() -> None:
    taken: set[str] = set()
    a = xlsx.sheet_name("项目[一]:*?/\\" + "很" * 40, taken)
    b = xlsx.sheet_name("项目[一]:*?/\\" + "很" * 40, taken)
    assert len(a) <= 31 and len(b) <= 31 and a != b
    assert not set("[]:*?/\\") & set(a)
    assert xlsx.sheet_name("指标清单", taken) != "指标清单"


def test_fasp2_dialect_splits_ranges_and_uses_system_operators(tmp_path: Path) -> None:

    res = run_cli("build", str(SEED), "--to", "xlsx", "--dialect", "fasp2", "-o", str(tmp_path / "f"))
    assert res.code == 0, res.text
    wb = openpyxl.load_workbook(next((tmp_path / "f").glob("*.xlsx")))
    rows = [tuple(c.value for c in r) for r in wb["指标清单"].iter_rows(min_row=2)]
    by_name = {r[3]: r for r in rows}
    assert by_name["厂长经理生活补助标准（下限）"][4:7] == ("≥", 500, "元")
    assert by_name["厂长经理生活补助标准（上限）"][4:7] == ("≤", 1940, "元")
    assert "厂长经理生活补助标准" not in by_name
    assert by_name["享受待遇人数"][4] == "≥" and by_name["资金发放覆盖率"][4] == "＝"
    assert not [r for r in rows if isinstance(r[5], str) and "-" in r[5]]  # FASP2 rejects "-" in 指标值
    # the native flat sheet keeps the range as written
    native = openpyxl.load_workbook(_build(tmp_path, SEED, "n"))
    names = {r[3].value: r for r in native["指标清单"].iter_rows(min_row=2)}
    assert names["厂长经理生活补助标准"][5].value == "500-1940"


def test_flat_sheet_uses_the_profile_labels_and_numeric_weights(tmp_path: Path) -> None:
    # issue #14 item 13: weights as numbers, the profile's column labels, no empty note columns
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.perf").write_text((SEED / "01-企业职工养老保险县级财政补助资金.perf").read_text(encoding="utf-8"),
                                encoding="utf-8")
    wb = openpyxl.load_workbook(_build(tmp_path, src))
    heads = [c.value for c in wb["指标清单"][1]]
    assert heads == ["表/项目名称", "一级指标", "二级指标", "三级指标", "指标值类型", "目标值", "度量单位", "指标值内容", "备注"]
    mof = tmp_path / "mof"
    mof.mkdir()
    (mof / "b.perf").write_text(
        "项目 测试项目 {\n  模板: mof2021\n  主管部门: 测试局\n  实施单位: 测试中心\n  年度目标:\n    - 完成年度任务\n"
        "  成本.经济成本.成本控制数 <= 10 万元 [权重: 20]\n  产出.数量.服务人数 >= 100 人 [权重: 30.5]\n"
        "  效益.社会效益.群众获得感 定性 提高 [权重: 19.5]\n"
        "  满意度.服务对象满意度.服务对象满意度 >= 90 % [权重: 30]\n}\n", encoding="utf-8")
    wb = openpyxl.load_workbook(_build(tmp_path, mof, "o2"))
    flat = wb["指标清单"]
    assert [c.value for c in flat[1]] == ["表/项目名称", "一级指标", "二级指标", "三级指标", "指标值类型", "指标值", "度量单位",
                                          "权重"]
    weights = [r[7].value for r in flat.iter_rows(min_row=2)]
    assert weights == [20, 30.5, 19.5, 30] and flat.cell(3, 8).number_format == "0.0"
    form = wb[wb.sheetnames[0]]
    cells = [c for row in form.iter_rows() for c in row if isinstance(c.value, int | float)]
    assert {c.value for c in cells} >= {20, 30.5, 19.5, 30}  # the form sheet's 权重 column too


def test_flat_list_always_names_the_operator_and_imports_back_without_warnings(tmp_path: Path) -> None:
    # 安徽's form prints "=" as nothing (`100%`); the machine-read 指标清单 must still say "＝", and
    # perfdsl's own workbook, read from its visible sheets, raises no false "不一致"/"重复" warnings.
    import openpyxl

    src = Path(__file__).resolve().parent.parent / "examples" / "anhui-jinan-2025"
    out = tmp_path / "out"
    assert run_cli("build", str(src), "--to", "xlsx", "-o", str(out)).code == 0
    (book,) = out.glob("*.xlsx")
    rows = list(openpyxl.load_workbook(book)["指标清单"].iter_rows(min_row=2, values_only=True))
    assert rows and all(r[4] for r in rows)
    assert ("经费支出合规率", "＝", 100, "%") in [(r[3], r[4], r[5], r[6]) for r in rows]
    res = run_cli("import", str(book), "--ignore-embedded", "-o", str(tmp_path / "back.perf"))
    assert res.code == 0, res.err
    assert "警告" not in res.err
    diff = run_cli("diff", str(next(src.glob("*.perf"))), str(tmp_path / "back.perf"))
    assert "没有变化" in diff.out
