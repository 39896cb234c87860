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
from vidgen_cli.io.decode import FrameReader, open_input
from vidgen_cli.io.encode import EncodeOptions, ImageFileWriter, MediaSource, VideoWriter, WarnFn
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.formats import IMAGE_FILE_FORMATS, container_for
from vidgen_cli.io.probe import probe
from vidgen_cli.runtime.processor import FrameProcessor, as_process
from vidgen_cli.runtime.resume import (
    ResumableFramesWriter,
    SegmentedVideoWriter,
    fingerprint,
)
from vidgen_cli.runtime.span import WHOLE, Span, span_reader
from vidgen_cli.runtime.threads import run_pipeline
from vidgen_cli.runtime.timeline import Clock, TimedSink, TimeOf, same_times


@dataclass
class OutputSettings:
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    audio: bool = True
    stream_format: str = "nut"
    image_format: str = "png"
    resume: bool = False
    audio_duration: float | None = None  # seconds of audio from the span's start; None: as long as the span


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
    """'stream' for '-', 'video' for a video extension, 'image' for an image extension (one frame),
    'frames' for a name without one (or ending in /).

    Raises UsageError for a video extension vidgen cannot write (io/formats.py), before any work."""
    if output == "-":
        return "stream"
    if output.endswith(("/", os.sep)) or not Path(output).suffix:
        return "frames"
    if Path(output).suffix.lower() in IMAGE_FILE_FORMATS:
        return "image"
    container_for(output)
    return "video"


def _media(info: VideoInfo, settings: OutputSettings, span: Span) -> MediaSource | None:
    """The source's audio and subtitles from the span's first frame, as long as the output needs."""
    if not settings.audio or info.kind != "video" or not (info.audio or info.subtitles):
        return None
    if span.whole:  # the file as it is: the video keeps its offset from the other streams
        return MediaSource(info.path, audio=info.audio, subtitles=info.subtitles,
                           duration=None if settings.audio_duration is None else info.start_time + settings.audio_duration)
    duration = settings.audio_duration if settings.audio_duration is not None else span.duration
    return MediaSource(info.path, audio=info.audio, subtitles=info.subtitles, start=info.start_time + span.start_time, duration=duration)


def input_clock(info: VideoInfo, reader: object, first_input: int = 0, first_frame: int = 0) -> TimeOf:
    """Time of the job's input frame i (source frame first_frame + i) on the file's timeline: what
    the decoder reported for it, else what the probe saw, else nominal."""
    def time_of(index: int) -> Fraction:
        reported = getattr(reader, "time_of", None)
        if reported is not None and index >= first_input:
            when = reported(index - first_input)
            if when is not None:
                return Fraction(when)
        return Fraction(info.time_of(first_frame + index)).limit_denominator(10**9)

    return time_of


def run_job(source: str, output: str, processor: FrameProcessor, out_fps: Fraction, settings: OutputSettings,
            options_key: dict[str, Any], reader: FrameReader | None = None, info: VideoInfo | None = None,
            on_frame: Callable[[int], None] | None = None, warn: WarnFn | None = None, span: Span = WHOLE,
            clock: Clock = same_times, open_frames: Callable[[int], Iterable[np.ndarray]] | None = None) -> JobResult:
    """Decode `source` (the frames of `span` only), push every frame through `processor`, write `output`.

    `clock` says when output frame k plays given the input frames' times (runtime/timeline.py).
    A variable-frame-rate input (or a stream, which cannot be scanned ahead) is written with every
    frame's own time; a constant-rate one at `out_fps` from its first frame's time. The whole of a
    file keeps the video's offset from the other streams; a span starts at 0 with its audio. The
    pixel aspect (SAR) is kept.

    `open_frames(first)`, when given, supplies the frames from input frame `first` on instead of
    decoding `source` (e.g. a still repeated as a clip); a resume starts it where the output stopped."""
    if info is None:
        reader, info = describe(source)
    kind = output_kind(output)
    if source == "-" and settings.resume:
        raise UsageError("--resume needs a file input; a stream from stdin cannot be rewound")
    if source == "-" and not span.whole:
        raise UsageError("--start/--end need a file input, not a stream from stdin")
    writer: Any
    if kind == "stream":
        writer = VideoWriter("-", out_fps, settings.encode, media=_media(info, settings, span), stream_format=settings.stream_format, warn=warn,
                             sar=info.sar, timed=info.vfr)
    elif kind == "image":
        if (span.count if span.count is not None else info.frame_count) != 1:
            raise UsageError(f"{output}: an image file holds one frame but {source} has more; write to a video or a folder (ending in /)")
        writer = ImageFileWriter(output)
    else:
        if not span.whole:
            options_key = {**options_key, "span": span.to_json()}
        stat = Path(source).stat() if source != "-" else None
        key = fingerprint(source=str(Path(source).resolve()), size=stat.st_size if stat else None,
                          mtime=stat.st_mtime if stat else None, options=options_key, encode=settings.encode.__dict__,
                          image_format=settings.image_format)
        if kind == "video":
            writer = SegmentedVideoWriter(output, out_fps, settings.encode, _media(info, settings, span), key, settings.resume, warn=warn,
                                          sar=info.sar, timed=info.vfr)
        else:
            writer = ResumableFramesWriter(output, settings.image_format, out_fps, key, settings.resume, warn=warn,
                                           source=info.path if info.kind == "video" else None, start=span.start_time,
                                           audio_source=info.path if (info.kind == "video" and info.audio and settings.audio) else None,
                                           sar=info.sar)
    resumable = kind in {"video", "frames"}
    first_input, state = writer.resume_point() if resumable else (0, None)
    if state is not None:
        processor.load_state_dict(state)
    marks = resumable
    if open_frames is not None:
        frames_reader: Iterable[np.ndarray] = open_frames(first_input)
    else:
        frames_reader = reader if reader is not None else span_reader(info, span, first_input)
    source_time = input_clock(info, frames_reader, first_input, span.first)
    # Frames folders keep the source's timeline (their manifest cuts the audio); a video cut from a span starts at 0.
    origin = Fraction(0) if span.whole or kind == "frames" else source_time(0)
    sink = TimedSink(writer, clock, lambda index: source_time(index) - origin)
    sink.written = getattr(writer, "outputs_done", 0) if resumable else 0
    time_aware = getattr(processor, "use_input_times", None)
    if time_aware is not None and info.vfr:
        time_aware(source_time)
    written = run_pipeline(frames_reader, sink, as_process(processor, marks=marks, first_input=first_input), on_frame=on_frame)
    total = writer.outputs_done if resumable else written
    return JobResult(frames=total, fps=out_fps, duration=total / float(out_fps), resumed_from=first_input)
