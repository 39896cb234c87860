"""Defaults vidgen picks on its own are said in one line: an output name without an extension is a
frames folder, a still has no frame rate (25 fps assumed), a still replayed with a motion takes the
motion's frame size."""

from conftest import ff, invoke, make_clip

from vidgen_cli.io.probe import probe

BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


def test_an_output_without_extension_is_said_to_be_a_frames_folder(tmp_path):
    source = make_clip(tmp_path / "in.mp4", seconds=0.4)
    result = invoke("interpolate", source, "-o", tmp_path / "noext", *BLEND)
    lines = [line for line in result.output.splitlines() if "no extension" in line]
    assert len(lines) == 1 and "folder" in lines[0], result.output
    assert (tmp_path / "noext").is_dir()
    result = invoke("interpolate", source, "-o", f"{tmp_path / 'slash'}/", *BLEND)
    assert "no extension" not in result.output


def test_a_still_says_the_rate_it_assumes(tmp_path):
    still = tmp_path / "img.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48", "-frames:v", "1", still)
    out = tmp_path / "o.mp4"
    result = invoke("interpolate", still, "-o", out, *BLEND)
    lines = [line for line in result.output.splitlines() if "no frame rate" in line]
    assert len(lines) == 1 and "25 fps" in lines[0] and "50 fps" in lines[0], result.output
    assert probe(out).fps == 50


def test_replaying_a_still_says_it_takes_the_motions_size(tmp_path):
    clip = make_clip(tmp_path / "pan.mp4", size="96x64", seconds=0.5, extra_video=["-vf", "scroll=h=0.01"])
    invoke("motion", "capture", clip, "-o", tmp_path / "m.json")
    still = tmp_path / "img.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120", "-frames:v", "1", still)
    out = tmp_path / "o.mp4"
    result = invoke("motion", "replay", still, "--motion", tmp_path / "m.json", "-o", out)
    lines = [line for line in result.output.splitlines() if "motion's frame size" in line]
    assert len(lines) == 1 and "160x120" in lines[0] and "96x64" in lines[0], result.output
    assert (probe(out).width, probe(out).height) == (96, 64)


def test_every_command_that_times_a_folder_without_a_manifest_says_the_rate_it_assumes(tmp_path):
    """stylize and predict wrote 25 fps from a folder of numbered frames with no note; only
    interpolate said it. One line, the same for each (cli/transform.source_rate)."""
    folder = tmp_path / "p"
    folder.mkdir()
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.4", folder / "%03d.png")
    style = tmp_path / "style.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=32x32", "-frames:v", "1", style)
    runs = {"interpolate": ("interpolate", folder, "-o", tmp_path / "i.mp4", *BLEND),
            "stylize": ("stylize", folder, "--style", style, "--consistency", "off", "--max-side", "64", "-o", tmp_path / "s.mp4"),
            "predict": ("predict", folder, "--frames", "2", "--model", "copy", "-o", tmp_path / "p.mp4")}
    for name, command in runs.items():
        lines = [line for line in invoke(*command).output.splitlines() if "no frame rate" in line]
        assert len(lines) == 1 and "assuming 25 fps" in lines[0] and "manifest.json" in lines[0], (name, lines)
    assert probe(tmp_path / "s.mp4").fps == 25 and probe(tmp_path / "p.mp4").fps == 25
