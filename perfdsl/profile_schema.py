"""The profile schema: the one description of every key a profile TOML file may hold.

`SCHEMA` is plain data. It is used three times, so the three cannot drift apart:
- `check_keys` validates a profile file as loaded (unknown keys with a did-you-mean,
  wrong types, unknown enum values, missing required keys);
- `merge` applies `extends` (lists of tables are merged by their key);
- `reference_markdown` generates the key reference in docs/profiles.md.

Nothing here knows a province. Problems are returned as `Problem` values (code, key
path, message arguments); `perfdsl/profile_load.py` turns them into diagnostics with the
file, line and column of the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from perfdsl import record

# ----------------------------------------------------------------------------------------
# Schema data
# ----------------------------------------------------------------------------------------

TYPE_ZH = {
    "string": "文字", "bool": "true/false", "integer": "整数", "number": "数字", "string-list": "文字列表",
    "number-list": "数字列表", "table": "表", "table-list": "表的列表（[[…]]）", "string-map": "表（键 = 文字）",
    "grid": "多行文字（版式网格）", "string-or-number": "文字或数字",
}


@record.frozen
class Key:
    type: str
    doc: str
    default: Any = None
    enum: tuple[str, ...] = ()
    required: bool = False
    keys: dict[str, Key] | None = None  # table / table-list: its own keys
    merge_key: str = ""  # table-list: the key entries are merged by under `extends`
    example: str = ""


_FIELD_TYPES = ("text", "list", "int", "money", "code", "bool", "year", "date")

_LIST_ENTRY = {
    "remove": Key("bool", "在子模板中删去继承来的这一项（只写键名和 `remove = true`）。", False),
    "after": Key("string", "子模板新增的一项放在继承来的哪一项之后（写那一项的键名）；不写则放在最后。"),
}

HIERARCHY_CHILD = {
    "name": Key("string", "二级指标的正式名称。", required=True),
    "aliases": Key("string-list", "二级指标的别名（写声明时可用，输出时换成正式名称）。", []),
    "indicators": Key("string-list", "该二级指标下常用的三级指标名称（编辑器补全用，不强制）。", []),
    **_LIST_ENTRY,
}

HIERARCHY = {
    "name": Key("string", "一级指标的正式名称。", required=True),
    "aliases": Key("string-list", "一级指标的别名。", []),
    "children": Key("table-list", "该一级指标下允许的二级指标，按标准顺序。", [], keys=HIERARCHY_CHILD,
                    merge_key="name"),
    **_LIST_ENTRY,
}

FIELD = {
    "key": Key("string", "字段的键，声明里写作 `键: 值`；可带点号分层，如 `预算情况.其他资金`。", required=True),
    "label": Key("string", "表上印的栏目名；不写则与 key 相同。"),
    "type": Key("string", "字段类型：text 文字、list 多条、int 整数、money 金额（单位见 money_unit）、"
                "code 编码、bool 是/否、year 年度、date 日期。", "text", enum=_FIELD_TYPES),
    "required": Key("bool", "必填（缺少时报 PD-R001）。", False),
    "show": Key("bool", "没有版式时是否在表头按行列出（false：只用于标题、副标题等）。", True),
    "item_format": Key("string", "list 字段每条的写法，`{n}` 为序号，`{text}` 为内容，如 `目标{n}：{text}`。", "{text}"),
    "default": Key("string", "未填写时使用的值。"),
    "aliases": Key("string-list", "字段的别名（声明里也可以这样写）。", []),
    **_LIST_ENTRY,
}

COLUMN = {
    "key": Key("string", "列的键。level1 一级指标、level2 二级指标、name 三级指标、op 指标值类型、value 目标值、"
               "unit 度量单位、target 合并的指标值（如 `≥90%`、`8个`）、side 竖排侧标签（如“绩效指标”，"
               "纵向合并全部指标行）；其他键是附加列（如 指标值内容、备注、权重），取指标后 `[键: 值]` 的内容。",
               required=True),
    "label": Key("string", "表头印的列名；不写则与 key 相同。side 列的 label 是侧标签文字，写 `^` 表示接续表头网格中它上方的格。"),
    "aliases": Key("string-list", "附加列的别名（声明里 `[别名: …]` 也归入这一列）。", []),
    "width": Key("number", "相对列宽（与其他列按比例分配版心宽度）；不写时用默认宽度。"),
    "span": Key("integer", "这一列占网格的几列（表头网格与指标表共用一套网格列时用）。", 1),
    "optional": Key("bool", "只有某个指标填了这一列时才印出（如 权重、指标方向性）。", False),
    "field": Key("string", "这一列印表头字段的值，纵向合并全部指标行（如四川导出表每个指标左边的 单位名称、项目名称、预算数）。"),
    "format": Key("string", "target 列的写法：`{op}` 运算符（按 operators 的写法）、`{value}` 数值、"
                  "`{unit}` 单位；定性指标印其文字，区间印 `下限-上限`。", "{op}{value}{unit}"),
    **_LIST_ENTRY,
}

LAYOUT = {
    "widths": Key("number-list", "表头网格每一列的相对宽度；列数由它决定。不写时网格列就是指标表的列。"),
    "header": Key("grid", "表头网格：每行一行，格与格用 `|` 分开。格的写法见上文“版式网格”。不写时每个 show = true 的字段占一行。"),
    "one_table": Key("bool", "表头与指标表是同一张 Word 表格（官方表样多为一张表）。false 时分成两张表，"
                     "指标表的表头行可在每页重复。", True),
    "merge": Key("string-list", "指标表中纵向合并相同内容的列。", ["level1", "level2"], enum=("level1", "level2")),
    "heading": Key("bool", "指标表是否有列名行。", True),
}

PAGE = {
    "orientation": Key("string", "纸张方向。", "portrait", enum=("portrait", "landscape")),
    "margins": Key("number-list", "页边距（厘米）：上、右、下、左。", [2.5, 2.0, 2.0, 2.0]),
    "title_font": Key("string", "表名字体。", "黑体"),
    "title_size": Key("number", "表名字号（磅）。", 18),
    "title_bold": Key("bool", "表名加粗。", True),
    "subtitle_font": Key("string", "副标题（年度）字体。", "楷体"),
    "subtitle_size": Key("number", "副标题字号（磅）。", 14),
    "font": Key("string", "表格文字字体。", "宋体"),
    "font_size": Key("number", "表格文字字号（磅）。", 10),
    "head_font": Key("string", "指标表列名的字体。", "黑体"),
    "footer": Key("string", "页脚，`{page}` 为页码、`{pages}` 为总页数；空文字表示没有页脚。", "第 {page} 页  共 {pages} 页"),
    "above": Key("string-list", "表名与表格之间的文字行（如“单位（盖章）：”），可含 `{字段}`。", []),
    "notes": Key("string-list", "表格下方的注释，每条一段，如 `注：1.……`。", []),
}

OPERATORS = {op: Key("string", f"运算符 {op} 在表上的写法。", default) for op, default in (
    ("eq", "＝"), ("ge", "≥"), ("le", "≤"), ("gt", "＞"), ("lt", "＜"), ("qual", "定性"), ("range", "区间"))}

SCHEMA: dict[str, Key] = {
    "id": Key("string", "模板的唯一名称，声明里 `模板: 名称` 用它。用户模板不写时取文件名。", example='"anhui-project"'),
    "name": Key("string", "模板的中文全称。"),
    "kind": Key("string", "用于哪一类声明：department 部门整体、project 项目。", "project", enum=("department", "project")),
    "extends": Key("string", "继承的模板 id：只写与它不同的部分。列表按键合并，见“继承”。"),
    "replace": Key("string-list", "继承时整个替换（而不是按键合并）的列表或表。", [],
                   enum=("hierarchy", "fields", "columns", "sums", "counts", "operators", "composites", "layout", "page",
                         "aliases", "required_level1", "optional_columns")),
    "aliases": Key("string-list", "模板的别名（`模板:` 也可以写它们）。", []),
    "hierarchy_set": Key("string", "指标体系的名字（说明用，如 2015、2021、dept）。", ""),
    "title": Key("string", "表名，可含 `{字段}`，如 `{单位名称}整体绩效目标申报表`。", ""),
    "subtitle": Key("string", "副标题，如 `（{年度}年度）`；所含字段未填写时不印。", ""),
    "title_field": Key("string", "声明标题（`项目 名称 {`）填入哪个字段。", ""),
    "money_unit": Key("string", "表头金额字段的单位。", "万元", enum=("元", "万元")),
    "allow_unknown_fields": Key("bool", "允许模板之外的表头字段（否则报 PD-R003）；它们印在表头末尾。", False),
    "required_level1": Key("string-list", "每张表必须有的一级指标。", []),
    "satisfaction_floor": Key("string-or-number", "满意度指标值的下限（%）。", "85"),
    "optional_columns": Key("string-list", "不在 columns 里、也不报 PD-R007 的附加列名。", ["权重", "指标方向性", "指标解释", "评分标准", "指标值说明"]),
    "weight_column": Key("string", "权重列的名字（PD-M005 检查它的合计）。", "权重"),
    "weight_total": Key("string-or-number", "权重应合计的数。", "100"),
    "weight_severity": Key("string", "权重合计不符时的严重程度。", "warning", enum=("error", "warning", "info")),
    "bare_equals": Key("bool", "指标值可以只写数量、不写运算符（如安徽的表印作 `8个`），表示“等于”；"
                        "false 时这样写报 PD-V006。", False),
    "budget_field": Key("string", "成本指标与之比较的预算字段。", ""),
    "projects_total_field": Key("string", "部门整体中与各项目金额合计比较的字段。", ""),
    "project_amount_field": Key("string", "项目的年度金额字段。", ""),
    "operators": Key("table", "运算符在表上的写法。", keys=OPERATORS),
    "hierarchy": Key("table-list", "允许的一级→二级指标，按标准顺序（指标表按这个顺序排列）。", [], keys=HIERARCHY,
                     merge_key="name"),
    "fields": Key("table-list", "表头字段，按表上的顺序。", [], keys=FIELD, merge_key="key"),
    "columns": Key("table-list", "指标表的列，从左到右。", [], keys=COLUMN, merge_key="key"),
    "sums": Key("table-list", "金额合计关系：total = parts 之和（PD-M001）。", [], merge_key="total", keys={
        "total": Key("string", "合计字段。", required=True),
        "parts": Key("string-list", "各分项字段。", required=True), **_LIST_ENTRY}),
    "balance": Key("table", "收支平衡：两个字段应相等。", keys={
        "income": Key("string", "收入合计字段。", required=True),
        "expense": Key("string", "支出合计字段。", required=True)}),
    "composites": Key("string-map", "由几个字段拼成的文字，如 `\"直属单位\" = \"{直属单位.数量}个，{直属单位.名单}\"`，"
                      "版式网格里写 `{直属单位}`。", {}),
    "counts": Key("table-list", "个数字段与名单字段应一致（PD-M003）。", [], merge_key="count", keys={
        "count": Key("string", "个数字段。", required=True),
        "list": Key("string", "名单字段。", required=True), **_LIST_ENTRY}),
    "layout": Key("table", "表的版式：表头网格、列宽、是否一张表。", keys=LAYOUT),
    "page": Key("table", "页面：纸张方向、边距、字体字号、页脚、表下注释。", keys=PAGE),
}

LIST_KEYS = tuple(k for k, v in SCHEMA.items() if v.type == "table-list")


# ----------------------------------------------------------------------------------------
# Checking one file's data
# ----------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


@record.frozen
class Problem:
    code: str
    path: Path  # key path in the file, e.g. ("fields", 3, "type")
    args: dict[str, str]
    help: str | None = None


def dotted(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p + 1}]" if isinstance(p, int) else (("." if out else "") + p)
    return out


def suggest(word: str, choices: Any) -> str | None:
    import difflib  # only for a suggestion

    got = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return got[0] if got else None


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "grid":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string-or-number":
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    if kind == "string-list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "number-list":
        return isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if kind in ("table", "string-map"):
        return isinstance(value, dict)
    if kind == "table-list":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    return True


def check_keys(data: dict[str, Any], keys: dict[str, Key] = SCHEMA, path: Path = ()) -> Iterator[Problem]:
    """Unknown keys, wrong types, unknown enum values and missing required keys in `data`."""
    for name, value in data.items():
        here = (*path, name)
        spec = keys.get(name)
        if spec is None:
            near = suggest(name, keys)
            yield Problem("PD-C001", here, {"key": dotted(here)},
                          f"是不是“{near}”？" if near else "可用的键：" + "、".join(keys))
            continue
        if not _type_ok(spec.type, value):
            yield Problem("PD-C002", here, {"key": dotted(here), "want": TYPE_ZH[spec.type],
                                             "got": _type_name(value)})
            continue
        if spec.enum:
            values = value if isinstance(value, list) else [value]
            for i, v in enumerate(values):
                if v not in spec.enum:
                    near = suggest(str(v), spec.enum)
                    at = (*here, i) if isinstance(value, list) else here
                    yield Problem("PD-C003", at, {"key": dotted(here), "value": str(v),
                                                   "allowed": "、".join(spec.enum)},
                                  f"是不是“{near}”？" if near else None)
        if spec.type == "table" and spec.keys is not None:
            yield from check_keys(value, spec.keys, here)
        elif spec.type == "string-map":
            for k, v in value.items():
                if not isinstance(v, str):
                    yield Problem("PD-C002", (*here, k), {"key": dotted((*here, k)), "want": "文字",
                                                          "got": _type_name(v)})
        elif spec.type == "table-list" and spec.keys is not None:
            for i, entry in enumerate(value):
                yield from check_keys(entry, spec.keys, (*here, i))
                if entry.get("remove") is True:
                    continue
                for rk, rspec in spec.keys.items():
                    if rspec.required and rk not in entry:
                        yield Problem("PD-C008", (*here, i), {"key": dotted((*here, i)), "missing": rk})
    if not path:
        return


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "数字"
    if isinstance(value, str):
        return "文字"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "表"
    return type(value).__name__


# ----------------------------------------------------------------------------------------
# extends
# ----------------------------------------------------------------------------------------


def merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """`child` over `parent`: scalars override, tables merge key by key, lists of tables
    merge entry by entry on their key (an entry with `remove = true` deletes the inherited
    one; `after = "键"` places a new one), and keys named in the child's `replace` are
    taken from the child whole."""
    out = dict(parent)
    replace = set(child.get("replace", ()))
    for name, value in child.items():
        if name in ("extends", "replace"):
            continue
        spec = SCHEMA.get(name)
        if name in replace or spec is None or name not in parent:
            out[name] = _strip(value, spec)
        elif spec.type == "table-list" and isinstance(value, list) and isinstance(parent[name], list):
            out[name] = merge_list(parent[name], value, spec)
        elif spec.type in ("table", "string-map") and isinstance(value, dict) and isinstance(parent[name], dict):
            merged = dict(parent[name])
            merged.update(value)
            out[name] = merged
        else:
            out[name] = value
    return out


def _strip(value: Any, spec: Key | None) -> Any:
    """A list of tables with `remove` entries dropped and `after` hints removed."""
    if spec is None or spec.type != "table-list" or not isinstance(value, list):
        return value
    return [{k: v for k, v in e.items() if k != "after"} for e in value
            if isinstance(e, dict) and e.get("remove") is not True]


def merge_list(parent: list[dict[str, Any]], child: list[dict[str, Any]], spec: Key) -> list[dict[str, Any]]:
    key = spec.merge_key
    out = [dict(e) for e in parent]
    for entry in child:
        if not isinstance(entry, dict):
            continue
        k = entry.get(key)
        at = next((i for i, e in enumerate(out) if e.get(key) == k), None)
        if entry.get("remove") is True:
            if at is not None:
                del out[at]
            continue
        body = {n: v for n, v in entry.items() if n != "after"}
        if at is not None:
            merged = dict(out[at])
            for n, v in body.items():
                sub = spec.keys.get(n) if spec.keys else None
                if sub is not None and sub.type == "table-list" and isinstance(v, list) and isinstance(merged.get(n), list):
                    merged[n] = merge_list(merged[n], v, sub)
                else:
                    merged[n] = v
            out[at] = merged
            continue
        after = entry.get("after")
        pos = next((i + 1 for i, e in enumerate(out) if after is not None and e.get(key) == after), len(out))
        out.insert(pos, _strip([body], spec)[0] if body.get("remove") is not True else body)
    return out


# ----------------------------------------------------------------------------------------
# Reference documentation (docs/profiles.md, part 1)
# ----------------------------------------------------------------------------------------


def _default_text(spec: Key) -> str:
    d = spec.default
    if d is None:
        return "—"
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, list):
        return "[" + ", ".join(f'"{x}"' if isinstance(x, str) else str(x) for x in d) + "]"
    if isinstance(d, dict):
        return "{}"
    if isinstance(d, str):
        return f'"{d}"' if d else '""'
    return str(d)


def _rows(keys: dict[str, Key], prefix: str) -> list[str]:
    out = []
    for name, spec in keys.items():
        full = f"{prefix}{name}"
        doc = spec.doc.replace("|", "\\|")
        if spec.enum:
            doc += " 可选值：" + "、".join(f"`{e}`" for e in spec.enum) + "。"
        if spec.required:
            doc += " **必填。**"
        if spec.merge_key:
            doc += f" 继承时按 `{spec.merge_key}` 合并。"
        out.append(f"| `{full}` | {TYPE_ZH[spec.type]} | `{_default_text(spec)}` | {doc} |")
    return out


def reference_markdown() -> str:
    """The key reference, generated from SCHEMA (tests check docs/profiles.md contains it)."""
    head = ["| 键 | 类型 | 默认值 | 说明 |", "|---|---|---|---|"]
    out = ["<!-- 以下由 perfdsl/profile_schema.py 生成（PERFDSL_REGEN=1 pytest tests/test_profiles.py），请勿手工修改 -->",
           "", "### 顶层键", "", *head, *_rows(SCHEMA, "")]
    sections: list[tuple[str, str, dict[str, Key]]] = []

    def walk(keys: dict[str, Key], prefix: str) -> None:
        for name, spec in keys.items():
            if spec.keys is not None:
                title = f"{prefix}{name}"
                sections.append((title, "[[" + title + "]]" if spec.type == "table-list" else "[" + title + "]",
                                 spec.keys))
                walk(spec.keys, f"{title}.")

    walk(SCHEMA, "")
    for _title, header, keys in sections:
        out += ["", f"### `{header}`", "", *head, *_rows(keys, "")]
    out += ["", "<!-- 生成内容结束 -->"]
    return "\n".join(out) + "\n"
