"""A cut (--start/--end) keeps the chapters that play in it, cut to it: ffmpeg moved them with the
cut but kept those outside it, so the last chapter ran past the picture and the container's
duration said 2.00 s for 1.52 s of frames."""

import re

import pytest
from conftest import ff, invoke

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.chapters import clip_chapters

_META = ";FFMETADATA1\n" + "".join(f"[CHAPTER]\nTIMEBASE=1/1000\nSTART={k * 1000}\nEND={(k + 1) * 1000}\ntitle={name}\n"
                                   for k, name in enumerate(("one", "two", "three", "four")))


def _chapters(path) -> list[tuple[float, float, str]]:
    text = ffmpeg.run(["-i", str(path)]).stderr.decode()
    return [(float(a), float(b), t) for a, b, t in re.findall(r"Chapter #\d+:\d+: start ([\d.]+), end ([\d.]+)\s+Metadata:\s+title\s*: (\S+)", text)]


def _duration(path) -> float:
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", ffmpeg.run(["-i", str(path)]).stderr.decode()).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_clip_chapters_drops_those_outside_and_cuts_the_ends():
    kept = clip_chapters(_META, 1.0, 2.5)
    assert [re.findall(r"(START|END)=(\d+)", c) for c in kept] == [[("START", "0"), ("END", "1000000")],
                                                                   [("START", "1000000"), ("END", "1500000")]]
    assert ["title=two" in kept[0], "title=three" in kept[1]] == [True, True]
    assert len(clip_chapters(_META, 1.5, None)) == 3  # no end: the rest, the first cut at the start


@pytest.fixture(scope="module")
def chaptered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chapters")
    (folder / "ch.txt").write_text(_META)
    source = folder / "ch.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=4", "-f", "lavfi", "-i", "sine=d=4", "-i", folder / "ch.txt", "-map", "0",
       "-map", "1", "-map_chapters", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", source)
    return source


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_cut_keeps_the_chapters_in_its_range_and_its_duration(chaptered, tmp_path, suffix):
    invoke("split", chaptered, "-o", tmp_path / "frames", "--start", "1", "--end", "2.5")
    out = tmp_path / f"cut{suffix}"
    invoke("stitch", tmp_path / "frames", "-o", out)
    assert _chapters(out) == [(0.0, 1.0, "two"), (1.0, pytest.approx(1.52, abs=0.001), "three")]
    assert _duration(out) == pytest.approx(1.52, abs=0.04)  # was 2.00: the last chapter's end
    x2 = tmp_path / f"x2{suffix}"
    invoke("interpolate", chaptered, "-o", x2, "--start", "1", "--end", "2.5", "--factor", "2", "--model", "blend")
    assert [title for _, _, title in _chapters(x2)] == ["two", "three"] and _chapters(x2)[-1][1] <= 1.55
