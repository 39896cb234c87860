"""split and stitch through the CLI (CliRunner) and through the installed entry point."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io.manifest import read_manifest_if_any
from vidgen_cli.io.probe import probe

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_split_then_stitch_keeps_count_rate_duration_and_audio(clips, tmp_path):
    frames, out = tmp_path / "frames", tmp_path / "back.mp4"
    result = invoke("split", clips["audio"], "-o", frames, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert record["frames"] == 60 and record["output"] == str(frames)
    manifest = read_manifest_if_any(frames)
    assert len(manifest.frames) == 60 and manifest.audio_source
    assert manifest.times[1] == pytest.approx(1001 / 30000, abs=1e-4)
    assert invoke("stitch", frames, "-o", out, "--preset", "ultrafast").exit_code == 0
    source, back = probe(clips["audio"]), probe(out)
    assert back.frame_count == source.frame_count
    assert back.fps == source.fps
    assert abs(back.duration - source.duration) <= 1 / float(source.fps)
    assert back.has_audio


def test_split_formats_every_fps_and_range(clips, tmp_path):
    assert invoke("split", clips["plain"], "-o", tmp_path / "a", "--format", "jpg", "--every", "3").exit_code == 0
    assert len(list((tmp_path / "a").glob("*.jpg"))) == 8
    assert invoke("split", clips["plain"], "-o", tmp_path / "b", "--format", "webp", "--fps", "6").exit_code == 0
    assert len(list((tmp_path / "b").glob("*.webp"))) == 6
    assert invoke("split", clips["plain"], "-o", tmp_path / "c", "--start", "0.5", "--end", "00:00:00.750").exit_code == 0
    manifest = read_manifest_if_any(tmp_path / "c")
    assert len(manifest.frames) == 6 and manifest.times[0] == pytest.approx(0.5)


def test_split_start_offsets_audio_on_stitch(clips, tmp_path):
    assert invoke("split", clips["audio"], "-o", tmp_path / "f", "--start", "1").exit_code == 0
    assert invoke("stitch", tmp_path / "f", "-o", tmp_path / "v.mp4", "--preset", "ultrafast").exit_code == 0
    info = probe(tmp_path / "v.mp4")
    assert info.has_audio and info.frame_count == 30


def test_split_scenes_reports_cut_and_writes_clips(clips, tmp_path):
    result = invoke("split", clips["cut"], "-o", tmp_path / "shots", "--scenes", "--json", "--preset", "ultrafast")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert record["cuts"] == [pytest.approx(1.0, abs=0.05)]
    shots = sorted((tmp_path / "shots").iterdir())
    assert [s.name for s in shots] == ["cut-shot001.mp4", "cut-shot002.mp4"]
    assert probe(shots[0]).frame_count == 24 and probe(shots[1]).frame_count == 24


@pytest.mark.parametrize("extra", [["--preset", "ultrafast"], ["--format", "png"]], ids=["clips", "frames"])
def test_split_scenes_honours_start_and_end(clips, tmp_path, extra):
    """The cut clip (2 s, a cut at 1.0 s): --end 0.8 lists no cut and writes one shot of the
    first 0.8 s (it listed the cut past the end, and clips ignored --start/--end); --start 0.5
    --end 1.5 keeps the cut, and the second shot starts on it."""
    before = invoke("split", clips["cut"], "-o", tmp_path / "a", "--scenes", "--end", "0.8", "--json", *extra)
    assert json.loads(before.stdout.splitlines()[0])["cuts"] == [] and "no shot cut" in before.stderr
    shots = sorted((tmp_path / "a").iterdir())
    assert len(shots) == 1
    count = len(read_manifest_if_any(shots[0]).frames) if shots[0].is_dir() else probe(shots[0]).frame_count
    assert abs(count - round(0.8 * 24)) <= 1
    around = invoke("split", clips["cut"], "-o", tmp_path / "b", "--scenes", "--start", "0.5", "--end", "1.5", "--json", *extra)
    assert json.loads(around.stdout.splitlines()[0])["cuts"] == [pytest.approx(1.0, abs=0.05)]
    shots = sorted((tmp_path / "b").iterdir())
    counts = [len(read_manifest_if_any(s).frames) if s.is_dir() else probe(s).frame_count for s in shots]
    assert len(shots) == 2 and all(abs(c - 12) <= 1 for c in counts), counts


@pytest.mark.parametrize("extra", [["--preset", "ultrafast"], ["--format", "png"]], ids=["clips", "frames"])
@pytest.mark.parametrize("span", [["--start", "0.8"], ["--start", "0.8", "--end", "1.5"], ["--start", "0.9"]])
def test_split_scenes_keeps_a_cut_just_after_start(clips, tmp_path, extra, span):
    """A real cut fewer than min_scene_len (8) frames after --start is a cut: the range's first
    frame is not a shot boundary (the cut at 1.0 s was dropped, one shot straddled it)."""
    result = invoke("split", clips["cut"], "-o", tmp_path / "s", "--scenes", "--json", *span, *extra)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["cuts"] == [pytest.approx(1.0, abs=0.05)]
    shots = sorted((tmp_path / "s").iterdir())
    counts = [len(read_manifest_if_any(s).frames) if s.is_dir() else probe(s).frame_count for s in shots]
    first = round((1.0 - float(span[1])) * 24)  # 5 (or 2) frames of the first shot
    assert len(shots) == 2 and abs(counts[0] - first) <= 1, counts


def test_split_scenes_into_frame_folders(clips, tmp_path):
    assert invoke("split", clips["cut"], "-o", tmp_path / "s", "--scenes", "--format", "png").exit_code == 0
    folders = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert folders == ["cut-shot001", "cut-shot002"]  # named as the clips are, without their suffix
    assert len(read_manifest_if_any(tmp_path / "s" / "cut-shot002").frames) == 24
    invoke("split", clips["cut"], "-o", tmp_path / "c", "--scenes", "--preset", "ultrafast")
    assert sorted(p.stem for p in (tmp_path / "c").iterdir()) == folders


def test_outputs_are_never_clobbered_without_overwrite(clips, tmp_path):
    out = tmp_path / "f"
    assert invoke("split", clips["plain"], "-o", out).exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    result = invoke("split", clips["plain"], "-o", out, "--every", "2")
    assert result.exit_code != 0 and "--overwrite" in result.output
    assert sorted(p.name for p in out.iterdir()) == before
    assert invoke("split", clips["plain"], "-o", out, "--every", "2", "--overwrite").exit_code == 0
    assert len(list(out.glob("*.png"))) == 12
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_stitch_needs_fps_without_manifest(tmp_path, clips):
    invoke("split", clips["plain"], "-o", tmp_path / "f")
    (tmp_path / "f" / "manifest.json").unlink()
    result = invoke("stitch", tmp_path / "f", "-o", tmp_path / "o.mp4")
    assert result.exit_code != 0 and "--fps" in result.output
    assert invoke("stitch", tmp_path / "f", "-o", tmp_path / "o.mp4", "--fps", "12", "--preset", "ultrafast").exit_code == 0
    assert probe(tmp_path / "o.mp4").duration == pytest.approx(2.0, abs=0.09)


def test_stitch_unnumbered_frames_in_natural_order(tmp_path):
    import cv2
    import numpy as np

    folder = tmp_path / "f"
    folder.mkdir()
    for i in (1, 2, 10):
        cv2.imwrite(str(folder / f"img{i}.png"), np.full((16, 16, 3), i * 20, np.uint8))
    assert invoke("stitch", folder, "-o", tmp_path / "o.mkv", "--fps", "5", "--codec", "ffv1").exit_code == 0
    from conftest import decode_all

    values = [int(f[8, 8, 0]) for f in decode_all(tmp_path / "o.mkv")]
    assert values == [20, 40, 200]


def test_bad_input_gets_one_line_error_and_nonzero_exit(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    result = invoke("split", bad, "-o", tmp_path / "out")
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_installed_entry_point_round_trip(clips, tmp_path):
    exe = shutil.which("vidgen", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the vidgen console script is not installed next to this Python"
    subprocess.run([exe, "split", str(clips["plain"]), "-o", str(tmp_path / "f"), "-q"], check=True)
    subprocess.run([exe, "stitch", str(tmp_path / "f"), "-o", str(tmp_path / "o.mp4"), "-q"], check=True)
    assert probe(tmp_path / "o.mp4").frame_count == 24
    help_run = subprocess.run([sys.executable, "-c",
                               "import sys, runpy; sys.argv=['vidgen','--help']\n"
                               "try: runpy.run_module('vidgen_cli', run_name='__main__')\n"
                               "except SystemExit: pass\n"
                               "print('torch' in sys.modules)"], capture_output=True, text=True, check=True)
    assert help_run.stdout.strip().endswith("False"), "vidgen --help imported torch"


def test_stdin_and_stdout_pipes(clips, tmp_path):
    exe = shutil.which("vidgen", path=str(__import__("pathlib").Path(sys.executable).parent))
    from vidgen_cli.io import ffmpeg

    feed = subprocess.Popen([ffmpeg.executable(), "-v", "error", "-i", str(clips["plain"]), "-f", "nut", "-"], stdout=subprocess.PIPE)
    subprocess.run([exe, "split", "-", "-o", str(tmp_path / "f"), "-q"], stdin=feed.stdout, check=True)
    feed.wait()
    assert len(read_manifest_if_any(tmp_path / "f").frames) == 24
    piped = subprocess.run([exe, "stitch", str(tmp_path / "f"), "-o", "-", "--format", "nut", "-q"], capture_output=True, check=True)
    (tmp_path / "o.nut").write_bytes(piped.stdout)
    assert probe(tmp_path / "o.nut").frame_count == 24


def test_stitch_takes_audio_from_another_file_or_drops_it(clips, tmp_path):
    frames = tmp_path / "f"
    assert invoke("split", clips["plain"], "-o", frames).exit_code == 0
    assert invoke("stitch", frames, "-o", tmp_path / "a.mp4", "--audio", clips["audio"], "--preset", "ultrafast").exit_code == 0
    assert probe(tmp_path / "a.mp4").has_audio
    frames_audio = tmp_path / "fa"
    assert invoke("split", clips["audio"], "-o", frames_audio).exit_code == 0
    assert invoke("stitch", frames_audio, "-o", tmp_path / "n.mp4", "--no-audio", "--preset", "ultrafast").exit_code == 0
    assert not probe(tmp_path / "n.mp4").has_audio


def test_stitch_with_another_fps_warns_that_the_source_audio_no_longer_lines_up(tmp_path):
    """--fps replays the frames faster or slower; the source's audio keeps its speed: never silent."""
    from typer.testing import CliRunner

    from conftest import make_clip
    from vidgen_cli.cli.app import app

    source = make_clip(tmp_path / "av.mp4", seconds=1.0, audio=True)
    runner = CliRunner()
    assert runner.invoke(app, ["split", str(source), "-o", str(tmp_path / "f") + "/"]).exit_code == 0
    faster = runner.invoke(app, ["stitch", str(tmp_path / "f"), "-o", str(tmp_path / "fast.mp4"), "--fps", "30"])
    assert faster.exit_code == 0 and "no longer lines up" in faster.output
    same = runner.invoke(app, ["stitch", str(tmp_path / "f"), "-o", str(tmp_path / "same.mp4"), "--fps", "24"])
    assert same.exit_code == 0 and "no longer lines up" not in same.output


def test_stitch_fps_says_subtitles_are_not_retimed(tmp_path):
    """--fps retimes the frames, not the subtitle cues: the line that names the audio names them too
    (it named only the audio, and a cue past the new end was silently lost)."""
    from conftest import ff

    (tmp_path / "s.srt").write_text("1\n00:00:00,200 --> 00:00:00,600\nfirst\n\n2\n00:00:01,200 --> 00:00:01,600\nsecond\n")
    source = tmp_path / "sub.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=2", "-f", "lavfi", "-i", "sine=d=2", "-i", tmp_path / "s.srt",
       "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt", source)
    assert invoke("split", source, "-o", tmp_path / "f").exit_code == 0
    faster = invoke("stitch", tmp_path / "f", "-o", tmp_path / "fast.mkv", "--fps", "50")
    assert faster.exit_code == 0, faster.output
    line = next(line for line in faster.stderr.splitlines() if "--fps 50" in line)
    assert "audio and subtitles no longer line up (subtitle cues are not retimed)" in line


def test_stitch_takes_an_audio_only_file(tmp_path):
    """The README's `stitch frames/ -o out.mp4 --audio music.m4a`: an audio-only file is the usual case."""
    import imageio_ffmpeg
    from typer.testing import CliRunner

    from conftest import make_clip
    from vidgen_cli.cli.app import app

    music = tmp_path / "music.m4a"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=1", str(music)], check=True)
    runner = CliRunner()
    assert runner.invoke(app, ["split", str(make_clip(tmp_path / "v.mp4")), "-o", str(tmp_path / "f") + "/"]).exit_code == 0
    result = runner.invoke(app, ["stitch", str(tmp_path / "f"), "-o", str(tmp_path / "out.mp4"), "--audio", str(music)])
    assert result.exit_code == 0, result.output
    assert probe(tmp_path / "out.mp4").audio


def test_model_command_on_a_split_folder_names_the_audio_it_does_not_carry(tmp_path):
    from typer.testing import CliRunner

    from conftest import make_clip
    from vidgen_cli.cli.app import app

    runner = CliRunner()
    source = make_clip(tmp_path / "av.mp4", seconds=0.5, audio=True)
    assert runner.invoke(app, ["split", str(source), "-o", str(tmp_path / "f") + "/"]).exit_code == 0
    result = runner.invoke(app, ["interpolate", str(tmp_path / "f"), "-o", str(tmp_path / "x2.mp4"), "--factor", "2"])
    assert result.exit_code == 0 and "is not carried from a frames folder" in result.output


def test_frames_from_stdin_say_the_audio_they_do_not_keep(tmp_path):
    """A frames folder names a file to take its audio from; a pipe is none, so the tracks it
    carries are named in one line (split and the model commands alike), never dropped silently."""
    from conftest import ff

    from vidgen_cli.io import ffmpeg

    clip = tmp_path / "two.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=12:d=0.5", "-f", "lavfi", "-i", "sine=d=0.5", "-f", "lavfi", "-i", "sine=f=880:d=0.5",
       "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", clip)
    exe = shutil.which("vidgen", path=str(__import__("pathlib").Path(sys.executable).parent))
    for command in (["split", "-", "-o", str(tmp_path / "s")],
                    ["interpolate", "-", "-o", f"{tmp_path / 'i'}/", "--factor", "2", "--model", "blend"]):
        feed = subprocess.Popen([ffmpeg.executable(), "-v", "error", "-i", str(clip), "-map", "0", "-c", "copy", "-f", "matroska", "-"],
                                stdout=subprocess.PIPE)
        run = subprocess.run([exe, *command], stdin=feed.stdout, capture_output=True, text=True, check=True)
        feed.wait()
        warnings = [line for line in run.stderr.splitlines() if "warning" in line]
        assert len(warnings) == 1 and "stdin: 2 audio track(s) not kept" in warnings[0], run.stderr


@pytest.mark.parametrize("name,extra", [("out.mp4", []), ("x.mpg", []), ("f.png", []), ("shots.mkv", ["--scenes"])])
def test_split_refuses_an_output_named_like_a_file(clips, tmp_path, name, extra):
    """split writes a folder: -o out.mp4 used to become a folder called out.mp4."""
    result = invoke("split", clips["plain"], "-o", tmp_path / name, *extra)
    assert result.exit_code == 2 and "split writes a folder" in result.output and f"-o {tmp_path / Path(name).stem}/" in result.output
    assert not (tmp_path / name).exists()
    assert invoke("split", clips["plain"], "-o", f"{tmp_path / name}/").exit_code == 0  # a trailing / names a folder on purpose
    assert (tmp_path / name / "manifest.json").is_file()


@pytest.mark.parametrize("span", [[], ["--start", "0.5", "--end", "1.5"]])
def test_split_fps_lists_at_each_tick_the_frame_that_plays_then(tmp_path, span):
    """ffmpeg's fps filter (round=near) gave a tick the last frame within half a tick, often the
    next one: at 10 fps from 25 fps the tick 0.0 s showed the frame at 0.04 s, the tick 1.0 s the
    one at 1.04 s (the flash there was lost). Each tick now shows the source frame at or before it,
    which the manifest's time then names truly; a --start between frames shows the one playing then."""
    import cv2
    import numpy as np
    from sync import make_sync_clip

    clip = make_sync_clip(tmp_path / "flash.mp4", rate=25, seconds=2.0, events=(1.0,), audio=False)
    assert invoke("split", clip, "-o", tmp_path / "all").exit_code == 0
    assert invoke("split", clip, "-o", tmp_path / "f10", "--fps", "10", *span).exit_code == 0
    every = read_manifest_if_any(tmp_path / "all")
    ticks = read_manifest_if_any(tmp_path / "f10")
    assert [round(t, 6) for t in ticks.times] == [round(k / 10, 6) for k in range(5 if span else 0, 15 if span else 20)]
    source_times = np.array(every.times)
    for name, tick in zip(ticks.frames, ticks.times):
        playing = every.frames[int(np.searchsorted(source_times, tick + 1e-6)) - 1]  # the last frame at or before the tick
        assert np.array_equal(cv2.imread(str(tmp_path / "f10" / name)), cv2.imread(str(tmp_path / "all" / playing))), (tick, playing)
    flash = ticks.frames[ticks.times.index(min(ticks.times, key=lambda t: abs(t - 1.0)))]
    assert cv2.imread(str(tmp_path / "f10" / flash)).mean() > 200  # the white frame at 1.0 s is kept
