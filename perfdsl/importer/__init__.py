"""`perfdsl import`: existing Word and Excel declarations → perfdsl text.

`import_bytes(data, name)` checks the file (safety.py), then:
- a file perfdsl wrote carries its canonical JSON (DOCX: a customXml part; XLSX: the very
  hidden `_perfdsl` sheet) and is imported exactly (fromjson.py);
- any other file is read as grids (grid.py), its tables found by their labels and its
  values parsed as people write them (detect.py, values.py, build.py).
The result is formatted text (perfdsl.printer) plus warnings with cell positions;
whatever could not be mapped, was hidden in Word/Excel (not imported), was a formula
without a saved result, or had its digits rewritten is also in the text as comments. Failures raise
`ImportFailure` with a Chinese message. This package must not write files (the command
does that) and must never resolve an XML entity or read anything outside the file.
"""

from __future__ import annotations

import attrs

from perfdsl import ast
from perfdsl.importer.safety import ImportFailure

__all__ = ["ImportFailure", "ImportResult", "import_bytes", "kind_of", "learn_bytes"]


@attrs.frozen
class ImportResult:
    text: str
    warnings: tuple[str, ...]
    exact: bool  # imported from the embedded JSON
    document: ast.Document


def kind_of(name: str, data: bytes) -> str:
    """docx or xlsx, by extension, else by content."""
    low = name.lower()
    for ext in ("docx", "xlsx"):
        if low.endswith("." + ext):
            return ext
    if low.endswith((".docm", ".dotm")):
        return "docx"
    if low.endswith((".xlsm", ".xltm")):
        return "xlsx"
    if low.endswith((".doc", ".xls", ".wps", ".et")):
        return "docx" if low.endswith((".doc", ".wps")) else "xlsx"
    head = data[:65536]
    if b"word/" in head:
        return "docx"
    if b"xl/" in head:
        return "xlsx"
    raise ImportFailure(f"{name}：无法判断文件类型，只支持 Word（.docx）和 Excel（.xlsx）文件。")


def _embedded_docx(data: bytes) -> bytes | None:
    """The DOCX backend's provenance part (called only after safety.open_package passed,
    so no part declares a DOCTYPE or an entity)."""
    from perfdsl.backends.docx import read_embedded_json

    return read_embedded_json(data)


def _embedded_xlsx(rows: list[list[object]] | None) -> bytes | None:
    from perfdsl.backends.xlsx import embedded_json_from_rows

    return embedded_json_from_rows(rows) if rows else None


FLAT_SHEET_NAME = "指标清单"


def _chosen_profile(doc: ast.Document) -> str | None:
    """The profile the form sheets were matched to (their 模板 field), so the 指标清单 is read
    with the same hierarchy (安徽's 满意度指标 › 满意度指标, not the default one)."""
    for decl in doc.declarations:
        for st in decl.body:
            if isinstance(st, ast.Field) and st.key.parts == ("模板",) and st.value is not None:
                return str(st.value.text)
    return None


def _flat_sheet_check(book: object, doc: ast.Document, name: str, profile: object,
                      profile_dirs: tuple[str, ...] = ()) -> int:
    """An XLSX carries its indicators twice (form sheets and the flat 指标清单); a person may
    edit only one. Count the targets that differ, so the edit is not silently dropped."""
    from perfdsl.importer import build, grid
    from perfdsl.importer.compare import flat_sheet_differences

    tables = getattr(book, "tables", [])
    flat = [t for t in tables if t.sheet and FLAT_SHEET_NAME in t.name]
    forms = [t for t in tables if t.sheet and not t.hidden and FLAT_SHEET_NAME not in t.name]
    if not flat or not forms:
        return 0
    try:
        flat_doc, _w, _c = build.document_from_book(grid.Book("xlsx", flat), name, profile, profile_dirs)
    except ImportFailure:  # a 指标清单 with its heading only (a form with no indicators yet)
        flat_doc = ast.Document(name, ())
    return flat_sheet_differences(doc, flat_doc)


def import_bytes(data: bytes, name: str, profile: str | None = None, use_embedded: bool = True,
                 profile_dirs: tuple[str, ...] = ()) -> ImportResult:
    """Import one file's bytes; `name` is used for messages and to tell docx from xlsx.
    `profile_dirs`: the user's profile folders (perfdsl.api.profile_dirs_for), where the
    profile asked for and those a perfdsl-built file names are looked up."""
    from perfdsl.importer import build, fromjson, grid, safety
    from perfdsl.importer.compare import differences
    from perfdsl.importer.ownprofiles import hint_for
    from perfdsl.printer import format_document

    kind = kind_of(name, data)
    parts = safety.open_package(data, kind, name)
    embedded: bytes | None = None
    budget = safety.CellBudget(name)
    if kind == "docx":
        if use_embedded:
            embedded = _embedded_docx(data)
        book = grid.read_docx(parts, name, budget)
    else:
        book, data_rows = grid.read_xlsx(parts, name, budget)
        if use_embedded:
            embedded = _embedded_xlsx(data_rows)
    exact = fromjson.document_from_json(embedded, name) if embedded is not None else None
    hint, missing = hint_for(profile, exact, profile_dirs)
    doc, warnings, comments = build.document_from_book(book, name, hint, profile_dirs)
    flat_changed = _flat_sheet_check(book, doc, name, hint or _chosen_profile(doc), profile_dirs)
    if not flat_changed:  # perfdsl's own 指标清单 says the same as the forms: nothing to report
        warnings = [w for w in warnings if not (FLAT_SHEET_NAME in w and w.endswith(build.DUPLICATE_FLAT))]
    if flat_changed:
        warnings = [f"{name}：工作表“{FLAT_SHEET_NAME}”与各表样中的指标有 {flat_changed} 处不一致，已按表样导入；"
                    f"如以“{FLAT_SHEET_NAME}”为准，请删除表样工作表后再导入", *warnings]
    if exact is not None:
        if hint is not None and hint.forced:
            exact = build.force_profile(exact, hint.profiles[0].id)
        if missing:
            # The tables cannot be read with a profile that is not here: trust the embedded data, say so.
            shown = "、".join(f"“{m}”" for m in missing)
            return ImportResult(format_document(exact), (
                f"{name}：文件由模板{shown}生成，但这里找不到这个模板，无法核对表格在生成后是否被修改过；"
                "已按内嵌数据导入。请把模板放在输出文件旁的 profiles/ 文件夹或用 --profile-dir 指定后重新导入",
                *book.notes), True, exact)
        changed = differences(exact, doc, profile_dirs)
        if not changed and not flat_changed:
            # what was hidden is still reported: it is in the file, just not in its meaning
            hidden = tuple(book.notes)
            return ImportResult(format_document(exact), hidden, True, exact)
        if changed:
            warnings = [f"{name}：文件在 perfdsl 生成后被修改过（表格与内嵌数据有 {changed} 处不同），"
                        "已按表格中看到的内容导入", *warnings]
    unprinted = _unprinted_note(doc, name, profile_dirs)
    if unprinted:
        warnings = [*warnings, unprinted]
    text = build.render_text(doc, comments, name)
    return ImportResult(text, tuple(warnings), False, doc)


def _unprinted_note(doc: ast.Document, name: str, profile_dirs: tuple[str, ...]) -> str:
    """One line naming the fields the form's layout prints nowhere (backends/layout_grid
    decides), which the tables therefore cannot give back; "" when there are none."""
    from perfdsl.backends.layout_grid import unprinted_fields
    from perfdsl.resolve import resolve_document

    resolved, _diags = resolve_document(doc, profile_dirs)
    keys: list[str] = []
    profiles: list[str] = []
    for decl in resolved.declarations:
        gone = unprinted_fields(decl)
        for k in gone:
            if k not in keys:
                keys.append(k)
        if gone and decl.profile.id not in profiles:
            profiles.append(decl.profile.id)
    if not keys:
        return ""
    shown = "、".join(f"“{k}”" for k in keys)
    forms = "、".join(f"“{p}”" for p in profiles)
    return (f"{name}：模板{forms}的表样没有印出字段{shown}，表格中读不到，未导入；"
            "如需要，请在导入后的文本中补上")


def learn_bytes(data: bytes, name: str, profile_id: str, profile_dirs: tuple[str, ...] = ()) -> object:
    """`--new-profile`: a profile (importer.learn.Learned: TOML text and what was guessed)
    learned from the layout of the file's first declaration."""
    from perfdsl.importer import build, grid, learn, safety

    kind = kind_of(name, data)
    parts = safety.open_package(data, kind, name)
    budget = safety.CellBudget(name)
    book = grid.read_docx(parts, name, budget) if kind == "docx" else grid.read_xlsx(parts, name, budget)[0]
    return learn.learn(book, name, profile_id, build.known_profiles(profile_dirs))
