"""`split --scenes --start S` judges a flash on the first frame after S as it does without --start:
the flash filter compares the frames after a change with the picture before it, and the decode
started at S had none, so a one-frame white flash at 1.0 s became a one-frame shot (cuts
[1.042, 1.5] where the whole clip gives [1.5])."""

import json

import pytest
from conftest import ff, invoke

from vidgen_cli.io.manifest import read_manifest_if_any
from vidgen_cli.io.probe import probe


@pytest.fixture(scope="module")
def flash(tmp_path_factory):
    """1.5 s of a test pattern with one white frame at 1.0 s (frame 24 of 24 fps), then 1 s of blue: a real cut at 1.5 s."""
    path = tmp_path_factory.mktemp("flash") / "flash.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24:duration=1.5", "-f", "lavfi", "-i", "color=c=blue:size=64x48:rate=24:duration=1",
       "-filter_complex", "[0:v]drawbox=c=white:t=fill:enable='eq(n,24)'[a];[a][1:v]concat=n=2:v=1[v]", "-map", "[v]",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path)
    return path


def cuts_and_counts(source, folder, *args):
    result = invoke("split", source, "-o", folder, "--scenes", "--json", *args)
    shots = sorted(folder.iterdir())
    counts = [len(read_manifest_if_any(s).frames) if s.is_dir() else probe(s).frame_count for s in shots]
    return json.loads(result.stdout.splitlines()[0])["cuts"], counts


def test_the_whole_clip_has_one_cut(flash, tmp_path):
    cuts, counts = cuts_and_counts(flash, tmp_path / "all", "--preset", "ultrafast")
    assert cuts == [pytest.approx(1.5, abs=0.01)] and counts == [36, 24]


@pytest.mark.parametrize("extra", [["--preset", "ultrafast"], ["--format", "png"]], ids=["clips", "frames"])
@pytest.mark.parametrize("span", [["--start", "0.99"], ["--start", "1.0", "--end", "2.0"], ["--start", "0.95"]])
def test_a_flash_right_after_start_is_not_a_shot(flash, tmp_path, extra, span):
    cuts, counts = cuts_and_counts(flash, tmp_path / "s", *span, *extra)
    assert cuts == [pytest.approx(1.5, abs=0.01)], cuts  # was [1.042, 1.5]: the flash alone a shot
    assert counts[0] == 12 + (span[1] == "0.95") and len(counts) == 2, counts
