"""`vidgen demo`: generate a clip and run the main jobs on it, to check an install end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter


@handle_errors
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the demo's files.")] = Path("vidgen-demo"),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Reuse an existing demo folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Make a 3 s clip, split it, stitch it back, and say where the results are."""
    from vidgen_cli.demo import make_demo_clip
    from vidgen_cli.errors import OutputError
    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.io.probe import probe
    from vidgen_cli.pipelines.split import SplitOptions, split_frames
    from vidgen_cli.pipelines.stitch import stitch

    reporter = Reporter(quiet)
    if output.exists() and not overwrite:
        raise OutputError(f"{output}: already exists; pass --overwrite or choose another -o")
    output.mkdir(parents=True, exist_ok=True)
    clip = make_demo_clip(output / "input.mp4")
    frames = output / "frames"
    info = probe(clip)
    split_frames(info, frames, SplitOptions()) if not frames.exists() else None
    if frames.exists() and overwrite:
        split_frames(info, frames, SplitOptions())
    result = stitch(frames, str(output / "stitched.mp4"), None, EncodeOptions(), warn=reporter.warn) if not (output / "stitched.mp4").exists() or overwrite else None
    reporter.note(f"demo input: {clip} ({info.frame_count} frames, {float(info.fps):.2f} fps, audio: {info.has_audio})")
    reporter.note(f"split -> {frames}/ ; stitch -> {output / 'stitched.mp4'}" + (f" ({result.frames} frames)" if result else ""))
    typer.echo(str(output))
