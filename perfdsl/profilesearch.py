"""Where profiles are looked up: the one place every command asks.

A declaration sees, in this order (a later folder's profile wins over an earlier one of
the same id, as in perfdsl.profiles):
1. the built-in profiles (perfdsl/data/profiles/);
2. the folders given with `--profile-dir` (`extra`);
3. the `profiles/` folder beside the sources (the set's folder) or one level up — the
   "local" profiles, which a reviewer can turn off (`local=False`);
4. the folders in $PERFDSL_PROFILE_PATH (added by perfdsl.profiles itself, so a library
   caller that passes no folders still sees them).

`check`, `build`, `fmt`, `diff`, `import`, `lsp` and `profiles` all call `profile_dirs_for`
(re-exported by perfdsl.api) with the place their input or output lives; `search_dirs`
names each folder's origin for `perfdsl profiles`.
"""

from __future__ import annotations

import os
from pathlib import Path

from perfdsl import record

ENV_VAR = "PERFDSL_PROFILE_PATH"
LOCAL_FOLDER = "profiles"

# Where a profile comes from, as `perfdsl profiles` shows it.
ORIGIN_ZH = {
    "builtin": "内置",
    "option": "--profile-dir",
    "local": "本地 profiles/",
    "env": "$" + ENV_VAR,
}


@record.frozen
class ProfileDir:
    path: str
    origin: str  # option | local | env


def local_dirs(anchor: str) -> tuple[str, ...]:
    """The `profiles/` folders that belong to `anchor` (a file, or a folder of sources):
    beside it, and one level up (a county's units share the county's profiles)."""
    path = Path(anchor) if anchor else Path(".")
    folder = path if path.is_dir() else path.parent
    return tuple(str(c) for c in (folder / LOCAL_FOLDER, folder.parent / LOCAL_FOLDER) if c.is_dir())


def env_dirs() -> tuple[str, ...]:
    env = os.environ.get(ENV_VAR, "")
    return tuple(p for p in env.split(os.pathsep) if p)


def search_dirs(anchor: str, extra: tuple[str, ...] = (), local: bool = True) -> tuple[ProfileDir, ...]:
    """Every user folder a declaration at `anchor` sees, in lookup order, with its origin."""
    out = [ProfileDir(d, "option") for d in extra]
    if local:
        out += [ProfileDir(d, "local") for d in local_dirs(anchor)]
    out += [ProfileDir(d, "env") for d in env_dirs()]
    return tuple(out)


def profile_dirs_for(anchor: str, extra: tuple[str, ...] = (), local: bool = True) -> tuple[str, ...]:
    """The folders to pass as `extra_dirs` to perfdsl.profiles for sources at `anchor`:
    `extra` (--profile-dir), then the local profiles/ folders unless `local` is False.
    ($PERFDSL_PROFILE_PATH is added by perfdsl.profiles.)"""
    return tuple(d.path for d in search_dirs(anchor, extra, local) if d.origin != "env")


def local_wanted(args: object) -> bool:
    """False when a command was told not to use the profiles/ folders beside its inputs:
    `--no-local-profiles` (perfdsl.commands.common.add_profile_dir) or $PERFDSL_NO_LOCAL_PROFILES."""
    from perfdsl.profiles import local_profiles_allowed

    if getattr(args, "no_local_profiles", None):
        return False
    return local_profiles_allowed()


def origin_of(source: str, dirs: tuple[ProfileDir, ...]) -> str:
    """`builtin`, `option`, `local` or `env`: where a profile whose file is `source` was found."""
    from perfdsl.profiles import BUILTIN_PREFIX

    if source.startswith(BUILTIN_PREFIX):
        return "builtin"
    folder = _same(Path(source).parent)
    found = "option"
    for d in dirs:  # the last match is the folder it was actually read from
        if _same(Path(d.path)) == folder:
            found = d.origin
    return found


def _same(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return os.path.abspath(path)


def profile_argument(text: str | None, dirs: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """`--profile` as a name, or as a path to a .toml file: (the profile's id, the folders
    to look it up in). A path adds its folder, last, so that file is the one used."""
    if not text:
        return None, dirs
    path = Path(text)
    if not (text.lower().endswith(".toml") or path.is_file()):
        return text, dirs
    from perfdsl.marshalcache import load_toml
    from perfdsl.profiles import ProfileError

    try:
        data = load_toml(path.read_text(encoding="utf-8"), "profile")
    except FileNotFoundError as exc:
        raise ProfileError(f"找不到模板文件：{text}") from exc
    except (OSError, ValueError) as exc:  # ValueError: UnicodeDecodeError, TOMLDecodeError
        raise ProfileError(f"模板文件 {text} 无法读取：{exc}") from exc
    pid = data.get("id") if isinstance(data.get("id"), str) else path.stem
    return pid, (*dirs, str(path.parent))
