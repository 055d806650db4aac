"""Open an Office file the user gave us without trusting it.

`open_package(data, kind)` checks, before any XML library sees a byte: the file is a zip
(not an OLE file: encrypted Office files and old .doc/.xls are OLE), it is not a zip bomb
(entry count, total and per-part uncompressed size, compression ratio), it carries no
macros, and no XML part declares a DOCTYPE or an entity (so no entity can be resolved
by any parser later, whatever its settings). It returns the parts' bytes, read with the
declared sizes as hard limits. Problems raise `ImportFailure` with a Chinese message.

`read_zip` is the one gate for every zip perfdsl opens (import and `--reference-docx`).
`parse_xml` refuses a part with too many elements before building its tree, and
`CellBudget` bounds the grid cells of all tables and sheets of one file together.

It must not write anything to disk and must not follow anything outside the file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from perfdsl.safepath import relative_path_problem

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_FILE = 100 * 1024 * 1024
MAX_TOTAL = 200 * 1024 * 1024
MAX_PART = 64 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 5000
MAX_NODES = 1_000_000  # XML tags (`<`) in one part parsed into a tree: at most ~1M elements, ~120 MB
MAX_FILE_NODES = 2_000_000  # XML tags (`<`) in all parts of a file (streamed or not)
MAX_CELLS = 200_000  # grid cells over all tables/sheets of one file (~15× the largest real department)
KIND_ZH = {"docx": "Word（.docx）", "xlsx": "Excel（.xlsx）"}


class ImportFailure(Exception):
    """The file cannot be imported; the message (Chinese) says why and what to do."""


def sniff(data: bytes) -> str:
    """"zip", "ole" or "other"."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return "zip"
    if data[:8] == OLE_MAGIC:
        return "ole"
    return "other"


def _ole_message(data: bytes, name: str) -> str:
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return (f"{name} 是设置了密码（加密）的 Office 文件，perfdsl 无法读取。"
                "请在 Word/Excel/WPS 中打开并取消密码保护，另存后再导入。")
    return (f"{name} 是旧版 Word/Excel 格式（.doc/.xls），perfdsl 只能读取 .docx/.xlsx。"
            "请在 Word/Excel/WPS 中“另存为” .docx 或 .xlsx 后再导入。")


def read_zip(data: bytes, name: str, what: str, want: Callable[[str], bool] | None = None) -> dict[str, bytes]:
    """The entries of a zip perfdsl was handed (name → bytes), checked before anything is
    decompressed. The one gate for every zip perfdsl opens (`import`, `--reference-docx`):
    size of the file, entry count, per-entry and total uncompressed size, compression
    ratio, macros, and no DOCTYPE/entity declaration in any XML part. `want(name)` picks
    the entries to read (default: XML and .rels parts); the others are checked, not read.
    `what` names the kind of file in messages (e.g. "Word（.docx）")."""
    if len(data) > MAX_FILE:
        raise ImportFailure(f"{name} 太大（{len(data) // (1024 * 1024)} MB），超过 {MAX_FILE // (1024 * 1024)} MB 的上限。")
    s = sniff(data)
    if s == "ole":
        raise ImportFailure(_ole_message(data, name))
    if s != "zip":
        raise ImportFailure(f"{name} 不是 {what} 文件（文件内容不是 Office Open XML 压缩包）。")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ImportFailure(f"{name} 已损坏，无法作为 {what} 打开（{exc}）。") from exc
    if len(infos) > MAX_ENTRIES:
        raise ImportFailure(f"{name} 含有 {len(infos)} 个内部文件，超过上限 {MAX_ENTRIES}，疑似恶意文件，已拒绝。")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART or total > MAX_TOTAL or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise ImportFailure(
                f"{name} 解压后过大（内部文件 {info.filename} 压缩比 {ratio:.0f}:1，合计 {total // (1024 * 1024)} MB），"
                "疑似“压缩炸弹”，已拒绝。")
        problem = relative_path_problem(info.filename.rstrip("/") if info.is_dir() else info.filename)
        if problem is not None:
            raise ImportFailure(f"{name} 的内部文件名“{info.filename!r}”{problem}，疑似恶意文件，已拒绝。")
        low = info.filename.lower()
        if low.endswith("vbaproject.bin") or (low.endswith(".bin") and "vba" in low):
            raise ImportFailure(f"{name} 含有宏（VBA），为安全起见不使用。请另存为不含宏的 .docx/.xlsx 后再使用。")
    pick = want or _is_xml
    parts: dict[str, bytes] = {}
    with zf:
        for info in infos:
            if info.is_dir() or not pick(info.filename):
                continue
            try:
                with zf.open(info) as fh:
                    raw = fh.read(info.file_size + 1)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
                raise ImportFailure(f"{name} 已损坏：内部文件 {info.filename} 无法解压（{exc}）。") from exc
            if len(raw) > info.file_size:
                raise ImportFailure(f"{name} 的内部文件 {info.filename} 比声明的大小更大，疑似恶意文件，已拒绝。")
            if _is_xml(info.filename):
                probe = raw
                if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    probe = raw.decode("utf-16", errors="ignore").encode("utf-8")
                if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe or b"<!doctype" in probe:
                    raise ImportFailure(
                        f"{name} 的内部文件 {info.filename} 含有 DOCTYPE/实体声明（可能指向本机文件或网络），"
                        "为安全起见拒绝使用。")
            parts[info.filename] = raw
    ctypes = parts.get("[Content_Types].xml", b"")
    if b"macroEnabled" in ctypes or b"vbaProject" in ctypes:
        raise ImportFailure(f"{name} 是启用宏的文件（.docm/.xlsm），为安全起见不使用。请另存为 .docx/.xlsx 后再使用。")
    nodes = sum(raw.count(b"<") for part, raw in parts.items() if _is_xml(part))
    if nodes > MAX_FILE_NODES:
        raise ImportFailure(f"{name} 的 XML 共有约 {nodes:,} 个标记，超过上限 {MAX_FILE_NODES:,}，已拒绝。")
    return parts


def _is_xml(entry: str) -> bool:
    low = entry.lower()
    return low.endswith(".xml") or low.endswith(".rels")


def open_package(data: bytes, kind: str, name: str) -> dict[str, bytes]:
    """The XML parts of a checked OOXML package to import (name → bytes)."""
    parts = read_zip(data, name, KIND_ZH[kind])
    ctypes = parts.get("[Content_Types].xml", b"")
    if kind == "docx" and b"wordprocessingml" not in ctypes:
        raise ImportFailure(f"{name} 不是 Word（.docx）文件。" + (" 它看起来是 Excel 文件，请用 .xlsx 扩展名。" if b"spreadsheetml" in ctypes else ""))
    if kind == "xlsx" and b"spreadsheetml" not in ctypes:
        raise ImportFailure(f"{name} 不是 Excel（.xlsx）文件。" + (" 它看起来是 Word 文件，请用 .docx 扩展名。" if b"wordprocessingml" in ctypes else ""))
    return parts


def parse_xml(raw: bytes, name: str, part: str) -> Any:
    """An XML part of a checked package as an lxml tree, refused before parsing when it has
    more than MAX_NODES tags (counted as `<`; a tree costs ~120 bytes an element: 60 MB
    of `<p/>` would take 1.2 GB)."""
    from lxml import etree

    nodes = raw.count(b"<")
    if nodes > MAX_NODES:
        raise ImportFailure(f"{name} 的内部文件 {part} 有约 {nodes:,} 个 XML 标记，超过上限 {MAX_NODES:,}，已拒绝。")
    try:
        return etree.fromstring(raw, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ImportFailure(f"{name} 的内部文件 {part} 不是有效的 XML：{exc}") from exc


class CellBudget:
    """The cells every table and sheet of one file may have in total, counted as their
    grids are built (a merged cell counts once for every position it covers), so a small
    file that describes a huge grid is refused before the grid exists."""

    def __init__(self, name: str, limit: int | None = None) -> None:
        self.name = name
        self.limit = MAX_CELLS if limit is None else limit
        self.used = 0

    def take(self, n: int, where: str) -> None:
        if self.used + n > self.limit:
            self.refuse(self.used + n, where)
        self.used += n

    def refuse(self, total: int, where: str) -> None:
        raise ImportFailure(
            f"{self.name} 的表格太大：读到{where}{' ' if where[-1:].isascii() else ''}时已有 {total:,} 个单元格（合并单元格按所占格数计），"
            f"超过全部表格合计 {self.limit:,} 个的上限，已拒绝。"
            "如果远处有误输入的内容或多余的合并单元格，请删除后再导入；很大的清单请分成几个文件。")


def xml_parser():  # type: ignore[no-untyped-def]
    """An lxml parser that never resolves entities, never touches the network."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           remove_comments=True)
