"""--start/--end cut text subtitles with the picture, on every command: a cue that spans the start
begins at 0 and one that spans the end stops there, and the picture still starts at 0 (ffmpeg
kept the cue before the cut with a negative time, so Matroska shifted every stream by it)."""

import re
import struct
import subprocess
from fractions import Fraction

import pytest
from conftest import ff, invoke
from sync import frame_times

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.formats import CONTAINERS
from vidgen_cli.io.media import StreamInfo
from vidgen_cli.io.media_source import CUE_FROM_CUT, MediaSource, media_args


def cues(path) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue of the first subtitle stream, seconds on the file's timeline."""
    result = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                            capture_output=True, check=True)

    def seconds(h, m, s, ms):
        return round(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000, 3)

    stamp = r"(\d+):(\d+):(\d+),(\d+)"
    return [(seconds(*m.groups()[:4]), seconds(*m.groups()[4:8]), m.group(9))
            for m in re.finditer(stamp + " --> " + stamp + r"\n(.*)", result.stdout.decode())]


@pytest.fixture(scope="module")
def subtitled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("range-subs")
    (folder / "s.srt").write_text("1\n00:00:00,500 --> 00:00:01,500\nHello\n\n2\n00:00:01,800 --> 00:00:02,600\nBye\n\n")
    source = folder / "sub.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=3", "-f", "lavfi", "-i", "sine=d=3", "-i", folder / "s.srt",
       "-map", "0:v", "-map", "1:a", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
       "-c:a", "aac", "-c:s", "srt", source)
    return source


EXPECTED = [(0.0, 0.5, "Hello"), (0.8, 1.0, "Bye")]  # the range 1-2 s: Hello 0.5-1.5, Bye 1.8-2.6


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_a_model_command_cuts_the_cues_with_the_range(subtitled, tmp_path, suffix):
    out = tmp_path / f"cut{suffix}"
    invoke("interpolate", subtitled, "-o", out, "--start", "1", "--end", "2")
    assert frame_times(out)[0] == pytest.approx(0.0, abs=1e-3)  # was 0.5 in .mkv: shifted by the cue before the cut
    assert cues(out) == [(pytest.approx(a, abs=0.011), pytest.approx(b, abs=0.011), text) for a, b, text in EXPECTED]


def test_split_then_stitch_cuts_the_cues_with_the_range(subtitled, tmp_path):
    invoke("split", subtitled, "-o", tmp_path / "f", "--start", "1", "--end", "2")
    out = tmp_path / "o.mkv"
    invoke("stitch", tmp_path / "f", "-o", out)
    assert frame_times(out)[0] == pytest.approx(0.0, abs=1e-3)
    assert cues(out) == [(pytest.approx(a, abs=0.011), pytest.approx(b, abs=0.011), text) for a, b, text in EXPECTED]


def test_image_subtitles_of_a_range_are_kept_whole_from_0_and_named():
    pgs = StreamInfo(3, "subtitle", "hdmv_pgs_subtitle")
    said = []
    _, maps = media_args(MediaSource("a.mkv", subtitles=[pgs], start=1.0, duration=1.0), CONTAINERS["matroska"], 1, said.append)
    assert maps[maps.index("-bsf:s:0") + 1] == CUE_FROM_CUT
    assert len(said) == 1 and "hdmv_pgs_subtitle" in said[0] and "kept whole" in said[0]
    said.clear()
    _, whole = media_args(MediaSource("a.mkv", subtitles=[pgs]), CONTAINERS["matroska"], 1, said.append)
    assert "-bsf:s:0" not in whole and not said


def _pgs(path, cues: list[tuple[float, float]]) -> None:
    """A PGS (.sup) file: a 16x8 white box shown from each cue's start, cleared at its end."""
    def segment(kind, pts, data):
        return b"PG" + struct.pack(">IIBH", round(pts * 90000), 0, kind, len(data)) + data

    out, number = b"", 0
    for start, end in cues:
        rle = (bytes([1]) * 16 + b"\x00\x00") * 8
        window = segment(0x17, start, struct.pack(">BBHHHH", 1, 0, 8, 8, 16, 8))
        out += segment(0x16, start, struct.pack(">HHBHBBBBHBBHH", 64, 48, 0x10, number, 0x80, 0, 0, 1, 0, 0, 0, 8, 8)) + window
        out += segment(0x14, start, bytes([0, 0, 1, 235, 128, 128, 255]))
        out += segment(0x15, start, struct.pack(">HBB", 0, 0, 0xC0) + (len(rle) + 4).to_bytes(3, "big") + struct.pack(">HH", 16, 8) + rle)
        out += segment(0x80, start, b"")
        out += segment(0x16, end, struct.pack(">HHBHBBBB", 64, 48, 0x10, number + 1, 0, 0, 0, 0))
        out += segment(0x17, end, struct.pack(">BBHHHH", 1, 0, 8, 8, 16, 8)) + segment(0x80, end, b"")
        number += 2
    path.write_bytes(out)


@pytest.fixture(scope="module")
def pgs_source(tmp_path_factory):
    """3 s at 25 fps with sound and PGS cues at 0.5-1.5 and 1.8-2.6 s."""
    folder = tmp_path_factory.mktemp("pgs")
    _pgs(folder / "s.sup", [(0.5, 1.5), (1.8, 2.6)])
    source = folder / "pgs.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=3", "-f", "lavfi", "-i", "sine=d=3", "-itsoffset", "0.5", "-i", folder / "s.sup",
       "-map", "0:v", "-map", "1:a", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "copy", source)
    return source


def _packet_times(path) -> list[int]:
    """The first subtitle stream's packet times, ms on the file's timeline."""
    packets = subprocess.run([ffmpeg.executable(), "-v", "error", "-copyts", "-i", str(path), "-map", "0:s", "-c", "copy",
                              "-f", "framecrc", "-"], capture_output=True, text=True, check=True).stdout
    return [int(line.split(",")[2]) for line in packets.splitlines() if line.startswith("0,")]


@pytest.mark.parametrize("command", ["interpolate", "split --scenes"])
def test_image_subtitles_of_a_range_start_at_0_whole_and_are_named(pgs_source, tmp_path, command):
    if command == "interpolate":
        out = tmp_path / "cut.mkv"
        result = invoke("interpolate", pgs_source, "-o", out, "--start", "1", "--end", "2", "--model", "blend")
    else:
        result = invoke("split", pgs_source, "-o", tmp_path / "shots", "--scenes", "--start", "1", "--end", "2")
        (out,) = sorted((tmp_path / "shots").iterdir())
    assert "image subtitles (hdmv_pgs_subtitle) cannot be cut" in result.output
    assert frame_times(out)[0] == pytest.approx(0.0, abs=1e-3)  # was 0.5 (split: 1.0): shifted by packets before the cut
    assert audio_start(out) < 0.05  # the sound starts with the picture (split kept it from 1 s before the cut)
    assert _packet_times(out) == [0, 500, 800]  # the cue from before the cut at 0, its clear at 0.5, the next cue at 0.8


def audio_start(path) -> float:
    """When the first audio stream starts, seconds on the file's timeline."""
    text = subprocess.run([ffmpeg.executable(), "-hide_banner", "-copyts", "-i", str(path), "-map", "0:a:0", "-c", "copy",
                           "-f", "framecrc", "-"], capture_output=True, text=True, check=True).stdout
    base = next(Fraction(line.split(":", 1)[1].strip()) for line in text.splitlines() if line.startswith("#tb 0"))
    return float(next(int(line.split(",")[2]) for line in text.splitlines() if line.startswith("0,")) * base)
