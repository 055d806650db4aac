"""Which profiles an import reads the tables with: the one asked for, or the ones the file names.

A file perfdsl built names each declaration's profile in its embedded JSON. Reading its
tables with a guessed built-in profile instead (the labels of a user's own profile mean
nothing to it) makes every renamed field look changed: a false "文件在 perfdsl 生成后被
修改过" and a switch to the wrong profile. So the tables are read with the profiles the
file names, found where `check` would find them (perfdsl.profilesearch); `--profile`
(a name, or a path to a .toml file) overrides. A profile the file names but that cannot be
found here is reported: the tables cannot be checked against the embedded data then.
"""

from __future__ import annotations

import attrs

from perfdsl import ast
from perfdsl.importer.safety import ImportFailure
from perfdsl.profiles import Profile, find_profile


@attrs.frozen
class ProfileHint:
    """The profiles a grid read may use (`forced`: exactly this one, as --profile says)."""

    profiles: tuple[Profile, ...]
    forced: bool = False

    def choose(self, kind: str, texts: list[str]) -> Profile:
        if self.forced or len(self.profiles) == 1:
            return self.profiles[0]
        from perfdsl.importer.detect import label_score

        same = [p for p in self.profiles if p.kind == kind] or list(self.profiles)
        return max(same, key=lambda p: label_score(p, texts))  # the first of equal scores


def profile_ids(doc: ast.Document) -> list[str]:
    """The `模板` of each declaration, in order, without repeats."""
    out: list[str] = []
    for d in doc.declarations:
        for st in d.body:
            if isinstance(st, ast.Field) and st.key.parts in {("模板",), ("profile",)} and st.value:
                if st.value.text not in out:
                    out.append(st.value.text)
                break
    return out


def hint_for(forced: str | None, embedded: ast.Document | None,
             profile_dirs: tuple[str, ...]) -> tuple[ProfileHint | None, list[str]]:
    """The hint for the grid read, and the profiles the embedded data names but that were not found."""
    if forced:
        prof = find_profile(forced, profile_dirs)
        if prof is None:
            raise ImportFailure(f"找不到模板“{forced}”（运行 perfdsl profiles 查看可用的模板；"
                                "自己的模板可放在输出文件旁的 profiles/ 文件夹，或用 --profile-dir 指定）")
        return ProfileHint((prof,), forced=True), []
    if embedded is None:
        return None, []
    found: list[Profile] = []
    missing: list[str] = []
    for pid in profile_ids(embedded):
        prof = find_profile(pid, profile_dirs)
        if prof is None:
            missing.append(pid)
        elif prof.id not in {p.id for p in found}:
            found.append(prof)
    return (ProfileHint(tuple(found)) if found and not missing else None), missing
