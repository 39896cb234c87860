"""--quiet silences progress and notes but not the lines about what is not kept (ffmpeg's
-loglevel warning), and every --json record of an input carries the warnings said for it."""

import json
import subprocess
import sys
from pathlib import Path

from conftest import ff

VIDGEN = str(Path(sys.executable).with_name("vidgen"))


def test_quiet_keeps_the_lines_about_what_is_not_kept_and_json_records_carry_them(tmp_path):
    alpha = tmp_path / "alpha.webm"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5,format=yuva420p", "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", alpha)
    result = subprocess.run([VIDGEN, "interpolate", str(alpha), "-o", str(tmp_path / "q.mp4"), "--model", "blend",
                             "--preset", "ultrafast", "--quiet"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert [line for line in lines if "alpha" in line and "warning" in line], lines  # said, not hidden
    assert not [line for line in lines if "frames/s" in line or "->" in line], lines  # no progress, no summary note
    result = subprocess.run([VIDGEN, "interpolate", str(alpha), "-o", str(tmp_path / "j.mp4"), "--model", "blend",
                             "--preset", "ultrafast", "--quiet", "--json"], capture_output=True, text=True)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [w for w in records[0]["warnings"] if "alpha" in w], records
    assert "warnings" not in records[-1] and records[-1]["summary"]


def test_each_input_record_has_its_own_warnings(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5,format=yuva420p", "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", folder / "a.webm")
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5", "-c:v", "libx264", "-preset", "ultrafast", folder / "b.mp4")
    result = subprocess.run([VIDGEN, "interpolate", str(folder), "-o", str(tmp_path / "out" / "{stem}.mp4"), "--model", "blend",
                             "--preset", "ultrafast", "--json", "-q"], capture_output=True, text=True)
    records = {Path(r["input"]).name: r for r in map(json.loads, result.stdout.splitlines()) if "input" in r}
    assert [w for w in records["a.webm"]["warnings"] if "alpha" in w], records
    assert not [w for w in records["b.mp4"]["warnings"] if "alpha" in w], records
