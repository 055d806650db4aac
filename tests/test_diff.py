"""`perfdsl diff`: changes keyed by declaration and indicator path, never by line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE, run_cli

PROJECT = "01-企业职工养老保险县级财政补助资金.perf"
DEPT = "00-部门整体.perf"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(EXAMPLE, new)
    return old, new


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_identical_inputs_print_nothing_changed(pair: tuple[Path, Path]) -> None:
    res = run_cli("diff", str(pair[0]), str(pair[1]))
    assert res.code == 0 and res.out == "没有变化。\n"


def test_one_target_changed_reports_exactly_that_indicator(pair: tuple[Path, Path]) -> None:
    old, new = pair
    _edit(new / PROJECT, "数量.享受待遇人数 >= 2600 人", "数量.享受待遇人数 >= 2800 人")
    res = run_cli("diff", "--format", "json", str(old), str(new))
    changes = json.loads(res.out)["changes"]
    assert len(changes) == 1
    c = changes[0]
    assert c["kind"] == "target_changed"
    assert c["path"] == ["产出指标", "数量指标", "享受待遇人数"]
    assert (c["old"], c["new"], c["percent"], c["direction"]) == ("2600 人", "2800 人", "+7.7%", "tightened")
    text = run_cli("diff", str(old), str(new)).out
    assert "享受待遇人数 ≥ 2600 → 2800 人（+7.7%，收紧）" in text
    assert text.count("→") == 1
    md = run_cli("diff", "--format", "markdown", str(old), str(new)).out
    assert "| 指标值变化 | 产出指标 › 数量指标 › 享受待遇人数 | ≥ 2600 人 | ≥ 2800 人 | +7.7%，收紧 |" in md


def test_reformatting_and_moving_lines_is_no_change(pair: tuple[Path, Path]) -> None:
    old, new = pair
    text = (new / DEPT).read_text(encoding="utf-8")
    lines = text.split("\n")
    i = next(n for n, ln in enumerate(lines) if "基本支出预算执行率" in ln)
    lines[i], lines[i + 1] = lines[i + 1].replace(" <= ", "≤"), "      " + lines[i].strip()
    (new / DEPT).write_text("\n".join(lines), encoding="utf-8")
    assert run_cli("diff", str(old), str(new)).out == "没有变化。\n"


def test_every_kind_of_change(pair: tuple[Path, Path]) -> None:
    old, new = pair
    d = new / DEPT
    _edit(d, "基本支出.人员经费: 302.21", "基本支出.人员经费: 312.21")
    _edit(d, "资金使用规范性 定性 规范", "资金使用规范性 定性 严格规范")
    _edit(d, "成本控制数 <= 322.5 万元", "成本控制数 <= 300 万元")
    _edit(d, "项目支出预算执行率 <= 100 %", "项目支出预算执行率 = 100 %")
    _edit(d, "联系人: 付亚军", "联系人: 张三")
    _edit(d, "[备注: 按月发放]", "[备注: 每月发放]")
    _edit(d, "采购管理.政府采购规范性 定性 规范", "资产管理.政府采购规范性 定性 规范")
    _edit(d, "    资产管理.资产管理规范性 定性 规范\n", "")
    _edit(new / PROJECT, "质量.资金发放覆盖率 = 100 %", "质量.资金发放覆盖率 = 100 %\n    质量.新指标 >= 1 个")
    res = run_cli("diff", "--format", "json", str(old), str(new))
    kinds = {(c["kind"], c["path"][-1]) for c in json.loads(res.out)["changes"]}
    assert kinds == {
        ("money_changed", "人员经费"), ("wording_changed", "资金使用规范性"),
        ("target_changed", "成本控制数"), ("operator_changed", "项目支出预算执行率"),
        ("field_changed", "联系人"), ("wording_changed", "待遇发放及时性"),
        ("indicator_moved", "政府采购规范性"), ("indicator_removed", "资产管理规范性"),
        ("indicator_added", "新指标"),
    }
    text = run_cli("diff", str(old), str(new)).out
    assert "人员经费 302.21 → 312.21 万元（+10.00 万元，+3.3%）" in text
    assert "成本控制数 ≤ 322.5 → 300 万元（-22.50 万元，-7.0%，收紧）" in text


def test_exit_code_option_and_bad_argument(pair: tuple[Path, Path]) -> None:
    old, new = pair
    assert run_cli("diff", "--exit-code", str(old), str(new)).code == 0
    _edit(new / PROJECT, "成本控制数 <= 156 万元", "成本控制数 <= 170 万元")
    assert run_cli("diff", "--exit-code", str(old), str(new)).code == 1
    assert run_cli("diff", str(old), str(new)).code == 0
    res = run_cli("diff", "不存在的版本", str(new))
    assert res.code == 2 and "git 版本" in res.err


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "2025")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    _edit(repo / "2025" / PROJECT, "数量.享受待遇人数 >= 2600 人", "数量.享受待遇人数 >= 2500 人")
    res = run_cli("diff", "HEAD", cwd=repo)
    assert "享受待遇人数 ≥ 2600 → 2500 人（-3.8%，放宽）" in res.out and res.out.count("→") == 1
    _git(repo, "commit", "-qam", "two")
    res = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert "享受待遇人数 ≥ 2600 → 2500 人" in res.out
    assert run_cli("diff", "HEAD", cwd=repo).out == "没有变化。\n"


def test_ci_review_script(tmp_path: Path) -> None:
    import sys

    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "decl")
    from perfdsl.formatter import format_source

    for f in (repo / "decl").glob("*.perf"):  # the CI recipe also runs fmt --check
        out, _ = format_source(f.read_text(encoding="utf-8"), str(f))
        assert out is not None
        f.write_text(out, encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    _edit(repo / "decl" / PROJECT, "数量.享受待遇人数 >= 2600 人", "数量.享受待遇人数 >= 2800 人")
    script = Path(__file__).resolve().parent.parent / "scripts" / "ci-review.sh"
    env = {"PATH": "/usr/bin:/bin", "PERFDSL": str(Path(sys.executable).parent / "perfdsl"), "HOME": str(tmp_path)}
    res = subprocess.run(["sh", str(script), "HEAD", "decl"], cwd=repo, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "| 指标值变化 | 产出指标 › 数量指标 › 享受待遇人数 | ≥ 2600 人 | ≥ 2800 人 |" in res.stdout
    log = json.loads((repo / "perfdsl.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"


def test_pre_commit_hooks_run_real_commands() -> None:
    hooks = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entries = [ln.split(":", 1)[1].strip() for ln in hooks.splitlines() if ln.strip().startswith("entry:")]
    assert entries == ["perfdsl check", "perfdsl fmt --check"]
    for entry in entries:
        assert run_cli(*entry.split()[1:], str(EXAMPLE)).code == 0


def test_git_textconv_driver_shows_declarations_for_word_files(tmp_path: Path) -> None:
    """The documented diff driver: `git diff` on a .docx shows perfdsl text, not XML."""
    import os
    import sys

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    perfdsl = Path(sys.executable).with_name("perfdsl")
    if not perfdsl.exists():
        pytest.skip("perfdsl console script not installed beside this interpreter")
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, tmp_path / "src")
    assert run_cli("build", str(tmp_path / "src"), "--to", "docx", "-o", str(repo)).code == 0
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                              text=True, timeout=120).stdout

    git("init", "-q")
    (repo / ".gitattributes").write_text("*.docx diff=perfdsl\n", encoding="utf-8")
    git("config", "diff.perfdsl.textconv", f"{perfdsl} import --stdout")
    git("add", ".")
    git("commit", "-qm", "v1")
    text = (tmp_path / "src" / "01-企业职工养老保险县级财政补助资金.perf").read_text(encoding="utf-8")
    (tmp_path / "src" / "01-企业职工养老保险县级财政补助资金.perf").write_text(
        text.replace("享受待遇人数 >= 2600 人", "享受待遇人数 >= 2800 人"), encoding="utf-8")
    assert run_cli("build", str(tmp_path / "src"), "--to", "docx", "-o", str(repo)).code == 0
    out = git("diff")
    changed = [ln for ln in out.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert changed == ["-    数量指标.享受待遇人数 >= 2600 人", "+    数量指标.享受待遇人数 >= 2800 人"], out


def test_markdown_template_can_be_replaced(pair: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = pair
    p = new / "01-企业职工养老保险县级财政补助资金.perf"
    p.write_text(p.read_text(encoding="utf-8").replace("享受待遇人数 >= 2600 人", "享受待遇人数 >= 2800 人"),
                 encoding="utf-8")
    tpl = tmp_path / "mine.md.j2"
    tpl.write_text("{% for g in groups %}{% for r in g.rows %}* {{ r.path }}：{{ r.old }} → {{ r.new }}\n"
                   "{% endfor %}{% endfor %}", encoding="utf-8")
    res = run_cli("diff", str(old), str(new), "--format", "markdown", "--template", str(tpl))
    assert res.code == 0
    assert res.out == "* 产出指标 › 数量指标 › 享受待遇人数：≥ 2600 人 → ≥ 2800 人\n"
    bad = tmp_path / "bad.j2"
    bad.write_text("{% for %}", encoding="utf-8")
    res = run_cli("diff", str(old), str(new), "--format", "markdown", "--template", str(bad))
    assert res.code == 2 and "模板" in res.err and "Traceback" not in res.text


def test_percentage_target_change_is_in_percentage_points(pair: tuple[Path, Path]) -> None:
    """Issue #14 item 6: `≥ 90% → 95%（+5 个百分点，收紧）`, not `+5.6%`."""
    old, new = pair
    _edit(old / PROJECT, "待遇满意度 >= 93 %", "待遇满意度 >= 90 %")
    _edit(new / PROJECT, "待遇满意度 >= 93 %", "待遇满意度 >= 95 %")
    text = run_cli("diff", str(old), str(new)).out
    assert "享受企业职工基本养老保险待遇满意度 ≥ 90% → 95%（+5 个百分点，收紧）" in text, text
    assert "5.6%" not in text
    c = json.loads(run_cli("diff", "--format", "json", str(old), str(new)).out)["changes"][0]
    assert (c["difference"], c["unit"], c["percent"]) == ("+5", "个百分点", None)
    md = run_cli("diff", "--format", "markdown", str(old), str(new)).out
    assert "| +5 个百分点，收紧 |" in md


def test_money_difference_has_separators_and_unit(pair: tuple[Path, Path]) -> None:
    """Issue #14 item 7: `（+100,000.00 元，+2.9%）`."""
    old, new = pair
    _edit(old / PROJECT, "成本控制数 <= 156 万元", "成本控制数 <= 3400000 元")
    _edit(new / PROJECT, "成本控制数 <= 156 万元", "成本控制数 <= 3500000 元")
    _edit(new / DEPT, "基本支出.人员经费: 302.21", "基本支出.人员经费: 1302.21")
    text = run_cli("diff", str(old), str(new)).out
    assert "成本控制数 ≤ 3400000 → 3500000 元（+100,000.00 元，+2.9%，放宽）" in text, text
    assert "人员经费 302.21 → 1302.21 万元（+1,000.00 万元，+330.9%）" in text, text
    changes = json.loads(run_cli("diff", "--format", "json", str(old), str(new)).out)["changes"]
    money = next(c for c in changes if c["kind"] == "money_changed")
    assert (money["difference"], money["unit"]) == ("+1,000.00", "万元")


def test_money_in_another_unit_is_converted_before_comparing(pair: tuple[Path, Path]) -> None:
    """万元 → 元 with the amount also changed is a target change told in the new unit, with its
    direction; the same amount merely rewritten in 元 is a unit change that says the value is equal."""
    old, new = pair
    _edit(new / PROJECT, "成本控制数 <= 156 万元", "成本控制数 <= 1500000 元")
    text = run_cli("diff", str(old), str(new)).out
    assert "成本控制数 ≤ 156 万元 → 1500000 元（-60,000.00 元，-3.8%，收紧）" in text, text
    _edit(new / PROJECT, "成本控制数 <= 1500000 元", "成本控制数 <= 1560000 元")
    text = run_cli("diff", str(old), str(new)).out
    assert "单位变化（换算后数值相同）" in text and "≤ 156 万元 → ≤ 1560000 元" in text, text


def test_weight_change_is_a_weight_change(tmp_path: Path) -> None:
    """Issue #14 item 8: `权重 20 → 30`, not 措辞变化."""
    src = Path(__file__).resolve().parent / "fixtures" / "diagnostics" / "PD-M005" / "pass.perf"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    text = src.read_text(encoding="utf-8")
    (tmp_path / "a" / "x.perf").write_text(text, encoding="utf-8")
    (tmp_path / "b" / "x.perf").write_text(text.replace("100 人 [权重: 30]", "100 人 [权重: 20]")
                                           .replace("100 % [权重: 20]", "100 % [权重: 30]"), encoding="utf-8")
    out = run_cli("diff", str(tmp_path / "a"), str(tmp_path / "b")).out
    assert "产出指标 › 数量指标 › 服务人数 权重 30 → 20" in out, out
    assert "产出指标 › 质量指标 › 验收合格率 权重 20 → 30" in out
    assert "措辞" not in out
    kinds = [c["kind"] for c in json.loads(run_cli("diff", "--format", "json", str(tmp_path / "a"),
                                                   str(tmp_path / "b")).out)["changes"]]
    assert kinds == ["weight_changed", "weight_changed"]
