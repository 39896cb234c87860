"""Matroska/WebM rates read back exactly from DefaultDuration, high NTSC rates included."""

import math
from fractions import Fraction

import pytest
from conftest import ff, invoke

from vidgen_cli.io.matroska import rate_from_nanoseconds
from vidgen_cli.io.probe import probe

_RATES = [Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120, 240)] + [
    Fraction(x) for x in (12, 24, 25, 30, 50, 60, 100, 120, 144, 240)] + [Fraction(2997, 100), Fraction(25, 2), Fraction(5994, 100)]


@pytest.mark.parametrize("rate", _RATES, ids=str)
def test_rate_from_nanoseconds_rounded_or_truncated(rate):
    nanoseconds = 10**9 / rate
    assert rate_from_nanoseconds(round(nanoseconds)) == rate
    assert rate_from_nanoseconds(math.floor(nanoseconds)) == rate


@pytest.mark.parametrize("suffix", [".mkv", ".webm"])
def test_stitch_high_ntsc_rates_probe_exact(tmp_path, suffix):
    frames = tmp_path / "frames"
    frames.mkdir()
    ff("-f", "lavfi", "-i", "testsrc2=s=32x32:r=25:d=0.24", frames / "%04d.png")
    for rate in ("120000/1001", "240000/1001", "60000/1001"):
        out = tmp_path / f"r{rate.replace('/', '_')}{suffix}"
        invoke("stitch", frames, "-o", out, "--fps", rate)
        assert probe(out).fps == Fraction(rate), rate
