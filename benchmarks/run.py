"""The perfdsl benchmark: one command, four figures, each a ratio against a baseline run
in the same session (absolute times on shared machines are noise).

1. `perfdsl check` of the corpus / `json.load` of the same content as canonical JSON.
2. cold `perfdsl check one-file.perf` / `python -c "import lark"` (median of 11 each).
3. `build --to docx` and `--to xlsx` of 100 sets / `build --to json` of the same.
4. peak memory (ru_maxrss) of checking the corpus, and how it grows with N.

Every measured run is a fresh subprocess; baselines are interleaved with the runs they
are compared with. Results go to benchmarks/results/<timestamp>.json and a short table;
figures are compared with benchmarks/baseline.json (`--save-baseline` rewrites it).
This script measures; it must not assert anything about time (tests only run --quick).

    python benchmarks/run.py [--n 500] [--quick] [--jobs N] [--save-baseline]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (benchmarks/ is not a package)

TARGETS = {"check_vs_json": 8.0, "check_j1_vs_json": 15.0, "cold_vs_lark": 1.5, "docx_vs_json": 2.5,
           "xlsx_vs_json": 2.0, "peak_mb": 150.0}


# --- children: run in a fresh interpreter, report their own time and memory --------------


def _child(argv: list[str]) -> int:
    kind, rest = argv[0], argv[1:]
    t0 = time.perf_counter()
    if kind == "json":
        n = 0
        for f in sorted(Path(rest[0]).iterdir()):
            with open(f, "rb") as fh:
                json.load(fh)
            n += 1
        code = 0
    elif kind == "import":  # the interpreter plus perfdsl's front end, doing nothing
        import perfdsl.api  # noqa: F401

        code = 0
    else:  # "cli": perfdsl's own command line, in this process
        from perfdsl.cli import main

        with open(os.devnull, "w") as sink:
            old = sys.stdout
            sys.stdout = sink
            try:
                code = main(rest)
            finally:
                sys.stdout = old
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"seconds": seconds, "code": code, "maxrss_kb": usage.ru_maxrss, "children_maxrss_kb": kids.ru_maxrss,
           "cpu_s": usage.ru_utime + usage.ru_stime + kids.ru_utime + kids.ru_stime}
    fastpath = sys.modules.get("perfdsl.fastpath")
    if fastpath is not None:  # chunks (declarations) the fast path accepted / gave to Lark, in this process
        out["fastpath"] = dict(fastpath.STATS)
    shapes = sys.modules.get("perfdsl.lineshapes")
    if shapes is not None:  # statement lines built by a line shape / tried and given to the replay
        out["shapes"] = dict(shapes.STATS)
    print(json.dumps(out))
    return 0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Measure an installed perfdsl: compiled bytecode allowed (pip writes .pyc files).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def child(kind: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env or _env(), check=False)
    wall = time.perf_counter() - t0
    try:
        data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": (out.stderr or out.stdout)[-600:], "wall": wall}
    data["wall"] = wall
    return data


def wall(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    return time.perf_counter() - t0, proc.returncode


# --- corpus ------------------------------------------------------------------------------


def prepare(n: int, root: Path) -> tuple[Path, Path, dict[str, int]]:
    """The corpus of n sets and its JSON twin, regenerated only when stale."""
    sets, jdir = root / f"n{n}" / "sets", root / f"n{n}" / "json"
    stats = corpus.generate(sets, n)
    from perfdsl import __version__

    stamp_text = hashlib.sha256(Path(corpus.__file__).read_bytes() + __version__.encode()).hexdigest()
    stamp = root / f"n{n}" / "json.stamp"
    if not (stamp.exists() and stamp.read_text() == stamp_text and jdir.is_dir()):
        shutil.rmtree(jdir, ignore_errors=True)
        corpus.write_json(sets, jdir)
        stamp.write_text(stamp_text)
    stats["json_bytes"] = sum(f.stat().st_size for f in jdir.iterdir())
    return sets, jdir, stats


# --- figures -----------------------------------------------------------------------------


def fig_check(sets: Path, jdir: Path, jobs: int, repeat: int, cache_dir: Path) -> dict[str, Any]:
    env = _env()
    env_cache = dict(env, PERFDSL_CACHE_DIR=str(cache_dir))
    runs: dict[str, list[dict[str, Any]]] = {"json": [], "check": [], "check_j1": [], "check_cached": []}
    child("cli", "check", "-j", "1", "--cache", str(sets), env=env_cache)  # prime the file cache
    for _ in range(repeat):
        runs["json"].append(child("json", str(jdir), env=env))
        runs["check"].append(child("cli", "check", "-j", str(jobs), str(sets), env=env))
        runs["json"].append(child("json", str(jdir), env=env))
        runs["check_j1"].append(child("cli", "check", "-j", "1", str(sets), env=env))
        runs["check_cached"].append(child("cli", "check", "-j", str(jobs), "--cache", str(sets), env=env_cache))
    for name, rs in runs.items():
        bad = [r for r in rs if "error" in r or r.get("code") not in (0, None)]
        if bad:
            return {"error": f"{name}: {bad[0]}"}
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r.get("cpu_s", 0.0) for r in v) for k, v in runs.items()}
    fp = runs["check_j1"][-1].get("fastpath", {})
    total = fp.get("accepted", 0) + fp.get("declined", 0)
    sh = runs["check_j1"][-1].get("shapes", {})
    # ("next": tokens read ahead, not lines; "fused": lines of the other kinds built straight into the model)
    sh_total = sum(v for k, v in sh.items() if k not in ("next", "fused"))
    return {
        "cpu_json_s": cpu["json"], "cpu_check_s": cpu["check"], "cpu_check_j1_s": cpu["check_j1"],
        "cpu_ratio_j1": cpu["check_j1"] / cpu["json"] if cpu["json"] else None,
        "fastpath_accepted": fp.get("accepted", 0), "fastpath_declined": fp.get("declined", 0),
        "fastpath_decline_pct": 100 * fp.get("declined", 0) / total if total else None,
        "shape_hits": sh_total - sh.get("declined", 0), "shape_declined": sh.get("declined", 0),
        "shape_decline_pct": 100 * sh.get("declined", 0) / sh_total if sh_total else None,
        "shape_fused": sh.get("fused", 0),
        "json_load_s": med["json"], "check_s": med["check"], "check_j1_s": med["check_j1"],
        "check_cached_s": med["check_cached"], "jobs": jobs,
        "ratio": med["check"] / med["json"], "ratio_j1": med["check_j1"] / med["json"],
        "ratio_cached": med["check_cached"] / med["json"],
        "peak_mb_j1": max(r["maxrss_kb"] for r in runs["check_j1"]) / 1024,
        "peak_mb_parent": max(r["maxrss_kb"] for r in runs["check"]) / 1024,
        "peak_mb_worker": max(r["children_maxrss_kb"] for r in runs["check"]) / 1024,
    }


def fig_cold(one_file: Path, reps: int, cache_dir: Path) -> dict[str, Any]:
    env = _env()
    env_cache = dict(env, PERFDSL_CACHE_DIR=str(cache_dir))
    lark_cmd = [sys.executable, "-c", "import lark"]
    check_cmd = [sys.executable, "-m", "perfdsl", "check", str(one_file)]
    cached_cmd = [*check_cmd, "--cache"]
    for _ in range(2):  # warm-up: bytecode, grammar cache, file cache, OS page cache
        wall(lark_cmd, env)
        wall(check_cmd, env)
        wall(cached_cmd, env_cache)
    t_lark, t_check, t_cached = [], [], []
    for _ in range(reps):
        t_lark.append(wall(lark_cmd, env)[0])
        dt, code = wall(check_cmd, env)
        if code != 0:
            return {"error": f"perfdsl check {one_file} exit {code}"}
        t_check.append(dt)
        t_cached.append(wall(cached_cmd, env_cache)[0])
    m_lark, m_check, m_cached = (statistics.median(x) for x in (t_lark, t_check, t_cached))
    return {"import_lark_s": m_lark, "check_s": m_check, "check_cached_s": m_cached,
            "ratio": m_check / m_lark, "ratio_cached": m_cached / m_lark, "reps": reps}


def fig_build(sets: Path, count: int, jobs: int) -> dict[str, Any]:
    env = _env()
    paths = [str(p) for p in sorted(sets.iterdir())[:count]]
    out: dict[str, Any] = {"sets": len(paths)}
    with tempfile.TemporaryDirectory(prefix="perfdsl-bench-") as tmp:
        times: dict[str, list[float]] = {"json": [], "docx": [], "xlsx": []}
        cpu: dict[str, list[float]] = {"json": [], "docx": [], "xlsx": []}
        for _ in range(2):
            for fmt in times:
                if out.get(fmt) == "n/a":
                    continue
                r = child("cli", "build", "-j", str(jobs), "--to", fmt, "-o", str(Path(tmp) / fmt), *paths, env=env)
                if "error" in r or r.get("code") != 0:
                    out[fmt] = "n/a"
                    out[f"{fmt}_why"] = str(r.get("error") or f"exit {r.get('code')}")[-300:]
                    continue
                times[fmt].append(r["seconds"])
                cpu[fmt].append(r["cpu_s"])
    base = statistics.median(times["json"]) if times["json"] else None
    if base is None:
        return dict(out, error="build --to json failed")
    out["json_s"] = base
    out["json_cpu_s"] = min(cpu["json"])
    for fmt in ("docx", "xlsx"):
        if times[fmt] and out.get(fmt) != "n/a":
            out[f"{fmt}_s"] = statistics.median(times[fmt])
            out[f"{fmt}_ratio"] = out[f"{fmt}_s"] / base
            # CPU time (the process and its workers): hardly moved by neighbours on a shared machine
            out[f"{fmt}_cpu_s"] = min(cpu[fmt])
            out[f"{fmt}_cpu_ratio"] = out[f"{fmt}_cpu_s"] / out["json_cpu_s"]
    return out


def fig_memory_growth(sets: Path, n: int) -> dict[str, Any]:
    """Peak RSS of `check -j 1` on the first n/4 sets and on all n: flat per file means ≈ same."""
    all_sets = sorted(str(p) for p in sets.iterdir())
    quarter = all_sets[: max(1, n // 4)]
    r_q = child("cli", "check", "-j", "1", *quarter)
    r_base = child("import")
    if "error" in r_q or "error" in r_base:
        return {"error": str(r_q.get("error") or r_base.get("error"))}
    return {"sets_quarter": len(quarter), "peak_mb_quarter": r_q["maxrss_kb"] / 1024,
            "interpreter_mb": r_base["maxrss_kb"] / 1024}


# --- report ------------------------------------------------------------------------------


def _fmt_ratio(v: Any) -> str:
    return f"{v:.2f}×" if isinstance(v, float) else str(v)


def table(res: dict[str, Any], base: dict[str, Any] | None) -> str:
    f = res["figures"]
    rows: list[tuple[str, Any, str, str]] = []

    def add(label: str, value: Any, target: float | None, key: str, unit: str = "×") -> None:
        ok = "" if not isinstance(value, float) or target is None else ("达标" if value <= target else "未达标")
        was = _dig(base, key) if base else None
        prev = f"{was:.2f}{unit}" if isinstance(was, float) else "—"
        shown = f"{value:.2f}{unit}" if isinstance(value, float) else str(value)
        tgt = f"≤ {target:g}{unit}" if target is not None else ""
        rows.append((label, shown, f"{tgt} {ok}".strip(), prev))

    c, cold, b, m = f.get("check", {}), f.get("cold", {}), f.get("build", {}), f.get("memory", {})
    add(f"check 语料（-j {c.get('jobs', '?')}）/ json.load", c.get("ratio", c.get("error", "n/a")),
        TARGETS["check_vs_json"], "figures.check.ratio")
    add("check 语料（-j 1）/ json.load", c.get("ratio_j1", "n/a"), TARGETS["check_j1_vs_json"], "figures.check.ratio_j1")
    add("check 语料（-j 1）/ json.load，CPU 时间", c.get("cpu_ratio_j1", "n/a"), TARGETS["check_j1_vs_json"],
        "figures.check.cpu_ratio_j1")
    add("快速路径拒绝率（交给 Lark 的声明，-j 1）", c.get("fastpath_decline_pct", "n/a"), None,
        "figures.check.fastpath_decline_pct", " %")
    add("行形状拒绝率（试过但交给逐词法单元重放的语句行，-j 1）", c.get("shape_decline_pct", "n/a"), None,
        "figures.check.shape_decline_pct", " %")
    add("check 语料（--cache，已缓存）/ json.load", c.get("ratio_cached", "n/a"), TARGETS["check_vs_json"],
        "figures.check.ratio_cached")
    add("冷启动 check 单文件 / import lark", cold.get("ratio", cold.get("error", "n/a")), TARGETS["cold_vs_lark"],
        "figures.cold.ratio")
    add("冷启动 check 单文件（--cache）/ import lark", cold.get("ratio_cached", "n/a"), TARGETS["cold_vs_lark"],
        "figures.cold.ratio_cached")
    add(f"build docx {b.get('sets', '?')} 套 / build json", b.get("docx_ratio", b.get("docx", "n/a")),
        TARGETS["docx_vs_json"], "figures.build.docx_ratio")
    add(f"build xlsx {b.get('sets', '?')} 套 / build json", b.get("xlsx_ratio", b.get("xlsx", "n/a")),
        TARGETS["xlsx_vs_json"], "figures.build.xlsx_ratio")
    add(f"build docx {b.get('sets', '?')} 套 / build json，CPU 时间", b.get("docx_cpu_ratio", "n/a"),
        TARGETS["docx_vs_json"], "figures.build.docx_cpu_ratio")
    add(f"build xlsx {b.get('sets', '?')} 套 / build json，CPU 时间", b.get("xlsx_cpu_ratio", "n/a"),
        TARGETS["xlsx_vs_json"], "figures.build.xlsx_cpu_ratio")
    add("峰值内存 check -j 1（MB）", c.get("peak_mb_j1", "n/a"), TARGETS["peak_mb"], "figures.check.peak_mb_j1", " MB")
    add(f"峰值内存 check 前 {m.get('sets_quarter', '?')} 套（MB）", m.get("peak_mb_quarter", "n/a"), None,
        "figures.memory.peak_mb_quarter", " MB")
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("指标", "本次", "目标", "基线")
    lines = ["  ".join(h.ljust(w[i]) for i, h in enumerate(head))]
    lines += ["  ".join(str(r[i]).ljust(w[i]) for i in range(4)) for r in rows]
    return "\n".join(lines)


def _dig(d: dict[str, Any] | None, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(d, dict):
            return None
        d = d.get(part)
    return d


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    ap = argparse.ArgumentParser(description="perfdsl 性能基准：四项指标，均为相对同一次运行中的基线的倍数")
    ap.add_argument("--n", type=int, default=500, help="语料中的声明集数量（默认 500）")
    ap.add_argument("--quick", action="store_true", help="快速模式：20 套语料、每项少量重复（给测试用）")
    ap.add_argument("-j", "--jobs", type=int, default=None, help="check/build 的进程数（默认 CPU 核数）")
    ap.add_argument("--repeat", type=int, default=None, help="语料检查重复次数（默认 1，取中位数）")
    ap.add_argument("--build-sets", type=int, default=100, help="build 比较用的声明集数（默认 100）")
    ap.add_argument("--corpus-dir", default=str(HERE / "corpus"), help="语料存放目录（默认 benchmarks/corpus）")
    ap.add_argument("--results-dir", default=str(HERE / "results"), help="结果目录（默认 benchmarks/results）")
    ap.add_argument("--save-baseline", action="store_true", help="把本次结果写为 benchmarks/baseline.json")
    args = ap.parse_args(argv)
    n = 20 if args.quick and args.n == 500 else args.n
    from perfdsl.parallel import default_jobs

    jobs = args.jobs or default_jobs()
    repeat = args.repeat or 1
    cold_reps = 3 if args.quick else 11
    build_sets = min(args.build_sets, 10 if args.quick else n, n)

    started = time.strftime("%Y%m%dT%H%M%S")
    load_before = os.getloadavg()
    print(f"准备语料（{n} 套）……", flush=True)
    sets, jdir, stats = prepare(n, Path(args.corpus_dir))
    print(f"  {stats['sets']} 套、{stats['files']} 个文件、{stats['indicators']} 条指标、"
          f"{stats['bytes'] / 1e6:.1f} MB 源文本、{stats['json_bytes'] / 1e6:.1f} MB JSON", flush=True)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="perfdsl-bench-cache-") as cache_tmp:
        cache_dir = Path(cache_tmp)
        print("1/4 check 语料 vs json.load ……", flush=True)
        figures["check"] = fig_check(sets, jdir, jobs, repeat, cache_dir)
        print("2/4 冷启动 ……", flush=True)
        one = sorted(sorted(sets.iterdir())[0].glob("*.perf"))[1]
        figures["cold"] = fig_cold(one, cold_reps, cache_dir)
    print("3/4 build docx / xlsx vs json ……", flush=True)
    figures["build"] = fig_build(sets, build_sets, jobs)
    print("4/4 内存随规模的变化 ……", flush=True)
    figures["memory"] = fig_memory_growth(sets, n)
    result = {
        "started": started,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": default_jobs(),
                    "load_before": load_before, "load_after": os.getloadavg()},
        "corpus": dict(stats, n=n), "targets": TARGETS, "figures": figures,
    }
    out_dir = Path(args.results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out_file = out_dir / f"{started}{'-quick' if args.quick else ''}.json"
    out_file.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    base_file = HERE / "baseline.json"
    base = json.loads(base_file.read_text(encoding="utf-8")) if base_file.exists() else None
    print()
    print(table(result, base))
    print(f"\n机器负载（1 分钟平均）：开始 {load_before[0]:.1f}，结束 {result['machine']['load_after'][0]:.1f}；"
          f"核数 {default_jobs()}。负载高于核数时，倍数也不可靠。")
    print(f"结果已写入 {out_file}")
    if args.save_baseline:
        base_file.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"基线已更新：{base_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
