"""`perfdsl lsp`: run the language server over stdio for editors.

pygls is an optional extra (`pip install 'perfdsl[lsp]'`) and is imported only inside
`run`, so other commands never pay for it. The server itself lives in perfdsl/lsp/.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "lsp", help="启动语言服务器（供编辑器使用）",
        description="通过标准输入输出运行语言服务器（LSP），为 VS Code、Neovim 等编辑器提供"
                    "实时诊断、补全、悬停说明、格式化、快速修复与大纲。通常由编辑器自动启动，不需要手动运行。",
    )
    from perfdsl.commands.common import add_profile_dir

    add_profile_dir(p)


def run(args: argparse.Namespace) -> int:
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        sys.stderr.write("perfdsl：语言服务器需要 pygls，当前环境未安装。请运行：pip install 'perfdsl[lsp]'\n")
        return 2
    from perfdsl.lsp.analysis import configure
    from perfdsl.lsp.server import serve
    from perfdsl.profilesearch import local_wanted

    configure(tuple(args.profile_dir), local_wanted(args))
    return serve()
