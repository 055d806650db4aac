"""The long fuzzing campaign behind `make fuzz`.

Runs N inputs (mutated examples, byte mutations, generated declarations, random text)
through every command that exists, in-process via `perfdsl.cli.main`, with the same oracle
as tests/test_fuzz.py (exit code 0/1/2, no traceback, no Lark internals). Reports how many
cases and command runs it made and what it found; saves every failing input to
tests/fixtures/regressions/ (`fuzz-<sha>.perf` plus a `.txt` with the command, the problem
and the crash-report tail) so it becomes a regression test. Exit code 1 if anything failed.

Usage: python benchmarks/fuzz.py [--cases N] [--seed S] [--seconds T]
Must not: modify anything outside a temporary folder and tests/fixtures/regressions/.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import strategies as st  # noqa: E402

from strategies import (  # noqa: E402
    INPUT_COMMANDS,
    byte_mutations,
    char_mutations,
    command_argvs,
    command_available,
    documents,
)
from strategies import run_cli as _run_cli  # noqa: E402

REGRESSIONS = ROOT / "tests" / "fixtures" / "regressions"
EXAMPLES = sorted((ROOT / "examples" / "ningxian-2025").glob("*.perf"))


def _draw(strategy: st.SearchStrategy, rng: random.Random):  # type: ignore[no-untyped-def]
    """One example from a hypothesis strategy, reproducible from `rng` (no test runner needed)."""
    from hypothesis import Phase, find, settings

    seed = rng.getrandbits(64)
    box: list[object] = []

    def keep(x: object) -> bool:
        box.append(x)
        return True

    # `find` with a seeded random gives a reproducible draw outside @given.
    find(strategy, keep, settings=settings(database=None, max_examples=1, phases=[Phase.generate]),
         random=random.Random(seed))
    return box[0]


def _case(rng: random.Random, texts: tuple[str, ...], raw: tuple[bytes, ...]) -> tuple[str, bytes]:
    kind = rng.choices(("char", "byte", "generated", "text"), weights=(5, 2, 2, 1))[0]
    if kind == "char":
        return kind, _draw(char_mutations(texts), rng).encode("utf-8", errors="surrogatepass")  # type: ignore[union-attr]
    if kind == "byte":
        return kind, _draw(byte_mutations(raw), rng)  # type: ignore[return-value]
    if kind == "generated":
        return kind, _draw(documents(), rng).text.encode("utf-8")  # type: ignore[union-attr]
    return kind, _draw(st.text(max_size=500), rng).encode("utf-8", errors="surrogatepass")  # type: ignore[union-attr]


def _save(data: bytes, argv: tuple[str, ...], problem: str) -> Path:
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(data).hexdigest()[:12]
    path = REGRESSIONS / f"fuzz-{digest}.perf"
    path.write_bytes(data)
    shown = " ".join("FILE" if a.endswith("fuzz.perf") else a for a in argv)
    path.with_suffix(".txt").write_text(f"命令：perfdsl {shown}\n问题：{problem}\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="perfdsl 长时间模糊测试")
    ap.add_argument("--cases", type=int, default=3000, help="输入个数（默认 3000）")
    ap.add_argument("--seed", type=int, default=20250101, help="随机种子（相同种子得到相同输入）")
    ap.add_argument("--seconds", type=float, default=0, help="最长运行秒数（0 为不限）")
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    texts = tuple(p.read_text(encoding="utf-8") for p in EXAMPLES)
    raw = tuple(p.read_bytes() for p in EXAMPLES)
    commands = [c for c in INPUT_COMMANDS if command_available(c)]
    work = Path(tempfile.mkdtemp(prefix="perfdsl-fuzz-"))
    os.environ["PERFDSL_CRASH_DIR"] = str(work / "crash")
    (work / "crash").mkdir()
    kinds: dict[str, int] = {}
    runs = 0
    failures: list[Path] = []
    start = time.monotonic()
    done = 0
    try:
        for done in range(1, args.cases + 1):
            kind, data = _case(rng, texts, raw)
            kinds[kind] = kinds.get(kind, 0) + 1
            for command in commands:
                case_dir = work / "case"
                shutil.rmtree(case_dir, ignore_errors=True)
                case_dir.mkdir()
                path = case_dir / "fuzz.perf"
                path.write_bytes(data)
                for cmd_argv in command_argvs(command, str(path), str(case_dir), str(EXAMPLES[1])):
                    run = _run_cli(cmd_argv)
                    runs += 1
                    problems = run.problems()
                    if problems:
                        saved = _save(data, run.argv, f"{'；'.join(problems)}\n{run.crash_summary(12)}")
                        failures.append(saved)
                        print(f"发现问题：{saved.name}：perfdsl {command}：{'；'.join(problems)}", flush=True)
                        break
            if done % 100 == 0:
                print(f"已运行 {done} 个输入、{runs} 次命令，发现 {len(failures)} 个问题"
                      f"（{time.monotonic() - start:.0f} 秒）", flush=True)
            if args.seconds and time.monotonic() - start > args.seconds:
                break
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - start
    detail = "，".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    print(f"\n模糊测试结束：{done} 个输入（{detail}），命令 {'、'.join(commands)} 共运行 {runs} 次，"
          f"用时 {elapsed:.0f} 秒。")
    if failures:
        print(f"发现 {len(failures)} 个问题，输入已保存到 {REGRESSIONS}：")
        for f in sorted(set(failures)):
            print(f"  {f.name}")
        return 1
    print("未发现崩溃或不当输出。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
