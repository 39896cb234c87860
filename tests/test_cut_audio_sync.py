"""Copied audio after a --start cut stays in sync with the first frame in every container.

A stream copy can only be cut on a packet boundary (MP3 26 ms, AC3 35 ms, PCM 23 ms at 44.1 kHz):
where the container says when each stream starts (MP4/MOV edit lists, Matroska, MPEG-TS, NUT) the
first packet keeps its own time. AVI cannot: the first copied packet played at 0, up to a packet
early (AC3 30 ms, PCM 13 ms, MP3 11 ms on this clip). There the track is re-encoded with its own
codec, cut to the sample, and one line says so.

The outputs are measured on the whole file's timeline (remuxed into Matroska): tests/sync.py's
readers map one stream, and ffmpeg times a .ts from its earliest mapped stream, which hides the
offset of a .ts video that starts after its audio.
"""

import subprocess

import pytest
from conftest import ff, invoke
from sync import beep_onsets, flash_times, make_sync_clip

from vidgen_cli.io import ffmpeg

EVENT = 1.2
START = 0.77  # between frames: the first frame is at 0.8 s (25 fps), so the event plays at 0.4 s
AT = EVENT - 0.8


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_sync_clip(tmp_path_factory.mktemp("cut") / "sync.mp4", rate=25, seconds=2.0, events=(EVENT,))


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    path = tmp_path_factory.mktemp("style") / "style.png"
    ff("-f", "lavfi", "-i", "mandelbrot=s=64x64", "-frames:v", "1", path)
    return path


def _source(clip, tmp_path, codec, suffix=".mkv"):
    source = tmp_path / f"source{suffix}"
    ff("-i", clip, "-map", "0", "-c:v", "copy", "-c:a", codec, source)
    return source


def _on_file_timeline(path):
    copy = path.with_name(path.name + ".timeline.mkv")
    ff("-i", path, "-map", "0", "-c", "copy", copy)
    return copy


def _audio_codec(path):
    text = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return text.split("Audio: ", 1)[1].split()[0].rstrip(",")


@pytest.mark.parametrize("codec,name", [("libmp3lame", "mp3"), ("ac3", "ac3"), ("pcm_s16le", "pcm_s16le")])
def test_split_start_stitch_to_avi_keeps_copied_audio_on_the_first_frame(clip, tmp_path, codec, name):
    """Was 10.8 ms (MP3), 30.1 ms (AC3), 12.7 ms (PCM) early: the copy started on the packet after the cut."""
    source = _source(clip, tmp_path, codec)
    invoke("split", source, "-o", tmp_path / "frames", "--start", START)
    result = invoke("stitch", tmp_path / "frames", "-o", tmp_path / "out.avi", "--preset", "ultrafast")
    out = tmp_path / "out.avi"
    assert flash_times(out, 1) == pytest.approx([AT], abs=0.001)
    assert beep_onsets(out)[0] == pytest.approx(AT, abs=0.002)
    assert _audio_codec(out) == name  # re-encoded with its own codec, not the container's default
    said = "re-encoding the " + name + " audio with its own codec" in result.output
    assert said == (name != "pcm_s16le"), result.output  # PCM is re-cut losslessly: nothing to say


@pytest.mark.parametrize("command", [
    ["interpolate", "--factor", "2", "--model", "blend"],
    ["predict", "--frames", "3", "--model", "copy"],
    ["stylize", "--max-side", "64"],
])
def test_model_commands_from_start_to_avi_keep_copied_audio_on_the_first_frame(clip, tmp_path, style, command):
    source = _source(clip, tmp_path, "ac3")
    out = tmp_path / "out.avi"
    extra = ["--style", style] if command[0] == "stylize" else []
    invoke(command[0], source, "-o", out, *command[1:], *extra, "--start", START, "--preset", "ultrafast")
    assert beep_onsets(out)[0] == pytest.approx(AT, abs=0.002)  # was 30 ms early


@pytest.mark.parametrize("codec,source_suffix,suffix", [
    ("aac", ".mp4", ".ts"), ("aac", ".ts", ".ts"), ("ac3", ".mkv", ".ts"), ("libmp3lame", ".mkv", ".mp4"),
    ("ac3", ".mkv", ".nut"), ("aac", ".mp4", ".mov"), ("aac", ".mp4", ".mkv"),
])
def test_copied_audio_after_a_cut_keeps_its_packet_times_where_the_container_holds_them(clip, tmp_path, codec, source_suffix, suffix):
    """Still a copy (no line), in sync on the file's timeline: a .ts's video starts after its audio's
    first packet (14 ms here for AAC from .mp4, which the one-stream readers took for early sound)."""
    source = _source(clip, tmp_path, codec, source_suffix)
    invoke("split", source, "-o", tmp_path / "frames", "--start", START)
    out = tmp_path / f"out{suffix}"
    result = invoke("stitch", tmp_path / "frames", "-o", out, "--preset", "ultrafast")
    assert "re-encoding" not in result.output
    timeline = _on_file_timeline(out)
    flash, beep = flash_times(timeline, 1)[0], beep_onsets(timeline)[0]
    assert beep - flash == pytest.approx(0.0, abs=0.002)
