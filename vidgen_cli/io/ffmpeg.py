"""Locate and run the ffmpeg binary bundled with imageio-ffmpeg."""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Sequence

from vidgen_cli.errors import InputError


@functools.cache
def executable() -> str:
    """The bundled ffmpeg, or $VIDGEN_FFMPEG when a user wants their own build."""
    if env := os.environ.get("VIDGEN_FFMPEG"):
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def base_command() -> list[str]:
    return [executable(), "-hide_banner", "-nostdin", "-y"]


def run(args: Sequence[str], timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion, capturing stdout and stderr."""
    return subprocess.run([*base_command(), *args], capture_output=True, timeout=timeout, check=False)


_GENERIC = ("Exiting with exit code", "Error opening output file", "Error opening output files", "Error opening input file",
            "Error opening input files", "Conversion failed", "Nothing was written", "Task finished with error",
            "Terminating thread", "Error while opening encoder")


def last_error_line(stderr: bytes | str) -> str:
    """The most telling line of ffmpeg's stderr, for one-line error messages.

    ffmpeg names the cause first ("Unknown encoder 'x'") and then repeats generic summaries, so
    this takes the first line that reads like an error and is not one of those summaries.
    """
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    specific = [line for line in lines if not any(generic in line for generic in _GENERIC)]
    for line in specific:
        lowered = line.lower()
        if any(word in lowered for word in ("error", "invalid", "no such", "not ", "unknown", "unable", "could not", "failed", "unsupported")):
            return line
    return (specific or lines or ["ffmpeg failed without a message"])[-1]


def check_input_path(path: str) -> None:
    """Fail early, with a useful message, for inputs ffmpeg would reject cryptically."""
    if path == "-":
        return
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file or folder; check the path")
    if os.path.isfile(path):
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: not readable (permission denied); fix its permissions")
        if os.path.getsize(path) == 0:
            raise InputError(f"{path}: the file is empty (0 bytes); pass a real video or image")
