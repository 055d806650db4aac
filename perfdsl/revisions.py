"""Read the .perf files of a git revision or a folder into memory, for comparisons.

`read_side(spec)` returns (path, bytes) pairs for a folder (every .perf file under it) or a
git revision (every tracked .perf file of that commit). Revision files are read with
`git ls-tree` and one `git cat-file --batch` process, in memory: nothing is unpacked to
disk under the tree's names, so a hostile tree name (`../x`, an absolute path) can only
ever be a label. Paths of a revision are shown as `REV:path`. Nothing here parses or
checks; perfdsl/against.py does that.

Entry names are validated like `perfdsl diff` does (perfdsl.safepath). `perfdsl diff` still
has its own reader (perfdsl/commands/diff_cmd.py), because it also reads a revision's
profiles/ folders; the two could become one.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from perfdsl.safepath import relative_path_problem

SUFFIX = ".perf"


class RevisionError(Exception):
    """The spec is neither a readable folder/file nor a git revision (a usage problem)."""


def _git(args: list[str], cwd: str | None, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=False)


def is_revision(spec: str, cwd: str | None = None) -> bool:
    if spec.startswith("-"):
        return False
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], cwd).returncode == 0
    except OSError:
        return False


def toplevel(cwd: str | None = None) -> str:
    res = _git(["rev-parse", "--show-toplevel"], cwd)
    if res.returncode != 0:
        raise RevisionError("当前目录不在 git 仓库中，无法按版本比较")
    return res.stdout.decode("utf-8").strip()


def read_revision(rev: str, cwd: str | None = None, under: str | None = None) -> list[tuple[str, bytes]]:
    """Every .perf blob of `rev` as (path relative to the repository top, bytes).

    `under` (a path in the work tree) limits the files to that folder of the revision.
    """
    top = toplevel(cwd)
    args = ["ls-tree", "-r", "-z", "--full-tree", rev]
    res = _git(args, top)
    if res.returncode != 0:
        raise RevisionError(f"无法读取 git 版本“{rev}”：{res.stderr.decode('utf-8', 'replace').strip()}")
    prefix = ""
    if under is not None:  # a file: its folder (a renamed file still matches by title)
        folder = under if os.path.isdir(under) else os.path.dirname(os.path.abspath(under))
        rel = os.path.relpath(os.path.realpath(folder), os.path.realpath(top))
        if rel != "." and not rel.startswith(".."):
            prefix = Path(rel).as_posix().rstrip("/") + "/"
    entries: list[tuple[str, str]] = []  # (name, blob id)
    for rec in res.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _tab, raw_name = rec.partition(b"\t")
        parts = meta.split()
        name = raw_name.decode("utf-8", "replace")
        # Every name is checked even though none is ever used as a path here (issue #16):
        # a tree with `..`, an absolute path, NUL or a drive letter is hostile.
        problem = relative_path_problem(name)
        if problem is not None:
            raise RevisionError(f"git 版本“{rev}”中的条目“{name!r}”{problem}，可能是恶意构造的版本，拒绝读取")
        # Plain files only: a symlink's blob is the name of its target.
        if len(parts) != 3 or parts[1] != b"blob" or parts[0] not in (b"100644", b"100755"):
            continue
        if name.endswith(SUFFIX) and name.startswith(prefix):
            entries.append((name, parts[2].decode("ascii")))
    if not entries:
        return []
    batch = _git(["cat-file", "--batch"], top, "".join(f"{oid}\n" for _n, oid in entries).encode("ascii"))
    if batch.returncode != 0:
        raise RevisionError(f"无法读取 git 版本“{rev}”的文件")
    out: list[tuple[str, bytes]] = []
    data, pos = batch.stdout, 0
    for name, _oid in entries:
        eol = data.index(b"\n", pos)
        header = data[pos:eol].split()
        size = int(header[2])
        out.append((name, data[eol + 1: eol + 1 + size]))
        pos = eol + 1 + size + 1
    return out


def read_folder(folder: str) -> list[tuple[str, bytes]]:
    """Every .perf file under `folder` (or the file itself), sorted, hidden folders skipped."""
    p = Path(folder)
    if p.is_file():
        return [(str(p), p.read_bytes())]
    files = sorted(f for f in p.rglob(f"*{SUFFIX}")
                   if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts[:-1]))
    return [(str(f), f.read_bytes()) for f in files]


def read_side(spec: str, cwd: str | None = None, under: str | None = None) -> tuple[str, list[tuple[str, bytes]]]:
    """(label, files) for a folder/file or a git revision; a path that exists wins."""
    if os.path.exists(spec):
        try:
            return spec, read_folder(spec)
        except OSError as exc:
            raise RevisionError(f"无法读取 {spec}：{exc.strerror or exc}") from exc
    if is_revision(spec, cwd):
        return spec, read_revision(spec, cwd, under)
    raise RevisionError(f"“{spec}”既不是文件或文件夹，也不是 git 版本")
