"""interpolate and predict through the CLI: counts, timing, audio, frame folders, pipes, resume."""

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import decode_all, make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io.probe import probe
from vidgen_cli.runtime.resume import work_folder

runner = CliRunner()
VIDGEN = str(Path(sys.executable).parent / "vidgen")


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_interpolate_factor_keeps_duration_rate_and_audio(clips, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "25")  # several segments joined
    out = tmp_path / "x3.mp4"
    invoke("interpolate", clips["audio"], "-o", out, "--factor", "3", "--model", "flow", "--preset", "ultrafast", "-q")
    source, result = probe(clips["audio"]), probe(out)
    assert result.frame_count == source.frame_count * 3
    assert result.fps == source.fps * 3 and not result.vfr
    assert result.has_audio
    assert abs(result.duration - source.duration) < 1e-3


def test_interpolate_to_any_fps_keeps_duration(clips, tmp_path):
    out = tmp_path / "o.mkv"
    invoke("interpolate", clips["plain"], "-o", out, "--fps", "30000/1001", "--model", "flow", "--preset", "ultrafast", "-q")
    info = probe(out)
    assert str(info.fps) == "30000/1001" and info.frame_count == round(24 * 30000 / 1001 / 24)
    assert abs(info.duration - 1.0) < 1 / 24


def test_interpolate_without_factor_or_fps_doubles_the_frames(clips, tmp_path):
    """No --factor and no --fps: 2x, as RIFE and video2x default (it was a usage error)."""
    out = tmp_path / "o.mkv"
    invoke("interpolate", clips["plain"], "-o", out, "--model", "blend", "--codec", "ffv1", "-q")
    info = probe(out)
    assert info.frame_count == 48 and info.fps == 48
    both = runner.invoke(app, ["interpolate", str(clips["plain"]), "-o", str(tmp_path / "b.mkv"), "--factor", "2", "--fps", "60"])
    assert both.exit_code == 2 and "not both" in both.output


@pytest.mark.parametrize("how", [["--factor", "2"], ["--factor", "4"], ["--fps", "60"], ["--fps", "30000/1001"]])
def test_interpolate_output_lasts_exactly_as_long_as_the_input(clips, tmp_path, how):
    """24 frames at 24 fps (1.000 s): the last frame keeps its own duration, so the output lasts
    1.000 s too (it was 1 - (N-1)/(24 N) s with --factor N), in a video and in a frames folder."""
    out = tmp_path / "o.mkv"
    invoke("interpolate", clips["plain"], "-o", out, *how, "--model", "blend", "--codec", "ffv1", "-q")
    info = probe(out)
    rate = Fraction(how[1]) if how[0] == "--fps" else 24 * int(how[1])
    assert info.frame_count == round(24 * rate / 24) and info.fps == rate
    tolerance = 2e-3 if how[0] == "--factor" else 0.5 / float(rate)  # 29.97 fps: 30 frames last 1.001 s
    assert info.duration == pytest.approx(1.0, abs=tolerance)
    folder = tmp_path / "frames"
    invoke("interpolate", clips["plain"], "-o", folder, *how, "--model", "blend", "-q")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["frame_count"] == info.frame_count and manifest["duration"] == pytest.approx(1.0, abs=tolerance)


def test_interpolate_frames_folder_to_frames_folder(tmp_path):
    import cv2

    frames = tmp_path / "in"
    frames.mkdir()
    for i in range(4):
        image = np.zeros((32, 48, 3), np.uint8)
        image[10:20, 5 + 8 * i:15 + 8 * i] = 255
        cv2.imwrite(str(frames / f"{i + 1}.png"), image)
    invoke("interpolate", frames, "-o", tmp_path / "out", "--factor", "4", "--model", "flow", "-q")
    names = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert len(names) == 4 * 4 and names[0] == "000001.png"


def test_interpolate_holds_frames_across_a_cut(clips, tmp_path):
    out = tmp_path / "o.mkv"
    invoke("interpolate", clips["cut"], "-o", out, "--factor", "2", "--model", "flow", "--codec", "ffv1", "-q")
    frames = decode_all(out)
    source = decode_all(clips["cut"])
    # the frame generated between the last frame of shot 1 and the first of shot 2 is the old frame
    assert np.array_equal(frames[2 * 23 + 1], frames[2 * 23])
    assert len(frames) == 2 * len(source)


def test_predict_appends_frames_and_only_new(clips, tmp_path):
    out = tmp_path / "p.mp4"
    invoke("predict", clips["audio"], "-o", out, "--frames", "7", "--model", "flow", "--preset", "ultrafast", "-q")
    info = probe(out)
    assert info.frame_count == 60 + 7 and info.has_audio
    new = tmp_path / "new"
    invoke("predict", clips["plain"], "-o", new, "--frames", "5", "--model", "copy", "--at", "9", "--only-new", "-q")
    frames = sorted(new.glob("*.png"))
    assert len(frames) == 5
    source = decode_all(clips["plain"])
    import cv2

    held = cv2.cvtColor(cv2.imread(str(frames[0])), cv2.COLOR_BGR2RGB)
    assert np.abs(held.astype(int) - source[9]).mean() < 1.0  # copy holds frame 9, not the last frame


def test_predict_flow_and_copy_never_import_torch(clips, tmp_path):
    """They are OpenCV only; torch alone would add about 260 MB to the 720p peak memory."""
    import subprocess
    import sys

    for model in ("flow", "copy"):
        run = subprocess.run([sys.executable, "-c",
                              "import sys, runpy; sys.argv = sys.argv[1:]\n"
                              "try: runpy.run_module('vidgen_cli', run_name='__main__')\n"
                              "except SystemExit as e: assert not e.code, e.code\n"
                              "print('torch' in sys.modules)",
                              "vidgen", "predict", str(clips["plain"]), "--frames", "2", "--model", model,
                              "-o", str(tmp_path / f"{model}.mp4"), "-q"], capture_output=True, text=True, check=True)
        assert run.stdout.strip().endswith("False"), (model, run.stdout, run.stderr)


def test_predict_only_new_keeps_the_times_after_frame_n(clips, tmp_path):
    """--at 9 --only-new: the new frames play from input frame 10's time on (24 fps: 10/24 s), in a
    video (PTS) and in a frames folder (manifest), so `vidgen eval` pairs them with frames 10.."""
    import json

    from vidgen_cli.evaluate.pairs import match_frames, timeline

    video, folder = tmp_path / "new.mkv", tmp_path / "new"
    for out in (video, folder):
        invoke("predict", clips["plain"], "-o", out, "--frames", "5", "--model", "copy", "--at", "9", "--only-new",
               "--codec", "ffv1", "-q")
    times = timeline(probe(video))
    assert times is not None and np.allclose(times, [(10 + k) / 24 for k in range(5)], atol=2e-3)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [f["time"] for f in manifest["frames"]] == pytest.approx([(10 + k) / 24 for k in range(5)], abs=1e-5)
    assert match_frames(probe(clips["plain"]), probe(folder), partial=True).pairs == [(10 + k, k) for k in range(5)]


def test_pipe_through_interpolate(clips, tmp_path):
    from vidgen_cli.io import ffmpeg

    feed = subprocess.Popen([ffmpeg.executable(), "-v", "error", "-i", str(clips["plain"]), "-f", "nut", "-"], stdout=subprocess.PIPE)
    result = subprocess.run([VIDGEN, "interpolate", "-", "-o", "-", "--factor", "2", "--model", "blend", "--format", "nut"],
                            stdin=feed.stdout, capture_output=True, check=True)
    feed.wait()
    (tmp_path / "o.nut").write_bytes(result.stdout)
    assert probe(tmp_path / "o.nut").frame_count == 48  # the last frame keeps its duration
    assert b"frames at" in result.stderr  # messages went to stderr, not into the video


@pytest.mark.parametrize("stdin_input", [True, False], ids=["stdin-in", "stdout-out"])
def test_ctrl_c_on_a_stream_does_not_suggest_resume(tmp_path, stdin_input):
    """--resume cannot continue a run reading stdin or writing stdout: the Ctrl-C line says what
    to do instead (it suggested --resume)."""
    clip = make_clip(tmp_path / "long.mkv", size="320x240", seconds=20.0)  # mkv: readable from a pipe
    output = tmp_path / "out.mkv"
    command = [VIDGEN, "interpolate", "-" if stdin_input else str(clip), "-o", str(output) if stdin_input else "-",
               "--factor", "2", "--model", "flow", "--format", "nut"]
    process = subprocess.Popen(command, stdin=open(clip, "rb") if stdin_input else subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:  # progress lines (stderr is a pipe): the run is under way
        if "frames/s" in line:
            break
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 130
    error = [line for line in rest.splitlines() if line.startswith("vidgen: error:")]
    assert len(error) == 1 and "--resume" in error[0] and "cannot be resumed" in error[0], rest
    assert ("stdin" if stdin_input else "stdout") in error[0]
    assert not output.exists()


def test_a_piped_mp4_with_its_index_at_the_end_is_refused_in_one_line(tmp_path):
    """ffmpeg cannot read such an MP4 from a pipe; vidgen handed on endless 0x0 frames (an
    internal OpenCV error) instead of saying so."""
    clip = make_clip(tmp_path / "late_moov.mp4", size="320x240", seconds=20.0)
    with open(clip, "rb") as feed:
        result = subprocess.run([VIDGEN, "interpolate", "-", "-o", str(tmp_path / "o.mkv"), "--factor", "2", "--model", "blend"],
                                stdin=feed, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and "faststart" in result.stderr and "internal error" not in result.stderr, result.stderr


def test_killed_run_resumes_to_the_same_frames(tmp_path):
    clip = make_clip(tmp_path / "long.mp4", size="96x64", seconds=6.0)
    env = {**os.environ, "VIDGEN_SEGMENT_FRAMES": "20"}
    base = [VIDGEN, "interpolate", str(clip), "--factor", "2", "--model", "flow", "--codec", "ffv1", "-q"]
    subprocess.run([*base, "-o", str(tmp_path / "reference.mkv")], env=env, check=True)
    out = tmp_path / "out.mkv"
    process = subprocess.Popen([*base, "-o", str(out)], env=env)
    state = work_folder(out) / "state.json"
    deadline = time.monotonic() + 60
    while not state.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists(), "a killed run must not leave an output file"
    if not state.exists():
        pytest.skip("the run finished before it could be interrupted")
    subprocess.run([*base, "-o", str(out), "--resume"], env=env, check=True)
    a, b = decode_all(tmp_path / "reference.mkv"), decode_all(out)
    assert len(a) == len(b) == 2 * 144
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not work_folder(out).exists()


def test_a_ctrl_c_whose_exception_was_lost_stops_the_frame_loop():
    """A KeyboardInterrupt raised where Python ignores exceptions (a finaliser) is dropped; the
    recorded request stops the frame loop at the next frame all the same."""
    import signal as signals

    from vidgen_cli.runtime import interrupt
    from vidgen_cli.runtime.threads import run_pipeline

    class Sink:
        def __init__(self):
            self.frames, self.aborted = 0, False

        def write(self, frame):
            self.frames += 1

        def close(self):
            pass

        def abort(self):
            self.aborted = True

    previous = signals.getsignal(signals.SIGINT)
    interrupt.install()
    try:
        def frames():
            for index in range(1000):
                if index == 5:  # a Ctrl-C came in and its exception was dropped: only the record is left
                    interrupt._requested.set()
                yield np.zeros((4, 4, 3), np.uint8)

        sink = Sink()
        with pytest.raises(KeyboardInterrupt):
            run_pipeline(frames(), sink)
        assert sink.aborted and sink.frames < 1000
    finally:
        interrupt._requested.clear()
        signals.signal(signals.SIGINT, previous)
