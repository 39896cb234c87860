"""Warnings and refusals that are true for the run at hand: constant-rate pipes are not said to be
resampled, an opaque GIF has no alpha to drop, a piped 10-bit stream is written as the 8-bit it
was decoded to, a file in the way of a folder output is refused before any work, a template
output names new folders for one input as for several, a Ctrl-C names the command that ran."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ff, invoke
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.banner import parse_header
from vidgen_cli.io.probe import probe

VIDGEN = str(Path(sys.executable).with_name("vidgen"))
BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def piped(source: Path) -> bytes:
    return subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(source), "-map", "0", "-c", "copy", "-f", "matroska", "-"],
                          capture_output=True, check=True).stdout


def test_a_constant_rate_pipe_into_y4m_is_not_said_to_be_resampled(tmp_path):
    constant, vfr = tmp_path / "c.mp4", tmp_path / "v.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast", constant)
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=30:d=1", "-vf", "select=not(eq(mod(n\\,4)\\,1))", "-fps_mode", "vfr",
       "-c:v", "libx264", "-preset", "ultrafast", vfr)
    for source, said in ((constant, False), (vfr, True)):
        result = subprocess.run([VIDGEN, "interpolate", "-", "-o", "-", "--format", "y4m", *BLEND], input=piped(source),
                                capture_output=True)
        assert result.returncode == 0, result.stderr
        lines = [line for line in result.stderr.decode().splitlines() if "holds only a constant frame rate" in line]
        assert len(lines) == (1 if said else 0), result.stderr


def test_an_opaque_gif_has_no_alpha_to_drop(tmp_path):
    opaque, holed = tmp_path / "o.gif", tmp_path / "t.gif"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5", opaque)
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,20),0,255)',"
       "split[a][b];[a]palettegen[p];[b][p]paletteuse", holed)
    assert not probe(opaque).pixels.alpha and probe(holed).pixels.alpha
    for suffix in (".gif", ".mp4"):
        result = invoke("interpolate", opaque, "-o", tmp_path / f"a{suffix}", *BLEND)
        assert "alpha" not in result.output, result.output
    result = invoke("interpolate", holed, "-o", tmp_path / "b.gif", *BLEND)
    lines = [line for line in result.output.splitlines() if "alpha dropped" in line]
    assert len(lines) == 1 and "transparency" in lines[0], result.output


def test_a_piped_10_bit_stream_is_written_as_the_8_bits_it_was_decoded_to(tmp_path):
    source = tmp_path / "d10.y4m"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-pix_fmt", "yuv422p10le", "-strict", "-1", source)
    out = tmp_path / "o.mkv"
    result = subprocess.run([VIDGEN, "interpolate", "-", "-o", out, *BLEND], input=source.read_bytes(), capture_output=True)
    assert result.returncode == 0 and "10-bit depth dropped" in result.stderr.decode(), result.stderr
    assert probe(out).pixels.bit_depth == 8


@pytest.mark.parametrize("command", [("interpolate", *BLEND), ("split",)])
def test_a_file_in_the_way_of_a_folder_output_is_refused_before_work(tmp_path, command):
    source = tmp_path / "in.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-c:v", "libx264", "-preset", "ultrafast", source)
    (tmp_path / "f").write_text("x")
    result = run(command[0], source, "-o", f"{tmp_path / 'f'}/", "--overwrite", *command[1:])
    assert result.exit_code == 4 and "in the way" in result.output and " frames (" not in result.output, result.output
    assert (tmp_path / "f").read_text() == "x" and not list(tmp_path.glob(".f*"))


def test_a_template_output_creates_its_folder_for_one_input(tmp_path):
    source = tmp_path / "in.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-c:v", "libx264", "-preset", "ultrafast", source)
    invoke("interpolate", source, "-o", str(tmp_path / "tpl" / "{stem}_x.mkv"), *BLEND)
    assert probe(tmp_path / "tpl" / "in_x.mkv").frame_count == 20


@pytest.mark.parametrize("command,name", [(("interpolate", *BLEND), "interpolate"), (("motion", "stabilize"), "motion stabilize")])
def test_ctrl_c_names_the_command_that_ran(tmp_path, monkeypatch, command, name):
    import vidgen_cli.runtime.job as job

    def interrupted(*args, **kwargs):  # after saving work for --resume (without it, nothing is said to be kept)
        from vidgen_cli.runtime.resume import work_folder

        work_folder(tmp_path / "o.mp4").mkdir()
        (work_folder(tmp_path / "o.mp4") / "state.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(job, "run_job", interrupted)
    source = tmp_path / "in.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-c:v", "libx264", "-preset", "ultrafast", source)
    args = [*command[:2], source, "-o", tmp_path / "o.mp4", *command[2:]] if command[0] == "motion" else \
        [command[0], source, "-o", tmp_path / "o.mp4", *command[1:]]
    result = run(*args)
    assert result.exit_code == 130, result.output
    line = result.output.strip().splitlines()[-1]
    assert f"{name} kept its finished work" in line and "--resume" in line, line
    assert all(other not in line for other in ("stylize", "predict", "interpolate") if other != name.split()[-1]), line
