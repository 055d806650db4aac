"""layout_grid._rows (gap filling and row assembly in one pass, issue 15 item 6) against
the plain two-pass definition it replaced: mark every covered grid position in a matrix,
add an empty cell for each run of uncovered positions, then sort each row's cells by
column and give each cell its placed span and rows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from backends import layout_grid as lg


def _reference(placed: list[lg._Placed], nrows: int, ncols: int, header: set[int],
               keep: set[int]) -> tuple[lg.Row, ...]:
    placed = list(placed)
    covered = [[False] * ncols for _ in range(nrows)]
    for p in placed:
        for rr in range(p.row, min(p.row + p.rows, nrows)):
            for cc in range(p.col, min(p.col + p.span, ncols)):
                covered[rr][cc] = True
    for rr in range(nrows):
        cc = 0
        while cc < ncols:
            if covered[rr][cc]:
                cc += 1
                continue
            start = cc
            while cc < ncols and not covered[rr][cc]:
                cc += 1
            placed.append(lg._Placed(rr, start, cc - start, 1, lg.Cell()))
    by_row: dict[int, list[lg._Placed]] = {}
    for p in placed:
        by_row.setdefault(p.row, []).append(p)
    return tuple(lg.Row(tuple(p.cell._replace(span=p.span, rows=p.rows)
                              for p in sorted(by_row.get(r, []), key=lambda p: p.col)),
                        header=r in header, keep=r in keep)
                 for r in range(nrows))


_cell = st.builds(lg.Cell, st.tuples(st.sampled_from(["", "甲", "乙"])), st.integers(0, 3), st.integers(0, 3))
_placed = st.builds(lg._Placed, st.integers(0, 6), st.integers(0, 6), st.integers(0, 4), st.integers(0, 4), _cell)


@settings(max_examples=400, deadline=None)
@given(st.lists(_placed, max_size=12), st.integers(0, 6), st.integers(1, 6), st.sets(st.integers(0, 6)),
       st.sets(st.integers(0, 6)))
def test_rows_match_the_two_pass_definition(placed: list[lg._Placed], nrows: int, ncols: int,
                                            header: set[int], keep: set[int]) -> None:
    want = _reference([lg._Placed(p.row, p.col, p.span, p.rows, p.cell) for p in placed], nrows, ncols, header, keep)
    assert lg._rows(placed, nrows, ncols, header, keep) == want


def test_rows_fill_around_a_tall_cell() -> None:
    """A cell two rows tall: the row below gets empty cells only beside it."""
    tall = lg._Placed(0, 1, 1, 2, lg.Cell(("甲",)))
    rows = lg._rows([tall], 2, 3, set())
    assert [[(c.paras, c.span, c.rows) for c in row.cells] for row in rows] == [
        [((), 1, 1), (("甲",), 1, 2), ((), 1, 1)],
        [((), 1, 1), ((), 1, 1)],
    ]


@st.composite
def _bodies(draw: st.DrawFn) -> tuple[int, list[list[tuple[int, int, int, lg.Cell]]]]:
    """Indicator rows as _indicator_cells builds them: per row, cells in increasing column
    order, each already carrying its span and rows (some taller than a row)."""
    top = draw(st.integers(0, 3))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        col = draw(st.integers(0, 2))
        row = []
        for _ in range(draw(st.integers(0, 4))):
            span, tall = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            text = draw(st.sampled_from(["", "丙", "丁"]))
            row.append((col, span, tall, lg.Cell((text,) if text else (), span, tall)))
            col += span + draw(st.integers(0, 1))
        rows.append(row)
    return top, rows


@settings(max_examples=400, deadline=None)
@given(st.lists(_placed, max_size=8), _bodies(), st.integers(0, 8), st.integers(1, 8), st.sets(st.integers(0, 8)))
def test_rows_with_indicator_rows_match_the_two_pass_definition(
        placed: list[lg._Placed], body: tuple[int, list[list[tuple[int, int, int, lg.Cell]]]], nrows: int,
        ncols: int, keep: set[int]) -> None:
    """The indicator rows handed over directly (`_Body`) give the rows the same cells placed
    one by one after the others give."""
    top, rows = body
    as_placed = [lg._Placed(top + i, c, s, n, cell) for i, row in enumerate(rows) for c, s, n, cell in row]
    tall = [(top + i, c, s, n) for i, row in enumerate(rows) for c, s, n, _cell in row if n > 1]
    want = _reference([lg._Placed(p.row, p.col, p.span, p.rows, p.cell) for p in placed] + as_placed, nrows, ncols,
                      set(), keep)
    assert lg._rows(placed, nrows, ncols, set(), keep, lg._Body(top, rows, tall)) == want
