"""Check the declaration set an edited file belongs to, with unsaved editor text.

A file in a folder with other .perf files belongs to that folder's set (the same set
`perfdsl check 文件夹` builds), so cross-file findings (duplicate titles, the
department's project total, …) show up while editing. Open documents' in-memory text
replaces their disk content; unchanged files on disk are compiled once and cached by
modification time. It uses only the public front end (compile_text, compile_file,
build_set) and never writes anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from perfdsl.api import (
    SUFFIX,
    FileResult,
    SetResult,
    UsageError,
    build_set,
    compile_file,
    compile_text,
)
from perfdsl.api import profile_dirs_for as _profile_dirs_for
from perfdsl.diagnostics import diag
from perfdsl.profiles import ProfileError, forget_loaded, user_profiles_stamp
from perfdsl.source import Span

# `perfdsl lsp --profile-dir D`: folders every file of this server also sees (set once at start).
_extra_dirs: tuple[str, ...] = ()
_local = True


def configure(profile_dirs: tuple[str, ...], local: bool = True) -> None:
    global _extra_dirs, _local
    _extra_dirs, _local = tuple(profile_dirs), local


def profile_dirs_for(path: str) -> tuple[str, ...]:
    """The profile folders of a file, found as `check` finds them (perfdsl.api.profile_dirs_for)."""
    return _profile_dirs_for(path, _extra_dirs, _local)


@attrs.frozen
class SetAnalysis:
    files: tuple[str, ...]
    results: dict[str, FileResult]
    set_result: SetResult
    skipped: tuple[str, ...] = ()  # members too big to check while editing: the file was checked alone


def normalise_text(text: str) -> str:
    """The text as perfdsl reads a file: no BOM, LF line ends."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def set_members(path: str) -> list[str]:
    """The files of `path`'s declaration set: its folder's .perf files, or itself alone."""
    folder = Path(path).parent
    try:
        siblings = sorted((e for e in folder.iterdir() if e.is_file() and e.suffix == SUFFIX), key=lambda e: e.name)
    except OSError:
        siblings = []
    names = [str(folder / e.name) for e in siblings]
    if path not in names:
        names.append(path)
        names.sort(key=lambda p: Path(p).name)
    return names if len(names) > 1 else [path]


class Analyser:
    def __init__(self, max_bytes: int = 1024 * 1024) -> None:
        self._disk: dict[str, tuple[int, int, FileResult]] = {}
        self._profiles_seen: dict[tuple[str, ...], tuple[tuple[str, int, int], ...]] = {}
        self.max_bytes = max_bytes

    def _too_big(self, path: str, open_texts: dict[str, str]) -> bool:
        if path in open_texts:
            text = open_texts[path]
            return len(text) * 4 > self.max_bytes and len(text.encode("utf-8", "surrogatepass")) > self.max_bytes
        try:
            return os.stat(path).st_size > self.max_bytes
        except OSError:
            return False

    def _from_disk(self, path: str, dirs: tuple[str, ...]) -> FileResult | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        hit = self._disk.get(path)
        if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            return hit[2]
        try:
            fr = compile_file(path, dirs)
        except (UsageError, ProfileError):
            return None
        self._disk[path] = (st.st_mtime_ns, st.st_size, fr)
        return fr

    def forget(self, path: str) -> None:
        self._disk.pop(path, None)

    def analyse(self, path: str, open_texts: dict[str, str]) -> SetAnalysis:
        files = set_members(path)
        dirs = profile_dirs_for(path)
        stamp = user_profiles_stamp(dirs)
        if self._profiles_seen.get(dirs, stamp) != stamp:  # a profile was edited: read them again
            forget_loaded()
            self._disk.clear()
        self._profiles_seen[dirs] = stamp
        skipped = tuple(f for f in files if f != path and self._too_big(f, open_texts))
        if skipped:
            files = [path]  # a partial set would give false set-wide findings: check the file alone
        results: dict[str, FileResult] = {}
        for f in files:
            if f in open_texts:
                results[f] = compile_open(f, open_texts[f], dirs)
            else:
                fr = self._from_disk(f, dirs)
                if fr is not None:
                    results[f] = fr
        label = Path(path).parent.name if len(files) > 1 else Path(path).stem
        sr = build_set(label, [results[f] for f in files if f in results])
        return SetAnalysis(tuple(files), results, sr, skipped)


def compile_open(path: str, text: str, dirs: tuple[str, ...]) -> FileResult:
    """compile_text of an editor buffer (normalised as a file would be)."""
    try:
        fr = compile_text(normalise_text(text), path, dirs)
    except ProfileError as exc:
        d = diag("PD-S004", Span.point(path, 1, 1), detail=str(exc))
        return FileResult(None, (), (), (d,))
    return fr
