"""Frame readers: video files (through ffmpeg), folders of images, single images, and stdin.

Every reader yields H x W x 3 uint8 RGB numpy frames and holds at most one frame at a time, so
memory does not grow with the length of the video. The threaded pipeline (runtime/threads.py) moves
decoding off the main thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import DecodeError, InputError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.banner import parse_header, parse_output_video, unmarked_priming
from vidgen_cli.io.exif import exif_orientation, orient
from vidgen_cli.io.ffmpeg_log import ShowinfoClock, banner_start, stream_line
from vidgen_cli.io.manifest import folder_frames
from vidgen_cli.io.media import PixelInfo, StreamInfo, VideoInfo
from vidgen_cli.io.media_source import MediaSource
from vidgen_cli.io.pixels import DEINTERLACE, DEINTERLACE_FLAGGED, raw_format
from vidgen_cli.io.probe import MAX_PIXELS, probe


def read_image(path: Path, pixels: PixelInfo | None = None) -> np.ndarray:
    """One image as RGB uint8 (alpha dropped, 16-bit scaled down); with `pixels`, as RGBA when
    pixels.alpha and as uint16 when pixels.bit_depth > 8 (what a folder's first frame holds).
    Turned upright as its EXIF Orientation says."""
    data = np.fromfile(str(path), dtype=np.uint8) if path.is_file() else None
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION if pixels is None else cv2.IMREAD_UNCHANGED
    image = cv2.imdecode(data, flags) if data is not None and data.size else None
    if image is None:
        raise InputError(f"{path}: not a readable image; remove or replace it")
    image = orient(image, exif_orientation(path))  # as viewers show it (io/exif.py)
    if pixels is None:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return _as_layout(image, pixels.alpha, pixels.bit_depth > 8)


def _as_layout(image: np.ndarray, alpha: bool, deep: bool) -> np.ndarray:
    """A decoded BGR/BGRA/gray image as RGB or RGBA, uint8 or uint16."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 2:  # gray + alpha
        image = np.dstack([image[..., 0]] * 3 + [image[..., 1]])
    if image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA) if alpha else cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        if alpha:  # a frame without alpha in a folder with alpha: opaque
            full = np.iinfo(image.dtype).max
            image = np.dstack([image, np.full(image.shape[:2], full, image.dtype)])
    if deep and image.dtype == np.uint8:
        return image.astype(np.uint16) * 257
    if not deep and image.dtype == np.uint16:
        return ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    return image


class FrameReader:
    """Base class: iterate frames; `info` describes the input; `close()` releases resources."""

    info: VideoInfo

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "FrameReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageFolderReader(FrameReader):
    def __init__(self, info: VideoInfo, start_frame: int = 0, end_frame: int | None = None) -> None:
        self.info = info
        self.files = folder_frames(Path(info.path))[0][start_frame:end_frame]

    def __iter__(self) -> Iterator[np.ndarray]:
        for file in self.files:
            frame = read_image(file, self.info.pixels)
            if frame.shape[:2] != (self.info.height, self.info.width):
                raise InputError(
                    f"{file}: is {frame.shape[1]}x{frame.shape[0]} but the first frame is "
                    f"{self.info.width}x{self.info.height}; all frames of a folder must have one size"
                )
            yield frame


class SingleImageReader(FrameReader):
    def __init__(self, info: VideoInfo) -> None:
        self.info = info

    def __iter__(self) -> Iterator[np.ndarray]:
        yield read_image(Path(self.info.path), self.info.pixels)


class FFmpegReader(FrameReader):
    """Decode one video stream to raw RGB through a piped ffmpeg process.

    The frame size is the one ffmpeg declares for its rawvideo output (after autorotation), never
    the input's, so a rotated stream cannot be read with the wrong stride. `times` collects each
    delivered frame's presentation time (seconds on the file's timeline, as a Fraction) from the
    showinfo filter; `times[k]` is known once frame k has been yielded.
    """

    def __init__(self, info: VideoInfo, start: float | None = None, end: float | None = None,
                 deinterlace: bool = True) -> None:
        self.info = info
        self.start, self.end = start, end
        self.deinterlace = deinterlace
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []
        self._clock = ShowinfoClock()
        self.times: list[Fraction] = self._clock.times
        self._output_lines: list[str] | None = None  # the rawvideo output's banner, once it starts
        self._banner_done = threading.Event()
        self._timing = threading.Condition()
        self._stderr_closed = False
        self._times_missing = False

    def filters(self) -> list[str]:
        """The -vf chain: deinterlacing (bwdif, one frame per frame), the time range (as trim, so
        showinfo sees only delivered frames), then showinfo."""
        chain = list(self._decode_options()[1])
        if self.start or self.end is not None:
            bounds = ([f"start={self.start:.6f}"] if self.start else []) + ([f"end={self.end:.6f}"] if self.end is not None else [])
            chain.append("trim=" + ":".join(bounds))
        return [*chain, "showinfo=checksum=0"]

    def _command(self, source: str) -> list[str]:
        stream = f"0:{self.info.video_stream}" if self.info.kind == "video" else "0:v:0"
        decoder, _ = self._decode_options()
        # The file's timeline whichever stream is read (an MPEG-TS video-only read otherwise starts at the video).
        timeline = ffmpeg.file_timeline(self.info.demuxer, self.info.file_start) if self.info.kind == "video" else []
        return [*ffmpeg.base_command(), "-nostats", "-loglevel", "info", *decoder, *timeline, "-i", ffmpeg.url(source), "-map", stream,
                "-an", "-sn", "-vf", ",".join(self.filters()), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", self.raw_format, "pipe:1"]

    def _decode_options(self) -> tuple[list[str], list[str]]:
        return decode_options(self.info.pixels, self.info.codec, self.deinterlace)

    @property
    def raw_format(self) -> str:
        """rgb24, or rgba / rgb48le / rgba64le when the stream has alpha or more than 8 bits."""
        return raw_format(self.info.pixels.alpha, self.info.pixels.bit_depth > 8)

    def _spawn(self, source: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
        # Its own session: a Ctrl-C in the terminal goes to vidgen only, not reported as a broken decode.
        self._process = subprocess.Popen(self._command(source), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                                         start_new_session=True)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        return self._process

    def _drain_stderr(self) -> None:
        assert self._process and self._process.stderr
        for line in iter(self._process.stderr.readline, b""):
            self._log_line(line)
        with self._timing:
            self._stderr_closed = True
            self._timing.notify_all()
        self._banner_done.set()

    def _log_line(self, line: bytes) -> None:
        """One line of ffmpeg's log: frame times and the output banner are taken from anywhere in
        it (ffmpeg's threads glue messages together: io/ffmpeg_log.py); the rest is kept for errors."""
        with self._timing:
            showinfo = self._clock.read(line)
            self._timing.notify_all()
        if not showinfo:
            self._stderr.append(line)
            if len(self._stderr) > 400:  # keep memory bounded on chatty corrupt inputs
                del self._stderr[50:150]
        self._banner_line(line)

    def _banner_line(self, line: bytes) -> None:
        """Collect the output banner; it is complete at its first stream line."""
        if (start := banner_start(line)) is not None:  # stdin's side-streams file is Output #1
            self._output_lines = [start.decode("utf-8", "replace")]
        elif self._output_lines is not None and not self._banner_done.is_set():
            stream = stream_line(line)
            self._output_lines.append((stream or line).decode("utf-8", "replace"))
            if stream is not None:
                self._banner_done.set()

    def time_of(self, index: int) -> Fraction | None:
        """Presentation time of delivered frame `index`; waits briefly for its showinfo line."""
        with self._timing:
            if not self._times_missing and not self._timing.wait_for(lambda: len(self.times) > index or self._stderr_closed, timeout=5):
                self._times_missing = True  # no showinfo lines: callers fall back to probed times, without waiting again
            return self.times[index] if index < len(self.times) else None

    def _delivered_size(self) -> tuple[int, int]:
        """The frame size ffmpeg writes (its output banner); the probed size if it printed none."""
        self._banner_done.wait(timeout=60)
        delivered = parse_output_video("".join(self._output_lines or []))
        if delivered and delivered["width"] and delivered["height"]:
            return delivered["width"], delivered["height"]
        return self.info.width, self.info.height

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._process is None:
            self._spawn(self.info.path)
        yield from self._read_frames()

    def _read_frames(self) -> Iterator[np.ndarray]:
        assert self._process and self._process.stdout
        width, height = self._delivered_size()
        if width * height > MAX_PIXELS:
            self._finish()
            raise InputError(f"{self.info.path}: decodes to {width}x{height}, too large to process")
        self.info.width, self.info.height = width, height
        channels = 4 if self.raw_format in ("rgba", "rgba64le") else 3
        dtype = np.dtype("<u2") if self.raw_format in ("rgb48le", "rgba64le") else np.dtype(np.uint8)
        frame_bytes = width * height * channels * dtype.itemsize
        count = 0
        try:
            while True:
                buffer = _read_exactly(self._process.stdout, frame_bytes)
                if buffer is None:
                    break
                count += 1
                frame = np.frombuffer(buffer, dtype).reshape(height, width, channels)
                yield frame if dtype == np.uint8 else frame.astype(np.uint16, copy=False)
        finally:
            returncode = self._finish()
        stderr = b"".join(self._stderr).decode("utf-8", "replace")
        if returncode != 0 and count == 0:
            raise DecodeError(f"{self.info.path}: could not decode any frame ({ffmpeg.last_error_line(stderr)})")
        if returncode != 0:
            raise DecodeError(f"{self.info.path}: decoding failed after {count} frames; the file may be truncated ({ffmpeg.last_error_line(stderr)})")

    def _finish(self) -> int:
        process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()
        return 0 if process.returncode in (0, -9) else process.returncode

    def close(self) -> None:
        self._finish()


class StdinReader(FFmpegReader):
    """Decode a stream piped to vidgen (y4m, nut, matroska, mpegts...). Size comes from ffmpeg's banner."""

    def __init__(self, keep_streams: bool = False) -> None:
        """keep_streams: copy every other stream of the piped container (audio, subtitles,
        attachments, metadata) into a side file while decoding, for the writer to mux back
        (`side_media`, complete once the frames are read; `cleanup()` removes it)."""
        super().__init__(VideoInfo(path="-", kind="stream", width=0, height=0, fps=None, frame_count=0, duration=0.0))
        self._side_dir = Path(tempfile.mkdtemp(prefix="vidgen-stdin-")) if keep_streams else None
        self.side_media: MediaSource | None = None
        self.unmarked_priming = 0.0  # seconds: unmarked_priming, once the stream is open

    def _command(self, source: str) -> list[str]:
        command = super()._command(source)
        if self._side_dir is None:
            return command
        # A second output with every non-video stream, stream-copied. It must hold at least one
        # stream whatever the pipe carries, hence a one-frame dummy video from a second input.
        at = command.index("pipe:0") + 1
        command[at:at] = ["-f", "lavfi", "-i", "nullsrc=s=16x16:r=25:d=0.04"]
        return command + ["-map", "0:a?", "-map", "0:s?", "-map", "0:t?", "-map", "1:v", "-c", "copy", "-c:v", "rawvideo",
                          "-f", "matroska", str(self._side_dir / "streams.mkv")]

    def _finish(self) -> int:
        returncode = super()._finish()
        if self.side_media is not None and returncode == 0:  # the side file is complete: read its real stream numbers
            header = parse_header(ffmpeg.run(["-i", self.side_media.path]).stderr.decode("utf-8", "replace"))
            side = self.side_media
            # Renumber the StreamInfo objects in place: writers may hold copies of the lists.
            for mine, found in ((side.audio, header.audio), (side.subtitles, header.subtitles), (side.attachments, header.attachments)):
                for stream, actual in zip(mine, found):
                    stream.index = actual.index
        return returncode

    def cleanup(self) -> None:
        """Remove the side file (after the writer has muxed it)."""
        if self._side_dir is not None:
            shutil.rmtree(self._side_dir, ignore_errors=True)

    def open_stream(self) -> VideoInfo:
        """Start ffmpeg on stdin and wait for its banners to learn size, rotation, SAR and frame rate."""
        self._spawn("pipe:0", stdin=None)
        self._banner_done.wait()
        stderr = b"".join(self._stderr).decode("utf-8", "replace")
        header = parse_header(stderr)
        if header.video is None or not header.video["width"]:
            self._finish()
            raise InputError(f"stdin: no video stream could be read ({ffmpeg.last_error_line(stderr)}); pipe a video container such as nut, y4m, matroska or mpegts")
        video = header.videos[0]  # the stream `-map 0:v:0` decodes (ffmpeg's pick is known only after it started)
        width, height = self._delivered_size()
        if not width or not height:  # no output banner: ffmpeg stopped before the first frame
            self._finish()
            stderr = b"".join(self._stderr).decode("utf-8", "replace")
            raise InputError(f"stdin: ffmpeg could not decode the piped video ({ffmpeg.last_error_line(stderr)}); an MP4/MOV "
                             "whose index (moov) is at the end cannot be read from a pipe: pass the file by path, or remux "
                             "it with -movflags +faststart, or pipe nut, matroska or mpegts")
        rotation, sar = video["rotation"] % 360, video["sar"]
        if rotation in (90, 270):
            sar = 1 / sar
        self.info = VideoInfo(
            path="-", kind="stream", width=width, height=height, fps=video["fps"] or Fraction(25),
            frame_count=0, duration=0.0, codec=video["codec"], pix_fmt=video["pix_fmt"], audio=header.audio, subtitles=header.subtitles,
            rotation=rotation, sar=sar, vfr=True,  # a stream cannot be scanned ahead: keep each frame's own time
            pixels=video["pixels"],
        )
        others = [s for s in (*header.other_video, StreamInfo(header.video["index"], "video", header.video["codec"],
                                                               description=header.video["description"])) if s.index != video["index"]]
        self.unmarked_priming = unmarked_priming(stderr, header)
        if self._side_dir is not None and (header.audio or header.subtitles or header.attachments or others):
            self.side_media = MediaSource(str(self._side_dir / "streams.mkv"), audio=header.audio, subtitles=header.subtitles,
                                          metadata=True, attachments=header.attachments, other_video=others)
        return self.info

    @property
    def raw_format(self) -> str:
        """Always rgb24: ffmpeg starts before the stream's bit depth and alpha are known."""
        return "rgb24"

    def _decode_options(self) -> tuple[list[str], list[str]]:
        # The field order is not known yet: deinterlace the frames that are flagged interlaced.
        return [], ([DEINTERLACE_FLAGGED] if self.deinterlace else [])

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._process is None:
            self.open_stream()
        yield from self._read_frames()


def decode_options(pixels: PixelInfo, codec: str, deinterlace: bool) -> tuple[list[str], list[str]]:
    """(decoder options before -i, filters) for one video stream: VP8/VP9 with alpha need libvpx
    (ffmpeg's own decoders drop the alpha side channel); interlaced streams are deinterlaced with
    bwdif, one frame per frame, so the timeline does not change."""
    decoder = []
    if pixels.alpha and codec in ("vp9", "vp8"):
        decoder = ["-c:v", "libvpx-vp9" if codec == "vp9" else "libvpx"]
    filters = [DEINTERLACE] if deinterlace and pixels.interlaced else []
    return decoder, filters


def _read_exactly(stream, size: int) -> bytearray | None:
    """Read one whole frame into a fresh, writable buffer; None at a clean end of stream (a partial
    frame at the end is dropped)."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    filled = 0
    while filled < size:
        count = stream.readinto(view[filled:])
        if not count:
            return None
        filled += count
    return buffer


def open_input(path: str | os.PathLike[str], start: float | None = None, end: float | None = None, info: VideoInfo | None = None,
               deinterlace: bool = True, keep_streams: bool = False) -> FrameReader:
    """Pick the reader for a video file, a folder of images, a single image, or '-' (stdin; with
    `keep_streams`, its other streams are copied aside for the writer: see StdinReader)."""
    path = str(path)
    if path == "-":
        reader = StdinReader(keep_streams)
        reader.open_stream()
        return reader
    info = info or probe(path)
    if info.width * info.height > MAX_PIXELS:
        raise InputError(f"{path}: declares a frame size of {info.width}x{info.height}, too large to process")
    if info.kind == "images":
        fps = float(info.fps) if info.fps else None
        first = int(round(start * fps)) if (start and fps) else 0
        last = int(round(end * fps)) if (end is not None and fps) else None
        return ImageFolderReader(info, first, last)
    if info.kind == "image":
        return SingleImageReader(info)
    return FFmpegReader(info, start, end, deinterlace=deinterlace)
