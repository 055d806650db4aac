"""Hypothesis strategies for .perf declarations (grammar-aware generators).

Each strategy draws a *valid* declaration as source text together with the list of
values written in it (`Generated.values`), so a test can check that every value reaches
every output. The generators follow perfdsl/grammar/perfdsl.lark and the gansu-project /
gansu-dept profiles. Importing this module has no side effects (no files, no settings
profiles registered); other test modules may import it freely.

Must not: depend on perfdsl internals beyond what a user could write in a file.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
from hypothesis import strategies as st

# Common CJK characters that never form a keyword (定性, 区间, 至, 项目, 部门整体) by
# themselves; keyword substrings are filtered out below anyway.
_CJK = "养老保险补助资金发放覆盖率满意度标准人数服务对象社会效益经济成本质量时效数量工作完成情况城乡居民医疗救助培训覆盖户次达标按月及时兑付稳定合法权益宣传政策知晓"
_TEXT_EXTRA = "，。、；（）《》“”0123456789ABCabc％"
_KEYWORDS = ("定性", "区间", "至", "项目", "部门整体")

# (level-1 short name, level-2 short name) pairs valid in the gansu-project profile.
LEVELS: tuple[tuple[str, str], ...] = (
    ("产出", "数量"),
    ("产出", "质量"),
    ("产出", "时效"),
    ("成本", "经济成本"),
    ("成本", "社会成本"),
    ("效益", "社会效益"),
    ("效益", "经济效益"),
    ("效益", "可持续影响"),
    ("满意度", "服务对象满意度"),
)
UNITS: tuple[str, ...] = ("万元", "元", "人", "%", "个", "次", "户", "天", "万元/人.年", "人次")
OPS: tuple[str, ...] = (">=", "<=", "=", ">", "<", "≥", "≤")
TEXT_FIELDS: tuple[str, ...] = (
    "基本情况", "项目立项必要性", "保障项目实施的制度措施", "项目实施计划", "组织实施单位",
    "监督管理单位", "项目实施单位", "政策依据", "其他依据", "需要说明的其他情况",
)


@attrs.frozen
class Generated:
    """A generated source and the value texts written in it (each must reach every output)."""

    text: str
    values: tuple[str, ...]


def _clean(s: str) -> bool:
    return not any(k in s for k in _KEYWORDS)


def names(min_size: int = 2, max_size: int = 10) -> st.SearchStrategy[str]:
    """An indicator or declaration name: CJK only, never a keyword."""
    return st.text(alphabet=_CJK, min_size=min_size, max_size=max_size).filter(_clean)


def texts(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """A one-line field text: CJK, full-width punctuation, digits; no '#', no leading quote."""
    alphabet = _CJK + _TEXT_EXTRA
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size).filter(_clean)


@st.composite
def decimal_texts(draw: st.DrawFn, max_int_digits: int = 7, max_frac_digits: int = 4) -> str:
    """A number as a user writes it: no leading zeros, trailing zeros kept (100.00)."""
    int_len = draw(st.integers(1, max_int_digits))
    if int_len == 1:
        int_part = draw(st.sampled_from("0123456789"))
    else:
        first = draw(st.sampled_from("123456789"))
        rest = draw(st.text(alphabet="0123456789", min_size=int_len - 1, max_size=int_len - 1))
        int_part = first + rest
    frac_len = draw(st.integers(0, max_frac_digits))
    if frac_len == 0:
        return int_part
    frac = draw(st.text(alphabet="0123456789", min_size=frac_len, max_size=frac_len))
    return f"{int_part}.{frac}"


@st.composite
def indicator_lines(draw: st.DrawFn, name: str) -> tuple[str, list[str]]:
    """One indicator statement (without path prefix) and the values it writes."""
    kind = draw(st.sampled_from(("cmp", "cmp", "qual", "range")))
    values = [name]
    if kind == "cmp":
        op = draw(st.sampled_from(OPS))
        num = draw(decimal_texts())
        unit = draw(st.sampled_from(UNITS))
        line = f"{name} {op} {num} {unit}"
        values += [num, unit]
    elif kind == "qual":
        txt = draw(texts(1, 20))
        line = f"{name} 定性 {txt}"
        values.append(txt)
    else:
        low = draw(decimal_texts(max_int_digits=3))
        high = draw(decimal_texts(max_int_digits=3))
        unit = draw(st.sampled_from(UNITS))
        line = f"{name} 区间 {low} - {high} {unit}"
        values += [low, high, unit]
    if draw(st.booleans()):
        note = draw(texts(1, 15))
        line += f" [备注: {note}]"
        values.append(note)
    return line, values


@st.composite
def projects(draw: st.DrawFn) -> Generated:
    """A complete gansu-project declaration with random fields and indicators."""
    title = draw(names(2, 12))
    values: list[str] = [title]
    lines = [f"项目 {title} {{", "  模板: gansu-project"]
    fixed = {
        "一级项目名称": draw(texts(2, 20)),
        "项目分类": "3 其他项目",
        "申报属性": "002 延续性（经常性）项目",
        "资金用途": "2 政策类",
        "主管部门": draw(texts(2, 20)),
        "项目开始日期": "2025",
        "项目完成日期": "2025",
    }
    for key, val in fixed.items():
        lines.append(f"  {key}: {val}")
        values.append(val)
    for key in draw(st.lists(st.sampled_from(TEXT_FIELDS), unique=True, max_size=5)):
        val = draw(texts())
        lines.append(f"  {key}: {val}")
        values.append(val)
    goals = draw(st.lists(texts(2, 30), min_size=1, max_size=3))
    lines.append("  年度绩效目标:")
    for g in goals:
        lines.append(f"    - {g}")
        values.append(g)
    ind_names = draw(st.lists(names(2, 10), min_size=1, max_size=8, unique=True))
    for nm in ind_names:
        l1, l2 = draw(st.sampled_from(LEVELS))
        line, vals = draw(indicator_lines(nm))
        lines.append(f"  {l1}.{l2}.{line}")
        values += vals
    lines.append("}")
    return Generated("\n".join(lines) + "\n", tuple(values))


def _fmt(v: Decimal) -> str:
    return format(v, "f")


@attrs.frozen
class Budget:
    """A gansu-dept 预算情况 block and the values written in it, by field key."""

    text: str
    values: dict[str, str]


@st.composite
def budget_blocks(draw: st.DrawFn, max_int_digits: int = 6, max_frac_digits: int = 2) -> Budget:
    """A 预算情况 block whose every total equals the sum of its parts exactly (Decimal)."""

    def num() -> str:
        return draw(decimal_texts(max_int_digits=max_int_digits, max_frac_digits=max_frac_digits))

    v: dict[str, str] = {}
    v["基本支出.人员经费"], v["基本支出.公用经费"] = num(), num()
    v["基本支出.合计"] = _fmt(Decimal(v["基本支出.人员经费"]) + Decimal(v["基本支出.公用经费"]))
    v["项目支出.本级"], v["项目支出.对下转移支付"] = num(), num()
    v["项目支出.合计"] = _fmt(Decimal(v["项目支出.本级"]) + Decimal(v["项目支出.对下转移支付"]))
    v["支出预算合计"] = _fmt(Decimal(v["基本支出.合计"]) + Decimal(v["项目支出.合计"]))
    v["本级财政安排"] = v["支出预算合计"]
    v["收入预算合计"] = v["支出预算合计"]
    lines = ["  预算情况 {"] + [f"    {k}: {val}" for k, val in v.items()] + ["  }"]
    return Budget("\n".join(lines) + "\n", v)


def documents() -> st.SearchStrategy[Generated]:
    """A file with one to three generated projects (distinct titles not guaranteed)."""
    return st.lists(projects(), min_size=1, max_size=3).map(
        lambda gs: Generated("\n".join(g.text for g in gs), tuple(v for g in gs for v in g.values))
    )


# --- The oracle: run the CLI in-process and judge its output ------------------------------

# Text that must never reach a user: tracebacks, Lark internals, anonymous terminals.
FORBIDDEN = ("Traceback", "__ANON", "Token(", "UnexpectedToken", "UnexpectedCharacters",
             "UnexpectedEOF", "UnexpectedInput", "Lark")
ALLOWED_EXIT = (0, 1, 2)


@attrs.frozen
class CliRun:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    def problems(self) -> list[str]:
        """What is wrong with this run (empty when it behaved like a trusted compiler)."""
        found = []
        if self.code not in ALLOWED_EXIT:
            found.append(f"退出码 {self.code}")
        text = self.out + self.err
        found += [f"输出含 {word!r}" for word in FORBIDDEN if word in text]
        return found

    def crash_summary(self, lines: int = 6) -> str:
        """The last lines of the crash report this run saved (for failure messages)."""
        import re

        m = re.search(r"崩溃报告[^：]*：(\S+)", self.err)
        if not m:
            return ""
        try:
            with open(m.group(1), encoding="utf-8") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""

    def describe(self) -> str:
        return f"{list(self.argv)[:6]}: {self.problems()}\n{self.crash_summary() or self.err[-1500:]}"


def run_cli(argv: list[str]) -> CliRun:
    """`perfdsl.cli.main(argv)` with stdout/stderr captured; SystemExit becomes the code."""
    import contextlib
    import io

    from perfdsl.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return CliRun(tuple(argv), int(code), out.getvalue(), err.getvalue())


def command_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"perfdsl.commands.{name}_cmd") is not None


def backend_available(name: str) -> bool:
    import importlib.util

    from perfdsl.backends import BACKENDS

    return name in BACKENDS and importlib.util.find_spec(BACKENDS[name]) is not None


def command_options(name: str) -> set[str]:
    """The option strings a subcommand accepts (so campaigns adapt to commands as they land)."""
    import argparse

    from perfdsl.cli import build_parser

    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return {s for a in action.choices[name]._actions for s in a.option_strings}
    return set()


def command_argvs(name: str, path: str, work: str, other: str) -> list[list[str]]:
    """Command lines that feed `path` to command `name`. `work` is a scratch folder for outputs;
    `other` a valid .perf file (for diff). Only the last command line may rewrite `path`
    (plain `fmt` formats in place), so callers pass a copy."""
    opts = command_options(name) if command_available(name) else set()
    if name == "check":
        return [["check", path], ["check", "--format", "json", path], ["check", "--format", "gnu", path]]
    if name == "build":
        fmts = ",".join(f for f in ("json", "docx", "xlsx") if backend_available(f))
        return [["build", path, "--to", fmts, "-o", f"{work}/out", "--allow-errors"], ["build", path, "-o", f"{work}/out"]]
    if name == "fmt":
        # Read-only modes first; the last run rewrites `path` in place (callers pass a copy).
        return [*(["fmt", flag, path] for flag in ("--check", "--diff") if flag in opts), ["fmt", path]]
    if name == "diff":
        return [["diff", other, path], ["diff", path, other]]
    if name == "import":
        # --stdout, then an explicit output, then the default (which must not clobber `path`).
        runs = [["import", path, "--stdout"]] if "--stdout" in opts else []
        runs += [["import", path, o, f"{work}/imported.perf"] for o in ("-o", "--output") if o in opts][:1]
        return [*runs, ["import", path]]
    return []


INPUT_COMMANDS = ("check", "build", "fmt", "diff", "import")


# --- Mutation of real files --------------------------------------------------------------

# Characters and snippets that stress the lexer: delimiters in both widths, keywords,
# line endings, NUL, BOM, emoji, combining marks, ideographic space, huge numbers.
NASTY: tuple[str, ...] = (
    "{", "}", "｛", "｝", '"', '"""', "#", "#[allow(PD-M001)]", "#[allow(", "[", "]", "［备注: x］",
    ":", "：", ".", "．", "=", ">=", "≥", "＜＝", "-", "至", "~", "定性", "区间", "项目", "部门整体",
    "\n", "\r\n", "\r", "\t", "\u3000", "\x00", "\ufeff", "😀", "e\u0301", "\u200b", "\u202e",
    "1e309", "9" * 400, "-0", "１２３．４５", "1,000,000.00", "NaN", "Infinity", "万元/人.年", "%",
    "\\", "\\\"", "- ", "模板: 不存在", "模板: mof2015",
)


@st.composite
def char_mutations(draw: st.DrawFn, seeds: tuple[str, ...]) -> str:
    """A seed text with a few character-level edits (insert nasty snippet, delete, duplicate, cut)."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 6))):
        n = len(text)
        op = draw(st.sampled_from(("insert", "delete", "duplicate", "truncate", "swap-lines", "random")))
        i = draw(st.integers(0, n))
        if op == "insert":
            text = text[:i] + draw(st.sampled_from(NASTY)) + text[i:]
        elif op == "random":
            text = text[:i] + draw(st.text(min_size=1, max_size=8)) + text[i:]
        elif op == "delete" and n:
            j = draw(st.integers(i, min(n, i + 40)))
            text = text[:i] + text[j:]
        elif op == "duplicate" and n:
            j = draw(st.integers(i, min(n, i + 200)))
            text = text[:j] + text[i:j] + text[j:]
        elif op == "truncate":
            text = text[:i]
        elif op == "swap-lines":
            lines = text.split("\n")
            if len(lines) > 2:
                a = draw(st.integers(0, len(lines) - 1))
                b = draw(st.integers(0, len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                text = "\n".join(lines)
    return text


@st.composite
def byte_mutations(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """A seed's bytes with a few byte-level edits (flip, insert, delete, cut): often invalid UTF-8."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        op = draw(st.sampled_from(("flip", "insert", "delete", "truncate")))
        i = draw(st.integers(0, max(n - 1, 0)))
        if op == "flip" and n:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=6))
        elif op == "delete" and n:
            del data[i : i + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[i:]
    return bytes(data)
