"""The declaration rules' whole-declaration fast exits never hide a finding.

Several rules test a whole declaration at once and run their per-indicator pass (the rule's
definition) only when that test may find something (perfdsl.checks.fastexit). Here:
- a finding placed only in the third indicator of the second declaration (or in a column,
  a 定性 text, a header list item) is still reported, and the run without fast exits
  reports exactly the same;
- over every fixture, every example and seeded mutations of the examples, all diagnostics
  are identical with and without the fast exits;
- the cheaper tests the fast paths rely on agree with the definitions they stand for.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from perfdsl import confusables
from perfdsl.api import check_paths
from perfdsl.checks import fastexit, names
from perfdsl.confusables import CACHED_NAME_CHARS, fold, fold_name, fold_names
from perfdsl.diagnostics import Diagnostic
from perfdsl.units import known_units, parse_unit, unit_category

from conftest import PROJECT_END, PROJECT_START, ROOT

DECL = """项目 项目{n} {{
  模板: {template}
  主管部门: 测试局
  实施单位: 测试中心
  年度目标:
    - {goal}
  成本.经济成本.成本控制数 <= 10 万元
  产出.数量.第1批服务人数 >= 100 人
  {third}
  效益.社会效益.群众获得感 定性 提高
  满意度.服务对象满意度.服务对象满意度 >= 90 %
}}
"""
THIRD = "产出.质量.验收合格率 = 100 %"
GOAL = "完成年度任务"
THIRD_LINE = 21  # the third indicator of the second declaration
GOAL_LINE = 17  # the second declaration's 年度目标 item

# A profile in which 成本指标 is both an 一级 and an 二级 (under 产出指标): only with such a
# profile can the model hold both, which PD-H003's rule reports (resolve reports the rest).
MIXED_COST_PROFILE = """id = "mixed-cost"
name = "混合成本模板"
extends = "mof2021"
replace = ["hierarchy"]

[[hierarchy]]
name = "成本指标"
children = [{ name = "经济成本指标" }]

[[hierarchy]]
name = "产出指标"
children = [{ name = "数量指标" }, { name = "质量指标" }, { name = "成本指标" }]

[[hierarchy]]
name = "效益指标"
children = [{ name = "社会效益指标" }]

[[hierarchy]]
name = "满意度指标"
children = [{ name = "服务对象满意度指标", aliases = ["满意度"] }]
"""

# case: (code, the second declaration's third indicator, its 年度目标 item, line reported)
CASES = {
    "placeholder-in-name": ("PD-N004", "产出.质量.验收ＸＸ合格率 = 100 %", GOAL, THIRD_LINE),
    "placeholder-mixed-widths": ("PD-N004", "产出.质量.验收ｘx合格率 = 100 %", GOAL, THIRD_LINE),
    "placeholder-in-qualitative-text": ("PD-N004", "产出.质量.验收情况 定性 达到□标准", GOAL, THIRD_LINE),
    "placeholder-in-column": ("PD-N004", "产出.质量.验收合格率 = 100 % [备注: 待定……]", GOAL, THIRD_LINE),
    "placeholder-in-list-item": ("PD-N004", THIRD, "完成＊＊年度任务", GOAL_LINE),
    "confusable-full-width-digit": ("PD-T002", "产出.质量.第１批服务人数 >= 100 人", GOAL, THIRD_LINE),
    "confusable-cjk": ("PD-T002", "产出.质量.服务土兵人数 >= 100 人\n  产出.时效.服务士兵人数 >= 100 人", GOAL,
                       THIRD_LINE + 1),
    "confusable-cyrillic": ("PD-T002", "产出.质量.P类合格率 = 100 %\n  产出.时效.\u0420类合格率 = 100 %", GOAL,
                            THIRD_LINE + 1),
    "repeated-name": ("PD-N001", "产出.数量.第1批服务人数 >= 200 人", GOAL, THIRD_LINE),
    "blank-name": ("PD-N002", '产出.数量."＿＿" >= 1 次', GOAL, THIRD_LINE),
    "long-name": ("PD-N003", "产出.质量." + "长" * 101 + "率 = 100 %", GOAL, THIRD_LINE),
    "cost-as-second-level": ("PD-H003", "产出.成本.单位成本 <= 3 万元", GOAL, THIRD_LINE),
    "weight-column": ("PD-M005", "产出.质量.验收合格率 = 100 % [权重: 0]", GOAL, THIRD_LINE),
    "unit-category": ("PD-U004", "产出.质量.验收合格率 = 100 万元", GOAL, THIRD_LINE),
    "percent-over-100": ("PD-P001", "产出.质量.验收合格率 = 150 %", GOAL, THIRD_LINE),
}


def _diagnostics(paths: list[Path]) -> list[Diagnostic]:
    return check_paths([str(p) for p in paths], jobs=1).diagnostics


def _both_ways(monkeypatch: pytest.MonkeyPatch, paths: list[Path]) -> list[Diagnostic]:
    """The diagnostics with fast exits, after asserting they equal those without."""
    fast = _diagnostics(paths)
    with monkeypatch.context() as m:
        m.setattr(fastexit, "ENABLED", False)
        definition = _diagnostics(paths)
    assert fast == definition
    return fast


@pytest.mark.parametrize("case", sorted(CASES))
def test_finding_in_third_indicator_of_second_declaration(case: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    code, third, goal, line = CASES[case]
    template = "mof2021"
    if code == "PD-H003":
        (tmp_path / "profiles").mkdir()
        (tmp_path / "profiles" / "mixed.toml").write_text(MIXED_COST_PROFILE, encoding="utf-8")
        template = "mixed-cost"
    first = DECL.format(n=1, third=THIRD, goal=GOAL, template=template)
    clean = tmp_path / "clean.perf"
    clean.write_text(first + DECL.format(n=2, third=THIRD, goal=GOAL, template=template), encoding="utf-8")
    assert code not in [d.code for d in _both_ways(monkeypatch, [clean])]
    found = tmp_path / "found.perf"
    found.write_text(first + DECL.format(n=2, third=third, goal=goal, template=template), encoding="utf-8")
    diags = _both_ways(monkeypatch, [found])
    assert (code, line) in [(d.code, d.span.line) for d in diags]


@pytest.mark.parametrize("batch", [1, 2, 3])
@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][0] == "PD-N004"))
def test_placeholder_found_in_any_batch(case: str, batch: int, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(names, "PLACEHOLDER_BATCH", batch)  # the third indicator in the second batch, or the third
    _code, third, goal, line = CASES[case]
    path = tmp_path / "a.perf"
    path.write_text(DECL.format(n=1, third=THIRD, goal=GOAL, template="mof2021")
                    + DECL.format(n=2, third=third, goal=goal, template="mof2021"), encoding="utf-8")
    assert ("PD-N004", line) in [(d.code, d.span.line) for d in _both_ways(monkeypatch, [path])]


def test_not_a_placeholder_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `xＸ` mixes cases (not one of the placeholder runs); a lone `*` or `…` is no placeholder either
    path = tmp_path / "a.perf"
    third = "产出.质量.验收xＸ合格率 = 100 % [备注: 约*次…]"
    path.write_text(DECL.format(n=1, third=THIRD, goal=GOAL, template="mof2021")
                    + DECL.format(n=2, third=third, goal="写 x× 与单个 …", template="mof2021"), encoding="utf-8")
    assert "PD-N004" not in [d.code for d in _both_ways(monkeypatch, [path])]


# --- every fixture, every example, and mutations of the examples ----------------------------

EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
FIXTURE_FILES = sorted((ROOT / "tests" / "fixtures").rglob("*.perf"))


@pytest.mark.parametrize("chunk", range(4))
def test_fixtures_same_without_fast_exits(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    files = FIXTURE_FILES[chunk::4]
    assert files
    _both_ways(monkeypatch, files)


def test_examples_same_without_fast_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    _both_ways(monkeypatch, EXAMPLES)


_INDICATOR = re.compile(r"^(\s*)([^#\s:{}\"][^:{}\"]*?)\s+(>=|<=|=|≥|≤|定性|区间)\s*(.*)$")
_MARKS = ["**", "XX", "ｘｘ", "□", "……", "××", "＊＊", "*", "X", "x", "…", "×", "xＸ"]
_LOOKALIKES = [("士", "土"), ("1", "１"), ("P", "\u0420"), ("（", "("), ("率", "率\u200d"), ("数", "數")]


def _mutate_line(rng: random.Random, m: re.Match[str]) -> list[str]:
    indent, name, op, rest = m.groups()
    pick = rng.randrange(8)
    if pick == 0:
        k = rng.randrange(len(name) + 1)
        name = name[:k] + rng.choice(_MARKS) + name[k:]
    elif pick == 1:
        a, b = rng.choice(_LOOKALIKES)  # two names a reader cannot tell apart
        first, twin = (name, name.replace(a, b, 1)) if a in name else (name + a, name + b)
        return [f"{indent}{first} {op} {rest}", f"{indent}{twin} {op} {rest}"]
    elif pick == 2:
        return [f"{indent}{name} {op} {rest}"] * 2
    elif pick == 3:
        name = name.rsplit(".", 1)[0] + "." + rng.choice(['"＿＿"', '" "', "长" * 101, "成本指标.x"]) if "." in name else name
    elif pick == 4:
        rest = f"{rest} [{rng.choice(['权重: 20', '权重: 0', '备注: XX', '备注: 好'])}]"
    elif pick == 5:
        op, rest = "定性", rng.choice(["达到**标准", "100 %", "", "□"])
    elif pick == 6:
        op, rest = "=", f"{rng.choice(['150', '85', '5'])} {rng.choice(['%', '万元', '个', '人'])}"
    return [f"{indent}{name} {op} {rest}".rstrip()]


def _mutate(rng: random.Random, text: str, rate: float) -> str:
    out: list[str] = []
    for line in text.split("\n"):
        m = _INDICATOR.match(line)
        if m and rng.random() < rate:
            out.extend(_mutate_line(rng, m))
        elif line.lstrip().startswith("- ") and rng.random() < rate:
            out.append(line + rng.choice(_MARKS))
        else:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("seed", range(3))
def test_mutated_examples_same_without_fast_exits(seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    rate = (0.02, 0.1, 0.3)[seed]  # a lone finding in a clean declaration, up to many
    roots = []
    for example in EXAMPLES:
        root = tmp_path / example.name
        for src in sorted(example.rglob("*.perf")):
            dst = root / src.relative_to(example)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(_mutate(rng, src.read_text(encoding="utf-8"), rate), encoding="utf-8")
        if (example / "profiles").is_dir():
            for prof in (example / "profiles").rglob("*"):
                if prof.is_file():
                    dst = root / prof.relative_to(example)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    dst.write_bytes(prof.read_bytes())
        roots.append(root)
    diags = _both_ways(monkeypatch, roots)
    codes = {d.code for d in diags}
    # the mutations do reach the rules with fast exits
    assert ({"PD-N004"} if seed == 0 else {"PD-N004", "PD-N001", "PD-N002", "PD-T002"}) <= codes


# --- the cheap tests agree with what they stand for ------------------------------------------


def test_blank_name_test_is_strip_or_filler() -> None:
    def definition(s: str) -> bool:
        return not s.strip() or bool(names._FILLER.fullmatch(s))

    # One class in both patterns, `*` instead of `+` (so the empty name matches too) ...
    assert names._BLANK.pattern == names._FILLER.pattern[:-1] + "*"
    # ... and `\s` is exactly what `str.strip()` removes, the `str.isspace()` characters.
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert set(re.findall(r"\s", every)) == {c for c in every if c.isspace()}
    for s in ["", " ", "\u3000", "\u2028\u00a0", "-_", "－＿＊ ", "a", " a ", "—", "-a-", "\t\n", "\x1c"]:
        assert bool(names._BLANK.fullmatch(s)) == definition(s), s


def test_placeholder_start_is_every_first_character() -> None:
    starts = [chr(c) for c in range(0x10000) if names._PLACEHOLDER.match(chr(c) * 3)]
    assert sorted(starts) == sorted("*XＸxｘ×＊…□")
    assert all(names._PLACEHOLDER_START.fullmatch(c) for c in starts)
    assert not [chr(c) for c in range(0x10000) if names._PLACEHOLDER_START.fullmatch(chr(c)) and chr(c) not in starts]


@pytest.mark.parametrize("text", ["完成**任务", "x", "abxx", "约×次", "××", "无", "", "□", "XＸ", "…1…", "ｘｘ末尾"])
def test_placeholder_same_as_plain_search(text: str) -> None:
    m = names._PLACEHOLDER.search(text)
    assert names._placeholder(text) == (m.group(0) if m and text else None)


def test_cached_skeletons_are_the_skeletons(monkeypatch: pytest.MonkeyPatch) -> None:
    short = ["士兵", "土兵", "第１类", "\u0420类", "服务\u200b人数"]
    long_ = ["长" * (CACHED_NAME_CHARS + 1), "P" * (CACHED_NAME_CHARS + 5)]
    for name in short + long_:
        assert fold_name(name) == fold(name)
    assert list(fold_names(short)) == [fold(n) for n in short]
    assert list(fold_names(short + long_)) == [fold(n) for n in short + long_]
    monkeypatch.setattr(confusables, "CACHED_NAMES", 2)  # a "large" declaration: folded without the cache
    assert list(fold_names(short)) == [fold(n) for n in short]


def test_large_declaration_same_without_fast_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confusables, "CACHED_NAMES", 2)
    path = tmp_path / "a.perf"
    path.write_text(DECL.format(n=1, third=THIRD, goal=GOAL, template="mof2021")
                    + DECL.format(n=2, third=CASES["confusable-cyrillic"][1], goal=GOAL, template="mof2021"),
                    encoding="utf-8")
    assert ("PD-T002", THIRD_LINE + 1) in [(d.code, d.span.line) for d in _both_ways(monkeypatch, [path])]


def test_unit_category_is_the_units_category() -> None:
    for text in [*known_units(), "万元/人.年", "元/平方米", "个工作日", "%", "％", "xyz", "人数", "元／人", "(万元)"]:
        unit = parse_unit(text)
        assert unit_category(text) == (None if unit is None else unit.category), text


# --- waivers are looked up by code: the first one in the file that covers a finding wins ----

WAIVERS = """#[allow(PD-U004, PD-N001, 理由 = "整表豁免")]
""" + PROJECT_START + """  产出.数量.服务人数 >= 100 人
  #[allow(PD-N001, PD-X999, 理由 = "逐条豁免")]
  产出.数量.服务人数 >= 200 人
  #[allow(PD-N004, PD-N001)]
  产出.质量.验收合格率 = 100 万元
  产出.时效.完成XX率 = 100 %
""" + PROJECT_END + "}\n"


def test_first_covering_waiver_wins_and_the_others_are_unused(tmp_path: Path) -> None:
    path = tmp_path / "w.perf"
    path.write_text(WAIVERS, encoding="utf-8")
    got = [(d.code, d.span.line, d.waived, d.waiver_reason) for d in _diagnostics([path])]
    assert got == [
        ("PD-W002", 10, False, None),  # the statement's own PD-N001 waiver: the declaration's came first
        ("PD-W003", 10, False, None),
        ("PD-N001", 11, True, "整表豁免"),
        ("PD-W001", 12, False, None),
        ("PD-W002", 12, False, None),
        ("PD-W002", 12, False, None),  # PD-N004 waived for line 13, but the placeholder is on line 14
        ("PD-U004", 13, True, "整表豁免"),
        ("PD-N004", 14, False, None),
    ]


# --- PD-U004's facts cached per (一级, 二级, unit) give the rule as it was written -----------


def _mismatch_as_written(path: tuple[str, str, str], unit_text: str) -> tuple[str, str] | None:
    """PD-U004 in one piece, as first written (before its name-independent part was cached)."""
    l1, l2, name = path
    unit = parse_unit(unit_text)
    if unit is None:
        return None
    cat = unit.category
    if cat == "rate" and "成本" in (l1 + l2) and unit.numerator_category != "money":
        cat = "other"
    spec: tuple[str, set[str], str] | None = None
    if "满意度" in l2 or "满意度" in name:
        spec = "满意度指标", {"percent"}, "百分比（%）"
    elif name.endswith("率"):
        spec = "比率类指标（名称以“率”结尾）", {"percent"}, "百分比（%）"
    elif "成本" in l1 or "成本" in l2:
        spec = "成本指标", {"money", "rate"}, "货币单位（元、万元）"
    elif l2.startswith("数量"):
        spec = "数量指标", {"count", "length", "area", "mass", "volume", "time", "rate", "other", "ratio", "grade"}, \
            "计数单位（人、人次、户、个……）"
    if spec is not None and cat not in spec[1]:
        return spec[0], spec[2]
    if cat == "count" and re.search(r"(人数|人员|人次)$|人$", name):
        base = unit.dims[0][0] if unit.dims else ""
        if base not in ("人", "人次"):
            return "人数类指标", "“人”或“人次”"
    return None


def test_unit_mismatch_is_the_rule_as_written() -> None:
    from perfdsl.checks.targets import unit_mismatch

    units = [*known_units(), "万元/人.年", "元/平方米", "元/人", "人/万元", "%", "xyz", "万元/公里", "人次/年", "元/人次"]
    level1s = ["成本指标", "产出指标", "效益指标", "满意度指标", "其他成", "本"]
    level2s = ["经济成本指标", "数量指标", "质量指标", "服务对象满意度指标", "社会效益指标", "成本指标", "本指标", "数量"]
    names_ = ["服务人数", "合格率", "群众满意度", "工作人员", "培训人次", "成本率", "受益人", "总成本", "满意度率", "其他"]
    checked = 0
    for l1 in level1s:
        for l2 in level2s:
            for name in names_:
                for unit in units:
                    assert unit_mismatch((l1, l2, name), unit) == _mismatch_as_written((l1, l2, name), unit), \
                        (l1, l2, name, unit)
                    checked += 1
    assert checked > 20_000
