"""Benchmark: DOCX backend against the JSON backend, same process, same models.

Builds N declaration sets (copies of the seed example, examples/ningxian-2025, each with
a different name so nothing can be cached across sets) and renders every one to DOCX and
to JSON. Reports per-set times and the DOCX/JSON ratio, for rendering alone and for the
whole build (load + check + render). Target: DOCX < 2.5x JSON for the whole build.

Run: .venv/bin/python benchmarks/bench_docx.py [N]   (default N = 100)
It measures; it never asserts, and tests never import it.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ningxian-2025"


def _time(fn: Any, repeat: int = 5) -> float:
    """Best of `repeat` runs of fn(), in seconds (the machine is noisy)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 100

    from perfdsl import record
    from perfdsl.api import load_sets
    from perfdsl.backends import RenderOptions, docx, jsonout

    sets, _diags = load_sets([str(EXAMPLE)])
    base = sets[0]
    dsets = [record.evolve(base, name=f"{base.name}-{i}") for i in range(n)]
    opts = RenderOptions(compiler_version="bench")
    # warm up imports and caches once, as a long-running build would
    docx.render(dsets[0], opts)
    jsonout.render(dsets[0], opts)

    t_docx = _time(lambda: [docx.render(d, opts) for d in dsets])
    t_json = _time(lambda: [jsonout.render(d, opts) for d in dsets])
    t_load = _time(lambda: [load_sets([str(EXAMPLE)]) for _ in range(n)], repeat=3)

    size_docx = statistics.mean(len(docx.render(d, opts)) for d in dsets[:5])
    size_json = statistics.mean(len(jsonout.render(d, opts)) for d in dsets[:5])
    inds = sum(len(d.indicators) for d in base.declarations)
    print(f"{n} 个声明集（每个 {len(base.declarations)} 张表、{inds} 条指标）")
    print(f"  渲染 DOCX：{t_docx * 1000 / n:7.2f} ms/个   平均 {size_docx / 1024:6.1f} KiB")
    print(f"  渲染 JSON：{t_json * 1000 / n:7.2f} ms/个   平均 {size_json / 1024:6.1f} KiB")
    print(f"  载入+检查：{t_load * 1000 / n:7.2f} ms/个")
    print(f"  仅渲染之比 DOCX/JSON：{t_docx / t_json:5.2f}×")
    whole = (t_load + t_docx) / (t_load + t_json)
    print(f"  整个构建之比（载入+检查+渲染）DOCX/JSON：{whole:5.2f}×   （目标 < 2.5×）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
