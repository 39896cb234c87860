"""Turn exceptions into one-line messages and exit codes; tracebacks only with VIDGEN_DEBUG=1."""

from __future__ import annotations

import errno
import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from typer.exceptions import TyperException

from vidgen_cli.errors import OutputError, VidgenError

F = TypeVar("F", bound=Callable[..., Any])
INTERNAL = 70


def debug() -> bool:
    return os.environ.get("VIDGEN_DEBUG", "") not in ("", "0")


def say_error(message: str) -> None:
    sys.stderr.write(f"vidgen: error: {message}\n")
    sys.stderr.flush()


BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head` (coreutils, ffmpeg killed by the signal)


def stdout_closed() -> bool:
    """Whether the reader of stdout went away (`vidgen ... -o - | head -c 300`): a pipe whose
    read end is closed polls as an error. False for a terminal, a file, or an open pipe."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), stdout replaced (tests) or closed
        return False


def quiet_broken_pipe(exc: BaseException) -> bool:
    """A closed downstream pipe ends the run silently, as coreutils and ffmpeg do under SIGPIPE:
    True (stdout pointed at /dev/null, so that the interpreter's last flush says nothing either)
    when `exc` is a broken pipe, or any failure while stdout's reader is gone (ffmpeg writing the
    video to stdout stops with its own error)."""
    if not (isinstance(exc, BrokenPipeError) or stdout_closed()):
        return False
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return True


# A full disk (or a spent quota), as the OS says it (errno) and as ffmpeg repeats it in its error line.
_FULL_ERRNOS = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT") if hasattr(errno, name))
_FULL_TEXTS = ("No space left on device", "Disk quota exceeded")


def disk_full(exc: BaseException, output: str) -> OutputError | None:
    """The one line for a run that filled the disk it writes `output` to, whether Python or ffmpeg
    hit it (exit 4, as other output errors); None for any other failure."""
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        why = exc.strerror or str(exc)
    elif isinstance(exc, VidgenError) and (found := next((text for text in _FULL_TEXTS if text in str(exc)), None)):
        why = found
    else:
        return None
    if output == "-":
        return OutputError(f"stdout: {why} where the output is written; free some space there and run again")
    folder = Path(output).parent
    return OutputError(f"{output}: {why.lower()} (the disk holding {folder if str(folder) else '.'} is full); free some "
                       "space there or choose an output on another disk, then run again")


def exit_code_for(exc: BaseException) -> int:
    """Report an exception in one line and return its exit code (re-raised with VIDGEN_DEBUG=1)."""
    if isinstance(exc, VidgenError):
        say_error(str(exc))
        return exc.exit_code
    if isinstance(exc, TyperException) and hasattr(exc, "format_message"):  # typer.BadParameter raised in a command
        say_error(" ".join(exc.format_message().split()))
        return int(getattr(exc, "exit_code", 2))  # 2 for usage errors, as for vidgen's own
    if isinstance(exc, KeyboardInterrupt):
        from vidgen_cli.runtime import interrupt

        message = getattr(exc, "message", None) or "interrupted; no partial output was left"
        if (name := interrupt.signal_name()) and message.startswith("interrupted"):  # SIGTERM, SIGHUP: say which
            message = f"stopped by {name}" + message[len("interrupted"):]
        say_error(message)
        return interrupt.exit_status()
    if isinstance(exc, MemoryError):
        say_error("ran out of memory; try a smaller --max-side or a lower resolution")
        return INTERNAL
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:  # (run_jobs names the output; here only the file, if known)
        full = disk_full(exc, exc.filename) if exc.filename else None
        say_error(str(full) if full else f"{exc.strerror or exc}: the disk being written is full; free some space or write "
                  "to another disk, then run again")
        return OutputError.exit_code
    if isinstance(exc, OSError):
        say_error(f"{exc.strerror or exc} ({exc.filename or 'no file'}); check the path, free space and permissions")
        return 1
    say_error(f"internal error: {type(exc).__name__}: {exc}; rerun with VIDGEN_DEBUG=1 and report the traceback")
    return INTERNAL


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C with the one line that is true for this run (e.g. no --resume for a stream)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def interrupted_stream(source: str, output: str) -> Interrupted | None:
    """What to say when a run reading stdin or writing stdout is interrupted: --resume cannot
    continue it (it needs a file input and a file or folder output). None for file to file."""
    if source == "-":
        return Interrupted("interrupted; a stream read from stdin cannot be resumed (--resume needs a file input): run the "
                           "command again from the start, or save the stream to a file first and run on that file")
    if output == "-":
        return Interrupted("interrupted; the video written to stdout so far is cut short and cannot be resumed (--resume "
                           "needs a file or folder output): run the command again from the start")
    return None


def interrupted_file(command: str, kind: str, kept: bool = True) -> Interrupted:
    """What to say when `command` (one that takes --resume) writing a file or folder of `kind`
    ('video', 'frames', 'image') is interrupted: its finished work is kept for --resume, except
    for a single image, or when it had not saved any yet (`kept` False)."""
    if kind == "image" or not kept:
        return Interrupted("interrupted; no partial output was left")
    return Interrupted(f"interrupted; no partial output was left; {command} kept its finished work: rerun the same "
                       "command with --resume to continue")


def handle_errors(function: F) -> F:
    """Decorate a command so that errors end it with a message and an exit code, not a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from vidgen_cli.cli.report import start_run

        start_run()
        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - the point is to catch everything
            if isinstance(exc, KeyboardInterrupt):  # a stop signal: children ended, temporary outputs removed
                from vidgen_cli.runtime import interrupt

                interrupt.clean_up()
            if not isinstance(exc, KeyboardInterrupt) and quiet_broken_pipe(exc):
                raise typer.Exit(BROKEN_PIPE) from None
            if debug() and not isinstance(exc, VidgenError):
                raise  # an internal error: let it through to the debugger
            if debug():  # a typed error: its traceback, then the same line and exit code as without VIDGEN_DEBUG
                traceback.print_exc()
            raise typer.Exit(exit_code_for(exc)) from None

    return wrapper  # type: ignore[return-value]
