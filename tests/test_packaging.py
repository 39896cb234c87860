"""An installed vidgen must find its weights without the source tree: they ship as package data."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_wheel_carries_weights_as_package_data(tmp_path):
    pytest.importorskip("setuptools")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("vidgen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "vidgen_cli/weight_files/__init__.py" in names
    shipped = {p.name for p in (REPO / "weights").iterdir() if p.suffix in {".pt", ".json"}}
    assert {f"vidgen_cli/weight_files/{n}" for n in shipped} <= names
