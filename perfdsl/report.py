"""Render diagnostics for people and machines: text, JSON and GNU one-liners.

The text form puts the location first as `path:line:col` (columns in characters), then
the source line with carets placed by display width (CJK characters are two columns
wide: Lark's own context gets this wrong), then the indicator path, help and fix.
Text and GNU forms show invisible and bidi control characters as `⟨U+200B⟩`
(perfdsl.invisible) and other control characters as `\\uXXXX` (perfdsl.terminal.visible):
a source line or a name cannot drive the reader's terminal or hide from the reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from perfdsl.diagnostics import SEVERITY_ZH, Diagnostic, catalog
from perfdsl.invisible import visible as show_invisible
from perfdsl.invisible import visible_span
from perfdsl.source import SourceFile, display_width
from perfdsl.terminal import visible

EXCERPT_CONTEXT = 60  # characters kept on each side of the span in a long line


def _window(line: str, col: int, end_col: int) -> tuple[str, int, int]:
    """Clip a long source line around the span; returns the excerpt and the shifted columns."""
    if len(line) <= 2 * EXCERPT_CONTEXT + 40:
        return line, col, end_col
    start = max(col - 1 - EXCERPT_CONTEXT, 0)
    span_end = min(max(end_col - 1, col), col - 1 + EXCERPT_CONTEXT)
    stop = min(span_end + EXCERPT_CONTEXT, len(line))
    head = "…" if start > 0 else ""
    tail = "…" if stop < len(line) else ""
    shift = start - len(head)
    return head + line[start:stop] + tail, col - shift, min(end_col, span_end + 1) - shift


def _caret_line(line: str, col: int, end_col: int) -> str:
    """Carets under the span of `line` as it is shown (escaped by `visible`)."""
    prefix = visible(line[: max(col - 1, 0)])
    pad = "".join("\t" if ch == "\t" else " " * display_width(ch) for ch in prefix)
    seg = visible(line[max(col - 1, 0): max(end_col - 1, col)])
    width = max(display_width(seg), 1)
    return pad + "^" * width


def _profile_source(path: str) -> SourceFile | None:
    """A profile file a diagnostic points into (PD-C…): read it for the excerpt."""
    if not path.endswith(".toml"):
        return None
    try:
        return SourceFile(path, open(path, encoding="utf-8").read())
    except (OSError, UnicodeDecodeError):
        return None


def format_text(d: Diagnostic, sources: dict[str, SourceFile]) -> str:
    return visible(_format_text(d, sources))


def _format_text(d: Diagnostic, sources: dict[str, SourceFile]) -> str:
    sev = "已豁免" if d.waived else SEVERITY_ZH.get(d.severity, d.severity)
    title = catalog().get(d.code, {}).get("title", "")
    loc = f"{d.span.path}:{d.span.line}:{d.span.col}"
    lines = [f"{loc}: {sev}[{d.code}] {title}：{d.message}"]
    src = sources.get(d.span.path) or _profile_source(d.span.path)
    if src is not None and d.span.line > 0:
        text = src.line_text(d.span.line)
        end_col = d.span.end_col if d.span.end_line == d.span.line else len(text) + 1
        text, col, end_col = _window(text, d.span.col, end_col)
        text, col, end_col = visible_span(text, col, end_col)  # Trojan Source: show, never obey
        num = str(d.span.line)
        gutter = " " * len(num)
        lines.append(f" {gutter} |")
        lines.append(f" {num} | {text}")
        lines.append(f" {gutter} | {_caret_line(text, col, end_col)}")  # escaped in format_text
    if d.path:
        what = "字段" if d.path_kind == "field" else "指标路径"
        lines.append(f"  = {what}：{show_invisible(' › '.join(d.path))}")
    if d.help:
        lines.append(f"  = 帮助：{d.help}")
    if d.fix is not None:
        desc = d.fix.description or "修改为"
        shown = desc if d.fix.replacement in desc else f"{desc}（{d.fix.replacement}）"
        lines.append(f"  = 修复：{shown}")
    for span, label in d.related:
        lines.append(f"  = 相关：{span.path}:{span.line}:{span.col} {label}")
    if d.waived:
        lines.append(f"  = 豁免理由：{d.waiver_reason}")
    # Invisible and bidi characters in names, messages and paths as ⟨U+200B⟩ (PD-T001);
    # format_text then escapes the remaining controls.
    return show_invisible("\n".join(lines))


def summary(diags: list[Diagnostic], quiet: bool = False) -> str:
    """The last line of a check. `diags` is every finding, also those `-q` did not print
    (`quiet`): the counts of warnings and waived findings are always given."""
    errors = sum(1 for d in diags if d.severity == "error" and not d.waived)
    warnings = sum(1 for d in diags if d.severity == "warning" and not d.waived)
    waived = sum(1 for d in diags if d.waived)
    if not errors and not warnings and not waived:
        return "检查通过：没有发现问题。"
    parts = [f"{errors} 个错误", f"{warnings} 个警告"]
    if waived:
        parts.append(f"{waived} 条已豁免")
    head = "检查未通过" if errors else "检查通过"
    tail = "（-q：警告与已豁免的问题未逐条列出）" if quiet and (warnings or waived) else ""
    return f"{head}：" + "，".join(parts) + "。" + tail


def format_all_text(diags: Iterable[Diagnostic], sources: dict[str, SourceFile]) -> str:
    diags = list(diags)
    blocks = [format_text(d, sources) for d in diags]
    blocks.append(summary(diags))
    return "\n\n".join(blocks) + "\n"


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.severity,
        "title": catalog().get(d.code, {}).get("title", ""),
        "message": d.message,
        "file": d.span.path,
        "line": d.span.line,
        "column": d.span.col,
        "end_line": d.span.end_line,
        "end_column": d.span.end_col,
        "indicator_path": list(d.path),
        "path_kind": d.path_kind,
        "help": d.help,
        "fix": None if d.fix is None else {
            "line": d.fix.span.line, "column": d.fix.span.col,
            "end_line": d.fix.span.end_line, "end_column": d.fix.span.end_col,
            "replacement": d.fix.replacement, "description": d.fix.description,
        },
        "waived": d.waived,
        "waiver_reason": d.waiver_reason,
    }


def format_json(diags: Iterable[Diagnostic]) -> str:
    import json  # only for --format json

    return json.dumps([diagnostic_json(d) for d in diags], ensure_ascii=False, indent=2) + "\n"


def format_gnu(diags: Iterable[Diagnostic]) -> str:
    out = []
    for d in diags:
        sev = "note" if d.waived or d.severity == "info" else d.severity
        out.append(visible(show_invisible(f"{d.span.path}:{d.span.line}:{d.span.col}: {sev}: [{d.code}] {d.message}")))
    return "\n".join(out) + ("\n" if out else "")
