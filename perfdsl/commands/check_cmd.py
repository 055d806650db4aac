"""`perfdsl check`: report every problem of the given files and folders."""

from __future__ import annotations

import argparse
import sys

from perfdsl.commands.common import add_parallel_options, add_profile_dir, local_profiles
from perfdsl.diagnostics import Diagnostic

FORMATS = ("text", "json", "gnu", "sarif")
# Shown even with -q: a reviewer must always see that a submission brought its own rules.
ALWAYS_SHOWN = frozenset({"PD-L001"})


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("check", help="检查申报表，报告所有问题",
                       description="检查 .perf 文件或文件夹，一次报告全部问题。有错误时退出码为 1。")
    p.add_argument("paths", nargs="+", metavar="路径", help=".perf 文件或文件夹")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="输出格式：text（默认，给人看）、json、gnu（编辑器用）、sarif（代码审查用）")
    p.add_argument("--against", metavar="版本或文件夹",
                   help="与去年的文件夹或一个 git 版本比较：每个放宽的指标目标报告一条 PD-A001 警告（带原值）")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="只输出错误（以及本地模板覆盖内置模板的提示），不输出警告；结尾仍给出警告与豁免的条数")
    add_profile_dir(p)
    add_parallel_options(p)


def run(args: argparse.Namespace) -> int:
    """Report set by set: each set's model is dropped once its findings are printed."""
    from perfdsl import report
    from perfdsl.api import UsageError, iter_check
    from perfdsl.profiles import ProfileError

    collected: list[Diagnostic] = []
    everything: list[Diagnostic] = []  # for the summary: -q hides warnings, it does not forget them
    paths: list[str] = []
    has_errors = False
    try:
        for sres, sources, src_paths in iter_check(args.paths, tuple(args.profile_dir), jobs=_jobs(args.jobs),
                                                   use_cache=args.cache, local_profiles=local_profiles(args),
                                                   against=args.against, slim=True):
            has_errors = has_errors or sres.has_errors
            diags = list(sres.diagnostics)
            everything.extend(diags)
            if args.quiet:
                diags = [d for d in diags if (d.severity == "error" and not d.waived) or d.code in ALWAYS_SHOWN]
            if args.format == "text":
                for d in diags:
                    sys.stdout.write(report.format_text(d, sources) + "\n\n")
            collected.extend(diags)
            paths.extend(src_paths)
    except (UsageError, ProfileError) as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2
    if args.format == "json":
        sys.stdout.write(report.format_json(collected))
    elif args.format == "gnu":
        sys.stdout.write(report.format_gnu(collected))
    elif args.format == "sarif":
        from perfdsl import sarif

        sys.stdout.write(sarif.format_sarif(collected, dict.fromkeys(paths)))  # type: ignore[arg-type]
    else:
        sys.stdout.write(report.summary(everything, quiet=args.quiet) + "\n")
    return 1 if has_errors else 0


def _jobs(requested: int | None) -> int:
    from perfdsl.parallel import default_jobs

    return default_jobs() if requested is None or requested < 1 else requested
