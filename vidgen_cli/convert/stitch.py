"""Stitch a folder of frames into a video, restoring timing and audio from split's manifest.

When the frames are numbered consecutively in one format (what `split` writes), ffmpeg reads them
itself, which is as fast as the plain ffmpeg command; otherwise vidgen decodes them in natural
order and pipes them in. Sizes are checked from the image headers first, because ffmpeg would
otherwise rescale mismatched frames silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.decode import ImageFolderReader
from vidgen_cli.io.encode import EncodeOptions, MediaSource, VideoWriter
from vidgen_cli.io.manifest import read_manifest_if_any
from vidgen_cli.io.probe import check_frames, folder_pixels, probe
from vidgen_cli.runtime.threads import run_pipeline

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
    """An ffmpeg image2 pattern when the files are consecutively numbered with one width."""
    first = _NUMBERED.match(images[0].name)
    if not first:
        return None
    digits, extension = len(first.group(1)), first.group(2)
    start = int(first.group(1))
    for offset, image in enumerate(images):
        match = _NUMBERED.match(image.name)
        if not match or len(match.group(1)) != digits or int(match.group(1)) != start + offset or match.group(2) != extension:
            return None
    return f"%0{digits}d.{extension}", start


def _audio_for(folder: Path, audio: str | None, no_audio: bool, duration: float,
               warn: Callable[[str], None] | None = None) -> MediaSource | None:
    manifest = read_manifest_if_any(folder)
    if no_audio:
        return None
    if not audio and manifest and manifest.audio_source and not Path(manifest.audio_source).is_file() and warn:
        warn(f"{folder}: the manifest's audio source {manifest.audio_source} no longer exists; writing video without audio "
             "(pass --audio FILE, or --no-audio to silence this)")
    if audio:
        info = probe(audio)
        if not info.audio:
            raise InputError(f"{audio}: has no audio stream; pass a file with audio or drop --audio")
        return MediaSource(audio, audio=info.audio[:1], duration=duration)
    if manifest and manifest.audio_source and Path(manifest.audio_source).is_file():
        info = probe(manifest.audio_source)
        return MediaSource.of_video(info, start=manifest.start, duration=duration)
    return None


def stitch(folder: Path, output: str, fps: Fraction | None, options: EncodeOptions, audio: str | None = None,
           no_audio: bool = False, progress: ProgressFn | None = None, warn: Callable[[str], None] | None = None,
           stream_format: str | None = None) -> StitchResult:
    manifest = read_manifest_if_any(folder)
    fps = fps or (manifest.fps if manifest else None)
    if not fps:
        raise UsageError(f"{folder}: has no manifest.json to take the frame rate from; pass --fps")
    if fps <= 0:
        raise UsageError(f"--fps {fps}: use a positive frame rate")
    images, size = check_frames(folder)
    duration = len(images) / float(fps)
    media = _audio_for(folder, audio, no_audio, duration, warn)
    pixels = folder_pixels(images[0], manifest.extra if manifest else {})  # colour tags from the manifest
    writer = VideoWriter(output, fps, options, media=media, stream_format=stream_format, warn=warn, pixels=pixels)
    pattern = _sequence_pattern(images)
    if pattern and size != (0, 0) and output != "-":
        _stitch_with_ffmpeg(folder, pattern, len(images), size, writer, progress)
    else:
        info = probe(str(folder))
        run_pipeline(ImageFolderReader(info), writer, on_frame=progress)
    return StitchResult(output=output, frames=len(images), fps=fps, duration=duration, audio=media.path if media else None)


def _stitch_with_ffmpeg(folder: Path, pattern: tuple[str, int], count: int, size: tuple[int, int], writer: VideoWriter,
                        progress: ProgressFn | None) -> None:
    """Let ffmpeg read the numbered images directly, with the writer's own encode settings."""
    name, start = pattern
    video_input = ["-xerror", "-framerate", str(writer.fps), "-start_number", str(start), "-i", ffmpeg.sequence(folder, name)]
    writer.encode_external(video_input, size[0], size[1], count)
    if progress:
        progress(count)
