"""Values written as the forms print them (issue #11 §4): a bare quantity means "=" where
the profile allows it (`8个`), `100.00(%)` and `≥90%`, and a colon inside an indicator name
never silently turns the indicator into a header field (PD-S009, with a fix that quotes it)."""

from __future__ import annotations

from pathlib import Path

from perfdsl.api import check_paths, compile_text

from conftest import PROJECT_HEAD, run_cli


def _set(tmp_path: Path, lines: str, profile: str = "mof2021") -> Path:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "bare.toml").write_text(
        'id = "bare"\nextends = "mof2021"\nbare_equals = true\n\n[operators]\neq = ""\n', encoding="utf-8")
    (tmp_path / "a.perf").write_text(PROJECT_HEAD.replace("mof2021", profile) + lines + "}\n", encoding="utf-8")
    return tmp_path


def test_bare_quantity_means_equals_where_the_profile_allows_it(tmp_path: Path) -> None:
    folder = _set(tmp_path, "  产出.数量.安置小区物业费 8个\n  产出.数量.开展运动种类 1 种\n", "bare")
    res = check_paths([str(folder)])
    assert [d.code for d in res.diagnostics] == []
    decl = res.sets[0].dset.declarations[0]
    got = {i.name: (i.target.op, str(i.target.value), i.target.unit) for i in decl.indicators}
    assert got["安置小区物业费"] == ("eq", "8", "个") and got["开展运动种类"] == ("eq", "1", "种")
    out = tmp_path / "out"
    assert run_cli("build", str(folder), "--to", "docx", "-o", str(out)).code == 0
    from test_docx import tables

    grid = tables(next(out.glob("*.docx")).read_bytes())[0]
    row = next(r for r in grid if r[3] == "安置小区物业费")
    assert row[6] == "8个"  # printed as the form prints it


def test_bare_quantity_elsewhere_is_an_error_with_a_valid_fix(tmp_path: Path) -> None:
    folder = _set(tmp_path, "  产出.数量.安置小区物业费 8 个\n")
    res = check_paths([str(folder)])
    d = next(d for d in res.diagnostics if d.code == "PD-V006")
    assert d.is_error and d.fix is not None and d.fix.replacement == "= 8 个"
    fixed = _apply(folder / "a.perf", d)
    assert not [x for x in check_paths([str(fixed)]).diagnostics if x.is_error]


def test_printed_percent_forms() -> None:
    res = compile_text(PROJECT_HEAD
                       + "  产出.质量.验收合格率 =100.00(%)\n  产出.质量.达标率 ≥90%\n  产出.质量.优良率 >= 95（%）\n}\n",
                       "t.perf")
    assert [d.code for d in res.diagnostics] == []
    got = {i.name: (i.target.op, str(i.target.value), i.target.unit) for i in res.declarations[0].indicators}
    assert got["验收合格率"] == ("eq", "100.00", "%")
    assert got["达标率"] == ("ge", "90", "%") and got["优良率"] == ("ge", "95", "%")


def _apply(path: Path, d) -> Path:  # type: ignore[no-untyped-def]
    lines = path.read_text(encoding="utf-8").split("\n")
    s = d.fix.span
    line = lines[s.line - 1]
    lines[s.line - 1] = line[:s.col - 1] + d.fix.replacement + line[s.end_col - 1:]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_colon_in_an_indicator_name_is_an_error_never_a_field(tmp_path: Path) -> None:
    lines = ("  产出.数量.指标1:安置小区物业费 = 8 个\n"
             "  产出 {\n    数量.指标2：安置小区保洁费 >= 3 个\n    质量.验收率 = 100 %\n  }\n")
    folder = _set(tmp_path, lines)
    res = run_cli("check", str(folder))
    assert res.code == 1
    assert res.out.count("PD-S009") == 2 and "PD-R003" not in res.out
    diags = [d for d in check_paths([str(folder)]).diagnostics if d.code == "PD-S009"]
    assert all(d.is_error for d in diags)
    assert [d.fix.replacement for d in diags] == ['"指标1:安置小区物业费"', '"指标2：安置小区保洁费"']  # type: ignore[union-attr]
    assert diags[1].path == ("产出指标", "数量指标", "指标2：安置小区保洁费")  # the block's prefix, in full names
    decl = check_paths([str(folder)]).sets[0].dset.declarations[0]
    assert not [f for f in decl.fields if f.key.startswith("产出")]  # not a header field
    for d in sorted(diags, key=lambda d: -d.span.line):  # apply the fixes: valid text, the indicators back
        _apply(folder / "a.perf", d)
    after = check_paths([str(folder)])
    assert [d.code for d in after.diagnostics if d.is_error] == []
    names = {i.name for i in after.sets[0].dset.declarations[0].indicators}
    assert {"指标1:安置小区物业费", "指标2：安置小区保洁费"} <= names


def test_a_header_field_with_a_colon_value_is_still_a_field(tmp_path: Path) -> None:
    folder = _set(tmp_path, "")
    text = (folder / "a.perf").read_text(encoding="utf-8").replace("  实施单位: 测试中心\n",
                                                                  "  实施单位: 测试中心：二级单位 = 3 个\n")
    (folder / "a.perf").write_text(text, encoding="utf-8")
    res = check_paths([str(folder)])
    assert "PD-S009" not in [d.code for d in res.diagnostics]  # one-segment key: a field


def test_fmt_keeps_values_as_printed(tmp_path: Path) -> None:
    folder = _set(tmp_path, "  产出.数量.安置小区物业费 8个\n  产出.质量.验收合格率 =100.00(%)\n", "bare")
    res = run_cli("fmt", str(folder / "a.perf"))
    assert res.code == 0, res.text
    text = (folder / "a.perf").read_text(encoding="utf-8")
    assert "  产出.数量.安置小区物业费 8 个\n" in text  # still bare: the profile says it means "="
    assert "  产出.质量.验收合格率 = 100.00 %\n" in text
    assert [d.code for d in check_paths([str(folder)]).diagnostics] == []
