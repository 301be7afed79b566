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

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_pending = threading.Event()


@contextlib.contextmanager
def interrupts_caught() -> Iterator[None]:
    """While inside, SIGINT (main thread only) is recorded as well as raised, and an
    interrupt a finaliser swallowed prints nothing; on leaving, the previous handler and hook
    are back and the record is cleared, so a later run in the same process starts clean."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending.clear()
    handler = signal.signal(signal.SIGINT, _on_interrupt)
    hook = sys.unraisablehook
    sys.unraisablehook = _QuietAboutInterrupts(hook)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = hook
        _pending.clear()


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
    """Raise KeyboardInterrupt if SIGINT arrived inside :func:`interrupts_caught`, even if the
    KeyboardInterrupt it raised then was swallowed somewhere."""
    if _pending.is_set():
        raise KeyboardInterrupt
