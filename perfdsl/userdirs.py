"""Where perfdsl keeps per-user files: the cache folder and the state folder.

The cache folder ($PERFDSL_CACHE_DIR, else $XDG_CACHE_HOME/perfdsl, else ~/.cache/perfdsl)
holds data that may be deleted at any time. The state folder ($PERFDSL_STATE_DIR, else
$XDG_STATE_HOME/perfdsl, else ~/.local/state/perfdsl) holds the cache's signing key and
crash reports: the key must live outside the cache folder, so that whoever can write
cache entries cannot also read or replace the key.

Folders are created 0700 and never through a symlink we did not expect: `private_dir`
refuses a folder that is not ours or that others may write.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def cache_root() -> Path | None:
    """The user cache dir for perfdsl, or None when disabled ($PERFDSL_NO_CACHE)."""
    if os.environ.get("PERFDSL_NO_CACHE"):
        return None
    explicit = os.environ.get("PERFDSL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "perfdsl"


def state_root() -> Path:
    """The user state dir for perfdsl (signing key, crash reports)."""
    explicit = os.environ.get("PERFDSL_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME")
    return (Path(base) if base else Path.home() / ".local" / "state") / "perfdsl"


def private_dir(folder: Path) -> Path | None:
    """Create `folder` (0700) if needed; None unless it is a real folder owned by us that
    nobody else can write (on POSIX)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    if os.name == "posix" and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return None
    return folder
