"""The language as a user writes it: operators, ranges, units, numbers, punctuation,
grouping, short names, profiles, sets. Each test states a .perf input and what it means."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfdsl.api import check_paths, compile_text
from perfdsl.source import display_width

from conftest import PROJECT_HEAD, run_cli


def one(line: str) -> tuple[dict, list]:  # type: ignore[type-arg]
    res = compile_text(PROJECT_HEAD + "  " + line + "\n}\n", "t.perf")
    decl = res.declarations[0]
    ind = decl.indicators[-1]
    return {"path": ind.path, "op": ind.target.op, "value": ind.target.value, "low": ind.target.low,
            "high": ind.target.high, "unit": ind.target.unit, "text": ind.target.text,
            "columns": ind.columns}, [d.code for d in res.diagnostics]


@pytest.mark.parametrize(("op", "name"), [
    ("=", "eq"), ("＝", "eq"), ("==", "eq"), (">=", "ge"), ("≥", "ge"), ("＞＝", "ge"), ("≧", "ge"),
    ("<=", "le"), ("≤", "le"), ("＜＝", "le"), (">", "gt"), ("＞", "gt"), ("<", "lt"), ("＜", "lt"),
])
def test_every_operator_spelling(op: str, name: str) -> None:
    got, diags = one(f"产出.数量.享受待遇人数 {op} 2600 人")
    assert diags == []
    assert got["op"] == name and str(got["value"]) == "2600" and got["unit"] == "人"


def test_issue_examples_valid_exactly_as_written() -> None:
    got, diags = one("产出.数量.享受待遇人数 >= 2600 人")
    assert diags == [] and got["path"] == ("产出指标", "数量指标", "享受待遇人数")
    got, diags = one("成本.经济成本.厂长经理生活补助标准 区间 500-1940元")
    assert diags == [] and (got["op"], str(got["low"]), str(got["high"]), got["unit"]) == ("range", "500", "1940", "元")


@pytest.mark.parametrize("written", [
    "区间 500-1940 元", "区间 500~1940元", "区间 500～1940 元", "区间 500至1940 元", "区间值 500元-1940元",
    "区间 500元至1940元", "区间值 500 元 ~ 1940 元",
])
def test_range_spellings(written: str) -> None:
    got, diags = one(f"成本.经济成本.补助标准 {written}")
    assert diags == []
    assert (str(got["low"]), str(got["high"]), got["unit"]) == ("500", "1940", "元")


@pytest.mark.parametrize(("written", "unit"), [
    ("= 3.84 万元/人.年", "万元/人.年"), ("= 3.84万元/人·年", "万元/人·年"), ("= 100%", "%"),
    ("= 100 ％", "%"), (">= 2600人", "人"), ("<= 5 个工作日", "个工作日"), ("= 1250 元/人/年", "元/人/年"),
])
def test_units_with_or_without_space(written: str, unit: str) -> None:
    got, diags = one(f"成本.经济成本.标准 {written}")
    assert got["unit"] == unit
    assert "PD-U001" not in diags and "PD-U002" not in diags


@pytest.mark.parametrize(("written", "exact"), [
    ("322.5", "322.5"), ("100.00", "100.00"), ("1,250.50", "1250.50"), ("１２５０", "1250"), ("0.10", "0.10"),
])
def test_numbers_keep_written_precision(written: str, exact: str) -> None:
    got, _ = one(f"产出.质量.比率 = {written} %")
    assert format(got["value"], "f") == exact


def test_full_width_punctuation_is_syntax() -> None:
    text = PROJECT_HEAD.replace("主管部门: 测试局", "主管部门：测试局") + "  产出．数量．享受待遇人数 ＞＝ ２６００ 人\n  产出｛\n    质量.合格率 ＝ 100 ％\n  ｝\n}\n"
    res = compile_text(text, "t.perf")
    assert [d.code for d in res.diagnostics] == []
    decl = res.declarations[0]
    assert decl.field("主管部门").text == "测试局"  # type: ignore[union-attr]
    assert [i.name for i in decl.indicators][-2:] == ["享受待遇人数", "合格率"]


def test_grouping_blocks_equal_flat_paths() -> None:
    flat = "产出.数量.甲 >= 1 人\n  产出.数量.乙 >= 2 人\n  产出.质量.丙 = 100 %"
    grouped = "产出 {\n    数量 {\n      甲 >= 1 人\n      乙 >= 2 人\n    }\n    质量.丙 = 100 %\n  }"
    a = compile_text(PROJECT_HEAD + "  " + flat + "\n}\n", "a.perf").declarations[0]
    b = compile_text(PROJECT_HEAD + "  " + grouped + "\n}\n", "b.perf").declarations[0]
    assert [(i.path, i.target) for i in a.indicators] == [(i.path, i.target) for i in b.indicators]


def test_short_names_resolve_to_official_names() -> None:
    got, _ = one("满意度.满意度.群众满意度 >= 95 %")
    assert got["path"] == ("满意度指标", "服务对象满意度指标", "群众满意度")
    got, _ = one("效益.环境效益.空气质量 定性 改善")
    assert got["path"] == ("效益指标", "生态效益指标", "空气质量")


def test_extra_columns_and_comments() -> None:
    got, diags = one("产出.时效.及时性 定性 按时足额发放 [指标值内容: 按月及时发放] [备注: 按月]  # 注释")
    assert diags == []
    assert got["text"] == "按时足额发放"
    assert got["columns"] == (("指标值内容", "按月及时发放"), ("备注", "按月"))


def test_mixing_2015_and_2021_hierarchies() -> None:
    _, diags = one("产出.成本.单位成本 <= 3 万元")
    assert diags == ["PD-H003"]


def test_declaration_level_waiver(tmp_path: Path) -> None:
    text = '#[allow(PD-R002, 理由 = "本项目不面向公众")]\n' + PROJECT_HEAD.replace(
        "  满意度.服务对象满意度.服务对象满意度 >= 90 %\n", "") + "  产出.数量.人数 >= 1 人\n}\n"
    tmp = tmp_path / "w.perf"
    tmp.write_text(text, encoding="utf-8")
    diags = check_paths([str(tmp)]).diagnostics
    assert [(d.code, d.waived, d.path) for d in diags] == [("PD-R002", True, ("满意度指标",))]


def test_caret_aligned_by_display_width(tmp_path: Path) -> None:
    f = tmp_path / "w.perf"
    f.write_text(PROJECT_HEAD + "  产出.数量.享受待遇人数 >= 2600 元\n}\n", encoding="utf-8")
    res = run_cli("check", str(f))
    lines = res.out.splitlines()
    src = next(i for i, ln in enumerate(lines) if "享受待遇人数 >= 2600 元" in ln)
    code_line, caret_line = lines[src], lines[src + 1]
    prefix = code_line[: code_line.index("元")]
    assert caret_line.index("^") == display_width(prefix)
    assert caret_line.count("^") == 2  # 元 is two columns wide
    assert display_width("产出") == 4 and display_width("a1") == 2


def test_folder_of_sets_checks_each_on_its_own(tmp_path: Path) -> None:
    for unit in ("甲单位", "乙单位"):
        (tmp_path / unit).mkdir()
        (tmp_path / unit / "p.perf").write_text(PROJECT_HEAD + "  产出.数量.人数 >= 1 人\n}\n", encoding="utf-8")
    res = check_paths([str(tmp_path)])
    assert len(res.sets) == 2
    assert "PD-D001" not in [d.code for d in res.diagnostics]  # same title, different sets


def test_unknown_fields_kept_and_rendered(tmp_path: Path) -> None:
    f = tmp_path / "u.perf"
    f.write_text(PROJECT_HEAD.replace("年度目标:", "项目来源: 本级申报项目\n  年度目标:") + "  产出.数量.人数 >= 1 人\n}\n",
                 encoding="utf-8")
    res = run_cli("build", str(f), "--to", "json", "-o", str(tmp_path / "out"))
    assert res.code == 0 and "PD-R003" in res.err
    data = json.loads(next((tmp_path / "out").glob("*.json")).read_text(encoding="utf-8"))
    field = next(x for x in data["declarations"][0]["fields"] if x["key"] == "项目来源")
    assert field == {"key": "项目来源", "label": "项目来源", "type": "text", "known": False, "text": "本级申报项目"}


def test_user_profile_without_python(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "sichuan.toml").write_text(
        'id = "sichuan-project"\nextends = "mof2021"\nname = "四川项目"\nallow_unknown_fields = true\n'
        'required_level1 = ["产出指标"]\n', encoding="utf-8")
    (tmp_path / "a.perf").write_text(
        PROJECT_HEAD.replace("模板: mof2021", "模板: sichuan-project").replace("年度目标:", "预算数: 100\n  年度目标:")
        + "  产出.数量.人数 >= 1 人\n}\n", encoding="utf-8")
    res = check_paths([str(tmp_path)])
    assert res.diagnostics == []
    assert res.sets[0].dset.declarations[0].profile.id == "sichuan-project"
    out = run_cli("profiles", "--profile-dir", str(tmp_path / "profiles"))
    assert "sichuan-project" in out.out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("check", str(tmp_path / "nope.perf")).code == 2
    assert run_cli("explain", "PD-X000").code == 2
    assert run_cli("build", str(tmp_path), "--to", "pdf").code == 2
    res = run_cli("--help")
    assert res.code == 0 and "用法：" in res.out and "子命令" in res.out


def test_build_blocked_by_errors_unless_allowed(tmp_path: Path) -> None:
    f = tmp_path / "e.perf"
    f.write_text(PROJECT_HEAD + "  产出.数量.人数 >= 1\n}\n", encoding="utf-8")
    res = run_cli("build", str(f), "-o", str(tmp_path / "o"))
    assert res.code == 1 and not (tmp_path / "o").exists()
    res = run_cli("build", str(f), "-o", str(tmp_path / "o"), "--allow-errors")
    assert res.code == 0 and list((tmp_path / "o").glob("*.json"))


def test_syntax_errors_recovered_all_reported(tmp_path: Path) -> None:
    f = tmp_path / "s.perf"
    f.write_text(PROJECT_HEAD + "  产出.数量.人数 >= >= 1 人\n  产出.数量.户数 >= 1 户 @\n  产出..质量 = 5\n"
                 "  产出.数量.次数 >= 1 次数\n}\n", encoding="utf-8")
    res = run_cli("check", str(f))
    assert res.code == 1
    for ln in (10, 11, 12, 13):
        assert f"{f}:{ln}:" in res.out
    assert "PD-U001" in res.out  # semantic checks still ran on the valid lines
    for bad in ("Traceback", "__ANON", "Token(", "UnexpectedToken", "$END"):
        assert bad not in res.out


def test_recovery_keeps_line_numbers_after_a_comment_header(tmp_path: Path) -> None:
    """Regression: recovery skipped text using offsets of the whole file, not of the padded
    chunk being parsed, so everything after an error in a file with leading comments was
    misread (a phantom field) and reported on the wrong lines."""
    f = tmp_path / "c.perf"
    body = PROJECT_HEAD.replace("满意度.服务对象满意度.服务对象满意度 >= 90 %", "满意度.服务对像满意度.服务对象满意度 >= 90 %")
    f.write_text("# 注释一\n# 注释二\n\n" + body + "  产出.时效.兑付及时性 >= 及时 [指标值内容: 每年11月份发放]\n"
                 "  产出.数量.人数 >= 1 人\n}\n", encoding="utf-8")
    res = run_cli("check", str(f))
    located = sorted(ln.split(" ")[0] for ln in res.out.splitlines() if ln.startswith(str(f)))
    assert located == [f"{f}:12:7:", f"{f}:13:18:"], res.out  # no PD-R002: 满意度 was written, just misspelt
    assert "[PD-V001]" in res.out and "[PD-H002]" in res.out
    assert "PD-R003" not in res.out


def test_weights_checked_with_profile_severity(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "strict.toml").write_text(
        'id = "strict"\nextends = "mof2021"\nweight_severity = "error"\n', encoding="utf-8")
    text = PROJECT_HEAD.replace("模板: mof2021", "模板: strict").replace("<= 10 万元", "<= 10 万元 [权重: 40]").replace(
        "定性 提高", "定性 提高 [权重: 30]").replace(">= 90 %", ">= 90 % [权重: 30]")
    (tmp_path / "a.perf").write_text(text + "  产出.数量.人数 >= 1 人 [权重: 0]\n}\n", encoding="utf-8")
    diags = check_paths([str(tmp_path)]).diagnostics
    assert [(d.code, d.severity) for d in diags] == [("PD-M005", "error")]
    assert "“人数”的权重“0”不是正数" in diags[0].message
    (tmp_path / "a.perf").write_text(text + "  产出.数量.人数 >= 1 人\n}\n", encoding="utf-8")
    diags = check_paths([str(tmp_path)]).diagnostics
    assert [d.message for d in diags] == ["“人数”的权重没有填写"]


def test_optional_columns_need_no_profile_entry(tmp_path: Path) -> None:
    got, diags = one("产出.数量.人数 >= 1 人 [权重: 10] [指标方向性: 正向指标]")
    assert "PD-R007" not in diags
    assert got["columns"] == (("权重", "10"), ("指标方向性", "正向指标"))


def test_blank_and_comment_lines_after_an_error_line_are_not_errors(tmp_path: Path) -> None:
    f = tmp_path / "b.perf"
    f.write_text(PROJECT_HEAD + "  产出.数量.户数 > = 3 户\n\n  # 注释\n\n  产出.数量.人数 >= 1 人数\n}\n", encoding="utf-8")
    res = run_cli("check", str(f))
    located = [ln.split(" ")[0] for ln in res.out.splitlines() if ln.startswith(str(f))]
    assert located == [f"{f}:10:14:", f"{f}:14:17:"], res.out  # the S001, then the U001 after the gap
    caret = next(ln for ln in res.out.splitlines() if ln.strip().startswith("|") and "^" in ln)
    assert caret.count("^") == 1  # the caret covers the “=” shown, not the rest of the line


def test_a_missing_closing_brace_still_checks_what_was_written(tmp_path: Path) -> None:
    f = tmp_path / "m.perf"
    f.write_text(PROJECT_HEAD + "  产出.数良.人数 >= 2600 人\n", encoding="utf-8")
    res = run_cli("check", str(f))
    assert "[PD-S003]" in res.out
    assert "[PD-H002]" in res.out and "是否应为“数量”？" in res.out
