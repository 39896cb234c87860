"""A file cut short whose audio cannot be read (a fragmented MP4 cut inside its first fragment,
where the audio samples follow the video's) says so in its ends-early line, and split does not
record it as the audio source."""

from conftest import ff, invoke

from vidgen_cli.io.manifest import read_manifest_if_any
from vidgen_cli.io.probe import probe

BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


def cut_fragmented(tmp_path):
    whole = tmp_path / "frag.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=2", "-f", "lavfi", "-i", "sine=f=440:d=2", "-c:v", "libx264",
       "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "frag_keyframe+empty_moov", whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    return cut


def test_unreadable_audio_of_a_cut_file_is_named(tmp_path):
    cut = cut_fragmented(tmp_path)
    info = probe(cut)
    assert info.ends_early and info.audio == [] and "could not be read" in info.ends_early
    result = invoke("interpolate", cut, "-o", tmp_path / "o.mp4", *BLEND)
    lines = [line for line in result.output.splitlines() if "ends early" in line]
    assert len(lines) == 1 and "audio" in lines[0], result.output
    invoke("split", cut, "-o", tmp_path / "f")
    assert read_manifest_if_any(tmp_path / "f").audio_source is None


def test_readable_audio_of_a_cut_file_is_kept(tmp_path):
    whole = tmp_path / "whole.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=2", "-f", "lavfi", "-i", "sine=f=440:d=2", "-c:v", "libx264",
       "-preset", "ultrafast", "-c:a", "aac", "-shortest", whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 6 // 10])
    info = probe(cut)
    assert info.ends_early and len(info.audio) == 1 and "could not be read" not in info.ends_early
    invoke("interpolate", cut, "-o", tmp_path / "o.mp4", *BLEND)
    assert len(probe(tmp_path / "o.mp4").audio) == 1
