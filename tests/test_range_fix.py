"""PD-V003's fix must make sense: a range with equal ends becomes `=`, a reversed one is swapped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

DECL = """项目 测试项目 {{
  模板: mof2021
  主管部门: 测试局
  实施单位: 测试中心
  年度目标:
    - 完成年度任务
  成本.经济成本.成本控制数 <= 12 万元
  产出.数量.服务人数 {target}
  效益.社会效益.群众获得感 定性 提高
  满意度.服务对象满意度.服务对象满意度 >= 95 %
}}
"""


def _diags(path: Path) -> list[dict[str, object]]:
    data = json.loads(run_cli("check", "--format", "json", str(path)).out)
    return data if isinstance(data, list) else data["diagnostics"]


def _apply(text: str, fix: dict[str, object]) -> str:
    lines = text.split("\n")
    ln = int(fix["line"]) - 1  # type: ignore[call-overload]
    assert fix["end_line"] == fix["line"]
    row = lines[ln]
    lines[ln] = row[: int(fix["column"]) - 1] + str(fix["replacement"]) + row[int(fix["end_column"]) - 1:]  # type: ignore[call-overload]
    return "\n".join(lines)


@pytest.mark.parametrize(("target", "description", "fixed"), [
    ("区间 5-5 人", "两端相同，写成等于", "产出.数量.服务人数 = 5 人"),
    ("区间 1940-500 人", "交换上下限", "产出.数量.服务人数 区间 500-1940人"),
])
def test_v003_fix_applies_cleanly(tmp_path: Path, target: str, description: str, fixed: str) -> None:
    path = tmp_path / "a.perf"
    text = DECL.format(target=target)
    path.write_text(text, encoding="utf-8")
    (v003,) = [d for d in _diags(path) if d["code"] == "PD-V003"]
    fix = v003["fix"]
    assert isinstance(fix, dict) and fix["description"] == description
    new = _apply(text, fix)
    assert fixed in new
    path.write_text(new, encoding="utf-8")
    assert _diags(path) == []
