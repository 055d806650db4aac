"""`perfdsl import`: round trips through DOCX/XLSX, files made outside perfdsl in other
provinces' layouts (with python-docx/openpyxl directly), and hostile files."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfdsl import ast
from perfdsl.api import check_paths
from perfdsl.backends import RenderOptions, jsonout
from perfdsl.cli import main
from perfdsl.importer import ImportFailure, import_bytes
from perfdsl.printer import format_document

SEED = Path(__file__).resolve().parent.parent / "examples" / "ningxian-2025"


def _model(path: Path) -> dict:
    res = check_paths([str(path)])
    data = json.loads(jsonout.render(res.sets[0].dset))
    data.pop("name")
    return data


def _indicators(model: dict) -> list:
    return [(d["kind"], d["title"], d["indicators"]) for d in model["declarations"]]


def _build(tmp_path: Path, fmt: str) -> Path:
    out = tmp_path / fmt
    assert main(["build", str(SEED), "--to", fmt, "-o", str(out)]) == 0
    return next(out.glob(f"*.{fmt}"))


def _import(tmp_path: Path, src: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / (src.stem + "-" + src.suffix[1:] + "-".join(extra).replace("-", "") + ".perf")
    code = main(["import", str(src), "-o", str(out), *extra])
    return code, out


# ----------------------------------------------------------------------------------------
# Round trips
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_seed_round_trips_exactly(tmp_path: Path, fmt: str) -> None:
    code, out = _import(tmp_path, _build(tmp_path, fmt))
    assert code == 0
    assert _model(out) == _model(SEED)
    text = out.read_text(encoding="utf-8")
    from perfdsl.formatter import format_source

    formatted, diags = format_source(text, str(out))
    assert formatted == text, diags  # imported text passes the formatter unchanged


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_seed_layout_only_import_gets_values_operators_units(tmp_path: Path, fmt: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _import(tmp_path, _build(tmp_path, fmt), "--ignore-embedded")
    assert code == 0
    assert _indicators(_model(out)) == _indicators(_model(SEED))
    got = _model(out)["declarations"][0]
    fields = {f["key"]: f for f in got["fields"]}
    assert fields["直属单位.名单"]["items"] == ["机关事业单位基本养老保险服务中心"]
    assert fields["内设职能部门.数量"]["text"] == "8"
    assert fields["预算情况.基本支出.合计"]["text"] == "322.5"
    assert fields["预算情况.项目支出.合计"]["text"] == "9081.13"
    assert len(fields["职能"]["items"]) == 6
    # the waiver is not in the form: check now reports the seed's real budget mismatch
    capsys.readouterr()
    assert main(["check", str(out)]) == 1
    cap = capsys.readouterr()
    assert "PD-M001" in cap.out + cap.err
    res = check_paths([str(out)])
    assert any(d.code == "PD-M001" and not d.waived for d in res.diagnostics)


NAMES = st.text(alphabet="资金人数率发放标准=+-@（）", min_size=1, max_size=8).filter(lambda s: s.strip() == s)
UNITS = st.sampled_from([None, "%", "万元", "人", "元/人.年", "个"])
NUMS = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def targets(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["eq", "ge", "le", "qual", "range"]))
    if kind == "qual":
        return ast.Qualitative(ast.Text(draw(st.sampled_from(["健全", "规范", "按月发放", "2025年年底前"]))))
    unit = draw(UNITS)
    if kind == "range":
        lo = draw(NUMS)
        hi = lo + draw(st.integers(1, 500))
        return ast.Range(ast.Quantity(format(lo, "f"), lo), ast.Quantity(format(hi, "f"), hi, unit))
    v = draw(NUMS)
    return ast.Comparison(kind, ast.Quantity(format(v, "f"), v, unit))


PAIRS = [("成本", "经济成本"), ("产出", "数量"), ("产出", "质量"), ("效益", "社会效益"), ("满意度", "服务对象满意度")]


@st.composite
def documents(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 6))
    names = draw(st.lists(NAMES, min_size=n, max_size=n, unique=True))
    inds = []
    for name in names:
        l1, l2 = draw(st.sampled_from(PAIRS))
        seg = lambda *p: ast.Path(tuple(ast.Segment(x) for x in p))  # noqa: E731
        inds.append(ast.Indicator(seg(l1, l2, name), draw(targets())))

    def f(k: str, v: str) -> ast.Field:
        return ast.Field(ast.Path((ast.Segment(k),)), ast.Text(v))

    body = (f("模板", "mof2021"), f("项目名称", "测试项目"), f("主管部门", "某局"), f("实施单位", "某局"), *inds)
    return ast.Document("gen.perf", (ast.Declaration("project", "测试项目", body),))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents(), fmt=st.sampled_from(["xlsx", "docx"]))
def test_property_generated_declarations_round_trip(tmp_path: Path, doc: ast.Document, fmt: str) -> None:
    from perfdsl.backends import get_backend

    src = tmp_path / "gen.perf"
    src.write_text(format_document(doc), encoding="utf-8")
    res = check_paths([str(src)])
    dset = res.sets[0].dset
    data = get_backend(fmt).render(dset, RenderOptions())
    want = json.loads(jsonout.render(dset))
    want.pop("name")
    exact = import_bytes(data, f"gen.{fmt}")
    assert exact.exact
    (tmp_path / "back.perf").write_text(exact.text, encoding="utf-8")
    back = json.loads(jsonout.render(check_paths([str(tmp_path / "back.perf")]).sets[0].dset))
    back.pop("name")
    assert back == want
    layout = import_bytes(data, f"gen.{fmt}", use_embedded=False)
    (tmp_path / "layout.perf").write_text(layout.text, encoding="utf-8")
    got = json.loads(jsonout.render(check_paths([str(tmp_path / "layout.perf")]).sets[0].dset))
    # the printed form groups indicators by 一级/二级, so compare without order
    def key(i: dict) -> str:
        return json.dumps(i, sort_keys=True, ensure_ascii=False)

    assert sorted(map(key, got["declarations"][0]["indicators"])) == sorted(
        map(key, want["declarations"][0]["indicators"]))


# ----------------------------------------------------------------------------------------
# Files made outside perfdsl
# ----------------------------------------------------------------------------------------


def _docx_anhui(path: Path) -> None:
    """Anhui 2025 layout: one table, header pairs, then 一级/二级/三级/指标值 with glued values;
    merged 一级 cells, 二级 left blank instead of merged, text split across runs, a line
    break in a cell, full-width ％, an empty row and empty paragraphs."""
    import docx

    d = docx.Document()
    d.add_paragraph("项目支出绩效目标表")
    d.add_paragraph("（2025年度）")
    d.add_paragraph("")
    rows = [
        ("项目名称", "全民健身设施建设", "", ""),
        ("主管部门及代码", "[042]六安市金安区体育局", "实施单位", "金安区体育局"),
        ("项目来源", "本级申报项目", "项目期", "3年"),
        ("年度资金总额", "1000.00", "其中：财政拨款", "1000.00"),
        ("年度目标", "目标1：建设健身路径10条。目标2：群众满意。", "", ""),
    ]
    inds = [
        ("成本指标", "经济成本指标", "项目总成本", "≤1000万元"),
        ("产出指标", "数量指标", "健身路径数量", "10个"),
        ("", "", "器材种类", "1种"),
        ("", "质量指标", "验收合格率", "100％"),
        ("", "时效指标", "完成时间", "2025年年底前"),
        ("效益指标", "社会效益指标", "群众健身条件", "显著改善"),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%"),
    ]
    t = d.add_table(rows=len(rows) + 2 + len(inds), cols=4)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    t.cell(0, 1).merge(t.cell(0, 3))
    t.cell(4, 1).merge(t.cell(4, 3))
    h = len(rows)
    for c, v in enumerate(("一级指标", "二级指标", "三级\n指标", "指标值")):
        t.cell(h, c).text = v
    for i, row in enumerate(inds):
        for c, v in enumerate(row):
            cell = t.cell(h + 1 + i, c)
            if c == 2 and len(v) > 3:  # text split across runs
                p = cell.paragraphs[0]
                p.add_run(v[:2])
                p.add_run(v[2:])
            else:
                cell.text = v
    # 产出指标 merged over its four rows (python-docx merge keeps the first text)
    t.cell(h + 2, 0).merge(t.cell(h + 5, 0))
    t.cell(h + 2, 0).text = "产出指标"
    d.add_paragraph("")
    d.save(str(path))


def test_anhui_docx_glued_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "anhui.docx"
    _docx_anhui(src)
    code, out = _import(tmp_path, src)
    assert code == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "模板: mof2021" in text
    m = _model(out)["declarations"][0]
    got = {i["name"]: i["target"] for i in m["indicators"]}
    assert got["项目总成本"] == {"op": "le", "value": "1000", "unit": "万元"}
    assert got["健身路径数量"] == {"op": "eq", "value": "10", "unit": "个"}
    assert got["器材种类"] == {"op": "eq", "value": "1", "unit": "种"}
    assert got["验收合格率"] == {"op": "eq", "value": "100", "unit": "%"}
    assert got["完成时间"] == {"op": "qual", "text": "2025年年底前", "unit": None}
    assert got["群众满意度"] == {"op": "ge", "value": "95", "unit": "%"}
    levels = {i["name"]: (i["level1"], i["level2"]) for i in m["indicators"]}
    assert levels["器材种类"] == ("产出指标", "数量指标")  # filled down
    assert levels["完成时间"] == ("产出指标", "时效指标")
    fields = {f["key"]: f for f in m["fields"]}
    assert m["title"] == "全民健身设施建设"
    assert fields["年度资金总额"]["text"] == "1000.00"
    assert fields["财政拨款"]["text"] == "1000.00"
    assert fields["年度目标"]["items"] == ["建设健身路径10条。", "群众满意。"]
    assert fields["年度"]["text"] == "2025"
    assert not fields["项目来源"]["known"]  # unknown header field kept
    res = check_paths([str(out)])
    assert "PD-R003" in {d.code for d in res.diagnostics}


def _xlsx_shanghai(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效目标"
    ws["A1"] = "财政项目支出绩效目标申报表"
    ws.merge_cells("A1:D1")
    ws["A2"] = "（2026年度）"
    ws.append(["项目名称", "社区文化活动", None, None])
    ws.append(["主管部门", "某区文旅局", "实施单位", "某区文化馆"])
    ws.append([])
    ws.append(["一级指标", "二级指标", "三级指标", "年度(/项目)指标值"])
    data = [
        ("产出指标", "数量指标", "活动场次", "=100.00(%)"),
        (None, "质量指标", "活动完成率", "≥90.00(%)"),
        (None, "时效指标", "按时完成", "及时"),
        ("效益指标", "社会效益指标", "居民参与度", "提高"),
        ("满意度指标", "服务对象满意度指标", "居民满意度", "≥90.00(%)"),
        ("成本指标", "经济成本指标", "成本", "合理"),
    ]
    for row in data:
        ws.append(list(row))
        r = ws.max_row
        for c in ws[r]:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # openpyxl would otherwise write a formula
    ws.merge_cells(start_row=7, start_column=1, end_row=9, end_column=1)
    wb.save(str(path))


def test_shanghai_xlsx_bracketed_units(tmp_path: Path) -> None:
    src = tmp_path / "shanghai.xlsx"
    _xlsx_shanghai(src)
    code, out = _import(tmp_path, src)
    assert code == 0
    m = _model(out)["declarations"][0]
    got = {i["name"]: i["target"] for i in m["indicators"]}
    assert got["活动场次"] == {"op": "eq", "value": "100.00", "unit": "%"}
    assert got["活动完成率"] == {"op": "ge", "value": "90.00", "unit": "%"}
    assert got["成本"] == {"op": "qual", "text": "合理", "unit": None}
    assert {i["name"]: i["level1"] for i in m["indicators"]}["按时完成"] == "产出指标"
    assert m["title"] == "社区文化活动"


def _xlsx_sichuan(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["部门预算项目绩效目标申报表(2023年度)"])
    ws.append(["金额单位:元"])
    ws.append(["单位名称", "项目名称", "预算数", "年度目标", "一级指标", "二级指标", "三级指标",
               "指标性质", "指标值", "度量单位", "权重", "指标方向性"])
    rows = [
        ("820001-井研县马踏镇人民政府", "村组干部补助", 230000, "保障村组干部报酬", "产出指标", "数量指标",
         "村组干部人数", "≥", 230, "人", 20, "正向指标"),
        ("820001-井研县马踏镇人民政府", "村组干部补助", 230000, "保障村组干部报酬", "产出指标", "成本指标",
         "补助标准", "≤", 1000.5, "元/人·月", 30, "反向指标"),
        ("820001-井研县马踏镇人民政府", "村组干部补助", 230000, "保障村组干部报酬", "效益指标", "社会效益指标",
         "基层治理", "定性", "有效提升", None, 20, "正向指标"),
        ("820001-井研县马踏镇人民政府", "村组干部补助", 230000, "保障村组干部报酬", "满意度指标",
         "服务对象满意度指标", "群众满意度", "≥", 90, "%", 20, "正向指标"),
        ("820001-井研县马踏镇人民政府", "道路维护", 50000, "维护道路", "产出指标", "数量指标",
         "行政村数量", "=", 11, "个", 50, "正向指标"),
    ]
    for r in rows:
        ws.append(list(r))
    ws.cell(5, 9).number_format = "0.00"
    wb.save(str(path))


def test_sichuan_flat_export(tmp_path: Path) -> None:
    src = tmp_path / "sichuan.xlsx"
    _xlsx_sichuan(src)
    code, out = _import(tmp_path, src)
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "[权重: 20]" in text and "[指标方向性: 正向指标]" in text
    m = _model(out)
    titles = [d["title"] for d in m["declarations"]]
    assert titles == ["村组干部补助", "道路维护"]
    first = m["declarations"][0]
    assert first["profile"] == "sichuan-export"  # its layout (issue 12 §1); 成本指标 under 产出指标
    got = {i["name"]: i for i in first["indicators"]}
    assert got["补助标准"]["target"] == {"op": "le", "value": "1000.50", "unit": "元/人·月"}
    assert got["补助标准"]["columns"] == {"权重": "30", "指标方向性": "反向指标"}
    assert got["村组干部人数"]["target"] == {"op": "ge", "value": "230", "unit": "人"}
    assert got["基层治理"]["target"]["op"] == "qual"
    assert {f["key"]: f for f in first["fields"]}["年度目标"]["text"] == "保障村组干部报酬"


def _docx_gansu_separate_columns(path: Path) -> None:
    """The seed's style: separate 指标值类型/目标值/度量单位 columns, made by hand."""
    import docx

    d = docx.Document()
    d.add_paragraph("项目绩效目标表")
    t = d.add_table(rows=3, cols=8)
    for c, v in enumerate(("一级项目名称", "2025年预算县列项目", "二级项目名称", "测试项目")):
        t.cell(0, c).text = v
    for c, v in enumerate(("项目分类", "3 其他项目", "申报属性", "002 延续性（经常性）项目")):
        t.cell(1, c).text = v
    t.cell(2, 0).text = "年度绩效目标"
    t.cell(2, 1).text = "目标1：按时发放。"
    t.cell(2, 1).merge(t.cell(2, 7))
    t2 = d.add_table(rows=5, cols=8)
    for c, v in enumerate(("一级指标", "二级指标", "三级指标", "指标值类型", "目标值", "度量单位", "指标值内容", "备注")):
        t2.cell(0, c).text = v
    data = [
        ("成本指标", "经济成本指标", "补贴标准", "＝", "1250", "元/人.年", "", ""),
        ("产出指标", "数量指标", "享受待遇人数", "≥", "470", "人", "", "按年"),
        ("产出指标", "时效指标", "兑付及时性", "定性", "及时", "", "每年11月份发放", ""),
        ("满意度指标", "服务对象满意度指标", "满意度", "≥", "93", "％", "", ""),
    ]
    for r, row in enumerate(data, start=1):
        for c, v in enumerate(row):
            t2.cell(r, c).text = v
    d.save(str(path))


def test_gansu_separate_columns_docx(tmp_path: Path) -> None:
    src = tmp_path / "gansu.docx"
    _docx_gansu_separate_columns(src)
    code, out = _import(tmp_path, src)
    assert code == 0
    m = _model(out)["declarations"][0]
    assert m["profile"] == "gansu-project"
    got = {i["name"]: i for i in m["indicators"]}
    assert got["补贴标准"]["target"] == {"op": "eq", "value": "1250", "unit": "元/人.年"}
    assert got["满意度"]["target"] == {"op": "ge", "value": "93", "unit": "%"}
    assert got["兑付及时性"]["columns"] == {"指标值内容": "每年11月份发放"}
    assert got["享受待遇人数"]["columns"] == {"备注": "按年"}
    fields = {f["key"]: f for f in m["fields"]}
    assert fields["申报属性"]["text"] == "002 延续性（经常性）项目"  # full-width kept in texts
    assert fields["年度绩效目标"]["items"] == ["按时发放。"]


def test_unmapped_cells_become_comments_and_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["项目名称", "测试"])
    ws.append(["这是一段没有标签的很长的说明文字，写着2025年的一些情况"])
    ws.append(["一级指标", "二级指标", "三级指标", "指标值", None])
    ws.append(["产出指标", "数量指标", "人数", "≥10人", "无表头的内容"])
    ws.append(["注：本表由单位填报，数据截至2025年3月。"])
    src = tmp_path / "odd.xlsx"
    wb.save(str(src))
    code, out = _import(tmp_path, src)
    assert code == 0
    err = capsys.readouterr().err
    assert "工作表“表” 第2行第1列（A2）" in err
    assert "第4行第5列（E4）" in err and "无表头的内容" in err
    assert "注：本表由单位填报" in err
    text = out.read_text(encoding="utf-8")
    assert "# " in text and "无表头的内容" in text and "这是一段没有标签" in text
    assert check_paths([str(out)]).sets[0].dset.declarations[0].indicators[0].target.value == Decimal("10")


def test_not_a_declaration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "年龄"])
    src = tmp_path / "people.xlsx"
    wb.save(str(src))
    code, _ = _import(tmp_path, src)
    assert code == 2
    assert "一级指标" in capsys.readouterr().err


def test_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "s.xlsx"
    _xlsx_shanghai(src)
    target = tmp_path / "s.perf"
    target.write_text("# 我的文件\n", encoding="utf-8")
    assert main(["import", str(src)]) == 2
    assert target.read_text(encoding="utf-8") == "# 我的文件\n"
    assert "--force" in capsys.readouterr().err
    assert main(["import", str(src), "--force"]) == 0
    assert "社区文化活动" in target.read_text(encoding="utf-8")
    assert main(["import", str(src), "--stdout"]) == 0
    assert "社区文化活动" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------
# Hostile files
# ----------------------------------------------------------------------------------------


def _hostile(tmp_path: Path, name: str, data: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    src = tmp_path / name
    src.write_bytes(data)
    code = main(["import", str(src), "--stdout"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _docx_with(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml",
                    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.wordprocessingml.document.main+xml"/></Types>')
        zf.writestr("word/document.xml", document_xml)
        for k, v in (extra or {}).items():
            zf.writestr(k, v)
    return buf.getvalue()


def test_hostile_not_a_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _hostile(tmp_path, "x.docx", b"hello, this is text" * 100, capsys)
    assert "不是 Word" in err


def test_hostile_encrypted_and_legacy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    assert "旧版" in _hostile(tmp_path, "old.xls", ole, capsys)
    enc = ole + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100
    assert "密码" in _hostile(tmp_path, "secret.xlsx", enc, capsys)


def test_hostile_zip_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _docx_with(b"<w:document/>", {"word/bomb.xml": b"\0" * (30 * 1024 * 1024)})
    assert len(data) < 200_000
    assert "压缩炸弹" in _hostile(tmp_path, "bomb.docx", data, capsys)


def test_hostile_xml_entity_is_never_resolved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>')
    err = _hostile(tmp_path, "xxe.docx", _docx_with(xml.encode()), capsys)
    assert "DOCTYPE" in err and "TOP-SECRET" not in err
    # the same in an xlsx
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for n in src.namelist():
            raw = src.read(n)
            if n == "xl/worksheets/sheet1.xml":
                dtd = f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
                raw = raw.replace(b"?>", b"?>" + dtd, 1) if raw.startswith(b"<?xml") else dtd + raw
                assert b"<!DOCTYPE" in raw
            zf.writestr(n, raw)
    err = _hostile(tmp_path, "xxe.xlsx", out.getvalue(), capsys)
    assert "DOCTYPE" in err and "TOP-SECRET" not in err


def test_hostile_macro_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _docx_with(b"<w:document/>", {"word/vbaProject.bin": b"\0" * 100})
    assert "宏" in _hostile(tmp_path, "m.docm", data, capsys)


def test_library_raises_import_failure_not_other_errors() -> None:
    with pytest.raises(ImportFailure):
        import_bytes(b"PK\x03\x04garbage", "x.xlsx")


def test_a_file_edited_after_generation_imports_what_it_shows(tmp_path: Path) -> None:
    """The embedded JSON must not silently undo a person's edit made in Word or Excel."""
    import openpyxl

    from conftest import EXAMPLE, run_cli

    assert run_cli("build", str(EXAMPLE), "--to", "xlsx,docx", "-o", str(tmp_path)).code == 0
    xlsx = next(tmp_path.glob("*.xlsx"))
    untouched = run_cli("import", str(xlsx), "--stdout")
    assert untouched.code == 0 and "按表格版式导入" not in untouched.out
    wb = openpyxl.load_workbook(xlsx)
    hits = 0
    for ws in wb.worksheets:
        if ws.title in ("指标清单", "_perfdsl"):
            continue
        for row in ws.iter_rows():
            names = [c.value for c in row]
            if "享受待遇人数" in names:
                for c in row:
                    if c.value == 2600:
                        c.value = 2700
                        hits += 1
    assert hits == 1
    wb.save(xlsx)
    edited = run_cli("import", str(xlsx), "--stdout")
    assert edited.code == 0
    assert "被修改过" in edited.err
    assert "享受待遇人数 >= 2700 人" in edited.out and "2600 人" not in edited.out


def test_an_edit_made_only_in_the_flat_sheet_is_reported(tmp_path: Path) -> None:
    import openpyxl

    from conftest import EXAMPLE, run_cli

    for dialect in ("native", "fasp2"):
        out = tmp_path / dialect
        assert run_cli("build", str(EXAMPLE), "--to", "xlsx", "--dialect", dialect, "-o", str(out)).code == 0
        xlsx = next(out.glob("*.xlsx"))
        clean = run_cli("import", str(xlsx), "--stdout")
        assert clean.code == 0 and "不一致" not in clean.err, clean.err  # FASP2 bounds rejoin into ranges
    wb = openpyxl.load_workbook(xlsx)
    for row in wb["指标清单"].iter_rows(min_row=2):
        if row[3].value == "享受待遇人数" and row[5].value == 2600:
            row[5].value = 2700
    wb.save(xlsx)
    edited = run_cli("import", str(xlsx), "--stdout")
    assert edited.code == 0
    assert "“指标清单”与各表样中的指标有 2 处不一致" in edited.err


# ----------------------------------------------------------------------------------------
# Untrusted Office files, part 3 (issue #17 items 1–5): small files that describe huge
# grids, every zip through one gate, hidden content, formulas without results, digits of
# other scripts. Hostile files are built here from code; memory is measured with
# tracemalloc (Python's own allocations, deterministic), never with a clock.
# ----------------------------------------------------------------------------------------

_HEAD = ["一级指标", "二级指标", "三级指标", "指标值"]
_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _peak_import(path: Path) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak Python memory in bytes) of `perfdsl import path --stdout`."""
    import contextlib
    import tracemalloc

    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["import", str(path), "--stdout"])
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return code, out.getvalue(), err.getvalue(), peak


def _indicator_sheet(ws, rows: list[list[object]]) -> None:  # type: ignore[no-untyped-def]
    ws.append(_HEAD)
    for r in rows:
        ws.append(r)


def test_far_cell_with_a_merge_is_refused_before_the_grid_is_built(tmp_path: Path) -> None:
    """5 KB: one cell at GR20000 and one merged range. Before: imported after 24–62 s at 1.4 GB."""
    wb = openpyxl.Workbook()
    _indicator_sheet(wb.active, [["产出指标", "数量指标", "享受待遇人数", "2600人"]])
    wb.active["GR20000"] = "x"
    wb.active.merge_cells("A5:B6")
    src = tmp_path / "far.xlsx"
    wb.save(src)
    assert src.stat().st_size < 10_000
    code, _out, err, peak = _peak_import(src)
    assert code == 2, err
    assert "GR20000" in err and "上限" in err and "Traceback" not in err
    assert peak < 50 * 1024 * 1024


def test_cell_budget_counts_all_sheets_together(tmp_path: Path) -> None:
    """Three sheets, each fine alone (100 000 cells), too many together. (Before, three GR20000
    sheets ended in MemoryError / exit 3; these three were each loaded and imported.)"""
    wb = openpyxl.Workbook()
    for i in range(3):
        ws = wb.active if i == 0 else wb.create_sheet(f"表{i}")
        _indicator_sheet(ws, [["产出指标", "数量指标", f"指标{i}", "1人"]])
        ws.cell(row=1000, column=100, value="远处的内容")
    src = tmp_path / "three.xlsx"
    wb.save(src)
    code, _out, err, peak = _peak_import(src)
    assert code == 2, err
    assert "表格太大" in err and "工作表“表2”" in err
    assert peak < 80 * 1024 * 1024


def test_docx_rows_spanning_200_columns_are_refused(tmp_path: Path) -> None:
    """Rows of one cell with gridSpan=200 and vMerge describe 200 cells each. Before: 16–112 s, 360–630 MB."""
    import random

    rnd = random.Random(7)
    head = "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>" for t in _HEAD) + "</w:tr>"
    row = ('<w:tr><w:tc><w:tcPr><w:gridSpan w:val="200"/><w:vMerge/></w:tcPr>'
           '<w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc></w:tr>')
    body = "".join(row.format(rnd.randrange(10**9)) for _ in range(3000))
    xml = f'<?xml version="1.0"?><w:document {_W_NS}><w:body><w:tbl>{head}{body}</w:tbl></w:body></w:document>'
    src = tmp_path / "span.docx"
    src.write_bytes(_docx_with(xml.encode()))
    code, _out, err, peak = _peak_import(src)
    assert code == 2, err
    assert "表1" in err and "表格太大" in err
    assert peak < 80 * 1024 * 1024


def _sheet_xml(rows: str, extra: str = "", cols: str = "") -> str:
    return f'<?xml version="1.0"?><worksheet xmlns="{_S_NS}">{cols}<sheetData>{rows}</sheetData>{extra}</worksheet>'


def _xlsx_parts(sheets: dict[str, str], strings: tuple[str, ...] = ()) -> bytes:
    """A minimal .xlsx from raw sheet XML (sheet part name → XML), in the given order."""
    ct = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'spreadsheetml.sheet.main+xml"/></Types>')
    rels = (f'<?xml version="1.0"?><Relationships xmlns="{_PKG_NS}"><Relationship Id="rId1" Type="{_R_NS}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb_rels = [f'<Relationship Id="rS" Type="{_R_NS}/sharedStrings" Target="sharedStrings.xml"/>']
    sheet_els = []
    for n, part in enumerate(sheets, 1):
        wb_rels.append(f'<Relationship Id="r{n}" Type="{_R_NS}/worksheet" Target="{part[3:]}"/>')
        sheet_els.append(f'<sheet name="表{n}" sheetId="{n}" r:id="r{n}"/>')
    wb = (f'<?xml version="1.0"?><workbook xmlns="{_S_NS}" xmlns:r="{_R_NS}"><sheets>{"".join(sheet_els)}'
          '</sheets></workbook>')
    sst = f'<?xml version="1.0"?><sst xmlns="{_S_NS}">' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels",
                    f'<?xml version="1.0"?><Relationships xmlns="{_PKG_NS}">{"".join(wb_rels)}</Relationships>')
        zf.writestr("xl/sharedStrings.xml", sst)
        for part, xml in sheets.items():
            zf.writestr(part, xml)
    return buf.getvalue()


@pytest.mark.parametrize(("nrows", "words"), [(200_000, ("XML 共有约", "个标记")), (25_000, ("A20001", "20,000 行"))])
def test_a_long_sheet_is_refused_before_it_is_loaded(tmp_path: Path, nrows: int, words: tuple[str, ...]) -> None:
    """Before: a 200,000-row sheet was refused only after openpyxl had loaded every row (30 s, 541 MB).
    Now: counted before parsing; a sheet just under that count is refused at its first row past the limit."""
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}"><v>{r}</v></c></row>'
                   for r in range(1, nrows + 1))
    src = tmp_path / "rows.xlsx"
    src.write_bytes(_xlsx_parts({"xl/worksheets/sheet1.xml": _sheet_xml(rows)}, strings=("产出指标",)))
    code, _out, err, peak = _peak_import(src)
    assert code == 2, err
    assert all(w in err for w in words), err
    assert peak < 150 * 1024 * 1024


def _build_with_reference(out: Path, ref: Path) -> tuple[int, str]:
    from conftest import EXAMPLE, run_cli

    res = run_cli("build", str(EXAMPLE), "--to", "docx", "--reference-docx", str(ref), "-o", str(out))
    return res.code, res.err


def test_reference_docx_goes_through_the_same_zip_gate(tmp_path: Path) -> None:
    """--reference-docx had no zip-bomb check (a 2 MB template reached 4.2 GB)."""
    from conftest import EXAMPLE, run_cli

    good = tmp_path / "good.docx"
    assert run_cli("build", str(EXAMPLE), "--to", "docx", "-o", str(tmp_path / "g")).code == 0
    good.write_bytes(next((tmp_path / "g").glob("*.docx")).read_bytes())
    src = zipfile.ZipFile(good)
    cases = {
        "bomb": ({"word/media/huge.xml": b"\0" * (30 * 1024 * 1024)}, "压缩炸弹"),
        "doctype": ({"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e "x">]><s/>'}, "DOCTYPE"),
        "macro": ({"word/vbaProject.bin": b"\0" * 64}, "宏"),
    }
    for case, (extra, word) in cases.items():
        ref = tmp_path / f"{case}.docx"
        with zipfile.ZipFile(ref, "w", zipfile.ZIP_DEFLATED) as zf:
            for n in src.namelist():
                if n not in extra:
                    zf.writestr(n, src.read(n))
            for n, raw in extra.items():
                zf.writestr(n, raw)
        out = tmp_path / case
        code, err = _build_with_reference(out, ref)
        assert code == 2, (case, err)
        assert word in err and "参考文档" in err and "Traceback" not in err, (case, err)
        assert not out.exists() or not list(out.glob("*.docx"))
    code, err = _build_with_reference(tmp_path / "ok", good)
    assert code == 0, err


def _docx_table(rows: list[list[str]], styles: str | None = None) -> bytes:
    """A .docx with one table; each cell is raw run XML."""
    body = "".join("<w:tr>" + "".join(f"<w:tc><w:p>{c}</w:p></w:tc>" for c in row) + "</w:tr>" for row in rows)
    xml = f'<?xml version="1.0"?><w:document {_W_NS}><w:body><w:tbl>{body}</w:tbl></w:body></w:document>'
    extra: dict[str, bytes] = {}
    if styles is not None:
        extra["word/styles.xml"] = f'<?xml version="1.0"?><w:styles {_W_NS}>{styles}</w:styles>'.encode()
        extra["word/_rels/document.xml.rels"] = (
            f'<?xml version="1.0"?><Relationships xmlns="{_PKG_NS}"><Relationship Id="rId1" '
            f'Type="{_R_NS}/styles" Target="styles.xml"/></Relationships>').encode()
    return _docx_with(xml.encode(), extra)


def _r(text: str, props: str = "") -> str:
    return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}<w:t>{text}</w:t></w:r>"


def test_hidden_word_runs_are_left_out_and_reported(tmp_path: Path) -> None:
    """A hidden run turned a visible 2600 into 26000, silently."""
    styles = ('<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
              '<w:style w:type="character" w:styleId="Secret2"><w:basedOn w:val="Secret"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="HP"><w:rPr><w:vanish/></w:rPr></w:style>'
              '<w:style w:type="paragraph" w:styleId="HP2"><w:basedOn w:val="HP"/></w:style>')
    rows = [[_r(t) for t in _HEAD],
            [_r("产出指标"), _r("数量指标"), _r("享受待遇人数"), _r("2600") + _r("0", "<w:vanish/>") + _r("人")],
            [_r("产出指标"), _r("数量指标"), _r("发放户数"), _r("1") + _r("9", '<w:rStyle w:val="Secret2"/>') + _r("20户")],
            [_r("产出指标"), _r("数量指标"), _r("培训人数"), _r("3") + _r("5", "<w:specVanish/>") + _r("0人")],
            [_r("产出指标"), _r("数量指标"), _r("网页隐藏"), _r("4") + _r("0", "<w:webHidden/>") + _r("人")],
            [_r("产出指标"), _r("数量指标"), _r("显示的"), _r("7") + _r("0", '<w:vanish w:val="0"/>') + _r("人")],
            [_r("产出指标"), _r("数量指标"), _r("补贴人数"),
             '<w:pPr><w:pStyle w:val="HP2"/></w:pPr>' + _r("5") + _r("50人", '<w:vanish w:val="false"/>')]]
    src = tmp_path / "hidden.docx"
    src.write_bytes(_docx_table(rows, styles))
    code, out, err, _peak = _peak_import(src)
    assert code == 0, err
    assert "享受待遇人数 = 2600 人" in out and "26000" not in out
    assert "发放户数 = 120 户" in out
    assert "培训人数 = 30 人" in out
    assert "网页隐藏 = 40 人" in out  # webHidden: hidden only in Web Layout view, printed
    assert "显示的 = 70 人" in out  # vanish switched off
    assert "补贴人数 = 50 人" in out  # paragraph style (via basedOn) hides “5”; the run says not hidden
    assert err.count("隐藏文字") == 4 and "隐藏文字“0”" in err and "隐藏文字“9”" in err and "隐藏文字“5”" in err
    assert "隐藏文字“0”" in out  # also a comment in the imported text


def test_hidden_excel_rows_columns_and_sheets_are_left_out_and_reported(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([*_HEAD, "备注"])
    ws.append(["产出指标", "数量指标", "享受待遇人数", "2600人", "看得到"])
    ws.append(["产出指标", "数量指标", "隐藏的指标", "99人", ""])
    ws.append(["产出指标", "数量指标", "发放户数", "120户", ""])
    ws["F2"] = "隐藏列里的字"
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions["F"].hidden = True
    other = wb.create_sheet("旧版")
    _indicator_sheet(other, [["产出指标", "数量指标", "旧指标", "1人"]])
    other.sheet_state = "hidden"
    src = tmp_path / "hidden.xlsx"
    wb.save(src)
    code, out, err, _peak = _peak_import(src)
    assert code == 0, err
    assert "享受待遇人数 = 2600 人" in out and "发放户数 = 120 户" in out
    body = out.split("\n\n", 1)[1]  # after the header comments
    assert "隐藏的指标" not in body and "旧指标" not in out
    assert "第3行（隐藏行）" in err and "隐藏的指标" in err
    assert "F 列（隐藏列）" in err and "隐藏列里的字" in err
    assert "工作表“旧版”：是隐藏的工作表" in err


def test_formula_without_a_saved_result_is_reported_and_checked(tmp_path: Path) -> None:
    """`=2000+600` with no cached value became 定性 "" silently."""
    wb = openpyxl.Workbook()
    _indicator_sheet(wb.active, [["产出指标", "数量指标", "享受待遇人数", "=2000+600"],
                                 ["产出指标", "数量指标", "发放户数", "120户"]])
    src = tmp_path / "formula.xlsx"
    wb.save(src)
    out_file = tmp_path / "formula.perf"
    code = main(["import", str(src), "-o", str(out_file)])
    assert code == 0
    text = out_file.read_text("utf-8")
    assert "=2000+600" in text and "没有保存计算结果" in text
    diags = [d for d in check_paths([str(out_file)]).diagnostics if d.code == "PD-V005"]
    assert [d.path[-1] for d in diags] == ["享受待遇人数"]
    assert diags[0].severity == "error"


def test_other_script_digits_import_as_0_to_9_and_are_reported(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """٢٦٠٠ and 𝟐𝟕𝟎 were imported as written and then failed with PD-S001."""
    wb = openpyxl.Workbook()
    _indicator_sheet(wb.active, [["产出指标", "数量指标", "享受待遇人数", "≥٢٦٠٠人"],
                                 ["产出指标", "数量指标", "培训人数", "𝟐𝟕𝟎人"],
                                 ["产出指标", "数量指标", "发放户数", "１２０户"],
                                 ["产出指标", "时效指标", "完成时间", "٢٠٢٥年年底前"]])
    src = tmp_path / "digits.xlsx"
    wb.save(src)
    out_file = tmp_path / "digits.perf"
    assert main(["import", str(src), "-o", str(out_file)]) == 0
    err = capsys.readouterr().err
    text = out_file.read_text("utf-8")
    assert "享受待遇人数 >= 2600 人" in text and "培训人数 = 270 人" in text and "发放户数 = 120 户" in text
    assert "阿拉伯-印度数字" in err and "数学粗体/双线数字" in err
    assert "全角" not in err  # full-width digits are part of the language: folded without a warning
    assert "٢٠٢٥年年底前" in text  # qualitative text stays as written
    codes = {d.code for d in check_paths([str(out_file)]).diagnostics}
    assert "PD-S001" not in codes


def test_import_docs_tell_one_story_about_embedded_data() -> None:
    """#14 item 12: docs/xlsx.md said the embedded data wins and needs --ignore-embedded;
    docs/import.md said import compares and follows the table (which is what the code does)."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    xlsx_md = (docs / "xlsx.md").read_text("utf-8")
    import_md = (docs / "import.md").read_text("utf-8")
    assert "以内嵌数据为准" not in xlsx_md
    assert "按表格中看到的内容导入" in xlsx_md and "按表格中看到的内容导入" in import_md
    assert "--ignore-embedded" in import_md


def test_xml_element_caps_refuse_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part with more elements than a tree may hold, and a file with more elements than all
    parts together may hold, are refused before lxml builds anything (limits lowered here so
    the file can stay small; the real ones are 1,000,000 and 3,000,000)."""
    from perfdsl.importer import safety

    paras = "<w:p/>" * 2000
    head = "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>" for t in _HEAD) + "</w:tr>"
    xml = f'<?xml version="1.0"?><w:document {_W_NS}><w:body>{paras}<w:tbl>{head}</w:tbl></w:body></w:document>'
    data = _docx_with(xml.encode())
    monkeypatch.setattr(safety, "MAX_NODES", 1000)
    with pytest.raises(ImportFailure, match=r"word/document\.xml.*超过上限 1,000"):
        import_bytes(data, "many.docx")
    monkeypatch.setattr(safety, "MAX_NODES", 1_000_000)
    monkeypatch.setattr(safety, "MAX_FILE_NODES", 1500)
    with pytest.raises(ImportFailure, match=r"XML 共有约.*超过上限 1,500"):
        import_bytes(data, "many.docx")


def test_streaming_reader_reads_what_excel_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The hand-written .xlsx reader: cells without references, inline strings, zero-height rows
    and zero-width columns (hidden too), cached error values, percent formats, shared strings."""

    def c(v: str, t: str = "", s: str = "", ref: str = "") -> str:
        attrs_ = (f' r="{ref}"' if ref else "") + (f' t="{t}"' if t else "") + (f' s="{s}"' if s else "")
        if t == "inlineStr":
            return f"<c{attrs_}><is><t>{v}</t></is></c>"
        return f"<c{attrs_}><v>{v}</v></c>"

    head = "".join(c(str(i), "s") for i in range(4))
    rows = (f"<row>{head}</row>"
            f'<row>{c("4", "s")}{c("5", "s")}{c("享受待遇人数", "inlineStr")}{c("0.955", s="1")}</row>'
            f'<row ht="0" customHeight="1">{c("4", "s")}{c("5", "s")}{c("零高度行", "inlineStr")}{c("1", s="0")}</row>'
            f'<row r="7">{c("4", "s", ref="A7")}{c("5", "s", ref="B7")}{c("错误值", "inlineStr", ref="C7")}'
            f'{c("#DIV/0!", "e", ref="D7")}{c("零宽列", "inlineStr", ref="E7")}</row>')
    cols = '<cols><col min="5" max="5" width="0" customWidth="1"/></cols>'
    styles = (f'<?xml version="1.0"?><styleSheet xmlns="{_S_NS}"><numFmts count="1"><numFmt numFmtId="164" '
              'formatCode="0.0%"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs>'
              '</styleSheet>')
    data = _xlsx_parts({"xl/worksheets/sheet1.xml": _sheet_xml(rows, cols=cols)},
                       strings=(*_HEAD, "产出指标", "数量指标"))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for n in zin.namelist():
            raw = zin.read(n)
            if n == "xl/_rels/workbook.xml.rels":
                raw = raw.replace(b"</Relationships>", f'<Relationship Id="rT" Type="{_R_NS}/styles" '
                                  f'Target="styles.xml"/></Relationships>'.encode())
            zout.writestr(n, raw)
        zout.writestr("xl/styles.xml", styles)
    src = tmp_path / "raw.xlsx"
    src.write_bytes(buf.getvalue())
    assert main(["import", str(src), "--stdout"]) == 0
    cap = capsys.readouterr()
    assert "享受待遇人数 = 95.5 %" in cap.out
    assert "零高度行" not in cap.out.split("\n\n", 1)[1] and "第3行（隐藏行）" in cap.err
    assert "E 列（隐藏列）" in cap.err and "零宽列" in cap.err
    assert '错误值 定性 ""' in cap.out and "#DIV/0!" not in cap.out.split("\n\n", 1)[1]
    assert "（D7）：是错误值“#DIV/0!”（公式无法计算），已按空值导入" in cap.err


def test_other_script_digits_in_number_fields_are_written_as_0_to_9(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目名称", "测试项目"])
    ws.append(["年度资金总额（万元）", "١٥٦"])
    _indicator_sheet(ws, [["产出指标", "数量指标", "享受待遇人数", "2600人"]])
    src = tmp_path / "fields.xlsx"
    wb.save(src)
    out_file = tmp_path / "fields.perf"
    assert main(["import", str(src), "-o", str(out_file), "--profile", "gansu-project"]) == 0
    err = capsys.readouterr().err
    text = out_file.read_text("utf-8")
    assert "年度资金总额: 156" in text, text
    assert "“年度资金总额（万元）”的内容“١٥٦”中有阿拉伯-印度数字" in err and "（B2）" in err
    assert "PD-R005" not in {d.code for d in check_paths([str(out_file)]).diagnostics}


def test_a_line_break_in_reported_content_cannot_end_its_comment(tmp_path: Path) -> None:
    """Hidden or unmapped cell text is quoted in comments; a line break in it must not start a
    line of perfdsl text (it would become an indicator nobody can see in the file)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    _indicator_sheet(ws, [["产出指标", "数量指标", "享受待遇人数", "2600人"],
                          ["产出指标", "数量指标", "藏起来", "x\n  产出.数量.偷偷加的 >= 1 人\r\n也是\u2028这里"]])
    ws.row_dimensions[3].hidden = True
    src = tmp_path / "inject.xlsx"
    wb.save(src)
    out_file = tmp_path / "inject.perf"
    assert main(["import", str(src), "-o", str(out_file)]) == 0
    text = out_file.read_text("utf-8")
    assert "偷偷加的" in text  # reported, in a comment
    assert all(line.startswith("#") for line in text.splitlines() if "偷偷加的" in line or "这里" in line)
    assert [i["name"] for d in _model(out_file)["declarations"] for i in d["indicators"]] == ["享受待遇人数"]
