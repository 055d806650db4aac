"""`build --to html`: the forms as a self-contained page, from the same grids as the DOCX."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from perfdsl.api import check_paths

from conftest import EXAMPLE, HTML_NASTY, run_cli


class Tables(HTMLParser):
    """Every <table class="grid"> as rows of (tag, colspan, rowspan, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, int, int, str]]]] = []
        self.cell: list[str] | None = None
        self.attrs: dict[str, str] = {}
        self.tag = ""
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = {k: v or "" for k, v in attrs}
        if tag == "table" and "grid" in a.get("class", ""):
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell, self.attrs, self.tag = [], a, tag
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag == "p" and self.cell:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            text = "".join(self.cell)
            self.tables[-1][-1].append((self.tag, int(self.attrs.get("colspan", 1)),
                                        int(self.attrs.get("rowspan", 1)), text))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def parse_tables(html: str) -> list[list[list[tuple[str, int, int, str]]]]:
    p = Tables()
    p.feed(html)
    return p.tables


def grid_rows(grid) -> list[list[tuple[int, int, str]]]:  # type: ignore[no-untyped-def]
    """The DOCX logical grid as (colspan, rowspan, text without line breaks)."""
    return [[(c.span, c.rows, "".join(c.paras)) for c in row.cells] for row in grid.rows]


def test_html_tables_are_the_docx_grids(tmp_path: Path) -> None:
    from perfdsl.backends import layout_grid
    from perfdsl.backends.common import ordered

    res = run_cli("build", str(EXAMPLE), "--to", "html", "-o", str(tmp_path))
    assert res.code == 0, res.text
    page = (tmp_path / "宁县社会保险局.html").read_text(encoding="utf-8")
    tables = parse_tables(page)
    dset = check_paths([str(EXAMPLE)]).sets[0].dset
    expected = []
    for d in ordered(dset):
        expected += [grid_rows(grid) for grid in layout_grid.form(d).tables]
    got = [[[(cs, rs, text.replace("\n", "")) for _tag, cs, rs, text in row] for row in t] for t in tables]
    assert got == expected
    assert len(tables) == len(dset.declarations)  # one table per form, as in the DOCX


def test_html_is_self_contained_reproducible_and_prints_a4(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run_cli("build", str(EXAMPLE), "--to", "html", "-o", str(out)).code == 0
    data = (a / "宁县社会保险局.html").read_bytes()
    assert data == (b / "宁县社会保险局.html").read_bytes()
    text = data.decode("utf-8")
    assert "<script" not in text and "src=" not in text and "http" not in text.replace("http-equiv", "")
    assert "@page { size: A4 portrait" in text and "SimSun" in text and "Noto Serif CJK SC" in text
    assert "display: table-header-group" in text  # heading row repeats on every printed page
    assert "break-before: page" in text
    assert text.count('<section class="form') == 5


def test_every_text_is_escaped(tmp_path: Path) -> None:
    src = tmp_path / "x.perf"
    src.write_text(HTML_NASTY, encoding="utf-8")
    res = run_cli("build", str(src), "--to", "html", "-o", str(tmp_path / "out"))
    assert res.code == 0, res.text
    page = (tmp_path / "out" / "x.html").read_text(encoding="utf-8")
    for raw in ("<script", "<img", "<b>", "<i>", 'alert("x")'):
        assert raw not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;" in page
    assert "A&amp;B &#34;中心&#34;" in page
    tables = parse_tables(page)
    assert any("<b>人数</b>" == cell[3] for t in tables for row in t for cell in row)


def test_index_page_for_several_sets(tmp_path: Path) -> None:
    res = run_cli("build", str(EXAMPLE), str(EXAMPLE.parent / "mof2021-demo"), "--to", "html", "-o", str(tmp_path))
    assert res.code == 0, res.text
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="宁县社会保险局.html"' in index and 'href="mof2021-demo.html"' in index
    assert "<script" not in index
    # one set: no index
    one = tmp_path / "one"
    assert run_cli("build", str(EXAMPLE), "--to", "html", "-o", str(one)).code == 0
    assert not (one / "index.html").exists()


def test_cell_keys_point_at_the_cells_showing_each_indicator_and_field() -> None:
    """Findings and changes are drawn through cell_keys: each key must name the cell
    that really shows that indicator column or header field."""
    from perfdsl.backends import html
    from perfdsl.backends.layout_grid import target_text

    res = check_paths([str(EXAMPLE), str(EXAMPLE.parent / "mof2021-demo")])
    checked_fields = 0
    for s in res.sets:
        for decl in s.dset.declarations:
            form = html._form(decl)
            keys = html.cell_keys(decl, form)

            def text(pos: tuple[int, int, int]) -> str:
                gi, ri, ci = pos
                return "".join(form.tables[gi][0].rows[ri].cells[ci].paras)  # noqa: B023

            combined = next((c for c in decl.profile.layout.columns if c.key == "target"), None)
            for ind in decl.indicators:
                assert text(keys[("ind", *ind.path, "name")]) == ind.name
                if combined is not None:  # the national forms print one 指标值 cell: ≥90%
                    assert text(keys[("ind", *ind.path, "target")]) == target_text(decl, ind.target, combined.format)
                else:
                    assert text(keys[("ind", *ind.path, "value")]) == ind.target.value_text()
                    assert text(keys[("ind", *ind.path, "unit")]) == (ind.target.unit or "")
                assert text(keys[("l1", ind.level1)]) == ind.level1
            for f in decl.fields:
                pos = keys.get(("field", f.key))
                if pos is not None and f.type not in ("list", "bool") and f.text:
                    assert text(pos) == f.text, f.key
                    checked_fields += 1
    assert checked_fields > 30
