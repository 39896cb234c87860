"""SMPTE timecodes (HH:MM:SS:FF, drop-frame HH:MM:SS;FF) of a source, moved to the first frame a
cut keeps: ffmpeg copies a video stream's `timecode` tag as it is, so a clip cut from 1 s of a file
that starts at 01:00:00:00 said 01:00:00:00 for its first frame instead of 01:00:01:00.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from vidgen_cli.io import ffmpeg

# A metadata line of ffmpeg's banner: 4 spaces in for the file's own tags, more for a stream's.
_TIMECODE = re.compile(r"^( +)timecode\s*: (\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2})\s*$", re.MULTILINE | re.IGNORECASE)
_RATE = re.compile(r"\b(\d+(?:\.\d+)?) fps\b")


def read_timecodes(path: str) -> tuple[str | None, str | None]:
    """(the file's own timecode tag, its streams' first one) from ffmpeg's banner; None where absent."""
    text = ffmpeg.run(["-i", ffmpeg.url(path)], timeout=60).stderr.decode("utf-8", "replace")
    found: dict[bool, str] = {}
    for m in _TIMECODE.finditer(text):
        found.setdefault(len(m.group(1)) == 4, f"{int(m.group(2)):02d}:{m.group(3)}:{m.group(4)}{m.group(5)}{m.group(6)}")
    return found.get(True), found.get(False)


def _frame_number(code: str, base: int) -> int:
    """Frames since 00:00:00:00 of `code` counted at `base` frames a second (drop-frame: a ';' or
    '.' before the frames, 2 frame numbers skipped each minute but every tenth per 30, 4 per 60)."""
    hours, minutes, seconds, frames = (int(part) for part in re.split(r"[:;.,]", code))
    number = ((hours * 60 + minutes) * 60 + seconds) * base + frames
    if code[8] in ";.,":
        drop = 2 * round(base / 30)
        total = hours * 60 + minutes
        number -= drop * (total - total // 10)
    return number


def _format(number: int, base: int, drop_frame: bool, separator: str) -> str:
    if drop_frame:
        drop = 2 * round(base / 30)
        per_ten, per_minute = base * 600 - drop * 9, base * 60 - drop
        tens, rest = divmod(number, per_ten)
        number += drop * 9 * tens + (drop * ((rest - drop) // per_minute) if rest > drop else 0)
    frames, seconds = number % base, number // base
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{separator}{frames:02d}"


def shifted(code: str, seconds: float, rate: Fraction | float) -> str:
    """`code` moved on by the frames that play in `seconds` at `rate` (a cut's first kept frame:
    the first at or after that time), counted at the timecode's whole rate (30 for 29.97 fps)."""
    base = max(1, round(float(rate)))
    frames = math.ceil(seconds * float(rate) - 1e-3)
    drop_frame = code[8] in ";.,"
    return _format(_frame_number(code, base) + frames, base, drop_frame, code[8])


def timecode_args(path: str, video_description: str, cut_from: float) -> list[str]:
    """-metadata args that give the output's video (and the file, where the source tags it) the
    source's timecode at the first frame of a cut `cut_from` seconds after the source's first frame;
    [] when the source has no timecode or its video no rate."""
    rate = _RATE.search(video_description)
    if cut_from <= 0 or rate is None:
        return []
    own, stream = read_timecodes(path)
    args = []
    if stream:
        args += ["-metadata:s:v:0", f"timecode={shifted(stream, cut_from, Fraction(rate.group(1)))}"]
    if own:
        args += ["-metadata", f"timecode={shifted(own, cut_from, Fraction(rate.group(1)))}"]
    return args
