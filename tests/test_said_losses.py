"""Lines for what an output cannot keep: a Y4M file's colour tags, predict --only-new's sound."""

from conftest import ff, invoke, make_clip


def test_y4m_of_a_bt709_source_says_the_matrix_is_not_kept(tmp_path):
    source = tmp_path / "full709.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5", "-vf", "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuvj420p", "-colorspace", "bt709", "-color_primaries", "bt709",
       "-color_trc", "bt709", "-color_range", "pc", source)
    result = invoke("interpolate", source, "-o", tmp_path / "o.y4m", "--model", "blend")
    lines = [line for line in result.output.splitlines() if "y4m cannot tag colour" in line]
    assert len(lines) == 1 and "bt709" in lines[0], result.output
    plain = make_clip(tmp_path / "plain.mp4", seconds=0.5)  # untagged: nothing to say
    assert "cannot tag colour" not in invoke("interpolate", plain, "-o", tmp_path / "p.y4m", "--model", "blend").output


def test_predict_only_new_says_the_audio_is_not_written(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", seconds=0.5, audio=True)
    result = invoke("predict", clip, "-o", tmp_path / "new.mp4", "--frames", "2", "--only-new", "--model", "copy")
    assert len([line for line in result.output.splitlines() if "--only-new" in line and "audio" in line]) == 1, result.output
    result = invoke("predict", clip, "-o", tmp_path / "quiet.mp4", "--frames", "2", "--only-new", "--model", "copy", "--no-audio")
    assert "--only-new" not in result.output


def test_stylize_help_says_what_strength_zero_gives():
    """--strength 0 is the Magenta network's rendering of the content in its own style vector (27-30
    grey levels from the photo, red turned blue on golden_gate), not "the content's own look"."""
    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app

    text = " ".join(CliRunner().invoke(app, ["stylize", "--help"], env={"COLUMNS": "400"}).output.split())
    assert "keeps the content's own look" not in text and "not the original" in text, text
