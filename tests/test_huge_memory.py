"""Issue #16: memory grows linearly with a declaration's size, and stays small per indicator.

No wall-clock assertions: tracemalloc counts the bytes Python allocates, which do not depend
on the machine's load. The declarations come from benchmarks/huge.py (the benchmark's own
generator), at two sizes four times apart.
"""

from __future__ import annotations

import gc
import importlib.util
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from perfdsl.api import compile_text
from perfdsl.parser import parse_text
from perfdsl.resolve import resolve_document

SMALL, LARGE = 4_000, 16_000
# Peak bytes per indicator of compiling one declaration (the text is allocated before). About
# 0.6 KB now: the parser hands each statement to the resolver as soon as it is parsed, and the
# model's indicators keep their spans as columns. It was 1.7 KB while the whole syntax tree
# was built first (still so with `stream=False`), and 2.4 KB before the resolver freed it.
MAX_BYTES_PER_INDICATOR = 750
MAX_BYTES_PER_INDICATOR_UNSTREAMED = 2_000


def _generator() -> Callable[[Path, int], int]:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "huge.py"
    spec = importlib.util.spec_from_file_location("perfdsl_bench_huge", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    generate = _generator()
    out = {}
    for n in (SMALL, LARGE):
        p = tmp_path_factory.mktemp("huge") / f"n{n}.perf"
        generate(p, n)
        out[n] = p.read_text(encoding="utf-8")
    compile_text(out[SMALL][:2000].rsplit("\n", 1)[0] + "\n}\n", "warm.perf")  # profiles, tables: loaded once
    return out


def _peak(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated while `fn` runs (its result is dropped before returning)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _cur, peak = tracemalloc.get_traced_memory()
        assert result is not None
        del result
    finally:
        tracemalloc.stop()
    return peak


def test_compile_memory_per_indicator_is_flat_and_small(texts: dict[int, str]) -> None:
    per = {}
    for n, text in texts.items():
        res = compile_text(text, "超大项目.perf")
        assert not res.diagnostics and len(res.declarations[0].indicators) == n
        del res
        per[n] = _peak(lambda t=text: compile_text(t, "超大项目.perf")) / n
    assert per[LARGE] <= per[SMALL] * 1.15, per  # linear: flat per indicator
    assert per[LARGE] <= MAX_BYTES_PER_INDICATOR, per


def test_streaming_never_holds_the_whole_syntax_tree(texts: dict[int, str]) -> None:
    """The same compile without streaming builds the whole syntax tree first: it needs well
    over twice the memory, and gives the same result."""
    text = texts[LARGE]
    streamed = _peak(lambda: compile_text(text, "超大项目.perf")) / LARGE
    whole = _peak(lambda: compile_text(text, "超大项目.perf", stream=False)) / LARGE
    assert whole <= MAX_BYTES_PER_INDICATOR_UNSTREAMED, whole
    assert streamed * 2 < whole, (streamed, whole)
    a = compile_text(text, "超大项目.perf")
    b = compile_text(text, "超大项目.perf", stream=False)
    assert a.declarations == b.declarations and a.diagnostics == b.diagnostics and a.waivers == b.waivers


def test_syntax_tree_and_model_are_not_whole_together(texts: dict[int, str]) -> None:
    """Resolving frees each statement's syntax as it goes, so memory barely grows while the
    model is built (before, the model's new records, ~0.5 KB per indicator, came on top of
    the whole syntax tree)."""
    text = texts[LARGE]
    gc.collect()
    tracemalloc.start()
    try:
        doc, _diags = parse_text(text, "超大项目.perf")
        box = [doc]
        del doc
        before, _peak_parse = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        resolved, _rdiags = resolve_document(box.pop())
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(resolved.declarations[0].indicators) == LARGE
    assert (peak - before) / LARGE <= 120, (peak - before) / LARGE


def test_a_huge_declaration_written_in_groups_streams_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """`产出 { 数量 { … } }` around every indicator: the groups' bodies are handed over statement
    by statement as well (in files of GROUPS_AFTER_CHARS or more, and whenever indicators are
    fused, perfdsl.fused; here forced), so the whole block is never one syntax tree."""
    from perfdsl import fastpath, stream

    head = "项目 分组 {\n  模板: mof2021\n  年度资金总额: 100\n  财政拨款: 100\n  产出 {\n    数量 {\n"
    text = head + "".join(f"      指标{i:07d} >= {i + 1} 人\n" for i in range(LARGE)) + "    }\n  }\n}\n"
    monkeypatch.setattr(fastpath, "FUSED", False)
    whole = _peak(lambda: compile_text(text, "分组.perf")) / LARGE  # (a small file: groups kept whole)
    monkeypatch.setattr(stream, "GROUPS_AFTER_CHARS", 0)
    streamed = _peak(lambda: compile_text(text, "分组.perf")) / LARGE
    assert streamed <= MAX_BYTES_PER_INDICATOR, streamed
    assert streamed * 2 < whole, (streamed, whole)
    monkeypatch.setattr(fastpath, "FUSED", True)
    monkeypatch.setattr(fastpath, "SHAPES_AFTER_CHARS", 0)
    monkeypatch.setattr(stream, "GROUPS_AFTER_CHARS", 10**12)
    fused = _peak(lambda: compile_text(text, "分组.perf")) / LARGE  # (groups streamed: fused indicators)
    assert fused <= streamed * 1.05, (fused, streamed)
    res = compile_text(text, "分组.perf")
    assert len(res.declarations[0].indicators) == LARGE and not [d for d in res.diagnostics if d.severity == "error"]
