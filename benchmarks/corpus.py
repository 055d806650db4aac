"""Generate a realistic benchmark corpus of declaration sets (`.perf`) and its JSON twin.

Each set is a folder with one 部门整体 file (budget grid that adds up, project total that
matches its projects) and 2–6 project files with 10–60 indicators each: varied names,
units, operators, ranges and qualitative targets, using the gansu profiles and some
mof2021. Every set is meant to be valid (0 errors); `tests/test_corpus.py` checks that.

The same content as canonical JSON (backends/jsonout) is written by `write_json`, which
compiles the corpus once; it is the `json.load` baseline of benchmarks/run.py.

Deterministic: the same `n` and `seed` give byte-identical files. This module must not
measure anything, and must not import perfdsl unless JSON is asked for.

    python benchmarks/corpus.py OUT_DIR [--n 500] [--seed 0] [--json JSON_DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
from decimal import Decimal
from pathlib import Path

COUNTIES = ["宁县", "正宁县", "合水县", "华池县", "环县", "庆城县", "镇原县", "西峰区", "崆峒区", "泾川县",
            "灵台县", "崇信县", "华亭市", "庄浪县", "静宁县", "秦州区", "麦积区", "甘谷县", "武山县", "清水县",
            "安定区", "通渭县", "陇西县", "渭源县", "临洮县", "漳县", "岷县", "武都区", "成县", "文县"]
BUREAUS = ["社会保险局", "教育局", "卫生健康局", "农业农村局", "水务局", "民政局", "交通运输局", "林业和草原局",
           "文化和旅游局", "市场监督管理局", "自然资源局", "住房和城乡建设局", "乡村振兴局", "医疗保障局",
           "退役军人事务局", "统计局", "审计局", "司法局", "应急管理局", "生态环境局"]
SUBJECTS = ["养老保险", "义务教育", "农村公路养护", "高标准农田建设", "饮水安全巩固", "困难群众救助",
            "森林防火", "公共文化服务", "食品安全抽检", "地质灾害防治", "老旧小区改造", "乡村振兴衔接",
            "城乡居民医保", "退役军人优抚", "统计调查", "审计监督", "法律援助", "应急物资储备",
            "污染防治", "学前教育", "基层医疗卫生", "动物疫病防控", "河湖长制", "残疾人康复"]
KINDS = ["补助资金", "专项资金", "运行经费", "项目经费", "工作经费", "建设资金"]

COUNT_UNITS = ["人", "人次", "户", "个", "次", "项", "件", "家", "场", "份", "套", "台", "所", "座", "辆",
               "批", "篇", "条", "处", "张", "宗", "村", "万人次"]
OTHER_UNITS = ["公里", "平方米", "亩", "吨", "立方米", "万亩"]
COUNT_WORDS = ["受益人数", "补助人数", "培训人次", "覆盖户数", "建设数量", "检查次数", "完成项目数",
               "服务场次", "发放份数", "购置台数", "覆盖学校数", "巡查次数", "宣传场次", "建成处数",
               "抽检批次", "整改件数", "签约户数", "帮扶村数", "培训场次", "印发资料份数"]
RATE_WORDS = ["资金发放覆盖率", "验收合格率", "任务完成率", "政策知晓率", "档案规范率", "设备完好率",
              "数据准确率", "问题整改率", "资金到位率", "目标达成率", "抽检合格率", "覆盖率", "达标率"]
TIME_WORDS = ["资金拨付及时性", "任务完成及时性", "待遇发放及时性", "项目完成时限", "报告报送及时性"]
QUAL_WORDS = ["维护社会稳定", "保障群众合法权益", "提升公共服务水平", "改善生产生活条件", "促进产业发展",
              "生态环境持续改善", "长效机制健全", "制度建设完善", "群众获得感增强", "带动农民增收"]
QUAL_TEXTS = ["有效提升", "明显改善", "持续稳定", "逐步提高", "按月及时兑付", "长期有效", "健全", "规范",
              "显著增强", "达到预期"]
SAT_WORDS = ["服务对象满意度", "群众满意度", "受益群众满意度", "参保人员满意度", "学生家长满意度"]
OPS_GE = [">=", "≥", "＞＝"]
OPS_LE = ["<=", "≤"]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount in 万元 with 0–2 decimals."""
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2).quantize(Decimal("0.01"))


def _fmt(v: Decimal) -> str:
    return format(v, "f")


def _unique(rng: random.Random, words: list[str], k: int, suffix_pool: str = "甲乙丙丁戊己庚辛壬癸") -> list[str]:
    """k distinct names drawn from `words`, made distinct with a suffix if needed."""
    out: list[str] = []
    while len(out) < k:
        base = rng.choice(words)
        name = base
        n = 0
        while name in out:
            name = f"{base}（{suffix_pool[n % len(suffix_pool)]}{n // len(suffix_pool) or ''}）"
            n += 1
        out.append(name)
    return out


def _indicator_lines(rng: random.Random, level2: str, kind: str, k: int, amount: Decimal) -> list[str]:
    """k indicator lines of one 二级 group; `kind` says what sort of targets fit."""
    lines: list[str] = []
    if kind == "cost":
        lines.append(f"成本控制数 {rng.choice(OPS_LE)} {_fmt(amount)} 万元")
        for name in _unique(rng, ["人均补助标准", "单位建设成本", "培训人均成本", "设备购置单价", "运维成本"], k - 1):
            per = Decimal(rng.randint(50, 99999)).scaleb(-2)
            unit = rng.choice(["元/人", "万元/人.年", "元/平方米", "万元/公里", "元/人次", "元"])
            lines.append(f"{name} {rng.choice([*OPS_LE, '='])} {_fmt(per)} {unit}")
        return lines
    if kind == "count":
        for name in _unique(rng, COUNT_WORDS, k):
            if name.startswith(("受益人数", "补助人数")):
                unit = "人"
            elif "人次" in name:
                unit = "人次"
            elif "户" in name:
                unit = "户"
            else:
                unit = rng.choice(COUNT_UNITS[2:] + OTHER_UNITS)
            r = rng.random()
            if r < 0.15:
                lo = rng.randint(10, 500)
                lines.append(f"{name} 区间 {lo}-{lo + rng.randint(10, 2000)} {unit}")
            elif r < 0.25:
                lines.append(f"{name} {rng.choice(OPS_GE)} {rng.randint(1, 99999)}{unit}")  # unit attached
            else:
                lines.append(f"{name} {rng.choice([*OPS_GE, '='])} {rng.randint(1, 99999)} {unit}")
        return lines
    if kind == "rate":
        for name in _unique(rng, RATE_WORDS, k):
            v = rng.choice(["100", "98", "95", "99.5", "90", "96.8"])
            op = "=" if v == "100" and rng.random() < 0.5 else rng.choice(OPS_GE)
            extra = f" [备注: {rng.choice(['按季度统计', '以验收报告为准', '年终考核'])}]" if rng.random() < 0.15 else ""
            lines.append(f"{name} {op} {v} %{extra}")
        return lines
    if kind == "time":
        for i, name in enumerate(_unique(rng, TIME_WORDS, k)):
            if i % 2:
                lines.append(f"{name} {rng.choice(OPS_LE)} {rng.randint(5, 30)} 个工作日")
            else:
                lines.append(f"{name} 定性 {rng.choice(['按时完成', '按月及时拨付', '年底前完成', '及时'])}")
        return lines
    if kind == "benefit":
        for name in _unique(rng, QUAL_WORDS + RATE_WORDS[:4], k):
            if name.endswith("率"):
                lines.append(f"{name} {rng.choice(OPS_GE)} {rng.choice(['80', '85', '90', '95'])} %")
            else:
                text = rng.choice(QUAL_TEXTS)
                lines.append(f"{name} 定性 {text}" if rng.random() < 0.8 else f'{name} 定性 "{text}"')
        return lines
    if kind == "sat":
        return [f"{name} {rng.choice(OPS_GE)} {rng.choice(['85', '90', '93', '95', '98'])} %"
                for name in _unique(rng, SAT_WORDS, k)]
    raise ValueError(kind)


# (written 一级, written 二级, kind) for the gansu-project / mof2021 hierarchy (short aliases).
PROJECT_GROUPS = [
    ("成本", "经济成本", "cost"),
    ("产出", "数量", "count"),
    ("产出", "质量", "rate"),
    ("产出", "时效", "time"),
    ("效益", "社会效益", "benefit"),
    ("效益", "经济效益", "benefit"),
    ("效益", "可持续影响", "benefit"),
    ("满意度", "服务对象满意度", "sat"),
]


def project_text(rng: random.Random, dept: str, title: str, year: int, amount: Decimal,
                 n_ind: int, mof: bool) -> str:
    """One project file with `n_ind` indicators (10–60) whose money adds up to `amount`."""
    # Spread the indicators over the groups; cost and satisfaction get few, 数量 many.
    weights = [1, 4, 3, 1, 2, 1, 1, 1]
    base = [2, 1, 1, 1, 1, 0, 0, 1]
    counts = base[:]
    for _ in range(n_ind - sum(base)):
        counts[rng.choices(range(len(weights)), weights)[0]] += 1
    out = [f"# 项目绩效目标表：{title}（基准语料，自动生成）", ""]
    out.append(f"项目 {title} {{")
    if mof:
        grant = (amount * Decimal(rng.randint(60, 100)) / 100).quantize(Decimal("0.01"))
        out += ["  模板: mof2021", f"  年度: {year}", f"  项目名称: {title}", f"  主管部门: {dept}",
                f"  实施单位: {dept}", "  项目属性: 延续项目", "  项目期: 1年",
                f"  年度资金总额: {_fmt(amount)}", f"  财政拨款: {_fmt(grant)}", f"  其他资金: {_fmt(amount - grant)}",
                "  年度目标:"]
    else:
        out += ["  模板: gansu-project", f"  一级项目名称: {year}年预算县列项目",
                f"  项目分类: {rng.choice(['1 运转类项目', '2 特定目标类项目', '3 其他项目'])}",
                f"  申报属性: {rng.choice(['001 新增项目', '002 延续性（经常性）项目'])}",
                f"  资金用途: {rng.choice(['1 一般类', '2 政策类'])}", f"  主管部门: {dept}",
                f"  项目开始日期: {year}", f"  项目完成日期: {year}",
                f"  基本情况: {title}用于{rng.choice(SUBJECTS)}相关工作，按上年执行情况测算。",
                f"  项目立项必要性: {rng.choice(QUAL_WORDS)}，{rng.choice(QUAL_WORDS)}。",
                f"  项目实施单位: {dept}", f"  年度资金总额: {_fmt(amount)}", "  年度绩效目标:"]
    for _ in range(rng.randint(1, 3)):
        out.append(f"    - {rng.choice(QUAL_WORDS)}，{rng.choice(QUAL_TEXTS)}；")
    out.append("")
    by_l1: dict[str, list[tuple[str, str, int]]] = {}
    for (l1, l2, kind), k in zip(PROJECT_GROUPS, counts, strict=False):
        if k:
            by_l1.setdefault(l1, []).append((l2, kind, k))
    for l1, groups in by_l1.items():
        style = rng.random()
        if style < 0.4:  # one block per 一级, nested 二级 blocks
            out.append(f"  {l1} {{")
            for l2, kind, k in groups:
                out.append(f"    {l2} {{")
                out += [f"      {ln}" for ln in _indicator_lines(rng, l2, kind, k, amount)]
                out.append("    }")
            out.append("  }")
        elif style < 0.8:  # a dotted block per 二级
            for l2, kind, k in groups:
                out.append(f"  {l1}.{l2} {{")
                out += [f"    {ln}" for ln in _indicator_lines(rng, l2, kind, k, amount)]
                out.append("  }")
        else:  # flat dotted lines
            for l2, kind, k in groups:
                out += [f"  {l1}.{l2}.{ln}" for ln in _indicator_lines(rng, l2, kind, k, amount)]
        if rng.random() < 0.2:
            out.append("  # 以上指标依据上年度执行情况设定")
    out.append("}")
    return "\n".join(out) + "\n"


def department_text(rng: random.Random, name: str, year: int, projects_total: Decimal) -> tuple[str, Decimal]:
    """The 部门整体 file; its budget grid adds up and its 项目支出 equals `projects_total`."""
    staff = _money(rng, 50, 900)
    office = _money(rng, 5, 120)
    basic = staff + office
    total = basic + projects_total
    upper = (total * Decimal(rng.randint(0, 40)) / 100).quantize(Decimal("0.01"))
    other = (total * Decimal(rng.randint(0, 10)) / 100).quantize(Decimal("0.01"))
    own = total - upper - other
    units = rng.sample(["综合办公室", "财务股", "业务一股", "业务二股", "法规股", "信息股", "稽核股", "监督股"],
                       rng.randint(2, 6))
    sub = [f"{name.removesuffix('局')}服务中心"] if rng.random() < 0.6 else []
    lines = [f"# {name} {year} 年度 部门（单位）整体绩效目标申报表（基准语料，自动生成）", "",
             f"部门整体 {name} {{", "  模板: gansu-dept", f"  年度: {year}",
             f"  联系人: {rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice(['明', '军', '芳', '丽', '强', '伟'])}",
             f"  联系电话: 0934-{rng.randint(6000000, 6999999)}",
             f"  职能依据: 《{name}职能配置、内设机构和人员编制规定》", "  职能:"]
    lines += [f"    - 负责{rng.choice(SUBJECTS)}相关工作。" for _ in range(rng.randint(2, 5))]
    lines += [f"  核心职能: 负责全县{rng.choice(SUBJECTS)}工作。", "  年度绩效目标:"]
    lines += [f"    - {rng.choice(QUAL_WORDS)}。" for _ in range(rng.randint(2, 4))]
    lines.append("")
    if sub:
        lines += ["  直属单位 {", f"    数量: {len(sub)}", "    名单:", *[f"      - {s}" for s in sub],
                  "    纳入填报: 是", "  }"]
    lines += ["  内设职能部门 {", f"    数量: {len(units)}", "    称谓: 职能股室", "    名单:",
              *[f"      - {u}" for u in units], "  }", "",
              "  预算情况 {",
              f"    基本支出.人员经费: {_fmt(staff)}", f"    基本支出.公用经费: {_fmt(office)}",
              f"    基本支出.合计: {_fmt(basic)}",
              f"    项目支出.本级: {_fmt(projects_total)}", "    项目支出.对下转移支付:",
              f"    项目支出.合计: {_fmt(projects_total)}",
              f"    上级财政补助: {_fmt(upper)}", "    上级财政补助2:",
              f"    本级财政安排: {_fmt(own)}", f"    其他资金: {_fmt(other)}",
              f"    收入预算合计: {_fmt(total)}", f"    支出预算合计: {_fmt(total)}", "  }", "",
              "  部门管理 {", "    资金投入 {", "      基本支出预算执行率 = 100 %", "      项目支出预算执行率 <= 100 %",
              "      “三公经费”控制率 <= 100 %", "    }",
              "    财务管理.资金使用规范性 定性 规范", "    采购管理.政府采购规范性 定性 规范",
              "    资产管理.资产管理规范性 定性 规范", "  }",
              "  履职效果 {", "    部门履职目标 {",
              f"      成本控制数 <= {_fmt(total)} 万元",
              "      资金发放覆盖率 = 100 %", "    }",
              f"    社会影响.{rng.choice(QUAL_WORDS)} 定性 {rng.choice(QUAL_TEXTS)}",
              f"    服务对象满意度.{rng.choice(SAT_WORDS)} >= {rng.choice(['90', '93', '95'])} %", "  }",
              "  能力建设 {", "    长效管理.内控制度健全性 定性 健全",
              "    档案管理.档案归集 定性 及时归集整理业务档案 [备注: 按月归集整理]", "  }", "}"]
    return "\n".join(lines) + "\n", total


def generate(out_dir: str | Path, n: int = 500, seed: int = 0) -> dict[str, int]:
    """Write `n` declaration sets under `out_dir`; returns counts (sets, files, indicators, bytes)."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    stats = {"sets": 0, "files": 0, "indicators": 0, "bytes": 0}
    for i in range(n):
        county = COUNTIES[i % len(COUNTIES)]
        bureau = BUREAUS[(i // len(COUNTIES)) % len(BUREAUS)]
        name = f"{county}{bureau}" + (f"{i // (len(COUNTIES) * len(BUREAUS)) + 1}" if i >= 600 else "")
        year = rng.choice([2024, 2025, 2026])
        folder = root / f"{i + 1:05d}-{name}"
        folder.mkdir(exist_ok=True)
        n_proj = rng.randint(2, 6)
        amounts = [_money(rng, 5, 9000) for _ in range(n_proj)]
        titles = _unique(rng, [f"{s}{k}" for s in SUBJECTS for k in KINDS], n_proj)
        files: dict[str, str] = {}
        for j, (title, amount) in enumerate(zip(titles, amounts, strict=False), start=1):
            n_ind = round(rng.triangular(10, 60, 15))  # most projects are short
            files[f"{j:02d}-{title}.perf"] = project_text(rng, name, title, year, amount, n_ind,
                                                           mof=rng.random() < 0.2)
            stats["indicators"] += n_ind
        dept, _total = department_text(rng, name, year, sum(amounts, Decimal(0)))
        files["00-部门整体.perf"] = dept
        for fname, text in files.items():
            data = text.encode("utf-8")
            target = folder / fname
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
            stats["files"] += 1
            stats["bytes"] += len(data)
        stats["sets"] += 1
    return stats


def write_json(corpus_dir: str | Path, json_dir: str | Path) -> int:
    """Compile the corpus once and write each set's canonical JSON; returns total bytes."""
    from perfdsl.api import check_paths
    from perfdsl.backends import jsonout

    out = Path(json_dir)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for folder in sorted(p for p in Path(corpus_dir).iterdir() if p.is_dir()):
        res = check_paths([str(folder)])
        for k, sres in enumerate(res.sets):
            data = jsonout.render(sres.dset, None)
            (out / f"{folder.name}-{k}.json").write_bytes(data)
            total += len(data)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成基准测试用的申报表语料（每个声明集一个文件夹）")
    ap.add_argument("out", help="输出文件夹")
    ap.add_argument("--n", type=int, default=500, help="声明集数量（默认 500）")
    ap.add_argument("--seed", type=int, default=0, help="随机种子（默认 0）")
    ap.add_argument("--json", metavar="目录", help="同时把同样内容写成规范 JSON 到此文件夹")
    args = ap.parse_args(argv)
    stats = generate(args.out, args.n, args.seed)
    msg = f"已生成 {stats['sets']} 个声明集，{stats['files']} 个文件，{stats['indicators']} 条指标，{stats['bytes']} 字节"
    if args.json:
        msg += f"；JSON {write_json(args.out, args.json)} 字节"
    print(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
