"""`vidgen probe`: what vidgen sees in an input (exact fps, frames, streams, VFR), as JSON on stdout."""

from __future__ import annotations

import json

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import expand_inputs
from vidgen_cli.cli.errors import handle_errors


@handle_errors
def probe(inputs: opt.ProbeInputs) -> None:
    """Describe videos, frame folders or images: one JSON object per input on stdout."""
    from vidgen_cli.io.probe import probe as probe_one

    sources, _ = expand_inputs(inputs)
    for source in sources:
        typer.echo(json.dumps(probe_one(source).to_json()))
