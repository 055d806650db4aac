"""Robustness: perfdsl never crashes and never loses or damages data, on any input.

Covers the promises in docs/reliability.md: the bad-input corpus (tests/fixtures/bad), the
regression fixtures found by fuzzing (tests/fixtures/regressions), hostile sizes (a
1,000,000-character name, thousands of nesting levels), Windows encodings (BOM + CRLF give
byte-identical results; GBK is refused with a clear PD-S004), the internal-error path
(exit 3, short Chinese message, saved crash report, no traceback), atomic writes, exact
decimals, and "nothing lost" (every written value reaches every output).

Everything goes through public surfaces: `perfdsl.cli.main` in-process, a few subprocess
runs, and `perfdsl.api`. Randomised input lives in test_fuzz.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from strategies import (
    INPUT_COMMANDS,
    backend_available,
    budget_blocks,
    command_argvs,
    command_available,
    projects,
    run_cli,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "ningxian-2025"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.perf"))
DEPT = EXAMPLES / "00-部门整体.perf"
PROJECT = EXAMPLES / "01-企业职工养老保险县级财政补助资金.perf"
BAD = Path(__file__).parent / "fixtures" / "bad"
BAD_FILES = sorted(BAD.glob("*.perf"))
REGRESSIONS = Path(__file__).parent / "fixtures" / "regressions"
REGRESSION_FILES = sorted(REGRESSIONS.glob("*.perf"))
PERFDSL = Path(sys.executable).parent / "perfdsl"


@pytest.fixture(autouse=True)
def _crash_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Crash reports go to a per-test folder, never into the shared temp dir."""
    folder = tmp_path_factory.mktemp("crash")
    monkeypatch.setenv("PERFDSL_CRASH_DIR", str(folder))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return folder


def _clean(argv: list[str]):  # type: ignore[no-untyped-def]
    run = run_cli(argv)
    assert not run.problems(), run.describe()
    return run


def _diags(path: Path) -> list[dict[str, object]]:
    run = _clean(["check", "--format", "json", str(path)])
    data = json.loads(run.out)
    return data if isinstance(data, list) else data["diagnostics"]


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- The bad-input corpus ------------------------------------------------------------------


def _expected(perf: Path) -> tuple[int | None, list[tuple[str, int, int]], list[str], list[str]]:
    code: int | None = None
    wanted: list[tuple[str, int, int]] = []
    texts: list[str] = []
    absent: list[str] = []
    for raw in perf.with_suffix(".expected").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "exit":
            code = int(rest)
        elif word == "text":
            texts.append(rest)
        elif word == "no":
            absent.append(rest)
        else:
            ln, col = rest.split(":")
            wanted.append((word, int(ln), int(col)))
    return code, wanted, texts, absent


def test_every_bad_fixture_has_an_expectation() -> None:
    assert len(BAD_FILES) >= 20
    missing = [p.name for p in BAD_FILES if not p.with_suffix(".expected").is_file()]
    assert not missing


@pytest.mark.parametrize("perf", BAD_FILES, ids=lambda p: p.stem)
def test_bad_corpus_check(perf: Path) -> None:
    code, wanted, texts, absent = _expected(perf)
    run = _clean(["check", "--format", "json", str(perf)])
    data = json.loads(run.out)
    diags = data if isinstance(data, list) else data["diagnostics"]
    got = {(d["code"], d["line"], d["column"]) for d in diags}
    for item in wanted:
        assert item in got, f"期望 {item}，实际 {sorted(got)[:10]}"
    for word in texts:
        assert any(word in str(d["message"]) for d in diags), word
    for prefix in absent:
        assert not any(str(d["code"]).startswith(prefix) for d in diags)
    if code is not None:
        assert run.code == code
    # The human format shows a caret excerpt and never echoes megabytes of input.
    text = _clean(["check", str(perf)])
    assert len(text.out) < 200_000


# (command, fixture stem) -> why it still fails; each is xfail(strict) so a fix is noticed.
# Inputs a command is known to fail on (xfail strict, so a fix shows up). None left:
# deep nesting in fmt and million-character excerpts were fixed.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _json_model(path: Path, out: Path) -> bytes:
    _clean(["build", str(path), "-o", str(out), "--allow-errors"])
    return b"".join(p.read_bytes() for p in sorted(out.glob("*.json")))


@pytest.mark.parametrize("perf", BAD_FILES + REGRESSION_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", INPUT_COMMANDS)
def test_bad_corpus_every_command(perf: Path, command: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if not command_available(command):
        pytest.skip(f"perfdsl {command} 尚未实现")
    if (command, perf.stem) in KNOWN_FAILURES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[command, perf.stem]))
    copy = _write(tmp_path / "in" / perf.name, perf.read_bytes())
    model_before = _json_model(copy, tmp_path / "before") if command == "fmt" else b""
    argvs = command_argvs(command, str(copy), str(tmp_path), str(PROJECT))
    for i, argv in enumerate(argvs):
        _clean(argv)
        if command != "fmt" or i < len(argvs) - 1:
            assert copy.read_bytes() == perf.read_bytes(), f"{argv} 改写了输入文件"
    if command == "fmt" and copy.read_bytes() != perf.read_bytes():
        # fmt may rewrite a file only when the meaning (the JSON model) stays the same.
        assert _json_model(copy, tmp_path / "after") == model_before, "fmt 改变了文件的含义"


def test_build_refuses_bad_input_without_allow_errors(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = _clean(["build", str(BAD / "gbk-encoded.perf"), "-o", str(out)])
    assert run.code == 1
    assert "未生成" in run.err
    assert not out.exists() or not any(out.iterdir())


# --- Hostile sizes -------------------------------------------------------------------------


def _million(where: str) -> str:
    big = "名" * 1_000_000
    return {
        "title": f"项目 {big} {{\n  模板: gansu-project\n}}\n",
        "indicator": f"项目 甲 {{\n  产出.数量.{big} >= 1 人\n}}\n",
        "field": f"项目 甲 {{\n  基本情况: {big}\n}}\n",
    }[where]


@pytest.mark.parametrize("where", ["title", "indicator", "field"])
def test_million_character_line_is_bounded(where: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "big.perf", _million(where))
    _clean(["check", str(path)])
    _clean(["check", "--format", "json", str(path)])
    _clean(["build", str(path), "-o", str(tmp_path / "out"), "--allow-errors"])


def test_long_line_excerpt_is_clipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.perf", _million("title"))
    run = _clean(["check", str(path)])
    assert len(run.out) + len(run.err) < 100_000, "诊断信息不应原样回显百万字符"


def test_million_character_field_reaches_json(tmp_path: Path) -> None:
    big = "据" * 1_000_000
    path = _write(tmp_path / "a.perf", PROJECT.read_text(encoding="utf-8").replace(
        "基本情况: 按照", f"基本情况: {big}按照"))
    out = tmp_path / "out"
    _clean(["build", str(path), "-o", str(out)])
    data = (out / "a.json").read_text(encoding="utf-8") if (out / "a.json").exists() else \
        next(out.glob("*.json")).read_text(encoding="utf-8")
    assert big in data


@pytest.mark.parametrize("depth", [1000, 5000])
def test_deep_nesting_no_recursion_error(depth: int, tmp_path: Path) -> None:
    text = "项目 甲 {\n" + "分组 {\n" * depth + "}\n" * depth + "}\n"
    path = _write(tmp_path / "deep.perf", text)
    before = sys.getrecursionlimit()
    run = _clean(["check", "--format", "json", str(path)])
    assert run.code == 1
    assert "PD-S008" in run.out
    assert sys.getrecursionlimit() == before


def test_deep_brackets_unbalanced(tmp_path: Path) -> None:
    for text in ("项目 甲 {\n" + "分组 {\n" * 5000, "{" * 100_000, "}" * 100_000, "项目 甲 {\n" + "\"" * 50_000 + "\n}\n"):
        path = _write(tmp_path / "x.perf", text)
        assert _clean(["check", str(path)]).code == 1


# --- Encodings -----------------------------------------------------------------------------


def _variants(raw: str) -> dict[str, bytes]:
    return {
        "utf8-lf": raw.encode("utf-8"),
        "bom-lf": b"\xef\xbb\xbf" + raw.encode("utf-8"),
        "utf8-crlf": raw.replace("\n", "\r\n").encode("utf-8"),
        "bom-crlf": b"\xef\xbb\xbf" + raw.replace("\n", "\r\n").encode("utf-8"),
    }


@pytest.mark.parametrize("example", [*EXAMPLE_FILES, BAD / "unbalanced-quote.perf", BAD / "truncated-example.perf"],
                         ids=lambda p: p.stem)
def test_bom_and_crlf_behave_exactly_like_utf8(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same diagnostics (code, line, column, message) and byte-identical JSON for every variant."""
    raw = example.read_text(encoding="utf-8")
    results: dict[str, tuple[str, str, bytes]] = {}
    for name, data in _variants(raw).items():
        folder = tmp_path / name
        _write(folder / "in" / "a.perf", data)
        monkeypatch.chdir(folder)
        check = _clean(["check", "--format", "json", "in/a.perf"])
        human = _clean(["check", "in/a.perf"])
        _clean(["build", "in/a.perf", "-o", "out", "--allow-errors"])
        results[name] = (check.out, human.out + human.err, (folder / "out" / "a.json").read_bytes()
                         if (folder / "out" / "a.json").exists()
                         else b"".join(p.read_bytes() for p in sorted((folder / "out").glob("*.json"))))
    base = results["utf8-lf"]
    for name, got in results.items():
        assert got[0] == base[0], f"{name}: 诊断不同"
        assert got[1] == base[1], f"{name}: 文字报告不同"
        assert got[2] == base[2], f"{name}: JSON 不同"


def test_gbk_file_is_refused_with_conversion_advice(tmp_path: Path) -> None:
    raw = PROJECT.read_text(encoding="utf-8")
    for enc in ("gbk", "gb18030"):
        path = _write(tmp_path / f"{enc}.perf", raw.encode(enc))
        run = _clean(["check", str(path)])
        assert run.code == 1
        text = run.out + run.err
        assert "PD-S004" in text
        assert "GB18030" in text and "GBK" in text
        assert "UTF-8" in text and "iconv" in text and "另存为" in text
        # Exactly one diagnostic: no cascade of syntax errors from mis-decoded text.
        assert [d["code"] for d in _diags(path)] == ["PD-S004"]


def test_nul_byte_points_at_the_byte(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.perf", "项目 甲 {\n  基本情况: 前\x00后\n}\n")
    diags = _diags(path)
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("PD-S004", 2, 10)]


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "u.perf", PROJECT.read_text(encoding="utf-8").encode("utf-16"))
    assert [d["code"] for d in _diags(path)] == ["PD-S004"]


# --- Hostile Office files for import ------------------------------------------------------

_CT = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="xml" ContentType="application/xml"/></Types>')
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CFB = bytes.fromhex("D0CF11E0A1B11AE1")


def _zip(path: Path, parts: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return path


def _hostile(kind: str, folder: Path) -> tuple[Path, tuple[str, ...]]:
    """A hostile file and words its refusal message must contain (any one of them)."""
    folder.mkdir(parents=True, exist_ok=True)
    secret = _write(folder / "secret.txt", "SECRET-MARKER-42")
    if kind == "not-a-zip":
        return _write(folder / "a.docx", b"PK not really a zip" + bytes(range(256))), ("不是",)
    if kind == "perf-as-import":
        return _write(folder / "a.perf", PROJECT.read_bytes()), ("docx", "xlsx")
    if kind == "empty":
        return _write(folder / "a.xlsx", b""), ("不是", "空")
    if kind == "doc":
        return _write(folder / "a.doc", _CFB + bytes(4000)), (".doc", "另存为")
    if kind == "password":
        body = _CFB + bytes(1000) + "EncryptionInfo".encode("utf-16-le") + bytes(200) \
            + "EncryptedPackage".encode("utf-16-le") + bytes(2000)
        return _write(folder / "a.docx", body), ("密码", "加密")
    if kind == "missing-part":
        return _zip(folder / "a.docx", {"[Content_Types].xml": _CT}), ("不是", "缺少")
    if kind in ("xxe", "xxe-xlsx"):
        doc = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
               f'<w:document {_W}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
        if kind == "xxe":
            return _zip(folder / "a.docx", {"[Content_Types].xml": _CT, "word/document.xml": doc}), ("DOCTYPE", "实体")
        sst = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>')
        return _zip(folder / "a.xlsx", {"[Content_Types].xml": _CT, "xl/sharedStrings.xml": sst,
                                         "xl/workbook.xml": "<workbook/>"}), ("DOCTYPE", "实体")
    if kind == "billion-laughs":
        ents = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
        doc = (f'<?xml version="1.0"?><!DOCTYPE d [{ents}]><w:document {_W}><w:body><w:p><w:r>'
               '<w:t>&l9;</w:t></w:r></w:p></w:body></w:document>')
        return _zip(folder / "a.docx", {"[Content_Types].xml": _CT, "word/document.xml": doc}), ("DOCTYPE", "实体")
    if kind == "zip-bomb":
        path = folder / "a.docx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr("[Content_Types].xml", _CT)
            with z.open("word/document.xml", "w") as fh:
                fh.write(f'<?xml version="1.0"?><w:document {_W}><w:body><w:p><w:r><w:t>'.encode())
                chunk = b"A" * (1 << 20)
                for _ in range(400):
                    fh.write(chunk)
                fh.write(b"</w:t></w:r></w:p></w:body></w:document>")
        return path, ("压缩炸弹", "过大")
    raise AssertionError(kind)


HOSTILE = ("not-a-zip", "perf-as-import", "empty", "doc", "password", "missing-part", "xxe", "xxe-xlsx",
           "billion-laughs", "zip-bomb")


@pytest.mark.parametrize("kind", HOSTILE)
def test_import_refuses_hostile_file(kind: str, tmp_path: Path) -> None:
    if not command_available("import"):
        pytest.skip("perfdsl import 尚未实现")
    import resource

    path, words = _hostile(kind, tmp_path / "in")
    original = path.read_bytes()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = _clean(["import", str(path), "-o", str(tmp_path / "out.perf")])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 300_000, "内存应有上限 (KB)"
    assert run.code in (1, 2)
    assert any(w in run.err for w in words), run.err
    assert "SECRET-MARKER-42" not in run.out + run.err
    assert not (tmp_path / "out.perf").exists() or "SECRET-MARKER-42" not in (tmp_path / "out.perf").read_text("utf-8")
    assert path.read_bytes() == original


def test_import_never_overwrites_a_source(tmp_path: Path) -> None:
    if not command_available("import") or not backend_available("docx"):
        pytest.skip("perfdsl import 或 docx 后端尚未实现")
    _clean(["build", str(PROJECT), "--to", "docx", "-o", str(tmp_path)])
    docx = next(tmp_path.glob("*.docx"))
    target = _write(docx.with_suffix(".perf"), "# 用户手写的文件，不得被覆盖\n")
    run = _clean(["import", str(docx)])
    assert run.code != 0
    assert target.read_text(encoding="utf-8") == "# 用户手写的文件，不得被覆盖\n"


# --- Internal errors -----------------------------------------------------------------------


def _boom(*_a: object, **_k: object) -> object:
    raise RuntimeError("注入的内部错误 injected-boom")


@pytest.mark.parametrize("target", [
    ("perfdsl.api", "iter_check", ["check", str(PROJECT)]),
    ("perfdsl.api", "build_set", ["check", str(PROJECT)]),
    ("perfdsl.backends.jsonout", "render", ["build", str(PROJECT), "-o", "OUT"]),
], ids=["check-front", "check-api", "build-render"])
def test_internal_error_exit3_with_report(target: tuple[str, str, list[str]], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, _crash_dir: Path) -> None:
    import importlib

    modname, attr, argv = target
    monkeypatch.setattr(importlib.import_module(modname), attr, _boom)
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    run = run_cli(argv)
    assert run.code == 3
    assert "Traceback" not in run.out + run.err
    assert "injected-boom" not in run.out + run.err
    assert "内部错误" in run.err
    assert len(run.err.splitlines()) <= 4
    reports = list(_crash_dir.glob("perfdsl-crash-*.txt"))
    assert len(reports) == 1
    assert str(reports[0]) in run.err
    body = reports[0].read_text(encoding="utf-8")
    assert "Traceback" in body and "injected-boom" in body
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_internal_error_when_crash_dir_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFDSL_CRASH_DIR", str(tmp_path / "不存在" / "目录"))
    monkeypatch.setattr("perfdsl.api.iter_check", _boom)
    run = run_cli(["check", str(PROJECT)])
    assert run.code == 3
    assert "内部错误" in run.err and "Traceback" not in run.err


def test_internal_error_subprocess(tmp_path: Path) -> None:
    """The real entry point: an injected failure gives exit 3 and no traceback on the terminal."""
    code = (
        "import sys, perfdsl.api as c\n"
        "def boom(*a, **k): raise ValueError('boom')\n"
        "c.iter_check = boom\n"
        "from perfdsl.cli import main\n"
        f"sys.exit(main(['check', {str(PROJECT)!r}]))\n"
    )
    env = {**os.environ, "PERFDSL_CRASH_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(list(tmp_path.glob("perfdsl-crash-*.txt"))) == 1


# --- Subprocess runs of the installed command ------------------------------------------------


@pytest.mark.parametrize("name", ["nul-byte", "gbk-encoded", "deep-nesting", "random-bytes", "emoji-and-combining"])
def test_subprocess_bad_inputs(name: str, tmp_path: Path) -> None:
    env = {**os.environ, "PERFDSL_CRASH_DIR": str(tmp_path)}
    proc = subprocess.run([str(PERFDSL), "check", str(BAD / f"{name}.perf")], capture_output=True,
                          env=env, timeout=60)
    text = (proc.stdout + proc.stderr).decode("utf-8")
    assert proc.returncode in (0, 1), text
    assert "Traceback" not in text
    assert not list(tmp_path.glob("perfdsl-crash-*"))


@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
def test_unencodable_console_does_not_crash(encoding: str, tmp_path: Path) -> None:
    """Windows cmd.exe writes in GBK (cp936): a source with emoji must not crash the report."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PERFDSL_CRASH_DIR": str(tmp_path)}
    proc = subprocess.run([str(PERFDSL), "check", str(BAD / "emoji-and-combining.perf")],
                          capture_output=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert not list(tmp_path.glob("perfdsl-crash-*"))


@pytest.mark.parametrize("fmt", ["text", "json", "gnu", "sarif"])
def test_check_every_format_clean(fmt: str, request: pytest.FixtureRequest) -> None:
    import importlib.util

    if fmt == "sarif" and importlib.util.find_spec("perfdsl.sarif") is None:
        request.applymarker(pytest.mark.xfail(strict=True, reason="perfdsl/sarif.py 不存在：--format sarif 退出码 3"))
    for path in [EXAMPLES, *BAD_FILES[:5]]:
        _clean(["check", "--format", fmt, str(path)])


@pytest.mark.parametrize("code", ["PD-S001", "pd-s001", "", "PD-\x00", "X" * 10_000, "😀"])
def test_explain_any_argument(code: str) -> None:
    assert _clean(["explain", code]).code in (0, 2)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _clean(["check", str(tmp_path / "不存在.perf")]).code == 2
    assert _clean(["build", str(PROJECT), "--to", "pdf", "-o", str(tmp_path)]).code == 2
    assert _clean(["no-such-command"]).code == 2
    assert _clean([]).code == 2


# --- Atomic writes -------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_failed_render_leaves_earlier_outputs_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _clean(["build", str(EXAMPLES), "-o", str(out), "--split"])
    before = _snapshot(out)
    assert len(before) >= 2
    import perfdsl.backends.jsonout as jsonout

    real = jsonout.render
    calls = {"n": 0}

    def render_then_fail(*a: object, **k: object) -> bytes:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("midway")
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(jsonout, "render", render_then_fail)
    changed = _write(tmp_path / "src" / "x.perf", PROJECT.read_text(encoding="utf-8"))
    assert run_cli(["build", str(EXAMPLES), str(changed.parent), "-o", str(out), "--split"]).code == 3
    assert calls["n"] == 3
    assert _snapshot(out) == before


def _fail_nth_replace(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    real = os.replace
    calls = {"n": 0}

    def replace(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_failed_write_leaves_no_temp_or_partial_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full on the 2nd output: no temp files, and every file is whole (old or new)."""
    out = tmp_path / "out"
    _clean(["build", str(EXAMPLES), "-o", str(out), "--split"])
    before = _snapshot(out)
    edited = tmp_path / "ex"
    for f in EXAMPLE_FILES:
        _write(edited / f.name, f.read_text(encoding="utf-8").replace("宁县社会保险局", "宁县社保局"))
    _fail_nth_replace(monkeypatch, 2)
    run = run_cli(["build", str(EXAMPLES), "-o", str(out), "--split"])
    monkeypatch.undo()
    assert run.code in (2, 3)
    after = _snapshot(out)
    assert set(after) == set(before), f"多出或缺少文件：{set(after) ^ set(before)}"
    for data in after.values():
        json.loads(data)  # whole, parseable
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_build_write_failure_is_io_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_nth_replace(monkeypatch, 1)
    run = run_cli(["build", str(PROJECT), "-o", str(tmp_path / "out")])
    monkeypatch.undo()
    assert run.code == 2
    assert "无法写入" in run.err or "写入" in run.err


def test_build_output_dir_is_a_file(tmp_path: Path) -> None:
    blocker = _write(tmp_path / "f", b"keep")
    run = run_cli(["build", str(PROJECT), "-o", str(blocker / "out")])
    assert run.code == 2
    assert blocker.read_bytes() == b"keep"


def test_build_is_byte_identical(tmp_path: Path) -> None:
    formats = ",".join(f for f in ("json", "docx", "xlsx") if backend_available(f))
    for folder in ("a", "b"):
        _clean(["build", str(EXAMPLES), "--to", formats, "-o", str(tmp_path / folder)])
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


# --- Exact numbers -------------------------------------------------------------------------


def _with_budget(block: str) -> str:
    text = DEPT.read_text(encoding="utf-8")
    text = re.sub(r"  预算情况 \{.*?\n  \}\n", lambda _m: block, text, flags=re.S)
    return text


def _budget_block(**values: str) -> str:
    return "  预算情况 {\n" + "".join(f"    {k.replace('_', '.')}: {v}\n" for k, v in values.items()) + "  }\n"


def _m001_lines(path: Path) -> set[int]:
    return {int(d["line"]) for d in _diags(path) if d["code"] == "PD-M001"}  # type: ignore[call-overload]


@pytest.mark.parametrize(("a", "b", "total", "ok"), [
    ("0.1", "0.2", "0.3", True),
    ("0.1", "0.2", "0.30", True),
    ("0.1", "0.2", "0.31", False),
    ("84.125", "0", "84.125", True),
    ("84.125", "0", "84.13", False),
    ("84.12", "0.005", "84.125", True),
    ("99999999999999999999", "1", "100000000000000000000", True),
    ("1,000.10", "２.２", "1002.30", True),
])
def test_budget_sum_is_exact(a: str, b: str, total: str, ok: bool, tmp_path: Path) -> None:
    path = _write(tmp_path / "d.perf", _with_budget(_budget_block(基本支出_人员经费=a, 基本支出_公用经费=b, 基本支出_合计=total)))
    lines = _m001_lines(path)
    total_line = 1 + path.read_text(encoding="utf-8").split("\n").index(f"    基本支出.合计: {total}")
    assert (total_line not in lines) is ok


def test_exact_sum_many_digits(tmp_path: Path) -> None:
    block = _budget_block(基本支出_人员经费="12345678901234567890.1234567891",
                          基本支出_公用经费="0.0000000001", 基本支出_合计="12345678901234567890.1234567892")
    path = _write(tmp_path / "d.perf", _with_budget(block))
    assert not _m001_lines(path)


def _reject_float(text: str) -> object:
    raise AssertionError(f"JSON 中出现了浮点数：{text}")


def _json_strings(node: object) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, dict):
        return {s for v in node.values() for s in _json_strings(v)} | {k for k in node}
    if isinstance(node, list):
        return {s for v in node for s in _json_strings(v)}
    return set()


def _build_json(path: Path, out: Path) -> object:
    _clean(["build", str(path), "-o", str(out), "--allow-errors"])
    files = sorted(out.glob("*.json"))
    assert len(files) == 1
    return json.loads(files[0].read_text(encoding="utf-8"), parse_float=_reject_float)


def test_written_precision_survives(tmp_path: Path) -> None:
    values = ["0.1", "0.2", "84.125", "84.13", "100.00", "0.30", "3.840", "1234567890123456789.123456789"]
    inds = "\n".join(f"  产出.数量.指标{i} >= {v} 人" for i, v in enumerate(values))
    block = _budget_block(基本支出_人员经费="0.10", 基本支出_公用经费="0.20", 基本支出_合计="0.30")
    dept = _with_budget(block)
    path = _write(tmp_path / "p.perf", f"项目 精度 {{\n  模板: gansu-project\n{inds}\n}}\n")
    strings = _json_strings(_build_json(path, tmp_path / "o1"))
    for v in values:
        assert v in strings, v
    dpath = _write(tmp_path / "d.perf", dept)
    strings = _json_strings(_build_json(dpath, tmp_path / "o2"))
    assert {"0.10", "0.20", "0.30"} <= strings


def test_model_holds_only_decimals() -> None:
    from perfdsl.api import check_paths

    res = check_paths([str(EXAMPLES)])
    seen = 0
    for s in res.sets:
        for d in s.dset.declarations:
            for f in d.fields:
                assert f.number is None or isinstance(f.number, Decimal)
                seen += f.number is not None
            for ind in d.indicators:
                for v in (ind.target.value, ind.target.low, ind.target.high):
                    assert v is None or isinstance(v, Decimal)
                    seen += v is not None
    assert seen > 20


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget_blocks(max_int_digits=12, max_frac_digits=4))
def test_generated_budgets_balance_exactly(tmp_path: Path, budget) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path / "d.perf", _with_budget(budget.text))
    assert not _m001_lines(path)
    # Off by the smallest written unit: must be caught.
    total = Decimal(budget.values["基本支出.合计"])
    unit = Decimal(1).scaleb(min(0, int(total.as_tuple().exponent)))  # type: ignore[arg-type]
    wrong = budget.text.replace(f"基本支出.合计: {budget.values['基本支出.合计']}\n",
                                f"基本支出.合计: {format(total + unit, 'f')}\n")
    path = _write(tmp_path / "d.perf", _with_budget(wrong))
    assert _m001_lines(path)


# --- Nothing lost --------------------------------------------------------------------------


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")]
        xml = "".join(z.read(n).decode("utf-8") for n in parts)
    return _xml_text(xml)


def _xlsx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        parts = [n for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml")]
        xml = "".join(z.read(n).decode("utf-8") for n in parts)
    return _xml_text(xml)


def _xml_text(xml: str) -> str:
    import html

    # Paragraph/cell text runs joined without separators, so a value split across runs is found.
    return html.unescape(re.sub(r"<[^>]+>", "", xml))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(projects())
def test_no_silent_loss_json(tmp_path: Path, gen) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path / "g.perf", gen.text)
    for old in tmp_path.glob("o/*"):
        old.unlink()
    strings = _json_strings(_build_json(path, tmp_path / "o"))
    lost = [v for v in gen.values if v not in strings]
    assert not lost, f"JSON 丢失了：{lost}\n{gen.text}"


@pytest.mark.parametrize("backend", ["docx", "xlsx"])
def test_no_silent_loss_office(backend: str, tmp_path: Path) -> None:
    """Every generated value appears in the document text, or the build reports it unsupported."""
    if not backend_available(backend):
        pytest.skip(f"{backend} 后端尚未实现")
    extract = _docx_text if backend == "docx" else _xlsx_text

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(projects())
    def prop(gen) -> None:  # type: ignore[no-untyped-def]
        folder = tmp_path / str(abs(hash(gen.text)))
        path = _write(folder / "g.perf", gen.text)
        run = _clean(["build", str(path), "--to", backend, "-o", str(folder / "o"), "--allow-errors"])
        doc = extract(next((folder / "o").glob(f"*.{backend}")))
        lost = [v for v in gen.values if v not in doc and v not in run.err]
        assert not lost, f"{backend} 丢失了：{lost}\n{gen.text}"

    prop()


# --- Regression fixtures found by fuzzing ----------------------------------------------------


def test_regression_fixtures_are_documented() -> None:
    for p in REGRESSION_FILES:
        assert p.with_suffix(".txt").is_file() or p.with_suffix(".expected").is_file(), p.name
