"""Paths with characters that mean something to ffmpeg (%, :, quotes, brackets, spaces), and the
error line quoted from ffmpeg's output."""

import shutil

import pytest
from conftest import invoke, make_clip

from vidgen_cli.io.ffmpeg import last_error_line
from vidgen_cli.io.probe import probe

NAMES = ["speed 50%", "take:2", "it's [x] #1"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("src") / "clip.mp4", size="64x48", rate="25", seconds=1.0, audio=True)


@pytest.mark.parametrize("name", NAMES)
def test_every_command_takes_the_path(clip, tmp_path, name):
    source = tmp_path / f"{name}.mp4"
    shutil.copy(clip, source)
    assert probe(source).frame_count == 25
    frames = tmp_path / f"{name} frames"
    invoke("split", source, "-o", f"{frames}/")
    assert len(list(frames.glob("*.png"))) == 25
    invoke("stitch", frames, "-o", tmp_path / f"{name} back.mp4", "--preset", "ultrafast")
    back = probe(tmp_path / f"{name} back.mp4")
    assert back.frame_count == 25 and back.has_audio
    invoke("split", source, "-o", f"{tmp_path / (name + ' shots')}/", "--scenes", "--preset", "ultrafast")
    assert len(list((tmp_path / f"{name} shots").glob("*-shot001.mp4"))) == 1
    invoke("split", source, "-o", f"{tmp_path / (name + ' shot frames')}/", "--scenes", "--format", "png")
    assert (tmp_path / f"{name} shot frames" / f"{name}-shot001").is_dir()
    out = tmp_path / f"{name} x2.mkv"
    invoke("interpolate", source, "-o", out, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert probe(out).frame_count == 50 and probe(out).has_audio


def test_error_line_is_the_real_error():
    stderr = ("  Stream #0:0: Video: h264, yuv420p(unknown), 64x48\n"
              "    Metadata:\n      encoder         : unknown\n"
              "[Parsed_showinfo_0 @ 0x1] color_range:pc color_space:unknown color_primaries:unknown\n"
              "[mp4 @ 0x2] Invalid segment filename template 'x%.mp4'\n"
              "Error opening output files: Invalid argument\n")
    assert last_error_line(stderr) == "[mp4 @ 0x2] Invalid segment filename template 'x%.mp4'"
    assert last_error_line("[vost#0:0 @ 0x3] Unknown encoder 'libfoo'\nConversion failed!\n") == "[vost#0:0 @ 0x3] Unknown encoder 'libfoo'"


def test_avi_with_packed_b_frames_is_timed_by_its_decoded_frames(tmp_path):
    """Xvid/DivX AVI with B-frames has packets without a PTS; probe read them as -2**63 and gave a
    duration of -3.7e17 s, and every model command then failed with an ffmpeg parse error."""
    from conftest import ff

    source = tmp_path / "xvid.avi"
    ff("-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-t", "1", "-c:v", "mpeg4", "-bf", "2", "-vtag", "XVID", source)
    info = probe(source)
    assert info.frame_count == 25 and info.fps == 25 and not info.vfr
    assert abs(info.duration - 1.0) < 0.05 and 0 <= info.start_time < 0.1
    out = tmp_path / "x2.mp4"
    invoke("interpolate", source, "-o", out, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert probe(out).frame_count == 50
