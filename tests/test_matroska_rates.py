"""Matroska/WebM rates read back exactly from DefaultDuration, high NTSC rates included."""

import math
from fractions import Fraction

import pytest
from conftest import ff, invoke

from vidgen_cli.io.matroska import rate_from_nanoseconds
from vidgen_cli.io.probe import probe

_RATES = [Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120, 240)] + [
    Fraction(x) for x in (12, 24, 25, 30, 50, 60, 100, 120, 144, 240)] + [Fraction(2997, 100), Fraction(25, 2), Fraction(5994, 100)]


@pytest.mark.parametrize("rate", _RATES, ids=str)
def test_rate_from_nanoseconds_rounded_or_truncated(rate):
    nanoseconds = 10**9 / rate
    assert rate_from_nanoseconds(round(nanoseconds)) == rate
    assert rate_from_nanoseconds(math.floor(nanoseconds)) == rate


@pytest.mark.parametrize("suffix", [".mkv", ".webm"])
def test_stitch_high_ntsc_rates_probe_exact(tmp_path, suffix):
    frames = tmp_path / "frames"
    frames.mkdir()
    ff("-f", "lavfi", "-i", "testsrc2=s=32x32:r=25:d=0.24", frames / "%04d.png")
    for rate in ("120000/1001", "240000/1001", "60000/1001"):
        out = tmp_path / f"r{rate.replace('/', '_')}{suffix}"
        invoke("stitch", frames, "-o", out, "--fps", rate)
        assert probe(out).fps == Fraction(rate), rate


@pytest.mark.parametrize("rate", ["30", "30000/1001", "24000/1001", "25", "60", "179/6"])  # 179/6: 29.83, no standard rate
@pytest.mark.parametrize("source_suffix", [".mkv", ".webm"])
def test_millisecond_times_remuxed_into_a_finer_time_base_are_a_constant_rate(tmp_path, rate, source_suffix):
    """`ffmpeg -i x.mkv -c copy y.mp4` keeps Matroska's millisecond times in 1/16000 s ticks
    (528, 544, 528 for 30 fps): a 30 fps clip probed as VFR at 26697/890. Jitter within the
    times' own resolution is rounding: the rate is the declared one, in every container it lands in."""
    codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime"] if source_suffix == ".webm" else ["-c:v", "libx264", "-preset", "ultrafast"]
    source = tmp_path / f"source{source_suffix}"
    ff("-f", "lavfi", "-i", f"testsrc2=s=64x48:r={rate}:d=3", *codec, source)
    for suffix in (source_suffix, ".mp4", *((".mov", ".ts") if source_suffix == ".mkv" else (".mkv",))):  # where VP9 goes
        path = source if suffix == source_suffix else tmp_path / f"remuxed{suffix}"
        if path != source:
            ff("-i", source, "-c", "copy", path)
        info = probe(path)
        if rate == "179/6":  # in 3 s, 1 ms times cannot tell it from the 29.83 ffmpeg's .ts banner declares
            assert not info.vfr and float(info.fps) == pytest.approx(179 / 6, abs=0.005), (suffix, info.fps)
        else:
            assert (info.fps, info.vfr) == (Fraction(rate), False), suffix


def test_a_variable_rate_clip_remuxed_from_matroska_stays_variable(tmp_path):
    """Dropped frames are not rounding: the remuxed VFR clip (every fourth 30 fps frame dropped,
    and a 10 fps stretch) is still VFR at its mean rate."""
    for name, select in (("drops", "not(eq(mod(n\\,4)\\,1))"), ("stretch", "lt(t\\,1.5)+not(mod(n\\,3))")):
        source = tmp_path / f"{name}.mkv"
        ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=30:d=3", "-vf", f"select={select}", "-fps_mode", "vfr",
           "-c:v", "libx264", "-preset", "ultrafast", source)
        for path in (source, tmp_path / f"{name}.mp4"):
            if path != source:
                ff("-i", source, "-c", "copy", path)
            info = probe(path)
            assert info.vfr and abs(float(info.fps) - info.frame_count / info.duration) < 0.5, (path.name, info.fps)


def test_split_of_a_remuxed_30_fps_clip_keeps_its_rate(tmp_path):
    source = tmp_path / "x.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=30:d=2", "-c:v", "libx264", "-preset", "ultrafast", source)
    ff("-i", source, "-c", "copy", tmp_path / "y.mp4")
    result = invoke("split", tmp_path / "y.mp4", "-o", tmp_path / "frames")
    assert "60 frames at 30.000 fps" in result.output and "variable" not in result.output.lower()
    assert '"fps": "30"' in (tmp_path / "frames" / "manifest.json").read_text()


@pytest.mark.parametrize("rate,seconds", [("60000/1001", 2), ("30000/1001", 31)])
def test_a_matroska_split_stitched_into_one_rate_containers_keeps_its_ntsc_rate(tmp_path, rate, seconds):
    """A Matroska source's frame times in the manifest are whole milliseconds, up to 0.5 ms off the
    59.94 fps grid: stitch took them for a variable rate and wrote .y4m/.avi at the fastest
    stretch's 60 fps (F60:1, no line; a 31 s 29.97 clip: 30 fps, 931 frames, with a warning that
    called the source variable-rate). They are the manifest's constant rate."""
    source = tmp_path / "ntsc.mkv"
    ff("-f", "lavfi", "-i", f"testsrc2=s=32x32:r={rate}:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast", source)
    invoke("split", source, "-o", tmp_path / "frames")
    for suffix in (".y4m", ".avi"):
        out = tmp_path / f"out{suffix}"
        result = invoke("stitch", tmp_path / "frames", "-o", out)
        assert "variable" not in result.output, result.output
        info = probe(out)
        assert info.fps == Fraction(rate) and info.frame_count == probe(source).frame_count, (suffix, info.fps, info.frame_count)
