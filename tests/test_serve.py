"""`perfdsl serve`: pages, findings at cells, --against, downloads and safety, over HTTP.

(The same site in a real browser: tests/test_serve_browser.py.)
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE, HTML_NASTY, ROOT

pytest.importorskip("starlette", reason="perfdsl[serve] 未安装")

@pytest.fixture
def county(tmp_path: Path) -> Path:
    """A county folder: the seed, the mof2021 demo, and a unit with hostile texts."""
    root = tmp_path / "county"
    shutil.copytree(EXAMPLE, root / "宁县社会保险局")
    shutil.copytree(EXAMPLE.parent / "mof2021-demo", root / "演示")
    (root / "escape").mkdir()
    (root / "escape" / "x.perf").write_text(HTML_NASTY, encoding="utf-8")
    return root


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def test_index_lists_every_set_with_counts_sort_filter_and_charts(county: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    srv = live_server(str(county), watch=False)
    code, page, _h = srv.get("/")
    assert code == 200
    assert page.count('<tr class="has-errors"') + page.count("<tr data-codes") == 3
    assert "宁县社会保险局" in page and "9383.34" in page and "57.4%" in page  # budget, 定量指标占比
    assert page.count("<svg") == 2 and "PD-R002" in page
    # filter by code (no JavaScript needed: a plain GET form)
    _c, only, _h = srv.get("/?code=PD-M001")
    assert only.count("<tr data-codes") + only.count('<tr class="has-errors"') == 1
    assert 'data-codes="PD-M001 PD-R002"' in only
    # sort by 指标数, ascending then descending
    asc = srv.get("/?sort=indicators&order=asc")[1].split('id="sets"')[1]
    desc = srv.get("/?sort=indicators&order=desc")[1].split('id="sets"')[1]
    assert asc.index("演示") < asc.index("宁县社会保险局</a>")
    assert desc.index("宁县社会保险局</a>") < desc.index("演示")
    assert srv.get("/?sort=%3Cscript%3E&order=x")[0] == 200


def test_set_page_marks_findings_at_their_cells(county: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    srv = live_server(str(county), watch=False)
    code, page, _h = srv.get("/set/%E5%AE%81%E5%8E%BF%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%99%A9%E5%B1%80")
    assert code == 200
    # the waived PD-M001 is drawn on the 支出预算合计 value cell, with its reason on hover
    cell = page[page.index('title="[PD-M001]') - 60: page.index('title="[PD-M001]') + 400]
    assert "finding waived" in cell and "已豁免：原表如此" in cell and "<p>9383.34</p>" in cell
    assert "宁县社会保险局/00-部门整体.perf:65:5" in page and "豁免理由：原表如此" in page
    assert "宁县社会保险局/02-企业厂长经理生活费.perf:3:1" in page and "PD-R002" in page
    assert page.count('<section class="form') == 5


def test_broken_file_shows_its_diagnostics_not_an_error_page(county: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    bad = county / "宁县社会保险局" / "05-坏的.perf"
    bad.write_text("项目 坏的 {\n  模板: gansu-project\n  产出.数量.人数 >= \n", encoding="utf-8")
    srv = live_server(str(county), watch=False)
    code, page, _h = srv.get("/set/%E5%AE%81%E5%8E%BF%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%99%A9%E5%B1%80")
    assert code == 200
    assert "05-坏的.perf:3:" in page and "sev-error" in page
    assert "Traceback" not in page and "Exception" not in page
    # an erroneous set is not downloadable, like `perfdsl build`
    code, page, _h = srv.get("/set/%E5%AE%81%E5%8E%BF%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%99%A9%E5%B1%80/download/docx")
    assert code == 409 and "有错误" in page


def test_every_declaration_text_is_escaped(county: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    srv = live_server(str(county), watch=False)
    for path in ("/", "/set/escape"):
        code, page, _h = srv.get(path)
        assert code == 200
        body = page.split("<body", 1)[1].rsplit("<script>", 1)[0]  # our own live-reload script aside
        for raw in ("<script", "<img", "<b>", "<i>", 'alert("x")'):
            assert raw not in body, (path, raw)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;" in srv.get("/set/escape")[1]


@pytest.mark.parametrize("path", [
    "/set/../../etc/passwd", "/set/%2e%2e/%2e%2e/etc/passwd", "/set/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/set//etc/passwd", "/set/..%2f..%2fetc", "/../etc/passwd", "/set/escape/../../../etc/passwd",
    "/set/escape/x.perf", "/set/escape/download/..%2F..%2Fx", "/%2e%2e/%2e%2e/etc/passwd",
])
def test_only_sets_under_dir_are_served(county: Path, live_server, path: str) -> None:  # type: ignore[no-untyped-def]
    srv = live_server(str(county), watch=False)
    code, page, _h = srv.get(path)
    assert code in (404, 400)
    assert "root:" not in page and "项目 " not in page


def test_other_host_names_are_refused(county: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    """A page on another site cannot read the local one through DNS rebinding."""
    srv = live_server(str(county), watch=False)
    assert srv.get("/", host="evil.example")[0] == 400
    assert srv.get("/", host=f"localhost:{srv.port}")[0] == 200
    assert srv.get("/", host=f"127.0.0.1:{srv.port}")[0] == 200
    assert srv.get("/", host="127.0.0.1.evil.example")[0] == 400
    from perfdsl.serve.app import host_name

    assert host_name("[::1]:8000") == "::1" and host_name("localhost:80") == "localhost" and host_name("::1") == "::1"


def test_symlink_out_of_dir_is_not_served(county: Path, tmp_path: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.perf").write_text(HTML_NASTY.replace("<script>alert('t')</script>", "外部秘密"), encoding="utf-8")
    (county / "link").symlink_to(outside, target_is_directory=True)
    (county / "escape" / "linked.perf").symlink_to(outside / "secret.perf")
    srv = live_server(str(county), watch=False)
    assert srv.get("/set/link")[0] == 404
    assert "外部秘密" not in srv.get("/")[1] and "外部秘密" not in srv.get("/set/escape")[1]


def test_downloads_are_built_on_request_and_sources_are_never_written(county: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(county)
    srv = live_server(str(county), watch=False)
    sid = "/set/%E6%BC%94%E7%A4%BA"  # 演示
    code, _b, h = srv.get(sid + "/download/json")
    assert code == 200 and h["content-type"].startswith("application/json")
    assert "filename*=UTF-8''%E6%BC%94%E7%A4%BA.json" in h["content-disposition"]
    import http.client

    for fmt, magic in (("docx", b"PK"), ("xlsx", b"PK")):
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        conn.request("GET", f"{sid}/download/{fmt}")
        data = conn.getresponse().read()
        conn.close()
        assert data[:2] == magic
        zipfile.ZipFile(io.BytesIO(data)).testzip()
    assert srv.get(sid + "/download/exe")[0] == 404
    srv.get("/")
    srv.get(sid)
    assert _snapshot(county) == before


def test_against_marks_changed_cells_old_to_new(county: Path, tmp_path: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    f = county / "宁县社会保险局" / "02-企业厂长经理生活费.perf"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("遗属供养人员数 >= 347 人", "遗属供养人员数 >= 300 人")
                 .replace("厂长经理补助人数 >= 99 人", "厂长经理补助人数 >= 120 人"), encoding="utf-8")
    srv = live_server(str(county), against=str(EXAMPLE.parent), watch=False)
    _c, page, _h = srv.get("/set/%E5%AE%81%E5%8E%BF%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%99%A9%E5%B1%80")
    assert 'finding warning changed target-changed loosened' in page  # PD-A001 and the change, one cell
    assert "<del>≥ 347 人</del> → <ins>≥ 300 人</ins>" in page
    assert 'changed target-changed tightened' in page and "<del>≥ 99 人</del> → <ins>≥ 120 人</ins>" in page
    # the same PD-A001 finding as `perfdsl check --against`, listed and marked
    assert "PD-A001" in page and "原为 ≥ 347 人，现为 ≥ 300 人" in page
    # and as in `perfdsl diff --format json`
    from perfdsl.against import changes_for

    entry = srv.site.get("宁县社会保险局")
    decl = next(d for d in entry.result.dset.declarations if d.title == "企业厂长经理生活费")
    kinds = [(c.kind, c.direction) for c in changes_for(decl, srv.site.baseline)]
    assert kinds == [("target_changed", "loosened"), ("target_changed", "tightened")]


def test_check_never_imports_the_serve_stack() -> None:
    code = (f"import sys; from perfdsl.cli import main; main(['check', '-j', '1', {str(EXAMPLE)!r}]); "
            "bad = [m for m in ('starlette', 'uvicorn', 'watchfiles', 'perfdsl.serve', 'anyio') if m in sys.modules]; "
            "sys.stderr.write('LOADED=' + ','.join(bad))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "LOADED=" in res.stderr
    assert res.stderr.split("LOADED=")[1].strip() == ""


def test_serve_binds_loopback_and_warns_when_exposed(county: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for host, warned in (("127.0.0.1", False), ("0.0.0.0", True)):
        proc = subprocess.Popen([sys.executable, "-m", "perfdsl", "serve", str(county), "--port", str(port),
                                 "--host", host, "--no-watch"], stderr=subprocess.PIPE, text=True, env=env)
        try:
            lines = []
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line)
                if "正在提供" in line:
                    break
            text = "".join(lines)
            assert f"http://{host}:{port}/" in text
            assert ("其他电脑也能看到" in text) is warned
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def test_broken_profile_is_reported_on_the_pages_and_recovers(tmp_path: Path, live_server) -> None:  # type: ignore[no-untyped-def]
    from perfdsl.serve.site import Site

    unit = tmp_path / "county" / "单位"
    (unit / "profiles").mkdir(parents=True)
    shutil.copy(EXAMPLE.parent / "mof2021-demo" / "社区养老服务补助.perf", unit / "x.perf")
    bad = unit / "profiles" / "bad.toml"
    bad.write_text('id = "bad"\nthis is not toml [[[\n', encoding="utf-8")
    site = Site(str(tmp_path / "county"))
    assert site.get("单位") is None and len(site.problems) == 1
    assert site.problems[0].startswith("单位：模板文件") and "bad.toml" in site.problems[0]
    srv = live_server(str(tmp_path / "county"), watch=False)
    code, page, _h = srv.get("/")
    assert code == 200 and "无法检查：单位：模板文件" in page and "Traceback" not in page
    bad.unlink()
    assert site.refresh({str(bad)}) == {"单位"}
    assert site.problems == () and site.get("单位") is not None


def test_serve_benchmark_runs() -> None:
    """benchmarks/bench_serve.py measures (it asserts nothing about time); here: it runs."""
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"), "--n", "3"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "目录页（热）" in res.stdout and "声明集页面" in res.stdout and "保存后重新检查完成" in res.stdout


def test_many_departments_get_a_compact_column_chart(tmp_path: Path) -> None:
    from perfdsl.serve import pages
    from perfdsl.serve.site import Site

    for i in range(31):
        shutil.copytree(EXAMPLE.parent / "mof2021-demo", tmp_path / "县" / f"单位{i:02d}")
    site = Site(str(tmp_path / "县"))
    page = pages.index_html(site, {})
    chart = page.split("定量指标占比（按单位）")[1].split("</svg>")[0]
    assert chart.count("<rect") == 31 and chart.count("<title>") == 31 and "100%" in chart
    assert "<title>单位00：66.7%</title>" in chart


def test_watcher_keeps_perf_and_profiles_below_any_root() -> None:
    from perfdsl.serve.app import watch_filter

    keep = watch_filter("/home/u/.config/县")
    assert keep(None, "/home/u/.config/县/单位/a.perf")
    assert keep(None, "/home/u/.config/县/单位/profiles/p.toml")
    assert not keep(None, "/home/u/.config/县/.git/a.perf")
    assert not keep(None, "/home/u/.config/县/单位/.a.perf.swp")
    assert not keep(None, "/home/u/.config/县/单位/a.docx")


def test_index_money_is_in_wan_yuan_whatever_the_profile_unit() -> None:
    # The Shanghai form writes its money in 元: the index column is headed （万元）, so it is converted,
    # never added to other sets' 万元 figures as if it were 万元.
    from decimal import Decimal

    from perfdsl.api import check_set
    from perfdsl.serve.site import summarise

    folder = EXAMPLE.parent / "shanghai-putuo-2026"
    res, _sources = check_set(str(folder), sorted(str(p) for p in folder.glob("*.perf")), ())
    assert summarise(res).projects == Decimal("22614.51")  # 年度资金申请总额 226,145,100.00 元
    hubei = EXAMPLE.parent / "hubei-guangshui-2021"
    res, _sources = check_set(str(hubei), sorted(str(p) for p in hubei.glob("*.perf")), ())
    assert summarise(res).budget == Decimal("968.1918")  # 支出合计, already in 万元
