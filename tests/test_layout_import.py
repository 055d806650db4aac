"""Issue 12 §1: import reads a form through the layouts perfdsl knows.

For the test profile test-sh-ah and every built-in profile, an example declaration
(tests/layout_examples.py: every field filled with a distinct value) is built to DOCX and
XLSX, then imported with the embedded data ignored (`--ignore-embedded`: exactly what a
file whose perfdsl data was stripped gives). Every header value must land in its field,
with no "请人工核对" comment, and the model must equal the original.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from layout_examples import example

from perfdsl.api import check_paths
from perfdsl.profiles import builtin_ids, find_profile

from conftest import ROOT, checked_model, run_cli

LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"


def _fields(model: dict) -> list[dict[str, str]]:
    return [{f["key"]: (f.get("items") or f.get("text") or "") for f in d["fields"]} for d in model["declarations"]]


def _round_trip(folder: Path, fmt: str, *dirs: str) -> tuple[str, dict, dict]:
    out = folder / "out"
    res = run_cli("build", str(folder / "a.perf"), "--to", fmt, "-o", str(out))
    assert res.code == 0, res.text
    target = folder / f"b_{fmt}.perf"
    built = next(out.glob(f"*.{fmt}"))
    res = run_cli("import", str(built), "--ignore-embedded", "-o", str(target), "--force")
    assert res.code == 0, res.text
    text = target.read_text(encoding="utf-8")
    return text, checked_model(folder / "a.perf", *dirs), checked_model(target, *dirs)


def _assert_same(text: str, before: dict, after: dict) -> None:
    assert "请人工核对" not in text, text
    for want, got in zip(_fields(before), _fields(after), strict=True):
        for key, value in want.items():  # value by value, for a readable failure
            assert got.get(key) == value, (key, value, got.get(key))
        assert got == want
    assert after == before


@pytest.mark.parametrize("pid", sorted(builtin_ids()))
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_builtin_layout_imports_every_header_value(tmp_path: Path, pid: str, fmt: str) -> None:
    prof = find_profile(pid)
    assert prof is not None
    folder = tmp_path / pid
    folder.mkdir()
    (folder / "a.perf").write_text(example(prof), encoding="utf-8")
    text, before, after = _round_trip(folder, fmt)
    _assert_same(text, before, after)


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_own_layout_imports_every_header_value(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "上海"
    shutil.copytree(LAYOUTS, folder)
    (folder / "下立交工程.perf").rename(folder / "a.perf")
    text, before, after = _round_trip(folder, fmt)
    assert "模板: test-sh-ah" in text
    _assert_same(text, before, after)
    # the money block under its vertical label and the two texts side by side
    f = _fields(after)[0]
    assert f["项目资金总额"] == "771325800.00" and f["年度资金申请总额"] == "226145100.00"
    assert f["项目总目标"].startswith("为居民出行") and f["年度总体目标"].startswith("积极推进")


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_own_layout_example_with_every_field(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "上海"
    shutil.copytree(LAYOUTS / "profiles", folder / "profiles")
    prof = find_profile("test-sh-ah", (str(folder / "profiles"),))
    assert prof is not None
    (folder / "a.perf").write_text(example(prof), encoding="utf-8")
    text, before, after = _round_trip(folder, fmt)
    _assert_same(text, before, after)


# ----------------------------------------------------------------------------------------
# A system export (hand-built: no published export file was found, see
# tests/fixtures/forms/README.md): a key/value department sheet with its indicator sheet,
# a one-row-per-project sheet and a flat indicator sheet joined to it by 项目名称.
# ----------------------------------------------------------------------------------------

DEPT = [("单位（部门）名称", "某县民政局"), ("年度", "2025"), ("联系人", "张三"), ("联系电话", "0934-1234567"),
        ("部门单位核心职能", "负责全县社会救助和养老服务。"),
        ("年度绩效目标", "1. 按月发放低保金。 2. 建成社区养老服务站3个。"), ("人员编制数（人）", "18")]
PROJECTS = [
    ["项目名称", "主管部门及代码", "实施单位", "项目期", "年度资金总额（万元）", "其中：财政拨款（万元）",
     "其他资金（万元）", "年度目标"],
    ["社区养老服务补助", "[101]某县民政局", "某县养老服务中心", "3年", "120.50", "100.50", "20", "建成养老服务站3个。"],
    ["低保金发放", "[101]某县民政局", "某县社会救助中心", "1年", "300", "300", "0", "按月足额发放低保金。"],
]
PROJECT_INDICATORS = [
    ["项目名称", "一级指标", "二级指标", "三级指标", "指标值"],
    ["社区养老服务补助", "产出指标", "数量指标", "建成养老服务站数", "≥3个"],
    ["社区养老服务补助", "满意度指标", "服务对象满意度指标", "老人满意度", "≥90%"],
    ["低保金发放", "产出指标", "时效指标", "按月发放率", "＝100%"],
    ["低保金发放", "效益指标", "社会效益指标", "困难群众基本生活保障", "有效保障"],
]


def _export(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "部门信息"
    ws.append(["项目", "内容"])
    for row in DEPT:
        ws.append(list(row))
    ws = wb.create_sheet("部门指标")
    ws.append(["一级指标", "二级指标", "三级指标", "指标值类型", "指标值", "度量单位"])
    ws.append(["部门管理", "资金投入", "基本支出预算执行率", "≥", "95", "%"])
    ws.append(["履职效果", "部门履职目标", "低保金按时发放率", "＝", "100", "%"])
    ws = wb.create_sheet("项目信息")
    for row in PROJECTS:
        ws.append([*row, ""])  # padded with an empty cell, as exports often are
    ws = wb.create_sheet("项目指标")
    for row in PROJECT_INDICATORS:
        ws.append(row)
    wb.save(path)


def test_system_export_key_value_and_record_sheets(tmp_path: Path) -> None:
    src = tmp_path / "导出.xlsx"
    _export(src)
    target = tmp_path / "导出.perf"
    res = run_cli("import", str(src), "-o", str(target))
    assert res.code == 0, res.text
    text = target.read_text(encoding="utf-8")
    assert "请人工核对" not in text, text
    res = check_paths([str(target)], ())
    decls = {d.title: d for d in res.sets[0].dset.declarations}
    assert set(decls) == {"某县民政局", "社区养老服务补助", "低保金发放"}
    dept = decls["某县民政局"]
    assert dept.profile.id == "gansu-dept"
    assert dept.text("年度") == "2025" and dept.text("联系人") == "张三" and dept.text("联系电话") == "0934-1234567"
    assert dept.text("核心职能") == "负责全县社会救助和养老服务。"
    assert dept.list_items("年度绩效目标") == ["目标1：按月发放低保金。", "目标2：建成社区养老服务站3个。"]
    assert dept.text("人员情况.编制数") == "18"
    assert [i.name for i in dept.indicators] == ["基本支出预算执行率", "低保金按时发放率"]
    header = PROJECTS[0]
    for row in PROJECTS[1:]:
        d = decls[row[0]]
        values = dict(zip(header, row, strict=True))
        assert d.text("主管部门") == values["主管部门及代码"]
        assert d.text("实施单位") == values["实施单位"]
        assert d.text("项目期") == values["项目期"]
        assert d.text("年度资金总额") == values["年度资金总额（万元）"]
        assert d.text("财政拨款") == values["其中：财政拨款（万元）"]
        assert d.text("其他资金") == values["其他资金（万元）"]
        assert d.text("年度目标") == values["年度目标"]
    assert [i.name for i in decls["低保金发放"].indicators] == ["按月发放率", "困难群众基本生活保障"]


# ----------------------------------------------------------------------------------------
# A form made by hand in a known layout, with the variation real files have
# ----------------------------------------------------------------------------------------


def _hand_made_shanghai(path: Path, indicators: bool = True) -> None:
    """The test-sh-ah layout typed by someone else: seven columns instead of eight (one of
    them padding), spaces and a line break inside labels, half-width brackets and colons,
    项目中长期目标 for 项目总目标 (an alias in the profile), the year inside the title text."""
    import docx

    d = docx.Document()
    d.add_paragraph("财政项目支出绩效目标申报表（2026年度）")
    rows = [
        ["项 目 名 称", "兰溪路-真南路下立交工程", "项目性质", "阶段性项目", "项目类别", "特定目标类", ""],
        ["主管部门", "上海市普陀区建设和管理委员会", "实施单位", "上海市普陀区市政工程建设中心", "", "", ""],
        ["计划开始\n日期", "2026/1/1", "计划完成日期 ", "2027/12/31", "", "", ""],
        ["项目资金(元)", "项目资金总额", "771325800.00", "年度资金申请总额", "226145100.00", "", ""],
        ["", "其中:财政资金", "771325800.00", "其中：当年财政拨款", "226145100.00", "", ""],
        ["", "", "", "上年结转资金", "0", "", ""],
        ["", "其他资金", "0", "其他资金", "0", "", ""],
        ["项目绩效目标", "项目中长期目标", "", "年度总体目标", "", "", ""],
        ["", "为居民出行提供快速便捷的通道。", "", "积极推进项目前期征收工作。", "", "", ""],
        ["", "一级指标", "二级指标", "三级指标", "年度指标值", "权重", ""],
        ["", "产出指标", "数量指标", "道路建设长度", "985米", "30", ""],
        ["", "满意度指标", "服务对象满意度指标", "居民群众满意度", "≥90%", "10", ""],
    ]
    if not indicators:
        rows = rows[:9]
    t = d.add_table(rows=len(rows), cols=7)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v:
                t.cell(r, c).text = v
    for r0, c0, r1, c1 in [(1, 3, 1, 5), (2, 3, 2, 5), (3, 0, 6, 0), (4, 1, 5, 1), (4, 2, 5, 2),
                           (7, 0, len(rows) - 1, 0), (7, 1, 7, 2), (7, 3, 7, 5), (8, 1, 8, 2), (8, 3, 8, 5)]:
        t.cell(r0, c0).merge(t.cell(r1, c1))
    d.save(str(path))


@pytest.mark.parametrize(("indicators", "where"), [(True, "local"), (False, "local"), (True, "option"), (True, "env")],
                         ids=["whole", "header-only", "profile-dir", "profile-path"])
def test_hand_made_form_of_a_known_layout(tmp_path: Path, indicators: bool, where: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout is found wherever `check` finds profiles: profiles/ beside the output,
    --profile-dir, $PERFDSL_PROFILE_PATH. Also a form with its header filled in and no
    indicator table yet: it matches the layout, so it is a declaration (with no
    indicators), not "没有找到绩效指标表"."""
    folder = tmp_path / "手工表"
    folder.mkdir()
    shared = folder / "profiles" if where == "local" else tmp_path / "共享模板"
    shared.mkdir()
    toml = (LAYOUTS / "profiles" / "test-sh-ah.toml").read_text(encoding="utf-8")
    toml = toml.replace('key = "项目总目标"\n', 'key = "项目总目标"\naliases = ["项目中长期目标"]\n')
    (shared / "test-sh-ah.toml").write_text(toml, encoding="utf-8")
    src = folder / "手工.docx"
    _hand_made_shanghai(src, indicators)
    target = folder / "手工.perf"
    extra = ["--profile-dir", str(shared)] if where == "option" else []
    if where == "env":
        monkeypatch.setenv("PERFDSL_PROFILE_PATH", str(shared))
    res = run_cli("import", str(src), "-o", str(target), *extra)
    assert res.code == 0, res.text
    text = target.read_text(encoding="utf-8")
    assert "请人工核对" not in text, text
    assert "模板: test-sh-ah" in text
    res = check_paths([str(target)], (str(shared),))
    d = res.sets[0].dset.declarations[0]
    want = {
        "年度": "2026", "项目性质": "阶段性项目", "项目类别": "特定目标类", "主管部门": "上海市普陀区建设和管理委员会",
        "实施单位": "上海市普陀区市政工程建设中心", "计划开始日期": "2026/1/1", "计划完成日期": "2027/12/31",
        "项目资金总额": "771325800.00", "财政资金": "771325800.00", "项目其他资金": "0",
        "年度资金申请总额": "226145100.00", "当年财政拨款": "226145100.00", "上年结转资金": "0", "年度其他资金": "0",
        "项目总目标": "为居民出行提供快速便捷的通道。", "年度总体目标": "积极推进项目前期征收工作。",
    }
    for key, value in want.items():
        assert d.text(key) == value, (key, d.text(key))
    assert d.title == "兰溪路-真南路下立交工程"
