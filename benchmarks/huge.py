"""Huge inputs: one declaration with N indicators, timed and measured per command.

    python benchmarks/huge.py --sizes 10000,100000 [--commands check,fmt,diff,docx] [--out DIR]

Each command runs in a fresh child process; the table gives wall time and peak memory
(ru_maxrss of the child). Issue #16 asks for linear behaviour: the time per indicator should
stay flat as N grows, `fmt --check` and `diff` within 2× of `check`, and 1,000,000
indicators (about 50 MB) checked in under 5 minutes and 1 GB; `build --to docx` of 100k
indicators under 500 MB. Results are printed and written as JSON beside the inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

L2 = [("产出", "数量", "人"), ("产出", "质量", "%"), ("产出", "时效", "天"), ("成本", "经济成本", "万元"),
      ("效益", "社会效益", None), ("满意度", "服务对象满意度", "%")]

HEADER = """项目 超大项目 {
  模板: mof2021
  主管部门: 测试局
  实施单位: 测试中心
  年度资金总额: 100
  财政拨款: 100
  年度目标:
    - 完成年度任务
"""


def generate(path: Path, n: int) -> int:
    """Write one project declaration with `n` indicators (deterministic); return its size."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(n):
            l1, l2, unit = L2[i % len(L2)]
            name = f"指标{i:07d}"
            if unit is None:
                fh.write(f"  {l1}.{l2}.{name} 定性 持续提高\n")
            elif unit == "%":
                fh.write(f"  {l1}.{l2}.{name} >= {86 + i % 14} %\n")
            elif unit == "万元":
                fh.write(f"  {l1}.{l2}.{name} <= {i % 90 + 1}.5 万元 [备注: 第{i}项]\n")
            else:
                fh.write(f"  {l1}.{l2}.{name} >= {i + 1} {unit}\n")
        fh.write("}\n")
    return path.stat().st_size


def measure(argv: list[str]) -> dict[str, float | int]:
    """Wall seconds, peak RSS (MB) and exit code of `perfdsl argv` in a child process."""
    code = ("import resource, sys, time\n"
            "from perfdsl.cli import main\n"
            "t = time.perf_counter()\n"
            "rc = main(sys.argv[1:])\n"
            "sys.stdout.flush()\n"
            "sys.stderr.write('\\n@@%f %d\\n' % (time.perf_counter() - t,"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
            "sys.exit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False)
    if "@@" not in proc.stderr:  # the command crashed before reporting: show why
        sys.stderr.write(proc.stderr[-2000:])
        return {"seconds": 0.0, "peak_mb": 0, "exit": proc.returncode}
    tail = proc.stderr.rsplit("@@", 1)[-1].split()
    secs, rss = float(tail[0]), int(tail[1])
    return {"seconds": round(secs, 2), "peak_mb": round(rss / 1024), "exit": proc.returncode}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="超大申报表：各命令的时间与峰值内存")
    ap.add_argument("--sizes", default="10000,100000", help="指标条数，逗号分隔（默认 10000,100000）")
    ap.add_argument("--commands", default="check,fmt,diff,docx", help="check、fmt、diff、docx，逗号分隔")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "huge"), help="输入与结果存放目录")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        folder = out / f"n{n}"
        folder.mkdir(exist_ok=True)
        src = folder / "超大项目.perf"
        size = generate(src, n) if not src.exists() else src.stat().st_size
        for cmd in args.commands.split(","):
            argv_ = {"check": ["check", "-j1", "-q", str(src)],
                     "fmt": ["fmt", "--check", str(src)],
                     "diff": ["diff", str(folder), str(folder)],
                     "docx": ["build", "-j1", str(src), "--to", "docx", "-o", str(folder / "out")]}[cmd]
            r = measure(argv_)
            rows.append({"indicators": n, "mb": round(size / 1e6, 1), "command": cmd, **r,
                         "us_per_indicator": round(r["seconds"] * 1e6 / n, 1)})
            print(f"{n:>9} 条 {size / 1e6:6.1f} MB  {cmd:<6} {r['seconds']:8.2f} s  {r['peak_mb']:6} MB"
                  f"  {rows[-1]['us_per_indicator']:8.1f} µs/条  退出码 {r['exit']}", flush=True)
    (out / f"results-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(
        json.dumps({"rows": rows, "load": os.getloadavg()}, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
