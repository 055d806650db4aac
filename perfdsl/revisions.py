"""Read the .perf files of a git revision or a folder into memory, for comparisons.

`read_side(spec)` returns (path, bytes) pairs for a folder (every .perf file under it) or a
git revision (every tracked .perf file of that commit). Revision files are read with
`git ls-tree` and one `git cat-file --batch` process, in memory: nothing is unpacked to
disk under the tree's names, so a hostile tree name (`../x`, an absolute path) can only
ever be a label. Paths of a revision are shown as `REV:path`. Nothing here parses or
checks; perfdsl/against.py does that.

This is the one reader of git revisions: `perfdsl diff`, `check --against` and `serve`
all use it. Entry names are validated (perfdsl.safepath).
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


def read_revision(rev: str, cwd: str | None = None, under: str | None = None,
                  profiles: bool = False) -> list[tuple[str, bytes]]:
    """Every .perf blob of `rev` as (path relative to the repository top, bytes).

    `under` (a path in the work tree) limits the files to that folder of the revision.
    `profiles` also reads the revision's `profiles/*.toml` files, so its declarations can be
    resolved as `check` resolved them then. Every entry name of the tree is validated
    (perfdsl.safepath): a hostile tree is refused as a whole.
    """
    top = toplevel(cwd)
    res = _git(["ls-tree", "-r", "-z", "--full-tree", rev], top)
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
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise RevisionError(f"git 版本“{rev}”中的条目 {raw_name!r} 的名称不是 UTF-8，拒绝读取") from None
        # Every name is checked even though none is ever used as a path here (issue #16):
        # a tree with `..`, an absolute path, NUL or a drive letter is hostile.
        problem = relative_path_problem(name)
        if problem is not None:
            raise RevisionError(f"git 版本“{rev}”中的条目“{_visible(name)}”{problem}，可能是恶意构造的版本，拒绝读取")
        mode, kind, oid = [*meta.decode("ascii", "replace").split(" "), "", "", ""][:3]
        # Plain files only: a symlink's blob is the name of its target, a submodule has no blob.
        if kind != "blob" or mode not in ("100644", "100755") or not name.startswith(prefix):
            continue
        if name.endswith(SUFFIX) or (profiles and _is_local_profile(name)):
            entries.append((name, oid))
    return list(zip([n for n, _ in entries], _cat_blobs(top, rev, [oid for _, oid in entries]), strict=True))


def _is_local_profile(name: str) -> bool:
    parts = name.split("/")
    return len(parts) >= 2 and parts[-2] == "profiles" and name.endswith(".toml")


def _cat_blobs(top: str, rev: str, oids: list[str]) -> list[bytes]:
    """The contents of `oids`, in order, from one `git cat-file --batch`."""
    if not oids:
        return []
    batch = _git(["cat-file", "--batch"], top, "".join(f"{o}\n" for o in oids).encode("ascii"))
    if batch.returncode != 0:
        raise RevisionError(f"无法读取 git 版本“{rev}”的文件")
    out, pos, blobs = batch.stdout, 0, []
    for oid in oids:
        nl = out.find(b"\n", pos)
        header = out[pos:nl].split(b" ") if nl >= 0 else []
        if len(header) != 3 or header[1] != b"blob":
            raise RevisionError(f"无法从 git 读出对象 {oid}")
        size = int(header[2])
        blobs.append(out[nl + 1:nl + 1 + size])
        pos = nl + 1 + size + 1  # content is followed by a newline
    return blobs


def _visible(name: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)


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
