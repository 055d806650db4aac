"""Drive `perfdsl lsp` as an editor does: JSON-RPC over stdio in a subprocess.

Every wait has a timeout, and the server process is killed in teardown, so a hung
server fails a test instead of hanging the suite.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "ningxian-2025"
PROJECT = "01-企业职工养老保险县级财政补助资金.perf"
TIMEOUT = 20.0


class Client:
    """A minimal LSP client: Content-Length framing, requests, notifications."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "perfdsl", "lsp"], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notes: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers: dict[str, str] = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode("ascii").partition(":")
                headers[k.strip().lower()] = v.strip()
            body = out.read(int(headers["content-length"]))
            self.inbox.put(json.loads(body.decode("utf-8")))

    def send(self, msg: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **msg}, ensure_ascii=False).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def _next(self, deadline: float) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("语言服务器没有在时限内回应")
        return self.inbox.get(timeout=left)

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        rid = self.next_id
        self.send({"id": rid, "method": method, "params": params})
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self._next(deadline)
            if msg.get("id") == rid and "method" not in msg:
                assert "error" not in msg, msg
                return msg.get("result")
            self.notes.append(msg)

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait_note(self, method: str, pred: Callable[[dict[str, Any]], bool] = lambda p: True) -> dict[str, Any]:
        for i, msg in enumerate(self.notes):
            if msg.get("method") == method and pred(msg["params"]):
                return self.notes.pop(i)["params"]  # type: ignore[no-any-return]
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self._next(deadline)
            if msg.get("method") == method and pred(msg["params"]):
                return msg["params"]  # type: ignore[no-any-return]
            self.notes.append(msg)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    dst = tmp_path / "宁县社保"
    shutil.copytree(EXAMPLES, dst)
    return dst


@pytest.fixture()
def client(folder: Path) -> Iterator[Client]:
    c = Client()
    try:
        c.request("initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}})
        c.notify("initialized", {})
        yield c
    finally:
        c.close()


def _open(c: Client, path: Path, text: str) -> dict[str, Any]:
    uri = path.as_uri()
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "perfdsl", "version": 1, "text": text}})
    return c.wait_note("textDocument/publishDiagnostics", lambda p: p["uri"] == uri)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.split("\n")) if needle in ln)


def test_wrong_unit_is_reported_at_its_line_and_change_clears_it(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    good = path.read_text(encoding="utf-8")
    bad = good.replace(">= 2600 人\n", ">= 2600 仁\n")
    assert bad != good
    line = _line_of(bad, "2600 仁")
    pub = _open(client, path, bad)
    errors = [d for d in pub["diagnostics"] if d["code"] == "PD-U001"]
    assert len(errors) == 1
    d = errors[0]
    assert d["message"] == "不认识计量单位“仁”"
    assert d["severity"] == 1
    col = bad.split("\n")[line].index("仁")
    assert d["range"] == {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}

    # Fix it through an edit: the diagnostic goes away.
    uri = path.as_uri()
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                      "end": {"line": line, "character": col + 1}}, "text": "人"}],
    })
    pub = client.wait_note("textDocument/publishDiagnostics", lambda p: p["uri"] == uri and p.get("version") == 2)
    assert [d for d in pub["diagnostics"] if d["code"] == "PD-U001"] == []

    # Saving publishes again (from the saved text); closing clears the file's diagnostics.
    path.write_text(bad, encoding="utf-8")
    client.notes.clear()
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    pub = client.wait_note("textDocument/publishDiagnostics", lambda p: p["uri"] == uri)
    assert [d for d in pub["diagnostics"] if d["code"] == "PD-U001"] == []  # the open text wins over the disk
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    pub = client.wait_note("textDocument/publishDiagnostics", lambda p: p["uri"] == uri)
    assert pub["diagnostics"] == []


def test_positions_are_utf16_for_characters_outside_the_bmp(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    # 𠀀 (U+20000) is one code point but two UTF-16 code units.
    text = path.read_text(encoding="utf-8").replace("享受待遇人数 >= 2600 人\n", "享受待遇人数𠀀 >= 2600 仁\n")
    line = _line_of(text, "仁")
    pub = _open(client, path, text)
    d = next(d for d in pub["diagnostics"] if d["code"] == "PD-U001")
    cp = text.split("\n")[line].index("仁")
    assert d["range"]["start"] == {"line": line, "character": cp + 1}
    assert d["range"]["end"] == {"line": line, "character": cp + 2}


def test_cross_file_diagnostics_use_unsaved_text(client: Client, folder: Path) -> None:
    # Give project 02 the same title as project 01 in the editor only: PD-D001 is a set-level finding.
    path = folder / "02-企业厂长经理生活费.perf"
    text = path.read_text(encoding="utf-8").replace("项目 企业厂长经理生活费 {", "项目 企业职工养老保险县级财政补助资金 {")
    pub = _open(client, path, text)
    codes = [d["code"] for d in pub["diagnostics"]]
    assert "PD-D001" in codes
    # The waived finding of the department file is not published for this file.
    assert "PD-M001" not in codes


def test_waived_diagnostic_is_a_hint(client: Client, folder: Path) -> None:
    path = folder / "00-部门整体.perf"
    pub = _open(client, path, path.read_text(encoding="utf-8"))
    waived = [d for d in pub["diagnostics"] if d["code"] == "PD-M001"]
    assert len(waived) == 1
    assert waived[0]["severity"] == 4
    assert waived[0]["message"].startswith("已豁免：“支出预算合计”写的是 9383.34")


def _complete(c: Client, path: Path, line: int, character: int) -> list[dict[str, Any]]:
    res = c.request("textDocument/completion", {"textDocument": {"uri": path.as_uri()},
                                                 "position": {"line": line, "character": character}})
    return res["items"] if isinstance(res, dict) else res


def test_completion_after_output_offers_level2(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace("  产出 {\n", "  产出.\n  产出 {\n", 1)
    _open(client, path, text)
    line = _line_of(text, "  产出.")
    items = _complete(client, path, line, len("  产出."))
    labels = [i["label"] for i in items]
    assert labels[:3] == ["数量指标", "质量指标", "时效指标"]
    first = items[0]
    assert first["textEdit"]["newText"] == "数量"
    assert first["detail"].startswith("二级指标 · 产出指标 › 数量指标")


def test_completion_of_level1_operators_units_and_names(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace(
        "  产出 {\n", "  \n  产出.数量.享受待遇人数 \n  产出.数量.x >= 5 \n  产出.数量.\n  产出 {\n", 1)
    _open(client, path, text)
    base = _line_of(text, "产出.数量.享受待遇人数 ")
    labels = [i["label"] for i in _complete(client, path, base - 1, 2)]
    assert labels[:4] == ["成本指标", "产出指标", "效益指标", "满意度指标"]
    assert "一级项目名称" in labels  # header fields too
    ops = _complete(client, path, base, len("  产出.数量.享受待遇人数 "))
    assert [i["label"] for i in ops] == [">=", "<=", "=", ">", "<", "定性", "区间"]
    assert ops[0]["detail"] == "大于等于（表中显示为“≥”）"
    units = _complete(client, path, base + 1, len("  产出.数量.x >= 5 "))
    by_label = {i["label"]: i for i in units}
    assert by_label["万元"]["detail"] == "货币单位 · 1 万元 = 10000 元"
    assert "%" in by_label and "人次" in by_label
    names = _complete(client, path, base + 2, len("  产出.数量."))
    assert "享受待遇人数" in [i["label"] for i in names]
    # the profile's common 三级 names come too, marked as such
    profile_names = {i["label"]: i["detail"] for i in names if "常用指标" in i["detail"]}
    assert "培训人次" in profile_names and "模板 gansu-project" in profile_names["培训人次"]


def test_hover_on_segment_and_money_unit(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8")
    _open(client, path, text)
    line = _line_of(text, "数量.享受待遇人数")
    col = text.split("\n")[line].index("数量") + 1
    res = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                 "position": {"line": line, "character": col}})
    value = res["contents"]["value"]
    assert value.startswith("**数量指标**（二级指标）\n\n一级指标：产出指标\n\n定义于模板 `gansu-project`")
    line = _line_of(text, "成本控制数 <= 156 万元")
    col = text.split("\n")[line].index("万元")
    res = client.request("textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                 "position": {"line": line, "character": col}})
    assert "156 万元 = 1560000 元" in res["contents"]["value"]
    assert res["range"]["start"] == {"line": line, "character": col}


def test_formatting_equals_perfdsl_fmt(client: Client, folder: Path) -> None:
    formatter = pytest.importorskip("perfdsl.formatter")
    path = folder / PROJECT
    # Make the text need formatting: odd indentation and a full-width operator.
    text = path.read_text(encoding="utf-8").replace("    数量.享受待遇人数 >= 2600 人", "      数量.享受待遇人数 ＞＝ 2600 人")
    _open(client, path, text)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": path.as_uri()},
                                                        "options": {"tabSize": 2, "insertSpaces": True}})
    expected, _ = formatter.format_source(text, str(path))
    assert expected is not None and expected != text
    assert edits and len(edits) == 1
    assert _apply(text, edits[0]) == expected
    # And the same as the command line tool, if it exists.
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "perfdsl", "fmt", str(path)], cwd=ROOT,
                          capture_output=True, timeout=TIMEOUT)
    if proc.returncode == 0 and path.read_text(encoding="utf-8") != text:
        assert path.read_text(encoding="utf-8") == expected


def _apply(text: str, edit: dict[str, Any]) -> str:
    lines = text.split("\n")
    r = edit["range"]
    assert r["start"] == {"line": 0, "character": 0}
    assert r["end"]["line"] == len(lines) - 1
    return str(edit["newText"])


def test_code_actions_for_fix_and_missing_unit(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace("质量.资金发放覆盖率 = 100 %", "质量.资金发放覆盖率 = 100").replace(
        "时效.补助资金及时性", "时笑.补助资金及时性")
    pub = _open(client, path, text)
    by_code = {d["code"]: d for d in pub["diagnostics"]}
    assert by_code["PD-U002"]["message"].startswith("定量指标“资金发放覆盖率”缺少计量单位")
    uri = path.as_uri()
    d = by_code["PD-U002"]
    acts = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": d["range"],
                                                       "context": {"diagnostics": [d]}})
    add = next(a for a in acts if a["title"] == "添加计量单位“%”（PD-U002）")
    (edit,) = add["edit"]["changes"][uri]
    line = _line_of(text, "资金发放覆盖率 = 100")
    assert edit["newText"] == " %"
    assert edit["range"]["start"] == {"line": line, "character": len(text.split("\n")[line])}
    d = by_code["PD-H002"]
    acts = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": d["range"],
                                                       "context": {"diagnostics": [d]}})
    fix = next(a for a in acts if "PD-H002" in a["title"])
    assert fix["title"] == "改为 时效（PD-H002）"
    (edit,) = fix["edit"]["changes"][uri]
    assert edit["newText"] == "时效"
    assert edit["range"] == d["range"]


def test_document_symbols_outline(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    _open(client, path, path.read_text(encoding="utf-8"))
    syms = client.request("textDocument/documentSymbol", {"textDocument": {"uri": path.as_uri()}})
    (decl,) = syms
    assert decl["name"] == "项目 企业职工养老保险县级财政补助资金"
    level1 = [c for c in decl["children"] if c["detail"] == "一级指标"]
    assert [c["name"] for c in level1] == ["成本指标", "产出指标", "效益指标", "满意度指标"]
    output = level1[1]
    assert [c["name"] for c in output["children"]] == ["数量指标", "质量指标", "时效指标"]
    assert output["children"][0]["children"][0]["name"] == "享受待遇人数"
    assert output["children"][0]["children"][0]["detail"] == "≥ 2600 人"


def test_shutdown_and_exit_cleanly(folder: Path) -> None:
    c = Client()
    try:
        c.request("initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}})
        c.notify("initialized", {})
        assert c.request("shutdown", None) is None
        c.notify("exit", None)
        assert c.proc.wait(timeout=TIMEOUT) == 0
    finally:
        c.close()


def test_missing_pygls_message(tmp_path: Path) -> None:
    # A sitecustomize that hides pygls, as in an install without the [lsp] extra.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['pygls'] = None\n", encoding="utf-8")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "perfdsl", "lsp"], cwd=ROOT, env=env,
                          capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "pip install 'perfdsl[lsp]'" in proc.stderr.decode("utf-8")


# --- quick fixes: every offered fix, applied, removes its finding and adds none ---------------

DIAG_FIXTURES = ROOT / "tests" / "fixtures" / "diagnostics"
QUICKFIX_FIXTURES = ROOT / "tests" / "fixtures" / "quickfix"


def _offset(text: str, pos: dict[str, int]) -> int:
    """Code-point offset of an LSP (UTF-16) position in `text`."""
    lines = text.split("\n")
    before = sum(len(ln) + 1 for ln in lines[:pos["line"]])
    line, units, i = lines[pos["line"]], 0, 0
    while i < len(line) and units < pos["character"]:
        units += 2 if ord(line[i]) > 0xFFFF else 1
        i += 1
    return before + i


def _apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    spans = sorted(((_offset(text, e["range"]["start"]), _offset(text, e["range"]["end"]), e["newText"])
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _findings(path: Path) -> Counter[tuple[str, int]]:
    from perfdsl.api import check_paths

    return Counter((d.code, d.span.line) for d in check_paths([str(path)]).diagnostics)


def _fix_cases() -> list[Path]:
    return sorted(DIAG_FIXTURES.glob("*/fail.perf")) + sorted(QUICKFIX_FIXTURES.glob("*.perf"))


def test_every_offered_fix_removes_its_finding_and_adds_none(tmp_path: Path) -> None:
    c = Client()
    applied = 0
    problems: list[str] = []
    try:
        c.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}})
        c.notify("initialized", {})
        for i, case in enumerate(_fix_cases()):
            # Alone in its folder, as `perfdsl check file` sees it (fail.perf's pass.perf sibling stays out).
            try:
                text = case.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # the encoding fixture (PD-S00x): an editor cannot open it as UTF-8 text
            (tmp_path / str(i)).mkdir()
            path = tmp_path / str(i) / "fail.perf"
            path.write_text(text, encoding="utf-8")
            before = _findings(path)
            label = case.relative_to(ROOT)
            uri = path.as_uri()
            for d in _open(c, path, text)["diagnostics"]:
                acts = c.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": d["range"],
                                                             "context": {"diagnostics": [d]}})
                mine = [a for a in acts or [] if a["diagnostics"] == [d]]
                keys = [json.dumps(a["edit"], sort_keys=True) for a in mine]
                if len(set(keys)) != len(keys):
                    problems.append(f"{label}: {d['code']} 的修复有重复：{[a['title'] for a in mine]}")
                if mine and [a.get("isPreferred") for a in mine].count(True) != 1:
                    problems.append(f"{label}: {d['code']} 应恰有一个首选修复")
                for a in mine:
                    fixed = _apply_edits(text, a["edit"]["changes"][uri])
                    path.write_text(fixed, encoding="utf-8")
                    after = _findings(path)
                    key = (d["code"], d["range"]["start"]["line"] + 1)
                    added = after - before
                    if after[key] >= before[key] or added:
                        problems.append(f"{label}: “{a['title']}” 之后 {key} 仍在或新增了 {dict(added)}")
                    applied += 1
            path.write_text(text, encoding="utf-8")
            c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    finally:
        c.close()
    assert problems == []
    assert applied >= 20  # the fixtures do offer fixes: this test is not vacuous


def test_unit_fixes_fit_the_indicator_and_are_not_repeated(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace(">= 2600 人\n", ">= 2600 万园\n")
    pub = _open(client, path, text)
    d = next(d for d in pub["diagnostics"] if d["code"] == "PD-U001")
    acts = client.request("textDocument/codeAction", {"textDocument": {"uri": path.as_uri()}, "range": d["range"],
                                                       "context": {"diagnostics": [d]}})
    titles = [a["title"] for a in acts if a["diagnostics"] == [d]]
    # 享受待遇人数 counts people: 万人 first, never 万户 or 万元 (PD-U004), each offered once.
    assert titles[0] == "改为 万人（PD-U001）"
    assert all("万户" not in t and "万元" not in t for t in titles)
    assert len(titles) == len(set(titles))


def test_v002_fix_in_a_group_block_keeps_the_path_and_attributes(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace(
        "质量.资金发放覆盖率 = 100 %", "质量.资金发放覆盖率 定性 100% [备注: 按月]")
    pub = _open(client, path, text)
    d = next(d for d in pub["diagnostics"] if d["code"] == "PD-V002")
    acts = client.request("textDocument/codeAction", {"textDocument": {"uri": path.as_uri()}, "range": d["range"],
                                                       "context": {"diagnostics": [d]}})
    fix = next(a for a in acts if "PD-V002" in a["title"])
    fixed = _apply_edits(text, fix["edit"]["changes"][path.as_uri()])
    assert "    质量.资金发放覆盖率 = 100 % [备注: 按月]\n" in fixed


def test_set_wide_finding_with_only_one_file_open(client: Client, folder: Path) -> None:
    # Only project 01 is open; its 成本控制数 grows tenfold. PD-M004 belongs to the department file,
    # which is read from disk: it is published for that file and shown in 01 where it points.
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace("成本控制数 <= 156 万元", "成本控制数 <= 1560 万元")
    dept = (folder / "00-部门整体.perf").as_uri()
    pub = _open(client, path, text)
    mine = [d for d in pub["diagnostics"] if d["code"] == "PD-M004"]
    assert len(mine) == 1
    assert mine[0]["range"]["start"]["line"] == _line_of(text, "成本控制数 <= 1560 万元")
    assert "10485.13" in mine[0]["message"] and "00-部门整体.perf:57" in mine[0]["message"]
    other = client.wait_note("textDocument/publishDiagnostics",
                             lambda p: p["uri"] == dept and any(d["code"] == "PD-M004" for d in p["diagnostics"]))
    (m004,) = [d for d in other["diagnostics"] if d["code"] == "PD-M004"]
    assert m004["range"]["start"]["line"] == 56  # 项目支出.合计, line 57
    # Fixing it in the editor clears both.
    client.notify("textDocument/didChange", {"textDocument": {"uri": path.as_uri(), "version": 2},
                                             "contentChanges": [{"text": path.read_text(encoding="utf-8")}]})
    pub = client.wait_note("textDocument/publishDiagnostics",
                           lambda p: p["uri"] == path.as_uri() and p.get("version") == 2)
    assert [d for d in pub["diagnostics"] if d["code"] == "PD-M004"] == []
    other = client.wait_note("textDocument/publishDiagnostics",
                             lambda p: p["uri"] == dept and not any(d["code"] == "PD-M004" for d in p["diagnostics"]))
    assert other["uri"] == dept


def test_completion_filters_by_a_chinese_prefix(client: Client, folder: Path) -> None:
    path = folder / PROJECT
    text = path.read_text(encoding="utf-8").replace("  产出 {\n", "  满\n  产出 {\n", 1)
    _open(client, path, text)
    line = _line_of(text, "  满")
    res = client.request("textDocument/completion", {"textDocument": {"uri": path.as_uri()},
                                                      "position": {"line": line, "character": 3}})
    assert res["isIncomplete"] is True  # filtered here: the client asks again as the prefix changes
    items = res["items"]
    assert items and all("满" in i["label"] or "满" in i["textEdit"]["newText"] for i in items)
    first = items[0]
    assert first["label"] == "满意度指标"
    assert first["textEdit"] == {"range": {"start": {"line": line, "character": 2},
                                           "end": {"line": line, "character": 3}}, "newText": "满意度"}
    assert first["filterText"].startswith("满")
    # Accepting it gives 满意度, never 成本 (what a client that does not filter Chinese picked).
    assert _apply_edits(text, [first["textEdit"]]).split("\n")[line] == "  满意度"


def test_weight_sum_points_at_the_weights(tmp_path: Path, client: Client) -> None:
    # PD-M005 points at the weights themselves, the first one, with the others as related places.
    path = tmp_path / "weights" / "项目.perf"
    path.parent.mkdir()
    text = (DIAG_FIXTURES / "PD-M005" / "fail.perf").read_text(encoding="utf-8").replace(
        "群众获得感 定性 提高 [权重: 10]", "群众获得感 定性 提高 [权重: 10] [备注: 无]")
    path.write_text(text, encoding="utf-8")
    pub = _open(client, path, text)
    (d,) = [d for d in pub["diagnostics"] if d["code"] == "PD-M005"]
    lines = text.split("\n")
    weights = [(i, ln.index("[权重")) for i, ln in enumerate(lines) if "[权重" in ln]
    assert (d["range"]["start"]["line"], d["range"]["start"]["character"]) == weights[0]
    assert d["range"]["end"]["character"] == lines[weights[0][0]].index("]") + 1
    shown = [(r["location"]["range"]["start"]["line"], r["location"]["range"]["start"]["character"])
             for r in d["relatedInformation"]]
    assert shown == weights[1:]
    assert d["message"].startswith("全部指标的权重合计为 20 + 30 + 20 + 10 + 10 = 90，应为 100")


# --- robustness: what a broken or hostile client sends -----------------------------------------

def _raw_request(c: Client, method: str, params: Any) -> dict[str, Any]:
    """The whole response (result or error) to a request."""
    c.next_id += 1
    rid = c.next_id
    c.send({"id": rid, "method": method, "params": params})
    deadline = time.monotonic() + TIMEOUT
    while True:
        msg = c._next(deadline)
        if msg.get("id") == rid and "method" not in msg:
            return msg
        c.notes.append(msg)


def _write(c: Client, data: bytes) -> None:
    assert c.proc.stdin is not None
    c.proc.stdin.write(data)
    c.proc.stdin.flush()


@pytest.mark.parametrize("line,character", [(2**40, 0), (-1, 0), (0, 2**40), (0, -1), (100000, 0)])
def test_positions_out_of_range_get_an_error(client: Client, folder: Path, line: int, character: int) -> None:
    path = folder / PROJECT
    _open(client, path, path.read_text(encoding="utf-8"))
    for method, extra in (("textDocument/hover", {}), ("textDocument/completion", {})):
        msg = _raw_request(client, method, {"textDocument": {"uri": path.as_uri()},
                                            "position": {"line": line, "character": character}, **extra})
        assert msg["error"]["code"] == -32602, msg
        assert "参数无效" in msg["error"]["message"] or "超出" in msg["error"]["message"]
    # ... and the server goes on answering.
    assert _raw_request(client, "textDocument/hover", {"textDocument": {"uri": path.as_uri()},
                                                        "position": {"line": 0, "character": 0}})["result"] is None


@pytest.mark.parametrize("frame", [
    b"Content-Length: 1000000000000\r\n\r\n{}",  # would allocate a terabyte
    b"Content-Length: 99999999999\r\n\r\n{}",
    b"Content-Length: 5\r\n\r\n{\"jsonrpc\": \"2.0\"}",  # too short: the rest looks like a header
    b"Content-Length: 40\r\n\r\n{\"jsonrpc\": \"2.0\"}",  # too long: swallows the next frame's start
    b"Content-Length: abc\r\n\r\n{}",
    b"garbage\r\n\r\n",
    b"\x00\xff" * 5000,  # no header at all
])
def test_bad_frame_is_skipped_and_the_stream_recovers(client: Client, folder: Path, frame: bytes) -> None:
    path = folder / PROJECT
    _open(client, path, path.read_text(encoding="utf-8"))
    _write(client, frame)
    msg = _raw_request(client, "textDocument/documentSymbol", {"textDocument": {"uri": path.as_uri()}})
    assert msg["result"][0]["name"] == "项目 企业职工养老保险县级财政补助资金"
    note = client.wait_note("window/showMessage", lambda p: "无法解析的消息" in p["message"])
    assert note["type"] == 1
    assert client.proc.poll() is None
    # Still in step for later messages.
    assert _raw_request(client, "shutdown", None)["result"] is None


def test_big_document_is_refused_with_a_message(client: Client, folder: Path) -> None:
    path = folder / "大文件.perf"
    base = (folder / PROJECT).read_text(encoding="utf-8")
    head, _tail = base.rsplit("}", 1)
    rows = "".join(f"  产出.数量.指标{i} >= {i} 人\n" for i in range(80000))  # about 2.5 MB
    text = head.replace("项目 企业职工养老保险县级财政补助资金", "项目 大文件") + rows + "}\n"
    assert len(text.encode("utf-8")) > 2 * 1024 * 1024
    pub = _open(client, path, text)
    (d,) = pub["diagnostics"]
    assert d["severity"] == 3 and "超过编辑时检查的上限" in d["message"] and "perfdsl check" in d["message"]
    note = client.wait_note("window/showMessage", lambda p: "超过编辑时检查的上限" in p["message"])
    assert note["type"] == 2
    # An edit is not checked either, and the server keeps answering other requests.
    client.notify("textDocument/didChange", {"textDocument": {"uri": path.as_uri(), "version": 2},
                                             "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                                                           "end": {"line": 0, "character": 0}},
                                                                 "text": "# 改\n"}]})
    pub = client.wait_note("textDocument/publishDiagnostics",
                           lambda p: p["uri"] == path.as_uri() and p.get("version") == 2)
    assert len(pub["diagnostics"]) == 1 and "超过" in pub["diagnostics"][0]["message"]
    other = folder / PROJECT
    pub = _open(client, other, other.read_text(encoding="utf-8"))
    assert "PD-M004" not in [x["code"] for x in pub["diagnostics"]]  # the big sibling is left out, not miscounted


def test_profile_problem_is_shown_in_the_profile_and_at_the_template_line(tmp_path: Path) -> None:
    # A misspelt key in a local profile (PD-C001) belongs to the .toml at its own line; the open
    # declaration gets a note at its 模板: line, never at the profile's line numbers.
    src = ROOT / "tests" / "fixtures" / "diagnostics" / "PD-C001"
    work = tmp_path / "unit"
    shutil.copytree(src, work)
    path = work / "fail.perf"
    text = path.read_text(encoding="utf-8")
    toml_uri = (work / "profiles" / "bad.toml").as_uri()
    c = Client()
    try:
        c.request("initialize", {"processId": None, "rootUri": work.as_uri(), "capabilities": {}})
        c.notify("initialized", {})
        pub = _open(c, path, text)
        (note,) = [d for d in pub["diagnostics"] if d["code"] == "PD-C001"]
        assert note["range"]["start"]["line"] == _line_of(text, "模板: bad")
        assert "bad.toml:6" in note["message"]
        other = c.wait_note("textDocument/publishDiagnostics", lambda p: p["uri"] == toml_uri)
        (own,) = [d for d in other["diagnostics"] if d["code"] == "PD-C001"]
        assert own["range"]["start"] == {"line": 5, "character": 0}
        # Fixing the profile on disk and editing the declaration clears both.
        bad = work / "profiles" / "bad.toml"
        bad.write_text(bad.read_text(encoding="utf-8").replace("lable", "label"), encoding="utf-8")
        c.notify("textDocument/didSave", {"textDocument": {"uri": path.as_uri()}})
        c.notify("textDocument/didChange", {"textDocument": {"uri": path.as_uri(), "version": 2},
                                             "contentChanges": [{"text": text + "\n"}]})
        pub = c.wait_note("textDocument/publishDiagnostics",
                          lambda p: p["uri"] == path.as_uri() and p.get("version") == 2)
        assert [d for d in pub["diagnostics"] if d["code"] == "PD-C001"] == []
        c.wait_note("textDocument/publishDiagnostics", lambda p: p["uri"] == toml_uri and not p["diagnostics"])
    finally:
        c.close()
