"""A file cut short: the frame count probe prints and warns about is the count that decodes."""

import re

import pytest
from conftest import decode_all, ff, invoke

from vidgen_cli.io.probe import probe


@pytest.mark.parametrize("suffix,percent", [(".mp4", 60), (".mp4", 45), (".mkv", 60), (".mov", 70)])
def test_truncated_frame_count_matches_what_decodes(tmp_path, suffix, percent):
    whole = tmp_path / f"whole{suffix}"
    ff("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264",
       "-c:a", "aac", "-shortest", "-movflags", "+faststart", whole)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * percent // 100])
    info = probe(cut)
    decoded = len(decode_all(cut))
    assert info.ends_early and info.frame_count == decoded, (info.frame_count, decoded)
    result = invoke("split", cut, "-o", f"{tmp_path / 'f'}/")
    warned = re.search(r"using the (\d+) frames", result.output)
    assert warned and int(warned.group(1)) == decoded, result.output
    assert len(list((tmp_path / "f").glob("*.png"))) == decoded
