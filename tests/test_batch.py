"""Several inputs: a folder or glob in, a folder or {stem} template out, the batch goes on past a
failure, --skip-existing, --fail-fast, exit code 0 only if all succeeded, JSON per input + summary."""

import json
import shutil

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
