"""`split --scenes` says how many frames it wrote: the summary (the note and --json's `frames`)
is the sum of the shots' frames, in every container, with and without --start/--end."""

import json
import subprocess

import pytest
from conftest import decode_all

from vidgen_cli.io import ffmpeg


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two 2 s scenes with a cut at 2.0 s, at 24 fps, with B-frames and audio, as .ts; remuxed to .mkv and .mp4."""
    root = tmp_path_factory.mktemp("shots")
    ts = root / "t.ts"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=24:d=2", "-f", "lavfi",
                    "-i", "testsrc=s=64x48:r=24:d=2", "-f", "lavfi", "-i", "sine=d=4", "-filter_complex",
                    "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset", "medium",
                    "-c:a", "aac", str(ts)], check=True)
    out = {".ts": ts}
    for suffix in (".mkv", ".mp4"):
        out[suffix] = root / f"t{suffix}"
        subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(ts), "-c", "copy", str(out[suffix])], check=True)
    return out


@pytest.mark.parametrize("suffix", [".ts", ".mkv", ".mp4"])
@pytest.mark.parametrize("span", [(), ("--end", "3.3"), ("--start", "0.7", "--end", "3.1")])
def test_the_scenes_summary_counts_the_frames_written(tmp_path, sources, suffix, span):
    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app

    out = tmp_path / "shots"
    result = CliRunner().invoke(app, ["split", str(sources[suffix]), "-o", f"{out}/", "--scenes", "--json", "-q", *span])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    shots = sorted(out.iterdir())
    assert len(shots) == 2 and record["cuts"], record
    written = sum(len(decode_all(shot)) for shot in shots)
    assert record["frames"] == written, (record, [len(decode_all(shot)) for shot in shots])
