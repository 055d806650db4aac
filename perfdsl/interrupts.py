"""Signals end a run the way Ctrl-C does: temporary files are removed, outputs stay whole.

SIGINT raises KeyboardInterrupt (Python's default). `install()` makes SIGTERM and SIGHUP
raise `Terminated` in the main thread, so the same unwinding runs: every `write_atomic`
removes its temporary file, and the CLI exits 128 + signal number. Only the first signal
raises; a second one during clean-up is ignored, so clean-up itself is not cut short.

Two short windows cannot be unwound safely: between creating a temporary file and
recording it, and between renaming it into place and forgetting it. `deferred()` blocks
the three signals (pthread_sigmask) for those few system calls; a signal that arrives
meanwhile is delivered right after. `live_temps` holds the temporary files in flight, so
the CLI can remove any that an exception path missed.

Windows has no SIGHUP and no pthread_sigmask: there SIGTERM is handled the same way but
the two windows are not guarded (documented in docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

NAMES = {getattr(signal, n): n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}
_HANDLED = tuple(s for s in NAMES if s != signal.SIGINT)

live_temps: set[str] = set()
_state = {"pid": 0, "terminating": False}


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM or SIGHUP."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return NAMES.get(self.signum, str(self.signum))


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if os.getpid() != _state["pid"]:  # a forked worker: behave as if we had no handler
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _state["terminating"]:
        return
    _state["terminating"] = True
    raise Terminated(signum)


def install() -> Callable[[], None]:
    """Handle SIGTERM and SIGHUP like SIGINT (main thread only; a no-op elsewhere).

    Returns a function that puts the previous handlers back (for in-process callers)."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    _state["pid"] = os.getpid()
    _state["terminating"] = False
    for signum in _HANDLED:
        try:
            old = signal.getsignal(signum)
            if old == signal.SIG_IGN:
                continue  # nohup: the user asked to ignore it
            signal.signal(signum, _on_signal)
            previous[signum] = old
        except (OSError, ValueError):
            pass

    def restore() -> None:
        for signum, old in previous.items():
            try:
                signal.signal(signum, old)
            except (OSError, ValueError, TypeError):
                pass

    return restore


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP for the duration (a few system calls at most)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    old = mask(signal.SIG_BLOCK, tuple(NAMES))
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, old)


def remove_live_temps() -> None:
    """Remove temporary files still in flight (after an interrupt)."""
    for tmp in list(live_temps):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        live_temps.discard(tmp)
