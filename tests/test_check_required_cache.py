"""PD-R001 reads each profile's own required fields: the required list kept per field list
(perfdsl.checks.required.required_specs) is never another profile's, even when two
profiles have as many fields and are checked one after the other in one process."""

from __future__ import annotations

from pathlib import Path

from perfdsl.api import check_paths

from conftest import PROJECT_END, PROJECT_START

STRICT = """id = "strict-attr"
name = "项目属性必填的模板"
extends = "mof2021"

[[fields]]
key = "项目属性"
label = "项目属性"
type = "text"
required = true
"""

def _decl(template: str) -> str:
    text = PROJECT_START + "  产出.数量.服务人数 >= 100 人\n" + PROJECT_END + "}\n"
    return text.replace("模板: mof2021", f"模板: {template}")


def _missing(tmp_path: Path, template: str) -> list[str]:
    folder = tmp_path / template
    folder.parent.mkdir(exist_ok=True)
    folder.mkdir()
    (folder / "profiles").mkdir()
    (folder / "profiles" / "strict.toml").write_text(STRICT, encoding="utf-8")
    (folder / "a.perf").write_text(_decl(template), encoding="utf-8")
    diags = check_paths([str(folder / "a.perf")], jobs=1).diagnostics
    assert not [d for d in diags if d.code.startswith("PD-C")]  # the profile loads cleanly
    return [d.message for d in diags if d.code == "PD-R001"]


def test_each_profile_its_own_required_fields(tmp_path: Path) -> None:
    for _round in range(2):  # each profile after the other, both ways
        plain = _missing(tmp_path / f"p{_round}", "mof2021")
        strict = _missing(tmp_path / f"s{_round}", "strict-attr")
        assert not any("项目属性" in m for m in plain)
        assert [m for m in strict if "项目属性" in m] and len(strict) == len(plain) + 1
