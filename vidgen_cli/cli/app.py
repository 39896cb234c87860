"""The root Typer app. Command modules are imported here, but none of them imports torch at module
level, so `vidgen --help` stays fast."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vidgen_cli import __version__
from vidgen_cli.cli import train_interpolate, train_predict, train_stylize
from vidgen_cli.cli.demo import demo
from vidgen_cli.cli.eval import evaluate
from vidgen_cli.cli.help import VidgenGroup, register
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
    cls=VidgenGroup,
)
train_app = typer.Typer(help="Train the models vidgen ships (weights land in a .pt file with a .json beside it).",
                        no_args_is_help=True, cls=VidgenGroup)

for _name, _function in (("split", split), ("stitch", stitch), ("probe", probe), ("stylize", stylize),
                         ("interpolate", interpolate), ("predict", predict), ("demo", demo)):
    register(app, _name, _function)
register(app, "eval", evaluate)
register(train_app, "interpolate", train_interpolate.command, "train interpolate")
register(train_app, "predict", train_predict.command, "train predict")
register(train_app, "stylize", train_stylize.command, "train stylize")
app.add_typer(train_app, name="train")
app.add_typer(motion_app, name="motion")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vidgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = None) -> None:
    """vidgen: video frames in, video frames out."""


def main(args: list[str] | None = None) -> None:
    """Run the CLI. Parse errors (a bad value, a missing argument, an unknown command or option)
    print one line naming the command and how to get help, and exit with the usage code 2,
    like every other usage error; Typer's own boxed message is several lines long."""
    import sys

    from typer import _click as click
    from typer.main import get_command

    from vidgen_cli.runtime import interrupt

    interrupt.install()
    command = get_command(app)
    try:
        code = command.main(args=args, prog_name="vidgen", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError:
        # `vidgen` (or `vidgen train`) without a command: Typer has printed the help; a missing
        # command is a usage error (exit 2), as in Click and git, so `vidgen && ...` does not go on.
        sys.exit(2)
    except click.exceptions.UsageError as error:
        where = error.ctx.command_path if error.ctx is not None else "vidgen"
        message = " ".join(error.format_message().split())
        click.echo(f"{where}: {message} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.exceptions.ClickException as error:
        click.echo(f"vidgen: {' '.join(error.format_message().split())}", err=True)
        sys.exit(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):  # (typer's click has no exceptions.Abort: naming it broke every other exception)
        interrupt.clean_up()
        name = interrupt.signal_name()
        click.echo(f"vidgen: stopped by {name}" if name else "vidgen: interrupted", err=True)
        sys.exit(interrupt.exit_status())
    except BrokenPipeError as error:  # `vidgen --help | head`: the reader went away; nothing left to say
        from vidgen_cli.cli.errors import BROKEN_PIPE, quiet_broken_pipe

        quiet_broken_pipe(error)
        sys.exit(BROKEN_PIPE)
    sys.exit(code if isinstance(code, int) else 0)
