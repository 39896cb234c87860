"""`split --scenes`: each shot's sound spans exactly its frames, in every container the clips are
written in, with and without --start/--end.

The clip: three shots of 1 s at 25 fps (a test pattern, a Mandelbrot zoom, colour bars; cuts at 1 s
and 2 s) and a tone in the last 0.1 s of every shot (and before --end 2.6), silence elsewhere. A
shot's tone must run to the end of its last frame (the segment muxer cut it 40-80 ms early) and
none of the previous shot's tone may come before its first frame (Matroska and MPEG-TS shots
started with up to 57 ms of it).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sync import SAMPLE_RATE, frame_times
from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.probe import probe

TAILS = (0.9, 1.9, 2.5, 2.9)  # the tone plays 0.1 s from each
FRAME = 0.04


def _three_shots(path: Path, audio: list[str]) -> Path:
    tone = "+".join(f"between(t,{t},{t + 0.1 - 1e-6:.6f})" for t in TAILS)
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=1", "-f", "lavfi",
                    "-i", "mandelbrot=s=160x120:r=25,trim=duration=1", "-f", "lavfi", "-i", "smptebars=s=160x120:r=25:d=1", "-f", "lavfi",
                    "-i", f"aevalsrc='if({tone},0.8*sin(2*PI*1000*t),0)':s={SAMPLE_RATE}:d=3", "-filter_complex",
                    "[0:v][1:v][2:v]concat=n=3:v=1,format=yuv420p[v]", "-map", "[v]", "-map", "3:a",
                    *(["-c:v", "libvpx-vp9", "-deadline", "realtime"] if path.suffix == ".webm" else ["-c:v", "libx264", "-preset", "ultrafast"]),
                    *audio, str(path)], check=True)
    return path


def _timeline(path: Path) -> Path:
    """A stream copy into Matroska: the file's timeline read the same way for every container."""
    copy = path.with_name(path.name + ".copy.mkv")
    subprocess.run([ffmpeg.executable(), "-v", "error", "-y", "-i", str(path), "-map", "0", "-c", "copy", str(copy)], check=True)
    return copy


def _tone(path: Path) -> tuple[float, float, float, float]:
    """When the first audio stream's tone first sounds, when its last stretch starts and ends, and
    when the stream ends (seconds on the file's timeline)."""
    result = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-af", "aresample=async=1:first_pts=0",
                             "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"], capture_output=True, check=True)
    samples = np.frombuffer(result.stdout, np.float32)
    loud = np.flatnonzero(np.abs(samples) > 0.2)
    last = loud[np.flatnonzero(np.diff(loud) > SAMPLE_RATE * 0.05)[-1] + 1] if np.any(np.diff(loud) > SAMPLE_RATE * 0.05) else loud[0]
    return loud[0] / SAMPLE_RATE, last / SAMPLE_RATE, (loud[-1] + 1) / SAMPLE_RATE, len(samples) / SAMPLE_RATE


@pytest.mark.parametrize("suffix,audio,span", [(".mp4", ["-c:a", "aac"], []), (".mov", ["-c:a", "aac"], ["--start", "0.3", "--end", "2.6"]),
                                               (".mkv", ["-c:a", "aac"], []), (".mkv", ["-c:a", "libopus"], ["--start", "0.3", "--end", "2.6"]),
                                               (".ts", ["-c:a", "aac"], []), (".mp4", ["-c:a", "libmp3lame"], ["--start", "0.3"]),
                                               (".webm", ["-c:a", "libopus"], [])])
def test_each_shot_sounds_exactly_over_its_frames(tmp_path, suffix, audio, span):
    """Before: every shot's tone but the last stopped 67-73 ms before its last frame ended (the .mkv
    and .ts shots then started with the previous shot's). A .webm source's shots are .mp4 (Opus copied)."""
    source = _three_shots(tmp_path / f"three{suffix}", audio)
    result = CliRunner().invoke(app, ["split", str(source), "--scenes", "-o", str(tmp_path / "shots"), *span])
    assert result.exit_code == 0, result.output
    shots = sorted((tmp_path / "shots").iterdir())
    assert len(shots) == 3
    for n, shot in enumerate(shots):
        clip = _timeline(shot)
        frames = frame_times(clip)
        first, end = frames[0], frames[-1] + FRAME
        if n == 2 and "--end" in span:  # the last shot's sound ends at --end (2.6 s, 0.6 s after its first frame)
            end = first + 0.6
        tone, last_from, last_to, sound_end = _tone(clip)
        assert tone >= first - 0.001, f"{shot.name}: the previous shot's sound plays {first - tone:.3f} s before its picture"
        assert last_to == pytest.approx(end, abs=0.001), f"{shot.name}: its sound stops {end - last_to:.3f} s before its last frame ends"
        assert last_to - last_from == pytest.approx(0.1, abs=0.002), shot.name  # the whole tail: in sync
        assert end - 0.001 <= sound_end <= end + 0.025, shot.name  # (at most a codec frame of padding where no edit list ends it)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_each_shot_keeps_every_audio_track_with_its_tags_in_order(tmp_path, suffix):
    """The shots' audio is cut again from the source: every track stays, in the source's order before
    the subtitles, with its language, title (Matroska) and dispositions."""
    plain = _three_shots(tmp_path / f"plain{suffix}", ["-c:a", "aac"])
    cues = tmp_path / "cues.srt"
    cues.write_text("1\n00:00:00,500 --> 00:00:02,500\nHello\n", encoding="utf-8")
    source = tmp_path / f"tracks{suffix}"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(plain), "-i", str(cues), "-map", "0:v", "-map", "0:a", "-map", "0:a", "-map", "1:0",
                    "-c:v", "copy", "-c:a", "aac", "-c:s", "mov_text" if suffix == ".mp4" else "srt",
                    "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=Main", "-metadata:s:a:1", "language=fra",
                    "-metadata:s:a:1", "title=Commentary", "-metadata:s:s:0", "language=deu", "-disposition:a:0", "default",
                    "-disposition:a:1", "0", "-disposition:s:0", "0", str(source)], check=True)
    result = CliRunner().invoke(app, ["split", str(source), "--scenes", "-o", str(tmp_path / "shots")])
    assert result.exit_code == 0, result.output
    shots = sorted((tmp_path / "shots").iterdir())
    assert len(shots) == 3
    for shot in shots:
        info = probe(str(shot))
        assert info.video_stream == 0
        assert [(s.index, s.language, s.dispositions) for s in info.audio] == [(1, "eng", ["default"]), (2, "fra", [])], shot.name
        assert [(s.index, s.language) for s in info.subtitles] == [(3, "deu")], shot.name
        if suffix == ".mkv":
            assert [s.title for s in info.audio] == ["Main", "Commentary"], shot.name
