"""`perfdsl serve DIR`: the local review site (needs the `perfdsl[serve]` extra).

Binds 127.0.0.1 unless --host says otherwise, and warns when the site is reachable from
other computers. Starlette, uvicorn and watchfiles are imported only inside `run`.
"""

from __future__ import annotations

import argparse
import sys

from perfdsl.commands.common import add_profile_dir, local_profiles

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="在浏览器中审核一个文件夹的申报表（本地网站）",
                       description="在本机启动审核网站：目录页列出文件夹下的每个声明集，声明集页面按打印样式显示各表，"
                                   "问题标在所在单元格上；保存 .perf 文件后页面随即更新。需要安装 perfdsl[serve]。")
    p.add_argument("folder", metavar="文件夹", help="包含申报表（.perf）的文件夹")
    p.add_argument("--host", default="127.0.0.1", metavar="地址",
                   help="监听地址（默认 127.0.0.1，只有本机能访问；改为其他地址会让别的电脑也能访问）")
    p.add_argument("--port", type=int, default=8000, metavar="端口", help="端口（默认 8000）")
    p.add_argument("--against", metavar="版本或文件夹",
                   help="与去年的文件夹或一个 git 版本比较：在表上标出变化（旧 → 新），收紧、放宽分色显示")
    p.add_argument("--no-watch", action="store_true", help="不监视文件变化")
    add_profile_dir(p)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from perfdsl.serve.app import create_app, server
    except ImportError as exc:
        sys.stderr.write(f"perfdsl：perfdsl serve 需要额外的依赖（{exc.name}）。请安装：pip install 'perfdsl[serve]'\n")
        return 2
    from perfdsl.api import UsageError
    from perfdsl.profiles import ProfileError
    from perfdsl.serve.site import Site

    if not _port_free(args.host, args.port):
        sys.stderr.write(f"perfdsl：无法使用 {args.host}:{args.port}（端口已被占用或地址无效），请用 --port 换一个端口\n")
        return 2
    try:
        site = Site(args.folder, tuple(args.profile_dir), against=args.against,
                    local_profiles=local_profiles(args))
    except (UsageError, ProfileError) as exc:
        sys.stderr.write(f"perfdsl：{exc}\n")
        return 2
    if args.host not in LOOPBACK:
        sys.stderr.write(f"perfdsl：警告：监听 {args.host}，其他电脑也能看到这些申报表，且没有登录保护。"
                         "只在可信的网络中这样做。\n")
    shown = f"[{args.host}]" if ":" in args.host else args.host
    sys.stderr.write(f"perfdsl：正在提供 {args.folder}（{len(site.sets)} 个声明集）：http://{shown}:{args.port}/ "
                     "（按 Ctrl+C 停止）\n")
    from perfdsl.serve.app import LOCAL_HOSTS

    # Exposed on purpose: other computers reach it under names we cannot know.
    hosts = LOCAL_HOSTS if args.host in LOOPBACK else ("*",)
    app = create_app(site, watch=not args.no_watch, allowed_hosts=hosts)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                            timeout_graceful_shutdown=2, lifespan="on")
    server(app, config).run()
    sys.stderr.write("perfdsl：已停止。\n")
    return 0


def _port_free(host: str, port: int) -> bool:
    import socket  # lazy: every command imports this module to register its options

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    family, _t, _p, _c, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError:
            return False
    return True
