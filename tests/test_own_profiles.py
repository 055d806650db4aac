"""Every command sees the same profiles (issue 12 §5), and files built with a user's own
profile import back exactly (§2).

The fixture tests/fixtures/own-profile/ is a folder with its own profiles/myprov.toml (a
profile extending mof2021 with other labels, another field order and another list
numbering) and one correctly written declaration that uses it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfdsl import tomlout
from perfdsl.profiles import tomllib

from conftest import ROOT, checked_model, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "own-profile"
DECL = "社区养老.perf"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    dst = tmp_path / "某县民政局"
    shutil.copytree(FIXTURE, dst)
    return dst


def _profile_elsewhere(folder: Path, tmp_path: Path) -> Path:
    """Move profiles/ out of the folder: it is then found only through --profile-dir."""
    dst = tmp_path / "共享模板"
    shutil.move(str(folder / "profiles"), dst)
    return dst


# ----------------------------------------------------------------------------------------
# §5 fmt
# ----------------------------------------------------------------------------------------


def test_fmt_check_passes_on_a_folder_with_its_own_profiles(folder: Path) -> None:
    """The pre-commit hook must not rewrite correct files: fields follow the file's own profile."""
    before = (folder / DECL).read_text(encoding="utf-8")
    res = run_cli("fmt", "--check", str(folder))
    assert res.code == 0, res.text
    assert "格式检查通过" in res.out
    assert run_cli("fmt", str(folder)).code == 0
    assert (folder / DECL).read_text(encoding="utf-8") == before
    # A single file finds the profiles/ beside it too.
    assert run_cli("fmt", "--check", str(folder / DECL)).code == 0


def test_fmt_orders_fields_by_the_own_profile(folder: Path) -> None:
    path = folder / DECL
    text = path.read_text(encoding="utf-8")
    # 项目负责人 moved below 主管部门: the own profile wants it above (mof2021 has no such field).
    moved = text.replace("  项目负责人: 张三\n", "").replace("  主管部门: 某县民政局\n", "  主管部门: 某县民政局\n  项目负责人: 张三\n")
    path.write_text(moved, encoding="utf-8")
    assert run_cli("fmt", "--check", str(folder)).code == 1
    assert run_cli("fmt", str(folder)).code == 0
    assert path.read_text(encoding="utf-8") == text


def test_fmt_with_profile_dir(folder: Path, tmp_path: Path) -> None:
    shared = _profile_elsewhere(folder, tmp_path)
    assert run_cli("fmt", "--check", "--profile-dir", str(shared), str(folder)).code == 0
    # Without the profile its order is unknown: the fields are left as they are, not
    # reordered by some other profile.
    res = run_cli("fmt", "--check", str(folder))
    assert res.code == 0, res.text


def test_fmt_reports_a_broken_profile(folder: Path) -> None:
    (folder / "profiles" / "broken.toml").write_text("id = \n", encoding="utf-8")
    res = run_cli("fmt", "--check", str(folder))
    assert res.code == 2
    assert "broken.toml" in res.err and "Traceback" not in res.err


# ----------------------------------------------------------------------------------------
# §5 profiles
# ----------------------------------------------------------------------------------------


def _rows(out: str) -> dict[str, list[str]]:
    return {ln.split("\t")[0]: ln.split("\t") for ln in out.splitlines()}


def test_profiles_lists_local_profiles_with_their_origin(folder: Path, tmp_path: Path) -> None:
    res = run_cli("profiles", str(folder))
    assert res.code == 0, res.text
    rows = _rows(res.out)
    assert rows["myprov-project"][2] == "本地 profiles/"
    assert rows["mof2021"][2] == "内置"
    # Run inside the folder: the current folder is the default place.
    assert "myprov-project" in run_cli("profiles", cwd=folder).out
    shared = _profile_elsewhere(folder, tmp_path)
    assert "myprov-project" not in run_cli("profiles", str(folder)).out
    rows = _rows(run_cli("profiles", str(folder), "--profile-dir", str(shared)).out)
    assert rows["myprov-project"][2] == "--profile-dir"


def test_profiles_sees_the_environment_path(folder: Path, tmp_path: Path) -> None:
    shared = _profile_elsewhere(folder, tmp_path)
    env = {**os.environ, "PERFDSL_PROFILE_PATH": str(shared)}
    proc = subprocess.run([sys.executable, "-m", "perfdsl", "profiles", str(folder)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert _rows(proc.stdout)["myprov-project"][2] == "$PERFDSL_PROFILE_PATH"


def test_profiles_show_prints_the_profile_with_what_it_inherits(folder: Path) -> None:
    res = run_cli("profiles", "show", "myprov-project", str(folder))
    assert res.code == 0, res.text
    assert res.out.startswith("# 模板 myprov-project（本地 profiles/")
    data = tomllib.loads(res.out)
    assert "extends" not in data
    assert data["title"] == "某省项目支出绩效目标申报表"  # its own
    assert [f["key"] for f in data["fields"]][:3] == ["年度", "项目名称", "项目负责人"]
    assert data["operators"]["ge"] == "≥"  # inherited from mof2021
    assert [h["name"] for h in data["hierarchy"]] == ["成本指标", "产出指标", "效益指标", "满意度指标"]
    # A built-in one, from anywhere; the printed TOML loads as the same profile.
    builtin = run_cli("profiles", "show", "gansu-dept")
    assert builtin.code == 0
    raw = tomllib.loads((ROOT / "perfdsl" / "data" / "profiles" / "gansu-dept.toml").read_text(encoding="utf-8"))
    assert tomllib.loads(builtin.out) == raw


def test_profiles_show_unknown_and_bad_usage(folder: Path) -> None:
    res = run_cli("profiles", "show", "没有这个模板", str(folder))
    assert res.code == 2 and "没有模板“没有这个模板”" in res.err
    assert run_cli("profiles", "show").code == 2
    assert run_cli("profiles", str(folder / "不存在")).code == 2


_keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
_scalars = st.one_of(st.booleans(), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=False), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",))))
_inline = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, st.one_of(
    _inline,
    st.dictionaries(_keys, _inline, max_size=3),
    st.lists(st.dictionaries(_keys, _inline, min_size=1, max_size=3), min_size=1, max_size=3),
), max_size=5))
def test_property_toml_writer_round_trips(data: dict) -> None:
    assert tomllib.loads(tomlout.dumps(data)) == data


# ----------------------------------------------------------------------------------------
# §5 diff and lsp
# ----------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                   check=True, capture_output=True)


def test_diff_of_a_git_revision_uses_its_local_profiles(folder: Path) -> None:
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-qm", "init")
    path = folder / DECL
    path.write_text(path.read_text(encoding="utf-8").replace(">= 1,200 人", ">= 1,300 人"), encoding="utf-8")
    res = run_cli("diff", "HEAD", "--format", "json", cwd=folder)
    assert res.code == 0, res.text
    changes = json.loads(res.out)
    assert len(changes["changes"]) == 1, res.out  # only the edit, not fields the profile renames


def test_diff_has_profile_dir(folder: Path, tmp_path: Path) -> None:
    shared = _profile_elsewhere(folder, tmp_path)
    old = tmp_path / "旧.perf"
    shutil.copy(folder / DECL, old)
    new = folder / DECL
    new.write_text(new.read_text(encoding="utf-8").replace("20.00", "25.00")
                   .replace("120.00", "125.00"), encoding="utf-8")
    res = run_cli("diff", str(old), str(new), "--profile-dir", str(shared), "--format", "json")
    assert res.code == 0, res.text
    keys = sorted(c["path"][0] for c in json.loads(res.out)["changes"])
    assert keys == ["其他资金", "年度资金总额"], res.out


def test_lsp_formatting_uses_the_own_profile(folder: Path) -> None:
    pytest.importorskip("pygls")
    from test_lsp import Client, _open

    client = Client()
    try:
        client.request("initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}})
        client.notify("initialized", {})
        path = folder / DECL
        text = path.read_text(encoding="utf-8")
        _open(client, path, text)
        edits = client.request("textDocument/formatting", {"textDocument": {"uri": path.as_uri()},
                                                            "options": {"tabSize": 2, "insertSpaces": True}})
        assert edits == []  # already canonical for its own profile
    finally:
        client.close()


def test_lsp_accepts_profile_dir() -> None:
    proc = subprocess.run([sys.executable, "-m", "perfdsl", "lsp", "--help"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and "--profile-dir" in proc.stdout


# ----------------------------------------------------------------------------------------
# §2 own outputs, own profiles
# ----------------------------------------------------------------------------------------


def _build(folder: Path, fmt: str, *extra: str) -> Path:
    out = folder / "out"
    res = run_cli("build", str(folder), "--to", fmt, "-o", str(out), *extra)
    assert res.code == 0, res.text
    return next(out.glob(f"*.{fmt}"))


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_own_profile_output_imports_back_exactly(folder: Path, fmt: str) -> None:
    built = _build(folder, fmt)
    target = folder / "导回.perf"  # beside profiles/, where it will be checked
    res = run_cli("import", str(built), "-o", str(target))
    assert res.code == 0, res.text
    assert res.err == ""  # no "文件在 perfdsl 生成后被修改过", no other warning
    assert "精确导入" in res.out
    text = target.read_text(encoding="utf-8")
    assert "模板: myprov-project" in text and "项目负责人: 张三" in text
    assert checked_model(target) == checked_model(folder / DECL)


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_own_profile_output_with_profile_dir_and_profile_path(folder: Path, tmp_path: Path, fmt: str) -> None:
    built = _build(folder, fmt)
    shared = _profile_elsewhere(folder, tmp_path)
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    res = run_cli("import", str(built), "-o", str(elsewhere / "a.perf"), "--profile-dir", str(shared))
    assert res.code == 0 and res.err == "", res.text
    assert checked_model(elsewhere / "a.perf", str(shared)) == checked_model(folder / DECL, str(shared))
    # --profile as a path to the .toml file
    res = run_cli("import", str(built), "--stdout", "--profile", str(shared / "myprov.toml"))
    assert res.code == 0 and res.err == "", res.text
    assert "模板: myprov-project" in res.out and "项目负责人: 张三" in res.out


def test_own_profile_output_without_the_profile_says_so(folder: Path, tmp_path: Path) -> None:
    built = _build(folder, "docx")
    _profile_elsewhere(folder, tmp_path)
    res = run_cli("import", str(built), "--stdout")
    assert res.code == 0
    assert "找不到这个模板" in res.err and "文件在 perfdsl 生成后被修改过" not in res.err
    assert "模板: myprov-project" in res.out and "项目负责人: 张三" in res.out  # nothing dropped


def test_own_profile_output_edited_in_excel_is_still_noticed(folder: Path) -> None:
    import openpyxl

    built = _build(folder, "xlsx")
    wb = openpyxl.load_workbook(built)
    hits = 0
    for ws in wb.worksheets:
        if ws.title in ("指标清单", "_perfdsl"):
            continue
        for row in ws.iter_rows():
            if "服务老年人数" in [c.value for c in row]:
                for c in row:
                    # mof2021's form prints one combined 指标值 cell (≥1200人)
                    if c.value in (1200, "≥1200人"):
                        c.value = 1300 if c.value == 1200 else "≥1300人"
                        hits += 1
    assert hits == 1
    wb.save(built)
    res = run_cli("import", str(built), "-o", str(folder / "改过.perf"))
    assert res.code == 0
    assert "被修改过" in res.err
    text = (folder / "改过.perf").read_text(encoding="utf-8")
    assert "服务老年人数 >= 1300 人" in text and "模板: myprov-project" in text


def test_import_refuses_an_existing_output_before_reading_the_input(tmp_path: Path) -> None:
    bad = tmp_path / "坏文件.docx"
    bad.write_bytes(b"not a zip at all")
    out = tmp_path / "坏文件.perf"
    out.write_text("# 我的文件\n", encoding="utf-8")
    res = run_cli("import", str(bad))
    assert res.code == 2
    assert "已存在，未覆盖" in res.err and "无法导入" not in res.err
    assert out.read_text(encoding="utf-8") == "# 我的文件\n"
    res = run_cli("import", str(tmp_path / "没有这个文件.docx"), "-o", str(out))
    assert res.code == 2 and "已存在" in res.err


def test_import_profile_path_errors(tmp_path: Path, folder: Path) -> None:
    built = _build(folder, "docx")
    res = run_cli("import", str(built), "--stdout", "--profile", str(tmp_path / "没有.toml"))
    assert res.code == 2 and "找不到模板文件" in res.err
    (tmp_path / "坏.toml").write_text("id = [\n", encoding="utf-8")
    res = run_cli("import", str(built), "--stdout", "--profile", str(tmp_path / "坏.toml"))
    assert res.code == 2 and "无法读取" in res.err and "Traceback" not in res.err


def test_no_local_profiles_is_honoured_by_every_command(folder: Path) -> None:
    """A reviewer's switch: the folder's own profiles/ are not read by fmt, profiles, import either."""
    assert "myprov-project" not in run_cli("profiles", str(folder), "--no-local-profiles").out
    built = _build(folder, "docx")
    res = run_cli("import", str(built), "--stdout", "--no-local-profiles")
    assert res.code == 0 and "找不到这个模板" in res.err
    # fmt leaves the fields of a profile it cannot see in their order (and does not fail)
    assert run_cli("fmt", "--check", "--no-local-profiles", str(folder / DECL)).code == 0
    res = run_cli("diff", str(folder / DECL), str(folder / DECL), "--no-local-profiles")
    assert res.code == 0


def test_profiles_marks_a_local_profile_that_shadows_a_builtin(folder: Path) -> None:
    text = (folder / "profiles" / "myprov.toml").read_text(encoding="utf-8")
    (folder / "profiles" / "mof2021.toml").write_text(
        text.replace('id = "myprov-project"', 'id = "mof2021"').replace('extends = "mof2021"\n', ""), encoding="utf-8")
    rows = _rows(run_cli("profiles", str(folder)).out)
    assert rows["mof2021"][2] == "本地 profiles/"
    assert rows["mof2021"][-1].endswith("（覆盖了同名的内置模板，见 PD-L001）")
