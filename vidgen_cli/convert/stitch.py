"""Stitch a folder of frames into a video, restoring timing and audio from split's manifest.

When the frames are numbered consecutively in one format (what `split` writes), ffmpeg reads them
itself, which is as fast as the plain ffmpeg command; otherwise vidgen decodes them in natural
order and pipes them in. Sizes are checked from the image headers first, because ffmpeg would
otherwise rescale mismatched frames silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.decode import ImageFolderReader
from vidgen_cli.io.encode import EncodeOptions, VideoWriter
from vidgen_cli.io.hdr_metadata import unrecorded_hdr_line
from vidgen_cli.io.manifest import Manifest, changed_source_line, folder_frames, frames_sar, number_ranges, read_manifest_if_any, unlisted_line
from vidgen_cli.io.media import VideoInfo, off_grid
from vidgen_cli.io.media_source import MediaSource
from vidgen_cli.io.probe import audio_file_facts, audio_streams, check_frames, folder_pixels, media_duration, probe
from vidgen_cli.io.rates import even_times, peak_rate
from vidgen_cli.runtime.threads import run_pipeline
from vidgen_cli.runtime.timeline import TimedSink, same_times

ProgressFn = Callable[[int], None]
_NUMBERED = re.compile(r"^(\d+)\.(\w+)$")


@dataclass
class StitchResult:
    output: str
    frames: int
    fps: Fraction
    duration: float
    audio: str | None


def _sequence_pattern(images: list[Path]) -> tuple[str, int] | None:
    """An ffmpeg image2 pattern when the files are consecutively numbered with one width and no
    file carries the numbering on past the last frame: image2 reads until a number is missing, so an
    image the manifest does not list (000076.png after split's 75 frames) would become a frame."""
    first = _NUMBERED.match(images[0].name)
    if not first:
        return None
    digits, extension = len(first.group(1)), first.group(2)
    start = int(first.group(1))
    for offset, image in enumerate(images):
        match = _NUMBERED.match(image.name)
        if not match or len(match.group(1)) != digits or int(match.group(1)) != start + offset or match.group(2) != extension:
            return None
    pattern = f"%0{digits}d.{extension}"
    if (images[0].parent / (pattern % (start + len(images)))).exists():
        return None
    return pattern, start


def _audio_for(folder: Path, manifest: Manifest | None, audio: str | None, no_audio: bool, duration: float,
               warn: Callable[[str], None] | None = None, last_frame: str | None = None,
               audio_from_start: bool = False, probe_source: Callable[[str], VideoInfo] = probe) -> MediaSource | None:
    """The audio to carry: --audio FILE (on the source's timeline, or from its start with the first
    frame when `audio_from_start`), else the manifest's source from the first frame's time, cut to
    `duration` unless `last_frame` (the folder's last, None with --fps) ends the source's video."""
    if no_audio:
        return None
    if not audio and manifest and manifest.audio_source and not Path(manifest.audio_source).is_file() and warn:
        warn(f"{folder}: the manifest's audio source {manifest.audio_source} no longer exists; writing video without audio "
             "(pass --audio FILE, or --no-audio to silence this)")
    if audio:
        streams, video_start, length = audio_file_facts(audio) if manifest is not None else (audio_streams(audio), 0.0, None)
        if not streams:
            raise InputError(f"{audio}: has no audio stream; pass a file with audio or drop --audio")
        if manifest is None or audio_from_start:
            if warn and manifest is None and not audio_from_start:
                warn(f"{folder}: no manifest.json says where the frames lie on the timeline of {audio}; its audio "
                     "starts with the first frame")
            if warn:
                _say_audio_placement(audio, 0.0, duration, warn, length)
            return MediaSource(audio, audio=streams, duration=duration)  # every track, as the source-audio path carries
        cut = manifest.start if manifest.start > 5e-4 else 0.0
        if warn and (cut == 0.0 or abs(manifest.start - video_start) >= 5e-4):  # not when the file's own late video is where the frames start
            _say_audio_placement(audio, cut, duration, warn, length)
        # The file shares the source's timeline: its audio is cut where the first frame lies, or, when
        # that is where its own (late) video starts, kept from its start with the frames at that offset.
        return MediaSource(audio, audio=streams, start=manifest.start, duration=duration, video_start=video_start)
    if manifest and manifest.audio_source and Path(manifest.audio_source).is_file():
        info = probe_source(manifest.audio_source)
        if info.unreadable and warn:
            warn(f"{manifest.audio_source}: {info.unreadable}")
        tail = last_frame is not None and reaches_source_end(manifest, info, last_frame)
        return MediaSource.of_video(info, start=manifest.start, duration=None if tail else duration)
    return None


def _say_audio_placement(audio: str, start: float, duration: float, warn: Callable[[str], None],
                         length: float | None = None) -> None:
    """One line for --audio FILE: where its audio is cut (the manifest's first-frame time; said when
    past 0) and how long before the picture's end it runs out (said when it does). `length`: how
    long FILE plays, when its probe said (else read here)."""
    end = length if length is not None else media_duration(audio)
    short = end is not None and end - start < duration - 0.05
    ends = f"it ends {duration - (end - start):.3f} s before the picture" if short else ""
    if start > 0:
        warn(f"--audio {audio}: on the source's timeline, its audio is cut at {start:.3f} s (where manifest.json puts the "
             f"first frame){'; ' + ends if ends else ''}; pass --audio-from-start to start it with the first frame instead")
    elif ends:
        warn(f"--audio {audio}: {ends} ({end:.3f} s of audio for {duration:.3f} s of frames)")


def reaches_source_end(manifest: Manifest, info: VideoInfo, last_frame: str) -> bool:
    """Whether the folder's frames run to the end of the source's video (its last listed frame is
    there and split took the video to its end): the source's audio is then kept to its own end, past
    the last frame, as the model commands keep it; frames cut short (--end, frames deleted from the
    end) cut the audio with them."""
    if not manifest.frames or not manifest.times or last_frame != manifest.frames[-1] or info.kind != "video":
        return False
    if info.timestamps is not None and len(info.timestamps):  # the source's last frame, on the file's timeline
        source_last = info.start_time + float(info.timestamps[-1])
    else:
        source_last = info.start_time + info.duration - (1 / float(info.fps) if info.fps else 0.04)
    step = 1 / float(manifest.fps) if manifest.fps else 0.0  # the last kept frame lasts this long (--every, --fps)
    return manifest.times[-1] + step > source_last + 1e-4


def last_frame_end(manifest: Manifest | None, names: list[str],
                   probe_source: Callable[[str], VideoInfo] = probe) -> Fraction | None:
    """When the folder's last frame ends, seconds from the manifest's first frame: where the source
    frame after it starts (the source's end after its last frame), as many source frames on as lie
    between the last two (`split --every N` kept every Nth). None without a manifest listing them or
    a source video to read the times from. `names`: the folder's last two frames (or its one)."""
    listed = dict(zip(manifest.frames, manifest.times)) if manifest and manifest.times else {}
    if not listed or not all(name in listed for name in names) or not manifest.source or not Path(manifest.source).is_file():
        return None
    info = probe_source(manifest.source)
    if info.kind != "video" or info.timestamps is None:
        return None
    last = info.frames_before(listed[names[-1]] + 1e-4) - 1  # the source frame the last one shows
    if abs(info.time_of(last) - listed[names[-1]]) > 5e-4:  # resampled (split --fps): it lasts 1/fps
        return None
    step = last - (info.frames_before(listed[names[0]] + 1e-4) - 1) if len(names) > 1 else 1
    end = Fraction(info.time_of(last + max(1, step))).limit_denominator(10**6)
    origin = Fraction(manifest.times[0]).limit_denominator(10**6)
    return end - origin if end > Fraction(listed[names[-1]]).limit_denominator(10**6) else None


def _keep_offset(media: MediaSource | None, manifest: Manifest | None) -> Fraction:
    """Frames that begin where the source's video begins, after its other streams (a late video
    stream), keep that offset: the audio is then taken from the file's start, not cut."""
    if media is None or manifest is None:
        return Fraction(0)
    if manifest.start > 5e-4 and abs(manifest.start - media.video_start) < 5e-4:
        media.start = 0.0
        if media.duration is not None:
            media.duration += manifest.start
        return Fraction(manifest.start).limit_denominator(10**6)
    return Fraction(0)


def frame_times(images: list[Path], manifest: Manifest | None, fps: Fraction, explicit_fps: bool,
                warn: Callable[[str], None]) -> list[Fraction] | None:
    """When each image plays (seconds from the first), or None for an even 1/fps.

    The manifest's times keep a variable frame rate and hold the frame before a gap where frames
    were deleted, so what follows stays in sync; without a manifest, numbered files are placed by
    their numbers. Either way a gap is named in one warning. --fps asks for an even rate."""
    names = [image.name for image in images]
    listed = {name: time for name, time in zip(manifest.frames, manifest.times)} if manifest else {}
    if listed and all(name in listed for name in names):
        present_names = set(names)
        missing = [n for n, name in enumerate(manifest.frames, start=1) if name not in present_names]
        times = [Fraction(listed[name]).limit_denominator(10**6) for name in names]
        origin = Fraction(manifest.times[0]).limit_denominator(10**6)
        what = "listed in manifest.json"
    else:
        numbers = [int(m.group(1)) if (m := _NUMBERED.match(name)) else None for name in names]
        if None in numbers or len(set(numbers)) != len(numbers):
            return None
        present = set(numbers)
        missing = [n for n in range(numbers[0], numbers[-1] + 1) if n not in present]
        times = [(n - numbers[0]) / fps for n in numbers]
        origin = Fraction(0)
        what = "in the numbering"
    if missing:
        held = "--fps makes the rest play early" if explicit_fps else "the frame before each gap is held so the rest stays in sync"
        warn(f"frames {number_ranges(missing)} {what} are missing from the folder; {held}")
    if explicit_fps:
        return None
    times = [t - origin for t in times]
    return None if even_times(times, fps) else times  # Matroska's millisecond times are a constant rate


def stitch(folder: Path, output: str, fps: Fraction | None, options: EncodeOptions, audio: str | None = None,
           no_audio: bool = False, progress: ProgressFn | None = None, warn: Callable[[str], None] | None = None,
           stream_format: str | None = None, audio_from_start: bool = False) -> StitchResult:
    manifest = read_manifest_if_any(folder)
    if manifest is not None and (changed := changed_source_line(folder, manifest)):
        if warn and not no_audio:
            warn(changed)
        manifest = replace(manifest, source=None, audio_source=None)  # neither its streams nor its frame times
    explicit_fps = fps is not None
    fps = fps or (manifest.fps if manifest else None)
    if not fps:
        raise UsageError(f"{folder}: has no manifest.json to take the frame rate from; pass --fps")
    if fps <= 0:
        raise UsageError(f"--fps {fps}: use a positive frame rate")
    images, size = check_frames(folder)
    if (line := unlisted_line(folder, folder_frames(folder)[1])) and warn:
        warn(line)
    times = frame_times(images, manifest, fps, explicit_fps, warn or (lambda message: None))
    probe_source = lru_cache(maxsize=None)(probe)  # the manifest's source: read once for its times and its streams
    end = (last_frame_end(manifest, [image.name for image in images[-2:]], probe_source)
           if times or (manifest and not explicit_fps) else None)
    if times is None and end is not None:  # an even grid: timed only when the last frame lasts other than 1/fps
        times = [k / fps for k in range(len(images))] if off_grid(end, len(images) / fps, fps) else None
        end = end if times else None
    duration = float(end if end is not None else times[-1] + (times[-1] - times[-2] if len(times) > 1 else 1 / fps)) if times else len(images) / float(fps)
    media = _audio_for(folder, manifest, audio, no_audio, duration, warn, last_frame=None if explicit_fps else images[-1].name,
                       audio_from_start=audio_from_start, probe_source=probe_source)
    if explicit_fps and media is not None and not audio and manifest and manifest.times and warn:
        recorded = manifest.times[-1] - manifest.times[0] + (1 / float(manifest.fps) if manifest.fps else 0.0)
        if recorded > 0 and abs(duration - recorded) > max(0.02 * recorded, 1 / float(fps)):
            kept = [what for what, streams in (("audio", media.audio), ("subtitles", media.subtitles)) if streams]
            agree = "no longer lines up" if kept == ["audio"] else "no longer line up"
            retimed = " (subtitle cues are not retimed)" if media.subtitles else ""
            warn(f"--fps {fps} plays the frames in {duration:.3f} s where the source took {recorded:.3f} s, so the "
                 f"source's {' and '.join(kept)} {agree}{retimed}; pass --no-audio, or drop --fps to keep the manifest's times")
    offset = _keep_offset(media, manifest)
    sar, reshaped = frames_sar(folder, manifest, *size) if size != (0, 0) else (manifest.sar if manifest else None, None)
    if reshaped and warn:
        warn(reshaped)
    pixels = folder_pixels(images[0], manifest.extra if manifest else {})  # colour tags from the manifest
    if manifest is not None and warn and (line := unrecorded_hdr_line(folder, pixels, manifest.extra)):
        warn(line)
    writer = VideoWriter(output, fps, options, media=media, stream_format=stream_format, warn=warn, sar=sar, timed=times is not None,
                         pixels=pixels)
    writer.end_time = None if end is None else offset + end
    resampled = times is not None and not writer.container.frame_times
    if resampled and (peak := peak_rate(times)) and peak > fps:
        writer.fps = fps = peak  # a one-rate container: a grid at the fastest stretch's rate drops no frame
    pattern = _sequence_pattern(images)
    if times is None and pattern and size != (0, 0) and output != "-":
        _stitch_with_ffmpeg(folder, pattern, len(images), size, writer, progress, offset)
    else:
        info = probe(str(folder))
        sink = TimedSink(writer, same_times, lambda k: offset + (times[k] if times else k / fps))
        run_pipeline(ImageFolderReader(info), sink, on_frame=progress)
    frames = probe(output).frame_count if resampled and output != "-" else len(images)  # the grid's count
    return StitchResult(output=output, frames=frames, fps=fps, duration=duration, audio=media.path if writer.media is not None and writer.media.audio else None)  # what the container kept


def _stitch_with_ffmpeg(folder: Path, pattern: tuple[str, int], count: int, size: tuple[int, int], writer: VideoWriter,
                        progress: ProgressFn | None, offset: Fraction = Fraction(0)) -> None:
    """Let ffmpeg read the numbered images directly, with the writer's own encode settings."""
    name, start = pattern
    writer.video_offset = offset  # not -itsoffset: that rounds to the sequence's 1/fps time base
    video_input = ["-xerror", "-framerate", str(writer.fps), "-start_number", str(start), "-i", ffmpeg.sequence(folder, name)]
    writer.encode_external(video_input, size[0], size[1], count)
    if progress:
        progress(count)
