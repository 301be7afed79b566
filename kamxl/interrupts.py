"""Ctrl-C (SIGINT) that is never lost on the way out.

Python raises :class:`KeyboardInterrupt` wherever the main thread is when the signal
arrives. Most places pass it on, but a few swallow it: a finaliser (``__del__``, a weakref
callback) prints "Exception ignored" and goes on, so a command interrupted at that instant
would finish, publish its output and exit 0 with a traceback on stderr. The handler here
also records the interrupt; :func:`raise_if_interrupted` raises it again at the points
that matter (before an output file takes its name, when a command returns), and a
swallowed interrupt prints nothing.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

_pending = threading.Event()


def catch_interrupts() -> None:
    """Handle SIGINT in this process (main thread only): record it, raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return
    _pending.clear()
    signal.signal(signal.SIGINT, _on_interrupt)
    if not isinstance(sys.unraisablehook, _QuietAboutInterrupts):
        sys.unraisablehook = _QuietAboutInterrupts(sys.unraisablehook)


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    _pending.set()
    raise KeyboardInterrupt


class _QuietAboutInterrupts:
    """The unraisable-exception hook: an interrupt a finaliser swallowed is recorded already,
    so nothing is said about it; anything else goes to the hook that was there before."""

    def __init__(self, previous: Callable[[Any], object]) -> None:
        self.previous = previous

    def __call__(self, unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            self.previous(unraisable)


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if SIGINT arrived since :func:`catch_interrupts`, even if the
    KeyboardInterrupt it raised then was swallowed somewhere."""
    if _pending.is_set():
        raise KeyboardInterrupt
