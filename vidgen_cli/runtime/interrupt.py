"""A stop request that cannot be lost: Ctrl-C, and a signal sent to vidgen alone.

Python raises KeyboardInterrupt wherever the main thread happens to be when SIGINT arrives. Inside
a finaliser or a callback whose exceptions are ignored it is printed and dropped, and the run
would go on to finish with exit 0 (seen twice under heavy load in
tests/test_model_commands.py::test_ctrl_c_on_a_stream_does_not_suggest_resume). The handler
installed by the CLI also records the request, and the frame loop (runtime/threads.py) raises it
again at the next frame, so an interrupted run always stops and exits 130.

SIGTERM (kill, timeout, a job scheduler) and SIGHUP (a closed terminal) take the same path as a
Ctrl-C, so a run stopped that way also finishes its own clean-up (resume state, temporary files);
the exit status is 128 + the signal's number (143, 129), as a shell reports a process killed by
it. A terminal's Ctrl-C reaches vidgen's whole process group; a signal sent to vidgen alone does
not reach the ffmpeg children, so `clean_up` stops those still running and removes what they were
writing. A signal that was ignored when vidgen started (nohup, `cmd &` in a script) stays ignored.
"""

from __future__ import annotations

import signal
import threading

_requested = threading.Event()
_received: list[int] = []  # the first stop signal's number
_HANDLED = ("SIGINT", "SIGTERM", "SIGHUP")


def _on_signal(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
    if not _received:
        _received.append(signum)
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP as Python handles SIGINT (KeyboardInterrupt), and
    remember which came; main thread only. A signal ignored at start-up is left ignored."""
    _requested.clear()
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        return
    for name in _HANDLED:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _on_signal)


def raise_if_requested() -> None:
    """Raise KeyboardInterrupt if a stop signal came in since `install` (one whose exception was lost)."""
    if _requested.is_set():
        raise KeyboardInterrupt


def exit_status() -> int:
    """128 + the number of the signal that stopped the run: 130 for Ctrl-C (also when no signal
    was recorded: a KeyboardInterrupt raised by other means), 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + (_received[0] if _received else int(signal.SIGINT))


def signal_name() -> str | None:
    """'SIGTERM' or 'SIGHUP' when such a signal stopped the run; None for a Ctrl-C."""
    if not _received or _received[0] == signal.SIGINT:
        return None
    return signal.Signals(_received[0]).name


def clean_up() -> None:
    """After a stop: end the ffmpeg children still running (a signal sent to vidgen alone did not
    reach them), then remove every temporary output not moved into place and every resume folder
    made by this run that holds no saved state. Nothing without a recorded signal (a
    KeyboardInterrupt raised by code: its own handlers clean up). Never raises."""
    if not _received:
        return
    from vidgen_cli.io import ffmpeg, outputs
    from vidgen_cli.runtime import resume

    try:
        ffmpeg.stop_children()
        outputs.discard_unfinished()
        resume.drop_unsaved()
    except Exception:  # noqa: BLE001 - a clean-up that fails must not hide why the run stopped
        pass
