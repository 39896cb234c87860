"""What a probe learns about an input: its streams, size, timing and frame rate."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

_DISPOSITIONS = ("default", "dub", "original", "comment", "lyrics", "karaoke", "forced", "hearing impaired",
                 "visual impaired", "clean effects", "captions", "descriptions", "dependent", "still image")


def split_top_level(text: str) -> list[str]:
    """Split ffmpeg's stream description on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


@dataclass
class StreamInfo:
    index: int
    kind: str  # "video", "audio", "subtitle"
    codec: str
    language: str | None = None
    description: str = ""
    start_time: float = 0.0  # seconds on the file's timeline (where the file starts at 0)
    title: str | None = None  # the stream's title tag (Matroska track name), if any
    filename: str | None = None  # an attachment's filename tag (a font's file name), if any

    @property
    def dispositions(self) -> list[str]:
        """ffmpeg disposition names from the banner's '(default) (forced)' flags."""
        return [name.replace(" ", "_") for name in _DISPOSITIONS if f"({name})" in self.description]

    @property
    def sample_rate(self) -> int | None:
        """An audio stream's sample rate (Hz) from ffmpeg's description; None when it names none."""
        return next((int(p.split()[0]) for p in split_top_level(self.description) if re.fullmatch(r"\d+ Hz", p)), None)


@dataclass
class PixelInfo:
    """Bit depth, alpha, colour tags (ffmpeg names; None when unknown) and field order of a stream."""

    bit_depth: int = 8
    alpha: bool = False
    primaries: str | None = None
    transfer: str | None = None
    matrix: str | None = None
    range: str | None = None  # "tv" (limited) or "pc" (full)
    field_order: str = "unknown"  # "progressive", "tff", "bff" or "unknown"
    chroma: str | None = None  # chroma subsampling of a YUV/RGB stream: "4:2:0", "4:2:2", "4:4:4" (None: unknown or other)
    mastering_display: str | None = None  # HDR10 mastering display, x265 notation (io/hdr_metadata.py); None: none or unknown
    content_light: str | None = None  # HDR10 content light level, "MaxCLL,MaxFALL" in cd/m2

    @property
    def interlaced(self) -> bool:
        return self.field_order in ("tff", "bff")

    def to_json(self) -> dict:
        return {"bit_depth": self.bit_depth, "alpha": self.alpha, "color_primaries": self.primaries,
                "color_transfer": self.transfer, "color_matrix": self.matrix, "color_range": self.range,
                "field_order": self.field_order, "chroma": self.chroma, "mastering_display": self.mastering_display,
                "content_light": self.content_light}


def off_grid(end: float | Fraction, grid_end: float | Fraction, fps: Fraction) -> bool:
    """Whether a last frame ending at `end` (seconds) lasts other than the 1/fps the even grid
    gives it (ending at `grid_end`) by more than a tenth of a frame or a millisecond (Matroska's
    resolution), whichever is more: a millisecond's rounding in a .webm or a 30000/1001 clip's
    last frame of 32 ms in a 1/90000 s time base keep the rate's exact grid."""
    return abs(float(end) - float(grid_end)) > max(1e-3, 0.1 / float(fps))


@dataclass
class VideoInfo:
    path: str
    kind: str  # "video", "images" (a folder), "image" (one file), "stream" (stdin)
    width: int
    height: int
    fps: Fraction | None
    frame_count: int
    duration: float
    codec: str = ""
    pix_fmt: str = ""
    rotation: int = 0
    sar: Fraction = Fraction(1)
    video_stream: int = 0
    audio: list[StreamInfo] = field(default_factory=list)
    subtitles: list[StreamInfo] = field(default_factory=list)
    vfr: bool = False
    timestamps: np.ndarray | None = None  # presentation time of each frame in seconds, from 0
    start_time: float = 0.0  # when the first frame plays, seconds on the file's timeline (other streams may start earlier)
    pixels: PixelInfo = field(default_factory=PixelInfo)
    video_description: str = ""  # the video stream's banner line after 'Video: ' (dispositions)
    video_title: str | None = None  # the video stream's own title
    attachments: list[StreamInfo] = field(default_factory=list)  # fonts and other attached files (Matroska)
    ends_early: str | None = None  # a file cut short: what ffmpeg said and what is kept (one line, for a warning)
    file_start: float = 0.0  # where the file's own timeline begins in PTS seconds (ffmpeg's 'start:'; 1.4 for most .ts)
    demuxer: str = ""  # ffmpeg's input format ('mpegts', 'matroska,webm', ...): how ffmpeg times a partial read
    other_video: list[StreamInfo] = field(default_factory=list)  # video streams besides the one processed (ffmpeg's pick: the largest)
    attached_pics: list[StreamInfo] = field(default_factory=list)  # cover art (attached picture streams)
    unreadable: str | None = None  # streams left out of audio/subtitles: no codec ffmpeg knows (one line, for a warning)
    chapters: int = 0  # how many chapters the file holds
    title: str | None = None  # the file's global title

    @property
    def dar(self) -> Fraction | None:
        """Display aspect ratio of the decoded frames: width * SAR / height."""
        return Fraction(self.width) * self.sar / self.height if self.width and self.height else None

    @property
    def end_off_grid(self) -> bool:
        """Whether a constant-rate video's last frame lasts other than 1/fps (`off_grid`): a clip
        whose last frame was cut short or held, e.g. 12.5 fps whose last frame lasts 40 ms. An even
        grid of 1/fps would move its end."""
        if self.kind != "video" or self.timestamps is None or not len(self.timestamps) or not self.fps:
            return False
        return off_grid(self.duration, float(self.timestamps[-1]) + 1 / float(self.fps), self.fps)

    def frames_before(self, seconds: float) -> int:
        """How many frames start before `seconds` on the file's timeline."""
        if self.timestamps is None:
            return round(seconds * float(self.fps or 25))
        if seconds > self.start_time + self.duration + 1e-6:
            return len(self.timestamps) + 1  # past the end
        return int(np.searchsorted(self.start_time + self.timestamps, seconds - 1e-6))

    def time_of(self, index: int) -> float:
        """When input frame `index` plays, seconds on the file's timeline (nominal rate past the known frames)."""
        if self.timestamps is not None and 0 <= index < len(self.timestamps):
            return self.start_time + float(self.timestamps[index])
        if self.timestamps is not None and len(self.timestamps) and index >= len(self.timestamps):
            # past the end: the last frame's own duration, then the nominal rate (a VFR clip's mean rate is wrong there)
            last = float(self.timestamps[-1])
            tail = self.duration - last if self.duration > last else 1 / float(self.fps or 25)
            return self.start_time + last + tail + (index - len(self.timestamps)) / float(self.fps or 25)
        return self.start_time + index / float(self.fps or 25)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "fps": str(self.fps) if self.fps else None,
            "fps_float": float(self.fps) if self.fps else None,
            "frame_count": self.frame_count,
            "duration": round(self.duration, 6),
            "codec": self.codec,
            "pix_fmt": self.pix_fmt,
            "rotation": self.rotation,
            "sar": str(self.sar),
            "dar": str(self.dar) if self.dar else None,
            "start_time": round(self.start_time, 6),
            "vfr": self.vfr,
            "ends_early": self.ends_early,
            "audio": [s.__dict__ for s in self.audio],
            "subtitles": [s.__dict__ for s in self.subtitles],
            **({"unreadable": self.unreadable} if self.unreadable else {}),
            **self.pixels.to_json(),
        }
