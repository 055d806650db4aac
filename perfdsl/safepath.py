"""Names that come from outside (git trees, zip entries, titles) checked before any use as paths.

`component_problem(name)` says why one path component is unsafe, or None. `relative_path_problem`
does the same for a `/`-separated relative path (git tree entries, zip part names): every
component must be safe. A safe component is not empty, not `.` or `..`, has no `/`, `\\` or NUL,
no control character, and is not a Windows drive (`C:`) — so joining it under a folder can never
leave that folder on POSIX or Windows. `safe_component(text)` turns any text (a declaration
title, say) into a safe file name. Every caller that turns outside text into a path uses these.
"""

from __future__ import annotations

import re

_DRIVE = re.compile(r"^[A-Za-z]:")
# Windows device names: `CON.xlsx` opens the console there, not a file.
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                      *(f"LPT{i}" for i in range(1, 10))})
_UNSAFE_CHARS = '<>:"/\\|?*'
NAME_LIMIT = 120


def component_problem(name: str) -> str | None:
    """Why `name` is not a safe single path component (Chinese, for users), or None."""
    if name == "":
        return "名称为空"
    if name in (".", ".."):
        return f"名称为“{name}”（指向上级或当前文件夹）"
    if "\0" in name:
        return "名称含有 NUL 字符"
    if "/" in name or "\\" in name:
        return "名称含有路径分隔符"
    if _DRIVE.match(name):
        return "名称以盘符开头（如 C:）"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "名称含有控制字符"
    return None


def relative_path_problem(path: str) -> str | None:
    """Why a `/`-separated relative path (from git or a zip) is unsafe, or None."""
    if path.startswith("/") or path.startswith("\\"):
        return "是绝对路径"
    if _DRIVE.match(path):
        return "以盘符开头（如 C:）"
    for part in path.split("/"):
        problem = component_problem(part)
        if problem is not None:
            return f"的一段{problem}"
    return None


def safe_component(text: str, default: str = "未命名", limit: int | None = NAME_LIMIT) -> str:
    """A file name made from arbitrary text: unsafe characters become `_`; never `.`/`..`,
    never hidden, never a drive or device name, at most `limit` characters (None: no limit)."""
    cleaned = "".join("_" if c in _UNSAFE_CHARS or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)
    cleaned = cleaned.strip().strip(".").strip()[:limit].rstrip(" .")
    if not cleaned:
        return default
    if cleaned.split(".", 1)[0].upper() in _DEVICES:
        cleaned = "_" + cleaned
    assert component_problem(cleaned) is None, cleaned
    return cleaned
