"""Split a video into image files (or into one clip per shot).

Writing still images needs no processing step, so ffmpeg decodes and writes the images itself:
vidgen adds only the manifest (exact per-frame timestamps, read from ffmpeg's showinfo filter) and
the temporary-folder-then-rename safety, which keeps `split` as fast as the plain ffmpeg command.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from vidgen_cli.convert.shot_audio import replace_shot_audio
from vidgen_cli.convert.shot_subtitles import add_shot_subtitles, text_subtitles
from vidgen_cli.errors import DecodeError, NoFramesError, UsageError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.decode import FFmpegReader, decode_options
from vidgen_cli.io.encode import EncodeOptions, fine_time_base, video_codec_args
from vidgen_cli.io.ffmpeg_log import ShowinfoClock
from vidgen_cli.io.formats import CONTAINERS, WRITABLE_SUFFIXES, clip_suffix, frame_format
from vidgen_cli.io.manifest import Manifest, write_manifest
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.media_source import WarnFn, source_stream_args
from vidgen_cli.io.outputs import commit, discard, temporary_sibling
from vidgen_cli.io.hdr_metadata import STRIP_FILTER as HDR_STRIP_FILTER
from vidgen_cli.io.pixels import DEINTERLACE, has_alpha, is_hdr
from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD, FLASH_FRAMES, MIN_SCENE_LEN, SceneDetector


ProgressFn = Callable[[int], None]


@dataclass
class SplitOptions:
    image_format: str = "png"
    quality: int = 95
    every: int = 1
    fps: Fraction | None = None
    start: float | None = None
    end: float | None = None
    deinterlace: bool = True  # bwdif on input flagged interlaced


@dataclass
class SplitResult:
    output: Path
    frames: int
    fps: Fraction
    duration: float
    cuts: list[float] = field(default_factory=list)


def _quality_args(image_format: str, quality: int) -> list[str]:
    if not 1 <= quality <= 100:
        raise UsageError(f"--quality {quality} is out of range; use 1 to 100")
    if image_format == "jpg":
        return ["-q:v", str(round(2 + (100 - quality) * 29 / 99)), "-pix_fmt", "yuvj444p"]
    if image_format == "webp":
        return ["-c:v", "libwebp", "-quality", str(quality)]
    return []


def _opaque_args(info: VideoInfo, image_format: str) -> list[str]:
    """-pix_fmt without alpha for frames of a stream decoded with an alpha plane that holds no
    transparency (a GIF, APNG or WebP the probe found opaque): ffmpeg would write RGBA PNGs whose
    alpha is all 255, which every later step would take for transparency."""
    if info.pixels.alpha or not has_alpha(info.pix_fmt or ""):
        return []
    if image_format == "png":
        return ["-pix_fmt", "rgb48be" if info.pixels.bit_depth > 8 else "rgb24"]
    return ["-pix_fmt", "yuv420p"] if image_format == "webp" else []


def _filters(options: SplitOptions, info: VideoInfo | None = None) -> str:
    chain = []
    if info is not None and options.deinterlace and info.pixels.interlaced:
        chain.append(DEINTERLACE)
    if options.fps:
        chain.append(tick_filter(options.fps))
    if options.start or options.end is not None:
        parts = [f"start={options.start:.6f}"] if options.start else []
        if options.end is not None:
            parts.append(f"end={options.end:.6f}")
        chain.append("trim=" + ":".join(parts))
    if options.every > 1:
        chain.append(f"select=not(mod(n\\,{options.every}))")
    if info is not None and is_hdr(info.pixels):  # ffmpeg's PNG encoder writes it wrongly; the manifest records it
        chain.append(HDR_STRIP_FILTER)
    chain.append("showinfo=checksum=0")
    return ",".join(chain)


def tick_filter(fps: Fraction) -> str:
    """ffmpeg's fps filter for split --fps: each tick k/fps of the source's timeline gets the frame
    that plays then, the last one at or before it (round=up), as a player shows it. The default
    (round=near) gives a tick the LAST frame within half a tick of it, often the one after: the
    tick at 1.0 s showed the frame at 1.04 s though one plays at 1.0 s, a one-frame flash there
    was lost, and the manifest's times were up to a source frame early. Placed before --start/--end's
    trim, so the first tick of the range shows the frame playing at it (one from before the range
    when none starts exactly there)."""
    return f"fps=fps={Fraction(fps).numerator}/{Fraction(fps).denominator}:round=up"


def expected_frames(info: VideoInfo, options: SplitOptions, scenes_clips: bool = False) -> int | None:
    """How many frames a split writes (progress's total): the frames between options.start and
    options.end, every `every`-th of them, or the span's duration at options.fps. `scenes_clips`:
    split_scenes, whose progress counts the span's decoded frames. None when the probe gave no count."""
    from vidgen_cli.runtime.span import resolve_span

    span = resolve_span(info, options.start, options.end)
    count = info.frame_count if span.whole else span.count
    if not count:
        return None
    if scenes_clips:
        return count
    if options.fps:
        seconds = info.duration if span.duration is None else span.duration
        return max(1, round(seconds * float(options.fps))) if seconds else None
    return -(-count // options.every)


def split_frames(info: VideoInfo, output: Path, options: SplitOptions, progress: ProgressFn | None = None) -> SplitResult:
    """Write the selected frames of `info` as numbered images plus manifest.json into `output`."""
    image_format = frame_format(options.image_format)
    if options.every < 1:
        raise UsageError(f"--every {options.every}: use a whole number of at least 1")
    if options.fps is not None and options.fps <= 0:
        raise UsageError(f"--fps {options.fps}: use a positive frame rate")
    quality = _quality_args(image_format, options.quality) + _opaque_args(info, image_format)
    temporary = temporary_sibling(output, is_dir=True)
    temporary.mkdir()
    decoder, _ = decode_options(info.pixels, info.codec, deinterlace=False)  # libvpx for VP8/VP9 alpha
    command = [*ffmpeg.base_command(), "-loglevel", "info", *decoder, *ffmpeg.file_timeline(info.demuxer, info.file_start),
               "-i", ffmpeg.url(info.path), "-map", f"0:{info.video_stream}", "-vf", _filters(options, info), "-fps_mode", "passthrough", *quality,
               "-f", "image2", "-start_number", "1", ffmpeg.sequence(temporary, f"%06d.{image_format}")]
    clock = ShowinfoClock()  # frame times read wherever ffmpeg's threads put them in its log (io/ffmpeg_log.py)
    tail: list[bytes] = []
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr
        for line in iter(process.stderr.readline, b""):
            known = len(clock.times)
            if not clock.read(line):
                tail = (tail + [line])[-30:]
            if progress and len(clock.times) > known:
                progress(len(clock.times))
        if process.wait() != 0:
            raise DecodeError(f"{info.path}: ffmpeg failed while splitting ({ffmpeg.last_error_line(b''.join(tail))})")
        names = sorted(p.name for p in temporary.iterdir())
        if not names:
            raise NoFramesError(output, f"no frames of {info.path} were selected; check --start/--end against the clip's {info.duration:.2f} s")
        times = [float(time) for time in clock.times[: len(names)]]
        fps = options.fps or (info.fps / options.every if info.fps else Fraction(25))
        start = times[0] if times else 0.0
        write_manifest(temporary, Manifest(fps=fps, width=info.width, height=info.height, frames=names, times=times,
                                           source=str(Path(info.path).resolve()),
                                           audio_source=str(Path(info.path).resolve()) if info.has_audio or info.unreadable else None,
                                           start=start, duration=len(names) / float(fps), sar=info.sar,
                                           extra={"pixels": info.pixels.to_json()}))
        commit(temporary, output)
    except BaseException:
        if process is not None and process.poll() is None:  # stopped first: it would go on writing frames into the folder
            process.kill()
            process.wait()
        discard(temporary)
        raise
    return SplitResult(output=output, frames=len(names), fps=fps, duration=len(names) / float(fps))


def detect_cut_times(info: VideoInfo, threshold: float = DEFAULT_THRESHOLD, progress: ProgressFn | None = None,
                     start: float | None = None, end: float | None = None) -> list[float]:
    """Times (seconds from the video's first frame, as `info.timestamps`) where a new shot starts,
    from a decode of the video between `start` and `end` (seconds; None: its start, its end), so a
    cut outside the span is never listed."""
    # The detector also sees the frames just before `start` (as many as a shot's minimum length,
    # more than a flash's), so a change right after it is judged as without --start: a one-frame
    # flash on the range's first frame needs the picture before it to be seen as one (it had made a
    # one-frame shot), and a cut just before the range still keeps the next one min_scene_len away.
    first = info.frames_before(start) if start else 0
    context = min(first, max(FLASH_FRAMES + 1, MIN_SCENE_LEN)) if info.timestamps is not None else 0
    detector = SceneDetector(threshold, video_start=-(first - context))
    reader = FFmpegReader(info, info.time_of(first - context) - 1e-4 if context else start, end)
    found: list[int] = []
    for index, frame in enumerate(reader):
        found += detector.push(frame)
        if progress and index >= context:
            progress(index + 1 - context)
    found += detector.flush()
    times = []
    for index in (index for index in found if index > context):  # inside the range, after its first frame
        when = reader.time_of(index)  # on the file's timeline
        if when is not None:
            times.append(float(when) - info.start_time)
        elif info.timestamps is not None and not start and index < len(info.timestamps):
            times.append(float(info.timestamps[index]))
    return times


def split_scenes(info: VideoInfo, output: Path, threshold: float, options: EncodeOptions,
                 progress: ProgressFn | None = None, warn: WarnFn | None = None, deinterlace: bool = True,
                 start: float | None = None, end: float | None = None) -> SplitResult:
    """Cut the video (its part from `start` to `end` seconds, when given) at shot boundaries into
    OUTPUT/<stem>-shot001.<ext>, ... (re-encoded so every clip starts on a key frame). Each clip
    keeps the source's audio (copied where the container holds its codec), subtitles, metadata and
    dispositions, as the model commands' outputs do.

    The clips keep the source's container when vidgen writes it with H.264 and AAC, else MP4 (io/formats.py);
    interlaced input is deinterlaced (bwdif) unless `deinterlace` is False."""
    extension = clip_suffix(info.path)
    muxer = WRITABLE_SUFFIXES[extension]
    encode_args = video_codec_args(options, muxer, info.width, info.height, warn or (lambda message: None), pixels=info.pixels)
    cuts = detect_cut_times(info, threshold, progress, start, end)
    temporary = temporary_sibling(output, is_dir=True)
    temporary.mkdir()
    stem = Path(info.path).stem
    span: list[str] = []
    origin = 0.0  # the part's first frame, from the video's first frame: the clips' timeline starts there
    if start or end is not None:
        first = info.frames_before(start) if start else 0
        origin = info.time_of(first) - info.start_time
        span = (["-ss", f"{start:.6f}"] if start else []) + (["-to", f"{end:.6f}"] if end is not None else [])
    try:
        # Each cut a little before its first frame: a time rounded up past that frame's own (1.791667
        # for 43/24 s) forced the key frame, and the cut, onto the next frame.
        early = min(0.001, 0.5 / float(info.fps or 25))
        times = ",".join(f"{max(t - origin - early, 0.0):.6f}" for t in cuts)
        # -avoid_negative_ts disabled: the segment muxer would otherwise shift every stream by the
        # B-frame delay (first shot at 0.08 s); each clip's own muxer keeps it (edit list, or DTS < 0).
        segment = ["-f", "segment", "-segment_format", muxer, "-reset_timestamps", "1", "-avoid_negative_ts", "disabled"]
        # Each frame keeps its time: the segment muxer's constant rate moved a video that starts off
        # the grid (a .ts's, after the AAC priming) by a duplicated first frame, 17 ms out of sync.
        timing = ["-fps_mode", "passthrough", "-enc_time_base:v", f"1/{fine_time_base(info.fps or Fraction(25))}"]
        if cuts:
            segment += ["-segment_times", times, "-force_key_frames", times]
        filters = ["-vf", DEINTERLACE] if deinterlace and info.pixels.interlaced else []
        cut_subtitles = text_subtitles(info.subtitles, CONTAINERS[muxer])  # cut per shot below, not by the segment muxer
        rest = replace(info, subtitles=[s for s in info.subtitles if s not in cut_subtitles])
        # An MPEG-TS/PS input seeks inexactly (-ss before -i landed on the key frame at the next cut:
        # the first shot was lost): those are read from the start and cut on the output side, which
        # also drops the copied packets before the cut.
        output_seek = info.demuxer in ffmpeg.MAPPED_ORIGIN_DEMUXERS
        before, after = ([], span) if output_seek else (span, [])
        streams = source_stream_args(rest, CONTAINERS[muxer], str(output), warn or (lambda message: None),
                                     0.0 if output_seek else start or 0.0, None if end is None or output_seek else end - (start or 0.0))
        result = ffmpeg.run([*before, "-i", ffmpeg.url(info.path), *after, "-map", f"0:{info.video_stream}", *streams, *filters, *encode_args,
                             *timing, *segment, ffmpeg.sequence(temporary, f"{ffmpeg.escape_percent(stem)}-shot%03d{extension}")])
        if result.returncode != 0:
            raise DecodeError(f"{info.path}: ffmpeg failed while cutting shots ({ffmpeg.last_error_line(result.stderr)})")
        # ffmpeg numbers segments from 0; people count shots from 1.
        for path in sorted(temporary.iterdir(), reverse=True):
            number = int(path.stem.rsplit("shot", 1)[1])
            path.rename(path.with_name(f"{stem}-shot{number + 1:03d}{extension}"))
        bounds = [0.0, *(t - origin for t in cuts)]  # each shot's first frame, from the part's first frame
        replace_shot_audio(sorted(temporary.iterdir()), bounds, info, CONTAINERS[muxer], info.start_time + origin, start, end, warn, str(output))
        add_shot_subtitles(sorted(temporary.iterdir()), bounds, info.path, cut_subtitles, CONTAINERS[muxer], info.start_time + origin)
        commit(temporary, output)
    except BaseException:
        discard(temporary)
        raise
    frames, duration = info.frame_count, info.duration
    if start or end is not None:
        from vidgen_cli.runtime.span import resolve_span

        frames = (info.frames_before(end) if end is not None else info.frame_count) - (info.frames_before(start) if start else 0)
        duration = resolve_span(info, start, end).duration or duration
    # The frames the encoder wrote, as the summary must say: ffmpeg's cut at --start/--end can land
    # a frame off the probe's count (an input -to is counted from the first frame kept, not from -ss).
    frames = encoded_frames(result.stderr) or frames
    return SplitResult(output=output, frames=frames, fps=info.fps or Fraction(25), duration=duration, cuts=cuts)


def encoded_frames(stderr: bytes) -> int | None:
    """The frame count of ffmpeg's last progress line ('frame=  123 fps=...'): the video frames
    the run encoded; None when the log has none."""
    counts = re.findall(rb"frame=\s*(\d+)", stderr)
    return int(counts[-1]) if counts else None




def split_scene_frames(info: VideoInfo, output: Path, threshold: float, options: SplitOptions,
                       progress: ProgressFn | None = None) -> SplitResult:
    """One frames folder per shot (OUTPUT/<stem>-shot001/, ..., named as split_scenes names its
    clips), each with its own manifest (the part from options.start to options.end only, cuts included)."""
    cuts = detect_cut_times(info, threshold, start=options.start, end=options.end)
    staging = temporary_sibling(output, is_dir=True)
    staging.mkdir()
    try:
        everything = split_frames(info, staging / "all", options, progress)
        from vidgen_cli.io.manifest import read_manifest_if_any

        manifest = read_manifest_if_any(everything.output)
        assert manifest is not None
        bounds = [*cuts, float("inf")]
        shot, members = 0, [[]]
        for name, time in zip(manifest.frames, manifest.times):
            while time >= bounds[shot] - 1e-6:
                shot += 1
                members.append([])
            members[-1].append((name, time))
        shots = [m for m in members if m]
        for number, frames in enumerate(shots, start=1):
            folder = staging / f"{Path(info.path).stem}-shot{number:03d}"
            folder.mkdir()
            names = []
            for index, (name, _) in enumerate(frames, start=1):
                new_name = f"{index:06d}{Path(name).suffix}"
                (everything.output / name).rename(folder / new_name)
                names.append(new_name)
            times = [t for _, t in frames]
            write_manifest(folder, Manifest(fps=manifest.fps, width=manifest.width, height=manifest.height, frames=names,
                                            times=times, source=manifest.source, audio_source=manifest.audio_source,
                                            start=times[0], duration=len(names) / float(manifest.fps or 25), sar=manifest.sar,
                                            extra=manifest.extra))
        discard(everything.output)
        commit(staging, output)
    except BaseException:
        discard(staging)
        raise
    return SplitResult(output=output, frames=everything.frames, fps=everything.fps, duration=everything.duration, cuts=cuts)
