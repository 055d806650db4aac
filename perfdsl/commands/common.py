"""Helpers shared by subcommands: running the front end, printing, atomic writes, output names."""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `perfdsl check` of one file should not pay for them
    from perfdsl.api import Result

# Most file systems (ext4, NTFS, APFS) limit one name to 255 bytes (UTF-8 for the Unix
# ones; NTFS counts UTF-16 units, which is never more for our names). A temporary file
# is named `.<name>.<8 random>.tmp`, 14 bytes more, so an output name keeps within 241.
NAME_MAX_BYTES = 255
TEMP_EXTRA_BYTES = len(".") + len(".") + 8 + len(".tmp")
OUTPUT_NAME_MAX_BYTES = NAME_MAX_BYTES - TEMP_EXTRA_BYTES


def add_profile_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile-dir", action="append", default=[], metavar="目录",
                   help="额外的模板文件夹（可多次指定）；也读取 $PERFDSL_PROFILE_PATH 与输入旁的 profiles/")
    p.add_argument("--no-local-profiles", action="store_true", default=None,
                   help="不使用输入旁 profiles/ 文件夹中的模板（审核他人提交的申报表时使用；"
                        "也可设置环境变量 PERFDSL_NO_LOCAL_PROFILES=1）")


def add_parallel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="同时使用的进程数（默认：CPU 核数）；-j 1 为单进程")
    p.add_argument("--cache", action=argparse.BooleanOptionalAction, default=False,
                   help="跨次运行缓存未改动文件的解析结果（存放在用户缓存目录；默认不缓存）")


def local_profiles(args: argparse.Namespace) -> bool | None:
    """False when --no-local-profiles was given; None lets $PERFDSL_NO_LOCAL_PROFILES decide."""
    return False if getattr(args, "no_local_profiles", None) else None


def run_front(paths: list[str], profile_dirs: list[str], *, jobs: int | None = None,
              use_cache: bool = False, local: bool | None = None) -> Result | int:
    """Run the front end; on a usage problem print it and return exit code 2."""
    from perfdsl.api import UsageError, check_paths
    from perfdsl.profiles import ProfileError

    try:
        return check_paths(paths, tuple(profile_dirs), jobs=jobs, use_cache=use_cache, local_profiles=local)
    except (UsageError, ProfileError) as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2


# --- atomic writes ------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file.

    If `path` is a symlink, the link itself is replaced by a regular file (an output
    folder is never written through a link); callers that mean the link's target (fmt)
    resolve it first. The new file gets the old file's permission bits without
    setuid/setgid/sticky, or for a new file (or a replaced link) what the umask gives.
    An interrupt (Ctrl-C, SIGTERM, SIGHUP; see perfdsl/interrupts.py) leaves no temporary file.
    """
    import tempfile

    from perfdsl.interrupts import deferred, live_temps

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp: str | None = None
    try:
        with deferred():
            fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=path.parent)
            live_temps.add(tmp)
        try:
            os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; outputs get normal permissions
        except (AttributeError, OSError):
            pass  # Windows has no fchmod; the mode stays the default
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with deferred():
            os.replace(tmp, path)
            live_temps.discard(tmp)
            tmp = None
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            live_temps.discard(tmp)
        raise


def _temp_prefix(name: str) -> str:
    """`.<name>.`, shortened so that the temporary name fits in NAME_MAX_BYTES."""
    room = NAME_MAX_BYTES - TEMP_EXTRA_BYTES
    return "." + truncate_bytes(name, room) + "."


def _file_mode(path: Path) -> int:
    """The existing regular file's permission bits (never setuid/setgid/sticky); for a new
    file or a symlink (whose target's mode says nothing about our output), the umask default."""
    try:
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode) & 0o777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def is_read_only(st: os.stat_result) -> bool:
    """No write permission bit at all (0444): the owner marked it read-only (also for root)."""
    return not st.st_mode & 0o222


# --- output folders -----------------------------------------------------------------------


@contextlib.contextmanager
def locked_folder(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (flock on the folder itself: no lock file left).

    Two builds to the same folder then write one after the other, each set whole, instead
    of interleaving. Where flock is unavailable (Windows), nothing is locked; every file is
    still written atomically.
    """
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks (some network shares): atomic files only
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- output names ---------------------------------------------------------------------------

# Invisible, bidirectional and other format characters (Cf), controls (Cc), line and
# paragraph separators: never in a file name made from a title.
_NAME_BAD = set('<>:"/\\|?*')


def safe_filename(name: str) -> str:
    """An output file name made from a title: never leaves the output folder, never a device
    name (perfdsl.safepath checks the result); length is output_name's job."""
    from perfdsl.safepath import safe_component

    cleaned = "".join("_" if c in _NAME_BAD or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                      for c in name).strip().strip(".")
    return safe_component(cleaned, limit=None)


def truncate_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding has at most `limit` bytes."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def output_name(title: str, extension: str) -> str:
    """A portable file name for an output made from `title`: cleaned, and at most
    OUTPUT_NAME_MAX_BYTES bytes with the extension. A shortened name ends in `~` and 8 hex
    digits of the full title's hash, so two long titles that share a beginning stay apart."""
    stem = safe_filename(title)
    room = OUTPUT_NAME_MAX_BYTES - len(extension.encode("utf-8"))
    if len(stem.encode("utf-8", "surrogateescape")) <= room:
        return stem + extension
    import hashlib

    tag = "~" + hashlib.sha256(title.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return truncate_bytes(stem, room - len(tag)).rstrip(". ") + tag + extension


def collision_key(name: str) -> str:
    """Names equal under this key are one file on Windows (case) or macOS (case, NFC/NFD)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def name_problems(paths: list[Path]) -> list[str]:
    """Chinese messages for output names that would clash or not fit, before anything is written."""
    problems: list[str] = []
    seen: dict[tuple[str, str], Path] = {}
    for p in paths:
        size = len(p.name.encode("utf-8", "surrogateescape"))
        if size > OUTPUT_NAME_MAX_BYTES:
            problems.append(f"文件名过长（{size} 字节，上限 {OUTPUT_NAME_MAX_BYTES} 字节）：{p.name}")
        key = (str(p.parent), collision_key(p.name))
        other = seen.get(key)
        if other is None:
            seen[key] = p
        elif other.name == p.name:
            problems.append(f"多个声明集会写到同名文件：{p.name}")
        else:
            problems.append(f"“{other.name}”与“{p.name}”只差大小写或 Unicode 组合方式，"
                            "在 Windows 和 macOS 上是同一个文件，会互相覆盖")
    return problems
