"""Profiles: the data that says what a declaration form contains.

A profile (a TOML file) holds the allowed 一级→二级 hierarchy with aliases, the header
fields, the indicator columns, the operator spellings and the money rules of one form.
Built-in profiles live in perfdsl/data/profiles/; users add their own as TOML files in
a `profiles/` folder beside their declarations or in $PERFDSL_PROFILE_PATH, without
touching Python. A profile may `extends` another one; top-level keys then override.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from perfdsl import record
from perfdsl.diagnostics import Diagnostic
from perfdsl.marshalcache import load_toml
from perfdsl.profile_load import Layout, Page, build_layout, load_data

DEFAULT_PROFILE = {"department": "gansu-dept", "project": "gansu-project"}
KIND_ZH = {"department": "部门整体", "project": "项目"}


@record.frozen
class Level2:
    name: str
    aliases: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()  # common 三级 names, offered by editors (not enforced)


@record.frozen
class Level1:
    name: str
    children: tuple[Level2, ...]
    aliases: tuple[str, ...] = ()


@record.frozen
class FieldSpec:
    key: str
    label: str
    type: str = "text"  # text list int money code bool year date
    required: bool = False
    show: bool = True
    item_format: str = "{text}"
    default: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def plain_label(self) -> str:
        """The label without the colon a form prints after it (年度资金总额：), for messages."""
        return self.label.strip().rstrip("：:").strip() or self.label


@record.frozen
class ColumnSpec:
    key: str  # level1 level2 name op value unit target side, or an extra column's name
    label: str
    aliases: tuple[str, ...] = ()
    optional: bool = False  # printed only when an indicator fills it


@record.frozen
class SumRule:
    total: str
    parts: tuple[str, ...]


@record.frozen
class Profile:
    id: str
    name: str
    kind: str
    hierarchy_set: str
    title: str
    subtitle: str
    title_field: str
    layout: Layout
    hierarchy: tuple[Level1, ...]
    fields: tuple[FieldSpec, ...]
    columns: tuple[ColumnSpec, ...]
    operators: dict[str, str]
    aliases: tuple[str, ...] = ()
    money_unit: str = "万元"
    allow_unknown_fields: bool = False
    required_level1: tuple[str, ...] = ()
    satisfaction_floor: str = "85"
    # Columns some systems add (Sichuan/FASP2 exports): accepted without PD-R007 and
    # printed only when a declaration uses them.
    optional_columns: tuple[str, ...] = ("权重", "指标方向性", "指标解释", "评分标准", "指标值说明")
    weight_column: str = "权重"
    weight_total: str = "100"
    weight_severity: str = "warning"  # real published tables sum to 90: make it an error per profile
    bare_equals: bool = False  # a quantity with no operator (`8 个`) means "="
    budget_field: str = ""
    projects_total_field: str = ""
    project_amount_field: str = ""
    sums: tuple[SumRule, ...] = ()
    balance: tuple[str, str] | None = None
    composites: dict[str, str] = record.field(factory=dict)
    counts: tuple[tuple[str, str], ...] = ()
    source: str = ""
    page: Page = record.field(factory=Page)
    # Problems found while loading (schema, layout, extends), reported by every check of
    # a declaration that uses this profile.
    problems: tuple[Diagnostic, ...] = ()
    # Lookup indexes, built once from the fields above and kept on the profile itself.
    _fields_by_key: dict[str, FieldSpec] = record.field(init=False, eq=False, repr=False)
    _level1_by_name: dict[str, Level1] = record.field(init=False, eq=False, repr=False)
    _columns_by_name: dict[str, ColumnSpec] = record.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_key: dict[str, FieldSpec] = {}
        for f in self.fields:
            by_key[f.key] = f
            for a in f.aliases:
                by_key.setdefault(a, f)
        by_name: dict[str, Level1] = {}
        for l1 in self.hierarchy:
            for n in _names(l1.name, l1.aliases):
                by_name.setdefault(n, l1)
        object.__setattr__(self, "_fields_by_key", by_key)
        object.__setattr__(self, "_level1_by_name", by_name)
        cols: dict[str, ColumnSpec] = {}
        for col in self.columns:  # the first column that claims a name wins, as before
            for n in (col.key, col.label, *col.aliases):
                cols.setdefault(_norm(n), col)
        object.__setattr__(self, "_columns_by_name", cols)

    # --- lookups ---------------------------------------------------------------------
    def field(self, key: str) -> FieldSpec | None:
        return self._fields_by_key.get(key)

    def resolve_level1(self, text: str) -> Level1 | None:
        return self._level1_by_name.get(_norm(text))

    def resolve_level2(self, level1: Level1, text: str) -> Level2 | None:
        key = _norm(text)
        for child in level1.children:
            if key in _names(child.name, child.aliases):
                return child
        return None

    def find_level2_anywhere(self, text: str) -> list[tuple[Level1, Level2]]:
        out = []
        for l1 in self.hierarchy:
            l2 = self.resolve_level2(l1, text)
            if l2 is not None:
                out.append((l1, l2))
        return out

    def column(self, key: str) -> ColumnSpec | None:
        return self._columns_by_name.get(_norm(key))

    @property
    def extra_columns(self) -> tuple[ColumnSpec, ...]:
        fixed = {"level1", "level2", "name", "op", "value", "unit", "target", "side"}
        return tuple(c for c in self.columns if c.key not in fixed)

    def op_display(self, op: str) -> str:
        return self.operators.get(op, op)


def _norm(text: str) -> str:
    return text.strip().replace(" ", "").replace("\u3000", "")


@lru_cache(maxsize=1024)
def _names(name: str, aliases: tuple[str, ...]) -> frozenset[str]:
    out = {_norm(name), *(_norm(a) for a in aliases)}
    if name.endswith("指标") and len(name) > 2:
        out.add(_norm(name[:-2]))
    return frozenset(out)


# --- loading ---------------------------------------------------------------------------


class ProfileError(Exception):
    """A profile file is broken (raised for the CLI to report as a usage problem)."""


def _builtin_dir() -> Any:
    here = Path(__file__).resolve().parent / "data" / "profiles"
    if here.is_dir():  # no importlib.resources (and zipfile) at start
        return here
    from importlib import resources

    return resources.files("perfdsl.data").joinpath("profiles")


def _user_dirs(extra: tuple[str, ...], env: str | None) -> list[Path]:
    dirs = [Path(d) for d in extra]
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    return dirs


def _raw_profiles(extra_dirs: tuple[str, ...]) -> dict[str, tuple[dict[str, Any], str]]:
    # $PERFDSL_PROFILE_PATH is part of the key: a library caller (or a test) that changes it
    # sees the profiles it names, not a cached earlier answer
    return _raw_profiles_for(extra_dirs, os.environ.get("PERFDSL_PROFILE_PATH"))


@lru_cache(maxsize=64)
def _raw_profiles_for(extra_dirs: tuple[str, ...], env: str | None) -> dict[str, tuple[dict[str, Any], str]]:
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for entry in sorted(_builtin_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = load_toml(entry.read_text(encoding="utf-8"), "profile")
            found[data["id"]] = (data, f"{BUILTIN_PREFIX}{entry.name}")
    for d in _user_dirs(extra_dirs, env):
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.toml")):
            try:
                data = load_toml(f.read_text(encoding="utf-8"), "profile")
            except (OSError, ValueError) as exc:  # ValueError: UnicodeDecodeError, TOMLDecodeError
                raise ProfileError(f"模板文件 {f} 无法读取：{exc}") from exc
            pid = data.get("id") or f.stem
            data["id"] = pid
            found[pid] = (data, str(f))
    return found


def _build(data: dict[str, Any], source: str, problems: list[Diagnostic] | None = None,
           owner: dict[str, Any] | None = None) -> Profile:
    """A Profile from merged, schema-checked data. Entries with the wrong shape were
    reported already (profile_load); here they are skipped, so loading never raises."""
    problems = list(problems or ())

    def strs(v: Any) -> tuple[str, ...]:
        return tuple(x for x in v if isinstance(x, str)) if isinstance(v, list | tuple) else ()

    def tables(v: Any) -> list[dict[str, Any]]:
        return [e for e in v if isinstance(e, dict)] if isinstance(v, list) else []

    def text(v: Any, default: str = "") -> str:
        return v if isinstance(v, str) else (str(v) if isinstance(v, int | float) and not isinstance(v, bool) else default)

    hierarchy = tuple(
        Level1(
            name=h["name"], aliases=strs(h.get("aliases")),
            children=tuple(Level2(c["name"], strs(c.get("aliases")), strs(c.get("indicators")))
                           for c in tables(h.get("children")) if isinstance(c.get("name"), str)),
        )
        for h in tables(data.get("hierarchy")) if isinstance(h.get("name"), str)
    )
    fields = tuple(
        FieldSpec(
            key=f["key"], label=text(f.get("label"), f["key"]), type=text(f.get("type"), "text"),
            required=f.get("required") is True, show=f.get("show", True) is not False,
            item_format=text(f.get("item_format"), "{text}"),
            default=f.get("default") if isinstance(f.get("default"), str) else None,
            aliases=strs(f.get("aliases")),
        )
        for f in tables(data.get("fields")) if isinstance(f.get("key"), str)
    )
    columns = tuple(
        ColumnSpec(c["key"], text(c.get("label"), c["key"]), strs(c.get("aliases")), c.get("optional") is True)
        for c in tables(data.get("columns")) if isinstance(c.get("key"), str)
    )
    composites = {k: v for k, v in data.get("composites", {}).items() if isinstance(v, str)} \
        if isinstance(data.get("composites"), dict) else {}
    pid = text(data.get("id"), "?")
    layout, page, lproblems = build_layout(data, {f.key for f in fields}, set(composites), owner or {}, pid)
    problems.extend(lproblems)
    bal = data.get("balance")
    ops = data.get("operators")
    return Profile(
        id=pid, name=text(data.get("name"), pid), kind=text(data.get("kind"), "project"),
        hierarchy_set=text(data.get("hierarchy_set")), title=text(data.get("title")),
        subtitle=text(data.get("subtitle")), title_field=text(data.get("title_field")),
        layout=layout, hierarchy=hierarchy, fields=fields, columns=columns,
        operators={k: v for k, v in ops.items() if isinstance(v, str)} if isinstance(ops, dict) else {},
        aliases=strs(data.get("aliases")),
        money_unit=text(data.get("money_unit"), "万元"),
        allow_unknown_fields=data.get("allow_unknown_fields") is True,
        required_level1=strs(data.get("required_level1")),
        satisfaction_floor=text(data.get("satisfaction_floor"), "85"),
        optional_columns=strs(data["optional_columns"]) if "optional_columns" in data
        else ("权重", "指标方向性", "指标解释", "评分标准", "指标值说明"),
        weight_column=text(data.get("weight_column"), "权重"),
        weight_total=text(data.get("weight_total"), "100"),
        weight_severity=text(data.get("weight_severity"), "warning"),
        bare_equals=data.get("bare_equals") is True,
        budget_field=text(data.get("budget_field")),
        projects_total_field=text(data.get("projects_total_field")),
        project_amount_field=text(data.get("project_amount_field")),
        sums=tuple(SumRule(e["total"], strs(e.get("parts"))) for e in tables(data.get("sums"))
                   if isinstance(e.get("total"), str)),
        balance=(bal["income"], bal["expense"]) if isinstance(bal, dict) and isinstance(bal.get("income"), str)
        and isinstance(bal.get("expense"), str) else None,
        composites=composites,
        counts=tuple((e["count"], e["list"]) for e in tables(data.get("counts"))
                     if isinstance(e.get("count"), str) and isinstance(e.get("list"), str)),
        source=source,
        page=page,
        problems=tuple(problems),
    )


def _load(pid: str, extra_dirs: tuple[str, ...]) -> Profile:
    return _load_for(pid, extra_dirs, os.environ.get("PERFDSL_PROFILE_PATH"))


@lru_cache(maxsize=64)
def _load_for(pid: str, extra_dirs: tuple[str, ...], env: str | None) -> Profile:
    raw = _raw_profiles(extra_dirs)
    data, problems, owner = load_data(pid, raw, DEFAULT_PROFILE)
    return _build(data, raw[pid][1], problems, owner)


def find_profile(name: str, extra_dirs: tuple[str, ...] = ()) -> Profile | None:
    """Look a profile up by id or alias (case-insensitive for ids)."""
    raw = _raw_profiles(extra_dirs)
    if name in raw:
        return _load(name, extra_dirs)
    low = name.strip().lower()
    for pid, (data, _src) in raw.items():
        if pid.lower() == low or name.strip() in data.get("aliases", ()) or name.strip() == data.get("name"):
            return _load(pid, extra_dirs)
    return None


def user_profiles_stamp(extra_dirs: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """What the user profile files in `extra_dirs` (and $PERFDSL_PROFILE_PATH) look like on disk now:
    a long-running process (the language server) compares stamps to see a profile edited."""
    out = []
    for d in _user_dirs(extra_dirs, os.environ.get("PERFDSL_PROFILE_PATH")):
        try:
            entries = sorted(d.glob("*.toml"))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat()
            except OSError:
                continue
            out.append((str(e), st.st_mtime_ns, st.st_size))
    return tuple(out)


def forget_loaded() -> None:
    """Drop every loaded profile, so the next lookup reads the files again."""
    _raw_profiles_for.cache_clear()
    _load_for.cache_clear()


BUILTIN_PREFIX = "内置:"


@lru_cache(maxsize=1)
def builtin_ids() -> frozenset[str]:
    """Ids of the profiles shipped with perfdsl."""
    return frozenset(pid for pid, (_d, src) in _raw_profiles(()).items() if src.startswith(BUILTIN_PREFIX))


def shadows_builtin(profile: Profile) -> bool:
    """True when `profile` comes from a user folder and takes the place of a built-in one."""
    return not profile.source.startswith(BUILTIN_PREFIX) and profile.id in builtin_ids()


def local_profiles_allowed() -> bool:
    """False when $PERFDSL_NO_LOCAL_PROFILES is set (to 1, true, yes or on): then a
    `profiles/` folder found beside the input is not used (the CLI's --no-local-profiles)."""
    return os.environ.get("PERFDSL_NO_LOCAL_PROFILES", "").strip().lower() not in ("1", "true", "yes", "on")


def profile_ids(extra_dirs: tuple[str, ...] = ()) -> list[str]:
    return sorted(_raw_profiles(extra_dirs))


def default_profile(kind: str, extra_dirs: tuple[str, ...] = ()) -> Profile:
    prof = find_profile(DEFAULT_PROFILE[kind], extra_dirs)
    assert prof is not None
    return prof


def resolved_data(name: str, extra_dirs: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The data of profile `name` (id or alias) with everything it `extends` merged in,
    as `perfdsl profiles show` prints it; None when there is no such profile."""
    prof = find_profile(name, extra_dirs)
    if prof is None:
        return None
    data, _problems, _owner = load_data(prof.id, _raw_profiles(extra_dirs), DEFAULT_PROFILE)
    data.pop("extends", None)
    data.pop("replace", None)
    return data


def __getattr__(name: str) -> Any:
    """`perfdsl.profiles.tomllib` still works, but tomllib is imported only when asked for
    (profiles are read through the marshal cache, perfdsl.marshalcache)."""
    if name == "tomllib":
        try:
            import tomllib
        except ModuleNotFoundError:  # pragma: no cover  (Python < 3.11)
            import tomli as tomllib  # type: ignore[no-redef]
        return tomllib
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
