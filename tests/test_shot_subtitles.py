"""split --scenes cuts text subtitles with the picture: a cue that spans a cut plays in both shots,
each from its own start, and ends at the cut in the first."""

import re
import subprocess

import pytest
from conftest import ff, invoke
from sync import frame_times

from vidgen_cli.io.subtitle_cues import clip_cues
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.probe import probe


def cues(path) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue of the first subtitle stream, in seconds from the first video frame."""
    result = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                            capture_output=True, check=True)
    first = frame_times(path)[0]

    def seconds(h, m, s, ms):
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 - first

    stamp = r"(\d+):(\d+):(\d+),(\d+)"
    return [(round(seconds(*m.groups()[:4]), 3), round(seconds(*m.groups()[4:8]), 3), m.group(9))
            for m in re.finditer(stamp + " --> " + stamp + r"\n(.*)", result.stdout.decode())]


@pytest.mark.parametrize("suffix,codec", [(".mkv", "srt"), (".mp4", "mov_text")])
def test_a_cue_across_the_cut_is_cut_with_the_picture(tmp_path, suffix, codec):
    (tmp_path / "c.srt").write_text("1\n00:00:00,500 --> 00:00:02,500\nhello\n\n")
    source = tmp_path / f"cuts{suffix}"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=1.5", "-f", "lavfi", "-i", "mandelbrot=s=160x120:r=25",
       "-i", tmp_path / "c.srt", "-filter_complex", "[1]trim=duration=1.5,setpts=PTS-STARTPTS[m];[0][m]concat=n=2:v=1[v]",
       "-map", "[v]", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:s", codec,
       "-metadata:s:s:0", "language=fra", source)
    invoke("split", source, "-o", tmp_path / "shots", "--scenes")
    first, second = sorted((tmp_path / "shots").iterdir())
    assert cues(first) == [(pytest.approx(0.5, abs=0.011), pytest.approx(1.52, abs=0.011), "hello")]  # was 2.5: past the clip's end
    assert cues(second) == [(pytest.approx(0.0, abs=0.011), pytest.approx(0.98, abs=0.011), "hello")]  # was missing
    assert [s.language for s in probe(str(second)).subtitles] == ["fra"]


def test_clip_cues_keeps_the_part_inside_the_span():
    script = "[Events]\nDialogue: 0,0:00:00.50,0:00:02.50,Default,,0,0,0,,hi, there\nDialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,later\n"
    assert clip_cues(script, 1.52, 3.0).splitlines() == ["[Events]", "Dialogue: 0,0:00:00.00,0:00:00.98,Default,,0,0,0,,hi, there"]
    assert clip_cues(script, 3.0, None).splitlines()[1] == "Dialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,later"
