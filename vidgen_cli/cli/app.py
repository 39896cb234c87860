"""The root Typer app. Command modules are imported here, but none of them imports torch at module
level, so `vidgen --help` stays fast."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vidgen_cli import __version__
from vidgen_cli.cli import train_interpolate, train_predict, train_stylize
from vidgen_cli.cli.demo import demo
from vidgen_cli.cli.interpolate import interpolate
from vidgen_cli.cli.motion import motion_app
from vidgen_cli.cli.predict import predict
from vidgen_cli.cli.probe import probe
from vidgen_cli.cli.split import split
from vidgen_cli.cli.stitch import stitch
from vidgen_cli.cli.stylize import stylize

app = typer.Typer(
    name="vidgen",
    help="Split videos into frames, change or generate frames with small PyTorch models, stitch them back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
train_app = typer.Typer(help="Train the models vidgen ships (weights land in a .pt file with a .json beside it).", no_args_is_help=True)

app.command()(split)
app.command()(stitch)
app.command()(probe)
app.command()(stylize)
app.command()(interpolate)
app.command()(predict)
app.command()(demo)
train_app.command("interpolate")(train_interpolate.command)
train_app.command("predict")(train_predict.command)
train_app.command("stylize")(train_stylize.command)
app.add_typer(train_app, name="train")
app.add_typer(motion_app, name="motion")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vidgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = None) -> None:
    """vidgen: video frames in, video frames out."""


def main() -> None:
    app(prog_name="vidgen")
