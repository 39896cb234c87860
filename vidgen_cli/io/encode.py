"""Video writers: a video file or a stream on stdout through the bundled ffmpeg (audio and subtitles
muxed from a source without re-encoding where the container allows: io/media_source.py). Image
folders and single images: io/image_writers.py.

Video files are written to a temporary sibling and renamed only when ffmpeg finished cleanly.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidgen_cli.errors import EncodeError, NoFramesError, UsageError
from vidgen_cli.io import ffmpeg, timed_pipe
from vidgen_cli.io.ffmpeg import start_offset
from vidgen_cli.io.formats import CONTAINERS, Container, container_for, stream_container
from vidgen_cli.io.hdr_metadata import STRIP_FILTER as HDR_STRIP_FILTER, hdr_metadata_args
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.io.media_source import MediaSource, WarnFn, attached_pic_args, clipped_cues, media_args, media_for
from vidgen_cli.io.outputs import commit, discard, temporary_sibling
from vidgen_cli.io.pixels import ALPHA_PIX_FMT, ODD_SIZE_SUBSAMPLED, ONLY_PIX_FMT, colour_args, format_loss, keep_advice, output_pix_fmt, range_signal_args, raw_format_of, untagged_hdr_line, untagged_sdr_line, is_hdr

_CHROMA_SUBSAMPLED = ("yuv420", "yuvj420", "nv12", "yuv422", "yuvj422", "yuv411", "yuv410")
_SHORT_NAMES = {"yuv4mpegpipe": "y4m"}
_KEEP_TAGS = "write .mkv or .mp4 (or a nut or matroska stream) to keep the tags, or tone-map to SDR first (ffmpeg's zscale and tonemap)"
_ALPHA_CODEC = {"mov": "prores_ks", "webm": "libvpx-vp9"}  # where the default codec drops alpha but the container holds it


@dataclass
class EncodeOptions:
    codec: str | None = None  # None: libx264, or what the container needs (webm: VP9)
    crf: int | None = 18
    preset: str | None = "medium"
    pix_fmt: str | None = None  # None: the source's chroma and depth where the codec takes them, else yuv420p (yuv444p at an odd size where the codec needs even)
    extra: list[str] = field(default_factory=list)


def default_codec(muxer: str, alpha: bool = False) -> str:
    """The container's default encoder (io/formats.py); with alpha, the container's codec
    that stores it (ProRes 4444 in .mov)."""
    return (_ALPHA_CODEC.get(muxer) if alpha else None) or CONTAINERS[muxer].video_codec


def video_codec_args(options: EncodeOptions, muxer: str, width: int, height: int, warn: WarnFn,
                     pixels: PixelInfo | None = None, alpha: bool = False) -> list[str]:
    """Encoder options. `pixels`: the source's pixel facts (deeper than 8 bits: encode at 10 bits);
    `alpha`: the frames carry alpha (kept where the codec can store it, else a warning)."""
    codec = options.codec or default_codec(muxer, alpha)
    args = ["-c:v", codec]
    delivery = codec in {"libx264", "libx265", "libvpx-vp9", "libvpx", "libaom-av1", "libsvtav1"}
    if alpha and codec != "copy" and codec not in ALPHA_PIX_FMT and not options.pix_fmt:
        lost = ("gif's on/off transparency is not written either (transparent pixels come out opaque)" if codec == "gif"
                else f"{codec} cannot store it")
        warn(f"alpha dropped: {lost}; write .webm (VP9), .mov (ProRes 4444) or a folder of PNG frames to keep it")
    if codec == "prores_ks" and alpha:
        args += ["-profile:v", "4444"]
    pix_fmt = options.pix_fmt or (output_pix_fmt(codec, pixels, alpha) if codec != "copy" else None) or ("yuv420p" if delivery else None)
    if pix_fmt and pix_fmt.startswith(_CHROMA_SUBSAMPLED) and (width % 2 or height % 2) and codec not in ODD_SIZE_SUBSAMPLED:
        if options.pix_fmt:
            raise UsageError(f"--pix-fmt {pix_fmt} needs an even width and height but frames are {width}x{height}; use --pix-fmt yuv444p")
        full = "yuv444p" + pix_fmt.split("p", 1)[1] if pix_fmt.startswith("yuv4") else "yuv444p"  # keeps a 10-bit depth
        warn(f"frames are {width}x{height} (odd), which {pix_fmt} cannot store without resizing; writing {full} instead")
        pix_fmt = full
    written = pix_fmt or ONLY_PIX_FMT.get(codec)
    loss = format_loss(pixels, written) if codec != "copy" and not options.pix_fmt and not alpha else None
    if loss:
        warn(f"{codec} cannot keep the source's pixel format: {loss} (writing {written}); " + ("write .mkv or .mp4 to keep it" if codec == "gif"
             else keep_advice(pixels, codec)))
    if pix_fmt:
        args += ["-pix_fmt", pix_fmt]
    args += range_signal_args(codec, pixels)
    if options.crf is not None and codec in {"libx264", "libx265", "libvpx-vp9", "libvpx", "libaom-av1", "libsvtav1"}:
        args += ["-crf", str(options.crf)]
        if codec.startswith("libvpx"):
            args += ["-b:v", "0"]
    if options.preset and codec in {"libx264", "libx265"}:
        args += ["-preset", options.preset]
    elif codec.startswith("libvpx"):
        args += ["-deadline", "good", "-cpu-used", "4", "-row-mt", "1"]
    if CONTAINERS[muxer].colour_tags:  # elsewhere (GIF) untagged_hdr_line names the HDR pictures' loss
        args += hdr_metadata_args(codec, pixels, warn)
    return args + reorder_args(CONTAINERS[muxer], codec) + list(options.extra)


def reorder_args(container: Container, codec: str) -> list[str]:
    """-bf 0 where `container` has no edit lists (AVI): B-frames' reorder delay would start the
    picture late. Also for segments that are later copied into such a container (runtime/resume.py)."""
    return ["-bf", "0"] if not container.edit_lists and codec != "copy" else []


class VideoWriter:
    """Pipe raw RGB frames into ffmpeg. Started on the first frame, when the size is known."""

    def __init__(self, output: str | Path, fps: Fraction, options: EncodeOptions | None = None,
                 media: MediaSource | None = None, stream_format: str | None = None,
                 sar: Fraction | None = None, warn: WarnFn | None = None, timed: bool = False,
                 pixels: PixelInfo | None = None, average_grid: bool = False) -> None:
        """`timed`: every frame keeps the time given to `write` (variable frame rate, through a
        Matroska pipe); otherwise frames are 1/fps apart from the first frame's time.
        `pixels`: the source's bit depth, colour tags and alpha, kept in the output where the codec allows.
        `average_grid`: `fps` is a pipe's average rate, not its peak (its times are not known ahead):
        the constant-rate line says so."""
        self.output = str(output)
        self.shown_as = self.output  # the file named in lines (a resume segment names the output it is part of)
        self.timed = timed
        self.resample = False  # timed frames resampled to fps (dropped or repeated), for a constant-rate final container
        # Said (once; the list may be shared by several writers) when a timed frame lands off the
        # 1/fps grid, where the resampling drops or repeats frames: not for a constant-rate input.
        self.rate_note: list[str] = []
        self.average_grid = average_grid  # a resampled grid at the average rate, not the peak (a pipe's times are not known ahead)
        self.verify_sar = True  # check the written file's pixel aspect (off for resume segments: the joined file is checked)
        self.first_time: Fraction | None = None
        self.video_offset = Fraction(0)  # where the video input starts (seconds): video_start_args
        self._last_time: Fraction | None = None
        # Timed frames go out one behind: a frame's duration (to the next frame's time) is known
        # only when that frame comes; the last one lasts until end_time (or as long as the one before it).
        self._held: tuple[Fraction, bytes] | None = None  # (time from the first frame, pixels)
        self._last_step: Fraction | None = None
        self.end_time: Fraction | None = None  # when the last frame ends (seconds, on write's timeline); None: unknown
        self.pixels = pixels
        self.fps = Fraction(fps)
        self.options = options or EncodeOptions()
        self.warn = warn or (lambda message: None)
        self.sar = sar
        self.to_stdout = self.output == "-"
        self.container = stream_container(stream_format) if self.to_stdout else container_for(self.output)
        self.muxer = self.container.muxer
        self.media = media_for(self.container, media, self.output, self.warn)
        self._cues: dict[int, Path] | None = None  # a cut's text subtitles, clipped to it (temporary .ass files)
        self.temporary: Path | None = None if self.to_stdout else temporary_sibling(Path(self.output))
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []
        self.frames_written = 0
        self.size: tuple[int, int] | None = None
        self.raw_format = "rgb24"
        self._side: Path | None = None  # _side_folder

    def command(self, video_input: list[str], width: int, height: int, alpha: bool | None = None) -> list[str]:
        """The ffmpeg command that encodes `video_input` (input #0) with this writer's settings.
        `alpha`: whether input #0 carries alpha (default: what `pixels` says)."""
        alpha = bool(self.pixels and self.pixels.alpha) if alpha is None else alpha
        if self.muxer == "yuv4mpegpipe":
            deep = self.pixels is not None and self.pixels.bit_depth > 8
            chroma = self.pixels.chroma if self.pixels and self.pixels.chroma in ("4:2:2", "4:4:4") else "4:2:0"
            plain = "yuv444p" if (width % 2 or (height % 2 and chroma == "4:2:0")) else f"yuv{chroma.replace(':', '')}p"
            pix_fmt = self.options.pix_fmt or plain + ("10" if deep else "")
            video = ["-c:v", "rawvideo", "-pix_fmt", pix_fmt]
            if alpha:
                self.warn("alpha dropped: y4m cannot store it; use --format nut or matroska with --codec ffv1 to keep it")
        else:
            video = video_codec_args(self.options, self.muxer, width, height, self.warn, self.pixels, alpha)
        if self._cues is None:
            self._cues = clipped_cues(self.media, self.container)
        media_inputs, media_maps = media_args(self.media, self.container, 1, self.warn, self._cues)
        target = "pipe:1" if self.to_stdout else ffmpeg.url(self.temporary)
        colour_filters, colour_options = colour_args(self.pixels)
        if not self.container.colour_tags and (line := untagged_hdr_line(self.pixels, _SHORT_NAMES.get(self.muxer, self.muxer),
                                                                                     _KEEP_TAGS)):
            self.warn(line)
        elif self.muxer == "yuv4mpegpipe" and (line := untagged_sdr_line(self.pixels, "y4m", "write .mkv or .mp4 (or a nut or matroska stream) to keep them")):
            self.warn(line)
        video += colour_options
        copy = "copy" in video
        shift_input, chain, shift_options = video_start_args(self.video_offset, self.fps, self.container, copy)
        video_input, video = [*shift_input, *video_input], video + shift_options
        resampled = self.timed and (self.resample or not self.container.frame_times)
        if resampled and not copy:  # each tick of the grid shows the frame nearest in time
            chain.insert(0, nearest_frame_filter(self.fps))
        chain += [sar_filter(self.sar)] if self.sar and self.sar != 1 and not copy else []
        chain += colour_filters if not copy else []
        chain += [HDR_STRIP_FILTER] if not copy and self.pixels is not None and is_hdr(self.pixels) else []  # io/hdr_metadata.py
        filters = ["-filter:v:0", ",".join(chain)] if chain else []  # v:0: cover art after it is copied
        if self.timed and self.resample:  # a constant-rate container further down the line (segments)
            filters += ["-fps_mode", "cfr", "-r", str(self.fps)]
        elif self.timed and not self.container.frame_times:
            self.rate_note[:] = self.rate_note or [constant_rate_warning(self.muxer, self.fps, self.average_grid)]
            filters += ["-fps_mode", "cfr", "-r", str(self.fps)]
        elif self.timed:  # keep each frame's own timestamp: no frame dropped or duplicated to a fixed rate
            filters += ["-fps_mode", "passthrough", "-enc_time_base", "demux"]
        container = ["-movflags", "+faststart"] if self.container.faststart and not self.to_stdout else []
        if self.container.faststart and self.to_stdout:  # a pipe cannot be sought back into: fragmented MP4/MOV
            container = ["-movflags", "frag_keyframe+empty_moov+delay_moov"]  # delay_moov: edit lists, so B-frame delay and AAC priming keep sync
        if not self.container.edit_lists:  # keep the video at 0 when a primed audio encoder's packets start before it
            container += ["-avoid_negative_ts", "disabled"]
        if self.muxer == "yuv4mpegpipe":  # 10/12-bit and 4:4:4 with alpha are not "official" y4m formats, but readers take them
            container += ["-strict", "-1"]
        return [*ffmpeg.base_command(), "-loglevel", "error", *video_input, *media_inputs, "-map", "0:v:0", *media_maps,
                *filters, *video, *attached_pic_args(self.media, 1, self.container, self._side_folder()), *container, "-f", self.muxer, target]

    def _side_folder(self) -> Path:
        """A temporary folder for files the encode reads besides its inputs (Matroska cover art),
        removed when the writer finishes or aborts."""
        if self._side is None:
            import tempfile

            self._side = Path(tempfile.mkdtemp(prefix="vidgen-side-"))
        return self._side

    def _remove_side(self) -> None:
        if self._side is not None:
            shutil.rmtree(self._side, ignore_errors=True)
            self._side = None

    def _start(self, width: int, height: int, time: Fraction | None, raw_format: str = "rgb24") -> None:
        self.first_time = Fraction(time) if time is not None else Fraction(0)
        if self.timed:  # microsecond times: -itsoffset is exact
            raw = [*start_offset(self.first_time), "-f", "matroska", "-i", "pipe:0"]
        else:
            self.video_offset = self.first_time
            raw = ["-f", "rawvideo", "-pix_fmt", raw_format, "-s", f"{width}x{height}", "-framerate", str(self.fps), "-i", "pipe:0"]
        alpha = raw_format in ("rgba", "rgba64le")
        # Its own session: a Ctrl-C in the terminal reaches vidgen, which finishes this file itself.
        self._process = subprocess.Popen(self.command(raw, width, height, alpha), stdin=subprocess.PIPE,
                                         stdout=None if self.to_stdout else subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=True)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.size = (width, height)
        self.raw_format = raw_format
        if self.timed:
            self._send(timed_pipe.stream_header(width, height, raw_format))

    def encode_external(self, video_input: list[str], width: int, height: int, frames: int | None) -> None:
        """Encode an input ffmpeg reads itself (e.g. an image sequence), then move it into place."""
        command = self.command([*video_input], width, height)
        # -frames:v ends the whole file at the last frame's start: audio that runs on (to the end of
        # that frame, or further as in the source) lost its last 20-40 ms. The inputs given here hold
        # exactly `frames` frames (a numbered sequence, the resume segments), so with audio it is left out.
        if frames is not None and not (self.media is not None and self.media.audio):
            command[-3:-3] = ["-frames:v:0", str(frames)]  # before "-f MUXER TARGET"; v:0: not the cover art
        try:
            result = subprocess.run(command, stdout=None if self.to_stdout else subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        finally:
            self._drop_cues()
            self._remove_side()
        if result.returncode != 0:
            self.abort()
            raise EncodeError(f"ffmpeg could not write {self.output}: {ffmpeg.last_error_line(result.stderr)}")
        self.frames_written = frames or 0
        if self.temporary is not None:
            commit(self.temporary, Path(self.output))
            if self.verify_sar:
                check_sar(self.output, self.sar, self.muxer, self.warn)

    def _drain_stderr(self) -> None:
        assert self._process and self._process.stderr
        for line in iter(self._process.stderr.readline, b""):
            self._stderr.append(line)
            if len(self._stderr) > 200:
                del self._stderr[20:120]

    def write(self, frame: np.ndarray, time: Fraction | None = None) -> None:
        """Append one H x W x 3 uint8 RGB frame; `time`: when it plays (seconds on the source's
        timeline; used for every frame when timed, for the first frame's offset otherwise)."""
        height, width = frame.shape[:2]
        if self._process is None:
            self._start(width, height, time, raw_format_of(frame))
        elif (width, height) != self.size:
            raise EncodeError(f"frame {self.frames_written} is {width}x{height} but the video is {self.size[0]}x{self.size[1]}")
        elif raw_format_of(frame) != self.raw_format:
            raise EncodeError(f"frame {self.frames_written} is {raw_format_of(frame)} but the video started as {self.raw_format}")
        pixels = np.ascontiguousarray(frame, dtype="<u2" if frame.dtype == np.uint16 else np.uint8).tobytes()
        if self.timed:
            assert self.first_time is not None
            when = Fraction(time) if time is not None else self.first_time + self.frames_written / self.fps
            if self._last_time is not None and when <= self._last_time:  # two frames at one instant: keep both, in order
                when = self._last_time + timed_pipe.TIME_BASE
            if self.rate_note and abs(when - self.first_time - self.frames_written / self.fps) > 1 / (2 * self.fps):
                self.warn(self.rate_note.pop())  # off the constant-rate grid: resampling changes the timeline
            self._last_time = when
            self._send_held(max(Fraction(0), when - self.first_time))
            self._held = (max(Fraction(0), when - self.first_time), pixels)
        else:
            self._send(pixels)
        self.frames_written += 1

    def _send_held(self, next_time: Fraction | None) -> None:
        """Send the held timed frame, lasting until `next_time` (from the first frame); None: the
        last frame, which lasts until end_time, else as long as the frame before it, else 1/fps."""
        if self._held is None:
            return
        time, pixels = self._held
        self._held = None
        last = next_time is None
        if next_time is None and self.end_time is not None and self.first_time is not None:
            next_time = self.end_time - self.first_time if self.end_time - self.first_time > time else None
        step = next_time - time if next_time is not None and next_time > time else (self._last_step or 1 / self.fps)
        if last and next_time is not None:  # the last frame's own duration (end_time), not a guess
            self._warn_grid_end(time, step)
        self._last_step = step
        self._send(timed_pipe.frame_header(time, len(pixels), step))
        self._send(pixels)
        self._send(timed_pipe.frame_trailer(step))

    def _warn_grid_end(self, time: Fraction, step: Fraction) -> None:
        """One line when a one-rate container (AVI, Y4M) cannot end the last frame (at `time` from
        the first frame, lasting `step` seconds) where it should: its 1/fps grid ends on a tick."""
        if self.container.frame_times and not self.resample:
            return
        end = time + step
        if abs(round(end * self.fps) / self.fps - end) > Fraction(1, 1000):
            kind = Path(self.shown_as).suffix.lstrip(".") if self.resample else _SHORT_NAMES.get(self.muxer, self.muxer)
            self.warn(f"{self.shown_as}: {kind or self.muxer} holds only a constant frame rate: the last frame ends on the "
                      f"{float(self.fps):.3f} fps grid, not where the source's does ({float(end):.3f} s after the first "
                      f"frame); use .mkv, .mp4, .mov or .webm to keep it")

    def _send(self, data: bytes) -> None:
        assert self._process is not None and self._process.stdin
        try:
            self._process.stdin.write(data)
        except (BrokenPipeError, OSError) as exc:
            self._process.wait()
            raise EncodeError(f"ffmpeg stopped while writing {self.output}: {self._error_line()}") from exc

    def _error_line(self) -> str:
        return ffmpeg.last_error_line(b"".join(self._stderr))

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._process is None:
            raise NoFramesError(self.output)
        assert self._process.stdin
        self._send_held(None)
        try:
            self._process.stdin.close()
        except OSError:
            pass
        returncode = self._process.wait()
        self._drop_cues()
        self._remove_side()
        if returncode != 0:
            discard(self.temporary)
            raise EncodeError(f"ffmpeg could not write {self.output}: {self._error_line()}")
        if self.temporary is not None:
            commit(self.temporary, Path(self.output))
            if self.verify_sar:
                check_sar(self.output, self.sar, self.muxer, self.warn)

    def abort(self) -> None:
        """Stop ffmpeg and delete the partial file."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._drop_cues()
        self._remove_side()
        discard(self.temporary)

    def _drop_cues(self) -> None:
        for path in (self._cues or {}).values():
            path.unlink(missing_ok=True)


def sar_filter(sar: Fraction) -> str:
    """The filter that declares pixel aspect `sar` exactly: setsar's default `max` (100) rounds
    964:963 to 1:1."""
    return f"setsar=r={sar.numerator}/{sar.denominator}:max={max(sar.numerator, sar.denominator, 100)}"


def check_sar(path: str, sar: Fraction | None, container: str, warn: WarnFn) -> None:
    """Say in one line when the written file `path` does not play with pixel aspect `sar` (Matroska
    and WebM store a display size in whole pixels, GIF none). Reads the file's header only."""
    if not sar or sar == 1:
        return
    from vidgen_cli.io.banner import parse_header

    video = parse_header(ffmpeg.run(["-i", ffmpeg.url(path)]).stderr.decode("utf-8", "replace")).video
    stored = video["sar"] if video else None
    if stored is not None and stored != sar:
        warn(f"{path}: {container} cannot store the pixel aspect ratio (SAR) {sar.numerator}:{sar.denominator} exactly; "
             f"it plays as {stored.numerator}:{stored.denominator} (write .mp4 or .mov to keep it)")


def constant_rate_warning(container: str, fps: Fraction, average: bool = False) -> str:
    """The line for a variable-rate timeline put on a constant-rate grid; `average`: the grid is the
    stream's average rate (a pipe, whose frame times are not known before the encode starts)."""
    rate = ("the stream's average rate: a pipe's frame times are not known ahead, so faster stretches drop frames; "
            "pass the file by path to use its fastest stretch" if average else
            "the source's fastest stretch, so no frame of it is dropped")
    return (f"{container} holds only a constant frame rate: the variable-rate timeline is put on a {float(fps):.3f} fps grid "
            f"({rate}; each tick shows the frame nearest in time, "
            "slower stretches repeat frames); use .mkv, .mp4 or .mov to keep every frame's time")


def nearest_frame_filter(fps: Fraction) -> str:
    """The filter that puts timed frames on a `fps` grid, each tick showing the frame nearest in time
    (error at most half a tick). ffmpeg's -fps_mode cfr lets a frame drift 1.1 frames before it
    drops or repeats one: a VFR flash landed 81 ms late at 20.3 fps."""
    return f"fps=fps={Fraction(fps).numerator}/{Fraction(fps).denominator}:round=near"


_OFFSET_TICKS = 90000  # at least this many ticks a second for a start kept off the frame grid


def video_start_args(time: Fraction | float, fps: Fraction, container: Container, copy: bool = False) -> tuple[list[str], list[str], list[str]]:
    """(input options, filters, encoder options) that start a constant-rate video input at `time`
    seconds. -itsoffset is rounded to the input's time base, 1/fps for raw frames and image
    sequences: a .ts video that starts 23 ms after its audio (the AAC priming comes first) came
    back at 33 ms at 30 fps. Off the frame grid, where the container keeps per-frame times, the
    offset is added in the filter graph on a time base of 1/(k x the rate's numerator) ticks
    (>= 90 kHz, so every frame stays a whole number of ticks and the rate exact) that the encoder
    keeps. A stream copy, AVI and Y4M (one rate, no edit lists) keep -itsoffset, on the grid."""
    time, fps = Fraction(time), Fraction(fps)
    on_grid = abs(time - round(time * fps) / fps) < Fraction(1, 2_000_000)
    if time <= 0 or on_grid or copy or not (container.frame_times and container.audio):
        return start_offset(time), [], []
    ticks = fine_time_base(fps)
    return [], [f"settb=1/{ticks}", f"setpts=PTS+{round(time * ticks)}"], ["-enc_time_base:v", f"1/{ticks}"]


def fine_time_base(fps: Fraction) -> int:
    """Ticks a second (k x the rate's numerator, at least 90 kHz) for an encoder time base in which
    every frame of `fps` is a whole number of ticks and a time off that grid is kept to 11 us."""
    fps = Fraction(fps)
    return fps.numerator * -(-_OFFSET_TICKS // fps.numerator)
