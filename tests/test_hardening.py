"""Issue #16: hostile git trees, symlink loops, invisible and confusable text, the Markdown diff."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from perfdsl.safepath import component_problem, relative_path_problem, safe_component

from conftest import EXAMPLE, run_cli

PROJECT = "01-企业职工养老保险县级财政补助资金.perf"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _git(cwd: Path, *args: str, data: bytes | None = None) -> str:
    res = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, check=True,
                         env={**os.environ, **GIT_ENV})
    return res.stdout.decode().strip()


def _hostile_commit(repo: Path, names: list[str], content: bytes) -> str:
    """A commit whose tree nests `names` (e.g. ["..", "..", "evil.perf"]) as made by git mktree."""
    oid = _git(repo, "hash-object", "-w", "--stdin", data=content)
    mode, kind = "100644", "blob"
    for name in reversed(names):
        entry = f"{mode} {kind} {oid}\t{name}\0".encode()
        oid = _git(repo, "mktree", "-z", data=entry)
        mode, kind = "040000", "tree"
    return _git(repo, "commit-tree", oid, "-m", "hostile")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    r = tmp_path / "work" / "repo"
    shutil.copytree(EXAMPLE, r / "2025")
    _git(r, "init", "-q")
    _git(r, "add", ".")
    _git(r, "commit", "-qm", "one")
    return r


@pytest.mark.parametrize("names", [
    ["..", "..", "..", "evil.perf"],
    ["..", "evil.perf"],
    ["a", "..", "..", "..", "evil.perf"],
    ["C:", "evil.perf"],
    ["a\\..\\..\\evil.perf"],
])
def test_hostile_tree_writes_nothing_and_is_a_usage_error(repo: Path, tmp_path: Path, names: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "work" / "tmp" / "deeper"
    scratch.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    rev = _hostile_commit(repo, names, "项目 恶意 {\n  模板: mof2021\n}\n".encode())
    before = sorted(p for p in tmp_path.rglob("*") if ".git" not in p.parts)
    res = run_cli("diff", rev, "HEAD", cwd=repo)
    assert res.code == 2, res.text
    assert "拒绝读取" in res.err and "Traceback" not in res.text
    shown = names[0] if len(names) == 1 else next(n for n in names if component_problem(n))
    assert shown in res.err  # names the entry
    after = sorted(p for p in tmp_path.rglob("*") if ".git" not in p.parts)
    assert after == before
    assert not list(tmp_path.rglob("evil.perf"))


def test_revision_is_read_without_a_temporary_folder(repo: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    text = (repo / "2025" / PROJECT).read_text(encoding="utf-8")
    (repo / "2025" / PROJECT).write_text(text.replace("享受待遇人数 >= 2600 人", "享受待遇人数 >= 2800 人"),
                                         encoding="utf-8")
    _git(repo, "commit", "-qam", "two")
    res = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert res.code == 0 and "享受待遇人数 ≥ 2600 → 2800 人" in res.out and res.out.count("→") == 1
    assert list(scratch.iterdir()) == []


def test_symlinked_file_in_a_revision_is_not_followed(repo: Path) -> None:
    (repo / "2025" / "link.perf").symlink_to("/etc/passwd")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "link")
    res = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert res.code == 0 and res.out == "没有变化。\n", res.text


def test_path_validator() -> None:
    for bad in ("", ".", "..", "a/b", "a\\b", "C:", "c:evil", "x\0y", "a\nb"):
        assert component_problem(bad) is not None, bad
    for good in ("2025", "宁县社会保险局.perf", "a..b", "...x", "C"):
        assert component_problem(good) is None, good
    assert relative_path_problem("/etc/passwd") is not None
    assert relative_path_problem("a/../b.perf") is not None
    assert relative_path_problem("C:/x.perf") is not None
    assert relative_path_problem("2025/01.perf") is None
    for title in ("..", "../../etc/passwd", "C:\\x", "CON", "nul.txt", "\0", "  . ", "a/b"):
        name = safe_component(title)
        assert component_problem(name) is None and name.split(".")[0].upper() not in ("CON", "NUL"), (title, name)


def test_build_output_names_from_hostile_titles_stay_inside(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    text = (EXAMPLE / "00-部门整体.perf").read_text(encoding="utf-8")
    title = text.split("{", 1)[0].split(None, 1)[1].strip()
    (src / "d.perf").write_text(text.replace(title, '"../../逃逸"', 1), encoding="utf-8")
    out = tmp_path / "out"
    res = run_cli("build", str(src), "--to", "json", "-o", str(out), "--allow-errors")
    assert res.code == 0, res.text
    made = [p for p in tmp_path.rglob("*.json")]
    assert made and all(p.parent == out for p in made), made


# --- symlink loops ------------------------------------------------------------------------


def test_symlink_loop_is_walked_once_and_warned_once(tmp_path: Path) -> None:
    unit = tmp_path / "unit"
    shutil.copytree(EXAMPLE, unit)
    (unit / "again").symlink_to(".")
    (unit / "again2").symlink_to(".")
    (unit / "sub").mkdir()
    (unit / "sub" / "up").symlink_to("..")
    proc = subprocess.run([sys.executable, "-m", "perfdsl", "check", "-j1", "--format", "json", str(unit)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "符号链接" in ln]
    assert len(lines) == 3, proc.stderr
    assert sum("again2" in ln for ln in lines) == 1 and all("警告" in ln for ln in lines)
    for cmd in (["fmt", "--check"], ["diff", str(unit)]):
        res = run_cli(*cmd, str(unit))
        assert res.code == 0, res.text
        assert res.err.count("again2") == (2 if cmd[0] == "diff" else 1)


def test_symlinked_folder_is_still_followed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shutil.copytree(EXAMPLE, shared)
    county = tmp_path / "county"
    county.mkdir()
    (county / "unit").symlink_to(shared)
    res = run_cli("check", "--format", "json", str(county))
    assert res.code == 0 and "符号链接" not in res.err
    res = run_cli("build", str(county), "--to", "json", "-o", str(tmp_path / "o"))
    assert res.code == 0 and len(list((tmp_path / "o").glob("*.json"))) == 1


def test_import_refuses_zip_entry_names_that_leave_the_package(tmp_path: Path) -> None:
    import io
    import zipfile

    assert run_cli("build", str(EXAMPLE), "--to", "docx", "-o", str(tmp_path / "o")).code == 0
    good = next((tmp_path / "o").glob("*.docx")).read_bytes()
    for evil in ("../evil.xml", "/etc/evil.xml", "word/../../evil.xml", "C:/evil.xml"):
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
            for info in src.infolist():
                dst.writestr(info, src.read(info))
            dst.writestr(evil, b"<x/>")
        f = tmp_path / "evil.docx"
        f.write_bytes(buf.getvalue())
        res = run_cli("import", str(f), "--stdout")
        assert res.code == 2 and "疑似恶意文件" in res.err and evil in res.err, (evil, res.text)


# --- invisible and look-alike text ----------------------------------------------------------


def test_fold_is_nfkc_plus_tr39_skeleton() -> None:
    from perfdsl.confusables import fold

    assert fold("\u0420类") == fold("P类")  # Cyrillic Р, Latin P
    assert fold("第\uff11类") == fold("第1类")  # full-width digit (NFKC)
    assert fold("服务\u200b人数") == fold("服务人数")  # invisible characters do not count
    assert fold("士兵") == fold("土兵")  # a CJK pair from confusables.txt
    assert fold("服务人数") != fold("服务次数") and fold("P") != fold("B")


def test_confusables_table_is_unicode_data() -> None:
    from importlib import resources

    text = resources.files("perfdsl.data").joinpath("confusables.tsv").read_text(encoding="utf-8")
    assert "# Version: 13.0.0" in text and "Unicode" in text
    rows = [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(rows) == 6311 and ["0420", "0050"] in rows


def test_invisible_warnings_through_cli() -> None:
    bad = Path(__file__).resolve().parent / "fixtures" / "bad"
    res = run_cli("check", str(bad / "rtl-override.perf"))
    assert res.code == 0 and res.out.count("[PD-T001]") == 2
    assert "\u202e" not in res.out and "⟨U+202E⟩" in res.out  # shown, never obeyed
    res = run_cli("check", "--format", "gnu", str(bad / "zero-width-space.perf"))
    assert "[PD-T001]" in res.out and "[PD-T002]" in res.out and "\u200b" not in res.out


# --- diff: invisible characters shown, Markdown that cannot hide or forge rows -------------------


def _pair(tmp_path: Path, old_line: str, new_line: str) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    for d, line in ((a, old_line), (b, new_line)):
        shutil.copytree(EXAMPLE, d)
        p = d / PROJECT
        text = p.read_text(encoding="utf-8")
        assert "数量.享受待遇人数 >= 2600 人" in text
        p.write_text(text.replace("数量.享受待遇人数 >= 2600 人", line), encoding="utf-8")
    return a, b


def test_diff_shows_an_added_zero_width_space(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, "数量.享受待遇人数 >= 2600 人", "数量.享受待遇\u200b人数 >= 2600 人")
    out = run_cli("diff", str(a), str(b)).out
    assert "\u200b" not in out
    assert "享受待遇⟨U+200B⟩人数" in out and "享受待遇人数" in out
    md = run_cli("diff", "--format", "markdown", str(a), str(b)).out
    assert "\u200b" not in md and "⟨U+200B⟩" in md


HOSTILE_NAMES = [
    "服务<!--人数",  # an unclosed HTML comment hides every row after it
    "甲</td></tr><tr><td>伪造行</td><td>x",  # raw HTML forging a row
    "乙 | 伪造 | 单元格",  # table cells
    "丙*强调* _斜体_ [链接](https://example.invalid) ![图](x.png) `代码` ~~删除~~",
    "丁 <script>alert(1)</script> &amp; @某人 #12 $x$",
]


def test_markdown_diff_cannot_hide_or_forge_rows(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    lines = "\n    ".join(f'数量."{name}" >= {i + 1} 人' for i, name in enumerate(HOSTILE_NAMES))
    a, b = _pair(tmp_path, "数量.享受待遇人数 >= 2600 人", "数量.享受待遇人数 >= 2600 人\n    " + lines)
    res = run_cli("diff", "--format", "markdown", str(a), str(b))
    assert res.code == 0, res.text
    # Render as a pull-request comment is rendered: CommonMark with raw HTML allowed, GFM tables.
    html = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(res.out)
    assert html.count("<tr>") == 1 + len(HOSTILE_NAMES)  # header + one row per added indicator
    assert html.count("<td>") == 5 * len(HOSTILE_NAMES)
    for tag in ("<!--", "<script", "<em>", "<a ", "<img", "<code>", "<s>", "<del>"):
        assert tag not in html, tag
    text = MarkdownIt("commonmark", {"html": True}).enable("table").render(res.out)
    plain = __import__("re").sub(r"<[^>]+>", "", text)
    import html as htmllib

    shown = htmllib.unescape(plain)
    for name in HOSTILE_NAMES:
        assert name in shown, name  # every name is shown exactly as written


def test_user_template_output_is_html_escaped(tmp_path: Path) -> None:
    a, b = _pair(tmp_path, "数量.享受待遇人数 >= 2600 人", '数量."<!--藏" >= 2600 人')
    tpl = tmp_path / "t.j2"
    tpl.write_text("{% for g in groups %}{% for r in g.rows %}{{ r.path }}\n{% endfor %}{% endfor %}",
                   encoding="utf-8")
    out = run_cli("diff", str(a), str(b), "--format", "markdown", "--template", str(tpl)).out
    assert "<!--" not in out and "&lt;!--藏" in out


# --- huge inputs: linear work -----------------------------------------------------------------


def _many_declarations(n: int) -> str:
    one = ("项目 项目{i} {{\n  模板: mof2021\n  主管部门: 测试局\n  实施单位: 测试中心\n  年度目标:\n    - 完成\n"
           "  产出.数量.人数 >= {v} 人\n}}\n\n")
    return "".join(one.format(i=i, v=i + 1) for i in range(n))


def test_each_declaration_is_lexed_once_not_after_its_predecessors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks used to be padded with every line before them: quadratic in the declarations."""
    from perfdsl import fastpath, parser

    lexed: list[int] = []
    real = parser._run
    real_fast = fastpath.parse

    def counting(p, text, recovery, *rest):  # type: ignore[no-untyped-def]
        lexed.append(len(text))
        return real(p, text, recovery, *rest)

    def counting_fast(tables, text, *rest, **kw):  # type: ignore[no-untyped-def]
        result = real_fast(tables, text, *rest, **kw)
        if result is not None:  # a declined chunk goes on to Lark (`_run`), counted there
            lexed.append(len(text))
        return result

    monkeypatch.setattr(parser, "_run", counting)
    monkeypatch.setattr(fastpath, "parse", counting_fast)  # the grammar-derived fast path (issue 15)
    text = _many_declarations(300) + "项目 坏的 {\n  产出.数量.人数 >= 3 人 多余\n}\n"
    doc, diags = parser.parse_text(text, "x.perf")
    assert len(lexed) == 301 and sum(lexed) <= len(text) + 301
    assert doc.declarations[299].span.line == 299 * 9 + 1 and doc.declarations[299].title == "项目299"
    bad = [d for d in diags if d.severity == "error"]
    assert [(d.span.line, d.span.col) for d in bad] == [(300 * 9 + 2, 19)], [(d.code, d.span) for d in bad]


def test_report_lines_are_indexed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Printing a finding used to split the whole file again for every finding."""
    from perfdsl.source import SourceFile, line_of

    text = "\n".join(f"行{i}" for i in range(1000))
    calls = {"split": 0}
    real_split = str.split

    class Counting(str):
        def split(self, *a, **k):  # type: ignore[no-untyped-def, override]
            calls["split"] += 1
            return real_split(self, *a, **k)

    src = SourceFile("x", Counting(text))
    assert [src.line_text(n) for n in (1, 500, 1000, 1001)] == ["行0", "行499", "行999", ""]
    assert calls["split"] == 0 and line_of(text, 0) == ""


def test_streamed_json_is_exactly_the_json_of_the_model() -> None:
    from perfdsl.api import check_paths
    from perfdsl.backends import jsonout

    fixtures = Path(__file__).resolve().parent / "fixtures"
    paths = [str(EXAMPLE), *sorted(str(p) for p in (fixtures / "diagnostics").glob("*/fail.perf"))]
    for path in paths:
        for s in check_paths([path], jobs=1).sets:
            for findings in (None, [], [{"code": "PD-X", "message": "换行\n与\"引号\""}]):
                assert jsonout.render(s.dset, findings=findings) == jsonout.dumps(jsonout.set_json(s.dset, findings))


def test_diff_parses_an_unchanged_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`diff` of huge declarations: unchanged files are compiled once, and never checked."""
    import perfdsl.api as api

    calls: list[str] = []
    real = api.compile_bytes

    def counting(path, data, dirs=()):  # type: ignore[no-untyped-def]
        calls.append(path)
        return real(path, data, dirs)

    monkeypatch.setattr(api, "compile_bytes", counting)
    monkeypatch.setattr(api, "run_checks", lambda dset: pytest.fail("diff ran the checks"))
    a, b = _pair(tmp_path, "数量.享受待遇人数 >= 2600 人", "数量.享受待遇人数 >= 2800 人")
    res = run_cli("diff", str(a), str(b))
    assert res.code == 0 and res.out.count("→") == 1
    files = len(list(a.glob("*.perf")))
    assert len(calls) == files + 1  # every file once, the changed one on both sides


def test_huge_benchmark_runs_on_a_small_size(tmp_path: Path) -> None:
    import json

    proc = subprocess.run([sys.executable, str(Path(__file__).resolve().parent.parent / "benchmarks" / "huge.py"),
                           "--sizes", "60", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads(next(tmp_path.glob("results-*.json")).read_text(encoding="utf-8"))["rows"]
    assert [r["command"] for r in rows] == ["check", "fmt", "diff", "docx"]
    assert all(r["exit"] == 0 and r["peak_mb"] > 0 for r in rows), rows


def test_check_against_a_hostile_revision_is_a_usage_error(repo: Path) -> None:
    rev = _hostile_commit(repo, ["..", "evil.perf"], "项目 恶意 {\n}\n".encode())
    res = run_cli("check", "--against", rev, "2025", cwd=repo)
    assert res.code == 2 and "拒绝读取" in res.err and ".." in res.err, res.text
