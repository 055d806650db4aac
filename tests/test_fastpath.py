"""The grammar-derived fast path gives exactly what Lark gives, or declines.

Differential: every input is parsed twice, through the fast path (declining chunks go
to Lark) and through Lark alone; the trees (with every span), the diagnostics and the
comments must be identical. Inputs: a bounded sample of the benchmark corpus, every .perf
file under tests/ and examples/, hypothesis-generated declarations, and mutated seeds
(which make the fast path decline and exercise the hand-over to Lark). A divergence fails
the build.

The line shapes (perfdsl.lineshapes) are on for every test here (a process normally turns
them on only after SHAPES_AFTER_CHARS); the shape tests below count their hits, so a
shape that silently stopped matching would show, and feed lines near every shape's
boundary (comments, full-width operators, units in brackets, attributes, quoted
segments, keywords inside names, whitespace variants, …).
"""

from __future__ import annotations

import importlib.util
import marshal
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfdsl import fastpath, lineshapes, shaperun
from perfdsl.parser import parse_text
from perfdsl.source import decode_source

from strategies import char_mutations, documents

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _shapes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "SHAPES_AFTER_CHARS", 0)
    monkeypatch.delenv("PERFDSL_NO_SHAPES", raising=False)


def _flat(node: Any) -> list[Any]:
    """The tree as a flat list (iterative: fixtures nest 3,000 deep, beyond recursive ==)."""
    out: list[Any] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (tuple, list)):
            out.append((type(n).__name__, len(n)))
            stack.extend(reversed(n))
        else:
            out.append((type(n).__name__, n))
    return out


def _same(text: str, path: str = "t.perf") -> bool:
    """Assert fast == Lark for `text`; True if the fast path accepted every chunk."""
    before = dict(fastpath.STATS)
    fast_doc, fast_diags = parse_text(text, path)
    declined = fastpath.STATS["declined"] > before["declined"]
    lark_doc, lark_diags = parse_text(text, path, fast=False)
    assert _flat(fast_doc) == _flat(lark_doc), f"AST differs for {path}"
    assert fast_diags == lark_diags, f"diagnostics differ for {path}"
    return not declined


def _perf_files() -> list[Path]:
    return sorted(ROOT.glob("tests/**/*.perf")) + sorted(ROOT.glob("examples/**/*.perf"))


def _text(path: Path) -> str | None:
    source, _problem = decode_source(str(path), path.read_bytes())
    return None if source is None else source.text


def _corpus_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("corpus")
    _corpus_module().generate(out, n=12, seed=15)  # a bounded sample: ~60 files, ~1,400 indicators
    return sorted(out.glob("*/*.perf"))


def test_the_fast_path_is_available() -> None:
    assert fastpath.tables() is not None


def test_corpus_sample_identical_and_all_accepted(corpus_files: list[Path]) -> None:
    assert len(corpus_files) > 40
    before = dict(lineshapes.STATS)
    accepted = [_same(f.read_text(encoding="utf-8"), str(f)) for f in corpus_files]
    assert all(accepted), "the fast path declined valid corpus files"
    hits = {k: lineshapes.STATS[k] - before.get(k, 0) for k in lineshapes.STATS}
    # every shape is exercised by the corpus, and no corpus statement line needed the replay
    assert all(hits[k] > 0 for k in [*lineshapes.TEMPLATES, "item", "closer"]), hits
    assert hits["declined"] == 0, hits
    assert hits["next"] > hits["comparison"]  # most lines hand the next statement's NAME to the loop
    assert sum(hits.values()) > 1000


def test_every_fixture_and_example_identical() -> None:
    files = _perf_files()
    assert len(files) > 100
    accepted = 0
    for f in files:
        text = _text(f)
        if text is not None:
            accepted += _same(text, str(f.relative_to(ROOT)))
    assert accepted > len(files) // 2  # most fixtures are valid; the broken ones go to Lark


@SETTINGS
@given(documents())
def test_generated_documents_identical(gen: Any) -> None:
    assert _same(gen.text)


_SEEDS = tuple(t for f in _perf_files()[:60] if (t := _text(f)) is not None and len(t) < 6000)


@SETTINGS
@given(char_mutations(_SEEDS))
def test_mutated_inputs_identical(text: str) -> None:
    _same(text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))


@SETTINGS
@given(st.lists(st.sampled_from([
    "项目 甲 {\n", "部门整体 乙 ｛\n", "}\n", "｝", "  产出.数量.人数 >= 1 人\n", "产出．质量．率 ＝ １００％ [备注: a]\n",
    "  效益.社会效益.x 定性 好 # 注\n", "成本.经济成本.标准 区间 1-2 元\n", "  名称: 值\n", "  说明:\n", "  - 第一\n",
    '  "带.点".b.c < 3\n', "#[allow(PD-R002, 理由 = \"无\")]\n", "# 注释\n", "\n", "   \n", '  x: """\n多行\n"""\n',
    "产出 {\n", "  数量 {\n", "    人数 ≥ 5 人\n", "  }\n", "定性", "区间", "至", "1,000.5", "万元/人.年", "\t", "\u3000",
]), max_size=25))
def test_token_soup_identical(parts: list[str]) -> None:
    _same("".join(parts))


def test_a_changed_grammar_is_followed_without_edits() -> None:
    """Derive from a variant grammar (a colon allowed inside names, as the layout branch may do):
    the fast path replays the variant exactly as Lark parses it."""
    from lark import Lark

    from perfdsl.parser import _Builder, _builder, _on_nl

    grammar = fastpath.grammar_text()
    variant = grammar.replace('NAME: /[^\\s.．:：', 'NAME: /[^\\s.．：')
    assert variant != grammar
    lark = Lark(variant, parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=False,
                transformer=_builder(), lexer_callbacks={"_NL": _on_nl})
    tables = fastpath.Tables(fastpath.derive(lark, _Builder))
    texts = ["项目 甲 {\n  产出.数量.a:b >= 3 人\n  模板： x\n}\n", "项目 甲 {\n  a:b:c 定性 好\n}\n"]
    for text in texts:
        expect = lark.parse(text)
        got = fastpath.parse(tables, text, _builder(), _on_nl)
        assert got is not None and _flat(got) == _flat(expect)


def test_derived_data_is_plain_and_a_bad_cache_is_ignored(tmp_path: Path) -> None:
    from perfdsl import marshalcache
    from perfdsl.parser import _Builder, get_parser

    data = fastpath.derive(get_parser(), _Builder)
    assert marshalcache.plain(data)
    path = tmp_path / "t.marshal"
    marshalcache.write(path, "material", data)
    assert marshalcache.read(path, "material") == data
    assert marshalcache.read(path, "other material") is None  # stale: a miss
    blob = path.read_bytes()
    path.write_bytes(blob[:-5])  # truncated
    assert marshalcache.read(path, "material") is None
    path.write_bytes(blob.replace(b"NAME", b"NAMF", 1))  # tampered: the CRC fails
    assert marshalcache.read(path, "material") is None
    code = compile("print('x')", "x", "exec")  # a code object, even with a valid CRC, is refused
    payload = marshal.dumps(("material", {"x": code}))
    path.write_bytes(b"perfdsl-marshal-1\n" + b"%08x\n" % zlib.crc32(payload) + payload)
    assert marshalcache.read(path, "material") is None
    path.write_bytes(b"garbage")
    assert marshalcache.read(path, "material") is None
    assert marshal.loads(marshal.dumps(data)) == data


def test_a_file_the_fast_path_accepts_never_imports_lark(tmp_path: Path) -> None:
    env_dir = tmp_path / "cache"
    one = ROOT / "examples" / "ningxian-2025" / "02-企业厂长经理生活费.perf"
    code = ("import sys\nfrom perfdsl.cli import main\nrc = main(['check', sys.argv[1]])\n"
            "print('LARK' if 'lark' in sys.modules else 'NOLARK', rc)")
    env = {"PERFDSL_CACHE_DIR": str(env_dir), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code, str(one)], capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([sys.executable, "-c", code, str(one)], capture_output=True, text=True, env=env,
                            check=False)
    assert second.stdout.strip().splitlines()[-1] == "NOLARK 0", second.stdout + second.stderr


# --- line shapes ------------------------------------------------------------------------


def test_shapes_are_derived_for_every_statement_start() -> None:
    tables = fastpath.tables()
    assert tables is not None
    shapes = fastpath._shapes(tables)
    assert shapes is not None
    assert {v[0] for v in shapes.kinds.values()} == set(lineshapes.TEMPLATES)
    assert all(v[2] for v in shapes.kinds.values())  # each reads the next statement's NAME ahead
    starts = sorted(s for s, row in tables.actions.items() if "indicator" in row)
    assert sorted(shapes.starts) == starts
    for per_kind in shapes.starts.values():
        assert set(per_kind) == set(lineshapes.TEMPLATES)
    # `rule: TERMINAL _NL` rules, found in the tables; and longer rules ending so (a group's `}`)
    assert {end["method"] for end in shapes.ends.values() if "size" not in end} == {"item", "waiver", "top_waiver"}
    closers = [end for end in shapes.ends.values() if "size" in end]
    assert {(end["method"], end["size"]) for end in closers} == {("group", 5), ("group", 6)}
    assert all(end["lists"] and set(end["lists"]) <= set(end["gotos"]) for end in closers)
    # where the statement list's reduction is done by the runner (perfdsl.fused): every start
    assert set(shapes.lists) == set(starts)


def test_shapes_are_used_only_after_enough_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-file check does not pay for compiling the shapes' regex."""
    monkeypatch.setattr(fastpath, "SHAPES_AFTER_CHARS", 10**9)
    tables = fastpath.tables()
    assert tables is not None
    before = dict(lineshapes.STATS)
    assert _same("项目 甲 {\n  产出.数量.人数 >= 1 人\n}\n")
    assert lineshapes.STATS == before


def test_a_long_run_uses_the_shapes_from_its_first_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A check of many files (perfdsl.parallel) uses the shapes from the first file (set before
    any worker is forked); a run of a few files does not pay for them."""
    from perfdsl import parallel
    from perfdsl.api import compile_file

    tables = fastpath.tables()
    assert tables is not None
    monkeypatch.setattr(fastpath, "SHAPES_AFTER_CHARS", 10**9)
    monkeypatch.setattr(tables, "parsed_chars", 0)
    f = tmp_path / "a.perf"
    f.write_text("项目 甲 {\n  产出.数量.人数 >= 1 人\n}\n", encoding="utf-8")
    few = [(str(tmp_path), [str(f)] * (parallel.SHAPES_FROM_FILES - 1), ())]
    before = dict(lineshapes.STATS)
    list(parallel._map(lambda unit: compile_file(unit[1][0]), few, 1))
    assert lineshapes.STATS == before and tables.parsed_chars < fastpath.SHAPES_AFTER_CHARS
    many = [(str(tmp_path), [str(f)] * parallel.SHAPES_FROM_FILES, ())]
    results = list(parallel._map(lambda unit: compile_file(unit[1][0]), many, 1))
    assert tables.parsed_chars >= fastpath.SHAPES_AFTER_CHARS
    assert lineshapes.STATS["comparison"] > before["comparison"]  # the first file already used them
    assert results[0].declarations == compile_file(str(f)).declarations


_HEAD = "项目 甲 {\n  模板: gansu-project\n  产出 {\n"
_TAIL = "  }\n  备注: 完\n}\n"

# Lines at the edges of the shapes: each is parsed inside a declaration, fast vs Lark.
_EDGE_LINES = [
    "数量.人数 >= 2600 人", "数量.人数>=2600人", "数量.人数 ＞＝ ２６００ 人", "数量.人数 ≥ 1,000.5 万元/人.年",
    "数量.人数 ＝ １２,０００ 人", "数量.人数 = 12，000 人", "质量.率 = 100.00(%)", "质量.率 = 100.00（％）",
    "质量.率 = 100 %  # 注释", "质量.率 = 100 % #注释", "质量.率 = 100 %# 紧贴的注释", "质量.率 = 100 % [备注: x]",
    "质量.率 = 100 % [备注: x] [来源：统计]", "质量.率 = 100 % [备注: x] [来源: y] [第三: z]", "质量.率 = 100 % [坏]",
    "质量.率 = 100 % [备注: x] # 注", "质量.率 = 100 %[备注:x]", "质量.率 = -5 %", "质量.率 = +5 %", "质量.率 = －5 %",
    "质量.率 = 5", "质量.率 = 5 [备注: 无单位]", "质量.率 >= 123456789012345678901234 元", "质量.率 >= 1e5 元",
    "质量.率 >= 5 元 元", "质量.率 >= 5 元至", "质量.率 >= 5 至 6 元", "质量.率 >= 5 - 6 元", "质量.率 >= 5 平方米",
    "质量.率 >= 5 ㎡", "质量.率 >= 5 m²", "质量.率 >= 5 个/户·年", "质量.率 >= 5 (个", "质量.率 >= 5 (个)",
    "\t质量.率\t>=\t5\t个", "\u3000质量.率\u3000≥\u30005\u3000个", "质量 . 率 >= 5 个", "质量．率 >= 5 个",
    '"质.量".率 >= 5 个', '质量."率.x" >= 5 个', '质量.率 >= "5" 个', "a.b.c.d >= 1 个", "a.b.c.d.e >= 1 个",
    "a.b.c.d.e.f 定性 好", "时效.完成定性 定性 好", "时效.定性 定性 好", "时效.区间 定性 好", "时效.至今 >= 1 个",
    "时效.及时性 定性 及时 [备注: 按月]", "时效.及时性 定性 按月[及时]", "时效.及时性 定性 \"及时\"",
    "时效.及时性 定性 \"及时\" [备注: a]", "时效.及时性 定性 及时 # 注", "时效.及时性 定性 及 时 ", "时效.及时性 定性",
    "时效.及时性 定性值 好", "时效.及时性 定性 #好", "成本.标准 区间 1-2 元", "成本.标准 区间值 1 至 2 元",
    "成本.标准 区间 1元-2元", "成本.标准 区间 1 ~ 2 (元)", "成本.标准 区间 1－2", "成本.标准 区间 -1--2 元",
    "成本.标准 区间 1 — 2 元 [备注: x]", "成本.标准 区间 1-2 元 # 注", "成本.标准 区间 1,000-2,000 元",
    "成本.标准区间 1-2 元", "成本.标准 区间1-2元", "名称: 值", "名称：值", "名称: 值 # 注", "名称: 值#不是注释",
    "名称:", "名称: ", "名称:  # 只有注释", '名称: "引号值"', "名称: 值 [不是属性]", "名称: a: b", "名.称: 值",
    "名称: 值\n    - 第一\n    - 第二 # 注\n", "名称:\n    - 第一\n", "名称: \"\"\"\n多行\n\"\"\"",
    "数量 {\n    人数 >= 1 人\n  }", "数量 ｛ # 注\n    人数 >= 1 人\n  ｝", "数量{\n  }", "数量 {",
    "#[allow(PD-R002, 理由 = \"无\")]\n  数量.人数 >= 1 人", "数量.人数 >= 1 人\n\n\n  # 注\n",
    "数量.人数 >= 1 人\r", "数量.人数 >= 1 人 \r", "数量.人数 >= 1\r人", "数量.人数 >> 1 人", "数量.人数 1 人",
    "数量.人数 = 1 人 }", "数量.人数 = 1 人 {", "数量.人数 >= 1 人 数量", "数量.人数\n    >= 1 人",
    "名称:\n    - 项 # 注\n    -\n    － 全角\n    • 点\n    -- 双\n    - [x]\n    - a: b\n",
    "#[allow(PD-R002)] # 注\n  数量.人数 >= 1 人", "#[坏的豁免]\n  数量.人数 >= 1 人", "#[allow(PD-R002)]",
]


def test_edge_lines_identical() -> None:
    before = dict(lineshapes.STATS)
    for i, line in enumerate(_EDGE_LINES):
        text = f"{_HEAD}    {line}\n{_TAIL}"
        _same(text, f"edge{i}.perf")
        _same(text.replace("\n", "\r\n"), f"edge{i}-crlf.perf")  # stray \r: whatever Lark does
        _same(f"{_HEAD}    {line}", f"edge{i}-eof.perf")  # the file ends on the line
    hits = {k: lineshapes.STATS[k] - before.get(k, 0) for k in lineshapes.STATS}
    assert all(hits[k] > 0 for k in [*lineshapes.TEMPLATES, "item", "waiver", "closer"]), hits
    assert hits["declined"] > 0, hits  # some edges are beyond the shapes: the replay took them


_LINE_PARTS = st.tuples(
    st.sampled_from(["数量.人数", "产出.数量.人数", "a", "a.b.c.d", "a.b.c.d.e", '"x.y".z', "时效.定性", "x ．y",
                     "区间.x", "至.x", "成本.标准区间"]),
    st.sampled_from([" >= ", ">=", " ＞＝ ", " = ", " 定性 ", " 区间 ", " 区间值 ", ": ", "：", " ", " { ", " 至 ",
                     "\t≤\t", "\u3000<\u3000"]),
    st.sampled_from(["2600", "１２,０００", "1,000.5", "-5", "好", '"好"', "1-2", "1 至 2", "1~2", "100.00", "", "x",
                     "12345678901234567890123", "[a]"]),
    st.sampled_from(["", " 人", "人", " 万元/人.年", "(%)", "（％）", " (", " 元-2 元", " 至 3", " 个/户·年", " 元元"]),
    st.sampled_from(["", " [备注: x]", "[备注：x]", " [坏]", " [a: b] [c: d]", " [a: b] [c: d] [e: f]", " [x"]),
    st.sampled_from(["", " # 注", "#注", " #[allow(PD-R002)]", "\t", "\u3000", " }", "\n    - 项", "\n\n  # c"]),
)


@SETTINGS
@given(st.lists(_LINE_PARTS, min_size=1, max_size=6))
def test_generated_lines_identical(lines: list[tuple[str, ...]]) -> None:
    body = "".join("    " + "".join(parts) + "\n" for parts in lines)
    _same(_HEAD + body + _TAIL)


def test_a_guard_is_needed_where_the_lexer_prefers_another_terminal() -> None:
    """The guards come from the lexer order: a variant grammar where NUMBER may also be a
    unit-like word keeps the shapes exact (the shape declines or follows the variant)."""
    from lark import Lark

    from perfdsl.parser import _Builder, _builder, _on_nl

    grammar = fastpath.grammar_text()
    variant = grammar.replace('RANGE_SEP.3: "-"', 'RANGE_SEP.3: "人" | "-"')
    assert variant != grammar
    lark = Lark(variant, parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=False,
                transformer=_builder(), lexer_callbacks={"_NL": _on_nl})
    tables = fastpath.Tables(fastpath.derive(lark, _Builder))  # (no material: shapes derived, not cached)
    assert fastpath._shapes(tables) is not None
    # “人” is now a RANGE_SEP, which the lexer after a NUMBER tries before UNIT: the
    # comparison shape must not read it as a unit.
    for text in ["项目 甲 {\n  产出.数量.a >= 3 人\n}\n", "项目 甲 {\n  产出.数量.a >= 3 元\n  b.c 区间 1 人 2 元\n}\n"]:
        try:
            expect = lark.parse(text)
        except Exception:
            expect = None
        got = fastpath.parse(tables, text, _builder(), _on_nl)
        if expect is None:
            assert got is None
        else:
            assert got is not None and _flat(got) == _flat(expect)


def test_shapes_with_the_streaming_sink(corpus_files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The shapes push statements that the statement-list reduction then hands to the
    streaming sink (perfdsl.api, issue #16): the compiled result is that of the replay
    without streaming."""
    from test_streaming import TRICKY

    from perfdsl.api import compile_text

    texts = [(TRICKY, "tricky.perf")] + [(f.read_text(encoding="utf-8"), str(f)) for f in corpus_files[:25]]
    before = dict(lineshapes.STATS)
    for text, path in texts:
        a = compile_text(text, path)  # streaming, shapes on
        monkeypatch.setenv("PERFDSL_NO_SHAPES", "1")
        b = compile_text(text, path, stream=False)
        monkeypatch.delenv("PERFDSL_NO_SHAPES")
        assert a.declarations == b.declarations, path
        assert [d.span for d in a.declarations] == [d.span for d in b.declarations]
        assert a.waivers == b.waivers and a.diagnostics == b.diagnostics, path
    assert lineshapes.STATS["comparison"] > before["comparison"]


def test_shapes_without_atomic_groups(corpus_files: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.10 has no `(?>…)`: the shapes then match each token in a capturing lookahead
    and consume it with a backreference. That form gives the same trees."""
    from perfdsl.parser import _CTX, _Builder, _builder, _on_nl, get_parser

    monkeypatch.setattr(lineshapes, "_ATOMIC_GROUPS", False)
    plain = fastpath.Tables(fastpath.derive(get_parser(), _Builder))  # (no material: nothing cached)
    shapes = fastpath._shapes(plain)
    assert shapes is not None and "(?>" not in shapes.pattern and "(?P=" in shapes.pattern
    before = lineshapes.STATS["comparison"]
    _CTX.path, _CTX.diags, _CTX.comments, _CTX.words = "t.perf", [], [], {}
    for f in corpus_files[:20]:
        text = f.read_text(encoding="utf-8")
        got = fastpath.parse(plain, text, _builder(), _on_nl)
        monkeypatch.setenv("PERFDSL_NO_SHAPES", "1")
        expect = fastpath.parse(plain, text, _builder(), _on_nl)
        monkeypatch.delenv("PERFDSL_NO_SHAPES")
        assert got is not None and _flat(got) == _flat(expect), f
    assert lineshapes.STATS["comparison"] > before


def test_first_characters_over_approximate() -> None:
    """The guards leave out only terminals that cannot start where the token starts."""
    from perfdsl import firstchars

    def share(a: str, b: str) -> bool:
        return firstchars.may_share_first(firstchars.first(a), firstchars.first(b), firstchars.every_char)

    regex = {name: rx for order in fastpath.derive(*_lark_and_builder())["lexers"] for name, rx in order}
    assert share(regex["NAME"], regex["ITEM"])  # “-” starts both: the field's item lookahead needs its guard
    assert share(regex["UNIT"], regex["RANGE_SEP"])  # “至” is in UNIT's class (its (?!至) is ignored: over-approximated)
    assert not share(regex["NAME"], regex["__IGNORE_0"])
    assert not share(regex["CMP"], regex["NUMBER"])
    assert share("(?=x)a", "a") and not share("[^a-z]", "q") and share("[^a-z]", "[^0-9]")
    assert share("a?", "b")  # may match empty: always a guard
    assert share("(?i:a)", "b")  # flags not understood: any character
    assert share("\\d", "５") and not share("\\s+", "\\S")
    assert share("[\\U0001F600-\\U0001F64F]", "[^a]")  # beyond the BMP too


def _lark_and_builder() -> tuple[Any, Any]:
    from perfdsl.parser import _Builder, get_parser

    return get_parser(), _Builder


def test_bad_shape_data_is_refused() -> None:
    """Shape data from a cache entry that is not what this version derives is not used."""
    tables = fastpath.tables()
    assert tables is not None
    good = lineshapes.derive(tables.data)
    assert shaperun.load(good) is not None
    assert shaperun.load({}) is None
    assert shaperun.load({**good, "version": -1}) is None
    assert shaperun.load({**good, "pattern": "(unbalanced"}) is None
    assert shaperun.load({k: v for k, v in good.items() if k != "starts"}) is None


def test_outputs_byte_identical_with_shapes_on(tmp_path: Path) -> None:
    """tests/test_byte_identical.py's runs (with -j 1, in this process) with the shapes on from
    the first character: every output matches the committed hashes (taken from main's code)."""
    import json

    from test_byte_identical import CHECKS, HASHES, RUNS, _check_digest, _digest

    from conftest import run_cli

    expected = json.loads(HASHES.read_text(encoding="utf-8"))
    before = lineshapes.STATS["comparison"]
    for name, args in RUNS:
        folder = tmp_path / name
        res = run_cli(*args, "-o", str(folder), "-j", "1", cwd=ROOT)
        assert res.code == 0, res.text
        for f in sorted(folder.iterdir()):
            assert _digest(f.read_bytes()) == expected[f"{name}/{f.name}"], f"{name}/{f.name}"
    for name, args in CHECKS:
        res = run_cli(*args, "-j", "1", cwd=ROOT)
        assert _check_digest(name, res.out) == expected[name], name
    assert lineshapes.STATS["comparison"] > before  # the shapes were used


HEADINGS = [
    "", "\n", "# 标题\n", "# 标题", "  # 缩进的注释  \n\n", "\u3000# 全角空格缩进\n\t# 制表符\n", "#\n#\n\n",
    "# 一 # 二\n", "   \n# 末尾有空格的空行之后\n", "#[allow(PD-R003, 理由 = \"文件头\")]\n", "# 注释\n#[allow(PD-R003)]\n",
    "# 注释\n杂项\n", "# 注释\n\x0b\n",
]


@pytest.mark.parametrize("heading", HEADINGS)
def test_heading_comment_chunks_identical(heading: str) -> None:
    """A file's heading comments are a chunk of their own; one of comments and blank lines
    only is read without the parse (parser._COMMENTS_ONLY): the comments, their lines and
    columns are Lark's, alone and before a declaration; waivers and anything else are parsed."""
    decl = "\n项目 甲 {\n  模板: mof2021\n  产出.数量.人数 >= 1 人 # 行尾注释\n}\n"
    for text in (heading, heading + decl, heading + "\n" + decl):
        _same(text)
    doc, _ = parse_text("  # 甲\n\n\u3000#乙 \n" + decl, "t.perf")
    assert [(c.line, c.col, c.text) for c in doc.comments][:2] == [(1, 3, "# 甲"), (3, 2, "#乙")]


def _chunk_starts_by_header_lines(text: str) -> list[tuple[int, int]]:
    """`parser._chunks` written the plain way: every `_DECL_HEADER` line, indented ones and
    the first line skipped (the reference for the newline-anchored regex it uses)."""
    from perfdsl.parser import _DECL_HEADER

    starts = [(1, 0)]
    for m in _DECL_HEADER.finditer(text):
        pos = m.start()
        if not pos or text[pos].isspace():
            continue
        j, start = text.count("\n", 0, pos) + 1, pos
        while j > 1:
            prev = text.rfind("\n", 0, start - 1) + 1
            if not text[prev:start - 1].lstrip().startswith("#"):
                break
            j, start = j - 1, prev
        if j > starts[-1][0]:
            starts.append((j, start))
    return starts


CHUNK_TEXTS = [
    "", "项目 甲 {\n}\n", "\n项目 甲 {\n}\n", "# 注释\n项目 甲 {\n}\n部门整体 乙 {\n}\n", "项目 甲 {\n  项目 乙 {\n}\n}\n",
    "项目 甲 {\n}\n\u3000项目 乙 {\n}\n\t部门整体 丙 {\n}\n", "项目 甲 {\n}\n项目 乙 { # 注释\n}\n项目 丙 {}\n项目 丁\n",
    "项目 甲 {\n}\n#[allow(PD-R003)]\n# 说明\n项目 乙 ｛\n}\n项目 丙 {\n}\n", "x项目 甲 {\n}\n项目甲{\n项目 乙 {\r\n",
    "项目 甲 {\n}\n\n\n部门整体 {\n}\n项目 {\n}", "项目 甲 {\n}\n项目 乙 { x\n部门整体 丙 {  \n",
]


def test_chunk_starts_are_the_header_lines() -> None:
    """`_chunks` finds the headers from the newline before them (the regex engine skips to
    each newline instead of trying `^` everywhere): the same chunks as every unindented
    header line after the first, over edge texts, every fixture and example, and mutations."""
    from perfdsl.parser import _chunks

    texts = [*CHUNK_TEXTS, *(t for p in _perf_files() if (t := _text(p)) is not None)]
    for text in texts:
        assert _chunks(text) == _chunk_starts_by_header_lines(text), text[:200]


@SETTINGS
@given(st.lists(st.sampled_from(["项目 甲 {", "部门整体 {", " 项目 乙 {", "项目", "{", "}", "# 注", "#[allow(PD-R003)]",
                                 "a: b", "\u3000", "", "项目 丙 ｛ # x", "x 项目 {"]), max_size=12))
def test_chunk_starts_of_generated_texts(lines: list[str]) -> None:
    from perfdsl.parser import _chunks

    text = "\n".join(lines)
    assert _chunks(text) == _chunk_starts_by_header_lines(text)


def test_env_flags_are_read_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """`fastpath.env_flag` reads os.environ's own data (no per-call key encoding) but still
    sees every change made while running, and an `os.environ` replaced by a plain mapping."""
    import os

    from perfdsl.parser import _builder, _on_nl

    tb = fastpath.tables()
    assert tb is not None and fastpath.fusing(tb)
    for value, on in (("1", True), ("", False), ("yes", True)):
        monkeypatch.setenv("PERFDSL_NO_SHAPES", value)
        assert fastpath.env_flag("PERFDSL_NO_SHAPES") is on
        assert fastpath.fusing(tb) is not on
        assert (fastpath._shape_runners(tb, _builder(), _on_nl) is fastpath._NO_SHAPES) is on
    monkeypatch.delenv("PERFDSL_NO_SHAPES")
    assert not fastpath.env_flag("PERFDSL_NO_SHAPES") and fastpath.fusing(tb)
    monkeypatch.setenv("PERFDSL_NO_FASTPATH", "1")
    assert fastpath.tables() is None
    monkeypatch.delenv("PERFDSL_NO_FASTPATH")
    assert fastpath.tables() is tb
    monkeypatch.setattr(os, "environ", {"PERFDSL_NO_SHAPES": "1"})
    assert fastpath.env_flag("PERFDSL_NO_SHAPES") and not fastpath.env_flag("PERFDSL_NO_FASTPATH")


HEADER_LINES = [
    "项目 甲 {", "部门整体 乙 {", "项目 甲{", "项目\u3000甲\u3000｛", "项目\t甲\t{", "  项目 甲 {", "项目 甲 { # 注释",
    "项目 甲 {# 紧贴的注释", "项目 \"引号\" {", "项目 {", "项目 甲 乙 丙 {", "项目 项目 {", "项目 甲.乙:丙 {", "项目 甲 { x",
    "项目 甲 {\n\n  # 空行与注释\n", "部门整体 甲 ｛  ", "项目 甲 {\r", "项目 #甲 {", "项目 甲 {{", "项目甲 {",
]


@pytest.mark.parametrize("head", HEADER_LINES)
def test_header_lines_identical(head: str) -> None:
    """A declaration's header line at the start of a chunk is read by one regex (lineshapes
    `header`): the same tokens, nodes, spans, comments and next NAME as Lark, in a first chunk,
    after another declaration, at the end of the file and before a statement or the `}`."""
    for body in ("\n  模板: mof2021\n  产出.数量.人数 >= 1 人\n}\n", "\n}\n", "\n  产出 {\n  }\n}", ""):
        for before in ("", "项目 前 {\n}\n", "# 注释\n\n"):
            _same(before + head + body)


def test_the_header_shape_is_derived_and_used(corpus_files: list[Path]) -> None:
    shapes = fastpath._shapes(fastpath.tables())
    assert shapes is not None and shapes.header, "no header shape derived"
    before = dict(lineshapes.STATS)
    text = _text(corpus_files[0])
    assert text is not None and _same(text)
    assert lineshapes.STATS["header"] == before["header"] + 1
    _same("项目 甲 {\n  模板: mof2021\n}\n项目 乙 {\n}\n")
    assert lineshapes.STATS["header"] == before["header"] + 3
