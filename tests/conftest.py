"""Shared test helpers: run the CLI in-process and capture what a user would see."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ningxian-2025"

# The first lines of a small valid project (mof2021), up to its cost indicator: tests add the
# 产出 lines they are about, then PROJECT_END (or their own) and "}\n".
PROJECT_START = """项目 测试项目 {
  模板: mof2021
  主管部门: 测试局
  实施单位: 测试中心
  年度目标:
    - 完成年度任务
  成本.经济成本.成本控制数 <= 10 万元
"""
# The 效益 and 满意度 indicators every test project ends with.
PROJECT_END = """  效益.社会效益.群众获得感 定性 提高
  满意度.服务对象满意度.服务对象满意度 >= 90 %
"""
# The header of a small valid project without the closing brace: tests append the lines they
# are about, then "}\n".
PROJECT_HEAD = PROJECT_START + PROJECT_END

# A declaration whose every text is HTML or script (for escaping in the web page and the site).
HTML_NASTY = """项目 "<script>alert('t')</script> & \\"q\\"" {
  模板: mof2021
  主管部门: <script>alert("x")</script> & 'q'
  实施单位: A&B "中心"
  年度目标:
    - <img src=x onerror=alert(1)>
  成本.经济成本.成本控制数 <= 10 万元
  产出.数量."<b>人数</b>" >= 100 人
  产出.质量.验收合格率 = 100 %
  效益.社会效益.群众获得感 定性 <i>提高</i> & "好"
  满意度.服务对象满意度.服务对象满意度 >= 90 %
}
"""
SEED = ROOT.parent / "shared" / "seeds" / "000_726383dbc854d715.txt"


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code = code
        self.out = out
        self.err = err

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(*args: str, cwd: Path | None = None) -> Run:
    from perfdsl.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        os.chdir(old)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    return run_cli


def regen() -> bool:
    return os.environ.get("PERFDSL_REGEN") == "1"


# --- perfdsl serve: a live server in a thread ------------------------------------------


class LiveServer:
    """`perfdsl serve` on a free loopback port, in this process (stopped by `close`)."""

    def __init__(self, folder: str, against: str | None = None, watch: bool = True) -> None:
        import socket
        import threading
        import time

        import uvicorn

        from perfdsl.serve.app import create_app
        from perfdsl.serve.site import Site

        self.site = Site(folder, against=against)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.app = create_app(self.site, watch=watch, debounce_ms=100)
        config = uvicorn.Config(self.app, host="127.0.0.1",
                                port=self.port, log_level="error", timeout_graceful_shutdown=1, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("perfdsl serve did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def get(self, path: str, host: str | None = None) -> tuple[int, str, dict[str, str]]:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            # sent as written: no client-side normalisation of ..
            conn.request("GET", path, headers={"Host": host} if host else {})
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, body.decode("utf-8", "replace"), {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()

    def close(self) -> None:
        self.app.state.stopping.set()
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server():  # type: ignore[no-untyped-def]
    """Factory: `live_server(folder, against=None)`; every server is stopped after the test."""
    started: list[LiveServer] = []

    def start(folder: str, against: str | None = None, watch: bool = True) -> LiveServer:
        srv = LiveServer(folder, against, watch)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.close()


def checked_model(path: Path, *dirs: str) -> dict:  # type: ignore[type-arg]
    """The canonical JSON model of the declaration set at `path` (checked: no errors), without
    its name (which follows the folder)."""
    import json

    from perfdsl.api import check_paths
    from perfdsl.backends import jsonout

    res = check_paths([str(path)], tuple(dirs))
    assert not res.has_errors, [d.message for d in res.diagnostics]
    data = json.loads(jsonout.render(res.sets[0].dset))
    data.pop("name")
    return data  # type: ignore[no-any-return]
