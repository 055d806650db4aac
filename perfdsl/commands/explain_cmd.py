"""`perfdsl explain CODE`: what a diagnostic code means, an example and the fix."""

from __future__ import annotations

import argparse
import sys

from perfdsl.diagnostics import SEVERITY_ZH, catalog


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("explain", help="解释诊断代码", description="说明诊断代码的含义、触发示例与修改方法。")
    p.add_argument("code", nargs="?", metavar="代码", help="诊断代码，如 PD-M001；省略则列出全部代码")


def explain_text(code: str) -> str | None:
    entry = catalog().get(code.upper())
    if entry is None:
        return None
    example = entry.get("example", "")
    ex = "\n".join("    " + ln for ln in example.split("\n"))
    return (
        f"{code.upper()}（{SEVERITY_ZH[entry['severity']]}）：{entry['title']}\n\n"
        f"{entry['explain']}\n\n触发示例：\n{ex}\n\n修改方法：{entry['fix']}\n"
    )


def run(args: argparse.Namespace) -> int:
    if not args.code:
        for code, entry in catalog().items():
            sys.stdout.write(f"{code}  {SEVERITY_ZH[entry['severity']]}  {entry['title']}\n")
        return 0
    text = explain_text(args.code)
    if text is None:
        sys.stderr.write(f"perfdsl：没有诊断代码“{args.code}”。运行 perfdsl explain 查看全部代码。\n")
        return 2
    sys.stdout.write(text)
    return 0
