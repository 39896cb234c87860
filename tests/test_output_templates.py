"""Output templates: only {stem}, {name} and {ext} are fields (a folder named 'Proj {2024}' was a
"bad template (Replacement index 2024 out of range)"), and {ext} is the input's extension for
every command (it was always empty for split, so split's own collision hint wrote 'a.mp4_/')."""

from __future__ import annotations

from pathlib import Path

from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.cli.batch import fill_template, is_template

runner = CliRunner()


def test_only_the_known_fields_are_filled(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", seconds=0.2)
    assert fill_template("Proj {2024}/{stem}_{ext}/", str(clip)) == "Proj {2024}/a_mp4/"
    assert fill_template("{name} {{stem}} {x}", str(clip)) == "a.mp4 {stem} {x}"
    assert fill_template("out/{stem}.{ext}", str(tmp_path)) == f"out/{tmp_path.name}."  # a folder has no extension
    assert not is_template("Proj {2024}/f/") and not is_template("{{stem}}") and is_template("x/{ext}/")


def test_a_brace_in_a_folder_name_is_part_of_the_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clip = make_clip(tmp_path / "sync.mp4", seconds=0.2)
    (tmp_path / "Proj {2024}").mkdir()
    result = runner.invoke(app, ["split", str(clip), "-o", "Proj {2024}/f/"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "Proj {2024}" / "f" / "manifest.json").is_file()


def test_split_collision_hint_names_fields_that_keep_the_outputs_apart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_clip(tmp_path / "a.mp4", seconds=0.2)
    make_clip(tmp_path / "a.mkv", seconds=0.2)
    refused = runner.invoke(app, ["split", "a.mp4", "a.mkv", "-o", "out/{stem}/"])
    assert refused.exit_code == 2, refused.output
    hint = refused.output.split("-o '")[-1].split("'")[0]
    result = runner.invoke(app, ["split", "a.mp4", "a.mkv", "-o", hint])  # the hint as given works
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path("out").iterdir()) == ["a_mkv", "a_mp4"]


def test_ext_is_the_input_extension_for_a_model_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_clip(tmp_path / "a.mkv", seconds=0.2)
    result = runner.invoke(app, ["interpolate", "a.mkv", "-o", "o/{stem}_{ext}.mp4", "--model", "blend", "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "a_mkv.mp4").is_file()
