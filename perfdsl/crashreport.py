"""Save the crash report of an internal error, safely.

The report goes to $PERFDSL_CRASH_DIR, else to `crash/` in the user's state folder
($XDG_STATE_HOME/perfdsl, see perfdsl/userdirs.py), never to a shared temp folder by
default. The file gets a random name and is created with O_CREAT | O_EXCL | O_NOFOLLOW
and mode 0600: it can never overwrite an existing file, nor write through a symlink
planted at a guessed name (the report holds argv and paths, which may be private).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

PREFIX = "perfdsl-crash-"


def crash_dir() -> Path:
    explicit = os.environ.get("PERFDSL_CRASH_DIR")
    if explicit:
        return Path(explicit)
    from perfdsl.userdirs import private_dir, state_root

    folder = state_root() / "crash"
    return private_dir(folder) or folder


def save(text: str) -> str | None:
    """Write `text` to a new report file; its path, or None if it could not be saved."""
    folder = crash_dir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _attempt in range(5):
        name = f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(8)}.txt"
        path = folder / name
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            continue
        except OSError:
            return None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8", "backslashreplace"))
        except OSError:
            return None
        return str(path)
    return None
