"""Command line: `perfdsl check|build|fmt|diff|import|explain|profiles|lsp|serve`.

Help and messages are Chinese. Each subcommand is a module in perfdsl/commands with
`register(subparsers)` and `run(args) -> int`; modules stay light at import time and load
heavy libraries inside `run`. Exit codes: 0 no errors, 1 errors found, 2 usage or I/O
problem, 3 internal error (with a saved crash report, never a traceback on screen).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from perfdsl import __version__

COMMANDS = ("check", "build", "fmt", "diff", "import", "explain", "profiles", "lsp", "serve")

_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示帮助并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "show program's version number and exit": "显示版本并退出",
    "subcommands": "子命令",
}


def _zh(text: str) -> str:
    return _ZH.get(text, text)


argparse._ = _zh  # type: ignore[attr-defined]  # argparse looks `_` up at call time


class _Parser(argparse.ArgumentParser):
    _showing = False

    def _get_formatter(self) -> argparse.HelpFormatter:
        # add_argument() builds a formatter only to validate metavars; the default one
        # imports shutil for the terminal width. Use the real width only when showing text.
        if self._showing:
            return super()._get_formatter()
        return self.formatter_class(prog=self.prog, width=80)

    def format_help(self) -> str:
        self._showing = True
        try:
            return super().format_help()
        finally:
            self._showing = False

    def format_usage(self) -> str:
        self._showing = True
        try:
            return super().format_usage()
        finally:
            self._showing = False

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}：错误：{message}\n")
        raise SystemExit(2)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, just that subcommand's module is imported and registered.

    A one-file `perfdsl check` should not pay for importing every other subcommand
    (cold start, issue 15); help and errors without a known subcommand register all.
    """
    parser = _Parser(
        prog="perfdsl",
        description="perfdsl：预算绩效目标申报表的文本语言与编译器。检查、格式化、比较申报表，并生成 Word、Excel 与 JSON。",
        epilog="运行 perfdsl 子命令 -h 查看各子命令的说明。退出码：0 无错误，1 有错误，2 用法或读写问题，3 内部错误。",
    )
    parser.add_argument("--version", action="version", version=f"perfdsl {__version__}", help="显示版本并退出")
    # prog given: argparse would build a help formatter (importing shutil) just to compute it.
    sub = parser.add_subparsers(dest="command", title="子命令", metavar="<命令>", parser_class=_Parser,
                                prog=parser.prog)
    for name in COMMANDS if only is None else (only,):
        mod = _command(name)
        if mod is not None:
            mod.register(sub)
    return parser


def _command(name: str):  # type: ignore[no-untyped-def]
    modname = f"perfdsl.commands.{name}_cmd"
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name == modname:
            return None
        raise


def _requested(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first non-option word), if known."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
        if arg in ("-h", "--help", "--version"):
            return None
    return None


def _crash_report(exc: BaseException) -> str:
    import traceback  # only after a crash

    from perfdsl import crashreport  # random name, O_EXCL, user state folder

    text = (f"perfdsl {__version__}\nPython {sys.version}\nargv: {sys.argv!r}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return crashreport.save(text) or "（无法保存崩溃报告）"


def _tolerant_streams() -> None:
    """A console that cannot show a character (GBK cmd.exe, emoji) must not crash us."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_requested(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    mod = _command(args.command)
    from perfdsl.clirun import run_command  # signals, safe terminal and pipes, exit codes

    return run_command(mod.run, args, _crash_report)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
