"""Frame writers: a video through the bundled ffmpeg (audio and subtitles muxed from a source
without re-encoding where the container allows), a folder of images, or a stream on stdout.

Video files are written to a temporary sibling and renamed only when ffmpeg finished cleanly.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import EncodeError, NoFramesError, OutputError, UsageError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.formats import CONTAINERS, IMAGE_FILE_FORMATS, Container, container_for, frame_format, stream_container
from vidgen_cli.io.manifest import Manifest, write_manifest
from vidgen_cli.io.media import StreamInfo
from vidgen_cli.io.outputs import commit, discard, temporary_sibling

_CHROMA_SUBSAMPLED = ("yuv420", "yuvj420", "nv12", "yuv422", "yuvj422", "yuv411", "yuv410")

@dataclass
class EncodeOptions:
    codec: str | None = None  # None: libx264, or what the container needs (webm: VP9)
    crf: int | None = 18
    preset: str | None = "medium"
    pix_fmt: str | None = None  # None: yuv420p for delivery codecs (yuv444p when the size is odd)
    extra: list[str] = field(default_factory=list)


@dataclass
class MediaSource:
    """Where to take audio (and subtitles) from, and which slice of it."""

    path: str
    audio: list[StreamInfo] = field(default_factory=list)
    subtitles: list[StreamInfo] = field(default_factory=list)
    start: float = 0.0
    duration: float | None = None


WarnFn = Callable[[str], None]


def video_codec_args(options: EncodeOptions, muxer: str, width: int, height: int, warn: WarnFn) -> list[str]:
    codec = options.codec or CONTAINERS[muxer].video_codec
    args = ["-c:v", codec]
    delivery = codec in {"libx264", "libx265", "libvpx-vp9", "libvpx", "libaom-av1", "libsvtav1"}
    pix_fmt = options.pix_fmt or ("yuv420p" if delivery else None)
    if pix_fmt and pix_fmt.startswith(_CHROMA_SUBSAMPLED) and (width % 2 or height % 2):
        if options.pix_fmt:
            raise UsageError(f"--pix-fmt {pix_fmt} needs an even width and height but frames are {width}x{height}; use --pix-fmt yuv444p")
        warn(f"frames are {width}x{height} (odd), which yuv420p cannot store without resizing; writing yuv444p instead")
        pix_fmt = "yuv444p"
    if pix_fmt:
        args += ["-pix_fmt", pix_fmt]
    if options.crf is not None and codec in {"libx264", "libx265", "libvpx-vp9", "libvpx", "libaom-av1", "libsvtav1"}:
        args += ["-crf", str(options.crf)]
        if codec.startswith("libvpx"):
            args += ["-b:v", "0"]
    if options.preset and codec in {"libx264", "libx265"}:
        args += ["-preset", options.preset]
    elif codec.startswith("libvpx"):
        args += ["-deadline", "good", "-cpu-used", "4", "-row-mt", "1"]
    return args + list(options.extra)


def _media_args(source: MediaSource | None, container: Container, input_index: int) -> tuple[list[str], list[str]]:
    """Input args for the source and the map/codec args that copy its audio and subtitles."""
    if source is None or not (source.audio or source.subtitles):
        return [], []
    inputs = []
    if source.start > 0:
        inputs += ["-ss", f"{source.start:.6f}"]
    if source.duration is not None:
        inputs += ["-t", f"{source.duration:.6f}"]
    inputs += ["-i", source.path]
    maps: list[str] = []
    for n, stream in enumerate(source.audio):
        maps += ["-map", f"{input_index}:{stream.index}"]
        maps += [f"-c:a:{n}", "copy" if container.copies_audio(stream.codec) else container.audio_codec]
    kept = [stream for stream in source.subtitles if container.keeps_subtitle(stream.codec)]
    for n, stream in enumerate(kept):
        maps += ["-map", f"{input_index}:{stream.index}", f"-c:s:{n}", str(container.subtitle_codec)]
    return inputs, maps


def media_for(container: Container, media: MediaSource | None, output: str, warn: WarnFn) -> MediaSource | None:
    """The part of `media` that `container` can hold; says in one line what it cannot (audio in a
    GIF or Y4M, image subtitles in MP4, any subtitles in AVI) instead of failing at the end."""
    if media is None:
        return None
    audio = media.audio if container.audio else []
    subtitles = [s for s in media.subtitles if container.keeps_subtitle(s.codec)]
    lost = ([f"{len(media.audio)} audio stream(s)"] if len(audio) < len(media.audio) else []) + \
        ([f"{len(media.subtitles) - len(subtitles)} subtitle stream(s)"] if len(subtitles) < len(media.subtitles) else [])
    if lost:
        warn(f"{output}: the {container.muxer} container cannot hold {' and '.join(lost)} of the source; writing without "
             "them (use .mkv to keep every stream)")
    if not (audio or subtitles):
        return None
    return replace(media, audio=audio, subtitles=subtitles)


class VideoWriter:
    """Pipe raw RGB frames into ffmpeg. Started on the first frame, when the size is known."""

    def __init__(self, output: str | Path, fps: Fraction, options: EncodeOptions | None = None,
                 media: MediaSource | None = None, stream_format: str | None = None,
                 sar: Fraction | None = None, warn: WarnFn | None = None) -> None:
        self.output = str(output)
        self.fps = Fraction(fps)
        self.options = options or EncodeOptions()
        self.warn = warn or (lambda message: None)
        self.sar = sar
        self.to_stdout = self.output == "-"
        self.container = stream_container(stream_format) if self.to_stdout else container_for(self.output)
        self.muxer = self.container.muxer
        self.media = media_for(self.container, media, self.output, self.warn)
        self.temporary: Path | None = None if self.to_stdout else temporary_sibling(Path(self.output))
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []
        self.frames_written = 0
        self.size: tuple[int, int] | None = None

    def command(self, video_input: list[str], width: int, height: int) -> list[str]:
        """The ffmpeg command that encodes `video_input` (input #0) with this writer's settings."""
        if self.muxer == "yuv4mpegpipe":
            pix_fmt = self.options.pix_fmt or ("yuv444p" if (width % 2 or height % 2) else "yuv420p")
            video = ["-c:v", "rawvideo", "-pix_fmt", pix_fmt]
        else:
            video = video_codec_args(self.options, self.muxer, width, height, self.warn)
        media_inputs, media_maps = _media_args(self.media, self.container, 1)
        target = "pipe:1" if self.to_stdout else str(self.temporary)
        filters = ["-vf", f"setsar={self.sar.numerator}/{self.sar.denominator}"] if self.sar and self.sar != 1 else []
        container = ["-movflags", "+faststart"] if self.container.faststart and not self.to_stdout else []
        return [*ffmpeg.base_command(), "-loglevel", "error", *video_input, *media_inputs, "-map", "0:v:0", *media_maps,
                *filters, *video, *container, "-f", self.muxer, target]

    def _start(self, width: int, height: int) -> None:
        raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(self.fps), "-i", "pipe:0"]
        # Its own session: a Ctrl-C in the terminal reaches vidgen, which finishes this file itself.
        self._process = subprocess.Popen(self.command(raw, width, height), stdin=subprocess.PIPE,
                                         stdout=None if self.to_stdout else subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=True)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.size = (width, height)

    def encode_external(self, video_input: list[str], width: int, height: int, frames: int) -> None:
        """Encode an input ffmpeg reads itself (e.g. an image sequence), then move it into place."""
        command = self.command([*video_input], width, height)
        command[-3:-3] = ["-frames:v", str(frames)]  # before "-f MUXER TARGET"
        result = subprocess.run(command, capture_output=True, check=False)
        if result.returncode != 0:
            self.abort()
            raise EncodeError(f"ffmpeg could not write {self.output}: {ffmpeg.last_error_line(result.stderr)}")
        self.frames_written = frames
        if self.temporary is not None:
            commit(self.temporary, Path(self.output))

    def _drain_stderr(self) -> None:
        assert self._process and self._process.stderr
        for line in iter(self._process.stderr.readline, b""):
            self._stderr.append(line)
            if len(self._stderr) > 200:
                del self._stderr[20:120]

    def write(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
        if self._process is None:
            self._start(width, height)
        elif (width, height) != self.size:
            raise EncodeError(f"frame {self.frames_written} is {width}x{height} but the video is {self.size[0]}x{self.size[1]}")
        assert self._process.stdin
        try:
            self._process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        except (BrokenPipeError, OSError) as exc:
            self._process.wait()
            raise EncodeError(f"ffmpeg stopped while writing {self.output}: {self._error_line()}") from exc
        self.frames_written += 1

    def _error_line(self) -> str:
        return ffmpeg.last_error_line(b"".join(self._stderr))

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._process is None:
            raise NoFramesError(self.output)
        assert self._process.stdin
        try:
            self._process.stdin.close()
        except OSError:
            pass
        returncode = self._process.wait()
        if returncode != 0:
            discard(self.temporary)
            raise EncodeError(f"ffmpeg could not write {self.output}: {self._error_line()}")
        if self.temporary is not None:
            commit(self.temporary, Path(self.output))

    def abort(self) -> None:
        """Stop ffmpeg and delete the partial file."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        discard(self.temporary)


class ImageFolderWriter:
    """Write numbered images (and a manifest) into a temporary folder, renamed on success."""

    def __init__(self, output: str | Path, image_format: str = "png", quality: int = 95,
                 fps: Fraction | None = None, source: str | None = None, audio_source: str | None = None,
                 start: float = 0.0, warn: WarnFn | None = None, folder: Path | None = None, existing: int = 0) -> None:
        """`folder`/`existing`: write into this folder, which already holds frames 1..existing (resume)."""
        self.output = Path(output)
        self.format = frame_format(image_format)
        self.params = {"jpg": [cv2.IMWRITE_JPEG_QUALITY, quality], "webp": [cv2.IMWRITE_WEBP_QUALITY, quality]}.get(self.format, [])
        self.fps, self.source, self.audio_source, self.start = fps, source, audio_source, start
        if folder is None:
            self.temporary = temporary_sibling(self.output, is_dir=True)
            self.temporary.mkdir()
        else:
            self.temporary = folder
        self.names: list[str] = [f"{i:06d}.{self.format}" for i in range(1, existing + 1)]
        self.size: tuple[int, int] | None = None

    def write(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
        self.size = self.size or (width, height)
        name = f"{len(self.names) + 1:06d}.{self.format}"
        if not cv2.imwrite(str(self.temporary / name), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), self.params):
            raise OutputError(f"could not write {self.output / name}; is the disk full?")
        self.names.append(name)

    def close(self) -> None:
        if not self.names:
            discard(self.temporary)
            raise NoFramesError(self.output)
        fps = self.fps or Fraction(25)
        times = [self.start + i / float(fps) for i in range(len(self.names))]
        width, height = self.size or (0, 0)
        write_manifest(self.temporary, Manifest(fps=fps, width=width, height=height, frames=self.names, times=times,
                                                source=self.source, audio_source=self.audio_source, start=self.start,
                                                duration=len(self.names) / float(fps)))
        commit(self.temporary, self.output)

    def abort(self) -> None:
        discard(self.temporary)



class ImageFileWriter:
    """One frame into one image file (format from the extension), via a temporary sibling."""

    def __init__(self, output: str | Path, quality: int = 95) -> None:
        self.output = Path(output)
        fmt = IMAGE_FILE_FORMATS.get(self.output.suffix.lower())
        if fmt is None:
            raise UsageError(f"{self.output}: unknown image extension; use .png, .jpg, .webp, .bmp or .tiff")
        self.params = {"jpg": [cv2.IMWRITE_JPEG_QUALITY, quality], "webp": [cv2.IMWRITE_WEBP_QUALITY, quality]}.get(fmt, [])
        self.temporary = temporary_sibling(self.output)
        self.frames_written = 0

    def write(self, frame: np.ndarray) -> None:
        if self.frames_written:
            raise UsageError(f"{self.output}: an image file holds one frame but more were produced; write to a video or a folder (ending in /)")
        if not cv2.imwrite(str(self.temporary), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), self.params):
            raise OutputError(f"could not write {self.output}; is the disk full?")
        self.frames_written = 1

    def close(self) -> None:
        if not self.frames_written:
            raise EncodeError(f"no frames to write to {self.output}; the input produced no frames")
        commit(self.temporary, self.output)

    def abort(self) -> None:
        discard(self.temporary)
