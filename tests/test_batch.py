"""Several inputs: a folder or glob in, a folder or {stem} template out, the batch goes on past a
failure, --skip-existing, --fail-fast, exit code 0 only if all succeeded, JSON per input + summary."""

import json
import shutil

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from vidgen_cli.cli.app import app

runner = CliRunner()


def _videos(tmp_path, clips, broken=False):
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(clips["plain"], folder / "a.mp4")
    shutil.copy(clips["webm"], folder / "b.webm")
    if broken:
        (folder / "c.mp4").write_text("not a video")
    return folder


def _records(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_folder_of_videos_into_output_folder(tmp_path, clips):
    folder = _videos(tmp_path, clips)
    result = runner.invoke(app, ["split", str(folder), "-o", str(tmp_path / "out"), "--json", "-q"])
    assert result.exit_code == 0, result.output
    records = _records(result)
    assert [r["output"] for r in records[:2]] == [str(tmp_path / "out" / "a"), str(tmp_path / "out" / "b")]
    assert records[-1] == {"summary": True, "succeeded": 2, "failed": 0, "skipped": 0}
    assert len(list((tmp_path / "out" / "b").glob("*.png"))) == 25


def test_one_failure_is_reported_and_the_batch_goes_on(tmp_path, clips):
    folder = _videos(tmp_path, clips, broken=True)
    result = runner.invoke(app, ["split", str(folder), "-o", str(tmp_path / "out"), "--json", "-q"])
    assert result.exit_code != 0
    records = _records(result)
    assert records[-1]["succeeded"] == 2 and records[-1]["failed"] == 1
    assert "c.mp4" in records[2]["error"]
    assert (tmp_path / "out" / "a").is_dir() and (tmp_path / "out" / "b").is_dir()


def test_fail_fast_stops_at_first_failure(tmp_path, clips):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "a.mp4").write_text("broken")
    shutil.copy(clips["plain"], folder / "b.mp4")
    result = runner.invoke(app, ["split", str(folder), "-o", str(tmp_path / "out"), "--fail-fast", "--json", "-q"])
    assert result.exit_code != 0
    assert not (tmp_path / "out" / "b").exists()


def test_glob_template_and_skip_existing(tmp_path, clips):
    folder = _videos(tmp_path, clips)
    template = str(tmp_path / "{stem}_frames")
    first = runner.invoke(app, ["split", str(folder / "*.mp4"), str(folder / "*.webm"), "-o", template, "-q"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "a_frames").is_dir() and (tmp_path / "b_frames").is_dir()
    again = runner.invoke(app, ["split", str(folder / "*"), "-o", template, "--skip-existing", "--json", "-q"])
    assert again.exit_code == 0
    assert _records(again)[-1] == {"summary": True, "succeeded": 0, "failed": 0, "skipped": 2}
    clobber = runner.invoke(app, ["split", str(folder / "*"), "-o", template, "--json", "-q"])
    assert clobber.exit_code != 0 and _records(clobber)[-1]["failed"] == 2


def test_stitch_batch_over_frame_folders(tmp_path, clips):
    folder = _videos(tmp_path, clips)
    assert runner.invoke(app, ["split", str(folder), "-o", str(tmp_path / "frames"), "-q"]).exit_code == 0
    result = runner.invoke(app, ["stitch", str(tmp_path / "frames"), "-o", str(tmp_path / "videos_out"), "-q", "--preset", "ultrafast"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "videos_out").iterdir()) == ["a.mp4", "b.mp4"]


def test_model_command_over_a_folder_keeps_names(tmp_path, clips):
    folder = _videos(tmp_path, clips)
    result = runner.invoke(app, ["interpolate", str(folder), "-o", str(tmp_path / "out"), "--factor", "2", "--model", "blend",
                                 "--preset", "ultrafast", "--json", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.mp4", "b.webm"]
    assert _records(result)[-1]["succeeded"] == 2


@pytest.mark.parametrize("command", [["interpolate", "--factor", "2", "--model", "blend"], ["split"], ["stylize", "--style", "STYLE"]])
def test_json_with_one_failing_input_prints_its_error_record_and_the_summary(tmp_path, command):
    """--json with one input that fails printed nothing on stdout: scripts got no record to read."""
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), np.full((32, 32, 3), 128, np.uint8))
    args = [str(style) if a == "STYLE" else a for a in command]
    output = tmp_path / ("out" if args[0] == "split" else "out.mp4")  # split writes a folder (refuses -o out.mp4)
    result = runner.invoke(app, [args[0], str(bad), "-o", str(output), *args[1:], "--json"])
    assert result.exit_code == 3
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2, result.stdout
    assert records[0]["input"] == str(bad) and "not a video" in records[0]["error"] and records[0]["exit_code"] == 3
    assert records[1]["summary"] is True and records[1]["failed"] == 1 and records[1]["succeeded"] == 0
    assert result.stderr.count("vidgen: error:") == 1


def test_eval_json_failure_prints_a_record_with_the_error(clips, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    result = runner.invoke(app, ["eval", str(clips["plain"]), str(bad), "--json", "--no-vmaf"])
    assert result.exit_code == 3
    record = json.loads(result.stdout)
    assert record["test"] == str(bad) and "not a video" in record["error"] and record["exit_code"] == 3
