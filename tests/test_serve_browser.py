"""`perfdsl serve` in a real browser: Debian's headless Chromium driven by Playwright.

One browser for the module, few pages, so the suite stays fast on a shared machine. The
browser is never downloaded (`playwright install` is not used): CI installs Debian's
`chromium` (scripts/ci-deps.sh). Without it the tests are skipped locally, with the reason,
and fail when CI=true. Screenshots go to $PERFDSL_SCREENSHOT_DIR (or the test's tmp dir).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLE

CHROMIUM = os.environ.get("PERFDSL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SET = "/set/" + "%E5%AE%81%E5%8E%BF%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%99%A9%E5%B1%80"  # 宁县社会保险局


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
        import starlette  # noqa: F401
    except ImportError as exc:
        return f"需要 {exc.name}（pip install -e '.[test,serve]'）"
    if not os.path.exists(CHROMIUM):
        return f"没有 {CHROMIUM}（apt-get install chromium，或运行 scripts/ci-deps.sh）"
    return None


@pytest.fixture(scope="module")
def browser() -> Any:
    why = _missing()
    if why is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI 中必须运行浏览器测试：{why}")
        pytest.skip(f"浏览器测试已跳过：{why}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PERFDSL_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def county(tmp_path: Path) -> Path:
    root = tmp_path / "county"
    shutil.copytree(EXAMPLE, root / "宁县社会保险局")
    shutil.copytree(EXAMPLE.parent / "mof2021-demo", root / "演示")
    return root


GRID_JS = """() => Array.from(document.querySelectorAll('table.grid')).map(t =>
  Array.from(t.rows).map(r => Array.from(r.cells).map(c => {
    const k = c.cloneNode(true); k.querySelectorAll('a.ref').forEach(a => a.remove());  // finding numbers
    return [c.colSpan, c.rowSpan, k.textContent]; })))"""


CELL_JS = "t => Array.from(document.querySelectorAll('table.grid td')).some(c => c.textContent.trim() === t)"


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_index_set_page_grid_and_finding_in_chromium(browser: Any, county: Path, live_server, shots: Path) -> None:  # type: ignore[no-untyped-def]
    from perfdsl.backends import layout_grid
    from perfdsl.backends.common import ordered

    srv = live_server(str(county))
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(srv.url + "/")
        assert page.locator("#sets tbody tr").count() == 2
        assert page.locator("svg").count() == 2
        page.screenshot(path=str(shots / "index.png"))
        page.click("#sets a:text-is('宁县社会保险局')")
        page.wait_for_url(re.compile(r".*/set/.*"))
        # the rendered tables are the DOCX grids: rows, spans, texts
        got = page.evaluate(GRID_JS)
        dset = srv.site.get("宁县社会保险局").result.dset
        want = []
        for d in ordered(dset):
            for grid in layout_grid.form(d).tables:
                want.append([[[c.span, c.rows, _norm("".join(c.paras))] for c in row.cells] for row in grid.rows])
        assert [[[[cs, rs, _norm(t)] for cs, rs, t in row] for row in table] for table in got] == want
        # a finding is marked at its cell, its message on hover, listed as path:line:col
        cell = page.locator("td.finding").first
        assert "[PD-M001]" in cell.get_attribute("title")
        assert _norm(cell.inner_text()).startswith("9383.34")
        assert page.locator("#f1 .where").inner_text() == "宁县社会保险局/00-部门整体.perf:65:5"
        cell.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "set-finding.png"))
        page.goto(srv.url + SET)
        page.screenshot(path=str(shots / "set.png"))
    finally:
        page.close()


def test_saved_edit_appears_live_and_broken_file_shows_diagnostics(browser: Any, county: Path, live_server, shots: Path) -> None:  # type: ignore[no-untyped-def]
    srv = live_server(str(county))
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(srv.url + SET)
        page.wait_for_selector("#live:text('实时更新已连接')", timeout=10000)
        f = county / "宁县社会保险局" / "02-企业厂长经理生活费.perf"
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace("遗属供养人员数 >= 347 人", "遗属供养人员数 >= 351 人"), encoding="utf-8")
        # reloaded by the server-sent event
        page.wait_for_function(CELL_JS, arg="351", timeout=10000)
        assert not page.evaluate(CELL_JS, "347")
        page.wait_for_selector("#live:text('实时更新已连接')", timeout=10000)
        f.write_text(text.replace("遗属供养人员数 >= 347 人", "遗属供养人员数 >= "), encoding="utf-8")
        page.wait_for_selector("#findings li.sev-error", timeout=10000)
        body = page.inner_text("body")
        assert "02-企业厂长经理生活费.perf:" in body and "Traceback" not in body
        page.screenshot(path=str(shots / "broken.png"))
    finally:
        page.close()


def test_against_view_colours_loosened_and_tightened(browser: Any, county: Path, live_server, shots: Path) -> None:  # type: ignore[no-untyped-def]
    f = county / "宁县社会保险局" / "02-企业厂长经理生活费.perf"
    f.write_text(f.read_text(encoding="utf-8").replace("遗属供养人员数 >= 347 人", "遗属供养人员数 >= 300 人")
                 .replace("厂长经理补助人数 >= 99 人", "厂长经理补助人数 >= 120 人"), encoding="utf-8")
    srv = live_server(str(county), against=str(EXAMPLE.parent), watch=False)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(srv.url + SET)
        loose = page.locator("td.changed.loosened").first
        tight = page.locator("td.changed.tightened").first
        assert _norm(loose.inner_text()).startswith("≥347人→≥300人")
        assert _norm(tight.inner_text()).startswith("≥99人→≥120人")
        red = loose.evaluate("e => getComputedStyle(e).backgroundColor")
        green = tight.evaluate("e => getComputedStyle(e).backgroundColor")
        assert red != green and "255" in red
        loose.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "against.png"))
    finally:
        page.close()
