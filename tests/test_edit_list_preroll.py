"""A source trimmed with an edit list (`ffmpeg -ss 0.5 -i in.mp4 -c copy trim.mp4`) keeps audio
packets before its start that the edit list discards; a copy of that audio into MPEG-TS or NUT must
not carry them (they started the picture 0.52 s into the file, and in .ts the sound 0.52 s late)."""

import pytest
from conftest import ff, invoke
from sync import audio_end, beep_onsets, flash_times, frame_times, make_sync_clip


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trim")
    source = make_sync_clip(folder / "sync.mp4", seconds=3.0)
    ff("-i", source, "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "copy", folder / "gop.mp4")
    ff("-ss", "0.5", "-i", folder / "gop.mp4", "-c", "copy", folder / "trim.mp4")  # events now at 0.5 and 2.0
    return folder / "trim.mp4"


@pytest.mark.parametrize("suffix", [".ts", ".nut", ".mp4"])
def test_a_trimmed_sources_preroll_is_not_copied(trimmed, tmp_path, suffix):
    out = tmp_path / f"o{suffix}"
    invoke("interpolate", trimmed, "-o", out, "--model", "blend", "--preset", "ultrafast")
    flashes, beeps = flash_times(out), beep_onsets(out)
    # the picture starts at 0 (up to the one audio packet that spans 0, 23 ms, before it: NUT starts the file there)
    assert len(flashes) == 2 and all(abs(f - t) < 0.03 for f, t in zip(flashes, (0.5, 2.0))), flashes
    assert len(beeps) == 2 and all(abs(b - f) < 0.03 for b, f in zip(beeps, flashes)), (flashes, beeps)
    assert audio_end(out) < frame_times(out)[-1] + 0.1, audio_end(out)  # 2.5 s of sound, not 3.02
