"""Text subtitle cues cut to a time range: a stream is read once as ASS (ffmpeg converts SubRip,
WebVTT and mov_text to it; times in centiseconds on the file's timeline), and its Dialogue lines
are kept only where they play inside the range, cut to it and moved so the range starts at 0.

ffmpeg cannot do this itself: after -ss it keeps a cue that started before the cut with a
negative time (Matroska then shifts every stream by it; MP4 starts the cue at 0 and lets it run
its whole length), and a cue that runs past -t or a segment's end is kept whole. Used by every
time-range cut (--start/--end: io/media_source.py) and by `split --scenes` (convert/shot_subtitles.py).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from vidgen_cli.errors import DecodeError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.media import StreamInfo

_DIALOGUE = re.compile(r"^(Dialogue:\s*[^,]*,)(\d+:\d\d:\d\d\.\d\d),(\d+:\d\d:\d\d\.\d\d),(.*)$")


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _stamp(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    return f"{centis // 360000}:{centis // 6000 % 60:02d}:{centis // 100 % 60:02d}.{centis % 100:02d}"


def clip_cues(ass: str, start: float, end: float | None) -> str:
    """The ASS script `ass` with only the cues (Dialogue lines) that play between `start` and `end`
    seconds (None: to the end), each cut to that span and moved so that `start` is 0. Header,
    styles and everything else are kept."""
    lines = []
    for line in ass.splitlines():
        match = _DIALOGUE.match(line)
        if not match:
            lines.append(line)
            continue
        first, last = _seconds(match.group(2)), _seconds(match.group(3))
        if last <= start or (end is not None and first >= end):
            continue
        last = last if end is None else min(last, end)
        lines.append(f"{match.group(1)}{_stamp(max(first, start) - start)},{_stamp(last - start)},{match.group(4)}")
    return "\n".join(lines) + "\n"


def read_as_ass(path: str, stream: StreamInfo) -> str:
    """Subtitle stream `stream` of `path` as an ASS script (seconds from the file's start).
    Raises DecodeError when ffmpeg cannot read it."""
    result = ffmpeg.run(["-i", ffmpeg.url(path), "-map", f"0:{stream.index}", "-c:s", "ass", "-f", "ass", "-"])
    if result.returncode != 0:
        raise DecodeError(f"{path}: ffmpeg could not read subtitle stream {stream.index} ({ffmpeg.last_error_line(result.stderr)})")
    return result.stdout.decode("utf-8", "replace")


def write_clipped_cues(path: str, stream: StreamInfo, start: float, end: float | None) -> Path:
    """A temporary .ass file with the cues of `stream` of `path` that play between `start` and `end`
    seconds from the file's start, cut to that range, 0 at `start`. The caller deletes it."""
    script = clip_cues(read_as_ass(path, stream), start, end)
    handle, name = tempfile.mkstemp(prefix="vidgen-cues-", suffix=".ass")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(script)
    return Path(name)


def subtitle_encoder(stream: StreamInfo, container_codec: str) -> str:
    """The encoder that writes the text cues of `stream` into a container whose subtitle codec is
    `container_codec` ("copy": the source's own codec)."""
    codec = stream.codec if container_codec == "copy" else container_codec
    return "subrip" if codec in ("srt", "subrip") else codec
