"""`perfdsl diff OLD [NEW]`: what changed in meaning between two versions of declarations.

OLD and NEW are files, folders or git revisions. One revision alone compares it with the
working tree (all tracked .perf files); a revision's files are read in memory with `git ls-tree`
and `git cat-file --batch`, and every name in its tree is validated (perfdsl.safepath). Its
own profiles/ folders are used too: their files are written to a private temporary folder
under generated names (never under names from the tree). The comparison itself is
perfdsl/semdiff.py. Exit code
0 whatever changed (1 with `--exit-code` when something changed), 2 on a usage problem.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import posixpath
import subprocess
import sys
import tempfile
from pathlib import Path

import attrs

from perfdsl.api import SUFFIX
from perfdsl.safepath import component_problem


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


def _toplevel() -> str:
    from perfdsl.revisions import RevisionError, toplevel

    try:
        return toplevel()
    except RevisionError as exc:
        raise _Usage(str(exc)) from None


def _read_rev(rev: str) -> list[tuple[str, bytes]]:
    """Every .perf file of `rev` and its profiles/*.toml, read in memory (perfdsl.revisions):
    nothing from the revision is written under its own names, and hostile names are refused."""
    from perfdsl.revisions import RevisionError, read_revision

    try:
        return read_revision(rev, profiles=True)
    except RevisionError as exc:
        raise _Usage(str(exc)) from None


def _worktree_files() -> tuple[str, list[str]]:
    top = _toplevel()
    res = _git("ls-files", "-z", "--full-name", "--", f"*{SUFFIX}", cwd=top)
    names = [n for n in res.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return top, [str(Path(top) / n) for n in names if (Path(top) / n).is_file()]


Side = tuple[list[tuple[str, object]], list[str]]  # (relative path, declaration) and broken files


def _side(spec: str | None, opts: _Options) -> Side:
    """The declarations of one side of the comparison and its files with syntax errors."""
    if spec is None:
        root, files = _worktree_files()
        return _load(root, files, opts)
    if os.path.exists(spec):
        if os.path.isfile(spec):
            return _load(str(Path(spec).parent), [spec], opts)
        from perfdsl.walk import walk_perf_folders

        try:
            files = sorted(f for _d, fs in walk_perf_folders(spec, _warn, skip=frozenset()) for f in fs)
        except OSError as exc:
            raise _Usage(f"无法读取文件夹 {exc.filename or spec}：{exc.strerror}") from exc
        return _load(spec, files, opts)
    from perfdsl.revisions import is_revision

    if is_revision(spec):
        return _load_blobs(_read_rev(spec), opts)
    raise _Usage(f"“{spec}”既不是文件或文件夹，也不是 git 版本")


def _warn(message: str) -> None:
    sys.stderr.write(f"perfdsl：警告：{message}\n")


# One diff run compiles a file once however often it appears: the same relative path with
# the same bytes and profiles on both sides (most files of a pull request) is parsed once.
_compiled: dict[tuple[str, str, tuple[str, ...]], tuple[tuple[object, ...], bool]] = {}


def _compile(rel: str, path: str, data: bytes, dirs: tuple[str, ...]) -> tuple[tuple[object, ...], bool]:
    """(declarations, has syntax errors) of one file, parsed and resolved without checks:
    diff needs the model, not the findings."""
    from perfdsl.api import compile_bytes

    key = (rel, hashlib.sha256(data).hexdigest(), dirs)
    got = _compiled.get(key)
    if got is None:
        res = compile_bytes(path, data, dirs)
        got = (res.declarations, any(d.code.startswith("PD-S") and d.is_error for d in res.diagnostics))
        _compiled[key] = got
    return got


@attrs.frozen
class _Options:
    dirs: tuple[str, ...]  # --profile-dir
    local: bool  # use profiles/ beside the sources (not with --no-local-profiles)
    tmp: str  # private folder for a revision's profiles


def _load(root: str, files: list[str], opts: _Options) -> Side:
    from perfdsl.api import profile_dirs_for

    decls: list[tuple[str, object]] = []
    broken: list[str] = []
    for f in files:
        try:
            data = Path(f).read_bytes()
        except OSError as exc:
            raise _Usage(f"无法读取文件 {f}：{exc.strerror}") from exc
        rel = os.path.relpath(f, root)
        found, bad = _compile(rel, f, data, profile_dirs_for(os.path.dirname(f) or ".", opts.dirs, opts.local))
        decls.extend((rel, d) for d in found)
        if bad:
            broken.append(rel)
    return decls, broken


def _load_blobs(blobs: list[tuple[str, bytes]], opts: _Options) -> Side:
    """Compile files read from git, each with the revision's profiles/ folders beside it and
    one level up (as `check` would have found them), after the --profile-dir folders."""
    from perfdsl.profilesearch import env_dirs

    profiles = _write_rev_profiles([(n, b) for n, b in blobs if not n.endswith(SUFFIX)], opts.tmp)
    decls: list[tuple[str, object]] = []
    broken: list[str] = []
    for name, data in blobs:
        if not name.endswith(SUFFIX):
            continue
        folder = posixpath.dirname(name)
        local: tuple[str, ...] = ()
        if opts.local:
            near = (posixpath.join(folder, "profiles"), posixpath.join(posixpath.dirname(folder), "profiles"))
            local = tuple(profiles[f] for f in near if f in profiles)
        found, bad = _compile(name, name, data, (*opts.dirs, *local, *env_dirs()))
        decls.extend((name, d) for d in found)
        if bad:
            broken.append(name)
    return decls, broken


def _write_rev_profiles(files: list[tuple[str, bytes]], tmp: str) -> dict[str, str]:
    """Each revision profiles/ folder → a private folder holding its files under generated
    names (`0.toml`, …). A profile without `id` is named by its file name, so that name is
    written into it as `id` (after checking it is one safe path component)."""
    import tomllib

    out: dict[str, str] = {}
    for n, (name, data) in enumerate(sorted(files)):
        folder = posixpath.dirname(name)
        if folder not in out:
            out[folder] = tempfile.mkdtemp(prefix=f"{len(out)}-", dir=tmp)
        stem = posixpath.basename(name).removesuffix(".toml")
        try:
            has_id = "id" in tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            has_id = True  # written as it is: loading it reports the problem
        if not has_id and component_problem(stem) is None:
            data = f"id = {json.dumps(stem, ensure_ascii=False)}\n".encode() + data
        with open(os.path.join(out[folder], f"{n}.toml"), "xb") as fh:
            fh.write(data)
    return out


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

    from perfdsl.profiles import ProfileError
    from perfdsl.profilesearch import local_wanted

    _compiled.clear()
    with tempfile.TemporaryDirectory(prefix="perfdsl-diff-") as tmp:
        opts = _Options(tuple(args.profile_dir), local_wanted(args), tmp)
        try:
            old, broken_old = _side(args.old, opts)
            new, broken_new = _side(args.new, opts)
        except _Usage as exc:
            sys.stderr.write(f"perfdsl：{exc}\n")
            return 2
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
