"""`perfdsl diff OLD [NEW]`: what changed in meaning between two versions of declarations.

OLD and NEW are files, folders or git revisions. One revision alone compares it with the
working tree (all tracked .perf files); a revision's files are read with `git ls-tree` and
`git show` into a temporary folder. The comparison itself is perfdsl/semdiff.py. Exit code
0 whatever changed (1 with `--exit-code` when something changed), 2 on a usage problem.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from perfdsl.api import SUFFIX


class _Usage(Exception):
    pass


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("diff", help="比较两个版本的申报表（按指标，而非按行）",
                       description="比较两个版本的申报表，按声明与指标路径报告含义上的变化。"
                                   "旧、新可以是文件、文件夹或 git 版本（如 HEAD~1）；"
                                   "只给一个 git 版本时与工作区比较。")
    p.add_argument("old", metavar="旧", help="旧版本：文件、文件夹或 git 版本")
    p.add_argument("new", nargs="?", metavar="新", help="新版本（省略时为工作区）")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="输出格式：text（默认）、markdown（用于合并请求评论）、json")
    p.add_argument("--exit-code", action="store_true", help="有变化时退出码为 1")
    p.add_argument("--template", metavar="文件",
                   help="markdown 格式所用的 Jinja2 模板（默认为 perfdsl/data/templates/diff.md.j2，可复制后修改）")
    from perfdsl.commands.common import add_profile_dir

    add_profile_dir(p)


def _git(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def _is_rev(text: str) -> bool:
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{text}^{{commit}}").returncode == 0
    except OSError:
        return False


def _toplevel() -> str:
    res = _git("rev-parse", "--show-toplevel")
    if res.returncode != 0:
        raise _Usage("当前目录不在 git 仓库中，无法按版本比较")
    return res.stdout.decode("utf-8").strip()


def _export_rev(rev: str, dest: Path) -> list[str]:
    """Write every .perf file of `rev` under `dest`; return their paths."""
    top = _toplevel()
    res = _git("ls-tree", "-r", "-z", "--full-tree", "--name-only", rev, cwd=top)
    if res.returncode != 0:
        raise _Usage(f"无法读取 git 版本“{rev}”：{res.stderr.decode('utf-8', 'replace').strip()}")
    out = []
    for name in res.stdout.decode("utf-8").split("\0"):
        # The revision's own profiles/ folders come along, so its files resolve as `check` did then.
        if not name.endswith(SUFFIX) and not _is_local_profile(name):
            continue
        blob = _git("show", f"{rev}:{name}", cwd=top)
        if blob.returncode != 0:
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)
        if name.endswith(SUFFIX):
            out.append(str(target))
    return out


def _is_local_profile(name: str) -> bool:
    parts = name.split("/")
    return len(parts) >= 2 and parts[-2] == "profiles" and name.endswith(".toml")


def _worktree_files() -> tuple[str, list[str]]:
    top = _toplevel()
    res = _git("ls-files", "-z", "--full-name", "--", f"*{SUFFIX}", cwd=top)
    names = [n for n in res.stdout.decode("utf-8").split("\0") if n]
    return top, [str(Path(top) / n) for n in names if (Path(top) / n).is_file()]


def _side(spec: str | None, tmp: str, label: str) -> tuple[str, list[str]]:
    """(root, files) for one side of the comparison."""
    if spec is None:
        return _worktree_files()
    if os.path.exists(spec):
        if os.path.isfile(spec):
            return str(Path(spec).parent), [spec]
        files = sorted(str(f) for f in Path(spec).rglob(f"*{SUFFIX}") if f.is_file())
        return spec, files
    if _is_rev(spec):
        dest = Path(tmp) / label
        dest.mkdir()
        return str(dest), _export_rev(spec, dest)
    raise _Usage(f"“{spec}”既不是文件或文件夹，也不是 git 版本")


def _load(root: str, files: list[str], dirs: tuple[str, ...] = (),
          local: bool = True) -> tuple[list[tuple[str, object]], list[str]]:
    from perfdsl.api import check_paths

    if not files:
        return [], []
    res = check_paths(files, dirs, local_profiles=local)
    decls: list[tuple[str, object]] = []
    broken: list[str] = []
    for s in res.sets:
        for d in s.dset.declarations:
            decls.append((os.path.relpath(d.path or s.dset.root, root), d))
    for d in res.diagnostics:
        if d.code.startswith("PD-S") and d.is_error:
            rel = os.path.relpath(d.span.path, root)
            if rel not in broken:
                broken.append(rel)
    return decls, broken


def run(args: argparse.Namespace) -> int:
    from perfdsl import semdiff

    template = None
    if args.template:
        if args.format != "markdown":
            sys.stderr.write("perfdsl：--template 只用于 --format markdown\n")
            return 2
        try:
            template = open(args.template, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError) as exc:
            sys.stderr.write(f"perfdsl：无法读取模板文件 {args.template}：{exc}\n")
            return 2

    with tempfile.TemporaryDirectory(prefix="perfdsl-diff-") as tmp:
        try:
            old_root, old_files = _side(args.old, tmp, "old")
            new_root, new_files = _side(args.new, tmp, "new")
        except _Usage as exc:
            sys.stderr.write(f"perfdsl：{exc}\n")
            return 2
        from perfdsl.profiles import ProfileError
        from perfdsl.profilesearch import local_wanted

        dirs, local = tuple(args.profile_dir), local_wanted(args)
        try:
            old, broken_old = _load(old_root, old_files, dirs, local)
            new, broken_new = _load(new_root, new_files, dirs, local)
        except ProfileError as exc:
            sys.stderr.write(f"perfdsl：{exc}\n")
            return 2
    for side, broken in (("旧", broken_old), ("新", broken_new)):
        if broken:
            shown = "、".join(broken[:3]) + (f" 等 {len(broken)} 个文件" if len(broken) > 3 else "")
            sys.stderr.write(f"perfdsl：注意：{side}版本的 {shown} 有语法错误，出错部分未参与比较\n")
    changes = semdiff.diff_declarations(old, new)  # type: ignore[arg-type]
    if template is not None:
        import jinja2

        try:
            sys.stdout.write(semdiff.render_markdown(changes, template))
        except jinja2.TemplateError as exc:
            sys.stderr.write(f"perfdsl：模板 {args.template} 有误：{exc}\n")
            return 2
    else:
        sys.stdout.write(semdiff.RENDERERS[args.format](changes))
    return 1 if args.exit_code and changes else 0
