"""Helpers shared by subcommands: running the front end, printing, atomic writes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfdsl.api import Result


def add_profile_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile-dir", action="append", default=[], metavar="目录",
                   help="额外的模板文件夹（可多次指定）；也读取 $PERFDSL_PROFILE_PATH 与输入旁的 profiles/")


def add_parallel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="同时使用的进程数（默认：CPU 核数）；-j 1 为单进程")
    p.add_argument("--cache", action=argparse.BooleanOptionalAction, default=False,
                   help="跨次运行缓存未改动文件的解析结果（存放在用户缓存目录；默认不缓存）")


def run_front(paths: list[str], profile_dirs: list[str], *, jobs: int | None = None,
              use_cache: bool = False) -> Result | int:
    """Run the front end; on a usage problem print it and return exit code 2."""
    from perfdsl.api import UsageError, check_paths
    from perfdsl.profiles import ProfileError

    try:
        return check_paths(paths, tuple(profile_dirs), jobs=jobs, use_cache=use_cache)
    except (UsageError, ProfileError) as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; outputs get normal permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _file_mode(path: Path) -> int:
    """The existing file's mode, else what a plain open() would give under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def safe_filename(name: str) -> str:
    bad = '<>:"/\\|?*\n\r\t\x00'
    cleaned = "".join("_" if c in bad else c for c in name).strip().strip(".")
    return cleaned[:120] or "未命名"
