"""The seed declaration (宁县社会保险局 2025) end to end: check, JSON, every value kept."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import EXAMPLE, ROOT, SEED, run_cli

SCHEMA = json.loads((ROOT / "perfdsl" / "data" / "perfdsl.schema.json").read_text(encoding="utf-8"))


def build_json(tmp: Path, src: Path = EXAMPLE) -> dict:  # type: ignore[type-arg]
    res = run_cli("build", str(src), "--to", "json", "-o", str(tmp))
    assert res.code == 0, res.text
    files = list(tmp.glob("*.json"))
    assert len(files) == 1
    return json.loads(files[0].read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_check_example_passes_with_waiver_and_warning() -> None:
    res = run_cli("check", str(EXAMPLE))
    assert res.code == 0
    assert "已豁免[PD-M001]" in res.out
    assert "9383.34" in res.out and "9403.63" in res.out  # both numbers of the real inconsistency
    assert "警告[PD-R002]" in res.out and "企业厂长经理生活费" in res.out
    assert "检查通过：0 个错误，1 个警告，1 条已豁免。" in res.out


def test_json_validates_and_is_reproducible(tmp_path: Path) -> None:
    a = build_json(tmp_path / "a")
    b_bytes = None
    build_json(tmp_path / "b")
    a_bytes = next((tmp_path / "a").glob("*.json")).read_bytes()
    b_bytes = next((tmp_path / "b").glob("*.json")).read_bytes()
    assert a_bytes == b_bytes
    jsonschema.validate(a, SCHEMA)
    assert [d["kind"] for d in a["declarations"]] == ["department"] + ["project"] * 4
    waived = [f for f in a["findings"] if f["waived"]]
    assert [f["code"] for f in waived] == ["PD-M001"]
    assert waived[0]["waiver_reason"]


def test_json_keeps_written_precision_and_full_names(tmp_path: Path) -> None:
    data = build_json(tmp_path)
    dept = data["declarations"][0]
    fields = {f["key"]: f for f in dept["fields"]}
    assert fields["预算情况.基本支出.合计"]["number"] == "322.5"
    assert fields["预算情况.项目支出.对下转移支付"]["text"] is None  # an empty cell stays empty
    p1 = data["declarations"][1]
    inds = {i["name"]: i for i in p1["indicators"]}
    assert inds["享受待遇人数"]["level1"] == "产出指标"
    assert inds["享受待遇人数"]["level2"] == "数量指标"
    assert inds["享受待遇人数"]["target"] == {"op": "ge", "value": "2600", "unit": "人"}
    assert inds["养老保险标准"]["target"]["unit"] == "万元/人.年"
    p2 = data["declarations"][2]
    rng = {i["name"]: i for i in p2["indicators"]}["厂长经理生活补助标准"]["target"]
    assert rng == {"op": "range", "low": "500", "high": "1940", "unit": "元"}


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def test_json_holds_every_value_of_the_seed(tmp_path: Path) -> None:
    if not SEED.exists():
        pytest.skip("seed text not available")
    data = build_json(tmp_path)
    from perfdsl.profiles import find_profile

    ranges = [f"{i['target']['low']}-{i['target']['high']}" for d in data["declarations"]
              for i in d["indicators"] if i["target"]["op"] == "range"]
    corpus = "\n".join(_strings(data) + ranges)
    ops = {"=": "eq", "≥": "ge", "≤": "le", "定性": "qual", "区间值": "range"}
    labels = set()
    for pid in ("gansu-dept", "gansu-project"):
        prof = find_profile(pid)
        assert prof is not None
        labels |= {f.label for f in prof.fields} | {c.label for c in prof.columns}
    structural = {"按支出类型分", "按来源类型分", "预算金额（万元）", "基本支出", "项目支出", "合计", "本级",
                  "人员情况", "预算情况（万元）", "部门（单位）职能", "部门（单位）基本信息", "内容",
                  "项目绩效目标表", "（2025年度）", "部门（单位）职能：", "部门单位核心职能：",
                  "直属单位（个），包括：", "内设职能部门(个)，包括：", "单位（部门）名称", "目标值"}
    missing = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        for cell in line.split("\t"):
            cell = cell.strip()
            if not cell or cell in labels or cell in structural or cell in ops:
                continue
            # Numbered lists were flattened into one cell by the extraction.
            pieces = [p.strip() for p in re.split(r"目标\d+：|(?:^|\s)\d+\.\s", cell) if p.strip()]
            for piece in pieces:
                if piece.endswith("个，机关事业单位基本养老保险服务中心"):
                    piece = "机关事业单位基本养老保险服务中心"
                if piece.startswith("内设8个职能股室，包括："):
                    for name in piece.split("：", 1)[1].split("、"):
                        if name not in corpus:
                            missing.append(name)
                    continue
                if piece not in corpus and piece.removesuffix("整体绩效目标申报表") not in corpus:
                    missing.append(piece)
    assert missing == []


@pytest.mark.parametrize(
    ("file", "old", "new", "code", "anchor"),
    [
        ("01-企业职工养老保险县级财政补助资金.perf", "享受待遇人数 >= 2600 人", "享受待遇人数 >= 2600 人数", "PD-U001", None),
        ("02-企业厂长经理生活费.perf", "区间 500-1940 元", "区间 1940-500 元", "PD-V003", None),
        ("01-企业职工养老保险县级财政补助资金.perf", "资金发放覆盖率 = 100 %", "资金发放覆盖率 = 全部 %", "PD-V001", None),
        ("01-企业职工养老保险县级财政补助资金.perf", "产出 {", "产初 {", "PD-H001", None),
        ("00-部门整体.perf", "      资金发放覆盖率 = 100 %", "      资金发放覆盖率 = = 100 %", "PD-S001", None),
        ("00-部门整体.perf", "基本支出.公用经费: 20.29", "基本支出.公用经费: 21.29", "PD-M001", "基本支出.合计"),
        ("04-企业退休人员冬季取暖补贴.perf", "成本控制数 <= 84.13 万元", "成本控制数 <= 84.13 元", "PD-M004", None),
    ],
)
def test_one_wrong_value_gives_located_error(
    tmp_path: Path, file: str, old: str, new: str, code: str, anchor: str | None
) -> None:
    work = tmp_path / "set"
    shutil.copytree(EXAMPLE, work)
    path = work / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(anchor or old)].count("\n") + 1
    res = run_cli("check", str(work))
    assert res.code == 1, res.text
    assert "Traceback" not in res.text and "__ANON" not in res.text
    located = [ln for ln in res.out.splitlines() if f"[{code}]" in ln]
    assert located, res.out
    if code != "PD-M004":  # the set-wide total points at the department's 项目支出
        assert any(ln.startswith(f"{path}:{line}:") for ln in located), located


def test_two_mistakes_give_both_messages(tmp_path: Path) -> None:
    work = tmp_path / "set"
    shutil.copytree(EXAMPLE, work)
    p = work / "01-企业职工养老保险县级财政补助资金.perf"
    text = p.read_text(encoding="utf-8")
    text = text.replace("享受待遇人数 >= 2600 人", "享受待遇人数 >= 2600 人数").replace("质量.资金发放覆盖率", "质良.资金发放覆盖率")
    p.write_text(text, encoding="utf-8")
    res = run_cli("check", str(work))
    assert res.code == 1
    assert "[PD-U001]" in res.out and "[PD-H002]" in res.out
    assert "是否应为“质量”？" in res.out or "是否应为“质量指标”？" in res.out


def test_second_example_uses_mof2021(tmp_path: Path) -> None:
    data = build_json(tmp_path, ROOT / "examples" / "mof2021-demo")
    decl = data["declarations"][0]
    assert decl["profile"] == "mof2021"
    assert decl["indicators"][0]["level1"] == "成本指标"
    qty = {i["name"]: i for i in decl["indicators"]}["服务老年人数"]["target"]
    assert qty["value"] == "1200"
