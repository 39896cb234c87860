"""Streams that start at different times, in containers that time them differently: MPEG-TS (ffmpeg
times a partial read from the earliest stream it maps, not the file's start), Matroska (a seek
lands on the cluster before the cut and ffmpeg copies those audio packets), and piped output.

Each clip carries a white frame and a beep (tests/sync.py); the output must keep the source's
offset between them (or, from --start, the same offset from the first frame).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sync import beep_onsets, flash_times, frame_times, make_sync_clip
from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.probe import probe

runner = CliRunner()
INTERPOLATE = ["interpolate", "--factor", "2", "--model", "blend", "--preset", "ultrafast"]
VIDGEN = str(Path(sys.executable).with_name("vidgen"))


def invoke(*args: object) -> None:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def _remux(plain: Path, out: Path, video_offset: float = 0.0, audio_offset: float = 0.0) -> Path:
    """`plain`'s video and audio in `out`, one of them starting later by the offset (-itsoffset)."""
    video = ["-itsoffset", str(video_offset)] if video_offset else []
    audio = ["-itsoffset", str(audio_offset)] if audio_offset else []
    subprocess.run([ffmpeg.executable(), "-v", "error", *video, "-i", str(plain), *audio, "-i", str(plain), "-map", "0:v", "-map", "1:a",
                    "-c", "copy", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """White frames and beeps at 1.0 and 2.5 s of each stream's own time; 'vlate' video 0.5 s
    after the audio (flashes at 1.5, 3.0 s), 'alate' audio 0.3 s after the video (beeps at 1.3, 2.8 s)."""
    root = tmp_path_factory.mktemp("origins")
    plain = make_sync_clip(root / "plain.mkv")
    clips = {}
    for suffix in (".ts", ".mkv"):
        clips[f"vlate{suffix}"] = _remux(plain, root / f"vlate{suffix}", video_offset=0.5)
        clips[f"alate{suffix}"] = _remux(plain, root / f"alate{suffix}", audio_offset=0.3)
    return clips


def test_probe_puts_every_stream_of_a_ts_on_the_file_timeline(clips):
    """A .ts file starts at 1.4 s of PTS: the video's start and the audio's are both seconds after that."""
    info = probe(clips["vlate.ts"])
    assert info.file_start == pytest.approx(1.4, abs=0.01)
    assert info.start_time == pytest.approx(0.5, abs=0.03)
    assert info.audio[0].start_time == pytest.approx(0.0, abs=0.001)
    late_audio = probe(clips["alate.ts"])
    assert late_audio.start_time == pytest.approx(0.0, abs=0.001)
    assert late_audio.audio[0].start_time == pytest.approx(0.3, abs=0.03)


def _offset(path: Path) -> float:
    """Flash minus beep of the first event: the source's 0.5 s (video late) or -0.3 s (audio late)."""
    return flash_times(path, 1)[0] - beep_onsets(path)[0]


@pytest.mark.parametrize("name,offset", [("vlate.ts", 0.5), ("alate.ts", -0.3)])
def test_a_ts_source_keeps_its_offset_through_interpolate_and_split_stitch(clips, tmp_path, name, offset):
    out = tmp_path / "out.mp4"
    invoke(*INTERPOLATE[:1], clips[name], "-o", out, *INTERPOLATE[1:])
    assert _offset(out) == pytest.approx(offset, abs=0.03)
    invoke("split", clips[name], "-o", tmp_path / "frames")
    invoke("stitch", tmp_path / "frames", "-o", tmp_path / "back.mkv", "--preset", "ultrafast")
    assert _offset(tmp_path / "back.mkv") == pytest.approx(offset, abs=0.03)


@pytest.mark.parametrize("name", ["vlate.ts", "vlate.mkv"])
def test_a_piped_late_video_keeps_its_offset_on_stdout(clips, tmp_path, name):
    """stdin -> stdout goes through a temporary video file, remuxed with the piped audio at the end."""
    result = subprocess.run([VIDGEN, *INTERPOLATE, "-", "-o", "-", "--format", "matroska", "-q"], input=clips[name].read_bytes(),
                            capture_output=True, check=True)
    out = tmp_path / "piped.mkv"
    out.write_bytes(result.stdout)
    times = frame_times(out)
    assert times[0] == pytest.approx(0.5, abs=0.03)
    assert _offset(out) == pytest.approx(0.5, abs=0.03)
    # the frame after the last input frame is half an interval later, not on top of it (a stream's length is unknown ahead)
    assert len(times) == 180 and np.diff(times) == pytest.approx(np.full(179, 1 / 60), abs=0.0011)


@pytest.mark.parametrize("name,start,flash,beep", [("alate.mkv", 0.6, 0.4, 0.7), ("alate.ts", 0.6, 0.4, 0.7), ("alate.ts", 0.1, 0.9, 1.2),
                                                   
                                                   ("vlate.mkv", 1.2, 0.3, 1.3)])
def test_start_cuts_the_audio_where_the_first_frame_is(clips, tmp_path, name, start, flash, beep):
    """The output starts at the first selected frame, with the audio from --start: no audio before it."""
    invoke("split", clips[name], "-o", tmp_path / "part", "--start", start, "--end", 2.7)
    invoke("stitch", tmp_path / "part", "-o", tmp_path / "part.mkv", "--preset", "ultrafast")
    invoke(*INTERPOLATE[:1], clips[name], "-o", tmp_path / "model.mkv", *INTERPOLATE[1:], "--start", start, "--end", 2.7)
    for out in (tmp_path / "part.mkv", tmp_path / "model.mkv"):
        assert frame_times(out)[0] == pytest.approx(0.0, abs=0.002), out.name
        assert flash_times(out, 1) == pytest.approx([flash], abs=0.03), out.name
        assert beep_onsets(out)[0] == pytest.approx(beep, abs=0.01), out.name


def test_a_ts_video_that_starts_off_the_frame_grid_keeps_its_start_through_split_stitch(tmp_path):
    """A .ts of AAC audio starts with the encoder's priming, so its video starts 23 ms after the
    audio: off the 25 fps grid. Stitch gave the image sequence that start as -itsoffset, which
    ffmpeg rounds to the input's 1/fps time base: the video came back at 40 ms (17 ms late)."""
    source = make_sync_clip(tmp_path / "primed.ts", rate=25)
    start = probe(source).start_time
    assert 0.015 < start < 0.035 and abs(start * 25 - round(start * 25)) > 0.2  # off the grid, or the test shows nothing
    reference = tmp_path / "reference.mkv"  # the source's own timeline, as a stream copy keeps it
    subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(source), "-map", "0", "-c", "copy", str(reference)], check=True)
    invoke("split", source, "-o", tmp_path / "frames")
    for suffix in (".mkv", ".mp4", ".ts"):
        out = tmp_path / f"back{suffix}"
        invoke("stitch", tmp_path / "frames", "-o", out, "--preset", "ultrafast")
        assert probe(out).start_time == pytest.approx(start, abs=0.001), suffix
        if suffix != ".ts":  # (sync's readers time a .ts video from its own start)
            assert _offset(out) == pytest.approx(_offset(reference), abs=0.001), suffix


@pytest.mark.parametrize("audio_from", ["source", "audio-only"])
def test_stitch_audio_file_places_piped_frames_at_their_source_time(clips, tmp_path, audio_from, monkeypatch):
    """Frames split from a pipe (no audio source in the manifest) of a video 0.5 s after its audio,
    stitched with --audio: the source itself keeps the offset (flashes 1.5/3.0 s, beeps 1.0/2.5 s);
    its audio alone (starting at 0) is cut at the first frame, so each flash stays 0.5 s after its beep."""
    source = clips["vlate.mkv"]
    result = subprocess.run([VIDGEN, "split", "-", "-o", str(tmp_path / "frames"), "-q"], input=source.read_bytes(), capture_output=True)
    assert result.returncode == 0, result.stderr
    audio = source
    if audio_from == "audio-only":
        audio = tmp_path / "audio.mka"
        subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(source), "-vn", "-c:a", "copy", str(audio)], check=True)
    out = tmp_path / "out.mkv"
    reads: list[list[str]] = []  # ffmpeg runs that read the --audio file before the encode
    run = ffmpeg.run

    def counted(args, *rest, **options):
        if ffmpeg.url(audio) in args:
            reads.append(list(args))
        return run(args, *rest, **options)

    monkeypatch.setattr(ffmpeg, "run", counted)
    invoke("stitch", tmp_path / "frames", "-o", out, "--audio", audio, "-q")
    assert len(reads) == (2 if audio_from == "source" else 1), reads  # one probe (banner, packet times): was 3 and 2
    flashes, beeps = flash_times(out), beep_onsets(out)
    assert np.allclose(np.subtract(flashes, beeps), 0.5, atol=0.04), (flashes, beeps)
    if audio_from == "source":
        assert np.allclose(flashes, [1.5, 3.0], atol=0.04), flashes


def test_stitch_audio_without_manifest_says_where_the_audio_starts(clips, tmp_path):
    """Frames with no manifest.json have no source timeline: --audio starts with the first frame, said in one line."""
    frames = tmp_path / "frames"
    invoke("split", clips["vlate.mkv"], "-o", frames, "-q")
    (frames / "manifest.json").unlink()
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / "out.mkv"), "--fps", "30", "--audio", str(clips["vlate.mkv"])])
    assert result.exit_code == 0, result.output
    assert "no manifest.json says where the frames lie" in result.output


@pytest.mark.parametrize("pipe_format", ["nut", "matroska", "mpegts"])
def test_a_piped_mp4_remux_puts_the_frames_on_the_source_timeline_whatever_the_container(tmp_path, pipe_format):
    """`ffmpeg -i sync.mp4 -c copy -f nut - | vidgen split -`: NUT cannot mark the AAC priming to be
    skipped, so ffmpeg counted the pipe from it and the manifest started at 0.021 s (Matroska and
    MPEG-TS pipes: 0.0); `stitch --audio sync.mp4` then put each beep 19 ms before its flash and
    `eval sync.mp4 frames/` refused. The frames start where the sound's content does."""
    source = make_sync_clip(tmp_path / "sync.mp4")
    piped = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(source), "-map", "0", "-c", "copy", "-f", pipe_format, "-"],
                           capture_output=True, check=True).stdout
    result = subprocess.run([VIDGEN, "split", "-", "-o", str(tmp_path / "frames"), "-q"], input=piped, capture_output=True)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "frames" / "manifest.json").read_text())
    assert manifest["start"] == pytest.approx(0.0, abs=0.001)
    out = tmp_path / "out.mp4"
    invoke("stitch", tmp_path / "frames", "-o", out, "--audio", source, "-q")
    assert np.allclose(np.subtract(beep_onsets(out), flash_times(out)), 0.0, atol=0.006), (beep_onsets(out), flash_times(out))
    invoke("eval", source, tmp_path / "frames", "--no-vmaf")
