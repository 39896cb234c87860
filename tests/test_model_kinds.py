"""A .pt of the wrong kind passed to --model is refused before any work, in one line naming what the
file is and which command takes it (it crashed with "internal error: AttributeError/TypeError")."""

import cv2
import numpy as np
import pytest
from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli import weights
from vidgen_cli.cli.app import app
from vidgen_cli.errors import UsageError

CASES = [
    ("interpolate", "predict-video", "vidgen predict --model"),
    ("interpolate", "stylize-student", "vidgen stylize --model"),
    ("interpolate", "predict-digits", "vidgen train predict --synthetic moving-digits"),
    ("predict", "interp-fusion", "vidgen interpolate --model"),
    ("predict", "predict-digits", "no command runs them on video"),
    ("stylize", "predict-video", "vidgen predict --model"),
    ("stylize", "interp-fusion", "vidgen interpolate --model"),
]


@pytest.mark.parametrize("command,name,names", CASES)
def test_wrong_weights_are_refused_in_one_line(command, name, names, tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=0.3)
    extra = {"predict": ["--frames", "2"], "stylize": ["--style", str(tmp_path / "s.png")]}.get(command, [])
    cv2.imwrite(str(tmp_path / "s.png"), np.full((32, 32, 3), 90, np.uint8))
    result = CliRunner().invoke(app, [command, str(clip), "-o", str(tmp_path / "o.mp4"), "--model",
                                      str(weights.find(name)), *extra])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and "internal error" not in lines[0] and f"{name}.pt holds" in lines[0] and names in lines[0], lines
    assert not (tmp_path / "o.mp4").exists()


def test_the_right_kind_passes_the_check():
    for name, arch in (("interp-fusion", "interp-fusion"), ("predict-video", "flow-refiner"), ("stylize-student", "magenta-transformer")):
        weights.check_kind(name, arch)
    with pytest.raises(UsageError):
        weights.check_kind("interp-fusion", "flow-refiner")


def test_weights_without_their_json_say_to_keep_it_beside_them(tmp_path):
    """A copied .pt without the .json `vidgen train` wrote beside it was told to "reinstall vidgen"."""
    import shutil

    lone = tmp_path / "lone.pt"
    shutil.copy(weights.find("stylize-student"), lone)
    clip = make_clip(tmp_path / "c.mp4", seconds=0.3)
    result = CliRunner().invoke(app, ["interpolate", str(clip), "-o", str(tmp_path / "o.mp4"), "--model", str(lone)])
    assert result.exit_code != 0
    assert "keep the .json that `vidgen train` wrote next to its .pt" in result.output, result.output
