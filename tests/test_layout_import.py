"""Issue 12 §1: import reads a form through the layouts perfdsl knows.

For the test profile test-sh-ah and every built-in profile, an example declaration
(tests/layout_examples.py: every field filled with a distinct value) is built to DOCX and
XLSX, then imported with the embedded data ignored (`--ignore-embedded`: exactly what a
file whose perfdsl data was stripped gives). Every header value must land in its field,
with no "请人工核对" comment, and the model must equal the original.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from layout_examples import example

from perfdsl.api import check_paths
from perfdsl.backends import jsonout
from perfdsl.profiles import builtin_ids, find_profile

from conftest import ROOT, run_cli

LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"


def _model(path: Path, *dirs: str) -> dict:
    res = check_paths([str(path)], tuple(dirs))
    assert not res.has_errors, [d.message for d in res.diagnostics]
    data = json.loads(jsonout.render(res.sets[0].dset))
    data.pop("name")
    return data


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
    return text, _model(folder / "a.perf", *dirs), _model(target, *dirs)


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
