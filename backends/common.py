"""Small helpers every binary backend needs: table order, fixed timestamps, version text.

Kept here once so the DOCX and XLSX writers cannot drift apart on what "reproducible"
means. Nothing here imports an Office library.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from perfdsl.model import Declaration, DeclarationSet

ZIP_EPOCH = 315532800  # 1980-01-01: the earliest time a zip entry can carry


def ordered(dset: DeclarationSet) -> list[Declaration]:
    """部门整体 first, then the projects in their order."""
    dept = [d for d in dset.declarations if d.kind == "department"]
    return dept + [d for d in dset.declarations if d.kind != "department"]


def unit_name(dept: Declaration) -> str:
    """The 部门整体's unit name: its profile's title field (单位名称 in the built-in ones),
    else the declaration's title."""
    key = dept.profile.title_field
    return (dept.text(key).strip() if key else "") or dept.title.strip()


def set_file_name(dset: DeclarationSet) -> str:
    """The file name (without extension) for a declaration set: the 部门整体's unit name,
    else the folder's name (`build .` names after the current folder) or, for a file given
    on its own, the file's name, else the single project's name. Never empty."""
    from pathlib import Path

    dept = dset.department
    if dept is not None:
        name = unit_name(dept)
        if name:
            return name
    root = Path(dset.root) if dset.root else None
    if root is not None:
        named = root.resolve().name if root.is_dir() else root.stem
        if named:
            return named
    if len(dset.projects) == 1 and dset.projects[0].title.strip():
        return dset.projects[0].title.strip()
    return dset.name.strip() or "申报表"


def split_name(base: str, decl_title: str, kind: str) -> str:
    """`--split` file name of one table: base-项目名称 (no leading “-” when base is empty)."""
    title = decl_title.strip()
    if kind == "department" or not title:
        return base or title or "申报表"
    return f"{base}-{title}" if base and base != title else title


def fixed_time(dset: DeclarationSet, epoch: int | None) -> datetime:
    """The document's timestamp: SOURCE_DATE_EPOCH, else 1 January of the set's year (1980 if none).

    Never the clock: the same source must give the same bytes.
    """
    if epoch is not None:
        t = datetime.fromtimestamp(max(int(epoch), ZIP_EPOCH), tz=timezone.utc)
        return t.replace(tzinfo=None)
    year = dset.year.strip()
    y = int(year) if year.isdigit() and 1980 <= int(year) <= 2107 else 1980
    return datetime(y, 1, 1)


def compiler_version(options: Any) -> str:
    """“perfdsl X.Y.Z” from the render options, else from the installed package."""
    v = getattr(options, "compiler_version", "") if options is not None else ""
    if v:
        return v if v.startswith("perfdsl") else f"perfdsl {v}"
    from perfdsl import __version__

    return f"perfdsl {__version__}"
