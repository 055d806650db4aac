"""Response times of `perfdsl serve` for a county of 200 declaration sets.

Generates 200 sets with benchmarks/corpus.py (cached in a temporary folder), starts the
site (uvicorn on a free loopback port, in this process), then times over HTTP:
- startup (discover and check every set once);
- the index, warm: median and worst of 15 requests, default order and sorted by 定量指标占比;
- a set page: median and worst over 20 different sets (3 requests each; the first is cold
  for that set's page, the forms are rendered on every request);
- live reload: from saving an edit of one .perf to the server having re-checked its set.
Targets (docs/serve.md): index < 1 s warm, set page < 200 ms. This script measures; it asserts
nothing about time.   Usage: python benchmarks/bench_serve.py [--n 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import corpus  # noqa: E402


def _get(port: int, path: str) -> tuple[float, int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    dt = time.perf_counter() - t0
    conn.close()
    return dt, resp.status, len(body)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--keep", metavar="DIR", help="generate the corpus here (kept)")
    args = ap.parse_args(argv)
    from conftest import LiveServer

    with tempfile.TemporaryDirectory(prefix="perfdsl-bench-serve-") as tmp:
        folder = Path(args.keep or tmp) / "county"
        stats = corpus.generate(folder, n=args.n)
        print(f"语料：{stats['sets']} 套，{stats['files']} 个文件，{stats['indicators']} 个指标")
        t0 = time.perf_counter()
        srv = LiveServer(str(folder))
        startup = time.perf_counter() - t0
        try:
            ids = list(srv.site.sets)
            _get(srv.port, "/")  # warm-up
            index = [_get(srv.port, "/")[0] for _ in range(15)]
            index_sorted = [_get(srv.port, "/?sort=quant&order=asc")[0] for _ in range(5)]
            step = max(1, len(ids) // 20)
            pages, sizes = [], []
            for sid in ids[::step][:20]:
                for _ in range(3):
                    dt, status, size = _get(srv.port, "/set/" + quote(sid))
                    assert status == 200
                    pages.append(dt)
                    sizes.append(size)
            target = folder / ids[0]
            f = sorted(target.glob("*.perf"))[-1]
            text = f.read_text(encoding="utf-8")
            gen = srv.site.generation
            t1 = time.perf_counter()
            f.write_text(text + "\n# 基准：一次保存\n", encoding="utf-8")
            while srv.site.generation == gen and time.perf_counter() - t1 < 10:
                time.sleep(0.01)
            reload_s = time.perf_counter() - t1
        finally:
            srv.close()
    print(f"机器负载（1 分钟）：{os.getloadavg()[0]:.1f}，核数 {os.cpu_count()}")
    print(f"启动（检查全部 {len(ids)} 套）：{startup:.1f} s")
    print(f"目录页（热）：中位数 {statistics.median(index) * 1000:.0f} ms，最慢 {max(index) * 1000:.0f} ms"
          f"（按定量指标占比排序：中位数 {statistics.median(index_sorted) * 1000:.0f} ms）  目标 < 1000 ms")
    print(f"声明集页面：中位数 {statistics.median(pages) * 1000:.0f} ms，最慢 {max(pages) * 1000:.0f} ms，"
          f"平均 {statistics.mean(sizes) / 1024:.0f} KB  目标 < 200 ms")
    print(f"保存后重新检查完成：{reload_s * 1000:.0f} ms（含 watchfiles 的 150 ms 去抖）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
