"""Run one FrameProcessor over one input into one output: the part every model command shares.

The output kind follows its name: a video file (written in resumable segments, audio and
subtitles carried from the source unless asked not to), '-' (a stream on stdout), or anything
else (a folder of numbered frames with a manifest).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli.io.decode import FrameReader, ImageFolderReader, open_input
from vidgen_cli.io.encode import EncodeOptions, MediaSource, VideoWriter, WarnFn
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.paths import VIDEO_SUFFIXES
from vidgen_cli.io.probe import probe
from vidgen_cli.runtime.processor import FrameProcessor, as_process
from vidgen_cli.runtime.resume import (
    ResumableFramesWriter,
    SegmentedVideoWriter,
    fingerprint,
)
from vidgen_cli.runtime.threads import run_pipeline


@dataclass
class OutputSettings:
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    audio: bool = True
    stream_format: str = "nut"
    image_format: str = "png"
    resume: bool = False
    audio_duration: float | None = None  # None: the source's whole audio


@dataclass
class JobResult:
    frames: int
    fps: Fraction
    duration: float
    resumed_from: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"frames": self.frames, "fps": float(self.fps), "duration": round(self.duration, 6), "resumed_from_input_frame": self.resumed_from}


def describe(source: str) -> tuple[FrameReader | None, VideoInfo]:
    """Probe a file or folder; for stdin, start reading to learn the stream's size and rate."""
    if source == "-":
        reader = open_input("-")
        return reader, reader.info
    return None, probe(source)


def output_kind(output: str) -> str:
    """'stream' for '-', 'video' for a video extension, 'frames' for a name without one (or ending in /)."""
    if output == "-":
        return "stream"
    suffix = Path(output).suffix.lower()
    if output.endswith(("/", os.sep)) or not suffix:
        return "frames"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise UsageError(f"{output}: unknown video extension '{suffix}'; use .mp4, .mkv, .webm or .mov, or a folder name (ending in /) for frames")


def _media(info: VideoInfo, settings: OutputSettings) -> MediaSource | None:
    if not settings.audio or info.kind != "video" or not (info.audio or info.subtitles):
        return None
    return MediaSource(info.path, audio=info.audio, subtitles=info.subtitles, duration=settings.audio_duration)


def _reader_from(info: VideoInfo, first_input: int) -> FrameReader:
    if first_input == 0:
        return open_input(info.path, info=info)
    if info.kind == "images":
        return ImageFolderReader(info, start_frame=first_input)
    assert info.timestamps is not None and info.fps
    start = float(info.timestamps[first_input]) - 0.25 / float(info.fps)
    return open_input(info.path, start=start, info=info)


def run_job(source: str, output: str, processor: FrameProcessor, out_fps: Fraction, settings: OutputSettings,
            options_key: dict[str, Any], reader: FrameReader | None = None, info: VideoInfo | None = None,
            on_frame: Callable[[int], None] | None = None, warn: WarnFn | None = None,
            open_frames: Callable[[int], Iterable[np.ndarray]] | None = None) -> JobResult:
    """Decode `source`, push every frame through `processor`, write `output`.

    `open_frames(first)`, when given, supplies the frames from input frame `first` on instead of
    decoding `source` (e.g. a still repeated as a clip); a resume starts it where the output stopped."""
    if info is None:
        reader, info = describe(source)
    kind = output_kind(output)
    if source == "-" and settings.resume:
        raise UsageError("--resume needs a file input; a stream from stdin cannot be rewound")
    writer: Any
    if kind == "stream":
        writer = VideoWriter("-", out_fps, settings.encode, media=_media(info, settings), stream_format=settings.stream_format, warn=warn)
    else:
        stat = Path(source).stat() if source != "-" else None
        key = fingerprint(source=str(Path(source).resolve()), size=stat.st_size if stat else None,
                          mtime=stat.st_mtime if stat else None, options=options_key, encode=settings.encode.__dict__,
                          image_format=settings.image_format)
        if kind == "video":
            writer = SegmentedVideoWriter(output, out_fps, settings.encode, _media(info, settings), key, settings.resume, warn=warn)
        else:
            writer = ResumableFramesWriter(output, settings.image_format, out_fps, key, settings.resume, warn=warn,
                                           source=info.path if info.kind == "video" else None,
                                           audio_source=info.path if (info.kind == "video" and info.audio and settings.audio) else None)
    first_input, state = writer.resume_point() if kind != "stream" else (0, None)
    if state is not None:
        processor.load_state_dict(state)
    marks = kind != "stream"
    if open_frames is not None:
        frames_reader: Iterable[np.ndarray] = open_frames(first_input)
    else:
        frames_reader = reader if reader is not None else _reader_from(info, first_input)
    written = run_pipeline(frames_reader, writer, as_process(processor, marks=marks, first_input=first_input), on_frame=on_frame)
    total = writer.outputs_done if kind != "stream" else written
    return JobResult(frames=total, fps=out_fps, duration=total / float(out_fps), resumed_from=first_input)
