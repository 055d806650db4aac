"""`perfdsl profiles`: list the profiles (built-in and the user's)."""

from __future__ import annotations

import argparse
import sys

from perfdsl.profiles import KIND_ZH, ProfileError, find_profile, profile_ids, shadows_builtin


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("profiles", help="列出可用模板", description="列出内置模板和用户模板。")
    p.add_argument("--profile-dir", action="append", default=[], metavar="目录", help="额外的模板文件夹")


def run(args: argparse.Namespace) -> int:
    dirs = tuple(args.profile_dir)
    try:
        for pid in profile_ids(dirs):
            prof = find_profile(pid, dirs)
            assert prof is not None
            note = "（覆盖了同名的内置模板，见 PD-L001）" if shadows_builtin(prof) else ""
            sys.stdout.write(f"{pid}\t{KIND_ZH.get(prof.kind, prof.kind)}\t{prof.name}\t{prof.source}{note}\n")
    except ProfileError as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2
    return 0
