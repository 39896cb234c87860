"""A Ctrl-C that cannot be lost.

Python raises KeyboardInterrupt wherever the main thread happens to be when SIGINT arrives. Inside
a finaliser or a callback whose exceptions are ignored it is printed and dropped, and the run
would go on to finish with exit 0 (seen twice under heavy load in
tests/test_model_commands.py::test_ctrl_c_on_a_stream_does_not_suggest_resume). The handler
installed by the CLI also records the request, and the frame loop (runtime/threads.py) raises it
again at the next frame, so an interrupted run always stops and exits 130.
"""

from __future__ import annotations

import signal
import threading

_requested = threading.Event()


def _on_sigint(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT as Python does (KeyboardInterrupt), and remember it; main thread only."""
    _requested.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)


def raise_if_requested() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C came in since `install` (one whose exception was lost)."""
    if _requested.is_set():
        raise KeyboardInterrupt
