"""`vidgen demo`: show what vidgen is for on a generated clip (input | result videos)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter, placement_line, placement_record


@handle_errors
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FOLDER", help="Folder for the demo's files.")] = Path("vidgen-demo"),
    overwrite: opt.Overwrite = False,
    quiet: opt.Quiet = False,
    device: opt.Device = "auto",
) -> None:
    """Show what vidgen does: interpolate (4x slow motion), stylize and predict a generated clip, and render each result beside its input."""
    from vidgen_cli.demo import DemoJob, run_demo
    from vidgen_cli.device import choose, set_threads
    from vidgen_cli.errors import OutputError

    reporter = Reporter(quiet)
    if output.exists():
        if not overwrite:
            raise OutputError(f"{output}: already exists; pass --overwrite or choose another -o")
        shutil.rmtree(output)
    output.mkdir(parents=True)
    placement = choose(device)
    if not placement.is_cuda:
        set_threads()
    reporter.note(placement_line(placement_record(placement)))
    reporter.note(f"making a 3 s test clip and a style image in {output}/, then running three jobs on it")

    def done(job: DemoJob) -> None:
        reporter.note(f"{job.name:>11}: {job.seconds:5.1f} s  {job.description}")
        typer.echo(str(job.side_by_side))  # the file to open, once: on stdout, for a script too

    run_demo(output, placement, reporter.warn, done)
    reporter.note(f"open the *_side_by_side.mp4 files listed: each shows the input on the left and the result on the right; "
                  f"the results alone are beside them in {output}/")
