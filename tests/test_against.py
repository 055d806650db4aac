"""`perfdsl check --against REV|DIR`: loosened targets are PD-A001 warnings with the old value."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT_END, PROJECT_START, ROOT, run_cli

OLD = PROJECT_START + """  产出.数量.服务人数 >= 100 人
  产出.质量.验收合格率 = 100 %
""" + PROJECT_END + "}\n"


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / "项目.perf").write_text(OLD, encoding="utf-8")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "2024")
    return tmp_path


def test_loosened_against_revision_reports_old_value_and_reads_in_memory(repo: Path) -> None:
    f = repo / "项目.perf"
    f.write_text(OLD.replace(">= 100 人", ">= 80 人").replace(">= 90 %", ">= 95 %"), encoding="utf-8")
    before = sorted(p.name for p in repo.rglob("*") if ".git" not in p.parts)
    res = run_cli("check", "项目.perf", "--against", "HEAD", cwd=repo)
    assert res.code == 0
    assert "PD-A001" in res.out
    assert "“服务人数”的目标比 HEAD 放宽了：原为 ≥ 100 人，现为 ≥ 80 人（-20.0%）" in res.out
    assert "HEAD:项目.perf:8:3 原值" in res.out
    assert "服务对象满意度" not in res.out  # tightened: no finding
    after = sorted(p.name for p in repo.rglob("*") if ".git" not in p.parts)
    assert before == after  # nothing unpacked beside the sources
    # run from another repository: HEAD is the checked folder's repository, not the cwd's
    other = run_cli("check", str(f), "--against", "HEAD", cwd=ROOT)
    assert "原为 ≥ 100 人，现为 ≥ 80 人" in other.out


def test_range_wider_and_le_higher_are_loosened(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "a.perf").write_text(OLD.replace("  效益.", "  产出.质量.补助标准 区间 500-1940 元\n  效益."), encoding="utf-8")
    new = tmp_path / "new.perf"
    new.write_text(OLD.replace("<= 10 万元", "<= 12 万元")
                   .replace("  效益.", "  产出.质量.补助标准 区间 500-2000 元\n  效益."), encoding="utf-8")
    res = run_cli("check", str(new), "--against", str(old), "--format", "json")
    found = [d for d in json.loads(res.out) if d["code"] == "PD-A001"]
    assert [d["indicator_path"][-1] for d in found] == ["成本控制数", "补助标准"]
    assert "原为 ≤ 10 万元" in found[0]["message"] and "原为 区间 500-1940 元" in found[1]["message"]


def test_waiver_with_reason_settles_and_sarif_shows_it(tmp_path: Path) -> None:
    old = tmp_path / "old.perf"
    old.write_text(OLD, encoding="utf-8")
    new = tmp_path / "new.perf"
    new.write_text(OLD.replace("  产出.数量.服务人数 >= 100 人",
                               '  #[allow(PD-A001, 理由 = "对象减少")]\n  产出.数量.服务人数 >= 80 人'), encoding="utf-8")
    res = run_cli("check", str(new), "--against", str(old), "--format", "sarif")
    results = json.loads(res.out)["runs"][0]["results"]
    a = [r for r in results if r["ruleId"] == "PD-A001"]
    assert len(a) == 1 and a[0]["suppressions"][0]["justification"] == "对象减少"
    # Without --against the waiver is not stale: no PD-W002.
    plain = run_cli("check", str(new))
    assert "PD-W002" not in plain.out and plain.code == 0


def test_bad_against_is_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "a.perf"
    f.write_text(OLD, encoding="utf-8")
    res = run_cli("check", str(f), "--against", "没有这个版本", cwd=tmp_path)
    assert res.code == 2
    assert "既不是文件或文件夹，也不是 git 版本" in res.err
    assert "Traceback" not in res.text


def test_changes_are_the_data_of_diff_json(tmp_path: Path) -> None:
    """serve --against draws `changes_for`; it must be what `perfdsl diff --format json` reports."""
    from perfdsl.against import changes_for, load_baseline
    from perfdsl.api import check_paths

    old, new = tmp_path / "2024", tmp_path / "2025"
    for folder in (old, new):
        folder.mkdir()
    (old / "a.perf").write_text(OLD, encoding="utf-8")
    (new / "a.perf").write_text(OLD.replace(">= 100 人", ">= 80 人").replace("定性 提高", "定性 明显提高")
                                .replace("实施单位: 测试中心", "实施单位: 测试二中心"), encoding="utf-8")
    diff = json.loads(run_cli("diff", str(old), str(new), "--format", "json").out)["changes"]
    base = load_baseline(str(old))
    decls = check_paths([str(new)]).sets[0].dset.declarations
    ours = [c.to_json() for d in decls for c in changes_for(d, base)]
    assert ours == diff and len(ours) == 3
