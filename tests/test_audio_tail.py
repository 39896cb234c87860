"""Audio that outlasts the video runs at least to the end of the last frame (or to its own end):
`-frames:v` on the final mux ended the file at the last frame's start, so the sound stopped
20-40 ms early; predict on a VFR clip cut the sound at 1 / the average rate after the last kept
frame, not where that frame ends (the first predicted frame)."""

import pytest
from conftest import ff, invoke
from sync import audio_end, frame_times, make_sync_clip


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    """25 fps video to 2.48 s, sound to 2.50 s."""
    path = tmp_path_factory.mktemp("tail") / "late.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=2.48", "-f", "lavfi", "-i", "sine=f=440:d=2.5",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", path)
    return path


@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".avi"])
def test_a_model_command_keeps_the_sound_past_the_last_frame(late, tmp_path, suffix):
    out = tmp_path / f"o{suffix}"
    invoke("interpolate", late, "-o", out, "--model", "blend")
    assert frame_times(out)[-1] == pytest.approx(2.46, abs=1e-3)  # the last frame ends at 2.48
    assert audio_end(out) >= 2.5 - 0.002  # its own end (was 2.461)


def test_stitch_keeps_the_sound_to_the_end_of_the_last_frame(late, tmp_path):
    invoke("split", late, "-o", tmp_path / "f")
    out = tmp_path / "o.mkv"
    invoke("stitch", tmp_path / "f", "-o", out)
    assert audio_end(out) >= 2.48 - 0.001  # cut to the frames' 2.48 s, not at the last one's start (2.44)


def test_predict_on_a_variable_rate_clip_keeps_the_sound_of_the_last_kept_frame(tmp_path):
    clip = make_sync_clip(tmp_path / "v.mp4", vfr=True)  # the last frame at 2.9 s, 10 fps there; sound to 3.0 s
    out = tmp_path / "p.mkv"
    invoke("predict", clip, "-o", out, "-n", "3")
    assert frame_times(out)[-4:] == pytest.approx([2.9, 3.0, 3.1, 3.2], abs=1e-3)
    assert audio_end(out) >= 3.0 - 0.001  # to where the first predicted frame starts (was 2.95: 1/20.3 fps after 2.9)


def test_stitch_keeps_sound_that_outlasts_the_video_as_the_model_commands_do(tmp_path):
    """split -> stitch of a clip whose sound runs 1 s past its last frame ended the sound at the
    frames' end (1.02 s of 2.0) where interpolate keeps it all; frames cut short still cut it."""
    clip = tmp_path / "long_sound.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=1", "-f", "lavfi", "-i", "sine=d=2",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", clip)
    invoke("interpolate", clip, "-o", tmp_path / "i.mp4", "--model", "blend")
    invoke("split", clip, "-o", tmp_path / "f")
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "s.mp4")
    assert audio_end(tmp_path / "s.mp4") == pytest.approx(audio_end(tmp_path / "i.mp4"), abs=0.03)
    assert audio_end(tmp_path / "s.mp4") >= 2.0 - 0.002 and frame_times(tmp_path / "s.mp4")[-1] == pytest.approx(0.96, abs=1e-3)
    invoke("split", clip, "-o", tmp_path / "every", "--every", "2")  # the last kept frame (0.92 s) lasts to 1.0 s
    invoke("stitch", tmp_path / "every", "-o", tmp_path / "every.mp4")
    assert audio_end(tmp_path / "every.mp4") >= 2.0 - 0.002
    invoke("split", clip, "-o", tmp_path / "e", "--end", "0.5")
    invoke("stitch", tmp_path / "e", "-o", tmp_path / "e.mp4")
    assert audio_end(tmp_path / "e.mp4") == pytest.approx(0.5, abs=0.05)  # --end: the sound ends with the frames
    (tmp_path / "f" / "000025.png").unlink()  # the last frame deleted: the user trimmed the end
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "d.mp4")
    assert audio_end(tmp_path / "d.mp4") == pytest.approx(0.96, abs=0.05)  # an AAC frame is 23 ms


def test_stitch_keeps_the_sound_past_a_variable_rate_clip(tmp_path):
    """A VFR source (30 fps, then every third frame): the frames' count over the average rate
    falls short of the video's end, yet the folder holds its last frame, so the sound is kept."""
    clip = tmp_path / "vfr.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=30:d=3", "-f", "lavfi", "-i", "sine=d=4", "-vf", "select='lt(t,1.5)+not(mod(n,3))'",
       "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", clip)
    invoke("split", clip, "-o", tmp_path / "f")
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "s.mkv")
    assert audio_end(tmp_path / "s.mkv") >= 4.0 - 0.002
