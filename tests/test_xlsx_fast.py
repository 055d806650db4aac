"""The XLSX backend's faster writing gives exactly XlsxWriter's bytes (issue 15, item 6).

backends/xlsx_sheet.FastWorksheet replaces XlsxWriter's per-cell XML loop, and the form
grid is written through XlsxWriter's undecorated writers with merged ranges recorded
directly. Here every workbook is rendered twice, with the fast worksheet and with
XlsxWriter's own, and the bytes must be equal: the examples, a sample of the benchmark
corpus, and a workbook with every kind of cell XlsxWriter knows (the fast loop hands the
kinds it does not write itself back to XlsxWriter). A last test reads the sheet XML and
checks that every cell a merged range covers still carries its border.
"""

from __future__ import annotations

import datetime
import importlib.util
import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from backends import xlsx, xlsx_sheet
from perfdsl import api

from conftest import ROOT


def _corpus_sets(tmp: Path) -> list[Any]:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.generate(tmp, n=6, seed=6)
    paths = [str(ROOT / "examples" / "ningxian-2025"), str(ROOT / "examples" / "mof2021-demo"),
             *sorted(str(p) for p in tmp.iterdir())]
    sets, _diags = api.load_sets(paths)
    assert len(sets) == 8
    return sets


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return _corpus_sets(tmp_path_factory.mktemp("xlsx-corpus"))


class _Options:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.source_date_epoch = None


def _render_stock(dset: Any, options: Any, monkeypatch: pytest.MonkeyPatch) -> bytes:
    with monkeypatch.context() as m:
        m.setattr(xlsx_sheet, "FastWorkbook", xlsx_sheet.stock_workbook())
        return xlsx.render(dset, options)


@pytest.mark.parametrize("dialect", ["native", "fasp2"])
def test_fast_worksheet_writes_xlsxwriters_bytes(sets: list[Any], dialect: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for dset in sets:
        opts = _Options(dialect)
        fast = xlsx.render(dset, opts)
        stock = _render_stock(dset, opts, monkeypatch)
        assert fast == stock, f"{dset.name}: the fast worksheet changed the bytes"


def test_the_stock_switch_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above really uses XlsxWriter's own Worksheet and shared-strings
    writer on one side, and the fast ones on the other."""
    from xlsxwriter.sharedstrings import SharedStrings
    from xlsxwriter.styles import Styles
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    assert not issubclass(xlsx_sheet.stock_workbook(), xlsx_sheet.FastWorkbook)
    assert xlsx_sheet.stock_workbook()._escape_attributes is Workbook._escape_attributes
    sets, _ = api.load_sets([str(ROOT / "examples" / "mof2021-demo")])
    for workbook, sheet_type, sst_type, styles_type in (
            (xlsx_sheet.stock_workbook(), Worksheet, SharedStrings, Styles),
            (xlsx_sheet.FastWorkbook, xlsx_sheet.FastWorksheet, xlsx_sheet.FastSharedStrings, xlsx_sheet.FastStyles)):
        sheets: list[type] = []
        ssts: list[type] = []
        styles: list[type] = []
        orig_close = workbook.close
        orig_sst = SharedStrings._assemble_xml_file
        orig_styles = Styles._assemble_xml_file

        def close(self: Any, sheets: list[type] = sheets, orig_close: Any = orig_close) -> None:
            sheets.extend(type(ws) for ws in self.worksheets())
            orig_close(self)

        def assemble(self: Any, ssts: list[type] = ssts, orig_sst: Any = orig_sst) -> None:
            ssts.append(type(self))
            orig_sst(self)

        def assemble_styles(self: Any, styles: list[type] = styles, orig_styles: Any = orig_styles) -> None:
            styles.append(type(self))
            orig_styles(self)

        with monkeypatch.context() as m:
            m.setattr(xlsx_sheet, "FastWorkbook", workbook)
            m.setattr(workbook, "close", close)
            m.setattr(SharedStrings, "_assemble_xml_file", assemble)
            m.setattr(Styles, "_assemble_xml_file", assemble_styles)
            xlsx.render(sets[0], _Options("native"))
        assert sheets and all(t is sheet_type for t in sheets)
        assert ssts == [sst_type]
        assert styles == [styles_type]


# Strings XlsxWriter escapes or marks in sharedStrings.xml, and ones it does not.
TRICKY_STRINGS = [
    "plain", "中文 文字", "a\x00b", "tab\tinside", "\x1fend", "_x0041_", "a_x00ZZ_b", "x_x1234_y_xABCD_",
    "\ufffe", "a\uffffb", " lead", "trail ", "\u3000全角空格", "全角空格\u3000", "\tlead", "end\n",
    "two\nlines", 'quote"s', "amp & amp", "<tag>", "a>b", "<r>not rich</r>", "\u00a0nbsp", "nbsp\u00a0",
    "\u2028sep", "emoji 😀", "x" * 40, "\r\n", "_x000D_",
]


def _every_kind(workbook_class: type, strings: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    wb = workbook_class(buf, {"in_memory": True})
    wb.set_properties({"created": datetime.datetime(2025, 1, 1)})
    bold = wb.add_format({"bold": True, "border": 1})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("a")
    ws.set_column(3, 3, 20, bold)  # a column format: cells without their own take it
    ws.set_column(5, 7, 12)  # a run of equal columns, and an adjacent equal one joining it
    ws.set_column(8, 8, 12)
    ws.set_column(10, 10, 0.5)  # under one character
    ws.set_column(11, 11, None, None, {"hidden": True})
    ws.set_column(12, 13, 9, None, {"level": 1, "collapsed": True})
    ws.set_column(14, 14, 8.43)  # the default width
    ws.set_column_pixels(15, 15, 0)
    ws.set_row(7, 30, date)  # a row format
    ws.write_string(0, 0, "文字", bold)
    ws.write_string(0, 1, "no format")
    ws.write_number(0, 2, 1.25, bold)
    ws.write_number(0, 3, 3)
    ws.write_blank(1, 0, None, bold)
    ws.write_datetime(2, 0, datetime.datetime(2025, 3, 4), date)
    ws.write_formula(3, 0, "=A1&B1", bold, "x")
    ws.write_formula(3, 1, "=1/0", None, "#DIV/0!")
    ws.write_array_formula(4, 0, 4, 0, "{=SUM(C1:C1)}", bold, 1.25)
    ws.write_boolean(5, 0, True, bold)
    ws.write_rich_string(6, 0, bold, "粗", "细")
    ws.write_string(7, 5, "row format")
    ws.merge_range(8, 0, 9, 3, "合并", bold)
    ws.write_string(40, 20, "far away", bold)  # a second block of 16 rows, wider spans
    ws.set_row(30, 40)  # a row with height only
    ws.write_string(31, 0, "hidden row", bold)
    ws.set_row(31, None, None, {"hidden": True})
    ws.write_string(32, 0, "outline", bold)
    ws.set_row(32, 15, None, {"level": 2, "collapsed": True})
    ws.merge_range(33, 1, 34, 30, "wide merge", bold)  # columns beyond Z in a merged range
    ws.set_default_row(18)  # every row without its own height gets a custom one
    ws4 = wb.add_worksheet("2010")
    ws4.write_number(0, 0, 5, bold)
    ws4.conditional_format(0, 0, 0, 0, {"type": "data_bar", "data_bar_2010": True})  # x14ac:dyDescent rows
    ws2 = wb.add_worksheet("b")
    ws2.write_comment(0, 0, "a comment")  # comments: the whole loop falls back
    ws2.write_string(0, 0, "with comment", bold)
    wb.add_worksheet("empty")
    ws3 = wb.add_worksheet("strings")
    for i, text in enumerate(TRICKY_STRINGS if strings is None else strings):
        ws3.write_string(i, 0, text, bold)
        ws3.write_string(i, 1, text)
    ws3.write_rich_string(0, 2, "a ", bold, "rich", " string")
    wb.close()
    return buf.getvalue()


def test_every_cell_kind_same_bytes() -> None:
    fast = _every_kind(xlsx_sheet.FastWorkbook)
    assert fast == _every_kind(xlsx_sheet.stock_workbook())
    sst = zipfile.ZipFile(io.BytesIO(fast)).read("xl/sharedStrings.xml").decode()
    # the tricky strings really reached the table, escaped by XlsxWriter's rules
    assert "_x005F_x0041_" in sst and "a_x0000_b" in sst and '<t xml:space="preserve"> lead</t>' in sst
    assert "<si><r>not rich</r></si>" in sst and "_xFFFE_" in sst and "amp &amp; amp" in sst


def test_plain_shared_strings_are_what_xlsxwriter_writes() -> None:
    """Every string the fast writer writes itself (`_plain_si`) is written by XlsxWriter's
    own `_write_si` as `<si><t>string</t></si>`: every character of the Basic Multilingual
    Plane and a few beyond, alone, inside, leading and trailing, and the `_xHHHH_` forms."""
    from xlsxwriter.sharedstrings import SharedStrings

    sst = SharedStrings()

    def stock(text: str) -> str:
        buf = io.StringIO()
        sst.fh = buf
        sst._write_si(text)
        return buf.getvalue()

    plain = 0
    chars = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF] + ["😀", "\U0010FFFF"]
    for ch in chars:
        for text in (ch, f"a{ch}b", f"{ch}b", f"a{ch}", f"_x00{ch}1_", f"_x{ch}{ch}{ch}{ch}_"):
            if xlsx_sheet._plain_si(text):
                plain += 1
                assert stock(text) == f"<si><t>{text}</t></si>", repr(text)
    assert plain > 300000
    assert not xlsx_sheet._plain_si("_x004a_") and xlsx_sheet._plain_si("_x004g_")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab_x0F9 \t\n\r\x00\x07\x1f\x7f&<>\"'中\u3000\u00a0"
                                                      "\ufffe\uffff")), max_size=12),
                min_size=1, max_size=8))
def test_shared_strings_same_bytes_for_any_text(strings: list[str]) -> None:
    """Any text, control characters and escapes included, gives XlsxWriter's own sharedStrings.xml."""
    assert _every_kind(xlsx_sheet.FastWorkbook, strings) == _every_kind(xlsx_sheet.stock_workbook(), strings)


def test_the_workbook_store_mirrors_the_installed_xlsxwriter() -> None:
    """FastWorkbook._store_workbook repeats XlsxWriter 3.3's steps; on another version it
    steps aside (XlsxWriter's own is used). This fails then, so that the steps are compared
    with the new version's and the check moved on."""
    import xlsxwriter

    assert xlsx_sheet.MIRRORED_STORE, f"XlsxWriter {xlsxwriter.__version__}: compare FastWorkbook._store_workbook"


def test_repeating_parts_are_zipped_as_zipfile_zips_them() -> None:
    """_PartsZip stores a part it takes from its cache of deflated parts byte for byte as
    ZipFile.writestr stores it: the first time (deflated), the second (from the cache), next
    to parts it leaves to ZipFile, empty and incompressible ones included."""
    parts = [("[Content_Types].xml", b"<Types>" + b"<Default/>" * 40 + b"</Types>"), ("xl/worksheets/sheet1.xml", b"x" * 999),
             ("xl/theme/theme1.xml", bytes(range(256)) * 30), ("xl/styles.xml", b""), ("_rels/.rels", "中".encode() * 9)]

    def build(zip_class: Any) -> bytes:
        buf = io.BytesIO()
        with zip_class(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in parts:
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        return buf.getvalue()

    xlsx_sheet._DEFLATED.clear()
    first = build(xlsx_sheet._PartsZip)
    assert len(xlsx_sheet._DEFLATED) == 4  # the four repeating parts, not the sheet
    again = build(xlsx_sheet._PartsZip)
    assert first == again == build(zipfile.ZipFile)
    with zipfile.ZipFile(io.BytesIO(again)) as zf:
        assert zf.testzip() is None and [zf.read(n) for n, _ in parts] == [d for _, d in parts]


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _borders(zf: zipfile.ZipFile) -> list[int]:
    """Border id of each cell style (xf) in styles.xml, plus whether that border is a full box."""
    root = ET.fromstring(zf.read("xl/styles.xml"))
    boxes = []
    for b in root.find("m:borders", _NS) or []:
        sides = [b.find(f"m:{k}", _NS) for k in ("left", "right", "top", "bottom")]
        boxes.append(all(x is not None and x.get("style") for x in sides))
    xfs = root.find("m:cellXfs", _NS)
    assert xfs is not None
    return [int(boxes[int(x.get("borderId", "0"))]) for x in xfs]


def test_merged_cells_keep_their_borders(sets: list[Any]) -> None:
    """Every cell a merged range covers is written with the range's border, so Excel, WPS and
    LibreOffice draw the whole outline (openpyxl would hide a missing one: it re-draws
    merged outlines from the first cell, so this reads the sheet XML itself)."""
    checked = 0
    for dset in sets[:3]:
        zf = zipfile.ZipFile(io.BytesIO(xlsx.render(dset, _Options("native"))))
        boxed = _borders(zf)
        for name in zf.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            root = ET.fromstring(zf.read(name))
            style = {c.get("r"): int(c.get("s", "0")) for c in root.iter(f"{{{_NS['m']}}}c")}
            for mc in root.iter(f"{{{_NS['m']}}}mergeCell"):
                first, last = mc.get("ref", "").split(":")
                (c1, r1), (c2, r2) = coordinate_to_tuple(first)[::-1], coordinate_to_tuple(last)[::-1]
                if not boxed[style[first]]:
                    continue  # a title or note line above/below the table: no border by design
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        ref = f"{get_column_letter(c)}{r}"
                        assert ref in style and boxed[style[ref]], f"{dset.name} {name} {ref} in {mc.get('ref')} has no border"
                        checked += 1
    assert checked > 100


def test_profile_column_index_matches_a_linear_scan() -> None:
    """Profile.column uses an index built once (it was a scan per call, the XLSX flat sheet's
    largest cost); it must answer exactly as the scan did: first column claiming the name,
    spaces and 全角 spaces ignored."""
    from perfdsl.profiles import _norm, builtin_ids, find_profile

    def scan(prof: Any, key: str) -> Any:
        k = _norm(key)
        for col in prof.columns:
            if k in {_norm(col.key), _norm(col.label), *(_norm(a) for a in col.aliases)}:
                return col
        return None

    asked = 0
    for pid in sorted(builtin_ids()):
        prof = find_profile(pid)
        assert prof is not None
        for col in prof.columns:
            for name in (col.key, col.label, *col.aliases):
                for variant in (name, f" {name}\u3000", name[:1] + " " + name[1:], name + "x"):
                    assert prof.column(variant) is scan(prof, variant), (pid, variant)
                    asked += 1
    assert asked > 100


# --- the direct cell storage against XlsxWriter's public calls ------------------------------


def _public_line(ws: Any, row: int, ncol: int, text: str, fmt: Any, height: float) -> None:
    """xlsx._line written with XlsxWriter's public, checked calls only."""
    if ncol > 1:
        ws.merge_range(row, 0, row, ncol - 1, "", fmt)
    ws.write_string(row, 0, text, fmt)
    ws.set_row(row, height)


def _public_flat_heads(ws: Any, heads: Any, fmt: Any) -> None:
    """xlsx._flat_heads written with XlsxWriter's public calls only."""
    for c, h in enumerate(heads):
        ws.write_string(0, c, h, fmt)


def _public_set_widths(ws: Any, widths: Any) -> None:
    """xlsx._set_widths written with XlsxWriter's public calls only."""
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)


def _short_sheets(rows: int) -> type:
    """FastWorkbook whose sheets end after `rows` rows (to reach the checked writers)."""

    class Short(xlsx_sheet.FastWorksheet):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.xls_rowmax = rows

    class ShortBook(xlsx_sheet.FastWorkbook):  # type: ignore[misc, name-defined]
        worksheet_class = Short

    return ShortBook


def test_rendered_rows_next_to_xlsxwriters_row_settings() -> None:
    """Rows rendered when stored (xlsx._line on our worksheet) and rows XlsxWriter writes
    itself on the same sheet: a row format over a rendered row, a row with only a height,
    a rendered row in a second block of 16 rows; the same bytes as XlsxWriter's own calls."""

    def book(workbook_class: Any, line: Any) -> bytes:
        buf = io.BytesIO()
        wb = workbook_class(buf, {"in_memory": True})
        wb.set_properties({"created": datetime.datetime(2025, 1, 1)})
        fmt = wb.add_format({"bold": True, "border": 1})
        tall = wb.add_format({"italic": True})
        ws = wb.add_worksheet("a")
        line(ws, 0, 4, "标题", fmt, 30)
        line(ws, 2, 4, "说明", fmt, 18)
        line(ws, 20, 3, "第二块", fmt, 18)
        ws.set_row(2, 25, tall)
        ws.set_row(5, 40)
        wb.close()
        return buf.getvalue()

    fast = book(xlsx_sheet.FastWorkbook, xlsx._line)
    assert fast == book(xlsx_sheet.stock_workbook(), _public_line)
    sheet = zipfile.ZipFile(io.BytesIO(fast)).read("xl/worksheets/sheet1.xml").decode()
    assert '<row r="6" spans="1:4" ht="39.75" customHeight="1"/>' in sheet  # only a height
    assert '<row r="3" spans="1:4" s="2" customFormat="1"' in sheet and '<row r="21" spans="1:3"' in sheet


@pytest.mark.parametrize("rowmax", [None, 25])
def test_direct_storage_is_xlsxwriters_public_calls(sets: list[Any], rowmax: int | None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The form grids and the flat sheet stored directly give the bytes XlsxWriter's own
    checked calls give, also where a sheet ends before the grid does (rowmax 25)."""
    if rowmax is not None:
        monkeypatch.setattr(xlsx_sheet, "FastWorkbook", _short_sheets(rowmax))
    for dialect in ("native", "fasp2"):
        for dset in sets:
            opts = _Options(dialect)
            direct = xlsx.render(dset, opts)
            with monkeypatch.context() as m:
                # (xlsx's own fallbacks are written with XlsxWriter's public, checked calls only)
                m.setattr(xlsx, "_write_grid", xlsx._grid_checked)
                m.setattr(xlsx, "_flat_cells", lambda ws, fm, rows, ncols: xlsx._flat_checked(ws, fm, rows))
                m.setattr(xlsx, "_line", _public_line)
                m.setattr(xlsx, "_flat_heads", _public_flat_heads)
                m.setattr(xlsx, "_set_widths", _public_set_widths)
                public = xlsx.render(dset, opts)
            assert direct == public, f"{dset.name} ({dialect}, rowmax {rowmax}): direct storage changed the bytes"


def test_display_width_counts_wide_characters() -> None:
    """xlsx.display_width (row heights) counts every character above U+2E7F twice, every
    other once, as the per-character definition it replaced: all code points, and mixes."""
    import random

    def per_char(text: str) -> int:
        return sum(2 if ord(c) > 0x2E7F else 1 for c in text)

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    assert all(xlsx.display_width(c) == per_char(c) for c in chars)
    rnd = random.Random(15)
    near = [chr(c) for c in range(0x2E70, 0x2E90)] + ["a", "中", "\n", "１", "😀"]
    for _ in range(3000):
        text = "".join(rnd.choice(near) for _ in range(rnd.randint(0, 20)))
        assert xlsx.display_width(text) == per_char(text)
    assert xlsx.display_width("产出ab") == 6 and xlsx.display_width("") == 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_build_with_workers_imports_xlsxwriter_before_forking(jobs: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`build -j N` (N > 1) imports XlsxWriter in the parent (`xlsx.preload`) before the
    workers fork, so they share the import instead of each paying for it; `-j 1` renders in
    the one process and needs no preload. The output is the same either way."""
    import perfdsl.backends.xlsx as installed

    from conftest import run_cli

    calls: list[int] = []
    real = installed.preload
    monkeypatch.setattr(installed, "preload", lambda: (calls.append(1), real())[1])
    examples = [str(p) for p in sorted((ROOT / "examples").iterdir()) if p.is_dir()]
    run = run_cli("build", "-j", jobs, "--to", "xlsx", "-o", str(tmp_path / jobs), *examples)
    assert run.code == 0, run.err
    assert calls == ([1] if jobs == "2" else [])
    built = sorted((tmp_path / jobs).glob("*.xlsx"))
    assert len(built) >= len(examples)
    if jobs == "2":
        import sys

        assert "xlsxwriter.workbook" in sys.modules


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a1 中１😀\t")), max_size=40), st.integers(1, 90))
def test_a_short_paragraph_needs_one_line(text: str, cap: int) -> None:
    """The grid writer measures no one-paragraph cell of at most cap/2 characters without a
    line break: each character is at most two wide, so it needs one line."""
    if 2 * len(text) <= cap:
        assert xlsx._count_lines((text,), cap) == 1
