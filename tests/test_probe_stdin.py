"""`vidgen probe -` reads the piped stream to its end and describes it as it would the file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ff

VIDGEN = str(Path(sys.executable).with_name("vidgen"))


@pytest.mark.parametrize("suffix", [".mkv", ".ts", ".nut"])
def test_probe_of_a_pipe_matches_the_file(tmp_path, suffix):
    source = tmp_path / f"multi{suffix}"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.8", "-f", "lavfi", "-i", "sine=f=440:d=0.8", "-f", "lavfi", "-i",
       "sine=f=880:d=0.8", "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", source)
    from_file = json.loads(subprocess.run([VIDGEN, "probe", source], capture_output=True, check=True).stdout)
    piped = subprocess.run([VIDGEN, "probe", "-"], input=source.read_bytes(), capture_output=True)
    assert piped.returncode == 0, piped.stderr
    record = json.loads(piped.stdout)
    assert record["path"] == "-"
    for key in ("width", "height", "fps", "frame_count", "duration", "vfr", "start_time"):
        assert record[key] == from_file[key], key
    assert len(record["audio"]) == 2


def test_probe_of_a_pipe_that_is_no_video_names_stdin(tmp_path):
    piped = subprocess.run([VIDGEN, "probe", "-"], input=b"not a video\n", capture_output=True)
    assert piped.returncode != 0
    line = piped.stderr.decode().strip().splitlines()[-1]
    assert line.startswith("vidgen: error: -:") and "vidgen-probe" not in line, line
