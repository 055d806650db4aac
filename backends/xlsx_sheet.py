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

Imported only inside `backends.xlsx.render` (XlsxWriter is imported lazily).
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet


class FastWorksheet(Worksheet):  # type: ignore[misc]
    """XlsxWriter's Worksheet with a faster `<sheetData>` loop (identical output)."""

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
        last = self.dim_rowmax
        for row_num in range(self.dim_rowmin, last + 1):
            cells = table.get(row_num)
            if cells:
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

    def _write_rows(self) -> None:
        if self.comments or self.constant_memory or self.dim_rowmax is None:
            super()._write_rows()
            return
        self._calculate_spans()
        table = self.table
        row_info = self.row_info
        row_spans = self.row_spans
        colmin, colmax = self.dim_colmin, self.dim_colmax
        names = {c: xl_col_to_name(c) for c in range(colmin, colmax + 1)}
        xf: dict[int, int] = {}
        write = self.fh.write
        slow = super()._write_cell
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            info = row_info.get(row_num)
            if not cells:
                if info is not None:
                    self._write_empty_row(row_num, row_spans.get(int(row_num / 16)), info)
                continue
            self._write_row(row_num, row_spans.get(int(row_num / 16)), info)
            r = str(row_num + 1)
            out: list[str] = []
            for col_num in sorted(cells):
                cell = cells[col_num]
                kind = type(cell)
                fmt = cell[-1] if kind is CellBlankTuple or kind is CellStringTuple or kind is CellNumberTuple \
                    else None
                if fmt is None:
                    if out:
                        write("".join(out))
                        out.clear()
                    slow(row_num, col_num, cell)
                    continue
                s = xf.get(id(fmt))
                if s is None:
                    s = xf[id(fmt)] = fmt._get_xf_index()
                if kind is CellBlankTuple:
                    out.append(f'<c r="{names[col_num]}{r}" s="{s}"/>')
                elif kind is CellStringTuple:
                    out.append(f'<c r="{names[col_num]}{r}" s="{s}" t="s"><v>{cell[0]}</v></c>')
                else:
                    out.append(f'<c r="{names[col_num]}{r}" s="{s}"><v>{cell[0]:.16G}</v></c>')
            if out:
                write("".join(out))
            self._xml_end_tag("row")


def stock_class() -> Any:
    """XlsxWriter's own Worksheet (for the equivalence test)."""
    return Worksheet
