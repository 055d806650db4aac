"""Profiles as validated data: the schema, `extends`, the generated key reference and the
tutorial in docs/profiles.md (its profile and declaration are run here as written)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfdsl.api import check_paths
from perfdsl.profile_schema import reference_markdown
from perfdsl.profiles import find_profile, profile_ids

from conftest import ROOT, regen, run_cli

DOC = ROOT / "docs" / "profiles.md"
BEGIN = "<!-- 以下由 perfdsl/profile_schema.py 生成"
END = "<!-- 生成内容结束 -->"


def test_key_reference_is_generated_from_the_schema() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    want = text[:start] + reference_markdown() + text[end:]
    if regen():
        DOC.write_text(want, encoding="utf-8")
        text = want
    assert text == want, "docs/profiles.md is out of date: PERFDSL_REGEN=1 pytest tests/test_profiles.py"
    for key in ("`money_unit`", "`header`", "`one_table`", "`remove`", "`after`", "`notes`", "`span`"):
        assert key in text


@pytest.mark.parametrize("pid", ["gansu-dept", "gansu-project", "mof2021", "mof2015"])
def test_builtin_profiles_are_clean(pid: str) -> None:
    prof = find_profile(pid)
    assert prof is not None
    assert prof.problems == ()
    assert prof.layout.header is not None and prof.layout.one_table


def test_mof2015_keeps_its_own_hierarchy() -> None:
    # extends merges hierarchy by name; mof2015 replaces it whole (成本指标 is a 二级 there)
    prof = find_profile("mof2015")
    assert prof is not None
    assert [h.name for h in prof.hierarchy] == ["产出指标", "效益指标", "满意度指标"]
    assert [c.name for c in prof.hierarchy[0].children] == ["数量指标", "质量指标", "时效指标", "成本指标"]
    assert [f.key for f in prof.fields][-4:] == ["年度资金总额", "财政拨款", "其他资金", "年度目标"]


def _write(tmp_path: Path, profile: str, body: str = "") -> Path:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "mine.toml").write_text(profile, encoding="utf-8")
    decl = ("项目 测试项目 {\n  模板: mine\n  主管部门: 测试局\n  实施单位: 测试中心\n  年度目标:\n    - 完成任务\n"
            + body + "  成本.经济成本.成本控制数 <= 10 万元\n  产出.数量.服务人数 >= 100 人\n"
            "  效益.社会效益.群众获得感 定性 提高\n  满意度.服务对象满意度.服务对象满意度 >= 90 %\n}\n")
    (tmp_path / "a.perf").write_text(decl, encoding="utf-8")
    return tmp_path


def test_typos_in_a_profile_are_errors_and_the_typed_field_still_checks(tmp_path: Path) -> None:
    # issue #11: `type = "moeny"`, `lable =`, `layout = "sichuan"` were accepted silently
    folder = _write(tmp_path, 'id = "mine"\nextends = "mof2021"\nlayout = "sichuan"\nallow_unknwon_fields = true\n\n'
                    '[[fields]]\nkey = "预算数"\nlable = "预算数（万元）"\ntype = "moeny"\n', "  预算数: 三百万\n")
    res = run_cli("check", str(folder))
    assert res.code == 1
    out = res.out
    assert re.search(r"mine\.toml:3:1: 错误\[PD-C002\].*“layout”应为表", out)
    assert re.search(r"mine\.toml:4:1: 错误\[PD-C001\].*allow_unknwon_fields", out) and "是不是“allow_unknown_fields”？" in out
    assert re.search(r"mine\.toml:8:1: 错误\[PD-C001\].*fields\[1\]\.lable", out) and "是不是“label”？" in out
    assert re.search(r"mine\.toml:9:1: 错误\[PD-C003\].*“moeny”", out) and "是不是“money”？" in out
    assert " 9 | type = \"moeny\"" in out  # the excerpt shows the profile line


def test_extends_merges_lists_by_key(tmp_path: Path) -> None:
    folder = _write(tmp_path, 'id = "mine"\nextends = "mof2021"\n\n'
                    '[[fields]]\nkey = "主管部门"\nlabel = "主管部门（盖章）"\n\n'
                    '[[fields]]\nkey = "项目期"\nremove = true\n\n'
                    '[[fields]]\nkey = "联系电话"\nafter = "主管部门"\n\n'
                    '[operators]\neq = ""\n\n'
                    '[layout]\nheader = """\n{@项目名称} *2 | {项目名称} *6\n{@主管部门} *2 | {主管部门} *2 | {@联系电话} *2 | {联系电话} *2\n"""\n')
    prof = find_profile("mine", (str(folder / "profiles"),))
    assert prof is not None and prof.problems == ()
    keys = [f.key for f in prof.fields]
    base = [f.key for f in find_profile("mof2021").fields]  # type: ignore[union-attr]
    assert "项目期" not in keys and len(keys) == len(base)
    assert keys[keys.index("主管部门") + 1] == "联系电话"
    assert prof.field("主管部门").label == "主管部门（盖章）"  # type: ignore[union-attr]
    assert prof.field("主管部门").required  # inherited attribute kept  # type: ignore[union-attr]
    assert prof.operators["eq"] == "" and prof.operators["ge"] == "≥"
    assert [c.key for c in prof.layout.columns][:2] == ["side", "level1"]  # columns inherited
    assert prof.layout.widths == find_profile("mof2021").layout.widths  # type: ignore[union-attr]


def test_replace_takes_a_list_whole(tmp_path: Path) -> None:
    folder = _write(tmp_path, 'id = "mine"\nextends = "mof2021"\nreplace = ["hierarchy"]\n\n'
                    '[[hierarchy]]\nname = "产出指标"\nchildren = [{ name = "数量指标" }]\n')
    prof = find_profile("mine", (str(folder / "profiles"),))
    assert prof is not None
    assert [h.name for h in prof.hierarchy] == ["产出指标"]


def test_layout_problems_point_at_the_grid_line(tmp_path: Path) -> None:
    folder = _write(tmp_path, 'id = "mine"\nextends = "mof2021"\n\n[layout]\nheader = """\n'
                    '{@项目名称} *2 | {项目名称} *6\n'
                    '{@主管部门} *2 | {主管部门} *2 | {@实施单位} | {实施单位} *2\n'
                    '{@财政拨款} | ^ | {财政拨款} *6\n'
                    '{$金额} | {@年度资金总额} *7\n"""\n')
    res = run_cli("check", str(folder))
    assert re.search(r"mine\.toml:7:1: 错误\[PD-C005\].*这一行共 7 列，网格应为 8 列", res.out)
    assert re.search(r"mine\.toml:8:\d+: 错误\[PD-C005\].*“\^”上方没有可以向下合并的格", res.out)
    assert re.search(r"mine\.toml:9:1: 错误\[PD-C004\].*\{\$金额\}", res.out)


def test_extends_cycle_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "a.toml").write_text('id = "a"\nextends = "b"\n', encoding="utf-8")
    (tmp_path / "profiles" / "b.toml").write_text('id = "b"\nextends = "a"\n', encoding="utf-8")
    prof = find_profile("a", (str(tmp_path / "profiles"),))
    assert prof is not None
    assert [d.code for d in prof.problems] == ["PD-C006"]
    assert "a → b → a" in prof.problems[0].message
    assert "a" in profile_ids((str(tmp_path / "profiles"),))


def _tutorial() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    part = text[text.index("## 教程"):text.index("## 版式网格")]
    toml = "\n".join(re.findall(r"```toml\n(.*?)```", part, re.S))
    perf = re.search(r"### 第六步.*?```\n(.*?)```", part, re.S)
    assert perf is not None
    return toml, perf.group(1)


def test_tutorial_profile_and_declaration_work_as_written(tmp_path: Path) -> None:
    toml, perf = _tutorial()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "anhui-project.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "金安.perf").write_text(perf, encoding="utf-8")
    res = check_paths([str(tmp_path)])
    assert [d.code for d in res.diagnostics if d.is_error] == []
    out = tmp_path / "out"
    built = run_cli("build", str(tmp_path), "--to", "docx", "-o", str(out))
    assert built.code == 0, built.text
    from test_docx import tables

    grid = tables(next(out.glob("*.docx")).read_bytes())
    assert len(grid) == 1 and grid[0][0] == ["项目支出绩效目标表"] * 7
    assert grid[0][4][:3] == ["主管部门及代码", "主管部门及代码", "[042]六安市金安区体育局"]
    rows = {r[3]: r for r in grid[0][11:]}
    assert rows["开展运动种类"][5] == "1种" and rows["项目总成本"][5] == "≤1000万元"
    assert rows["群众满意度"][5] == "≥95%"


def test_a_child_replacing_its_fields_does_not_inherit_the_header_grid(tmp_path: Path) -> None:
    folder = _write(tmp_path, 'id = "mine"\nextends = "mof2021"\nreplace = ["fields"]\n\n'
                    '[[fields]]\nkey = "项目名称"\n[[fields]]\nkey = "主管部门"\n[[fields]]\nkey = "实施单位"\n'
                    '[[fields]]\nkey = "年度目标"\ntype = "list"\n')
    prof = find_profile("mine", (str(folder / "profiles"),))
    assert prof is not None and prof.problems == ()
    assert prof.layout.header is None  # one row per field; the parent's grid named its fields
    assert prof.layout.columns[0].key == "side"  # columns are still inherited
    res = run_cli("build", str(folder), "--to", "docx", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
