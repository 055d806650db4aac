"""Content-hash cache of compiled files (parsed + resolved `FileResult`s).

Two levels. Within one run, a file whose path and bytes were already compiled is not
compiled again (in-memory memo). Across runs, when asked (`use_cache=True`, CLI
`--cache`), the pickled `FileResult` is stored in the user cache dir
($PERFDSL_CACHE_DIR, else $XDG_CACHE_HOME/perfdsl, else ~/.cache/perfdsl).

Unpickling runs code chosen by whoever wrote the bytes, and a cache folder may be shared
or writable by others. So every entry is signed: HMAC-SHA256 over the entry's key and
its bytes, with a 32-byte per-user key kept outside the cache folder, in the state folder
(perfdsl/userdirs.py), created once with O_EXCL and mode 0600. An entry whose signature
does not verify is never unpickled; it is a miss. Signing the key together with the
bytes stops a valid entry from being replayed under another key. If the key cannot be
made or is not private (wrong owner, readable by others, a symlink, inside the cache
folder), the disk cache is simply not used. See docs/reliability.md for the decision
(signing rather than a code-free format) and its measured cost.

It must never be stale, so the key hashes everything a result depends on: the file's
path (spans carry it) and bytes, the compiler version, a fingerprint of perfdsl's own
source files (size and mtime, so an edited checkout never reuses old results), the
grammar text, the Python version, and the content of every profile file that can be
seen (built-in, extra dirs, $PERFDSL_PROFILE_PATH). Profiles are pickled by reference
(id + profile dirs) and looked up again on load, so a cached result shares the loaded
profile objects instead of carrying private copies.

This module must not print, must not raise on a broken or unwritable cache (a bad entry
is a miss), and must not import the parser: a warm run should not pay for Lark.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
import secrets
import stat
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from perfdsl import __version__
from perfdsl.profiles import Profile, find_profile
from perfdsl.userdirs import cache_root, private_dir, state_root

FORMAT = "perfdsl-filecache-2"
MAGIC = b"PDSLC2\n"  # entry = MAGIC + HMAC-SHA256(key, entry key + payload) + payload
KEY_BYTES = 32
KEY_NAME = "cache-key"

__all__ = ["FileCache", "cache_root", "dumps", "loads", "signing_key"]


def _read_key(path: Path) -> bytes | None:
    """The key in `path` if it is a private regular file of ours, else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != KEY_BYTES:
            return None
        if os.name == "posix" and (st.st_uid != os.getuid() or st.st_mode & 0o077):
            return None
        data = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == KEY_BYTES else None


def _within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def signing_key(cache_folder: Path | None = None) -> bytes | None:
    """The per-user key that signs cache entries, made on first use; None if unusable.

    The key file is written complete under a random name (mkstemp: O_EXCL, 0600) and then
    linked into place, which fails if it exists: two first runs at once agree on one key,
    and nobody ever reads a half-written key.
    """
    folder = state_root()
    if cache_folder is not None and _within(folder, cache_folder):
        return None  # the key must not sit where cache writers can reach it
    path = folder / KEY_NAME
    key = _read_key(path)
    if key is not None:
        return key
    if private_dir(folder) is None or os.path.lexists(path):
        return None  # a folder others can write, or a key file that is not ours: no disk cache
    try:
        fd, tmp = tempfile.mkstemp(prefix=".key-", dir=folder)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another run made it first: use theirs
        except OSError:
            return None
    except OSError:
        return None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return _read_key(path)


def sign(key: bytes, name: str, payload: bytes) -> bytes:
    """A signed cache entry for `payload` stored under `name`."""
    mac = hmac.new(key, name.encode("ascii") + b"\0" + payload, hashlib.sha256).digest()
    return MAGIC + mac + payload


def verified(key: bytes, name: str, entry: bytes) -> bytes | None:
    """The payload of a signed entry, or None unless the signature is ours for `name`."""
    head = len(MAGIC) + hashlib.sha256().digest_size
    if len(entry) < head or not entry.startswith(MAGIC):
        return None
    payload = entry[head:]
    mac = hmac.new(key, name.encode("ascii") + b"\0" + payload, hashlib.sha256).digest()
    return payload if hmac.compare_digest(mac, entry[len(MAGIC):head]) else None


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Compiler version, Python version, perfdsl's own files (size, mtime) and the grammar."""
    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version_info[:3]}".encode())
    pkg = Path(__file__).resolve().parent
    roots = [pkg, pkg.parent / "backends", pkg.parent / "grammar"]
    for root in roots:
        if not root.is_dir():
            continue
        for f in sorted(root.rglob("*")):
            if f.suffix in (".py", ".toml", ".lark", ".json", ".tsv") and "__pycache__" not in f.parts:
                st = f.stat()
                h.update(f"{f.relative_to(root.parent)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    try:
        grammar = resources.files("perfdsl.grammar").joinpath("perfdsl.lark").read_bytes()
    except (OSError, ModuleNotFoundError):
        grammar = b""
    h.update(hashlib.sha256(grammar).digest())
    return h.hexdigest()


@lru_cache(maxsize=64)
def profiles_fingerprint(extra_dirs: tuple[str, ...]) -> str:
    """Hash of every profile file visible with `extra_dirs` (built-in ones included)."""
    h = hashlib.sha256()
    builtin = resources.files("perfdsl.data").joinpath("profiles")
    for entry in sorted(builtin.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            h.update(entry.name.encode() + b"\0" + hashlib.sha256(entry.read_bytes()).digest())
    dirs = list(extra_dirs)
    env = os.environ.get("PERFDSL_PROFILE_PATH")
    if env:
        dirs.extend(p for p in env.split(os.pathsep) if p)
    for d in dirs:
        h.update(f"\0dir:{d}\0".encode())
        folder = Path(d)
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.toml")):
            try:
                h.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
            except OSError:
                h.update(f"{f.name}\0unreadable".encode())
    return h.hexdigest()


def file_key(path: str, data: bytes, extra_dirs: tuple[str, ...]) -> str:
    """The cache key of one file's compilation."""
    h = hashlib.sha256()
    h.update(code_fingerprint().encode())
    h.update(profiles_fingerprint(extra_dirs).encode())
    h.update(repr(extra_dirs).encode())
    h.update(b"\0path\0" + path.encode("utf-8", "surrogateescape") + b"\0")
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


# --- pickling with profiles by reference ------------------------------------------------


class _Pickler(pickle.Pickler):
    def __init__(self, fh: io.BytesIO, extra_dirs: tuple[str, ...]) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.extra_dirs = extra_dirs

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is Profile:
            return ("profile", obj.id, obj.source, self.extra_dirs)
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        tag, prof_id, source, extra_dirs = pid
        if tag != "profile":
            raise pickle.UnpicklingError(f"unknown reference {tag!r}")
        prof = find_profile(prof_id, tuple(extra_dirs))
        if prof is None or prof.source != source:
            raise pickle.UnpicklingError(f"profile {prof_id} changed")
        return prof


def dumps(obj: Any, extra_dirs: tuple[str, ...] = ()) -> bytes:
    """Pickle `obj`, writing profiles as references (see module docstring)."""
    buf = io.BytesIO()
    _Pickler(buf, extra_dirs).dump(obj)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    """Unpickle what `dumps` wrote; profiles come back as the loaded (shared) objects."""
    return _Unpickler(io.BytesIO(data)).load()


# --- the cache ----------------------------------------------------------------------------


class FileCache:
    """In-memory memo for one run, plus the optional on-disk store across runs.

    The memo is a small LRU: it catches a file named twice in one run (overlapping
    arguments, a set and one of its files) without keeping every compiled file alive,
    so memory stays flat over a whole corpus.
    """

    MEMO_SIZE = 256

    def __init__(self, persistent: bool = False, root: Path | None = None) -> None:
        self.memo: OrderedDict[str, Any] = OrderedDict()
        self.folder: Path | None = None
        self.key: bytes | None = None
        self.hits = 0
        self.disk_hits = 0
        self.misses = 0
        self.rejected = 0  # entries whose signature did not verify (never unpickled)
        if persistent:
            base = root if root is not None else cache_root()
            if base is not None:
                self.key = signing_key(base)
                if self.key is not None:
                    self.folder = base / "files"

    def get_or_compile(self, path: str, data: bytes, extra_dirs: tuple[str, ...],
                       compile_fn: Callable[[], Any]) -> Any:
        """The compiled result of `data`, from the memo, the disk, or `compile_fn()`."""
        key = file_key(path, data, extra_dirs)
        found = self.memo.get(key)
        if found is not None:
            self.hits += 1
            self.memo.move_to_end(key)
            return found
        result = self._load(key)
        if result is not None:
            self.disk_hits += 1
        else:
            self.misses += 1
            result = compile_fn()
            self._store(key, result, extra_dirs)
        self.memo[key] = result
        if len(self.memo) > self.MEMO_SIZE:
            self.memo.popitem(last=False)
        return result

    def _entry(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / key[:2] / f"{key}.pickle"

    def _load(self, key: str) -> Any:
        entry = self._entry(key)
        if entry is None or self.key is None:
            return None
        try:
            signed = entry.read_bytes()
        except OSError:
            return None
        data = verified(self.key, key, signed)
        if data is None:  # not written by us: never unpickle it
            self.rejected += 1
            return None
        try:
            return loads(data)
        except Exception:  # a truncated or foreign entry is a miss; drop it
            try:
                entry.unlink()
            except OSError:
                pass
            return None

    def _store(self, key: str, result: Any, extra_dirs: tuple[str, ...]) -> None:
        entry = self._entry(key)
        if entry is None or self.key is None:
            return
        tmp = None
        try:
            data = sign(self.key, key, dumps(result, extra_dirs))
            entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=entry.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, entry)
            tmp = None
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return  # an unwritable cache only costs speed
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
