"""`perfdsl check --format sarif|gnu`: structure, locations, fingerprints, suppressions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from perfdsl.diagnostics import catalog

from conftest import EXAMPLE, run_cli

BROKEN = """\
#[allow(PD-R002, 理由 = "原表没有满意度指标")]
项目 坏项目 {
  模板: gansu-project
  一级项目名称: 示例
  项目分类: 3 其他项目
  申报属性: 002 延续性（经常性）项目
  资金用途: 2 政策类
  主管部门: 示例局
  项目开始日期: 2025
  项目完成日期: 2025
  年度绩效目标:
    - 目标
  成本.经济成本.成本控制数 <= 10 万元
  产出 {
    数量.享受待遇人数 >= 2600 人
    质量.资金发放覆盖率 = 100 %
    时效.及时性 定性 及时
    数目.发放人数 >= 500 人
  }
  效益.社会效益.稳定 定性 稳定
}
"""

# The parts of SARIF 2.1.0 that code scanning needs, asserted explicitly (the full
# OASIS schema is not available offline).
SCHEMA = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results", "columnKind"],
            "properties": {
                "columnKind": {"const": "unicodeCodePoints"},
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name", "version", "rules"],
                    "properties": {"name": {"const": "perfdsl"}, "rules": {"type": "array", "items": {
                        "type": "object",
                        "required": ["id", "name", "shortDescription", "fullDescription", "defaultConfiguration"],
                        "properties": {
                            "shortDescription": {"type": "object", "required": ["text"]},
                            "fullDescription": {"type": "object", "required": ["text"]},
                            "defaultConfiguration": {"type": "object", "required": ["level"], "properties": {
                                "level": {"enum": ["error", "warning", "note"]}}},
                        }}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "ruleIndex", "level", "message", "locations", "partialFingerprints"],
                    "properties": {
                        "level": {"enum": ["error", "warning", "note"]},
                        "message": {"type": "object", "required": ["text"]},
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {"type": "object", "required": ["artifactLocation", "region"],
                                                 "properties": {"region": {
                                                     "type": "object", "required": ["startLine", "startColumn"],
                                                     "properties": {"startLine": {"minimum": 1},
                                                                    "startColumn": {"minimum": 1}}}}},
                            "logicalLocations": {"type": "array", "items": {
                                "type": "object", "required": ["fullyQualifiedName"]}}}}},
                        "suppressions": {"type": "array", "items": {
                            "type": "object", "required": ["kind", "justification"],
                            "properties": {"kind": {"const": "inSource"}}}},
                    }}},
            }}},
    },
}


def _sarif(tmp_path: Path, text: str, name: str = "坏项目.perf") -> dict:  # type: ignore[type-arg]
    (tmp_path / name).write_text(text, encoding="utf-8")
    res = run_cli("check", "--format", "sarif", name, cwd=tmp_path)
    assert res.code in (0, 1) and "Traceback" not in res.text
    log = json.loads(res.out)
    jsonschema.validate(log, SCHEMA)
    return log


def test_sarif_points_at_the_line_with_the_indicator_path(tmp_path: Path) -> None:
    log = _sarif(tmp_path, BROKEN)
    run = log["runs"][0]
    bad = [r for r in run["results"] if r["level"] == "error"]
    assert len(bad) == 1
    r = bad[0]
    loc = r["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "%E5%9D%8F%E9%A1%B9%E7%9B%AE.perf"
    assert loc["physicalLocation"]["region"]["startLine"] == 18
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "产出指标 › 数目 › 发放人数"
    rule = run["tool"]["driver"]["rules"][r["ruleIndex"]]
    assert rule["id"] == r["ruleId"]
    explained = run_cli("explain", r["ruleId"])
    assert explained.code == 0 and catalog()[r["ruleId"]]["title"] in explained.out


def test_rules_cover_the_catalogue_in_chinese(tmp_path: Path) -> None:
    rules = _sarif(tmp_path, BROKEN)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalog())
    for r in rules:
        assert r["shortDescription"]["text"] == catalog()[r["id"]]["title"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r["fullDescription"]["text"])


def test_waived_findings_are_suppressed(tmp_path: Path) -> None:
    results = _sarif(tmp_path, BROKEN)["runs"][0]["results"]
    waived = [r for r in results if "suppressions" in r]
    assert waived and all(r["ruleId"] == "PD-R002" for r in waived)
    assert waived[0]["suppressions"] == [{"kind": "inSource", "justification": "原表没有满意度指标"}]


def test_fingerprints_do_not_depend_on_lines(tmp_path: Path) -> None:
    first = _sarif(tmp_path, BROKEN)["runs"][0]["results"]
    moved = BROKEN.replace("  年度绩效目标:", "\n\n  # 新增的注释\n  年度绩效目标:")
    second = _sarif(tmp_path, moved)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in first] != \
        [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in second]
    assert [r["partialFingerprints"] for r in first] == [r["partialFingerprints"] for r in second]
    prints = [json.dumps(r["partialFingerprints"]) for r in first]
    assert len(set(prints)) == len(prints)


def test_sarif_is_deterministic_and_clean_example_has_no_errors(tmp_path: Path) -> None:
    a = run_cli("check", "--format", "sarif", str(EXAMPLE))
    b = run_cli("check", "--format", "sarif", str(EXAMPLE))
    assert a.out == b.out
    results = json.loads(a.out)["runs"][0]["results"]
    assert not [r for r in results if r["level"] == "error" and "suppressions" not in r]


def test_gnu_format_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "x.perf").write_text(BROKEN, encoding="utf-8")
    res = run_cli("check", "--format", "gnu", "x.perf", cwd=tmp_path)
    lines = res.out.splitlines()
    assert "x.perf:18:" in res.out
    for ln in lines:
        path, line, col, rest = ln.split(":", 3)
        assert path == "x.perf" and int(line) > 0 and int(col) > 0
        assert rest.split(":", 1)[0].strip() in ("error", "warning", "note", "info")
