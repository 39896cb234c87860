"""What the bundled ffmpeg can encode, asked of it once per process, so that a bad --codec,
--pix-fmt or a codec the output container cannot hold is refused in one line before any work
(instead of an ffmpeg failure on an internal segment after the models ran)."""

from __future__ import annotations

import functools
import os
import re
import tempfile

from vidgen_cli.errors import EncodeError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.formats import CONTAINERS, STREAM_FORMATS, WRITABLE_SUFFIXES
from vidgen_cli.io.media import StreamInfo

_SUGGESTED_CODECS = "libx264, libx265, libvpx-vp9, ffv1, prores_ks"
_EXTENSION = {muxer: suffix for suffix, muxer in reversed(list(WRITABLE_SUFFIXES.items()))}


@functools.cache
def video_encoders() -> frozenset[str]:
    """Names of the video encoders the bundled ffmpeg has (`ffmpeg -encoders`)."""
    text = ffmpeg.run(["-encoders"], timeout=30).stdout.decode("utf-8", "replace")
    return frozenset(m.group(1) for m in re.finditer(r"^ V\S{5} (\S+)", text, re.MULTILINE) if m.group(1) != "=")


@functools.cache
def audio_encoders() -> frozenset[str]:
    """Names of the audio encoders the bundled ffmpeg has (`ffmpeg -encoders`)."""
    text = ffmpeg.run(["-encoders"], timeout=30).stdout.decode("utf-8", "replace")
    return frozenset(m.group(1) for m in re.finditer(r"^ A\S{5} (\S+)", text, re.MULTILINE) if m.group(1) != "=")


@functools.cache
def pixel_formats() -> frozenset[str]:
    """Every pixel format name ffmpeg knows (`ffmpeg -pix_fmts`)."""
    text = ffmpeg.run(["-pix_fmts"], timeout=30).stdout.decode("utf-8", "replace")
    return frozenset(m.group(1) for m in re.finditer(r"^[I.][O.][H.][P.][B.] (\S+)", text, re.MULTILINE))


@functools.cache
def encoder_pixel_formats(codec: str) -> tuple[str, ...] | None:
    """The pixel formats `codec` takes (`ffmpeg -h encoder=NAME`); None when ffmpeg lists none."""
    text = ffmpeg.run(["-h", f"encoder={codec}"], timeout=30).stdout.decode("utf-8", "replace")
    match = re.search(r"Supported pixel formats: (.+)", text)
    return tuple(match.group(1).split()) if match else None


@functools.cache
def _trial(codec: str, pix_fmt: str | None, muxer: str) -> str | None:
    """Encode one small frame with `codec` into `muxer`; ffmpeg's complaint, or None when it works."""
    handle, path = tempfile.mkstemp(suffix=_EXTENSION.get(muxer, ".bin"), prefix="vidgen-trial-")
    os.close(handle)
    try:
        args = ["-v", "error", "-f", "lavfi", "-i", "color=s=64x64:r=25:d=0.04", "-frames:v", "1", "-c:v", codec,
                *(["-pix_fmt", pix_fmt] if pix_fmt else []), *(["-strict", "-1"] if muxer == "yuv4mpegpipe" else []),
                "-f", muxer, ffmpeg.url(path)]
        result = ffmpeg.run(args, timeout=60)
        if result.returncode == 0:
            return None
        lines = [line.strip() for line in result.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        # ffmpeg names the cause first ("Only VP8 or VP9 ... are supported for WebM"), then "Could not write header"
        return re.sub(r"^\[[^]]*@ 0x[0-9a-f]+\] ", "", lines[0]) if lines else "ffmpeg failed without a message"
    finally:
        os.unlink(path)


def output_muxer(output: str, stream_format: str | None) -> str | None:
    """The ffmpeg muxer an output (a file, a {stem} template, or - with --format) is written with;
    None for a folder of frames or an image."""
    if output == "-":
        return STREAM_FORMATS.get((stream_format or "nut").lower())
    return WRITABLE_SUFFIXES.get(os.path.splitext(output)[1].lower())


def check_encoding(codec: str | None, pix_fmt: str | None, muxer: str | None) -> None:
    """Refuse, before any work, a --codec the bundled ffmpeg lacks, a --pix-fmt it does not know or
    the encoder does not take, and an encoder the output's container cannot hold. Raises EncodeError
    (exit 5, as an encoder failure: the settings cannot be encoded)."""
    if codec is None and pix_fmt is None:
        return
    if codec is not None and codec != "copy" and codec not in video_encoders():
        raise EncodeError(f"--codec {codec}: the bundled ffmpeg has no such video encoder; use one of {_SUGGESTED_CODECS}")
    if pix_fmt is not None and pix_fmt not in pixel_formats():
        raise EncodeError(f"--pix-fmt {pix_fmt}: not a pixel format ffmpeg knows; use e.g. yuv420p, yuv422p10le or yuv444p")
    chosen = codec or (CONTAINERS[muxer].video_codec if muxer else None)
    if chosen is None or chosen == "copy":
        return
    taken = encoder_pixel_formats(chosen)
    if pix_fmt is not None and taken is not None and pix_fmt not in taken:
        raise EncodeError(f"--pix-fmt {pix_fmt}: {chosen} does not take it; it takes {' '.join(taken)}")
    if muxer is not None:
        complaint = _trial(chosen, pix_fmt, muxer)
        if complaint is not None:
            where = _EXTENSION.get(muxer, muxer)
            raise EncodeError(f"--codec {chosen} cannot be written to {where} (ffmpeg: {complaint}); "
                             f"drop --codec for the container's default ({CONTAINERS[muxer].video_codec}) or write another container")


# Samples an audio encoder puts before the first input sample (ffmpeg's initial_padding); a container
# without edit lists (AVI) cannot say to skip them, so the sound would start this much late.
_PRIMING_SAMPLES = {"libmp3lame": 1105, "ac3": 256, "aac": 1024, "libopus": 312}


def priming_seconds(stream: StreamInfo, codec: str) -> float:
    """How long `codec`'s priming lasts at `stream`'s sample rate (0 when not known)."""
    samples, rate = _PRIMING_SAMPLES.get(codec), stream.sample_rate
    return samples / rate if samples and rate else 0.0


def start_filters(stream: StreamInfo, codec: str, delay: float) -> list[str]:
    """For a container without edit lists (AVI), whose tracks all play from 0: audio filters that
    start `stream` `delay` seconds (>= 0) after the file's start, as it does in its source, with
    `codec`'s priming playing first: silence in front (adelay) for the delay less the priming, or
    where the priming lasts longer, the source's first samples cut for it (the first ~23 ms of an
    MP3 track are lost instead of the sync)."""
    rate = stream.sample_rate
    shift = round(delay * rate) - _PRIMING_SAMPLES.get(codec, 0) if rate else 0
    if shift > 0:
        return [f"adelay=delays={shift}S:all=1"]
    if shift < 0:
        return [f"atrim=start={-shift / rate:.6f}", "asetpts=PTS-STARTPTS"]
    return []
