"""`vidgen probe`: what vidgen sees in an input (exact fps, frames, streams, VFR), as JSON on stdout."""

from __future__ import annotations

import json

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import expand_inputs
from vidgen_cli.cli.errors import exit_code_for, handle_errors


@handle_errors
def probe(inputs: opt.ProbeInputs, json_out: opt.ProbeJson = False) -> None:
    """Describe videos, audio files, frame folders or images: one JSON object per input on stdout
    (among several inputs, one that cannot be read gets its path, error and exit code, and the
    next input goes on)."""
    from vidgen_cli.errors import VidgenError
    from vidgen_cli.io.probe import AudioOnlyError
    from vidgen_cli.io.probe import probe as probe_one

    sources, _ = expand_inputs(inputs)
    first_error = 0
    for source in sources:
        try:
            record = probe_one(source).to_json()
        except AudioOnlyError as audio_only:
            record = audio_only.record
        except VidgenError as exc:
            if len(sources) == 1:
                raise  # one input: its one error line, as every command
            code = exit_code_for(exc)  # its one stderr line
            first_error = first_error or code
            record = {"path": source, "error": str(exc), "exit_code": code}
        typer.echo(json.dumps(record))
    raise typer.Exit(first_error)
