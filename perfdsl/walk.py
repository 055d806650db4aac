"""Walking an input folder for .perf files, safely.

Folder symlinks are followed (a unit may link a shared folder in), but every real folder is
read at most once: folders are de-duplicated by (st_dev, st_ino). A symlink that leads to a
folder already read (`unit/again -> .`, a loop, or a second link to the same folder) is
skipped and reported once through `on_warning`. So a walk is linear in the number of real
folders, whatever the links. Hidden folders (`.git`, …) and the names in `skip` are not
entered. Read errors propagate as OSError (with `filename`) for the caller to report.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator

SUFFIX = ".perf"


def walk_perf_folders(root: str, on_warning: Callable[[str], None],
                      skip: frozenset[str] = frozenset({"profiles"})) -> Iterator[tuple[str, list[str]]]:
    """Breadth first, each folder's entries by name: (folder, its .perf files) for every
    folder under `root` (including `root`), even those without .perf files."""
    seen: set[tuple[int, int]] = set()
    st = os.stat(root)
    seen.add((st.st_dev, st.st_ino))
    queue: deque[str] = deque([root])
    while queue:
        folder = queue.popleft()
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        files: list[str] = []
        for e in entries:
            try:
                if e.name.endswith(SUFFIX) and e.is_file():
                    files.append(e.path)
                    continue
                if not e.is_dir() or e.name.startswith(".") or e.name in skip:
                    continue
                est = os.stat(e.path)
            except OSError:  # a broken or unreadable link: nothing to walk
                continue
            key = (est.st_dev, est.st_ino)
            if key in seen:
                on_warning(f"符号链接 {e.path} 指向已经读过的文件夹（{os.path.realpath(e.path)}），"
                           "可能形成循环，已跳过")
                continue
            seen.add(key)
            queue.append(e.path)
        yield folder, files
