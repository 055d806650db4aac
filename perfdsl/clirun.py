"""Run one subcommand with the CLI's guarantees around it (used by perfdsl/cli.py).

* Exit codes: the command's own; 130 on Ctrl-C; 128 + signal on SIGTERM/SIGHUP (which
  clean up like Ctrl-C, see perfdsl/interrupts.py); 3 on an internal error, with a
  crash report and no traceback on screen.
* stdout/stderr are wrapped (perfdsl/terminal.py): on a terminal control characters are
  escaped; a closed pipe (`| head -1`) stops the output but not the command, so the real
  exit code is kept.
* Temporary files still in flight after an interrupt are removed.

The language server is left alone: it speaks bytes on stdout, writes no files, and stops
on the client's `exit`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from perfdsl import interrupts, terminal


def run_command(run: Callable[[argparse.Namespace], int], args: argparse.Namespace,
                crash_report: Callable[[BaseException], str]) -> int:
    plain = args.command == "lsp"
    restore = (lambda: None) if plain else interrupts.install()
    streams = (sys.stdout, sys.stderr)
    if not plain:
        sys.stdout, sys.stderr = terminal.wrap(sys.stdout), terminal.wrap(sys.stderr)
    try:
        try:
            return int(run(args))
        except BrokenPipeError:
            return 2  # a write that bypassed the safe stream: an I/O problem, never "no errors"
        except (KeyboardInterrupt, interrupts.Terminated) as exc:
            return _interrupted(exc)
        except SystemExit:
            raise
        except Exception as exc:  # internal error: never a traceback on screen
            path = crash_report(exc)
            sys.stderr.write(
                "perfdsl 内部错误：这是 perfdsl 的缺陷，不是您的输入有误。\n"
                f"请把崩溃报告发给维护者：{path}\n"
            )
            return 3
        finally:
            interrupts.remove_live_temps()
            _restore_streams(streams)
    except (KeyboardInterrupt, interrupts.Terminated) as exc:  # a signal during clean-up
        interrupts.remove_live_temps()
        return _interrupted(exc)
    finally:
        restore()


def _interrupted(exc: BaseException) -> int:
    """Exit code (and a short note) for Ctrl-C (130) or SIGTERM/SIGHUP (128 + signal)."""
    signum = getattr(exc, "signum", None)
    try:
        sys.stderr.write("已中断。\n" if signum is None else f"已终止（收到 {getattr(exc, 'name', signum)}）。\n")
    except (OSError, ValueError):
        pass
    return 130 if signum is None else 128 + int(signum)


def _restore_streams(streams: tuple[object, object]) -> None:
    """Put the real streams back; after a closed pipe, point its descriptor at devnull so
    that Python's final flush does not print an error."""
    for wrapped in (sys.stdout, sys.stderr):
        try:
            wrapped.flush()
        except (OSError, ValueError):  # closed by the command (the language server closes stdout)
            pass
    broken = [getattr(w, "broken", False) for w in (sys.stdout, sys.stderr)]
    sys.stdout, sys.stderr = streams  # type: ignore[assignment]
    for was_broken, stream in zip(broken, streams, strict=True):
        if not was_broken:
            continue
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())  # type: ignore[attr-defined]
            os.close(devnull)
        except (OSError, AttributeError, ValueError):
            pass
