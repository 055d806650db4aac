"""`perfdsl profiles [路径]`: list the profiles a declaration there sees (built-in, --profile-dir,
the local profiles/ folder, $PERFDSL_PROFILE_PATH), marking where each comes from.
`perfdsl profiles show 名称 [路径]`: one profile with everything it inherits resolved, as TOML."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from perfdsl.commands.common import add_profile_dir

    p = sub.add_parser(
        "profiles", help="列出可用模板，或显示一个模板的完整内容",
        description="perfdsl profiles [路径]：列出在该文件或文件夹（默认当前文件夹）处可用的全部模板——内置模板、"
                    "--profile-dir 指定的、旁边 profiles/ 文件夹中的（本地）和 $PERFDSL_PROFILE_PATH 中的，并标明来源。"
                    "perfdsl profiles show 名称 [路径]：以 TOML 显示一个模板，继承（extends）的内容已全部展开。")
    p.add_argument("words", nargs="*", metavar="参数", help="[路径] 或 show 名称 [路径]")
    add_profile_dir(p)


def run(args: argparse.Namespace) -> int:
    from perfdsl.profiles import ProfileError

    words = list(args.words)
    try:
        if words and words[0] == "show":
            if len(words) not in (2, 3):
                sys.stderr.write("perfdsl：用法：perfdsl profiles show 模板名称 [路径]\n")
                return 2
            return _show(words[1], words[2] if len(words) == 3 else ".", args)
        if len(words) > 1:
            sys.stderr.write("perfdsl：用法：perfdsl profiles [路径]，或 perfdsl profiles show 模板名称 [路径]\n")
            return 2
        return _list(words[0] if words else ".", args)
    except ProfileError as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2


def _where(anchor: str, args: argparse.Namespace) -> tuple[tuple[str, ...], object] | None:
    import os

    from perfdsl.api import profile_dirs_for
    from perfdsl.profilesearch import local_wanted, search_dirs

    if not os.path.exists(anchor):
        sys.stderr.write(f"perfdsl：找不到文件或文件夹：{anchor}\n")
        return None
    extra = tuple(args.profile_dir)
    local = local_wanted(args)
    return profile_dirs_for(anchor, extra, local), search_dirs(anchor, extra, local)


def _list(anchor: str, args: argparse.Namespace) -> int:
    from perfdsl.profiles import KIND_ZH, find_profile, profile_ids, shadows_builtin
    from perfdsl.profilesearch import ORIGIN_ZH, origin_of

    found = _where(anchor, args)
    if found is None:
        return 2
    dirs, search = found
    for pid in profile_ids(dirs):
        prof = find_profile(pid, dirs)
        assert prof is not None
        origin = ORIGIN_ZH[origin_of(prof.source, search)]  # type: ignore[arg-type]
        note = "（覆盖了同名的内置模板，见 PD-L001）" if shadows_builtin(prof) else ""
        sys.stdout.write(f"{pid}\t{KIND_ZH.get(prof.kind, prof.kind)}\t{origin}\t{prof.name}\t{prof.source}{note}\n")
    return 0


def _show(name: str, anchor: str, args: argparse.Namespace) -> int:
    from perfdsl import tomlout
    from perfdsl.profiles import find_profile, resolved_data
    from perfdsl.profilesearch import ORIGIN_ZH, origin_of

    found = _where(anchor, args)
    if found is None:
        return 2
    dirs, search = found
    data = resolved_data(name, dirs)
    prof = find_profile(name, dirs)
    if data is None or prof is None:
        sys.stderr.write(f"perfdsl：没有模板“{name}”。运行 perfdsl profiles 查看可用的模板。\n")
        return 2
    origin = ORIGIN_ZH[origin_of(prof.source, search)]  # type: ignore[arg-type]
    sys.stdout.write(f"# 模板 {prof.id}（{origin}：{prof.source}），继承的内容已展开\n")
    sys.stdout.write(tomlout.dumps(data))
    return 0
