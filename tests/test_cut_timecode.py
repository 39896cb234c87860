"""A cut (--start) keeps the source's SMPTE timecode for the frame it starts on: ffmpeg copied the
tag unchanged, so a clip cut from 1 s of a file at 01:00:00:00 said 01:00:00:00."""

from fractions import Fraction

import pytest
from conftest import ff, invoke

from vidgen_cli.io.timecode import read_timecodes, shifted


@pytest.mark.parametrize("code,seconds,rate,expected", [
    ("01:00:00:00", 1.0, 25, "01:00:01:00"),
    ("01:00:00:00", 1.04, 25, "01:00:01:01"),
    ("23:59:59:24", 0.04, 25, "00:00:00:00"),
    ("00:00:59;29", 1001 / 30000, Fraction(30000, 1001), "00:01:00;02"),  # drop-frame: ;00 and ;01 skipped
    ("00:09:59;29", 1001 / 30000, Fraction(30000, 1001), "00:10:00;00"),  # but not at every tenth minute
    ("01:00:00;00", 60.0, Fraction(30000, 1001), "01:00:59;29"),  # 60 s of 29.97 fps: 1798.2 frames, the cut keeps the 1799th
])
def test_a_timecode_moves_on_by_the_frames_a_cut_skips(code, seconds, rate, expected):
    assert shifted(code, seconds, rate) == expected


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timecode")
    source = folder / "tc.mov"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=2", "-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264", "-preset", "ultrafast",
       "-c:a", "aac", "-timecode", "01:00:00:00", source)
    return source


def test_split_start_then_stitch_and_a_model_command_start_at_the_cut_timecode(tagged, tmp_path):
    invoke("split", tagged, "-o", tmp_path / "frames", "--start", "1")
    for suffix in (".mov", ".mkv", ".mp4"):
        out = tmp_path / f"cut{suffix}"
        invoke("stitch", tmp_path / "frames", "-o", out)
        assert "01:00:01:00" in [code for code in read_timecodes(str(out)) if code], out.name
    out = tmp_path / "x2.mov"
    invoke("interpolate", tagged, "-o", out, "--start", "1", "--factor", "2", "--model", "blend")
    assert read_timecodes(str(out))[1] == "01:00:01:00"
    invoke("split", tagged, "-o", tmp_path / "whole")
    invoke("stitch", tmp_path / "whole", "-o", tmp_path / "whole.mov")
    assert read_timecodes(str(tmp_path / "whole.mov"))[1] == "01:00:00:00"  # no cut: as it was
