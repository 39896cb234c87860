"""`motion stabilize` of a clip with alpha keeps the alpha, warped with the picture (it said
"alpha dropped: this command's frames do not line up one-to-one", though they do)."""

import numpy as np
from conftest import ff, invoke

from vidgen_cli.io.decode import open_input
from vidgen_cli.io.probe import probe


def test_stabilize_warps_the_alpha_with_the_picture(tmp_path):
    alpha = tmp_path / "alpha.webm"  # right half opaque, left half transparent; a small shake
    ff("-f", "lavfi", "-i", "testsrc2=s=128x96:r=10:d=1.2", "-vf",
       "crop=112:84:8+4*sin(n*2.1):6+3*cos(n*1.7),format=yuva420p,geq=lum='p(X,Y)':cb='p(X,Y)':cr='p(X,Y)':a='if(lt(X,56),0,255)'",
       "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", alpha)
    assert probe(alpha).pixels.alpha
    result = invoke("motion", "stabilize", alpha, "-o", tmp_path / "s.webm")
    assert "alpha dropped" not in result.output, result.output
    info = probe(tmp_path / "s.webm")
    assert info.pixels.alpha and info.frame_count == probe(alpha).frame_count
    with open_input(tmp_path / "s.webm") as reader:
        frames = list(reader)
    assert frames[0].shape[2] == 4
    for frame in frames:
        assert frame[30:54, 16:40, 3].mean() < 30 and frame[30:54, 72:96, 3].mean() > 225  # the halves stay where they were


def test_capture_and_stabilize_take_sources_deeper_than_8_bits(tmp_path):
    """A 10-bit clip and a 12-bit ProRes 4444 clip with alpha: `motion capture` and `stabilize`
    crashed in OpenCV's corner finder ("src.type() == CV_8UC1"), which takes 8-bit luma only."""
    shake = "crop=112:84:8+4*sin(n*2.1):6+3*cos(n*1.7)"
    deep = tmp_path / "deep10.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=128x96:r=10:d=1.2", "-vf", shake, "-c:v", "libx264", "-pix_fmt", "yuv420p10le", deep)
    prores = tmp_path / "alpha12.mov"
    ff("-f", "lavfi", "-i", "testsrc2=s=128x96:r=10:d=1.2", "-vf", shake + ",format=yuva444p12le", "-c:v", "prores_ks",
       "-profile:v", "4444", prores)
    for source in (deep, prores):
        result = invoke("motion", "capture", source, "-o", tmp_path / f"{source.stem}.json")
        assert result.exit_code == 0, result.output
        result = invoke("motion", "stabilize", source, "-o", tmp_path / f"{source.stem}-s.mkv")
        assert result.exit_code == 0, result.output
        assert probe(tmp_path / f"{source.stem}-s.mkv").frame_count == probe(source).frame_count
