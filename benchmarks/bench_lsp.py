"""Edit → diagnostics latency of `perfdsl lsp` for a 60-indicator file.

Starts the server as an editor does (stdio subprocess), opens a generated project
declaration with 60 indicators, then sends incremental edits that change one target
value (alternating a valid unit and an unknown one, so the diagnostics really change)
and times each didChange → publishDiagnostics round trip for that version. Runs once
with the file alone and once inside a folder with the seed example beside it (a
6-file declaration set, so cross-file checks run too). The figure includes the server's
debounce (perfdsl.lsp.server.DEBOUNCE_SECONDS). Usage: python benchmarks/bench_lsp.py [edits]
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "ningxian-2025"
GROUPS = [("产出", "数量", "人"), ("产出", "质量", "%"), ("产出", "时效", "%"), ("效益", "社会效益", "%"),
          ("成本", "经济成本", "万元"), ("满意度", "服务对象满意度", "%")]


def sixty_indicators() -> str:
    lines = ["项目 基准测试项目 {", "  模板: gansu-project", "  一级项目名称: 2025年预算县列项目",
             "  项目分类: 3 其他项目", "  申报属性: 002 延续性（经常性）项目", "  资金用途: 2 政策类",
             "  主管部门: 宁县人力资源和社会保障局", "  年度绩效目标:", "    - 基准测试用的申报表。", ""]
    for g, (l1, l2, unit) in enumerate(GROUPS):
        lines.append(f"  {l1}.{l2} {{")
        for i in range(10):
            value = 90 + i % 10 if unit == "%" else 100 + g * 10 + i
            lines.append(f"    第{g}组指标{i}号 >= {value} {unit}")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Client:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "perfdsl", "lsp"], cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.inbox: Queue[dict] = Queue()  # type: ignore[type-arg]
        threading.Thread(target=self._read, daemon=True).start()
        self.rid = 0

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if not line.strip():
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.inbox.put(json.loads(out.read(length)))

    def send(self, msg: dict) -> None:  # type: ignore[type-arg]
        data = json.dumps({"jsonrpc": "2.0", **msg}, ensure_ascii=False).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        self.proc.stdin.flush()

    def wait(self, pred, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def,type-arg]
        end = time.monotonic() + timeout
        while True:
            msg = self.inbox.get(timeout=max(end - time.monotonic(), 0.001))
            if pred(msg):
                return msg

    def request(self, method: str, params: object) -> dict:  # type: ignore[type-arg]
        self.rid += 1
        rid = self.rid
        self.send({"id": rid, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == rid)

    def stop(self) -> None:
        self.request("shutdown", None)
        self.send({"method": "exit"})
        self.proc.wait(timeout=10)


def measure(path: Path, edits: int) -> list[float]:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    target = next(i for i, ln in enumerate(lines) if ln.strip().startswith("第0组指标5号"))
    c = Client()
    try:
        c.request("initialize", {"processId": None, "rootUri": path.parent.as_uri(), "capabilities": {}})
        c.send({"method": "initialized", "params": {}})
        uri = path.as_uri()
        c.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "perfdsl", "version": 1, "text": text}}})
        c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        times = []
        line = lines[target]
        start = line.rindex(" ") + 1
        unit_now = line[start:]
        for n in range(edits):
            new_unit = "仁" if n % 2 == 0 else "人"
            version = n + 2
            t0 = time.perf_counter()
            c.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": target, "character": start},
                                              "end": {"line": target, "character": start + len(unit_now)}},
                                    "text": new_unit}]}})
            msg = c.wait(lambda m, v=version: m.get("method") == "textDocument/publishDiagnostics"
                         and m["params"].get("version") == v)
            times.append((time.perf_counter() - t0) * 1000)
            codes = [d["code"] for d in msg["params"]["diagnostics"]]
            assert ("PD-U001" in codes) == (new_unit == "仁"), codes
            unit_now = new_unit
            time.sleep(0.02)
        c.stop()
        return times
    finally:
        if c.proc.poll() is None:
            c.proc.kill()


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    p90 = times[int(len(times) * 0.9) - 1]
    print(f"{label}: 中位数 {statistics.median(times):.1f} ms，p90 {p90:.1f} ms，最大 {times[-1]:.1f} ms（{len(times)} 次编辑）")


def main() -> None:
    from perfdsl.lsp.server import DEBOUNCE_SECONDS

    edits = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory() as tmp:
        alone = Path(tmp) / "单独" / "基准.perf"
        alone.parent.mkdir()
        alone.write_text(sixty_indicators(), encoding="utf-8")
        in_set = Path(tmp) / "声明集" / "基准.perf"
        shutil.copytree(SEED, in_set.parent)
        in_set.write_text(sixty_indicators(), encoding="utf-8")
        print(f"编辑 → 诊断延迟（60 个指标的文件，含 {DEBOUNCE_SECONDS * 1000:.0f} ms 防抖）")
        report("单个文件", measure(alone, edits))
        report("6 个文件的声明集", measure(in_set, edits))


if __name__ == "__main__":
    main()
