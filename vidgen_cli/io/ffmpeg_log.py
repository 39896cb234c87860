"""Reading a running ffmpeg's info log: frame times from the showinfo filter, the output banner.

ffmpeg (7 and later) runs demuxers, decoders, filter graphs and muxers in threads that share one
log. Each av_log message is written whole, but a message is glued onto the end of whatever another
thread printed last when that did not end its line, and ffmpeg then leaves out the message's
'[Parsed_showinfo_0 @ 0x...]' prefix. Seen with the stdin reader (its side-streams muxer prints its
banner while showinfo configures, about 1 run in 450, more often under load):

    "  Stream #1:1: Video: rawvideo ..., 25 fps, 1k tbnconfig in time_base: 1/1000, frame_rate: 30/1"

A reader that looked for the prefix lost the time base and took pts 500 (of 1/1000 s) for 500 s.
So every record here is searched for anywhere in a line, never by prefix or line start.
"""

from __future__ import annotations

import re
from fractions import Fraction

# showinfo's per-frame message: "n:   0 pts:    500 pts_time:0.5     duration: ..." (no \b: glued text may end in a letter)
SHOWINFO_FRAME = re.compile(rb"n:\s*\d+\s+pts:\s*(-?\d+)\s+pts_time:(-?[0-9.]+(?:e[-+]?\d+)?)")
SHOWINFO_TIME_BASE = re.compile(rb"config in time_base: (\d+)/(\d+)")
_SHOWINFO_PREFIX = b"[Parsed_showinfo"


class ShowinfoClock:
    """Presentation times (seconds, as Fractions) of the frames a showinfo filter logged, in order.

    A frame's time is its pts times the filter's input time base ("config in time_base", logged
    before any frame). Should that line be lost, the frame's own pts_time is used (6 significant
    digits: exact for times a decoder gives at millisecond steps below 1000 s): a pts is never
    read as seconds."""

    def __init__(self) -> None:
        self.time_base: Fraction | None = None
        self.times: list[Fraction] = []

    def read(self, line: bytes) -> bool:
        """Take the time base or a frame's time from `line`, wherever in it they are. True when the
        line is showinfo's own (starts with its prefix); a glued line may hold other messages too."""
        base = SHOWINFO_TIME_BASE.search(line)
        if base and int(base.group(2)):
            self.time_base = Fraction(int(base.group(1)), int(base.group(2)))
        frame = SHOWINFO_FRAME.search(line)
        if frame:
            self.times.append(self._seconds(int(frame.group(1)), frame.group(2)))
        return line.startswith(_SHOWINFO_PREFIX)

    def _seconds(self, pts: int, pts_time: bytes) -> Fraction:
        if self.time_base is not None:
            return pts * self.time_base
        return Fraction(pts_time.decode("ascii"))


def banner_start(line: bytes, output: int = 0) -> bytes | None:
    """The part of `line` from "Output #N," on (ffmpeg's banner for output N), or None."""
    at = line.find(b"Output #%d," % output)
    return line[at:] if at >= 0 else None


def stream_line(line: bytes, output: int = 0) -> bytes | None:
    """Output N's "  Stream #N:..." banner line cut out of `line` (another thread's message may
    precede it), or None."""
    at = line.find(b"Stream #%d:" % output)
    return b"  " + line[at:] if at >= 0 else None
