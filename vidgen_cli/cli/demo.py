"""`vidgen demo`: generate a clip and run the main jobs on it, to check an install end to end."""

from __future__ import annotations

import shutil
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter


@handle_errors
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the demo's files.")] = Path("vidgen-demo"),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing demo folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Make a 3 s clip and a style image, interpolate the clip 2x and stylize it; print the folder."""
    from vidgen_cli.demo import run_demo
    from vidgen_cli.device import choose, set_threads
    from vidgen_cli.errors import OutputError

    reporter = Reporter(quiet)
    if output.exists():
        if not overwrite:
            raise OutputError(f"{output}: already exists; pass --overwrite or choose another -o")
        shutil.rmtree(output)
    output.mkdir(parents=True)
    placement = choose("auto")
    if not placement.is_cuda:
        set_threads()
    with reporter.console.status("running the demo (interpolate 2x, stylize)") if not quiet else nullcontext():
        outputs = run_demo(output, placement, reporter.warn)
    for label, path in outputs.items():
        reporter.note(f"{label:>13}: {path}")
    typer.echo(str(output))
