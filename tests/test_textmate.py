"""The TextMate grammar (editors/vscode/syntaxes/perfdsl.tmLanguage.json) against the examples.

A tiny tokenizer applies the grammar the way a TextMate engine does, line by line: at
each position the earliest match wins, ties go to the first pattern, begin/end rules
span lines. The grammar keeps to regexes that Python `re` and Oniguruma read alike, so
this checks what VS Code will show.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from perfdsl import ast
from perfdsl.parser import parse_text

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "perfdsl.tmLanguage.json"
EXAMPLES = sorted((ROOT / "examples").rglob("*.perf"))

Token = tuple[str, str]  # (scope, text)


def _grammar() -> dict[str, Any]:
    return json.loads(GRAMMAR.read_text(encoding="utf-8"))


def _rules(g: dict[str, Any], patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in patterns:
        if "include" in p:
            out.extend(_rules(g, [g["repository"][p["include"].lstrip("#")]]))
        else:
            out.append(p)
    return out


def _captures(rule: dict[str, Any], key: str, m: re.Match[str]) -> list[Token]:
    toks = []
    for idx, cap in sorted(rule.get(key, {}).items(), key=lambda kv: int(kv[0])):
        text = m.group(int(idx))
        if text:
            toks.append((cap["name"], text))
    return toks


def tokenize(text: str) -> list[list[Token]]:
    g = _grammar()
    top = _rules(g, g["patterns"])
    stack: list[dict[str, Any]] = []
    out: list[list[Token]] = []
    for line in text.split("\n"):
        toks: list[Token] = []
        pos = 0
        while pos <= len(line):
            rule_in = stack[-1] if stack else None
            patterns = _rules(g, rule_in.get("patterns", [])) if rule_in else top
            best: tuple[int, int, dict[str, Any] | None, re.Match[str]] | None = None
            if rule_in is not None:
                m = re.compile(rule_in["end"]).search(line, pos)
                if m:
                    best = (m.start(), -1, None, m)
            for i, r in enumerate(patterns):
                m = re.compile(r.get("match") or r["begin"]).search(line, pos)
                if m and (best is None or m.start() < best[0]):
                    best = (m.start(), i, r, m)
            if best is None:
                if rule_in is not None and pos < len(line):
                    toks.append((rule_in["name"], line[pos:]))
                break
            start, _i, rule, m = best
            if rule_in is not None and start > pos:
                toks.append((rule_in["name"], line[pos:start]))
            if rule is None:
                assert rule_in is not None
                toks.extend(_captures(rule_in, "endCaptures", m))
                stack.pop()
            elif "match" in rule:
                if "name" in rule and m.group(0):
                    toks.append((rule["name"], m.group(0)))
                toks.extend(_captures(rule, "captures", m))
            else:
                toks.extend(_captures(rule, "beginCaptures", m))
                stack.append(rule)
            pos = m.end() if m.end() > pos else pos + 1
        out.append(toks)
    return out


def _all_regexes(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("match", "begin", "end") and isinstance(v, str):
                found.append(v)
            else:
                found.extend(_all_regexes(v))
    elif isinstance(node, list):
        for v in node:
            found.extend(_all_regexes(v))
    return found


def test_regexes_are_python_and_oniguruma_compatible() -> None:
    regexes = _all_regexes(_grammar())
    assert len(regexes) > 10
    for rx in regexes:
        re.compile(rx)
        # Escapes Oniguruma and Python read differently (or only one of them knows).
        for bad in ("\\u", "\\x{", "\\h", "\\G", "\\A", "\\Z", "(?<=", "(?<!", "++", "*+", "?+"):
            assert bad not in rx, (bad, rx)


def _scopes(paths: list[Path]) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for p in paths:
        for line in tokenize(p.read_text(encoding="utf-8")):
            for scope, text in line:
                seen.setdefault(scope, set()).add(text)
    return seen


def test_every_token_class_is_recognised_in_the_examples() -> None:
    assert EXAMPLES
    seen = _scopes(EXAMPLES)
    expected = {
        "comment.line.number-sign.perfdsl": "# 原表的支出预算合计与 基本支出 + 项目支出 不符（322.5 + 9081.13 = 9403.63）。",
        "keyword.other.waiver.perfdsl": "allow",
        "constant.other.diagnostic-code.perfdsl": "PD-M001",
        "variable.parameter.waiver-reason.perfdsl": "理由",
        "keyword.control.declaration.perfdsl": "部门整体",
        "entity.name.type.declaration.perfdsl": "宁县社会保险局",
        "variable.other.key.perfdsl": "基本支出.人员经费",
        "string.unquoted.value.perfdsl": "付亚军",
        "string.unquoted.list-item.perfdsl": "综合办公室",
        "entity.name.section.group.perfdsl": "成本.经济成本",
        "entity.name.function.indicator.perfdsl": "数量.享受待遇人数",
        "keyword.operator.comparison.perfdsl": ">=",
        "keyword.operator.qualitative.perfdsl": "定性",
        "string.unquoted.qualitative.perfdsl": "按月及时兑付",
        "keyword.operator.range.perfdsl": "区间",
        "punctuation.separator.range.perfdsl": "-",
        "constant.numeric.perfdsl": "1,200",
        "keyword.other.unit.perfdsl": "元/人·次",
        "entity.other.attribute-name.perfdsl": "备注",
        "string.unquoted.attribute-value.perfdsl": "按月发放",
        "punctuation.section.block.perfdsl": "}",
    }
    for scope, sample in expected.items():
        assert scope in seen, f"例子中没有识别出 {scope}"
        assert sample in seen[scope], (scope, sorted(seen[scope])[:10])


def test_strings_and_blocks_which_the_examples_do_not_use() -> None:
    text = ('项目 "带 空格 的标题" {\n  模板: gansu-project\n  基本情况: """\n    第一行 = 100 %\n  """\n'
            '  产出.质量."合格 率" >= 95 %\n  项目实施计划: "按季度 # 实施"\n}\n')
    lines = tokenize(text)
    assert ("entity.name.type.declaration.perfdsl", '"带 空格 的标题"') in lines[0]
    assert ("punctuation.definition.string.begin.perfdsl", '"""') in lines[2]
    assert lines[3] == [("string.quoted.triple.perfdsl", "    第一行 = 100 %")]
    assert ("punctuation.definition.string.end.perfdsl", '"""') in lines[4]
    assert ("entity.name.function.indicator.perfdsl", '产出.质量."合格 率"') in lines[5]
    assert ("string.quoted.double.perfdsl", '"按季度 # 实施"') in lines[6]
    assert not any(s.startswith("comment") for s, _ in lines[6])


def test_an_indicator_line_exactly() -> None:
    (line,) = tokenize("    数量.享受待遇人数 >= 2600 人  # 原表如此")
    assert line == [
        ("entity.name.function.indicator.perfdsl", "数量.享受待遇人数"),
        ("keyword.operator.comparison.perfdsl", ">="),
        ("constant.numeric.perfdsl", "2600"),
        ("keyword.other.unit.perfdsl", "人"),
        ("comment.line.number-sign.perfdsl", "# 原表如此"),
    ]
    (line,) = tokenize("    厂长经理生活补助标准 区间 500-1940元")
    assert line == [
        ("entity.name.function.indicator.perfdsl", "厂长经理生活补助标准"),
        ("keyword.operator.range.perfdsl", "区间"),
        ("constant.numeric.perfdsl", "500"),
        ("punctuation.separator.range.perfdsl", "-"),
        ("constant.numeric.perfdsl", "1940"),
        ("keyword.other.unit.perfdsl", "元"),
    ]


def _walk(body: tuple[ast.Stmt, ...]) -> list[ast.Indicator]:
    out: list[ast.Indicator] = []
    for st in body:
        if isinstance(st, ast.Group):
            out.extend(_walk(st.body))
        elif isinstance(st, ast.Indicator):
            out.append(st)
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_highlighting_agrees_with_the_parser(path: Path) -> None:
    """Every indicator the parser reads is highlighted as one, with its unit as a unit."""
    text = path.read_text(encoding="utf-8")
    doc, diags = parse_text(text, str(path))
    assert not [d for d in diags if d.severity == "error"]
    lines = tokenize(text)
    count = 0
    for decl in doc.declarations:
        for ind in _walk(decl.body):
            count += 1
            toks = lines[ind.path.span.line - 1]
            line_text = text.split("\n")[ind.path.span.line - 1]
            written = line_text[ind.path.span.col - 1: ind.path.span.end_col - 1]
            assert ("entity.name.function.indicator.perfdsl", written) in toks
            t = ind.target
            units = [q.unit for q in ((t.quantity,) if isinstance(t, ast.Comparison) else
                                      (t.low, t.high) if isinstance(t, ast.Range) else ()) if q.unit]
            for u in units:
                assert ("keyword.other.unit.perfdsl", u) in toks, (line_text, toks)
    assert count > 0 or "表头部分" in text  # a published form of which only the header part survives
