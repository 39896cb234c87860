"""Run one FrameProcessor over one input into one output: the part every model command shares.

The output kind follows its name: a video file (written in resumable segments, audio and
subtitles carried from the source unless asked not to), '-' (a stream on stdout), or anything
else (a folder of numbered frames with a manifest).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli.io.decode import FrameReader, open_input
from vidgen_cli.io.encode import (
    EncodeOptions,
    MediaSource,
    VideoWriter,
    WarnFn,
    constant_rate_warning,
    default_codec,
    start_offset,
)
from vidgen_cli.io.formats import IMAGE_FILE_FORMATS, container_for, stream_container
from vidgen_cli.io.image_writers import ImageFileWriter
from vidgen_cli.io.manifest import folder_frames, frames_sar, numbering_gaps_line, piped_streams_line, read_manifest_if_any, unlisted_line
from vidgen_cli.io.media import PixelInfo, VideoInfo
from vidgen_cli.io.pixels import GRAY, piped_pixels_line
from vidgen_cli.io.probe import probe
from vidgen_cli.io.rates import peak_rate
from vidgen_cli.runtime.planes import fit_processor
from vidgen_cli.runtime.processor import FrameProcessor, as_process
from vidgen_cli.runtime.resume import (
    ResumableFramesWriter,
    SegmentedVideoWriter,
    fingerprint,
)
from vidgen_cli.runtime.span import WHOLE, Span, span_reader
from vidgen_cli.runtime.threads import run_pipeline
from vidgen_cli.runtime.timeline import Clock, TimedSink, TimeOf, has_own_times, is_constant_rate, same_times


@dataclass
class OutputSettings:
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    audio: bool = True
    stream_format: str = "nut"
    image_format: str = "png"
    resume: bool = False
    audio_duration: float | None = None  # seconds of audio from the span's start; None: as long as the span
    deinterlace: bool = True  # interlaced input is deinterlaced (bwdif) before model work


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
        reader = open_input("-", keep_streams=True)
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


def _warn_folder_audio(folder: Path, warn: WarnFn) -> None:
    """A frames folder's manifest may name the audio it was split from; model commands write video
    only from a folder, so say how to get it back rather than dropping it silently."""
    from vidgen_cli.io.manifest import read_manifest_if_any

    manifest = read_manifest_if_any(folder)
    if manifest is not None and manifest.audio_source:
        warn(f"{folder}: the audio its manifest names ({manifest.audio_source}) is not carried from a frames folder; "
             f"add it with `vidgen stitch ... --audio {manifest.audio_source}` or run on the video itself")


def _media(info: VideoInfo, settings: OutputSettings, span: Span, reader: FrameReader | None = None) -> MediaSource | None:
    """The source's audio and subtitles from the span's first frame, as long as the output needs, with
    its metadata, dispositions and attachments; for stdin, what the reader copied aside."""
    if info.kind == "stream":
        side = getattr(reader, "side_media", None)
        return side if settings.audio else None
    if info.kind != "video":
        return None
    if span.whole:  # the file as it is: the video keeps its offset from the other streams
        whole = None if settings.audio_duration is None else info.start_time + settings.audio_duration
        return MediaSource.of_video(info, audio=settings.audio, duration=whole if settings.audio else None)
    duration = settings.audio_duration if settings.audio_duration is not None else span.duration
    return MediaSource.of_video(info, audio=settings.audio, start=info.start_time + span.start_time,
                                duration=duration if settings.audio else None)


def input_clock(info: VideoInfo, reader: object, first_input: int = 0, first_frame: int = 0) -> TimeOf:
    """Time of the job's input frame i (source frame first_frame + i) on the file's timeline: what
    the decoder reported for it, else what the probe saw, else nominal."""
    def time_of(index: int) -> Fraction:
        reported = getattr(reader, "time_of", None)
        if reported is not None and index >= first_input:
            when = reported(index - first_input)
            if when is not None:
                return Fraction(when)
            known = getattr(reader, "times", None)
            if info.kind == "stream" and known:  # past a stream's end: its last frame lasts as long as the one before it
                step = known[-1] - known[-2] if len(known) > 1 and known[-1] > known[-2] else 1 / Fraction(info.fps or 25)
                return Fraction(known[-1]) + (index - first_input - len(known) + 1) * Fraction(step)
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
    warn = warn or (lambda message: None)
    if kind == "frames" and not output.endswith(("/", os.sep)) and not Path(output).is_dir():
        warn(f"{output}: has no extension: writing a folder of {settings.image_format} frames (end it with / to say so, or "
             "add .mp4, .mkv ... for a video)")
    _warn_pixels(info, settings, warn)
    if info.ends_early:
        warn(f"{source}: {info.ends_early}")
    if info.unreadable:
        warn(f"{source}: {info.unreadable}")
    pixels = _decoded_pixels(info)  # stdin's frames are 8-bit RGB: written as such, as its warning says
    # per-frame times (a VFR input, or a clock with its own times); an even grid gets the exact rate's time base
    # (a last frame off that grid needs its own duration)
    timed = (info.vfr or info.end_off_grid or has_own_times(clock)) and not is_constant_rate(clock)
    media = _media(info, settings, span, reader)
    if info.kind == "images" and (line := unlisted_line(Path(info.path), folder_frames(Path(info.path))[1])):
        warn(line)
    if info.kind == "images" and (line := numbering_gaps_line(Path(info.path), folder_frames(Path(info.path))[0])):
        warn(line)
    grid_fps = _grid_rate(info, out_fps, output, kind, settings) if timed else None
    out_fps = grid_fps or out_fps
    if info.kind == "stream" and kind == "frames" and settings.audio and (line := piped_streams_line(len(info.audio), len(info.subtitles))):
        warn(line)
    if info.kind == "images" and settings.audio:
        _warn_folder_audio(Path(info.path), warn)
    if info.kind == "images" and (line := frames_sar(Path(info.path), read_manifest_if_any(Path(info.path)), info.width, info.height)[1]):
        warn(line)  # frames reshaped since split: played at the source's display aspect
    # A pipe's frame times are not known before the encode starts, so a one-rate container's grid
    # is the stream's average rate (_grid_rate): the writer's constant-rate line says so.
    average = timed and grid_fps is None and info.timestamps is None
    if kind == "stream" and source == "-" and media is not None:
        writer = RemuxedStreamWriter(out_fps, settings.encode, media, settings.stream_format, warn, pixels, sar=info.sar, timed=timed,
                                     average_grid=average)
    elif kind == "stream":
        writer = VideoWriter("-", out_fps, settings.encode, media=media, stream_format=settings.stream_format, warn=warn,
                             sar=info.sar, timed=timed, pixels=pixels, average_grid=average)
    elif kind == "image":
        # a pipe's frame count is not known ahead: ImageFileWriter refuses its second frame
        if info.kind != "stream" and (span.count if span.count is not None else info.frame_count) != 1:
            raise UsageError(f"{output}: an image file holds one frame but {source} has more; write to a video or a folder (ending in /)")
        writer = ImageFileWriter(output, pixels=pixels, warn=warn)
    else:
        if not span.whole:
            options_key = {**options_key, "span": span.to_json()}
        stat = Path(source).stat() if source != "-" else None
        key = fingerprint(source=str(Path(source).resolve()), size=stat.st_size if stat else None,
                          mtime=stat.st_mtime if stat else None, options=options_key, encode=settings.encode.__dict__,
                          image_format=settings.image_format)
        if kind == "video":
            writer = SegmentedVideoWriter(output, out_fps, settings.encode, media, key, settings.resume, warn=warn,
                                          sar=info.sar, timed=timed, pixels=pixels, average_grid=average)
        else:
            writer = ResumableFramesWriter(output, settings.image_format, out_fps, key, settings.resume, warn=warn,
                                           source=info.path if info.kind == "video" else None, start=span.start_time,
                                           audio_source=info.path if (info.kind == "video" and info.audio and settings.audio) else None,
                                           sar=info.sar, pixels=pixels)
    resumable = kind in {"video", "frames"}
    first_input, state = writer.resume_point() if resumable else (0, None)
    if state is not None:
        processor.load_state_dict(state)
    marks = resumable
    if open_frames is not None:
        frames_reader: Iterable[np.ndarray] = open_frames(first_input)
    else:
        frames_reader = reader if reader is not None else span_reader(info, span, first_input, settings.deinterlace)
    processor = fit_processor(processor, _decoded_pixels(info), warn)
    source_time = input_clock(info, frames_reader, first_input, span.first)
    # Frames folders keep the source's timeline (their manifest cuts the audio); a video cut from a span starts at 0.
    origin = Fraction(0) if span.whole or kind == "frames" else source_time(0)
    sink = TimedSink(writer, clock, lambda index: source_time(index) - origin)
    if timed and hasattr(writer, "end_time") and (end := span_end(info, span)) is not None:
        writer.end_time = end - origin  # the last frame lasts to the span's end, not 1/rate
    sink.written = getattr(writer, "outputs_done", 0) if resumable else 0
    time_aware = getattr(processor, "use_input_times", None)
    if time_aware is not None and info.vfr:
        time_aware(source_time)
    try:
        written = run_pipeline(frames_reader, sink, as_process(processor, marks=marks, first_input=first_input), on_frame=on_frame)
    finally:
        cleanup = getattr(frames_reader, "cleanup", None)
        if cleanup is not None:
            cleanup()
    total = writer.outputs_done if resumable else written
    if grid_fps is not None and kind == "video":  # resampled: the file holds its own count of frames
        total = probe(output).frame_count
    return JobResult(frames=total, fps=out_fps, duration=total / float(out_fps), resumed_from=first_input)


def span_end(info: VideoInfo, span: Span) -> Fraction | None:
    """Where the span's last frame ends on the file's timeline (seconds): the next frame's time,
    --end, or the video's end; None for a stream (its end is not known ahead)."""
    if info.kind != "video" or info.timestamps is None:
        return None
    if span.whole:
        return Fraction(info.start_time + info.duration).limit_denominator(10**9)
    if span.duration is None:
        return None
    return Fraction(info.start_time + span.start_time + span.duration).limit_denominator(10**9)


def _grid_rate(info: VideoInfo, out_fps: Fraction, output: str, kind: str, settings: OutputSettings) -> Fraction | None:
    """The rate of the constant-rate grid a variable-rate output is put on when its container holds
    one rate only (AVI, Y4M): the source's fastest stretch (io/rates.peak_rate), scaled as `out_fps`
    scales the source's average rate (x2 for interpolate), so that no frame is dropped; None when
    the container keeps each frame's time or the source's times are not known ahead (stdin)."""
    if kind not in ("video", "stream") or info.timestamps is None or not info.fps:
        return None
    container = stream_container(settings.stream_format) if kind == "stream" else container_for(output)
    peak = None if container.frame_times else peak_rate(info.timestamps)
    if peak is None or peak <= info.fps:
        return None
    return (out_fps * peak / Fraction(info.fps)).limit_denominator(1001)


def _decoded_pixels(info: VideoInfo) -> PixelInfo:
    """What the reader's frames hold: RGB, a grey source's too (a model may colour them: written as
    colour); stdin is decoded to 8-bit RGB whatever the stream is."""
    pixels = replace(info.pixels, chroma=None) if info.pixels.chroma == GRAY else info.pixels
    return replace(pixels, bit_depth=8, alpha=False) if info.kind == "stream" else pixels


def _warn_pixels(info: VideoInfo, settings: OutputSettings, warn: WarnFn) -> None:
    """One line for each pixel fact of the input that the run changes."""
    if info.pixels.interlaced and not settings.deinterlace:
        warn(f"input is interlaced ({info.pixels.field_order}) and --deinterlace off: fields are processed as progressive frames, combing stays")
    elif info.pixels.interlaced:
        warn(f"input is interlaced ({info.pixels.field_order}): deinterlaced with bwdif (one frame per frame); output is progressive")
    if info.kind == "stream" and (line := piped_pixels_line(info.pixels)):
        warn(line)


class RemuxedStreamWriter:
    """Stdout output for a stdin input that carries other streams: those streams are complete only
    once stdin has been read, so the video is encoded to a temporary file as it comes and muxed
    with them onto stdout at the end (memory stays flat; the bytes leave at the end)."""

    def __init__(self, fps: Fraction, options: EncodeOptions, media: MediaSource, stream_format: str,
                 warn: WarnFn, pixels: PixelInfo | None, sar: Fraction | None = None, timed: bool = False,
                 average_grid: bool = False) -> None:
        """`sar`, `timed`, `average_grid`: as VideoWriter's, for the video encode (the final mux copies it)."""
        import tempfile

        self.folder = Path(tempfile.mkdtemp(prefix="vidgen-out-"))
        self.final = VideoWriter("-", fps, EncodeOptions(codec="copy", crf=None, preset=None), media=media,
                                 stream_format=stream_format, warn=warn, pixels=pixels)
        codec = options.codec or default_codec(self.final.muxer)
        self.video = VideoWriter(self.folder / "video.nut", fps, replace(options, codec=codec), warn=warn, pixels=pixels,
                                 sar=sar, timed=timed)
        if timed and not self.final.container.frame_times:  # y4m on stdout: the video is resampled once, here
            self.video.rate_note = [constant_rate_warning(self.final.muxer, fps, average=average_grid)]  # said if a frame is off the grid
            self.video.resample = True

    def write(self, frame: Any, time: Fraction | None = None) -> None:
        self.video.write(frame, time)

    def close(self) -> None:
        try:
            self.video.close()
            width, height = self.video.size or (0, 0)
            # ffmpeg starts the remuxed video at 0: -itsoffset keeps its first frame's time (a late video stream)
            video_input = [*start_offset(self.video.first_time), "-i", str(self.folder / "video.nut")]
            self.final.encode_external(video_input, width, height, self.video.frames_written)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def abort(self) -> None:
        self.video.abort()
        shutil.rmtree(self.folder, ignore_errors=True)
