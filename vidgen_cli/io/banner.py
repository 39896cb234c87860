"""ffmpeg's stream banner ('Input #0' / 'Output #0' and their 'Stream #' lines) parsed into stream
facts: codec, size, SAR, rotation, rate, pixel format, language, title, each stream's start.

imageio-ffmpeg ships no ffprobe: this banner, printed by `ffmpeg -i`, is where vidgen reads what a
file (or a pipe) holds. io/probe.py adds the packet times; io/decode.py reads the banner of a
running decode (what it actually writes, after autorotation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from vidgen_cli.io.media import StreamInfo, split_top_level
from vidgen_cli.io.pixels import parse_pixels
from vidgen_cli.io.rates import snap_rate as _snap_rate

STREAM_LINE = re.compile(r"^\s*Stream #0:(\d+)(?:\[0x[0-9a-f]+\])?(?:\(([^)]*)\))?: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_OUTPUT_STREAM = re.compile(r"^\s*Stream #0:(\d+)(?:\([^)]*\))?: Video: (.*)$")
_SIZE = re.compile(r"^(\d{1,6})x(\d{1,6})")
_SAR = re.compile(r"SAR (\d+):(\d+)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_TITLE = re.compile(r"^\s{4,}title\s*: (.*)$", re.IGNORECASE)  # a stream's metadata line (indented under it)
_GLOBAL_TITLE = re.compile(r"^ {4}title\s*: (.*)$", re.IGNORECASE)
_CHAPTER = re.compile(r"^\s*Chapter #0:\d+:")
_FILENAME = re.compile(r"^\s{4,}filename\s*: (.*)$", re.IGNORECASE)  # an attachment's file name
_STREAM_START = re.compile(r",\s*start (-?[\d.]+)")
FILE_START = re.compile(r"^\s*Duration: .*?, start: (-?[\d.]+)", re.MULTILINE)


@dataclass
class Header:
    """What ffmpeg's input banner says about the streams of input #0."""

    video: dict | None = None
    audio: list[StreamInfo] = field(default_factory=list)
    subtitles: list[StreamInfo] = field(default_factory=list)
    attachments: list[StreamInfo] = field(default_factory=list)
    other_video: list[StreamInfo] = field(default_factory=list)  # video streams besides `video` (not processed)
    videos: list[dict] = field(default_factory=list)  # every video stream but cover art, in file order
    attached_pics: list[StreamInfo] = field(default_factory=list)  # cover art: a video stream of one still picture
    chapters: int = 0  # 'Chapter #0:N' lines
    title: str | None = None  # the file's global title (its metadata block, indented 4, before the streams)


def parse_header(stderr: str) -> Header:
    """Parse the 'Input #0' banner. Used for files and for streams read from stdin. Of several video
    streams, `video` is the one ffmpeg itself picks (fftools' map_auto_video): the largest in
    width x height, a default-disposition stream counting 5,000,000 pixels more, the first of
    equal ones, attached pictures (cover art) excluded; the others are listed in `other_video`."""
    header = Header()
    candidates: list[dict] = []
    in_input = False
    file_start = 0.0  # ffmpeg prints each stream's own start in PTS seconds: made relative to the file's
    last_video: dict | None = None  # the video stream whose side data lines follow
    last: StreamInfo | None = None  # the stream whose metadata lines follow
    for line in stderr.splitlines():
        if line.startswith("Input #"):
            in_input = line.startswith("Input #0")
            continue
        if line.startswith(("Output #", "Stream mapping")):
            in_input = False
        if not in_input:
            continue
        match = STREAM_LINE.match(line)
        if not match and (start := FILE_START.match(line)):
            file_start = float(start.group(1))
        if not match:
            header.chapters += bool(_CHAPTER.match(line))
            if not candidates and last is None and header.title is None and (title := _GLOBAL_TITLE.match(line)):
                header.title = title.group(1)
            if last is not None and (title := _TITLE.match(line)):
                last.title = title.group(1)
            if last is not None and last.kind == "attachment" and (filename := _FILENAME.match(line)):
                last.filename = filename.group(1).strip()
            rotation = _ROTATION.search(line)
            if rotation and last_video is not None:
                last_video["rotation"] = int(round(float(rotation.group(1))))
            if last_video is not None and "title" not in last_video and (title := _TITLE.match(line)):
                last_video["title"] = title.group(1)
            if last_video is not None and re.match(r"^\s*alpha_mode\s*:\s*1\s*$", line, re.IGNORECASE):
                last_video["pixels"].alpha = True
            continue
        index, language, kind, description = int(match.group(1)), match.group(2), match.group(3), match.group(4)
        codec = description.split()[0].rstrip(",") if description else "unknown"
        last_video, last = None, None
        if kind == "Video" and "(attached pic)" in description:
            header.attached_pics.append(StreamInfo(index, "video", codec, language, description))
        elif kind == "Video":
            last_video = _parse_video(index, codec, description)
            candidates.append(last_video)
        elif kind == "Audio":
            last = StreamInfo(index, "audio", codec, language, description, start_time=_stream_start(description, file_start))
            header.audio.append(last)
        elif kind == "Subtitle":
            last = StreamInfo(index, "subtitle", codec, language, description, start_time=_stream_start(description, file_start))
            header.subtitles.append(last)
        elif kind == "Attachment":
            last = StreamInfo(index, "attachment", codec, language, description)
            header.attachments.append(last)
    if candidates:
        header.videos = candidates
        header.video = max(candidates, key=lambda video: video["width"] * video["height"] + 5_000_000 * ("(default)" in video["description"]))
        header.other_video = [StreamInfo(video["index"], "video", video["codec"], description=video["description"])
                              for video in candidates if video is not header.video]
    return header


def parse_output_video(stderr: str) -> dict | None:
    """The first video stream of ffmpeg's 'Output #0' banner: what ffmpeg actually writes (size
    after autorotation and scaling, SAR), as the same dict `parse_header` gives for an input."""
    in_output = False
    for line in stderr.splitlines():
        if line.startswith(("Output #", "Input #")):
            in_output = line.startswith("Output #0")
            continue
        match = _OUTPUT_STREAM.match(line) if in_output else None
        if match:
            return _parse_video(int(match.group(1)), match.group(2).split()[0].rstrip(","), match.group(2))
    return None


def _stream_start(description: str, file_start: float = 0.0) -> float:
    """The stream's start on the file's timeline (seconds after the file's 'start:'): ffmpeg prints
    ', start S' in PTS seconds wherever S is not 0 (every stream of a .ts, whose file starts at 1.4 s)."""
    match = _STREAM_START.search(description)
    return round(float(match.group(1)) - file_start, 6) if match else 0.0


def _parse_video(index: int, codec: str, description: str) -> dict:
    info: dict = {"index": index, "codec": codec, "pix_fmt": "", "width": 0, "height": 0, "sar": Fraction(1), "rotation": 0, "fps": None}
    info["description"] = description
    parts = split_top_level(description)
    if len(parts) > 1:
        info["pix_fmt"] = re.split(r"[(\s]", parts[1])[0]
    info["pixels"] = parse_pixels(parts[1] if len(parts) > 1 else "")
    for part in parts:
        size = _SIZE.match(part)
        if size and not info["width"]:
            info["width"], info["height"] = int(size.group(1)), int(size.group(2))
        sar = _SAR.search(part)
        if sar and int(sar.group(2)):
            info["sar"] = Fraction(int(sar.group(1)), int(sar.group(2)))
        fps = re.match(r"^([\d.]+)(k?) (?:fps|tbr)$", part)
        if fps and info["fps"] is None:
            value = float(fps.group(1)) * (1000 if fps.group(2) else 1)
            if value > 0:
                info["fps"] = _snap_rate(value, None)
    return info


def unmarked_priming(stderr: str, header: Header) -> float:
    """For a NUT stream (`stderr`: ffmpeg's banner for it): how long after the file's start the
    earliest stream's real content starts, where that is AAC audio whose 1024 priming samples NUT
    cannot mark to be skipped (MP4's edit list and Matroska's codec delay do): ffmpeg counts the
    file from them, so the picture of a remuxed MP4 started at 0.021 s where a Matroska or
    MPEG-TS pipe of it starts at 0. Seconds (the caller takes no more than the first frame's time);
    0.0 for other containers."""
    demuxer = re.search(r"^Input #0, ([\w,]+), from", stderr, re.MULTILINE)
    if demuxer is None or demuxer.group(1) != "nut":
        return 0.0
    starts = [stream.start_time + (1024 / stream.sample_rate if stream.codec == "aac" and stream.sample_rate else 0.0)
              for stream in (*header.audio, *header.subtitles)]
    return max(0.0, min(starts)) if starts else 0.0
