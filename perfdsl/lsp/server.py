"""The JSON-RPC side of `perfdsl lsp`: pygls wiring for the editor features.

This module only translates: LSP requests in, calls into analysis/completion/hover/
symbols/actions and the formatter, LSP responses out. Positions are converted with
positions.py in the encoding the client negotiated (UTF-16 unless it asked otherwise).
Diagnostics are published on open, save and (debounced) change, for every open
document of the edited file's declaration set. It must not write files.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from perfdsl import __version__, record
from perfdsl.diagnostics import Diagnostic, catalog
from perfdsl.lsp import positions
from perfdsl.lsp.actions import code_actions
from perfdsl.lsp.analysis import Analyser, SetAnalysis, compile_open, normalise_text, profile_dirs_for
from perfdsl.lsp.completion import complete
from perfdsl.lsp.framing import BAD_FRAME_METHOD, FrameReader
from perfdsl.lsp.hover import hover_at
from perfdsl.lsp.symbols import document_symbols
from perfdsl.profiles import ProfileError
from perfdsl.source import Span

DEBOUNCE_SECONDS = 0.05
SOURCE = "perfdsl"
_TEMPLATE_LINE = re.compile(r"\s*模板\s*[:：]")
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}

log = logging.getLogger(__name__)


# Documents larger than this are not checked while editing (a 20 MB file took minutes per edit).
MAX_CHECK_BYTES = 1024 * 1024
_IGNORED = SimpleNamespace(jsonrpc="ignored")  # handle_message drops a message with another version


class GuardedProtocol(LanguageServerProtocol):
    """Answers a request whose params cannot be read (a position of 2^40 or -1) with an error.

    pygls raises while decoding such a message and the client waits forever for a reply.
    """

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=types.ResponseError(
                    code=JsonRpcInvalidParams.CODE,
                    message=f"请求“{data.get('method')}”的参数无效（如位置超出范围）"))
            return _IGNORED


class PerfServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("perfdsl", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=GuardedProtocol)
        self.analyser = Analyser(MAX_CHECK_BYTES)
        self.published: dict[str, list[tuple[Diagnostic, types.Diagnostic]]] = {}
        self.pending: dict[str, int] = {}
        # files not open whose diagnostics are shown: unquoted URI -> URI as published
        self.closed_published: dict[str, str] = {}
        self.refused: set[str] = set()  # big documents already announced
        self.profile_files: set[str] = set()  # profile .toml files that had problems published

    # --- helpers -----------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        enc = str(self.workspace.position_encoding or positions.UTF16)
        return enc if enc in (positions.UTF8, positions.UTF16, positions.UTF32) else positions.UTF16

    def lines_of(self, uri: str) -> list[str]:
        return positions.split_lines(normalise_text(self.workspace.get_text_document(uri).source))

    def open_docs(self) -> dict[str, tuple[str, str, int | None]]:
        """Open documents by file path: (the client's URI, text, version)."""
        out = {}
        for doc in list(self.workspace.text_documents.values()):
            path = to_fs_path(doc.uri)
            if path:
                out[path] = (doc.uri, doc.source, doc.version)
        return out

    def open_texts(self) -> dict[str, str]:
        return {p: text for p, (_u, text, _v) in self.open_docs().items()}

    def to_range(self, lines: list[str], span: Span) -> types.Range:
        (sl, sc), (el, ec) = positions.span_to_range(lines, span.line, span.col, span.end_line, span.end_col,
                                                     self.encoding)
        return types.Range(types.Position(sl, sc), types.Position(el, ec))

    def cursor(self, uri: str, pos: types.Position) -> tuple[list[str], int, int]:
        lines = self.lines_of(uri)
        if not 0 <= pos.line < max(len(lines), 1) or pos.character < 0:
            raise JsonRpcInvalidParams(f"位置超出文件范围：第 {pos.line} 行（文件共 {len(lines)} 行）")
        line, col = positions.from_position(lines, pos.line, pos.character, self.encoding)
        return lines, line - 1, col - 1

    # --- diagnostics -------------------------------------------------------------------
    def lsp_diagnostic(self, d: Diagnostic, lines: list[str], uri_of: dict[str, str]) -> types.Diagnostic:
        message = d.message
        if d.help:
            message += f"\n帮助：{d.help}"
        if d.fix is not None:
            message += f"\n修复：{d.fix.description or '修改为'}（{d.fix.replacement}）"
        severity = _SEVERITY.get(d.severity, types.DiagnosticSeverity.Error)
        if d.waived:
            message = f"已豁免：{message}\n豁免理由：{d.waiver_reason}"
            severity = types.DiagnosticSeverity.Hint
        related = []
        for span, label in d.related:
            ruri = uri_of.get(span.path) or from_fs_path(span.path)
            if ruri:
                rlines = lines if uri_of.get(d.span.path) == ruri else _disk_lines(span.path)
                related.append(types.DiagnosticRelatedInformation(
                    types.Location(ruri, self.to_range(rlines, span)), label))
        title = catalog().get(d.code, {}).get("title", "")
        return types.Diagnostic(
            range=self.to_range(lines, d.span), message=message, severity=severity, code=d.code,
            source=f"{SOURCE}（{title}）" if title else SOURCE, related_information=related or None,
            code_description=None,
        )

    def check_and_publish(self, uri: str) -> SetAnalysis | None:
        """Check `uri`'s declaration set and publish for every member file, open or not.

        Files that are not open are read from disk, so a set-wide finding (PD-M004, a
        duplicate title, …) is published for the file it belongs to even when only another
        member is open; it is also shown in the edited file at its related place there.
        """
        path = to_fs_path(uri)
        if not path:
            return None
        docs = self.open_docs()
        texts = {p: text for p, (_u, text, _v) in docs.items()}
        size = too_big(texts.get(path, ""))
        if size:
            self.refuse_big(uri, size, docs.get(path, (uri, "", None))[2])
            return None
        analysis = self.analyser.analyse(path, texts)
        for big in analysis.skipped:
            if big not in self.refused:
                self.refused.add(big)
                self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, (
                    f"同一文件夹中的 {Path(big).name} 超过 {MAX_CHECK_BYTES // 1024 // 1024} MB，编辑时不参与检查；"
                    "跨文件的问题请在终端运行 perfdsl check 文件夹 查看")))
        uri_of = {p: docs[p][0] if p in docs else (from_fs_path(p) or p) for p in analysis.files}
        uri_of[path] = uri
        by_file: dict[str, list[Diagnostic]] = {p: [] for p in analysis.files}
        for p in self.profile_files:  # profile files published before: cleared when fixed
            by_file.setdefault(p, [])
        profile_notes = []
        for d in analysis.set_result.diagnostics:
            if not _is_profile(d.span.path):
                by_file.setdefault(d.span.path if d.span.path in by_file else path, []).append(d)
            else:  # a problem in a profile (PD-C…): shown in that .toml, and noted at 模板: here
                by_file.setdefault(d.span.path, []).append(d)
                self.profile_files.add(d.span.path)
                profile_notes.append(_profile_note(d, path, texts.get(path, "")))
        by_file[path] = by_file.get(path, []) + _mirrored(by_file, path, texts) + profile_notes
        for p, diags in by_file.items():
            u = uri_of.setdefault(p, from_fs_path(p) or p)
            if p in texts:
                lines = positions.split_lines(normalise_text(texts[p]))
                version = docs[p][2]
                self.closed_published.pop(unquote(u), None)
            else:
                if not diags and unquote(u) not in self.closed_published:
                    continue
                lines = _disk_lines(p)
                version = None
                if diags:
                    self.closed_published[unquote(u)] = u
                else:
                    self.closed_published.pop(unquote(u), None)
            pairs = [(d, self.lsp_diagnostic(d, lines, uri_of)) for d in diags]
            self.published[unquote(u)] = pairs
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=u, diagnostics=[x for _, x in pairs], version=version))
        return analysis

    def refuse_big(self, uri: str, size: int, version: int | None) -> None:
        """Say once, in the file and in a message, that a document this big is not checked here."""
        text = (f"文件有 {size / 1024 / 1024:.1f} MB，超过编辑时检查的上限 {MAX_CHECK_BYTES // 1024 // 1024} MB，"
                "未检查；请在终端运行 perfdsl check 检查这个文件")
        d = types.Diagnostic(range=types.Range(types.Position(0, 0), types.Position(0, 0)), message=text,
                             severity=types.DiagnosticSeverity.Information, source=SOURCE)
        self.published[unquote(uri)] = []
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[d],
                                                                              version=version))
        if unquote(uri) not in self.refused:
            self.refused.add(unquote(uri))
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, text))

    def forget_closed(self, uri: str) -> None:
        """`uri` was closed: recheck its set from another open member, or clear the set's files."""
        path = to_fs_path(uri)
        folder = str(Path(path).parent) if path else None
        same_set = [u for p, (u, _t, _v) in self.open_docs().items()
                    if folder is not None and str(Path(p).parent) == folder]
        if same_set:
            self.closed_published[unquote(uri)] = uri  # refreshed from its disk text, or cleared
            self.check_and_publish(same_set[0])
            return
        gone = [u for u in self.closed_published.values()
                if folder is not None and str(Path(to_fs_path(u) or "").parent) == folder]
        for u in [*gone, uri]:
            self.closed_published.pop(unquote(u), None)
            self.published.pop(unquote(u), None)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=u, diagnostics=[]))


def _is_profile(path: str) -> bool:
    return path.endswith(".toml")


def _profile_note(d: Diagnostic, path: str, text: str) -> Diagnostic:
    """A profile problem shown in the declaration that uses the profile, at its `模板:` line."""
    line = next((i for i, raw in enumerate(text.split("\n"), 1) if _TEMPLATE_LINE.match(raw)), 1)
    width = len(text.split("\n")[line - 1]) if text else 1
    where = f"{Path(d.span.path).name}:{d.span.line}"
    return record.evolve(d, span=Span(path, line, 1, line, max(width, 1) + 1), fix=None,
                        related=((d.span, "模板中的位置"), *d.related),
                        message=f"{d.message}（问题在模板文件 {where}）")


def _mirrored(by_file: dict[str, list[Diagnostic]], path: str, texts: dict[str, str]) -> list[Diagnostic]:
    """Set-wide findings of files that are not open, shown again where they point into `path`."""
    out = []
    for other, diags in by_file.items():
        if other == path or other in texts:
            continue
        for d in diags:
            if d.waived:
                continue
            for span, _label in d.related:
                if span.path == path:
                    where = f"{Path(other).name}:{d.span.line}"
                    out.append(record.evolve(d, span=span, fix=None, related=((d.span, "问题所在"), *d.related),
                                            message=f"{d.message}（问题报告在 {where}）"))
                    break
    return out


def too_big(text: str) -> int:
    """The size in bytes of a text too big to check while editing, else 0."""
    if len(text) * 4 <= MAX_CHECK_BYTES:
        return 0
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > MAX_CHECK_BYTES else 0


def _disk_lines(path: str) -> list[str]:
    try:
        return positions.split_lines(normalise_text(Path(path).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return []


def _known_names(server: PerfServer, path: str) -> list[tuple[str, str, str]]:
    """三级 names of the declaration set (open text first), for completion."""
    texts = server.open_texts()
    if too_big(texts.get(path, "")):
        return []
    analysis = server.analyser.analyse(path, texts)
    seen: dict[tuple[str, str, str], None] = {}
    for d in analysis.set_result.dset.declarations:
        for ind in d.indicators:
            seen.setdefault(ind.path, None)
    return list(seen)


def build_server() -> PerfServer:
    server = PerfServer()

    @server.feature(BAD_FRAME_METHOD)
    def bad_frame(ls: PerfServer, params: Any) -> None:
        message = getattr(params, "message", "") or "无法解析"
        log.warning("bad frame: %s", message)
        ls.window_show_message(types.ShowMessageParams(
            types.MessageType.Error, f"perfdsl 语言服务器收到一条无法解析的消息，已跳过：{message}"))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PerfServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.check_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: PerfServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        stamp = ls.pending.get(uri, 0) + 1
        ls.pending[uri] = stamp
        await asyncio.sleep(DEBOUNCE_SECONDS)
        if ls.pending.get(uri) != stamp:
            return  # a newer edit arrived: its own check will publish
        ls.check_and_publish(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PerfServer, params: types.DidSaveTextDocumentParams) -> None:
        path = to_fs_path(params.text_document.uri)
        if path:
            ls.analyser.forget(path)
        ls.check_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PerfServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget_closed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[".", "．", " "]))
    def completion(ls: PerfServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        lines, line, col = ls.cursor(uri, params.position)
        path = to_fs_path(uri) or ""
        items = complete(lines, line, col, profile_dirs=profile_dirs_for(path),
                         known_names=_known_names(ls, path) if path else (), encoding=ls.encoding)
        # Filtered by the typed prefix on the server: ask again as the prefix changes.
        return types.CompletionList(is_incomplete=True, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PerfServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        lines, line, col = ls.cursor(uri, params.position)
        found = hover_at(lines, line, col, profile_dirs_for(to_fs_path(uri) or ""))
        if found is None:
            return None
        span = Span("", line + 1, found.start + 1, line + 1, found.end + 1)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, found.markdown), ls.to_range(lines, span))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: PerfServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        uri = params.text_document.uri
        path = to_fs_path(uri) or uri
        text = ls.workspace.get_text_document(uri).source
        if too_big(text):
            return []
        fr = compile_open(path, text, profile_dirs_for(path))
        lines = positions.split_lines(normalise_text(text))
        return document_symbols(fr.declarations, lambda s: ls.to_range(lines, s))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: PerfServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        uri = params.text_document.uri
        path = to_fs_path(uri) or uri
        text = normalise_text(ls.workspace.get_text_document(uri).source)
        if too_big(text):
            ls.window_show_message(types.ShowMessageParams(
                types.MessageType.Warning, "文件过大，编辑器中不做格式化；请在终端运行 perfdsl fmt"))
            return None
        try:
            from perfdsl.formatter import format_source
        except ImportError:
            return None
        try:
            new, _diags = format_source(text, path, profile_dirs_for(path))
        except ProfileError:
            new = None
        if new is None:
            ls.window_show_message(types.ShowMessageParams(
                types.MessageType.Warning, "文件有语法错误或格式化会改变含义，未格式化（运行 perfdsl fmt 查看原因）"))
            return None
        if new == text:
            return []
        lines = positions.split_lines(text)
        end = types.Position(len(lines) - 1, positions.units_before(lines[-1], len(lines[-1]), ls.encoding))
        return [types.TextEdit(types.Range(types.Position(0, 0), end), new)]

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def actions(ls: PerfServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        lines = ls.lines_of(uri)
        lo, hi = params.range.start.line, params.range.end.line
        pairs = [(d, x) for d, x in ls.published.get(unquote(uri), [])
                 if x.range.start.line <= hi and x.range.end.line >= lo]
        money = "万元"
        return code_actions(uri, lines, pairs, lambda s: ls.to_range(lines, s), money)

    return server


def serve() -> int:
    """Run over stdio until the client says exit; 0 after a clean shutdown, else 1."""
    server = build_server()
    reader = FrameReader(sys.stdin.buffer)
    server.start_io(stdin=reader)  # type: ignore[arg-type]
    if reader.gave_up:
        print("perfdsl lsp：输入中连续出现无法解析的消息，已退出。", file=sys.stderr)
    return 0 if getattr(server.protocol, "_shutdown", False) else 1
