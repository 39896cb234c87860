"""--start/--end cut text subtitles with the picture, on every command: a cue that spans the start
begins at 0 and one that spans the end stops there, and the picture still starts at 0 (ffmpeg
kept the cue before the cut with a negative time, so Matroska shifted every stream by it)."""

import re
import subprocess

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
