"""Locate and run the ffmpeg binary bundled with imageio-ffmpeg."""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Sequence
from fractions import Fraction

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


# Demuxers flagged AVFMT_TS_DISCONT: ffmpeg times such an input from the earliest of the streams a
# command maps, not from the file's start, so a video-only read of a .ts whose audio starts first
# would lose the video's offset.
MAPPED_ORIGIN_DEMUXERS = frozenset({"mpegts", "mpegtsraw", "mpeg", "hls"})


def file_timeline(demuxer: str, file_start: float) -> list[str]:
    """Input options (global -copyts: for a command with this one input) that put every stream of
    an input read by `demuxer` on the file's timeline (its 'start:' at 0 s) whichever streams the
    command maps; [] where ffmpeg already does (demuxers outside MAPPED_ORIGIN_DEMUXERS)."""
    if demuxer not in MAPPED_ORIGIN_DEMUXERS:
        return []
    return ["-copyts", *(["-itsoffset", f"{-file_start:.6f}"] if file_start else [])]


def run(args: Sequence[str], timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion, capturing stdout and stderr."""
    return subprocess.run([*base_command(), *args], capture_output=True, timeout=timeout, check=False)


def url(path: str | os.PathLike[str]) -> str:
    """A local path as ffmpeg must be given it: 'file:' in front when it holds a ':' (ffmpeg would
    take 'a:b.mp4' for protocol 'a'); '-' and 'pipe:N' unchanged."""
    text = os.fspath(path)
    if text == "-" or text.startswith("pipe:"):
        return text
    return "file:" + text if ":" in text else text


def sequence(folder: str | os.PathLike[str], name_pattern: str) -> str:
    """An image-sequence or segment filename template: `folder`/`name_pattern`, where `%` in the
    folder (and in any literal part of the name, escaped by the caller) is doubled so that only
    the pattern's own `%0Nd` is a placeholder."""
    return url(os.path.join(escape_percent(os.fspath(folder)), name_pattern))


def escape_percent(text: str) -> str:
    return text.replace("%", "%%")


def concat_quote(text: str) -> str:
    """A name quoted for a concat-demuxer listing: inside '...', a quote is written '\\''."""
    return "'" + text.replace("'", "'\\''") + "'"


_GENERIC = ("Exiting with exit code", "Error opening output file", "Error opening output files", "Error opening input file",
            "Error opening input files", "Conversion failed", "Nothing was written", "Task finished with error",
            "Terminating thread", "Error while opening encoder")


_ERROR = re.compile(r"\berror\b|\binvalid\b|no such|\bnot (?:found|supported|implemented|allowed|a |an |exist|enough)|"
                    r"\bunknown (?:encoder|decoder|option|format|input|protocol|pixel|codec|filter|muxer|demuxer)|unrecognized|"
                    r"\bunable\b|could not|cannot|can't|\bfailed\b|unsupported|does not contain|permission denied|"
                    r"\bmissing\b|\bimpossible\b|\bincorrect\b|\btoo (?:large|small|many)\b|out of range|\bbroken\b|truncat", re.IGNORECASE)
# Lines that report, not complain: the input/output banner (indented), progress and frame info.
_REPORTS = ("Input #", "Output #", "Stream mapping", "Press [q]", "frame=", "size=", "video:", "[Parsed_showinfo")


def last_error_line(stderr: bytes | str) -> str:
    """The most telling line of ffmpeg's stderr, for one-line error messages.

    ffmpeg names the cause first ("Unknown encoder 'x'") and then repeats generic summaries, so
    this takes the first line that reads like an error and is neither one of those summaries nor
    a report line (the indented stream banner, showinfo's frame descriptions: a banner's
    'color_space:unknown' is not an error).
    """
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reports = [line.strip() for line in text.splitlines() if line[:1].isspace() or line.startswith(_REPORTS)]
    specific = [line for line in lines if line not in reports and not any(generic in line for generic in _GENERIC)]
    for line in specific:
        if _ERROR.search(line):
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


def start_offset(time: Fraction | float | None) -> list[str]:
    """Input options that make the next input start at `time` seconds (a stream that starts after
    the file's other streams keeps its offset)."""
    return ["-itsoffset", f"{float(time):.6f}"] if time is not None and abs(float(time)) > 5e-7 else []


def _child_pids() -> list[int]:
    """The processes this one started and that are still there (Linux: /proc/self/task/*/children;
    [] where there is no such listing)."""
    pids: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return []
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children") as listing:
                pids.update(int(pid) for pid in listing.read().split())
        except (OSError, ValueError):
            continue
    return sorted(pids)


def _running(pid: int) -> bool:
    """Whether `pid` has not exited yet (a zombie, dead but not yet waited for, has)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_children(timeout: float = 5.0) -> None:
    """Kill the processes vidgen started (ffmpeg) that still run, and wait up to `timeout` seconds
    until they have exited, so that nothing writes into an output being removed. For a stop
    signal sent to vidgen alone: a terminal's Ctrl-C reaches the children by itself. The
    children are not reaped here (their Popen objects do that)."""
    import signal
    import time

    pids = [pid for pid in _child_pids() if _running(pid)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
