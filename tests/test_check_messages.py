"""What `perfdsl check` says about common first-time mistakes (a user review's findings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

HEAD = "项目 测试项目 {\n  模板: mof2021\n  主管部门: 测试局\n  实施单位: 测试中心\n"


def _check(tmp_path: Path, body: str) -> list[dict[str, object]]:
    path = tmp_path / "a.perf"
    path.write_text(HEAD + body + "}\n", encoding="utf-8")
    run = run_cli("check", "--format", "json", str(path))
    data = json.loads(run.out)
    return data if isinstance(data, list) else data["diagnostics"]


@pytest.mark.parametrize(("written", "number"), [
    ("百分之九十", "90 %"), ("三百", "300"), ("一千二百五十", "1250"), ("九成", "90 %"),
    ("百分之九十点五", "90.5 %"), ("三百人", "300 人"),
])
def test_v001_chinese_numerals_suggest_the_number(tmp_path: Path, written: str, number: str) -> None:
    (d,) = [d for d in _check(tmp_path, f"  产出 {{\n    数量.人数 >= {written}\n  }}\n") if d["code"] == "PD-V001"]
    assert d["indicator_path"] == ["产出指标", "数量指标", "人数"]
    assert d["fix"] is not None and d["fix"]["replacement"] == number
    assert "定性" not in str(d["help"])


@pytest.mark.parametrize("written", ["及时", "一般", "十分满意", "提高"])
def test_v001_words_suggest_qualitative(tmp_path: Path, written: str) -> None:
    (d,) = [d for d in _check(tmp_path, f"  产出.数量.人数 >= {written}\n") if d["code"] == "PD-V001"]
    assert d["fix"] is None
    assert f"定性 {written}" in str(d["help"])


def test_paths_use_full_names_where_they_resolve(tmp_path: Path) -> None:
    diags = _check(tmp_path, "  成本.经济成本.补助标准 区间 1940-500 元\n  产出.数量.人数 >= 1 次 [批注: 无]\n"
                             "  产初.数量.次数 >= 1 次\n")
    paths = {d["code"]: d["indicator_path"] for d in diags}
    assert paths["PD-V003"] == ["成本指标", "经济成本指标", "补助标准"]
    assert paths["PD-R007"] == ["产出指标", "数量指标", "人数"]
    assert paths["PD-H001"] == ["产初", "数量", "次数"]  # does not resolve: as written


def test_unclosed_blocks_are_named_at_their_opening_line(tmp_path: Path) -> None:
    path = tmp_path / "a.perf"
    path.write_text("项目 甲 {\n  模板: mof2021\n  产出 {\n    数量.人数 >= 3 人\n", encoding="utf-8")
    data = json.loads(run_cli("check", "--format", "json", str(path)).out)
    (d,) = [d for d in (data if isinstance(data, list) else data["diagnostics"]) if d["code"] == "PD-S003"]
    assert (d["line"], d["column"], d["message"]) == (3, 3, "分组“产出”缺少结束的 }")
    assert "外层的项目“甲”也没有结束" in str(d["help"])
