"""`perfdsl fmt [--check] [--diff] PATH...`: rewrite .perf files in the canonical layout.

Files are rewritten atomically and only when the text changes. `--check` writes nothing
and exits 1 when some file would change; `--diff` prints a unified diff and writes
nothing. A file with syntax errors, or one the formatter cannot prove it formats without
changing its meaning, is left alone and reported (exit 1). Formatting itself lives in
perfdsl/formatter.py; this module only finds files, reads, writes and reports.

Links and permissions (docs/reliability.md): a symlinked .perf is formatted where it
points (the target is rewritten, the link stays a link); a file with several hard links
is not rewritten (replacing it would split the links, and writing in place could leave a
half-written file), it is reported instead; a read-only file (no write bit) is reported,
never rewritten. Each of these counts as a file not formatted (exit 1).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fmt", help="把 .perf 文件整理成统一格式",
                       description="按统一格式改写 .perf 文件（保留注释、豁免与空行分组，含义不变）。"
                                   "有语法错误的文件不改写。")
    p.add_argument("paths", nargs="+", metavar="路径", help=".perf 文件或文件夹")
    p.add_argument("--check", action="store_true", help="只检查不改写：有文件需要整理时退出码为 1")
    p.add_argument("--diff", action="store_true", help="只显示将要做的修改（统一差异格式），不改写")
    from perfdsl.commands.common import add_profile_dir

    add_profile_dir(p)  # header fields follow each file's own profile, found as `check` finds it


def find_files(paths: list[str]) -> list[Path] | str:
    """The .perf files under `paths`, sorted; or the Chinese message for a missing path.
    Folder symlinks are followed once each (perfdsl.walk): a loop is a warning, not a hang."""
    from perfdsl.walk import walk_perf_folders
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            try:
                found = [Path(f) for _d, fs in walk_perf_folders(str(path), _warn, skip=frozenset())
                         for f in fs if not Path(f).name.startswith(".")]
            except OSError as exc:
                return f"无法读取文件夹 {exc.filename or p}：{exc.strerror}"
            out.extend(sorted(found))
        else:
            return f"找不到文件或文件夹：{p}"
    # A file named twice (directly and through a link) is formatted once.
    by_target: dict[str, Path] = {}
    for f in out:
        by_target.setdefault(os.path.realpath(f), f)
    return list(by_target.values())


def _warn(message: str) -> None:
    sys.stderr.write(f"perfdsl：警告：{message}\n")


def run(args: argparse.Namespace) -> int:
    from perfdsl import report
    from perfdsl.api import profile_dirs_for
    from perfdsl.commands.common import is_read_only, write_atomic
    from perfdsl.formatter import format_source
    from perfdsl.profiles import ProfileError
    from perfdsl.profilesearch import local_wanted
    from perfdsl.source import decode_source

    files = find_files(args.paths)
    if isinstance(files, str):
        sys.stderr.write(f"perfdsl：{files}\n")
        return 2
    changed: list[Path] = []
    failed = 0
    for f in files:
        data = f.read_bytes()
        source, problem = decode_source(str(f), data)
        if source is None:
            sys.stderr.write(f"{f}: 错误：{problem.message if problem else '无法读取'}\n")
            failed += 1
            continue
        try:
            new, diags = format_source(source.text, str(f), profile_dirs_for(str(f), tuple(args.profile_dir), local_wanted(args)))
        except ProfileError as exc:
            sys.stderr.write(f"perfdsl：{exc}\n")
            return 2
        if new is None:
            sources = {str(f): source}
            sys.stderr.write("\n\n".join(report.format_text(d, sources) for d in dict.fromkeys(diags)) + "\n")
            sys.stderr.write(f"perfdsl：未整理 {f}\n")
            failed += 1
            continue
        if new.encode("utf-8") == data:
            continue
        changed.append(f)
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                source.text.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{f}（原文）", tofile=f"{f}（整理后）"))
        elif args.check:
            sys.stdout.write(f"需要整理：{f}\n")
        else:
            target = Path(os.path.realpath(f))  # a symlink: format the file it points to
            st = target.stat()
            if is_read_only(st):
                sys.stderr.write(f"perfdsl：{f} 是只读文件，未改写（需要整理；可用 --diff 查看改动）。\n")
                failed += 1
                continue
            if st.st_nlink > 1:
                sys.stderr.write(f"perfdsl：{f} 有 {st.st_nlink} 个硬链接，改写会断开这些链接，未改写"
                                 "（需要整理；可用 --diff 查看改动）。\n")
                failed += 1
                continue
            try:
                write_atomic(target, new.encode("utf-8"))
            except OSError as exc:
                sys.stderr.write(f"perfdsl：无法写入 {target}：{exc.strerror or exc}\n")
                failed += 1
                continue
            shown = f"{f}（链接指向 {target}）" if target != f.absolute() and f.is_symlink() else str(f)
            sys.stdout.write(f"已整理：{shown}\n")
    if args.check and not changed and not failed:
        sys.stdout.write(f"格式检查通过：{len(files)} 个文件均已是统一格式。\n")
    if failed:
        return 1
    return 1 if (args.check or args.diff) and changed else 0
