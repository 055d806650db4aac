"""What perfdsl prints cannot drive the terminal, and a closed pipe does not change the result.

A title or a source line may hold ESC sequences or other control characters (or bidi
overrides) that clear the screen, move the cursor or print fake text. `visible()` writes
each of them as `\\uXXXX`, which is readable and, inside JSON strings, a valid escape that
means the same character. Tab and newline stay.

`SafeStream` wraps stdout/stderr for the CLI: on a terminal it applies `visible()` to
everything written (names in messages, paths); and when the reader goes away
(`perfdsl check … | head -1`), it stops writing instead of raising BrokenPipeError, so
the command finishes and keeps its real exit code.
"""

from __future__ import annotations

import io
from typing import Any

_KEEP = {"\t", "\n"}
_CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(c) not in _KEEP]
# Bidirectional overrides and isolates ("Trojan Source"): they reorder what is shown.
_BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
_TABLE = {ord(ch): f"\\u{ord(ch):04x}" for ch in (*_CONTROLS, *_BIDI)}


def visible(text: str) -> str:
    """`text` with control and bidi-override characters written as `\\uXXXX`."""
    return text.translate(_TABLE)


class SafeStream(io.TextIOBase):
    """A text stream that escapes controls (when `escape`) and survives a closed pipe."""

    def __init__(self, inner: Any, escape: bool) -> None:
        self.inner = inner
        self.escape = escape
        self.broken = False

    def write(self, text: str) -> int:  # type: ignore[override]
        if self.broken:
            return len(text)
        try:
            self.inner.write(visible(text) if self.escape else text)
        except BrokenPipeError:
            self.broken = True
        return len(text)

    def writelines(self, lines: Any) -> None:  # type: ignore[override]
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.broken:
            return
        try:
            self.inner.flush()
        except BrokenPipeError:
            self.broken = True
        except ValueError:  # closed by the caller
            pass

    def isatty(self) -> bool:
        return bool(getattr(self.inner, "isatty", lambda: False)())

    def fileno(self) -> int:
        return int(self.inner.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.inner, "encoding", "utf-8"))

    @property
    def buffer(self) -> Any:
        return self.inner.buffer

    def writable(self) -> bool:
        return True


def wrap(stream: Any) -> SafeStream:
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        tty = False
    return SafeStream(stream, escape=tty)
