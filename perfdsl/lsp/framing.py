"""Read LSP frames from a byte stream without trusting it.

`Content-Length: N` framing is easy to break: a header with a huge N made the server
allocate N bytes (MemoryError); one frame whose length is wrong, or a garbled header,
left every later frame misaligned. `FrameReader` reads through a small buffer, so memory
stays bounded whatever the headers say; it rejects a frame that is too large, has a bad
header, or whose body is not one JSON value, and then looks for the next
`Content-Length:` header to carry on from (resynchronises). A rejected frame becomes a
`$/perfdsl/badFrame` notification so the server can tell the user. If nothing usable
turns up in `MAX_JUNK` bytes, the stream is treated as closed and the server exits.

It offers the two calls pygls reads stdin with (`readline`, `read`), handing pygls only
well-formed frames. No pygls import: plain bytes in, bytes out.
"""

from __future__ import annotations

import json
import re
from typing import BinaryIO

MAX_FRAME = 32 * 1024 * 1024  # bytes in one message body
MAX_HEADER = 8 * 1024  # bytes in one frame's headers
MAX_JUNK = 64 * 1024 * 1024  # unusable bytes in a row before giving up
CHUNK = 64 * 1024
BAD_FRAME_METHOD = "$/perfdsl/badFrame"

_HEADER_START = b"Content-Length:"
_LENGTH = re.compile(rb"^content-length:[ \t]*([0-9]+)[ \t]*$", re.IGNORECASE)


class FrameReader:
    """A pygls-compatible reader (`readline`, `read`) that only yields valid frames."""

    def __init__(self, stream: BinaryIO, max_frame: int = MAX_FRAME) -> None:
        self.stream = stream
        self.max_frame = max_frame
        self.buf = bytearray()
        self.eof = False
        self.gave_up = False
        self.rejected = 0
        self.junk = 0  # bytes dropped since the last good frame
        self._lines: list[bytes] = []
        self._body = b""

    # --- what pygls calls ----------------------------------------------------------------
    def readline(self) -> bytes:
        if not self._lines:
            body = self._next_frame()
            if body is None:
                return b""
            self._lines = [b"Content-Length: %d\r\n" % len(body), b"\r\n"]
            self._body = body
        return self._lines.pop(0)

    def read(self, n: int) -> bytes:
        body, self._body = self._body[:n], self._body[n:]
        return body

    # --- framing -------------------------------------------------------------------------
    def _fill(self) -> bool:
        if self.eof:
            return False
        read1 = getattr(self.stream, "read1", None)
        chunk = read1(CHUNK) if read1 is not None else self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _next_frame(self) -> bytes | None:
        """The next good body; for a rejected frame, a badFrame notification; None at the end."""
        end = self.buf.find(b"\r\n\r\n")
        while end < 0 and len(self.buf) <= MAX_HEADER:
            if not self._fill():
                return None
            end = self.buf.find(b"\r\n\r\n")
        if end < 0 or end > MAX_HEADER:
            reason = "消息头过长或缺少空行"
            skipped = self._resync()
        else:
            length, reason = _content_length(bytes(self.buf[:end]))
            if length is None:
                skipped = self._resync()  # a good header may start inside the bad one
            else:
                if length > self.max_frame:
                    reason = f"消息过大（{length} 字节，上限 {self.max_frame} 字节）"
                else:
                    start = end + 4
                    while len(self.buf) < start + length:
                        if not self._fill():
                            return None
                    body = bytes(self.buf[start:start + length])
                    if _is_json(body):
                        del self.buf[:start + length]
                        self.junk = 0
                        return body
                    reason = "消息长度与内容不符，或内容不是 JSON"
                del self.buf[:end + 4]
                skipped = end + 4 + self._resync()
        self.junk += skipped
        self.rejected += 1
        if self.junk > MAX_JUNK:
            self.gave_up = True
            return None
        note = {"jsonrpc": "2.0", "method": BAD_FRAME_METHOD, "params": {"message": reason}}
        return json.dumps(note, ensure_ascii=False).encode("utf-8")

    def _resync(self) -> int:
        """Drop bytes up to the next `Content-Length:` header (not at offset 0); return how many."""
        dropped = 0
        while True:
            at = self.buf.find(_HEADER_START, 1)
            if at > 0:
                del self.buf[:at]
                return dropped + at
            keep = len(_HEADER_START) - 1
            if len(self.buf) > keep:
                cut = len(self.buf) - keep
                del self.buf[:cut]
                dropped += cut
            if dropped > MAX_JUNK or not self._fill():
                return dropped


def _content_length(headers: bytes) -> tuple[int | None, str]:
    length = None
    for line in headers.split(b"\r\n"):
        m = _LENGTH.match(line.strip())
        if m:
            if length is not None:
                return None, "消息头中有两个 Content-Length"
            digits = m.group(1)
            if len(digits) > 12:
                return None, f"消息过大（Content-Length 有 {len(digits)} 位）"
            length = int(digits)
        elif line.strip() and b":" not in line:
            return None, "消息头格式不对"
    if length is None:
        return None, "消息头缺少 Content-Length"
    return length, ""


def _is_json(body: bytes) -> bool:
    """One JSON object or array, by its first and last non-blank bytes (pygls parses it fully)."""
    text = body.strip()
    return (text[:1], text[-1:]) in ((b"{", b"}"), (b"[", b"]"))
