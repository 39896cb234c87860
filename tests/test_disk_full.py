"""A full disk: one line naming the output and what to do, exit 4 (an output error), for one input
as for a batch, whether Python or ffmpeg ran out of space (one split said "No space left on
device (no file)" with exit 1; ffmpeg's ENOSPC came out as a decode or encode failure, exit 3 or 5)."""

from __future__ import annotations

import errno

from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.errors import EncodeError

runner = CliRunner()


def _full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("vidgen: error:")]


def _leftovers(folder) -> list[str]:
    return [path.name for path in folder.rglob("*") if ".vidgen-" in path.name]


def test_split_filling_the_disk_names_the_output_for_one_input_and_a_batch(tmp_path, monkeypatch):
    import vidgen_cli.convert.split as split

    monkeypatch.setattr(split, "write_manifest", _full)  # the frames fit, the manifest after them does not
    a = make_clip(tmp_path / "a.mp4", seconds=0.4)
    b = make_clip(tmp_path / "b.mp4", seconds=0.4)
    one = runner.invoke(app, ["split", str(a), "-o", str(tmp_path / "f") + "/"])
    assert one.exit_code == 4, one.output
    [line] = _errors(one.output)
    assert str(tmp_path / "f") in line and "no space left" in line and "free some space" in line, line
    batch = runner.invoke(app, ["split", str(a), str(b), "-o", str(tmp_path / "out" / "{stem}") + "/"])
    assert batch.exit_code == 4, batch.output
    assert len(_errors(batch.output)) == 2 and all("free some space" in line for line in _errors(batch.output)), batch.output
    assert not _leftovers(tmp_path), _leftovers(tmp_path)


def test_ffmpeg_filling_the_disk_is_an_output_error(tmp_path, monkeypatch):
    from vidgen_cli.io.encode import VideoWriter

    def full(self, *args, **kwargs):
        raise EncodeError(f"ffmpeg could not write {self.output}: [out#0/mp4 @ 0x1] Error writing trailer: No space left on device")

    monkeypatch.setattr(VideoWriter, "encode_external", full)
    frames = tmp_path / "frames"
    split = runner.invoke(app, ["split", str(make_clip(tmp_path / "a.mp4", seconds=0.4)), "-o", str(frames)])
    assert split.exit_code == 0, split.output
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / "x.mp4")])
    assert result.exit_code == 4, result.output
    [line] = _errors(result.output)
    assert str(tmp_path / "x.mp4") in line and "free some space" in line, line


def test_an_unnamed_full_disk_still_says_what_to_do():
    from vidgen_cli.cli.errors import exit_code_for

    assert exit_code_for(OSError(errno.ENOSPC, "No space left on device")) == 4
