"""Real footage timing and geometry (issue 11, kinds 1-6): every command keeps the source's
timeline (variable frame rate, a late-starting video stream, edit lists, deleted frames), its
pixel aspect, and the size ffmpeg really delivers (rotation through a pipe).

Sync is measured, not assumed: the clips carry a white frame and a beep at the same instants
(tests/sync.py) and the expected values are the true ones, read back with ffmpeg itself.
"""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sync import beep_onsets, flash_times, frame_times, make_sync_clip
from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.manifest import read_manifest_if_any
from vidgen_cli.io.probe import probe

runner = CliRunner()
EVENTS = (1.0, 2.5)
SHORT = (0.5, 1.2)  # for the slower model commands: a 1.5 s clip
INTERPOLATE = ["interpolate", "--factor", "2", "--model", "blend"]
STYLIZE = ["stylize", "--model", "student", "--max-side", "64", "--consistency", "off", "--strength", "0"]
PREDICT = ["predict", "--model", "copy", "-n", "3"]


def invoke(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def run_command(command: list[str], source: Path, output: Path, *extra: object):
    name, *options = command
    return invoke(name, source, "-o", output, *options, "--preset", "ultrafast", *extra)


@pytest.fixture(scope="module")
def style(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("style") / "style.png"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "mandelbrot=s=64x64", "-frames:v", "1", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def vfr_clips(tmp_path_factory) -> dict[str, Path]:
    """The issue's phone-like clip: 30 fps for 1.5 s, then every third frame (10 fps); flash + beep at 1.0 and 2.5 s."""
    root = tmp_path_factory.mktemp("vfr")
    return {suffix: make_sync_clip(root / f"vfr{suffix}", vfr=True) for suffix in (".mp4", ".mkv", ".webm")}


def assert_in_sync(path: Path, events=EVENTS, tolerance: float = 0.02) -> None:
    flashes, beeps = flash_times(path, len(events)), beep_onsets(path)
    assert flashes == pytest.approx(list(events), abs=tolerance), f"white frames at {flashes}"
    assert beeps == pytest.approx(list(events), abs=0.005), f"beeps at {beeps}"


# --- 1. variable frame rate -------------------------------------------------------------------------


def test_probe_sees_the_variable_rate(vfr_clips):
    info = probe(vfr_clips[".mp4"])
    assert info.vfr and info.frame_count == 45 + 15
    assert info.to_json()["vfr"] is True


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
def test_interpolate_factor_puts_new_frames_at_true_mid_times(vfr_clips, tmp_path, suffix):
    source = vfr_clips[suffix]
    out = tmp_path / f"x2{suffix}"
    run_command(INTERPOLATE, source, out)
    assert_in_sync(out)
    before, after = frame_times(source), frame_times(out)
    info = probe(source)
    last_end = before[-1] + (info.duration - float(info.timestamps[-1]))  # the last frame holds for its own duration
    expected = np.empty(2 * len(before))
    expected[0::2], expected[1::2] = before, (before + np.append(before[1:], last_end)) / 2
    assert len(after) == len(expected)
    assert np.abs(after - expected).max() <= 0.002  # the container's time base rounds (ms in mkv/webm)


def test_interpolate_fps_resamples_the_true_timeline(vfr_clips, tmp_path):
    out = tmp_path / "60.mp4"
    run_command(["interpolate", "--fps", "60", "--model", "blend"], vfr_clips[".mp4"], out)
    times = frame_times(out)
    assert len(times) == 180  # 3.0 s of source at 60 fps
    assert np.abs(np.diff(times) - 1 / 60).max() < 1e-3
    assert_in_sync(out, tolerance=1 / 60 + 1e-3)


def _time_base_and_durations(path: Path) -> tuple[Fraction, set[int]]:
    """The video stream's time base and its packets' distinct durations (ticks), as ffprobe would see them."""
    text = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
                          capture_output=True, text=True, check=True).stdout
    base = next(Fraction(line.split(":", 1)[1].strip()) for line in text.splitlines() if line.startswith("#tb 0"))
    return base, {int(line.split(",")[3]) for line in text.splitlines() if line.startswith("0,")}


@pytest.mark.parametrize("rate,suffix", [("30", ".mp4"), ("30000/1001", ".mov")])
def test_constant_rate_outputs_of_a_variable_rate_input_get_the_rate_time_base(vfr_clips, tmp_path, rate, suffix):
    """--fps 30 on a VFR input wrote a microsecond time base (ffprobe: r_frame_rate 1000000/33333):
    an even grid is written at the exact rate, every frame 1/rate long in whole ticks."""
    out = tmp_path / f"even{suffix}"
    run_command(["interpolate", "--fps", rate, "--model", "blend"], vfr_clips[".mp4"], out)
    base, durations = _time_base_and_durations(out)
    assert len(durations) == 1 and durations.pop() * base == 1 / Fraction(rate), (base, durations)
    assert str(probe(out).fps) == rate


def test_motion_replay_onto_a_variable_rate_target_is_written_at_the_motion_rate(vfr_clips, tmp_path):
    """One target frame per motion frame: the output plays at the motion's rate (it kept the
    target's variable times while saying 'at 30.000 fps')."""
    steady = tmp_path / "steady.mp4"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=1", "-c:v", "libx264",
                    "-preset", "ultrafast", str(steady)], check=True)
    motion = tmp_path / "m.json"
    invoke("motion", "capture", steady, "-o", motion, "-q")
    out = tmp_path / "replayed.mp4"
    invoke("motion", "replay", "-m", motion, vfr_clips[".mp4"], "-o", out, "--preset", "ultrafast", "-q")
    info = probe(out)
    # every target frame is kept (past the 1 s motion's end at its last position), on the motion's grid
    assert not info.vfr and info.fps == 30 and info.frame_count == probe(vfr_clips[".mp4"]).frame_count
    base, durations = _time_base_and_durations(out)
    assert len(durations) == 1 and durations.pop() * base == Fraction(1, 30)


def test_stylize_and_predict_keep_each_frame_time(vfr_clips, tmp_path, style):
    source = vfr_clips[".mkv"]
    before = frame_times(source)
    stylized = tmp_path / "s.mkv"
    run_command([*STYLIZE, "--style", str(style)], source, stylized)
    assert np.abs(frame_times(stylized) - before).max() <= 0.001
    assert_in_sync(stylized)
    predicted = tmp_path / "p.mp4"
    run_command(PREDICT, source, predicted)
    after = frame_times(predicted)
    assert np.abs(after[: len(before)] - before).max() <= 0.001
    assert after[len(before):] == pytest.approx(before[-1] + 0.1 * np.arange(1, 4), abs=0.002)  # the last interval continued
    assert_in_sync(predicted)


def test_a_constant_rate_container_says_it_resamples_the_variable_rate(vfr_clips, tmp_path):
    out = tmp_path / "x2.y4m"
    result = run_command(INTERPOLATE, vfr_clips[".mp4"], out, "--no-audio")
    assert "constant frame rate" in result.output
    rate = 1 / np.diff(frame_times(out)).mean()
    assert flash_times(out) == pytest.approx(list(EVENTS), abs=1.5 / rate)  # repeated/dropped frames, not a drifting timeline


def test_split_and_stitch_keep_the_variable_rate_unless_fps_is_asked(vfr_clips, tmp_path):
    frames = tmp_path / "f"
    invoke("split", vfr_clips[".mp4"], "-o", frames)
    back = tmp_path / "back.mp4"
    invoke("stitch", frames, "-o", back, "--preset", "ultrafast")
    assert_in_sync(back)
    assert np.abs(frame_times(back) - frame_times(vfr_clips[".mp4"])).max() <= 0.001
    even = tmp_path / "even.mp4"
    invoke("stitch", frames, "-o", even, "--fps", "20", "--preset", "ultrafast")
    assert np.abs(np.diff(frame_times(even)) - 0.05).max() < 1e-3


def test_frames_folder_input_keeps_its_manifest_times(vfr_clips, tmp_path):
    frames, doubled = tmp_path / "f", tmp_path / "x2"
    invoke("split", vfr_clips[".mp4"], "-o", frames)
    run_command(INTERPOLATE, frames, f"{doubled}/")
    times = np.array(read_manifest_if_any(doubled).times)
    assert times[:5] == pytest.approx([0, 1 / 60, 2 / 60, 3 / 60, 4 / 60], abs=1e-4)
    assert times[-3:] == pytest.approx([2.85, 2.9, 2.95], abs=1e-4)  # the last frame (2.9) holds its 0.1 s


def test_an_image_the_manifest_does_not_list_is_ignored_and_named(vfr_clips, tmp_path):
    """An edited copy saved beside split's frames must not throw away the manifest's timeline."""
    frames = tmp_path / "f"
    invoke("split", vfr_clips[".mp4"], "-o", frames)
    (frames / "000001_edit.png").write_bytes((frames / "000001.png").read_bytes())
    back = tmp_path / "back.mp4"
    result = invoke("stitch", frames, "-o", back, "--preset", "ultrafast")
    assert "ignoring 1 image(s) not listed in manifest.json (000001_edit.png)" in result.output
    assert_in_sync(back)
    assert np.abs(frame_times(back) - frame_times(vfr_clips[".mp4"])).max() <= 0.001
    doubled = tmp_path / "x2"
    result = run_command(INTERPOLATE, frames, f"{doubled}/")
    assert "000001_edit.png" in result.output
    times = read_manifest_if_any(doubled).times
    assert len(times) == 2 * 60 and times[-3:] == pytest.approx([2.85, 2.9, 2.95], abs=1e-4)  # the stray image is no frame


def test_a_piped_variable_rate_stream_keeps_its_times(vfr_clips, tmp_path):
    exe = Path(__import__("sys").executable).with_name("vidgen")
    out = tmp_path / "x2.mkv"
    feed = subprocess.Popen([ffmpeg.executable(), "-v", "error", "-i", str(vfr_clips[".mkv"]), "-map", "0:v", "-c", "copy", "-f", "matroska", "-"],
                            stdout=subprocess.PIPE)
    subprocess.run([str(exe), "interpolate", "-", "-o", str(out), "--factor", "2", "--model", "blend", "-q"], stdin=feed.stdout, check=True)
    feed.wait()
    before, after = frame_times(vfr_clips[".mkv"]), frame_times(out)
    assert len(after) == 2 * len(before)
    assert np.abs(after[0::2] - before).max() <= 0.002


# --- 2. streams that start at different times --------------------------------------------------------


@pytest.fixture(scope="module")
def late(tmp_path_factory) -> Path:
    """Video starting 0.5 s after the audio: flashes at 1.5 and 3.0 s, beeps at 1.0 and 2.5 s."""
    return make_sync_clip(tmp_path_factory.mktemp("late") / "vlate.mp4", video_offset=0.5)


@pytest.mark.parametrize("command,suffix", [(INTERPOLATE, ".mp4"), (INTERPOLATE, ".mkv"), (PREDICT, ".mov"), (STYLIZE, ".mp4")])
def test_model_commands_keep_the_video_offset(late, tmp_path, style, command, suffix):
    source_flashes = flash_times(late)
    assert source_flashes == pytest.approx([1.5, 3.0], abs=0.02)
    out = tmp_path / f"out{suffix}"
    extra = ["--style", str(style)] if command is STYLIZE else []
    run_command(command, late, out, *extra)
    assert frame_times(out)[0] == pytest.approx(0.5, abs=0.002)
    assert beep_onsets(out) == pytest.approx([1.0, 2.5], abs=0.005)
    assert flash_times(out) == pytest.approx(source_flashes, abs=0.02)  # stylize at --strength 0 keeps the flash brightest


def test_video_to_stdout_keeps_the_offset(late, tmp_path):
    result = subprocess.run([str(Path(__import__("sys").executable).with_name("vidgen")), *INTERPOLATE, str(late), "-o", "-",
                             "--format", "matroska", "--preset", "ultrafast", "-q"], capture_output=True, check=True)
    out = tmp_path / "piped.mkv"
    out.write_bytes(result.stdout)
    assert frame_times(out)[0] == pytest.approx(0.5, abs=0.002)
    assert_in_sync_late = flash_times(out), beep_onsets(out)
    assert assert_in_sync_late[0] == pytest.approx([1.5, 3.0], abs=0.02)
    assert assert_in_sync_late[1] == pytest.approx([1.0, 2.5], abs=0.005)


def test_split_and_stitch_keep_the_offset_and_all_the_audio(late, tmp_path):
    invoke("split", late, "-o", tmp_path / "f")
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "back.mkv", "--preset", "ultrafast")
    assert frame_times(tmp_path / "back.mkv")[0] == pytest.approx(0.5, abs=0.002)
    assert flash_times(tmp_path / "back.mkv") == pytest.approx([1.5, 3.0], abs=0.02)
    assert beep_onsets(tmp_path / "back.mkv") == pytest.approx([1.0, 2.5], abs=0.005)
    invoke("split", late, "-o", tmp_path / "g", "--start", "1.2")  # a range: the audio is cut where the frames start
    invoke("stitch", tmp_path / "g", "-o", tmp_path / "part.mp4", "--preset", "ultrafast")
    assert frame_times(tmp_path / "part.mp4")[0] == pytest.approx(0.0, abs=0.002)
    assert beep_onsets(tmp_path / "part.mp4") == pytest.approx([1.3], abs=0.005)
    assert flash_times(tmp_path / "part.mp4", 2) == pytest.approx([0.3, 1.8], abs=0.02)


@pytest.mark.parametrize("command", [INTERPOLATE, PREDICT])
def test_start_and_end_are_on_the_file_timeline_as_split_reads_them(late, tmp_path, command):
    """The video starts 0.5 s into the file: --start 1.4 --end 1.6 is the same moment for split and
    the model commands (ffmpeg -ss's meaning), so both take the frames around the 1.5 s flash."""
    invoke("split", late, "-o", tmp_path / "s", "--start", "1.4", "--end", "1.6")
    run_command(command, late, f"{tmp_path / 'm'}/", "--start", "1.4", "--end", "1.6")
    split_times, model_times = read_manifest_if_any(tmp_path / "s").times, read_manifest_if_any(tmp_path / "m").times
    assert split_times[0] == pytest.approx(1.4, abs=0.021) and model_times[0] == pytest.approx(split_times[0], abs=1e-4)
    first = [np.asarray(__import__("cv2").imread(str(folder / "000001.png")), dtype=float) for folder in (tmp_path / "s", tmp_path / "m")]
    assert np.abs(first[0] - first[1]).mean() < 1.0  # the same source frame
    video = tmp_path / "m.mp4"
    run_command(command, late, video, "--start", "1.4", "--end", "1.8")
    assert flash_times(video, 1) == pytest.approx([0.1], abs=0.03)  # the 1.5 s flash, 0.1 s after --start


def test_probe_reports_each_stream_start(late):
    info = probe(late).to_json()
    assert info["start_time"] == pytest.approx(0.5, abs=1e-3)
    assert info["audio"][0]["start_time"] == pytest.approx(0.0, abs=1e-3)


# --- 3. trimmed files with an edit list --------------------------------------------------------------


@pytest.fixture(scope="module", params=[".mp4", ".mov"])
def trimmed(request, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trim")
    full = root / f"full{request.param}"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=3", "-c:v", "libx264",
                    "-preset", "ultrafast", "-g", "250", "-pix_fmt", "yuv420p", str(full)], check=True)
    cut = root / f"cut{request.param}"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-ss", "1.3", "-i", str(full), "-c", "copy", str(cut)], check=True)
    return cut


def test_probe_counts_the_frames_that_play(trimmed):
    info = probe(trimmed)
    assert info.frame_count == len(frame_times(trimmed)) == 42
    assert info.duration == pytest.approx(1.68, abs=1e-3)
    from conftest import decode_all

    assert len(decode_all(trimmed)) == 42


def test_predict_refuses_a_frame_past_what_plays(trimmed, tmp_path):
    result = runner.invoke(app, ["predict", str(trimmed), "--at", "50", "-o", str(tmp_path / "p.mp4"), "--model", "copy"])
    assert result.exit_code != 0 and "41" in result.output
    run_command(["predict", "--model", "copy", "-n", "2", "--at", "41"], trimmed, tmp_path / "ok.mp4")
    assert probe(tmp_path / "ok.mp4").frame_count == 44


# --- 4. frames missing from a split folder -----------------------------------------------------------


def test_stitch_holds_over_deleted_frames_and_names_them(tmp_path):
    clip = make_sync_clip(tmp_path / "in.mkv")
    frames = tmp_path / "f"
    invoke("split", clip, "-o", frames)
    for number in range(11, 21):
        (frames / f"{number:06d}.png").unlink()
    result = invoke("stitch", frames, "-o", tmp_path / "gap.mp4", "--preset", "ultrafast")
    assert "11-20" in result.output
    assert_in_sync(tmp_path / "gap.mp4")
    times = frame_times(tmp_path / "gap.mp4")
    assert len(times) == 80 and times[10] == pytest.approx(20 / 30, abs=1e-3)


def test_stitch_without_manifest_places_numbered_frames_by_number(tmp_path):
    clip = make_sync_clip(tmp_path / "in.mp4", audio=False)
    frames = tmp_path / "f"
    invoke("split", clip, "-o", frames)
    (frames / "manifest.json").unlink()
    for number in (5, 6, 7):
        (frames / f"{number:06d}.png").unlink()
    result = invoke("stitch", frames, "-o", tmp_path / "o.mp4", "--fps", "30", "--preset", "ultrafast")
    assert "5-7" in result.output  # --fps asked for an even rate: the gap closes, and it says so
    assert len(frame_times(tmp_path / "o.mp4")) == 87


# --- 5. non-square pixels ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anamorphic(tmp_path_factory) -> Path:
    return make_sync_clip(tmp_path_factory.mktemp("sar") / "sar.mp4", sar="4/3", seconds=1.5, events=SHORT, size="160x120")


@pytest.mark.parametrize("command", [INTERPOLATE, STYLIZE, PREDICT], ids=["interpolate", "stylize", "predict"])
def test_model_commands_carry_sar(anamorphic, tmp_path, style, command):
    extra = ["--style", str(style)] if command is STYLIZE else []
    run_command(command, anamorphic, tmp_path / "o.mp4", *extra)
    assert probe(tmp_path / "o.mp4").sar == Fraction(4, 3)
    run_command(command, anamorphic, tmp_path / "o.mkv", *extra)
    assert float(probe(tmp_path / "o.mkv").dar) == pytest.approx(16 / 9, rel=0.005)  # Matroska stores a display size
    run_command(command, anamorphic, f"{tmp_path / 'frames'}/", *extra)
    assert read_manifest_if_any(tmp_path / "frames").sar == Fraction(4, 3)
    invoke("stitch", tmp_path / "frames", "-o", tmp_path / "back.mp4", "--preset", "ultrafast")
    assert probe(tmp_path / "back.mp4").sar == Fraction(4, 3)


def test_probe_reports_sar_and_dar(anamorphic):
    info = probe(anamorphic).to_json()
    assert info["sar"] == "4/3" and info["dar"] == "16/9"


# --- 6. rotation through a pipe ----------------------------------------------------------------------


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_stream_through_a_pipe_decodes_like_the_file(tmp_path, rotation):
    base = tmp_path / "base.mp4"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=0.4", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(base)], check=True)
    rotated = tmp_path / "rot.mp4"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-display_rotation", str(rotation), "-i", str(base), "-c", "copy", str(rotated)], check=True)
    info = probe(rotated)
    assert (info.width, info.height, info.rotation) == (120, 160, rotation % 360)
    feed = subprocess.Popen([ffmpeg.executable(), "-v", "error", "-i", str(rotated), "-c", "copy", "-f", "matroska", "-"], stdout=subprocess.PIPE)
    exe = Path(__import__("sys").executable).with_name("vidgen")
    subprocess.run([str(exe), "split", "-", "-o", str(tmp_path / "piped"), "-q"], stdin=feed.stdout, check=True)
    feed.wait()
    invoke("split", rotated, "-o", tmp_path / "byname")
    import cv2

    piped = sorted((tmp_path / "piped").glob("*.png"))
    byname = sorted((tmp_path / "byname").glob("*.png"))
    assert len(piped) == len(byname) == 10
    for a, b in zip(piped, byname):
        left, right = cv2.imread(str(a)), cv2.imread(str(b))
        assert left.shape == right.shape == (160, 120, 3)
        assert np.abs(left.astype(int) - right.astype(int)).mean() < 1.0


# --- resume keeps the timeline -----------------------------------------------------------------------


def test_interrupted_vfr_run_resumes_on_the_same_timeline(tmp_path, monkeypatch):
    from test_resume import Darken

    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.runtime.job import OutputSettings, run_job

    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "10")
    clip = make_sync_clip(tmp_path / "in.mp4", vfr=True, video_offset=0.5)
    settings = OutputSettings(encode=EncodeOptions(preset="ultrafast"))
    reference, out = tmp_path / "reference.mp4", tmp_path / "out.mp4"
    run_job(str(clip), str(reference), Darken(), Fraction(20), settings, {"toy": 1})
    with pytest.raises(KeyboardInterrupt):
        run_job(str(clip), str(out), Darken(fail_at=47), Fraction(20), settings, {"toy": 1})
    resumed = run_job(str(clip), str(out), Darken(), Fraction(20), OutputSettings(encode=EncodeOptions(preset="ultrafast"), resume=True), {"toy": 1})
    assert 0 < resumed.resumed_from < 60
    source, first, second = frame_times(clip), frame_times(reference), frame_times(out)
    assert len(first) == len(second) == len(source) == 60
    assert np.abs(first - source).max() <= 0.001 and np.abs(second - source).max() <= 0.001
    assert beep_onsets(out) == pytest.approx(list(EVENTS), abs=0.005)
