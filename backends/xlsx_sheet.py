"""A faster XlsxWriter worksheet writer for the XLSX backend, same bytes.

XlsxWriter writes every cell through a general-purpose routine (`_write_cell`): a list
of attribute pairs, a class-name dispatch over nine cell kinds, attribute escaping, one
file write per cell. The form sheets are mostly formatted blank cells (every cell a
merged range covers carries the border) and shared-string cells, so that routine is
most of the time `Workbook.close()` takes. `FastWorksheet` overrides the row loop for
exactly the three cell kinds the backend writes (blank, shared string, number) when they
have a cell format, and hands every other cell, and every row element, to XlsxWriter's
own code. It writes the same XML, character for character: `<c r="B3" s="5"/>`,
`<c r="B3" s="5" t="s"><v>12</v></c>`, `<c r="B3" s="5"><v>{number:.16G}</v></c>`.
tests/test_xlsx_fast.py renders workbooks with both classes and compares the bytes;
tests/test_byte_identical.py holds the examples to their committed hashes.

Rendered rows (`FastWorksheet.xml_rows`): the backend may hand a whole row over as its
cells' XML, rendered when the cells are stored (`CellXml` gives the per-format texts),
instead of storing cell tuples that this loop would turn into the same XML later. Such a
row is written between XlsxWriter's own `<row>` attributes and `</row>`.

Imported only inside `backends.xlsx.render` (XlsxWriter is imported lazily).
"""

from __future__ import annotations

import re
import zlib
from io import StringIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.styles import Styles
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, RowInfo, Worksheet

# A string XlsxWriter would change on the way out, or give an attribute: control characters
# and their `_xHHHH_` escapes, U+FFFE/U+FFFF, XML specials (XlsxWriter's own test for
# escaping also looks for `"` and newlines), leading or trailing whitespace (xml:space;
# `str.isspace` is what `\s` matches), and rich strings (they start with `<r>`, caught by
# `<`). Such strings go to XlsxWriter's own `_write_si`; every other string is written
# exactly as it would write it.
_SI_SPECIAL_CHARS = re.compile(r'[\x00-\x08\x0b-\x1f\ufffe\uffff"&<>\n]')
_SI_ESCAPE = re.compile(r"_x[0-9a-fA-F]{4}_")
# ASCII characters _SI_SPECIAL_CHARS does not match
_ASCII_PLAIN = bytes(c for c in range(128) if _SI_SPECIAL_CHARS.match(chr(c)) is None)


def _plain_si(string: str) -> bool:
    """True if XlsxWriter writes `string` in sharedStrings.xml as `<si><t>string</t></si>`.

    A printable string (`str.isprintable`) has no control character, no newline and no
    U+FFFE/U+FFFF, so only `"&<>` remain to look for, with C string searches (the embedded
    JSON's base64 chunks are 32,000 characters each)."""
    if string[:1].isspace() or string[-1:].isspace():
        return False
    if "_x" in string and _SI_ESCAPE.search(string) is not None:
        return False
    if string.isascii():  # one C pass: is anything left once the plain characters are deleted?
        return not string.encode("ascii").translate(None, _ASCII_PLAIN)
    if string.isprintable():
        return not ("&" in string or "<" in string or ">" in string or '"' in string)
    return _SI_SPECIAL_CHARS.search(string) is None


_PLAIN: dict[str, bool] = {}


def _plain_cached(string: str) -> bool:
    """_plain_si, remembered for short strings (labels and names repeat from one workbook to
    the next)."""
    got = _PLAIN.get(string)
    if got is None:
        got = _plain_si(string)
        if len(string) <= 200:
            if len(_PLAIN) >= 65536:
                _PLAIN.clear()
            _PLAIN[string] = got
    return got


class _NumberAttributes:
    """XMLwriter._escape_attributes without an exception per number: XlsxWriter tests every
    attribute value with a regular expression and returns a number unchanged from the
    TypeError that raises (column widths, style indexes: some 300 per workbook)."""

    def _escape_attributes(self, attribute: Any) -> Any:
        if isinstance(attribute, str):
            return super()._escape_attributes(attribute)  # type: ignore[misc]
        return attribute


_COL_NAMES: list[list[str]] = [[]]


def col_names(n: int) -> list[str]:
    """Column letters of columns 0..n-1 (and maybe more): A, B, …, Z, AA, … (A longer list
    replaces the shared one whole, so a render in another thread never sees it half built.)"""
    names = _COL_NAMES[0]
    if len(names) < n:
        names = [xl_col_to_name(c) for c in range(max(n, 64))]
        _COL_NAMES[0] = names
    return names


class CellXml:
    """The text after a cell's reference, per cell format, as Worksheet._write_cell writes
    it: `" s="5"/>` for a blank, `" s="5" t="s"><v>` for a shared string (then its index
    and `</v></c>`), `" s="5"><v>` for a number (then `{number:.16G}</v></c>`). One per
    workbook (FastWorkbook gives its sheets its own), keyed by the formats' ids (they live
    as long as the workbook).

    Ordering: XlsxWriter numbers a format (its xf index, `Format._get_xf_index`) at its
    first use while it writes the sheets: sheet by sheet, row by row, left to right. A text
    here takes the index when it is first asked for, so a backend rendering rows must ask
    in that same order (tests/test_xlsx_fast.py compares the bytes with XlsxWriter's)."""

    def __init__(self) -> None:
        self.blank: dict[int, str] = {}
        self.string: dict[int, str] = {}
        self.number: dict[int, str] = {}
        self._heights: dict[int, tuple[Any, list[Any]]] = {}

    def set_height(self, ws: Any, row: int, pixels: int) -> None:
        """As ws.set_row(row, height) stores a row inside the sheet with no format or
        options (`pixels`: the height as set_row converts it); rows of one height share
        their (never modified) RowInfo."""
        got = self._heights.get(pixels)
        if got is None:
            got = self._heights[pixels] = (RowInfo(height=pixels, row_format=None, hidden=False, level=0,
                                                   collapsed=False), [pixels, False])
        ws.row_info[row] = got[0]
        ws.row_sizes[row] = got[1]

    def blank_end(self, fmt: Any) -> str:
        end = self.blank.get(id(fmt))
        if end is None:
            end = self.blank[id(fmt)] = f'" s="{fmt._get_xf_index()}"/>'
        return end

    def string_end(self, fmt: Any) -> str:
        end = self.string.get(id(fmt))
        if end is None:
            end = self.string[id(fmt)] = f'" s="{fmt._get_xf_index()}" t="s"><v>'
        return end

    def number_end(self, fmt: Any) -> str:
        end = self.number.get(id(fmt))
        if end is None:
            end = self.number[id(fmt)] = f'" s="{fmt._get_xf_index()}"><v>'
        return end


def renders_rows(ws: Any) -> bool:
    """True if `ws` takes rendered rows (a FastWorksheet outside constant_memory mode)."""
    return isinstance(ws, FastWorksheet) and not ws.constant_memory


def number_formats_in_order(ws: Any, first_row: int, last_row: int) -> None:
    """Number (`_get_xf_index`) the formats of the cells stored in rows first_row..last_row
    of `ws`'s cell table, in the order XlsxWriter's writer would: row by row, left to right.
    For cells a backend stored through XlsxWriter's own calls on a sheet whose other rows
    it renders (CellXml: an index is taken when a row is rendered, not when written)."""
    table = ws.table
    for r in range(first_row, last_row + 1):
        cells = table.get(r)
        if cells:
            for c in sorted(cells):
                fmt = getattr(cells[c], "format", None)
                if fmt is not None:
                    fmt._get_xf_index()


class FastWorksheet(_NumberAttributes, Worksheet):  # type: ignore[misc]
    """XlsxWriter's Worksheet with a faster `<sheetData>` loop (identical output) and rows
    stored as rendered XML (`xml_rows`)."""

    def __init__(self) -> None:
        super().__init__()
        # row -> (first column, last column, the row's cells as XML); a row is either here
        # or in `table`, never in both
        self.xml_rows: dict[int, tuple[int, int, str]] = {}
        self.cell_xml = CellXml()

    def _calculate_spans(self) -> None:
        # Same result as Worksheet._calculate_spans: per block of 16 rows, "min:max" of
        # the used columns (1-based). Comments fall back to the original.
        if self.comments or self.constant_memory:
            super()._calculate_spans()
            return
        spans: dict[int, str] = {}
        lo: int | None = None
        hi = 0
        table = self.table
        rendered = self.xml_rows
        if not any(table.values()):  # rendered rows only: their first and last columns, per block
            blocks: dict[int, tuple[int, int]] = {}
            for row_num, (a, b, _xml) in rendered.items():
                got = blocks.get(row_num // 16)
                blocks[row_num // 16] = (a, b) if got is None else (min(got[0], a), max(got[1], b))
            self.row_spans = {k: f"{a + 1}:{b + 1}" for k, (a, b) in blocks.items()}
            return
        last = self.dim_rowmax
        for row_num in range(self.dim_rowmin, last + 1):
            cells = table.get(row_num)
            got = rendered.get(row_num)
            if cells or got is not None:
                if got is not None:
                    a, b = got[0], got[1]
                else:
                    a = min(cells)
                    b = max(cells)
                if lo is None:
                    lo, hi = a, b
                else:
                    lo = min(lo, a)
                    hi = max(hi, b)
            if (row_num + 1) % 16 == 0 or row_num == last:
                if lo is not None:
                    spans[int(row_num / 16)] = f"{lo + 1}:{hi + 1}"
                    lo = None
        self.row_spans = spans

    def _row_tail(self, spans: str | None, info: Any) -> str | None:
        """The attributes after `r` of a `<row>` element, as Worksheet._write_row writes
        them, or None for a row with a row format (left to XlsxWriter)."""
        if info is None:
            height, hidden, level, collapsed = None, 0, 0, 0
        else:
            if info.row_format:
                return None
            height, hidden, level, collapsed = info.height, info.hidden, info.level, info.collapsed
        if height is None:
            height = self.default_row_height
        tail = f' spans="{spans}"' if spans else ""
        custom = height != self.original_row_height or height != self.default_row_height
        if custom:
            tail += f' ht="{height * 0.75:.16g}"'
        if hidden:
            tail += ' hidden="1"'
        if custom:
            tail += ' customHeight="1"'
        if level:
            tail += f' outlineLevel="{level}"'
        if collapsed:
            tail += ' collapsed="1"'
        if self.excel_version == 2010:
            tail += ' x14ac:dyDescent="0.25"'
        return tail

    def _write_cols(self) -> None:
        # As Worksheet._write_cols: runs of adjacent columns with equal ColumnInfo, each a
        # <col> element. Columns with a format go to XlsxWriter's _write_col_info.
        info = self.col_info
        if not info:
            return
        out = ["<cols>"]
        run: list[Any] = []  # [first, last, ColumnInfo]
        for col in sorted(info):
            opts = info[col]
            if run and col == run[1] + 1 and opts == run[2]:
                run[1] = col
                continue
            if run:
                out.append(self._col_xml(*run))
            run = [col, col, opts]
        out.append(self._col_xml(*run))
        out.append("</cols>")
        self.fh.write("".join(out))

    def _col_xml(self, first: int, last: int, opts: Any) -> str:
        """The <col> element Worksheet._write_col_info writes."""
        if opts.column_format:
            buf, self.fh = self.fh, StringIO()
            try:
                self._write_col_info(first, last, opts)
                return self.fh.getvalue()
            finally:
                self.fh = buf
        width = opts.width
        custom = True
        if width is None:
            if not opts.hidden:
                width = self.default_col_width
                custom = False
            else:
                width = 0
        elif width == self.default_col_width:
            custom = False
        char_width = (width * 256 // self.max_digit_width) / 256.0
        return "".join((f'<col min="{first + 1}" max="{last + 1}" width="{char_width:.16g}"',
                        ' hidden="1"' if opts.hidden else "", ' bestFit="1"' if opts.autofit else "",
                        ' customWidth="1"' if custom else "",
                        f' outlineLevel="{opts.level}"' if opts.level else "",
                        ' collapsed="1"' if opts.collapsed else "", "/>"))

    def _write_merge_cells(self) -> None:
        merged = self.merge
        if not merged:
            return
        names: dict[int, str] = {}
        out = [f'<mergeCells count="{len(merged)}">']
        for r1, c1, r2, c2 in merged:
            a = names.get(c1) or names.setdefault(c1, xl_col_to_name(c1))
            b = names.get(c2) or names.setdefault(c2, xl_col_to_name(c2))
            out.append(f'<mergeCell ref="{a}{r1 + 1}:{b}{r2 + 1}"/>')
        out.append("</mergeCells>")
        self.fh.write("".join(out))

    def _write_rows(self) -> None:
        if self.comments or self.constant_memory or self.dim_rowmax is None:
            if self.xml_rows:
                raise ValueError("rendered rows on a sheet with comments or in constant_memory mode")
            super()._write_rows()
            return
        self._calculate_spans()
        table = self.table
        if not any(table.values()):
            self._write_rendered_rows()
            return
        row_info = self.row_info
        row_spans = self.row_spans
        colmin, colmax = self.dim_colmin, self.dim_colmax
        names = {c: xl_col_to_name(c) for c in range(colmin, colmax + 1)}
        xf: dict[int, int] = {}

        def xf_index(fmt: Any) -> int:
            s = xf.get(id(fmt))
            if s is None:
                s = xf[id(fmt)] = fmt._get_xf_index()
            return s

        blank_end: dict[int, str] = {}
        shared: dict[int, str] = {}  # id of a blank cell -> the text after its reference
        string_end: dict[int, str] = {}
        number_end: dict[int, str] = {}
        write = self.fh.write
        slow = super()._write_cell
        tails: dict[Any, Any] = {}
        rendered = self.xml_rows
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            info = row_info.get(row_num)
            got = rendered.get(row_num)
            if not cells and got is None:
                if info is not None:
                    self._write_empty_row(row_num, row_spans.get(int(row_num / 16)), info)
                continue
            r = str(row_num + 1)
            spans = row_spans.get(int(row_num / 16))
            key = (spans, id(info))  # (RowInfo objects stay in row_info, so their ids are theirs)
            tail = tails.get(key, False)
            if tail is False:
                tail = tails[key] = self._row_tail(spans, info)
            out: list[str] = []
            if tail is None:
                self._write_row(row_num, spans, info)
            else:
                out.append(f'<row r="{r}"{tail}>')
            if got is not None:
                if cells:
                    raise ValueError(f"row {row_num} stored both rendered and as cells")
                out.append(got[2])
                out.append("</row>")
                write("".join(out))
                continue
            for col_num in sorted(cells):
                cell = cells[col_num]
                end = shared.get(id(cell))
                if end is not None:  # a blank cell object the backend stores many times
                    out.append(f'<c r="{names[col_num]}{r}{end}')
                    continue
                kind = type(cell)
                fmt = cell[-1] if kind is CellBlankTuple or kind is CellStringTuple or kind is CellNumberTuple \
                    else None
                if fmt is None:
                    if out:
                        write("".join(out))
                        out.clear()
                    slow(row_num, col_num, cell)
                    continue
                # the text after the cell reference, per format (its xf index is taken at
                # the format's first cell, in XlsxWriter's order)
                if kind is CellBlankTuple:
                    end = blank_end.get(id(fmt))
                    if end is None:
                        end = blank_end[id(fmt)] = f'" s="{xf_index(fmt)}"/>'
                    shared[id(cell)] = end  # (the table keeps the cell alive while this runs)
                    out.append(f'<c r="{names[col_num]}{r}{end}')
                elif kind is CellStringTuple:
                    end = string_end.get(id(fmt))
                    if end is None:
                        end = string_end[id(fmt)] = f'" s="{xf_index(fmt)}" t="s"><v>'
                    out.append(f'<c r="{names[col_num]}{r}{end}{cell[0]}</v></c>')
                else:
                    end = number_end.get(id(fmt))
                    if end is None:
                        end = number_end[id(fmt)] = f'" s="{xf_index(fmt)}"><v>'
                    out.append(f'<c r="{names[col_num]}{r}{end}{cell[0]:.16G}</v></c>')
            out.append("</row>")
            write("".join(out))


    def _write_rendered_rows(self) -> None:
        """_write_rows for a sheet whose rows are all rendered (no cell tuples): the rows
        joined and written at once."""
        row_info = self.row_info
        row_spans = self.row_spans
        rendered = self.xml_rows
        tails: dict[Any, Any] = {}
        out: list[str] = []
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            got = rendered.get(row_num)
            info = row_info.get(row_num)
            spans = row_spans.get(int(row_num / 16))
            if got is None:
                if info is not None:
                    self.fh.write("".join(out))
                    out.clear()
                    self._write_empty_row(row_num, spans, info)
                continue
            key = (spans, id(info))  # (RowInfo objects stay in row_info, so their ids are theirs)
            tail = tails.get(key, False)
            if tail is False:
                tail = tails[key] = self._row_tail(spans, info)
            if tail is None:
                self.fh.write("".join(out))
                out.clear()
                self._write_row(row_num, spans, info)
                out.append(f"{got[2]}</row>")
            else:
                out.append(f'<row r="{row_num + 1}"{tail}>{got[2]}</row>')
        self.fh.write("".join(out))


class FastSharedStrings(_NumberAttributes, SharedStrings):  # type: ignore[misc]
    """XlsxWriter's sharedStrings.xml writer with a faster `<si>` loop (identical output).

    XlsxWriter escapes every string with four regular expressions and a list of
    attributes; a string none of them would touch is
    written as `<si><t>…</t></si>` directly (`_plain_si`), any other through XlsxWriter's
    `_write_si`."""

    def _write_sst_strings(self) -> None:
        write = self.fh.write
        plain = _plain_cached
        slow = self._write_si
        out: list[str] = []
        for string in self.string_table.string_array:
            if plain(string):
                out.append(f"<si><t>{string}</t></si>")
                continue
            if out:
                write("".join(out))
                out.clear()
            slow(string)
        if out:
            write("".join(out))


class FastStyles(_NumberAttributes, Styles):  # type: ignore[misc]
    """XlsxWriter's styles.xml writer, numbers in attributes without an exception each."""


class FastPackager(Packager):  # type: ignore[misc]
    """XlsxWriter's Packager writing sharedStrings.xml with `FastSharedStrings` and
    styles.xml with `FastStyles`."""

    shared_strings_class: Any = FastSharedStrings
    styles_class: Any = FastStyles

    def _write_styles_file(self) -> None:
        # as Packager._write_styles_file, with the class above
        wb = self.workbook
        styles = self.styles_class()
        styles._set_style_properties([wb.xf_formats, wb.palette, wb.font_count, wb.num_formats, wb.border_count,
                                      wb.fill_count, wb.custom_colors, wb.dxf_formats, wb.has_comments])
        styles._set_xml_writer(self._filename("xl/styles.xml"))
        styles._assemble_xml_file()

    def _write_shared_strings_file(self) -> None:
        # as Packager._write_shared_strings_file, with the faster writer
        if not self.workbook.str_table.count:
            return
        sst = self.shared_strings_class()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


# FastWorkbook._store_workbook repeats the steps of XlsxWriter 3.3's Workbook._store_workbook
# (tests/test_xlsx_fast.py fails on another version, so that the steps are checked again).
MIRRORED_STORE = xlsxwriter.__version__.split(".")[:2] == ["3", "3"]

# Parts that come out byte for byte the same in most workbooks: their deflated bytes are
# kept (keyed by the part's bytes; at most 64 variants).
_REPEATING_PARTS = frozenset({"[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels",
                              "xl/theme/theme1.xml", "xl/styles.xml"})
_DEFLATED: dict[bytes, tuple[int, bytes]] = {}


class _PartsZip(ZipFile):
    """The ZipFile Workbook._store_workbook writes, taking the deflated bytes of a part it
    has deflated before (`_REPEATING_PARTS`) from `_DEFLATED` instead of deflating it again.
    Such a part is stored exactly as ZipFile.writestr stores it: one zlib stream at the
    default level (zipfile's compressor for ZIP_DEFLATED), its CRC-32, the local header
    written with the final CRC and sizes (writestr writes it first with zeros and then over
    them, on a seekable file), the entry recorded for the central directory.
    tests/test_xlsx_fast.py compares the bytes with ZipFile's own."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,
                 compresslevel: Any = None) -> None:
        zinfo = zinfo_or_arcname
        if (not isinstance(zinfo, ZipInfo) or zinfo.filename not in _REPEATING_PARTS or not isinstance(data, bytes)
                or compress_type is not None or compresslevel is not None or zinfo.compress_type != ZIP_DEFLATED
                or zinfo._compresslevel is not None or not self._seekable or self._writing or not self.fp
                or len(data) > 1 << 20):
            super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)
            return
        got = _DEFLATED.get(data)
        if got is None:
            deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            got = (zlib.crc32(data), deflate.compress(data) + deflate.flush())
            if len(_DEFLATED) >= 64:
                _DEFLATED.clear()
            _DEFLATED[data] = got
        with self._lock:
            zinfo.file_size = len(data)
            zinfo.CRC, zinfo.compress_size = got[0], len(got[1])
            zinfo.flag_bits = 0x00
            if not zinfo.external_attr:
                zinfo.external_attr = 0o600 << 16
            self.fp.seek(self.start_dir)
            zinfo.header_offset = self.fp.tell()
            self._writecheck(zinfo)
            self._didModify = True
            self.fp.write(zinfo.FileHeader(False))  # (under 1 MiB: never zip64)
            self.fp.write(got[1])
            self.start_dir = self.fp.tell()
            self.filelist.append(zinfo)
            self.NameToInfo[zinfo.filename] = zinfo


class FastWorkbook(_NumberAttributes, Workbook):  # type: ignore[misc]
    """XlsxWriter's Workbook with the faster worksheet and shared-strings writers.
    `_get_packager` is XlsxWriter's documented hook for replacing the packager."""

    worksheet_class = FastWorksheet
    packager_class: Any = FastPackager

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell_xml = CellXml()

    def _add_sheet(self, *args: Any, **kwargs: Any) -> Any:
        sheet = super()._add_sheet(*args, **kwargs)
        if isinstance(sheet, FastWorksheet):
            sheet.cell_xml = self.cell_xml  # one set of per-format texts for the workbook
        return sheet

    def _get_packager(self) -> Any:
        return self.packager_class()

    def _store_workbook(self) -> None:
        # Workbook._store_workbook's in-memory path (XlsxWriter 3.3), step for step, with the
        # parts zipped by _PartsZip; on disk, with a VBA project, or with another XlsxWriter
        # version (whose steps may differ), XlsxWriter's own.
        if not self.in_memory or self.vba_project or not MIRRORED_STORE:
            super()._store_workbook()
            return
        xlsx_file = _PartsZip(self.filename, "w", compression=ZIP_DEFLATED, allowZip64=self.allow_zip64)
        packager = self._get_packager()
        if not self.worksheets():
            self.add_worksheet()
        if self.worksheet_meta.activesheet == 0:
            self.worksheets_objs[0].selected = 1
            self.worksheets_objs[0].hidden = 0
        for sheet in self.worksheets():
            if sheet.index == self.worksheet_meta.activesheet:
                sheet.active = 1
        self._prepare_sst_string_data()
        self._prepare_vml()
        self._prepare_defined_names()
        self._prepare_drawings()
        self._add_chart_data()
        self._prepare_tables()
        self._prepare_metadata()
        packager._add_workbook(self)
        packager._set_tmpdir(self.tmpdir)
        packager._set_in_memory(self.in_memory)
        xml_files = packager._create_package()
        packager = None
        for part, name, is_binary in xml_files:
            zipinfo = ZipInfo(name, (1980, 1, 1, 0, 0, 0))  # Excel's timestamp of 1/1/1980
            zipinfo.compress_type = xlsx_file.compression
            data = part.getvalue()
            xlsx_file.writestr(zipinfo, data if is_binary else data.encode("utf-8"))
        xlsx_file.close()


def stock_workbook() -> Any:
    """A Workbook class using only XlsxWriter's own writers (for the equivalence tests)."""

    class StockWorkbook(Workbook):  # type: ignore[misc]
        worksheet_class = Worksheet  # (and Workbook._get_packager gives XlsxWriter's Packager)

    return StockWorkbook
