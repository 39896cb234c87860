"""`vidgen probe`: what vidgen sees in an input (exact fps, frames, streams, VFR), as JSON on stdout."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import expand_inputs
from vidgen_cli.cli.errors import exit_code_for, handle_errors
from vidgen_cli.errors import UsageError, VidgenError


@handle_errors
def probe(inputs: opt.ProbeInputs, json_out: opt.ProbeJson = False) -> None:
    """Describe videos, audio files, frame folders or images: one JSON object per input on stdout
    (among several inputs, one that cannot be read gets its path, error and exit code, and the
    next input goes on)."""
    from vidgen_cli.io.probe import AudioOnlyError
    from vidgen_cli.io.probe import probe as probe_one

    if "-" in inputs and len(inputs) > 1:
        raise UsageError("- (stdin) cannot be combined with other inputs")
    from vidgen_cli.cli.report import Reporter

    warn = Reporter().warn  # what a folder's expansion leaves out (images beside videos, videos in subfolders)
    sources: list[tuple[str, VidgenError | None]] = []
    for item in inputs:  # a missing path is one failed input among several, as an unreadable file is
        try:
            sources += [(source, None) for source in expand_inputs([item], warn=warn)[0]]
        except VidgenError as exc:
            if len(inputs) == 1:
                raise
            sources.append((item, exc))
    first_error, failed = 0, 0
    for source, error in sources:
        try:
            if error is not None:
                raise error
            record = _probe_stdin(probe_one) if source == "-" else probe_one(source).to_json()
        except AudioOnlyError as audio_only:
            record = audio_only.record
        except VidgenError as exc:
            if len(sources) == 1:
                raise  # one input: its one error line, as every command
            code = exit_code_for(exc)  # its one stderr line
            first_error, failed = first_error or code, failed + 1
            record = {"path": source, "error": str(exc), "exit_code": code}
        typer.echo(json.dumps(record))
    if json_out:  # the last line, as every command's --json
        typer.echo(json.dumps({"summary": True, "succeeded": len(sources) - failed, "failed": failed, "skipped": 0}))
    raise typer.Exit(first_error)


@contextmanager
def spooled_stdin() -> Iterator[str]:
    """stdin copied to a temporary file named 'stdin' (in 1 MiB chunks: memory stays flat), removed
    afterwards: counting a stream's frames, reading its timing or finding its shots needs the whole
    stream, read twice."""
    folder = Path(tempfile.mkdtemp(prefix="vidgen-probe-"))
    try:
        spool = folder / "stdin"
        with spool.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        yield str(spool)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _probe_stdin(probe_one: Callable[[str], Any]) -> dict:
    """The record of the stream piped to stdin, read to its end first; its path and errors say '-'."""
    from vidgen_cli.io.probe import AudioOnlyError

    with spooled_stdin() as spool:
        try:
            record = _probe_spool(probe_one, spool)
        except AudioOnlyError as exc:
            exc.record["path"] = "-"
            raise
        except VidgenError as exc:
            exc.args = tuple(str(arg).replace(spool, "-") for arg in exc.args)
            raise
    record["path"] = "-"
    return record


def _probe_spool(probe_one: Callable[[str], Any], spool: str) -> dict:
    """The spooled stream's record; a still image (which ffmpeg reads as an image only under an
    image extension) is described as the image it is, or refused in words that fit a pipe."""
    from vidgen_cli.io.formats import IMAGE_SUFFIXES
    from vidgen_cli.io.probe import StillImageError

    try:
        return probe_one(spool).to_json()
    except StillImageError as exc:
        suffix = {"jpeg": ".jpg", "tiff": ".tif"}.get(exc.kind, f".{exc.kind}")
        if suffix not in IMAGE_SUFFIXES:
            raise UsageError(f"-: is a still image ({exc.kind}) that vidgen does not read as an image; convert it to PNG "
                             "(e.g. ffmpeg -i - frame.png) and pass the file") from None
        named = Path(spool).with_name(f"stdin{suffix}")
        Path(spool).rename(named)
        return probe_one(str(named)).to_json()
