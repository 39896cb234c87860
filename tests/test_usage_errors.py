"""Parse errors (bad values, missing arguments, unknown commands and options) are one line and exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _vidgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vidgen_cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, names", [
    (["interpolate", "in.mp4", "--factor", "abc"], ["vidgen interpolate", "--factor"]),
    (["interpolate"], ["vidgen interpolate", "INPUT"]),
    (["split", "in.mp4", "--no-such-option"], ["vidgen split", "--no-such-option"]),
    (["bogus"], ["vidgen", "bogus"]),
    (["train", "stylize", "--steps", "0"], ["vidgen train stylize", "--steps"]),
])
def test_parse_errors_are_one_line_with_the_usage_code(args, names):
    result = _vidgen(*args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert all(name in lines[0] for name in names), lines[0]
    assert "--help" in lines[0] and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_no_arguments_prints_help_once_and_exits_with_the_usage_code():
    """A missing command is a usage error (Click's and Typer's convention, exit 2): `vidgen $CMD`
    with an empty variable must not pass for success in a script. The help was printed twice."""
    result = _vidgen()
    assert result.returncode == 2
    assert result.stdout.count("Usage: vidgen") == 1 and "stylize" in result.stdout
    group = _vidgen("train")
    assert group.returncode == 2 and group.stdout.count("Usage: vidgen train") == 1
