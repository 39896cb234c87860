from fractions import Fraction

import pytest

from vidgen_cli.errors import InputError
from vidgen_cli.io.probe import parse_header, probe


def test_probe_reports_exact_rate_count_duration_and_audio(clips):
    info = probe(clips["audio"])
    assert info.fps == Fraction(30000, 1001)
    from conftest import decode_all

    assert info.frame_count == len(decode_all(clips["audio"])) == 60
    assert info.duration == pytest.approx(60 * 1001 / 30000, abs=1e-3)
    assert (info.width, info.height) == (96, 64)
    assert info.has_audio and info.audio[0].codec == "aac"
    assert not info.vfr


def test_probe_millisecond_timebase_still_gives_exact_rate(clips):
    info = probe(clips["webm"])
    assert info.fps == 25 and info.frame_count == 25 and not info.vfr


def test_probe_detects_variable_frame_rate(clips):
    info = probe(clips["vfr"])
    assert info.vfr
    assert info.frame_count == 45  # every 4th frame of 60 dropped


def test_probe_odd_size(clips):
    info = probe(clips["odd"])
    assert (info.width, info.height) == (63, 47)
    assert info.pix_fmt == "yuv444p"


def test_probe_rotation_swaps_decoded_size(clips, tmp_path):
    from vidgen_cli.io import ffmpeg

    rotated = tmp_path / "rotated.mp4"
    result = ffmpeg.run(["-display_rotation:v:0", "90", "-i", str(clips["plain"]), "-c", "copy", str(rotated)])
    assert result.returncode == 0, result.stderr
    info = probe(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (48, 64)
    from conftest import decode_all

    assert decode_all(rotated)[0].shape == (64, 48, 3)


def test_probe_rejects_bad_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "text.mp4"
    text.write_text("hello, not a video\n" * 20)
    with pytest.raises(InputError, match="empty"):
        probe(empty)
    with pytest.raises(InputError, match="text.mp4"):
        probe(text)
    with pytest.raises(InputError, match="no such file"):
        probe(tmp_path / "missing.mp4")


def test_probe_audio_only_file_is_refused(tmp_path):
    from vidgen_cli.io import ffmpeg

    audio = tmp_path / "tone.m4a"
    ffmpeg.run(["-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", str(audio)])
    with pytest.raises(InputError, match="no video"):
        probe(audio)


@pytest.mark.parametrize("suffix,codec", [(".m4a", "aac"), (".wav", "pcm_s16le"), (".mp3", "libmp3lame")])
def test_probe_command_describes_an_audio_only_file(tmp_path, suffix, codec):
    """`vidgen probe audio.m4a` errored ('no video stream'): it describes the audio streams."""
    import json

    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app
    from vidgen_cli.io import ffmpeg

    audio = tmp_path / f"tone{suffix}"
    ffmpeg.run(["-f", "lavfi", "-i", "sine=duration=1.5:sample_rate=48000", "-ac", "2", "-c:a", codec, str(audio)])
    result = CliRunner().invoke(app, ["probe", str(audio)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["kind"] == "audio" and abs(record["duration"] - 1.5) < 0.06
    assert len(record["audio"]) == 1 and record["audio"][0]["codec"] == codec.replace("libmp3lame", "mp3")
    assert record["audio"][0]["sample_rate"] == 48000 and record["audio"][0]["channel_layout"] == "stereo"


def test_probe_command_goes_on_past_an_unreadable_input(tmp_path, clips):
    import json

    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    result = CliRunner().invoke(app, ["probe", str(bad), str(clips["plain"])])
    assert result.exit_code == 3
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["path"] == str(bad) and "not a video" in first["error"] and second["kind"] == "video"


def test_parse_header_reads_streams_from_banner():
    banner = """Input #0, matroska,webm, from 'pipe:0':
  Duration: N/A, start: 0.000000, bitrate: N/A
  Stream #0:0: Video: h264 (High), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 29.97 fps, 29.97 tbr, 1k tbn
  Stream #0:1(eng): Audio: opus, 48000 Hz, stereo, fltp
  Stream #0:2(eng): Subtitle: subrip
Output #0, rawvideo, to 'pipe:1':
  Stream #0:0: Video: rawvideo, rgb24, 1920x1080, q=2-31, 29.97 fps
"""
    header = parse_header(banner)
    assert header.video["width"] == 1920 and header.video["fps"] == Fraction(30000, 1001)
    assert [a.codec for a in header.audio] == ["opus"]
    assert [s.codec for s in header.subtitles] == ["subrip"]


def test_probe_frames_folder_and_image(tmp_path):
    import cv2
    import numpy as np

    for i in (1, 2, 10):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((5, 7, 3), i, np.uint8))
    info = probe(tmp_path)
    assert info.kind == "images" and info.frame_count == 3 and (info.width, info.height) == (7, 5)
    assert probe(tmp_path / "2.png").kind == "image"
