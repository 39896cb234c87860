"""One condition, one answer, whichever command or writer meets it (the bugs of issue #10 that came
from facts written in several places): unwritable containers, thread counts, usage errors, the
resume fingerprint, `split -o -`, and "no frames"."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.errors import VidgenError
from vidgen_cli.io.probe import probe

runner = CliRunner()


def refused(args: list, code: int, expect: str, notes_before: bool = False):
    """The command ends with exit `code` and one line naming `expect` (after the progress notes a
    train command prints while it loads data, if `notes_before`); returns the result."""
    result = runner.invoke(app, [str(a) for a in args])
    lines = result.output.strip().splitlines()
    message = lines[-1] if lines else ""
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}: {result.output}"
    assert notes_before or len(lines) == 1, result.output
    assert message.startswith("vidgen: error:") and "Traceback" not in result.output, result.output
    assert expect.lower() in message.lower(), f"'{expect}' not in: {message}"
    assert "internal error" not in message
    return result


def _style(root: Path) -> Path:
    path = root / "style.png"
    cv2.imwrite(str(path), np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    return path


# --- 1. an output container that cannot be written is refused before any work ------------------

UNWRITABLE = [".wmv", ".flv", ".mpg", ".mpeg", ".ogv"]


def _no_work(*args, **kwargs):
    raise AssertionError("frames were processed before the output name was checked")


@pytest.mark.parametrize("suffix", UNWRITABLE)
@pytest.mark.parametrize("command", ["interpolate", "stylize", "predict", "stitch"])
def test_unwritable_container_is_refused_before_any_work(command, suffix, clips, tmp_path, monkeypatch):
    monkeypatch.setattr("vidgen_cli.runtime.job.run_pipeline", _no_work)
    monkeypatch.setattr("vidgen_cli.convert.stitch.run_pipeline", _no_work)
    source = clips["plain"]
    if command == "stitch":
        source = tmp_path / "frames"
        assert runner.invoke(app, ["split", str(clips["plain"]), "-o", str(source), "-q"]).exit_code == 0
    extra = {"interpolate": ["--factor", "2", "--model", "flow"], "predict": ["--frames", "2", "--model", "flow"],
             "stylize": ["--style", _style(tmp_path), "--max-side", "64"], "stitch": []}[command]
    out = tmp_path / f"out{suffix}"
    refused([command, source, *extra, "-o", out], 2, suffix)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no hidden work folder


def test_mts_is_written_as_mpeg_ts(clips, tmp_path):
    out = tmp_path / "out.mts"
    result = runner.invoke(app, ["interpolate", str(clips["plain"]), "--factor", "2", "--model", "flow", "-o", str(out), "-q",
                                 "--preset", "ultrafast"])
    assert result.exit_code == 0, result.output
    assert probe(out).frame_count == probe(clips["plain"]).frame_count * 2


def test_split_scenes_of_a_read_only_container_writes_mp4_clips(tmp_path):
    source = make_clip(tmp_path / "in.flv", seconds=0.5)
    result = runner.invoke(app, ["split", str(source), "--scenes", "-o", str(tmp_path / "shots"), "-q", "--preset", "ultrafast"])
    assert result.exit_code == 0, result.output
    assert [p.suffix for p in (tmp_path / "shots").iterdir()] == [".mp4"]


# --- 2. --threads of the train commands is what torch uses ---------------------------------------


@pytest.fixture
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_choosing_a_device_leaves_the_thread_count_alone(keep_threads, monkeypatch):
    from vidgen_cli.device import choose

    monkeypatch.setenv("VIDGEN_THREADS", "1")
    torch.set_num_threads(3)
    choose("cpu")
    assert torch.get_num_threads() == 3


@pytest.mark.parametrize("command", ["interpolate", "predict", "stylize"])
def test_train_threads_option_is_honoured(command, clips, tmp_path, monkeypatch, keep_threads):
    monkeypatch.setenv("VIDGEN_THREADS", "1")  # the default a missing --threads would give
    seen = {}

    def fake_train(task, settings, placement, progress=None):
        seen["threads"] = torch.get_num_threads()
        return {"parameters": 0, "wall_seconds": 0}

    monkeypatch.setattr("vidgen_cli.train.core.train", fake_train)
    data = ["--data", str(clips["plain"])]
    args = {"interpolate": [*data, "--pool", "1", "--crop", "32"],
            "predict": ["--synthetic", "moving-digits"],
            "stylize": [*data, "--style", str(_style(tmp_path)), "--crop", "32", "--max-frames", "6"]}[command]
    result = runner.invoke(app, ["train", command, *args, "-o", str(tmp_path / "w.pt"), "--threads", "2", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert seen["threads"] == 2


# --- 3. usage errors of the train commands: one line, exit 2 -------------------------------------


def test_train_usage_errors_are_one_line_with_the_usage_code(clips, tmp_path):
    style = _style(tmp_path)
    out = tmp_path / "w.pt"
    base = ["--data", clips["plain"], "--style", style, "-o", out, "--device", "cpu", "--threads", "1"]
    refused(["train", "stylize", *base, "--channels", "8,16"], 2, "--channels")
    refused(["train", "stylize", *base, "--channels", "a,b,c"], 2, "--channels")
    refused(["train", "stylize", *base, "--max-frames", "6"], 2, "--crop", notes_before=True)  # 64x48 clips, 192 px crops
    refused(["train", "interpolate", "--data", clips["plain"], "-o", out, "--pool", "1", "--threads", "1"], 2, "--crop", notes_before=True)


def test_a_bad_parameter_raised_in_a_command_is_a_usage_error():
    import typer

    from vidgen_cli.cli.errors import exit_code_for

    assert exit_code_for(typer.BadParameter("--x: bad")) == 2


# --- 4. --resume refuses a run made with other weights or another device/precision ---------------


# Every run below uses the same --preset: encode settings are part of the fingerprint too.
def _interrupted_learned_run(clips, tmp_path, monkeypatch, weights: Path) -> Path:
    """Ctrl-C at the 15th input frame of a learned interpolation, after two 10-frame segments."""
    from vidgen_cli.interpolate.processor import Retimer

    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "10")
    original = Retimer.push

    def interrupt_late(self, frame):
        if self.index == 13:
            raise KeyboardInterrupt
        return original(self, frame)

    out = tmp_path / "out.mp4"
    with monkeypatch.context() as patch:
        patch.setattr(Retimer, "push", interrupt_late)
        result = runner.invoke(app, ["interpolate", str(clips["plain"]), "--factor", "2", "--model", str(weights), "-o", str(out),
                                     "-q", "--preset", "ultrafast", "--device", "cpu"])
    assert result.exit_code == 130, result.output
    return out


@pytest.fixture
def own_weights(tmp_path):
    from vidgen_cli import weights

    shipped = weights.find("interp-fusion")
    path = tmp_path / "mine.pt"
    shutil.copy(shipped, path)
    shutil.copy(shipped.with_suffix(".json"), path.with_suffix(".json"))
    return path


def _retrain(path: Path) -> None:
    """Other weights under the same name (as a new `vidgen train` run would write)."""
    from vidgen_cli import weights

    model = weights.load_model(str(path))
    with torch.no_grad():
        model.head.bias.add_(0.01)
    meta = weights.read_metadata(path)
    weights.save(path, meta["arch"], meta["config"], model, {k: v for k, v in meta.items() if k not in {"arch", "config", "sha256"}})


def test_resume_with_other_weights_is_refused(clips, tmp_path, monkeypatch, own_weights):
    out = _interrupted_learned_run(clips, tmp_path, monkeypatch, own_weights)
    _retrain(own_weights)
    refused(["interpolate", clips["plain"], "--factor", "2", "--model", own_weights, "-o", out, "--resume", "--device", "cpu",
             "--preset", "ultrafast"], 2, "start over")


def test_resume_with_another_precision_is_refused(clips, tmp_path, monkeypatch, own_weights):
    from vidgen_cli import device

    out = _interrupted_learned_run(clips, tmp_path, monkeypatch, own_weights)
    monkeypatch.setattr(device, "choose", lambda name="auto", half=False: device.Placement(torch.device("cpu"), torch.float16))
    refused(["interpolate", clips["plain"], "--factor", "2", "--model", own_weights, "-o", out, "--resume", "--preset", "ultrafast"],
            2, "start over")


def test_resume_with_the_same_settings_continues(clips, tmp_path, monkeypatch, own_weights):
    out = _interrupted_learned_run(clips, tmp_path, monkeypatch, own_weights)
    result = runner.invoke(app, ["interpolate", str(clips["plain"]), "--factor", "2", "--model", str(own_weights), "-o", str(out),
                                 "--resume", "--device", "cpu", "--preset", "ultrafast"])
    assert result.exit_code == 0 and "resumed after input frame" in result.output, result.output


# --- 5. split cannot write frames to stdout ------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--scenes"]])
def test_split_to_stdout_is_refused(extra, clips, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused(["split", clips["plain"], *extra, "-o", "-"], 2, "folder")
    assert not (tmp_path / "-").exists()


# --- 6. "no frames" is one error, whatever the writer --------------------------------------------


def test_every_writer_reports_no_frames_with_one_exit_code(tmp_path):
    from vidgen_cli.io.encode import EncodeOptions, VideoWriter
    from vidgen_cli.io.image_writers import ImageFolderWriter
    from vidgen_cli.runtime.resume import ResumableFramesWriter, SegmentedVideoWriter

    writers = [VideoWriter(tmp_path / "a.mp4", Fraction(24)), ImageFolderWriter(tmp_path / "b"),
               SegmentedVideoWriter(tmp_path / "c.mp4", Fraction(24), EncodeOptions(), None, "key", False),
               ResumableFramesWriter(tmp_path / "d", "png", Fraction(24), "key", False)]
    codes = set()
    for writer in writers:
        with pytest.raises(VidgenError, match="no frames") as caught:
            writer.close()
        writer.abort()
        codes.add(caught.value.exit_code)
    assert codes == {3}


def test_split_selecting_no_frames_uses_the_same_code(clips, tmp_path):
    # --start/--end that select nothing are out-of-range options: usage (2), as in interpolate/stylize/predict
    refused(["split", clips["plain"], "--start", "5", "-o", tmp_path / "frames"], 2, "select no frames")


# --- a stream the output container cannot hold is named up front, not a failure at the end ------


@pytest.mark.parametrize("suffix", [".gif", ".y4m"])
def test_audio_into_a_container_without_audio_is_dropped_with_a_note(suffix, clips, tmp_path):
    out = tmp_path / f"out{suffix}"
    result = runner.invoke(app, ["interpolate", str(clips["audio"]), "--factor", "2", "--model", "blend", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "cannot hold 1 audio stream" in result.output
    assert probe(out).frame_count == probe(clips["audio"]).frame_count * 2


# --- the fact tables themselves ------------------------------------------------------------------


def test_format_tables_agree():
    from vidgen_cli.io import formats

    assert set(formats.WRITABLE_SUFFIXES.values()) | set(formats.STREAM_FORMATS.values()) <= set(formats.CONTAINERS)
    assert not formats.READ_ONLY_SUFFIXES & set(formats.WRITABLE_SUFFIXES)
    assert not formats.IMAGE_SUFFIXES & formats.VIDEO_SUFFIXES
    assert {f".{name}" for name in formats.FRAME_FORMATS} <= formats.IMAGE_SUFFIXES
    for suffix in formats.VIDEO_SUFFIXES:
        if suffix in formats.READ_ONLY_SUFFIXES:
            with pytest.raises(VidgenError, match="cannot write"):
                formats.container_for(f"out{suffix}")
        else:
            assert formats.container_for(f"OUT{suffix.upper()}").muxer == formats.WRITABLE_SUFFIXES[suffix]
    assert formats.clip_suffix("a.MKV") == ".mkv" and formats.clip_suffix("a.webm") == ".mp4" and formats.clip_suffix("a.wmv") == ".mp4"


def test_stylize_max_side_has_one_default():
    import inspect

    from vidgen_cli.cli.stylize import stylize
    from vidgen_cli.stylize import DEFAULT_MAX_SIDE
    from vidgen_cli.stylize.processor import Stylizer

    assert inspect.signature(Stylizer).parameters["max_side"].default == DEFAULT_MAX_SIDE
    assert inspect.signature(stylize).parameters["max_side"].default == DEFAULT_MAX_SIDE


@pytest.mark.parametrize("h,w,side,minimum,expected", [(720, 1280, 640, 1, (360, 640)), (1280, 720, 640, 1, (640, 360)),
                                                       (100, 50, 640, 1, (100, 50)), (4000, 10, 640, 8, (640, 8)),
                                                       (480, 640, None, 1, (480, 640))])
def test_fit_size(h, w, side, minimum, expected):
    from vidgen_cli.vision.sizes import fit_image, fit_size

    assert fit_size(h, w, side, minimum) == expected
    assert fit_image(np.zeros((h, w), np.uint8), side, minimum).shape == expected


def test_frame_tensor_bridge_round_trip():
    from vidgen_cli.device import to_array, to_tensor

    frame = np.random.default_rng(0).integers(0, 255, (13, 17, 3), dtype=np.uint8)
    for pad in ("replicate", "reflect"):
        x = to_tensor(frame, multiple=8, pad=pad)
        assert x.shape == (1, 3, 16, 24) and x.dtype == torch.float32
        assert np.array_equal(to_array(x, 13, 17), frame.astype(np.float32))
    assert to_tensor(frame[..., 0]).shape == (1, 1, 13, 17)
    assert to_tensor(frame, channels_last=True).is_contiguous(memory_format=torch.channels_last)
