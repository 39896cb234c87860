"""`split --scenes` clips keep the source's timeline: each shot starts where its first frame is, with
its sound in sync.

The clip: two shots (a test pattern, then a Mandelbrot zoom; the cut at 1.52 s), a white frame and
a beep together at 0.6 s and at 2.0 s, so each shot has one of each. Shots are encoded with the
default preset (B-frames), which is what moved them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sync import beep_onsets, flash_times, frame_times
from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg

EVENTS = (0.6, 2.0)
CUT = 1.52


def _two_shots(path: Path) -> Path:
    flash = "+".join(f"between(t,{t - 0.001:.3f},{t + 0.001:.3f})" for t in EVENTS)
    beep = "+".join(f"between(t,{t},{t + 0.05})" for t in EVENTS)
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=1.5", "-f", "lavfi",
                    "-i", "mandelbrot=s=160x120:r=25,trim=duration=1.5", "-f", "lavfi", "-i", f"aevalsrc='if({beep},0.8*sin(2*PI*1000*t),0)':s=44100:d=3",
                    "-filter_complex", f"[0:v][1:v]concat=n=2:v=1,drawbox=enable='{flash}':color=white:t=fill[v]", "-map", "[v]", "-map", "2:a",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)], check=True)
    return path


def _timeline(path: Path) -> Path:
    """`path` as a stream copy into Matroska: the same timeline, read the same way whatever the
    container (tests/sync.py's readers time a .ts video from its own start, not the file's)."""
    copy = path.with_name(path.name + ".copy.mkv")
    subprocess.run([ffmpeg.executable(), "-v", "error", "-y", "-i", str(path), "-map", "0", "-c", "copy", str(copy)], check=True)
    return copy


def _stored_start(path: Path, kind: str) -> float:
    """The first video ('v') or audio ('a') frame's time as stored in the file (no shift to its start)."""
    flt = "showinfo" if kind == "v" else "ashowinfo"
    text = subprocess.run([ffmpeg.executable(), "-hide_banner", "-copyts", "-i", str(path), "-map", f"0:{kind}:0", f"-{kind}f", flt, "-f", "null", "-"],
                          capture_output=True, text=True, check=True).stderr
    return float(text.split("pts_time:", 1)[1].split()[0])


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".ts"])
def test_each_shot_starts_at_its_first_frame_in_sync(tmp_path, suffix):
    """The first shot started at 0.08 s (the segment muxer shifted every stream by the B-frame
    delay); a .ts source's shots (video 23 ms after the AAC priming, off the 25 fps grid) had a
    duplicated first frame and played 17 ms out of sync."""
    source = _timeline(_two_shots(tmp_path / f"two{suffix}"))
    video_start = frame_times(source)[0]  # 0, or 0.023 for the .ts
    result = CliRunner().invoke(app, ["split", str(tmp_path / f"two{suffix}"), "--scenes", "-o", str(tmp_path / "shots")])
    assert result.exit_code == 0, result.output
    shots = sorted(p for p in (tmp_path / "shots").iterdir())
    assert len(shots) == 2
    for n, shot in enumerate(shots):
        clip = _timeline(shot)
        flash, beep = flash_times(clip, 1)[0], beep_onsets(clip)[0]
        assert flash - beep == pytest.approx(0.0, abs=0.001), shot.name
        assert flash - frame_times(clip)[0] == pytest.approx(EVENTS[n] - (CUT if n else 0), abs=0.001), shot.name  # no frame added
    assert frame_times(_timeline(shots[0]))[0] == pytest.approx(video_start, abs=0.001)
    if suffix != ".ts":  # (a .ts's stored times start at 1.4 s): the first shot's picture and sound at 0, not 0.08
        assert (_stored_start(shots[0], "v"), _stored_start(shots[0], "a")) == pytest.approx((0.0, 0.0), abs=0.001)
    if suffix == ".mp4":  # an edit list starts every shot's picture and sound at 0
        assert (_stored_start(shots[1], "v"), _stored_start(shots[1], "a")) == pytest.approx((0.0, 0.0), abs=0.001)


def _frame_count(path: Path) -> int:
    text = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                          capture_output=True, text=True, check=True).stderr
    return int(text.rsplit("frame=", 1)[1].split()[0])


@pytest.mark.parametrize("suffix,start,counts", [(".mp4", None, [43, 48]), (".ts", None, [43, 48]), (".mov", "0.5", [31, 48]),
                                                 (".ts", "0.5", [31, 48])])
def test_a_cut_between_milliseconds_starts_its_shot(tmp_path, suffix, start, counts):
    """The cut at frame 43 of 24 fps (1.791666 s): its time rounded up to 1.791667 forced the key
    frame, and the cut, onto frame 44 (mp4), or lost it (ts); a .ts read from --start 0.5 lost its
    first shot (ffmpeg's inexact MPEG-TS seek)."""
    source = tmp_path / f"d24{suffix}"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=24:d=3", "-f", "lavfi",
                    "-i", "mandelbrot=s=160x120:r=24,trim=duration=2", "-f", "lavfi", "-i", "sine=d=4", "-filter_complex",
                    "[0:v]trim=end_frame=43[a];[a][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-map", "2:a", "-shortest",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(source)], check=True)
    result = CliRunner().invoke(app, ["split", str(source), "--scenes", "-o", str(tmp_path / "shots"), *(["--start", start] if start else [])])
    assert result.exit_code == 0, result.output
    assert [_frame_count(p) for p in sorted((tmp_path / "shots").iterdir())] == counts
