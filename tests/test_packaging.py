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


def _torch_pin(name: str) -> str:
    lines = [line.split("#")[0].strip() for line in (REPO / name).read_text().splitlines()]
    return next(line for line in lines if line.startswith("torch"))[len("torch"):]


def test_the_cpu_install_pins_the_cpu_build_and_the_cuda_install_refuses_it():
    from packaging.specifiers import SpecifierSet

    cpu, cuda = SpecifierSet(_torch_pin("constraints.txt")), SpecifierSet(_torch_pin("constraints-cuda.txt"))
    assert "2.13.0+cpu" in cpu and "2.13.0" not in cpu  # PyPI's plain 2.13.0 is the CUDA build on Linux
    assert "2.13.0" in cuda and "2.13.0+cpu" not in cuda
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in (REPO / "constraints.txt").read_text()
    # an unreachable index must not stall an install: every documented install line retries briefly
    makefile, readme = (REPO / "Makefile").read_text(), (REPO / "README.md").read_text()
    assert "--retries 1 --timeout 15" in makefile
    assert all("--retries 1" in line for line in readme.splitlines() if line.startswith(("pipx install", "pip install")) and "constraints.txt" in line)
