"""PD-R001 reads each profile's own required fields: the required list kept per field list
(perfdsl.checks.required.required_specs) is never another profile's, even when two
profiles have as many fields and are checked one after the other in one process."""

from __future__ import annotations

from pathlib import Path

from perfdsl.api import check_paths

STRICT = """id = "strict-attr"
name = "项目属性必填的模板"
extends = "mof2021"

[[fields]]
key = "项目属性"
label = "项目属性"
type = "text"
required = true
"""

DECL = """项目 测试项目 {{
  模板: {template}
  主管部门: 测试局
  实施单位: 测试中心
  年度目标:
    - 完成年度任务
  成本.经济成本.成本控制数 <= 10 万元
  产出.数量.服务人数 >= 100 人
  效益.社会效益.群众获得感 定性 提高
  满意度.服务对象满意度.服务对象满意度 >= 90 %
}}
"""


def _missing(tmp_path: Path, template: str) -> list[str]:
    folder = tmp_path / template
    folder.parent.mkdir(exist_ok=True)
    folder.mkdir()
    (folder / "profiles").mkdir()
    (folder / "profiles" / "strict.toml").write_text(STRICT, encoding="utf-8")
    (folder / "a.perf").write_text(DECL.format(template=template), encoding="utf-8")
    diags = check_paths([str(folder / "a.perf")], jobs=1).diagnostics
    assert not [d for d in diags if d.code.startswith("PD-C")]  # the profile loads cleanly
    return [d.message for d in diags if d.code == "PD-R001"]


def test_each_profile_its_own_required_fields(tmp_path: Path) -> None:
    for _round in range(2):  # each profile after the other, both ways
        plain = _missing(tmp_path / f"p{_round}", "mof2021")
        strict = _missing(tmp_path / f"s{_round}", "strict-attr")
        assert not any("项目属性" in m for m in plain)
        assert [m for m in strict if "项目属性" in m] and len(strict) == len(plain) + 1
