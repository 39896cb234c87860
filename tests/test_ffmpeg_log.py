"""Frame times and the output banner from ffmpeg's log when its threads glue messages together.

ffmpeg's threads share one log: a message printed while another thread's line is unfinished is
glued onto that line without its '[Parsed_showinfo_0 @ ...]' prefix (io/ffmpeg_log.py). This made
`vidgen interpolate - -o -` of a late video start at 1000.0 s instead of 0.5 s now and then: the
time base line was lost and pts 500 (of 1/1000 s) read as 500 s. Here a real decode log of a
synthesized clip is glued as ffmpeg does, deterministically, and read by the decoder's own code.
"""

from __future__ import annotations

import io
import re
import subprocess
from fractions import Fraction
from types import SimpleNamespace

import pytest

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.decode import FFmpegReader
from vidgen_cli.io.media import VideoInfo

_PREFIX = re.compile(rb"^\[Parsed_showinfo_\d+ @ 0x[0-9a-f]+\] ")


@pytest.fixture(scope="module")
def decode_log(tmp_path_factory) -> list[bytes]:
    """The log lines of the decoder's own command on a 30 fps clip whose video starts 0.5 s after its
    audio (Matroska, time base 1/1000: the first frame is pts 500)."""
    root = tmp_path_factory.mktemp("log")
    plain, late = root / "plain.mkv", root / "late.mkv"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30:duration=0.5", "-f", "lavfi",
                    "-i", "sine=d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(plain)], check=True)
    subprocess.run([ffmpeg.executable(), "-v", "error", "-itsoffset", "0.5", "-i", str(plain), "-i", str(plain), "-map", "0:v", "-map", "1:a",
                    "-c", "copy", str(late)], check=True)
    reader = FFmpegReader(VideoInfo(path=str(late), kind="video", width=64, height=48, fps=Fraction(30), frame_count=15, duration=1.0))
    stderr = subprocess.run(reader._command(str(late)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True).stderr
    return stderr.splitlines(keepends=True)


def _read(lines: list[bytes], width: int = 16, height: int = 16) -> FFmpegReader:
    """An FFmpegReader that has read `lines` from its ffmpeg's stderr (probed size width x height)."""
    reader = FFmpegReader(VideoInfo(path="x.mkv", kind="video", width=width, height=height, fps=Fraction(30), frame_count=15, duration=1.0))
    reader._process = SimpleNamespace(stderr=io.BytesIO(b"".join(lines)))
    reader._drain_stderr()
    return reader


_UNFINISHED = b"  Stream #1:1: Video: rawvideo (I420 / 0x30323449), yuv420p(progressive), 16x16, q=2-31, 76 kb/s, 25 fps, 1k tbn"


def _glue(lines: list[bytes], marker: bytes) -> list[bytes]:
    """`lines` with the first line holding `marker` printed while another thread's line was
    unfinished: glued onto it, without its prefix (the side-streams muxer's banner, as seen)."""
    at = next(i for i, line in enumerate(lines) if marker in line)
    return [*lines[:at], _UNFINISHED + _PREFIX.sub(b"", lines[at]), *lines[at + 1:]]


def test_the_log_as_printed_gives_the_file_times(decode_log):
    reader = _read(decode_log)
    assert reader.times[:3] == [Fraction(1, 2), Fraction(533, 1000), Fraction(567, 1000)] and len(reader.times) == 15
    assert reader._delivered_size() == (64, 48)


def test_a_time_base_line_glued_onto_another_threads_line_is_still_read(decode_log):
    """Seen in a full test-suite run: '  Stream #1:1: Video: rawvideo ..., 1k tbnconfig in time_base: 1/1000, ...'."""
    reader = _read(_glue(decode_log, b"config in time_base"))
    assert reader.times[0] == Fraction(1, 2)  # was 500 (s)
    assert reader.times == _read(decode_log).times


def test_a_frame_line_glued_onto_another_threads_line_is_still_counted(decode_log):
    reader = _read(_glue(decode_log, b"n:   0 pts:"))
    assert reader.times == _read(decode_log).times  # was one short: every frame took the next one's time


def test_an_output_banner_glued_after_a_showinfo_message_is_still_read(decode_log):
    """The rawvideo banner's first line, or its stream line, printed after an unfinished showinfo message."""
    for marker in (b"Output #0,", b"Stream #0:0: Video: rawvideo"):
        at = next(i for i, line in enumerate(decode_log) if marker in line)
        lines = [*decode_log[:at], b"[Parsed_showinfo_0 @ 0x7f0] User Data=7832" + decode_log[at].lstrip(), *decode_log[at + 1:]]
        assert _read(lines)._delivered_size() == (64, 48), marker  # was the probed 16x16


def test_a_lost_time_base_never_turns_a_pts_into_seconds(decode_log):
    """Without the time base line, a frame's own pts_time is used (6 significant digits), not pts x 1 s."""
    reader = _read([line for line in decode_log if b"config in time_base" not in line])
    assert reader.times[:3] == [Fraction(1, 2), Fraction(533, 1000), Fraction(567, 1000)]
