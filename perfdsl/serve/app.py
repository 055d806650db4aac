"""The Starlette application of `perfdsl serve`: routes, live reload, downloads.

Routes: `/` (index; query params sort, order, code), `/set/<id>` (a set's forms and
findings), `/set/<id>/download/<docx|xlsx|json|html>` (built on request), `/events`
(server-sent events: `change` with the ids of re-checked sets). A watchfiles task re-checks
the sets whose .perf files change and notifies the open pages.

Safety: a set is found by its id in a dict (never by joining the request path to the
disk), so `..`, absolute paths and encoded traversal are simply unknown pages. Nothing
is written to the sources. Every error is a Chinese page, never a traceback.
Starlette, uvicorn and watchfiles are imported here only (the `perfdsl[serve]` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from . import pages
from .site import Site

log = logging.getLogger("perfdsl.serve")

FORMATS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "json": "application/json", "html": "text/html; charset=utf-8"}
KEEPALIVE_S = 15.0
POLL_S = 0.25  # how often an idle event stream checks whether the server is stopping
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                                      "img-src 'self' data:; connect-src 'self'; form-action 'self'"}


class Broker:
    """Fan-out of change notifications to every open event stream."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[list[str] | None]] = set()

    def subscribe(self) -> asyncio.Queue[list[str] | None]:
        q: asyncio.Queue[list[str] | None] = asyncio.Queue()
        self.queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[list[str] | None]) -> None:
        self.queues.discard(q)

    def publish(self, ids: list[str]) -> None:
        for q in list(self.queues):
            q.put_nowait(ids)

    def close(self) -> None:
        for q in list(self.queues):
            q.put_nowait(None)


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=HEADERS)


def watch_filter(root: str) -> Any:
    """Which changed paths matter: .perf and profile .toml files not in a hidden folder
    below `root` (the served folder itself may lie anywhere, even under a hidden one)."""
    def keep(change: Any, path: str) -> bool:
        name = os.path.basename(path)
        if not name.endswith((".perf", ".toml")) or name.startswith("."):
            return False
        rel = os.path.relpath(path, root)
        return not any(p.startswith(".") for p in rel.split(os.sep)[:-1])

    return keep


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_name(header: str) -> str:
    """The host of a Host header without its port: "[::1]:8000" → "::1"."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """ASGI middleware: answer only requests for an allowed host name ("*": any)."""

    def __init__(self, app: Any, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and "*" not in self.allowed:
            raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if host_name(raw).lower() not in self.allowed:
                await Response("无效的主机名", status_code=400, media_type="text/plain; charset=utf-8")(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(site: Site, *, watch: bool = True, debounce_ms: int = 150,
               allowed_hosts: tuple[str, ...] = LOCAL_HOSTS) -> Starlette:
    """The application. Set `app.state.stopping` (a threading.Event) when the server is
    asked to stop: open event streams then end at once, so shutdown is quick and quiet.

    Only requests whose Host header is in `allowed_hosts` ("*": any) are answered, so a web
    page elsewhere cannot read the local site through DNS rebinding."""
    broker = Broker()
    stopping = threading.Event()

    async def index(request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        return _html(await run_in_threadpool(pages.index_html, site, params))

    async def set_page(request: Request) -> Response:
        generation = site.generation  # before the lookup: a change after it is noticed
        entry = site.get(request.path_params["sid"])
        if entry is None:
            return _not_found()
        return _html(await run_in_threadpool(pages.set_html, site, entry, generation))

    async def download(request: Request) -> Response:
        entry = site.get(request.path_params["sid"])
        fmt = request.path_params["fmt"]
        if entry is None or fmt not in FORMATS:
            return _not_found()
        if entry.result.has_errors:
            return _html(pages.message_html("有错误，未生成", f"“{entry.summary.unit}”还有错误，改正后才能下载（与 perfdsl build 相同）。"),
                         409)
        data, name = await run_in_threadpool(_render, entry, fmt)
        disp = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(data, media_type=FORMATS[fmt], headers={**HEADERS, "Content-Disposition": disp})

    async def events(request: Request) -> Response:
        q = broker.subscribe()
        since = request.query_params.get("since", "")

        async def stream() -> AsyncIterator[str]:
            try:
                yield ": 已连接\n\n"
                if since and since != str(site.generation):  # changed while the page was loading
                    yield f"event: change\ndata: {json.dumps({'sets': sorted(site.sets)}, ensure_ascii=False)}\n\n"
                idle = 0.0
                while not stopping.is_set():
                    try:
                        ids = await asyncio.wait_for(q.get(), timeout=POLL_S)
                    except asyncio.TimeoutError:
                        idle += POLL_S
                        if idle >= KEEPALIVE_S:
                            idle = 0.0
                            yield ": keep-alive\n\n"
                        continue
                    if ids is None:
                        return
                    yield f"event: change\ndata: {json.dumps({'sets': ids}, ensure_ascii=False)}\n\n"
            finally:
                broker.unsubscribe(q)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def watcher(stop: asyncio.Event) -> None:
        from watchfiles import awatch

        async for changes in awatch(site.root, watch_filter=watch_filter(site.root), debounce=debounce_ms, step=50,
                                    stop_event=stop, recursive=True):
            paths = {p for _c, p in changes}
            try:
                ids = await run_in_threadpool(site.refresh, paths)
            except Exception:  # a defect must not stop the watcher
                log.exception("perfdsl serve: 重新检查失败")
                continue
            if ids:
                broker.publish(sorted(ids))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(watcher(stop)) if watch else None
        try:
            yield
        finally:
            stop.set()
            broker.close()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def not_found(request: Request, exc: Exception) -> Response:
        return _not_found()

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("perfdsl serve: 内部错误", exc_info=exc)
        return _html(pages.message_html("内部错误", "这是 perfdsl 的缺陷，不是您的申报表有误。请把终端中的记录发给维护者。"), 500)

    async def favicon(request: Request) -> Response:
        return Response(b"", status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/events", events),
        Route("/set/{sid:path}/download/{fmt}", download),
        Route("/set/{sid:path}", set_page),
    ]
    from starlette.middleware import Middleware

    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(HostCheck, allowed=allowed_hosts)],
                    exception_handlers={404: not_found, 405: not_found, Exception: internal})
    app.state.site = site
    app.state.broker = broker
    app.state.stopping = stopping
    return app


def server(app: Starlette, config: Any) -> Any:
    """A uvicorn server that ends the open event streams as soon as it is asked to stop."""
    import uvicorn

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            app.state.stopping.set()
            super().handle_exit(sig, frame)

    return _Server(config)


def _not_found() -> HTMLResponse:
    return _html(pages.message_html("没有这个页面", "这里只提供所服务文件夹中的声明集。"), 404)


def _render(entry: Any, fmt: str) -> tuple[bytes, str]:
    from perfdsl import __version__
    from perfdsl.backends import RenderOptions, get_backend
    from perfdsl.commands.common import safe_filename

    backend = get_backend(fmt)
    options = RenderOptions(compiler_version=__version__)
    dset = entry.result.dset
    if fmt == "json":
        from perfdsl.report import diagnostic_json

        keep = ("code", "severity", "message", "file", "line", "column", "indicator_path", "waived", "waiver_reason")
        findings = [{k: diagnostic_json(d)[k] for k in keep} for d in entry.result.diagnostics]
        data = backend.render(dset, options, findings=findings)
    else:
        data = backend.render(dset, options)
    return data, safe_filename(dset.name) + backend.EXTENSION
