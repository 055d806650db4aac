"""Find a declaration's parts in cell grids by their labels, never by position.

- `indicator_header(row)`: is this row the heading of an indicator table (一级指标 /
  二级指标 / 三级指标 …)? Which column holds what (level1 level2 name op value unit, flat
  export columns such as 项目名称, extra columns such as 权重 / 指标方向性)?
- `FieldIndex`: a profile's header labels, keys and aliases, normalised, to map a label
  cell to a field key (ambiguous labels such as 合计 are told apart by their row's
  context, e.g. 基本支出).
- `choose_profile`: gansu-dept / gansu-project / mof2021 / mof2015 from the labels and
  the 一级/二级 names found.

It must not build syntax (build.py) nor read files (grid.py).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs

from perfdsl.importer.values import squash
from perfdsl.profiles import Profile, find_profile

_TRAIL = re.compile(r"(?:[:：,，;；。、]|包括|如下)+$")
_LEAD = re.compile(r"^(?:[*＊※]|其中[:：]?)+")
_MARKS = re.compile(r"^[*＊※]+")  # a form's required-field marks before a column label (*指标解释)


@functools.lru_cache(maxsize=65536)
def norm_label(text: str) -> str:
    """A label for matching: no spaces or line breaks, half-width brackets, no trailing 冒号/包括."""
    t = squash(text).replace("【", "[").replace("】", "]")
    t = _LEAD.sub("", t)
    prev = None
    while prev != t:
        prev = t
        t = _TRAIL.sub("", t)
    return t


def strip_paren(t: str) -> str:
    return re.sub(r"\([^()]*\)$", "", t)


LEVEL1 = {"一级指标", "一级"}
LEVEL2 = {"二级指标", "二级"}
NAME = {"三级指标", "三级", "指标内容", "指标名称", "三级指标名称", "绩效指标名称", "三级指标内容"}
OP = {"指标值类型", "指标性质", "计算符号", "运算符号", "符号", "指标类型", "值类型"}
VALUE = {"指标值", "目标值", "年度指标值", "年度(/项目)指标值", "年度(项目)指标值", "指标目标值", "预期目标值",
         "年度目标值", "当年预期实现值", "预期指标值", "绩效目标值", "指标值(目标值)", "预期值", "绩效标准"}
UNIT = {"度量单位", "计量单位", "单位", "指标单位"}
DECL_KEY = ("表/项目名称", "项目名称", "二级项目名称", "项目")


@attrs.frozen
class Header:
    """Column roles of an indicator table heading row."""

    roles: dict[int, str]  # column → level1 level2 name op value unit
    extras: dict[int, str]  # column → extra column key (权重, 指标方向性, 指标值内容 …)
    left: dict[int, str]  # flat exports: columns left of 一级指标 → their label (项目名称 …)
    decl_col: int | None  # flat exports: the column naming the declaration
    names: dict[int, str] = attrs.field(factory=dict)  # column → its label as printed, marks removed

    @property
    def flat(self) -> bool:
        return self.decl_col is not None

    def col(self, role: str) -> int | None:
        for c, r in self.roles.items():
            if r == role:
                return c
        return None


def indicator_header(texts: list[str], origins_own: list[bool]) -> Header | None:
    """The heading's column roles, or None. `origins_own[c]`: the cell starts in column c."""
    if not any("级" in t for t in texts):
        return None  # both required labels (一级…/二级…) contain 级: most rows end here, cheaply
    roles: dict[int, str] = {}
    extras: dict[int, str] = {}
    labels = [norm_label(t) for t in texts]
    for c, lab in enumerate(labels):
        if not origins_own[c] or not lab:
            continue
        role = None
        if lab in LEVEL1:
            role = "level1"
        elif lab in LEVEL2:
            role = "level2"
        elif lab in NAME:
            role = "name"
        elif lab in OP:
            role = "op"
        elif lab in VALUE or (lab.endswith("指标值") and len(lab) <= 10):
            role = "value"
        elif lab in UNIT:
            role = "unit"
        if role is not None and role in roles.values():
            if role == "value":
                extras[c] = "指标值内容"
            else:
                extras[c] = column_key(texts[c])
            continue
        if role is not None:
            roles[c] = role
    if not {"level1", "level2"} <= set(roles.values()) or not ({"name", "value"} & set(roles.values())):
        return None
    l1 = min(c for c, r in roles.items() if r == "level1")
    left: dict[int, str] = {}
    decl_col = None
    for c, lab in enumerate(labels):
        if c in roles or c in extras or not origins_own[c] or not lab:
            continue
        if c < l1:
            left[c] = lab
        else:
            extras[c] = column_key(squash(texts[c]))
    for key in DECL_KEY:
        for c, lab in left.items():
            if lab == key and decl_col is None:
                decl_col = c
    names = {c: column_key(squash(texts[c])) for c in roles}
    return Header(roles, extras, left if decl_col is not None else {}, decl_col, names)


def column_key(label: str) -> str:
    """The key an extra column's cells are imported under: its label without the form's
    required-field marks (`*指标解释` → 指标解释), so it meets the profile's column."""
    return _MARKS.sub("", label.strip()).strip() or label.strip()


class FieldIndex:
    """Label → field keys for one profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.index: dict[str, list[str]] = {}
        for f in profile.fields:
            names = {f.label, f.key, *f.aliases}
            names.add(f.key.split(".")[-1])
            for n in names:
                for v in {norm_label(n), strip_paren(norm_label(n))}:
                    if v:
                        lst = self.index.setdefault(v, [])
                        if f.key not in lst:
                            lst.append(f.key)

    def candidates(self, text: str) -> list[str]:
        lab = norm_label(text)
        if not lab or len(lab) > 60:
            return []
        found = self.index.get(lab) or self.index.get(strip_paren(lab)) or []
        return list(found)

    def pick(self, text: str, context: list[str], taken: set[str]) -> str | None:
        cands = [k for k in self.candidates(text) if k not in taken]
        if not cands:
            return None
        ctx = {norm_label(c) for c in context if c}
        for k in cands:
            if any(seg in ctx for seg in k.split(".")[:-1]):
                return k
        scoped = [k for k in cands if "." in k]
        plain = [k for k in cands if "." not in k]
        if plain and not any(any(seg in ctx for seg in k.split(".")[:-1]) for k in scoped):
            return plain[0]
        return cands[0]


def label_score(profile: Profile, texts: list[str]) -> int:
    idx = FieldIndex(profile)
    return sum(1 for t in texts if idx.candidates(t))


DEPT_LEVEL1 = {"部门管理", "履职效果", "能力建设"}
DEPT_LABELS = {"部门(单位)职能", "单位(部门)名称", "部门(单位)名称", "部门单位核心职能", "部门(单位)基本信息"}


def choose_kind(texts: list[str], level1s: list[str]) -> str:
    labels = {norm_label(t) for t in texts}
    if labels & DEPT_LABELS or any(norm_label(t).endswith("整体绩效目标申报表") or "整体绩效目标" in t for t in texts):
        return "department"
    if {squash(x) for x in level1s} & DEPT_LEVEL1:
        return "department"
    return "project"


def choose_profile(kind: str, texts: list[str], paths: list[tuple[str, str]], forced: Any) -> Profile:
    """The profile for one declaration (by --profile or the profiles the file names — an
    importer.ownprofiles.ProfileHint —, else by what was found)."""
    if forced is not None and not isinstance(forced, str):
        return forced.choose(kind, texts)  # type: ignore[no-any-return]
    if forced:
        prof = find_profile(forced)
        if prof is None:
            from perfdsl.importer.safety import ImportFailure

            raise ImportFailure(f"找不到模板“{forced}”（运行 perfdsl profiles 查看可用的模板）")
        return prof
    if kind == "department":
        prof = find_profile("gansu-dept")
        assert prof is not None
        return prof
    cost_l1 = any(squash(l1).startswith("成本") for l1, _ in paths)
    cost_l2 = any(squash(l2).startswith("成本") and not squash(l1).startswith("成本") for l1, l2 in paths)
    if cost_l2 and not cost_l1:
        prof = find_profile("mof2015")
        assert prof is not None
        return prof
    g, m = find_profile("gansu-project"), find_profile("mof2021")
    assert g is not None and m is not None
    gs = label_score(g, texts) - label_score(m, texts)
    return g if gs > 0 else m
