"""`perfdsl import`: read a Word/Excel declaration and write perfdsl text.

Writes FILE.perf beside the input (never over an existing file unless --force), or to
-o, or to stdout. Warnings (with cell positions) go to stderr; a file that cannot be
imported is exit code 2 with a Chinese message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import", help="把 Word/Excel 申报表导入为 perfdsl 文本",
        description="读取 .docx 或 .xlsx 申报表，写出格式化的 perfdsl 文本。perfdsl 生成的文件可精确导入；"
                    "其他文件按表头文字识别表格，未能识别的内容写成注释并给出警告。")
    p.add_argument("file", metavar="文件", help=".docx 或 .xlsx 文件")
    p.add_argument("-o", "--output", metavar="输出", help="输出的 .perf 文件（默认：与输入同名、扩展名 .perf）")
    p.add_argument("--stdout", action="store_true", help="输出到标准输出")
    p.add_argument("--force", action="store_true", help="允许覆盖已存在的输出文件")
    p.add_argument("--profile", metavar="模板",
                   help="指定模板：模板名称，或一个模板 .toml 文件的路径（默认：perfdsl 生成的文件用其中记录的模板，"
                        "其他文件按表格内容自动选择）")
    p.add_argument("--ignore-embedded", action="store_true",
                   help="忽略 perfdsl 内嵌的数据，按表格版式读取")
    p.add_argument("--new-profile", metavar="名称",
                   help="由这张（版式不认识的）表生成一个新模板，写到输出文件旁的 profiles/名称.toml，"
                        "再用它导入；会说明哪些是推测的（见 docs/import.md）")
    from perfdsl.commands.common import add_profile_dir

    add_profile_dir(p)


def run(args: argparse.Namespace) -> int:
    from perfdsl.api import profile_dirs_for
    from perfdsl.commands.common import write_atomic
    from perfdsl.importer import ImportFailure, import_bytes
    from perfdsl.profiles import ProfileError
    from perfdsl.profilesearch import local_wanted, profile_argument

    src = Path(args.file)
    out = None if args.stdout else (Path(args.output) if args.output else src.with_suffix(".perf"))
    # Refuse before any work: an existing output is never overwritten without --force.
    if out is not None and out.exists() and not args.force:
        sys.stderr.write(f"perfdsl：{out} 已存在，未覆盖（如需覆盖请加 --force，或用 -o 指定其他文件）。\n")
        return 2
    new_profile: Path | None = None
    if args.new_profile:
        import re

        if not re.fullmatch(r"[^\s/\\.:*?\"<>|][^\s/\\:*?\"<>|]*", args.new_profile) or args.profile:
            sys.stderr.write("perfdsl：--new-profile 的名称不能含空格、斜杠或 \\ : * ? \" < > |，"
                             "也不能与 --profile 一起用。\n")
            return 2
        new_profile = (out if out is not None else src).resolve().parent / "profiles" / f"{args.new_profile}.toml"
        if new_profile.exists() and not args.force:
            sys.stderr.write(f"perfdsl：{new_profile} 已存在，未覆盖（如需覆盖请加 --force）。\n")
            return 2
    # The profiles the imported text will be checked with: beside the output (or the input
    # when printing), --profile-dir and $PERFDSL_PROFILE_PATH, as `check` finds them.
    dirs = profile_dirs_for(str(out if out is not None else src), tuple(args.profile_dir), local_wanted(args))
    try:
        profile, dirs = profile_argument(args.profile, dirs)
    except ProfileError as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2
    try:
        if not src.is_file():
            sys.stderr.write(f"perfdsl：找不到文件：{src}\n")
            return 2
        from perfdsl.importer.safety import MAX_FILE

        if src.stat().st_size > MAX_FILE:
            sys.stderr.write(f"perfdsl：{src.name} 太大，超过 {MAX_FILE // (1024 * 1024)} MB 的上限。\n")
            return 2
        data = src.read_bytes()
    except OSError as exc:
        sys.stderr.write(f"perfdsl：无法读取 {src}：{exc.strerror}\n")
        return 2
    if new_profile is not None:
        from perfdsl.importer import learn_bytes

        try:
            learned = learn_bytes(data, src.name, args.new_profile, dirs)
            write_atomic(new_profile, learned.toml.encode("utf-8"))  # type: ignore[attr-defined]
        except ImportFailure as exc:
            sys.stderr.write(f"perfdsl：无法生成模板：{exc}\n")
            return 2
        except OSError as exc:
            sys.stderr.write(f"perfdsl：无法写入 {new_profile}：{exc.strerror}\n")
            return 2
        sys.stderr.write(f"已生成模板 {new_profile}。以下是推测的，请核对：\n")
        for g in learned.guesses:  # type: ignore[attr-defined]
            sys.stderr.write(f"  推测：{g}\n")
        profile, dirs = args.new_profile, (*dirs, str(new_profile.parent))
    try:
        res = import_bytes(data, src.name, profile, use_embedded=not args.ignore_embedded and new_profile is None,
                           profile_dirs=dirs)
    except ImportFailure as exc:
        sys.stderr.write(f"perfdsl：无法导入：{exc}\n")
        return 2
    except ProfileError as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2
    except RecursionError:
        sys.stderr.write(f"perfdsl：无法导入：{src.name} 的结构嵌套过深。\n")
        return 2
    for w in res.warnings:
        sys.stderr.write(f"{src.name}: 警告：{w}\n")
    if out is None:
        sys.stdout.write(res.text)
        return 0
    if out.exists() and not args.force:  # appeared while importing
        sys.stderr.write(f"perfdsl：{out} 已存在，未覆盖（如需覆盖请加 --force，或用 -o 指定其他文件）。\n")
        return 2
    try:
        write_atomic(out, res.text.encode("utf-8"))
    except OSError as exc:
        sys.stderr.write(f"perfdsl：无法写入 {out}：{exc.strerror}\n")
        return 2
    how = "（精确导入：文件内嵌 perfdsl 数据）" if res.exact else f"（按表格版式导入，{len(res.warnings)} 条警告）"
    sys.stdout.write(f"已导入 {out}{how}\n")
    return 0
