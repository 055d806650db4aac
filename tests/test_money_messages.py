"""PD-M001 says which parts of a total were left empty, and tells apart parts that share a label."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

SHANGHAI = """项目 测试 {
  模板: shanghai-project
  年度资金申请总额: 1200000
  当年财政拨款: 1000000
  项目其他资金: 200000
}
"""


def test_total_names_its_empty_parts_by_their_own_keys(tmp_path: Path) -> None:
    # The form labels both 项目其他资金 and 年度其他资金 “其他资金”: filling the project one must not
    # read as if the year's were filled.
    src = tmp_path / "a.perf"
    src.write_text(SHANGHAI, encoding="utf-8")
    res = run_cli("check", "--format", "json", str(src))
    data = json.loads(res.out)
    diags = data if isinstance(data, list) else data["diagnostics"]
    (m001,) = [d for d in diags if d["code"] == "PD-M001"]
    assert m001["help"] == "未填写的组成部分：上年结转资金、年度其他资金"
    text = run_cli("check", str(src)).out
    assert "帮助：未填写的组成部分：上年结转资金、年度其他资金" in text
