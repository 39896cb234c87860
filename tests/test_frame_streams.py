"""Frames, streams and metadata a frames folder carries back into a video: only the frames the
manifest lists, the source's HDR mastering metadata, its display aspect, chapters and titles, a
source file that has changed since split, and opaque frames from a GIF.

Each fault was found by a new user's pass (faults 1-7 of helper newuserB's report); the clips are
synthesized with the bundled ffmpeg and the values read back with ffmpeg itself.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import ff, invoke
from sync import frame_times, make_sync_clip


@pytest.fixture(scope="module")
def sync_clip(tmp_path_factory):
    """A 30 fps, 3 s clip with audio: white frames and beeps at 1.0 and 2.5 s."""
    return make_sync_clip(tmp_path_factory.mktemp("sync") / "sync.mp4")


# --- 1. only the listed frames, with or without audio ------------------------------------------------


@pytest.mark.parametrize("with_audio", [True, False])
def test_numbered_images_after_the_listed_frames_are_not_frames(sync_clip, tmp_path, with_audio):
    """ffmpeg's image2 reads numbered files until one is missing: three copies of a flash frame saved
    as 000091-000093.png after split's 90 frames became frames 91-93 when audio was carried."""
    frames = tmp_path / "f"
    invoke("split", sync_clip, "-o", frames)
    for number in (91, 92, 93):
        shutil.copy(frames / "000031.png", frames / f"{number:06d}.png")  # 000031: the flash at 1.0 s
    back = tmp_path / "back.mp4"
    result = invoke("stitch", frames, "-o", back, "--preset", "ultrafast", *([] if with_audio else ["--no-audio"]))
    assert "ignoring 3 image(s) not listed" in result.output
    times = frame_times(back)
    assert len(times) == 90 and times[-1] < 2.99  # no frame at 3.00-3.07 s
