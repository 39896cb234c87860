"""What an output container keeps of the source's tags, or says in one line it cannot."""

import pytest
from conftest import ff, invoke

from vidgen_cli.io.probe import probe

BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    """An mkv whose video is tagged limited range, with a titled audio track (language "fre") and a
    titled subtitle track (language "deu")."""
    root = tmp_path_factory.mktemp("tagged")
    (root / "s.srt").write_text("1\n00:00:00,000 --> 00:00:00,400\nhello\n")
    path = root / "src.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-f", "lavfi", "-i", "sine=d=0.4", "-i", root / "s.srt",
       "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-color_range", "tv",
       "-c:a", "aac", "-c:s", "srt", "-metadata:s:a:0", "title=Commentary", "-metadata:s:a:0", "language=fre", "-metadata:s:s:0", "language=deu",
       "-metadata:s:s:0", "title=Deutsch", path)
    return path


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".avi", ".ts", ".nut", ".mkv"])
def test_limited_range_tag_is_kept(tagged, tmp_path, suffix):
    assert probe(tagged).pixels.range == "tv"
    out = tmp_path / f"out{suffix}"
    invoke("interpolate", tagged, "-o", out, *BLEND)
    assert probe(out).pixels.range == "tv"


@pytest.mark.parametrize("suffix", [".ts", ".mp4", ".mov"])
def test_containers_without_stream_titles_say_so(tagged, tmp_path, suffix):
    result = invoke("interpolate", tagged, "-o", tmp_path / f"out{suffix}", *BLEND)
    lines = [line for line in result.output.splitlines() if "stream titles" in line]
    assert len(lines) == 1 and "'Commentary'" in lines[0], result.output


def test_gif_from_a_10_bit_source_says_it_goes_to_8_bit(tmp_path):
    source = tmp_path / "s10.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", source)
    result = invoke("interpolate", source, "-o", tmp_path / "o.gif", *BLEND)
    lines = [line for line in result.output.splitlines() if "10-bit becomes 8-bit" in line]
    assert len(lines) == 1 and "gif" in lines[0] and ".mkv" in lines[0], result.output


@pytest.mark.parametrize("suffix,dropped", [(".mov", ["deu", "fre"]), (".avi", ["fre"]), (".mp4", []), (".mkv", [])])
def test_a_dropped_language_tag_is_named(tagged, tmp_path, suffix, dropped):
    """mov keeps only the ISO codes that have a Macintosh language code ("deu" and "fre" have none);
    avi keeps none (and no subtitles)."""
    out = tmp_path / f"out{suffix}"
    result = invoke("interpolate", tagged, "-o", out, *BLEND)
    lines = [line for line in result.output.splitlines() if "language tag" in line]
    info = probe(out)
    kept = [s.language for s in (*info.audio, *info.subtitles)]
    assert len(lines) == (1 if dropped else 0), result.output
    for code in dropped:
        assert code in lines[0] and code not in kept, result.output
    if not dropped:
        assert {"deu", "fre"} <= set(kept), kept
