"""Every diagnostic code has a failing and a passing fixture, written in .perf.

tests/fixtures/diagnostics/<CODE>/fail.perf must produce <CODE>; pass.perf must not
(except waived). A code found only against a baseline (PD-A001, `check --against`) keeps
that baseline in <CODE>/against/, and both fixtures are checked against it. fail.expected is the exact text `perfdsl check` prints for fail.perf:
the golden file, regenerated only on purpose with PERFDSL_REGEN=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perfdsl.api import check_paths
from perfdsl.diagnostics import catalog

from conftest import ROOT, regen, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "diagnostics"
ALL_CODES = sorted(catalog())
# Codes the checker can emit; formatter-only codes (scope = "fmt") are tested in test_fmt.py.
CODES = [c for c in ALL_CODES if catalog()[c].get("scope", "check") == "check"]


def test_every_code_has_fixtures() -> None:
    missing = [c for c in CODES if not (FIXTURES / c / "fail.perf").exists() or not (FIXTURES / c / "pass.perf").exists()]
    assert missing == []


def _against(code: str) -> Path | None:
    folder = FIXTURES / code / "against"
    return folder if folder.is_dir() else None


def _check(code: str, name: str) -> list:  # type: ignore[type-arg]
    base = _against(code)
    return check_paths([str(FIXTURES / code / name)], against=str(base) if base else None).diagnostics


@pytest.mark.parametrize("code", CODES)
def test_fail_fixture_reports_code(code: str) -> None:
    diags = _check(code, "fail.perf")
    assert code in [d.code for d in diags]


@pytest.mark.parametrize("code", CODES)
def test_pass_fixture_is_clean_of_code(code: str) -> None:
    diags = _check(code, "pass.perf")
    assert code not in [d.code for d in diags if not d.waived]
    assert not [d for d in diags if d.is_error], [d.message for d in diags if d.is_error]


@pytest.mark.parametrize("code", CODES)
def test_fail_fixture_golden_text(code: str) -> None:
    rel = Path("tests/fixtures/diagnostics") / code / "fail.perf"
    base = _against(code)
    extra = ("--against", str(base.relative_to(ROOT))) if base else ()
    res = run_cli("check", str(rel), *extra, cwd=ROOT)
    assert res.code in (0, 1, 2)
    assert "Traceback" not in res.text and "__ANON" not in res.text
    expected = FIXTURES / code / "fail.expected"
    if regen():
        expected.write_text(res.out, encoding="utf-8")
    assert expected.exists(), "golden file missing: run with PERFDSL_REGEN=1 on purpose"
    assert res.out == expected.read_text(encoding="utf-8")


def render_diagnostics_doc() -> str:
    """docs/diagnostics.md is generated from the catalogue, so they cannot drift apart."""
    from perfdsl.diagnostics import SEVERITY_ZH

    out = [
        "# 诊断代码一览",
        "",
        "本文件由诊断目录 `perfdsl/data/diagnostics.toml` 生成（`PERFDSL_REGEN=1 pytest tests/test_diagnostic_fixtures.py`），"
        "请勿手工修改。每个代码在 `tests/fixtures/diagnostics/<代码>/` 下都有一个会触发它的 `fail.perf` "
        "和一个不会触发它的 `pass.perf`；`fail.expected` 是 `perfdsl check` 对 `fail.perf` 的完整输出。",
        "",
        "命令行中可用 `perfdsl explain 代码` 查看同样的说明。严重程度为“错误”的诊断使退出码为 1；"
        "“警告”不影响退出码。除语法类（PD-S）、豁免类（PD-W）与本地模板类（PD-L）外，诊断都可以用 "
        "`#[allow(代码, 理由 = \"……\")]` 豁免，豁免后显示为“已豁免”，不再计为错误。",
        "",
        "| 代码 | 严重程度 | 标题 |",
        "|---|---|---|",
    ]
    cat = catalog()
    for code in ALL_CODES:
        e = cat[code]
        out.append(f"| [{code}](#{code.lower()}) | {SEVERITY_ZH[e['severity']]} | {e['title']} |")
    for code in ALL_CODES:
        e = cat[code]
        fail = (FIXTURES / code / "fail.expected")
        shown = fail.read_text(encoding="utf-8") if fail.exists() else "（格式化专用代码，没有检查器样例）"
        out += [
            "", f"## {code}", "", f"**{e['title']}**（{SEVERITY_ZH[e['severity']]}）", "",
            f"消息：{e['message']}", "", e["explain"], "",
            "触发示例：", "", "```", e["example"], "```", "", f"修改方法：{e['fix']}", "",
            "检查器输出示例（来自 fail.perf）：", "", "```", shown.rstrip("\n"), "```",
        ]
    return "\n".join(out) + "\n"


def test_docs_generated_from_catalogue() -> None:
    path = ROOT / "docs" / "diagnostics.md"
    text = render_diagnostics_doc()
    if regen():
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_explain_knows_every_code() -> None:
    for code in ALL_CODES:
        res = run_cli("explain", code)
        assert res.code == 0
        assert catalog()[code]["title"] in res.out
