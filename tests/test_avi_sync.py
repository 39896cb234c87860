"""AVI has no edit lists: B-frame reorder delay and an audio encoder's priming would start the
picture or the sound late. Every writer to .avi keeps them on the source's timeline, and says in
one line what AVI cannot keep (stream languages)."""

import pytest
from conftest import ff, invoke
from sync import beep_onsets, flash_times, make_sync_clip

EVENTS = (1.0,)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_sync_clip(tmp_path_factory.mktemp("avi") / "sync.mp4", rate=25, seconds=2.0, events=EVENTS)


def test_split_stitch_to_avi_keeps_picture_and_sound_on_time(clip, tmp_path):
    invoke("split", clip, "-o", tmp_path / "frames")
    invoke("stitch", tmp_path / "frames", "-o", tmp_path / "out.avi")
    assert flash_times(tmp_path / "out.avi", 1) == pytest.approx(list(EVENTS), abs=0.005)  # was 1.08: B-frame delay
    assert beep_onsets(tmp_path / "out.avi") == pytest.approx(list(EVENTS), abs=0.004)  # was 1.023: MP3 priming


def test_interpolate_to_avi_keeps_picture_and_sound_on_time(clip, tmp_path):
    out = tmp_path / "x2.avi"
    invoke("interpolate", clip, "-o", out, "--factor", "2", "--model", "blend")
    assert flash_times(out, 1) == pytest.approx(list(EVENTS), abs=0.021)  # a blended neighbour may be as bright
    assert beep_onsets(out) == pytest.approx(list(EVENTS), abs=0.004)


def test_avi_names_the_audio_languages_it_drops(clip, tmp_path):
    source = tmp_path / "two.mkv"
    ff("-i", clip, "-i", clip, "-map", "0:v", "-map", "0:a", "-map", "1:a", "-c", "copy",
       "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra", source)
    invoke("split", source, "-o", tmp_path / "frames")
    result = invoke("stitch", tmp_path / "frames", "-o", tmp_path / "out.avi")
    assert "avi cannot store the language tag(s) eng, fra" in result.output


@pytest.mark.parametrize("codec,late", [("libmp3lame", 0.002), ("ac3", 0.007)])
def test_copied_audio_into_avi_drops_its_priming_to_the_nearest_packet(clip, tmp_path, codec, late):
    """MP3 and AC3 are copied into AVI, which cannot say to skip their priming: an MP3 track's
    sound started 25 ms late. A packet that lies mostly in the priming is dropped (MP3: 1105 of
    1152 samples, now 1 ms early); AC3's 256 samples are under half a packet and stay (6 ms)."""
    source = tmp_path / "source.mkv"
    ff("-i", clip, "-map", "0", "-c:v", "copy", "-c:a", codec, source)
    assert beep_onsets(source) == pytest.approx(list(EVENTS), abs=0.001)  # the source plays on time (it skips the priming)
    invoke("split", source, "-o", tmp_path / "frames")
    for out, command in ((tmp_path / "stitched.avi", ["stitch", tmp_path / "frames"]), (tmp_path / "x2.avi", ["interpolate", source])):
        result = invoke(*command, "-o", out, *(["--factor", "2", "--model", "blend"] if command[0] == "interpolate" else []))
        assert "re-encoding" not in result.output  # copied, as AVI holds the codec
        assert beep_onsets(out)[0] - EVENTS[0] == pytest.approx(0.0, abs=late), out.name


@pytest.mark.parametrize("codec,suffix", [("aac", ".mkv"), ("libmp3lame", ".mkv"), ("aac", ".ts")])
def test_late_audio_tracks_keep_their_offset_in_avi(clip, tmp_path, codec, suffix):
    """AVI plays every track from the file's start: audio that starts 0.5 s (and a second track
    0.3 s) after the picture played that much early (beep 465 ms before the flash). Each late track
    is padded with silence (a copied MP3 re-encoded for it, with one line), by every AVI writer."""
    source = tmp_path / f"late{suffix}"
    ff("-i", clip, "-itsoffset", "0.5", "-i", clip, "-itsoffset", "0.3", "-i", clip, "-map", "0:v", "-map", "1:a", "-map", "2:a",
       "-c:v", "copy", "-c:a", codec, source)
    invoke("split", source, "-o", tmp_path / "frames")
    for out, command in ((tmp_path / "stitched.avi", ["stitch", tmp_path / "frames"]), (tmp_path / "x2.avi", ["interpolate", source])):
        result = invoke(*command, "-o", out, *(["--factor", "2", "--model", "blend"] if command[0] == "interpolate" else []))
        assert ("padded with silence" in result.output) == (codec == "libmp3lame"), result.output  # only a copy changes
        assert beep_onsets(out)[0] - flash_times(out, 1)[0] == pytest.approx(0.5, abs=0.006), out.name
        second = tmp_path / f"{out.stem}-a1.wav"
        ff("-i", out, "-map", "0:a:1", "-af", "aresample=async=1:first_pts=0", second)
        assert beep_onsets(second)[0] - EVENTS[0] == pytest.approx(0.3, abs=0.006), out.name
