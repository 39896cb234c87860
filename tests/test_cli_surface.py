"""The CLI as a new user meets it: help text, log-friendly progress, where models run, --json,
images in and out, --start/--end with the audio in sync, and resume granularity."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import decode_all, make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.cli.help import EXAMPLES
from vidgen_cli.cli.report import ProgressLog
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.probe import probe

runner = CliRunner()
VIDGEN = str(Path(sys.executable).parent / "vidgen")
COMMANDS = ["split", "stitch", "probe", "interpolate", "stylize", "predict", "demo",
            "train interpolate", "train predict", "train stylize"]


def _help(command: str) -> str:
    result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_help_ends_with_examples_and_shows_value_names(command):
    text = _help(command)
    examples = text[text.index("Examples:"):].split("\n")[1:]
    examples = [line.strip() for line in examples if line.strip()]
    assert 2 <= len(examples) <= 4 and all(line.startswith(f"vidgen {command} ") or line == f"vidgen {command}"
                                           or line.startswith(f"vidgen {command}  ") for line in examples), examples
    assert not re.search(r"<(bool|str|int|float|path|list\[[a-zA-Z]+\])>", text, re.IGNORECASE), text


@pytest.mark.parametrize("command", COMMANDS)
def test_every_example_parses(command):
    """Each example names options the command really has, with values of the right type."""
    import typer.main

    group = typer.main.get_command(app)
    for line in EXAMPLES[command]:
        words = shlex.split(line.split(" #")[0].split(" | ")[0])[1:]
        cmd, ctx = group, None
        while hasattr(cmd, "commands") and words and words[0] in cmd.commands:
            cmd, words = cmd.commands[words[0]], words[1:]
        ctx = cmd.make_context(f"vidgen {command}", list(words))  # raises on an unknown option or a bad value
        assert ctx.params is not None


def test_input_lines_say_what_each_command_takes():
    assert "VIDEO..." in _help("split") and "Video files" in _help("split")
    assert "FOLDER..." in _help("stitch") and "Folders of frames" in _help("stitch")
    assert "photos of different sizes" in _help("stylize")


def test_interpolate_summary_names_its_default_model():
    summary = _help("interpolate").split("Usage:")[1].split("╭")[0]
    assert "optical flow" in summary and "by default" in summary
    assert "learned fusion network" not in summary  # the fusion model is opt-in


def test_train_commands_take_output_like_the_rest():
    for name in ("train interpolate", "train predict", "train stylize"):
        text = _help(name)
        assert "--output" in text and "-o" in text and "--out " not in text


def test_resume_help_states_the_granularity():
    text = re.sub(r"[\s│]+", " ", _help("stylize"))
    assert "saved every 240 frames or 10 s, whichever comes first" in text and "Ctrl-C" in text


# ---- progress and messages when stderr is a log file


def test_progress_log_every_tenth_or_ten_seconds():
    now = [0.0]
    log = ProgressLog("job", 1000, clock=lambda: now[0])
    printed = []
    for done in range(1, 1001):
        now[0] += 0.001
        line = log.update(done)
        if line:
            printed.append(done)
    assert printed == [100 * k for k in range(1, 11)]
    slow = ProgressLog("job", 1000, clock=lambda: now[0])
    now[0] += 10.5
    line = slow.update(3)
    assert line and "3/1000 frames" in line and "ETA" in line and "frames/s" in line
    assert slow.update(4) is None  # neither 10 s nor a tenth later


def test_log_progress_lines_and_unwrapped_summary(clips, tmp_path):
    """stderr to a pipe: plain progress lines with rate and ETA, and a summary line longer than 80
    columns kept on one line."""
    long_dir = tmp_path / ("a_rather_long_folder_name_for_the_output_" * 2)
    long_dir.mkdir()
    out = long_dir / "interpolated_output_with_a_long_name.mkv"
    result = subprocess.run([VIDGEN, "interpolate", str(clips["plain"]), "-o", str(out), "--factor", "2", "--model", "blend",
                             "--codec", "ffv1"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    progress = [line for line in lines if line.startswith("interpolate plain.mp4:")]
    assert len(progress) >= 5 and all("frames/s" in line for line in progress), lines
    assert "48/48 frames (100%)" in progress[-1]
    summary = [line for line in lines if "->" in line]
    assert len(summary) == 1 and str(out) in summary[0] and len(summary[0]) > 80
    assert lines[0].startswith("vidgen: models run on cpu, float32, ") and "thread" in lines[0]


def test_quiet_prints_nothing_and_json_carries_placement_for_one_input(clips, tmp_path):
    result = subprocess.run([VIDGEN, "interpolate", str(clips["plain"]), "-o", str(tmp_path / "o.mkv"), "--factor", "2",
                             "--model", "blend", "--codec", "ffv1", "--json", "-q"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2 and records[-1]["summary"] is True and records[-1]["succeeded"] == 1
    for record in records:
        assert record["placement"]["device"] == "cpu" and record["placement"]["precision"] == "float32"
        assert record["placement"]["threads"] >= 1
    assert records[0]["frames"] == 48


# ---- images in, images out


def _image(path: Path, width: int, height: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    image = cv2.resize(rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8), (width, height))
    cv2.imwrite(str(path), image)
    return path


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    return _image(tmp_path_factory.mktemp("style") / "style.png", 64, 64, 7)


def test_stylize_one_photo_to_one_image(tmp_path, style):
    photo = _image(tmp_path / "photo.jpg", 90, 70, 1)
    out = tmp_path / "out.png"
    result = runner.invoke(app, ["stylize", str(photo), "--style", str(style), "-o", str(out), "--max-side", "64", "-q"])
    assert result.exit_code == 0, result.output
    image = cv2.imread(str(out))
    assert image.shape == (70, 90, 3)
    assert np.abs(image.astype(int) - cv2.imread(str(photo)).astype(int)).mean() > 5  # it was changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "photo.jpg"]  # no temporary left behind


def test_stylize_folder_of_photos_of_different_sizes_into_a_template(tmp_path, style):
    photos = tmp_path / "photos"
    photos.mkdir()
    sizes = {"wide": (96, 48), "tall": (40, 80), "odd": (51, 37)}
    for n, (name, (w, h)) in enumerate(sizes.items()):
        _image(photos / f"{name}.{'png' if n % 2 else 'jpg'}", w, h, n)
    template = str(tmp_path / "styled" / "new" / "{stem}.png")
    result = runner.invoke(app, ["stylize", str(photos), "--style", str(style), "-o", template, "--max-side", "64", "--json", "-q"])
    assert result.exit_code == 0, result.output
    for name, (w, h) in sizes.items():
        image = cv2.imread(str(tmp_path / "styled" / "new" / f"{name}.png"))
        assert image is not None and image.shape == (h, w, 3), name
    assert json.loads(result.stdout.splitlines()[-1])["succeeded"] == 3


def test_a_stem_template_stylizes_same_size_photos_one_by_one(tmp_path, style):
    photos = tmp_path / "photos"
    photos.mkdir()
    for n, name in enumerate(("beach", "dog")):
        _image(photos / f"{name}.jpg", 48, 32, n)
    result = runner.invoke(app, ["stylize", str(photos), "--style", str(style), "-o", str(tmp_path / "out" / "{stem}_styled.jpg"),
                                 "--max-side", "32", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["beach_styled.jpg", "dog_styled.jpg"]


def test_every_image_vidgen_reads_it_can_write():
    from vidgen_cli.io.formats import IMAGE_FILE_FORMATS, IMAGE_SUFFIXES

    assert frozenset(IMAGE_FILE_FORMATS) == IMAGE_SUFFIXES


def test_an_image_output_refuses_a_video_before_any_work(clips, tmp_path, style):
    result = runner.invoke(app, ["stylize", str(clips["plain"]), "--style", str(style), "-o", str(tmp_path / "o.png"), "-q"])
    assert result.exit_code == 2 and "one frame" in result.output
    assert list(tmp_path.iterdir()) == []


# ---- --start/--end on the model commands, audio in sync


def _flash_and_beep(path: Path, at: float = 2.0, seconds: float = 4.0) -> Path:
    """Black video with one white frame at `at` and a 1 kHz beep starting at the same instant."""
    subprocess.run([ffmpeg.executable(), "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"color=c=black:size=64x48:rate=24:duration={seconds}",
                    "-f", "lavfi", "-i", f"aevalsrc='if(between(t,{at},{at + 0.1}),0.8*sin(2*PI*1000*t),0)':s=44100:d={seconds}",
                    "-vf", f"drawbox=c=white:t=fill:enable='between(t,{at - 0.001},{at + 0.02})'",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def _flash_time(path: Path) -> float:
    info = probe(path)
    frames = decode_all(path)
    index = next(i for i, f in enumerate(frames) if f.mean() > 200)
    return index / float(info.fps)


def _beep_time(path: Path) -> float:
    raw = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le", "-ac", "1", "-ar", "44100", "-"],
                         capture_output=True, check=True).stdout
    samples = np.abs(np.frombuffer(raw, np.int16).astype(int))
    return int(np.argmax(samples > 8000)) / 44100


@pytest.fixture(scope="module")
def flash(tmp_path_factory):
    return _flash_and_beep(tmp_path_factory.mktemp("flash") / "flash.mp4")


@pytest.mark.parametrize("command", [
    ["interpolate", "--factor", "2", "--model", "blend"],
    ["predict", "--frames", "5", "--model", "copy"],
])
def test_start_end_keep_picture_and_sound_together(flash, tmp_path, command):
    source_gap = _beep_time(flash) - _flash_time(flash)
    assert abs(source_gap) < 0.02  # the fixture itself is in sync
    out = tmp_path / "part.mp4"
    result = runner.invoke(app, [command[0], str(flash), "-o", str(out), *command[1:], "--start", "1.3", "--end", "2.8",
                                 "--preset", "ultrafast", "-q"])
    assert result.exit_code == 0, result.output
    info = probe(out)
    used = 68 - 32  # frames 32 (1.333 s) to 67 (2.792 s)
    expected = used * 2 if command[0] == "interpolate" else used + 5
    assert info.frame_count == expected and info.has_audio
    flash_at, beep_at = _flash_time(out), _beep_time(out)
    assert abs(flash_at - (2.0 - 32 / 24)) < 0.5 / float(info.fps)  # the clip starts at the first frame at/after --start
    assert abs(beep_at - flash_at) < 1 / 24, (flash_at, beep_at)


def test_stylize_takes_start_and_end(clips, tmp_path, style):
    out = tmp_path / "part"
    result = runner.invoke(app, ["stylize", str(clips["plain"]), "--style", str(style), "-o", str(out), "--max-side", "32",
                                 "--start", "0.25", "--end", "0.5", "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.png"))) == 6  # frames 6..11 of a 24 fps clip
    record = json.loads(result.stdout.splitlines()[0])
    assert record["span"] == {"first_frame": 6, "frames": 6, "start": 0.25, "duration": 0.25}


def test_start_and_end_on_a_frames_folder_with_manifest(clips, tmp_path):
    frames = tmp_path / "frames"
    assert runner.invoke(app, ["split", str(clips["plain"]), "-o", str(frames), "-q"]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(app, ["interpolate", str(frames), "-o", str(out), "--factor", "2", "--model", "blend",
                                 "--start", "0.5", "--end", "0.75", "-q"])
    assert result.exit_code == 0, result.output
    produced = sorted(out.glob("*.png"))
    assert len(produced) == 6 * 2
    source = decode_all(clips["plain"])
    assert np.array_equal(cv2.cvtColor(cv2.imread(str(produced[0])), cv2.COLOR_BGR2RGB), source[12])


@pytest.mark.parametrize("args, message", [
    (["--start", "50"], "select no frames"),
    (["--start", "0.5", "--end", "0.2"], "not after"),
    (["--end", "abc"], "--end"),
])
def test_bad_spans_are_usage_errors(clips, tmp_path, args, message):
    result = runner.invoke(app, ["interpolate", str(clips["plain"]), "-o", str(tmp_path / "o.mp4"), "--factor", "2",
                                 "--model", "blend", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "o.mp4").exists()


def test_resume_with_another_span_is_refused(clips, tmp_path, monkeypatch):
    from vidgen_cli.errors import UsageError
    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.runtime.job import OutputSettings, run_job
    from vidgen_cli.runtime.span import resolve_span

    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "4")
    monkeypatch.setenv("VIDGEN_SEGMENT_SECONDS", "0")
    info = probe(clips["plain"])
    out = tmp_path / "o.mkv"
    settings = OutputSettings(encode=EncodeOptions(codec="ffv1"))
    with pytest.raises(KeyboardInterrupt):
        run_job(str(clips["plain"]), str(out), _Slow(fail_at=10), Fraction(24), settings, {"t": 1}, info=info,
                span=resolve_span(info, start=0.25))
    resume = OutputSettings(encode=EncodeOptions(codec="ffv1"), resume=True)
    with pytest.raises(UsageError, match="start over"):
        run_job(str(clips["plain"]), str(out), _Slow(), Fraction(24), resume, {"t": 1}, info=info, span=resolve_span(info, start=0.5))
    resumed = run_job(str(clips["plain"]), str(out), _Slow(), Fraction(24), resume, {"t": 1}, info=info, span=resolve_span(info, start=0.25))
    assert resumed.resumed_from == 10 and resumed.frames == 24 - 6


def test_span_resolution():
    from vidgen_cli.io.media import VideoInfo
    from vidgen_cli.runtime.span import resolve_span, trim_info

    times = np.array([0, 0.04, 0.08, 0.2, 0.24])  # a VFR clip with a gap
    info = VideoInfo(path="v.mp4", kind="video", width=8, height=8, fps=Fraction(25), frame_count=5, duration=0.28, timestamps=times)
    span = resolve_span(info, start=0.05, end=0.22)
    assert (span.first, span.count) == (2, 2) and span.start_time == 0.08 and abs(span.duration - 0.16) < 1e-9
    trimmed = trim_info(info, span)
    assert trimmed.frame_count == 2 and np.allclose(trimmed.timestamps, [0, 0.12])
    assert resolve_span(info, last_frame=1).count == 2
    assert resolve_span(info, start=0.04).first == 1  # a frame exactly at --start is kept
    end = resolve_span(info, start=0.2)
    assert end.count == 2 and abs(end.duration - 0.08) < 1e-9  # to the end of the last frame


# ---- resume granularity


def test_segment_clock_cuts_by_frames_or_time():
    from vidgen_cli.runtime.resume import SegmentClock

    now = [0.0]
    clock = SegmentClock(frames=240, seconds=10, min_frames=24, clock=lambda: now[0])
    assert not clock.due(100)
    assert clock.due(240)
    now[0] = 11
    assert not clock.due(10)  # not before one second of output
    assert clock.due(24)
    clock.restart()
    assert not clock.due(30)


class _Slow:
    """Darkens frames slowly (a stand-in for a slow model) and can stop with Ctrl-C, calling
    `before_stop` first (to look at what was saved while the run was going)."""

    def __init__(self, fail_at: int | None = None, before_stop=None) -> None:
        self.seen, self.fail_at, self.before_stop = 0, fail_at, before_stop

    def push(self, frame):
        import time

        if self.seen == self.fail_at:
            if self.before_stop:
                self.before_stop()
            raise KeyboardInterrupt
        self.seen += 1
        time.sleep(0.03)
        return [frame // 2]

    def flush(self):
        return []

    def state_dict(self):
        return {"seen": np.array(self.seen)}

    def load_state_dict(self, state):
        self.seen = int(state["seen"])


def test_a_slow_run_saves_work_long_before_240_frames(tmp_path, monkeypatch):
    """With 10 s of work as the limit (here 0.3 s), a slow run has saved a resume point after two
    seconds of output (48 frames at 24 fps), long before 240 frames: what a killed run keeps. A
    stopped run (Ctrl-C) keeps all it made, and resumes to the same frames (lossless codec)."""
    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.runtime.job import OutputSettings, run_job
    from vidgen_cli.runtime.resume import work_folder

    monkeypatch.setenv("VIDGEN_SEGMENT_SECONDS", "0.3")
    monkeypatch.delenv("VIDGEN_SEGMENT_FRAMES", raising=False)
    clip = make_clip(tmp_path / "c.mp4", seconds=3.0)
    settings = OutputSettings(encode=EncodeOptions(codec="ffv1"))
    run_job(str(clip), str(tmp_path / "ref.mkv"), _Slow(), Fraction(24), settings, {"t": 1})
    out = tmp_path / "out.mkv"
    saved = []

    def look():
        import time

        state = work_folder(out) / "state.json"
        deadline = time.monotonic() + 20  # the encode thread saves it; allow for a loaded machine
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        saved.append(json.loads(state.read_text())["inputs_done"])

    with pytest.raises(KeyboardInterrupt):
        run_job(str(clip), str(out), _Slow(fail_at=60, before_stop=look), Fraction(24), settings, {"t": 1})
    assert saved == [48]  # cut by time (0.3 s), but not before 2 s of output
    resumed = run_job(str(clip), str(out), _Slow(), Fraction(24), OutputSettings(encode=EncodeOptions(codec="ffv1"), resume=True), {"t": 1})
    assert resumed.resumed_from == 60
    a, b = decode_all(tmp_path / "ref.mkv"), decode_all(out)
    assert len(a) == len(b) == 72 and all(np.array_equal(x, y) for x, y in zip(a, b))


# ---- the demo


def test_side_by_side_joins_and_labels():
    from vidgen_cli.demo import side_by_side

    left = [np.zeros((40, 60, 3), np.uint8)] * 3
    right = [np.full((20, 30, 3), 255, np.uint8)] * 2
    joined = list(side_by_side(left, right, ("in", "out")))
    assert len(joined) == 2 and joined[0].shape == (40, 124, 3)
    assert joined[0][30:, 64:].min() == 255 and joined[0][30:, :60].max() == 0  # below the labels: left | right
    assert joined[0][:10, :20].max() > 0  # a label was drawn


def test_demo_renders_input_beside_result_and_says_what_to_open(tmp_path, monkeypatch):
    import vidgen_cli.demo as demo_module

    small = demo_module.make_demo_clip

    def tiny_clip(path, seconds=3.0, size="320x240", fps=24):
        return small(path, seconds=1.0, size="96x64", fps=fps)

    monkeypatch.setattr(demo_module, "make_demo_clip", tiny_clip)
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "demo"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    opened = [line for line in result.stdout.splitlines() if line.endswith("_side_by_side.mp4")]
    assert [Path(p).name for p in opened] == ["interpolate_side_by_side.mp4", "stylize_side_by_side.mp4", "predict_side_by_side.mp4"]
    for path in opened:
        info = probe(path)
        assert info.width == 2 * 96 + 4 and info.height == 64 and info.frame_count >= 24
    assert probe(opened[0]).frame_count == 24 * 4  # slow motion: the interpolated frames at the input rate
    assert re.search(r"interpolate: +[0-9.]+ s", result.stderr)
    for path in opened:  # each path once, not once on stdout and again in an 'open ...' line on stderr
        assert (result.stdout + result.stderr).count(Path(path).name) == 1, result.output
