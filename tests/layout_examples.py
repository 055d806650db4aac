"""An example declaration for any profile: every field filled with a distinct value of its
type (money totals equal to their parts), one indicator under the first 二级 of every 一级.
Used to prove that import puts every header value of every known layout into its field."""

from __future__ import annotations

from decimal import Decimal

from perfdsl.profiles import Profile


def _money(profile: Profile) -> dict[str, Decimal]:
    keys = [f.key for f in profile.fields if f.type == "money"]
    vals: dict[str, Decimal] = {k: Decimal(11 * (i + 1)) + Decimal("0.25") for i, k in enumerate(keys)}
    def total() -> None:
        for _ in range(4):  # totals (possibly nested) equal the sum of their parts
            for rule in profile.sums:
                if rule.total in vals and all(p in vals for p in rule.parts):
                    vals[rule.total] = sum((vals[p] for p in rule.parts), Decimal(0))

    total()
    if profile.balance and all(k in vals for k in profile.balance):
        income, expense = profile.balance
        low, high = (income, expense) if vals[income] < vals[expense] else (expense, income)
        totals = {r.total for r in profile.sums}
        leaf = low
        while leaf in totals:
            rule = next(r for r in profile.sums if r.total == leaf)
            leaf = next((p for p in rule.parts if p not in totals), rule.parts[0])
        vals[leaf] += vals[high] - vals[low]
        total()
    return vals


def printed(profile: Profile, key: str) -> bool:
    """Does the form print this field? (show = false fields only through the title,
    subtitle, lines above the table or the header grid.)"""
    spec = profile.field(key)
    if spec is None or spec.show:
        return True
    texts = [profile.title, profile.subtitle, *profile.page.above]
    texts += [gc.text for gc in profile.layout.header or ()]
    texts += list(profile.composites.values())
    return any("{" + key + "}" in t for t in texts)


def example(profile: Profile, title: str = "示例名称甲") -> str:
    money = _money(profile)
    counts = dict(profile.counts)
    count_of = {v: k for k, v in counts.items()}
    lines = [f"{'部门整体' if profile.kind == 'department' else '项目'} {title} {{", f"  模板: {profile.id}"]
    n = 0
    list_len: dict[str, int] = {}
    for f in profile.fields:
        n += 1
        if f.key == profile.title_field or not printed(profile, f.key):
            continue
        if f.type == "list":
            k = 1 if f.key in count_of else 2
            list_len[f.key] = k
            lines.append(f"  {f.key}:")
            lines += [f"    - 第{j}项内容{n}号" for j in range(1, k + 1)]
    for f in profile.fields:
        n += 1
        if f.key == profile.title_field or f.type == "list" or not printed(profile, f.key):
            continue
        if f.type == "money":
            v = str(money[f.key])
        elif f.type == "int":
            v = str(list_len.get(counts.get(f.key, ""), 30 + n))
        elif f.type == "year":
            v = "2025"
        elif f.type == "date":
            v = "2025-03-01"
        elif f.type == "bool":
            v = "是"
        elif f.type == "code":
            v = f"{400 + n} 代码名称{n}"
        else:
            v = f"内容{n}号文字"
        lines.append(f"  {f.key}: {v}")
    lines.append("")
    for i, l1 in enumerate(profile.hierarchy):
        if not l1.children:
            continue
        l2 = l1.children[0]
        if "成本" in l1.name or "成本" in l2.name:
            target = "定性 达标"
        else:
            target = f">= {90 + i} %"
        lines.append(f"  {l1.name}.{l2.name}.指标{i + 1}号 {target}")
    lines.append("}")
    return "\n".join(lines) + "\n"
