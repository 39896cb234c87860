"""How `--help` reads: examples at the end of every command, and value names (PATH, N, FPS) where
Typer would print Python types (`<str>`, `<bool>`, `<list[str]>`)."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

EXAMPLES: dict[str, list[str]] = {
    "split": [
        "vidgen split in.mp4 -o frames/                    # PNG frames + manifest.json",
        "vidgen split in.mp4 -o frames/ --format jpg --start 5 --end 12.5",
        "vidgen split in.mp4 -o shots/ --scenes            # one clip per shot",
        "vidgen split videos/ -o frames/ --json            # frames/<name>/ for each video",
    ],
    "stitch": [
        "vidgen stitch frames/ -o out.mp4                  # rate and audio from manifest.json",
        "vidgen stitch frames/ -o out.mp4 --fps 30000/1001 --audio music.m4a --audio-from-start",
        "vidgen stitch frames/ -o out.mp4 --audio take2.wav  # cut where the first frame lies",
        "vidgen stitch frames/ -o - --format nut | ffmpeg -i - -map 0 -c:v libx265 -c:a copy out.mkv",
    ],
    "probe": [
        "vidgen probe in.mp4",
        "vidgen probe clips/*.mov frames/",
    ],
    "interpolate": [
        "vidgen interpolate in.mp4 -o smooth.mp4 --factor 2",
        "vidgen interpolate in.mp4 -o 60fps.mp4 --fps 60 --model fusion",
        "vidgen interpolate in.mp4 -o part.mp4 --factor 4 --start 1:05 --end 1:12",
        "vidgen interpolate frames/ -o frames_x4/ --factor 4",
    ],
    "stylize": [
        "vidgen stylize in.mp4 --style painting.jpg -o out.mp4",
        "vidgen stylize photo.jpg --style painting.jpg -o photo_styled.png",
        "vidgen stylize photos/ --style paintings/ -o 'styled/{stem}.jpg'",
        "vidgen stylize long.mp4 --style s.jpg -o out.mp4 --resume",
    ],
    "predict": [
        "vidgen predict in.mp4 -o longer.mp4 --frames 24",
        "vidgen predict in.mp4 -o next/ --frames 10 --end 4.5 --only-new",
        "vidgen predict in.mp4 -o check/ --frames 10 --at 120 --only-new",
    ],
    "eval": [
        "vidgen eval reference.mp4 result.mp4              # PSNR, SSIM, VMAF",
        "vidgen eval truth/ predicted/ --per-frame --json",
        "vidgen eval in.mp4 part.mp4 --partial --offset 2  # part.mp4 was cut from 2 s",
        "vidgen eval styled.mp4 --flicker                  # temporal warping error",
    ],
    "demo": [
        "vidgen demo                                       # writes vidgen-demo/",
        "vidgen demo -o /tmp/demo --overwrite",
    ],
    "train interpolate": [
        "vidgen train interpolate --data clips/ -o my-interp.pt",
        "vidgen train interpolate --data clips/ -o my-interp.pt --steps 20000 --resume",
    ],
    "train predict": [
        "vidgen train predict --data clips/ -o my-predictor.pt",
        "vidgen train predict --synthetic moving-digits -o digits.pt --steps 500",
    ],
    "train stylize": [
        "vidgen train stylize --data clips/ --style paintings/ -o my-student.pt",
        "vidgen train stylize --data clips/ --style a.jpg --style b.jpg -o s.pt --steps 3000",
    ],
}


def epilog(command: str) -> str:
    """The examples block that ends a command's help (plain lines; no Rich markup in them)."""
    lines = "\n".join(f"  {line}" for line in EXAMPLES[command])
    return f"Examples:\n{lines}"


def _no_type(ctx: Any) -> None:
    return None


def _tidy(param: Any) -> None:
    """Show a value name, never a Python type: flags show nothing, arguments their metavar."""
    if isinstance(param, TyperArgument):
        name = param.metavar or param.name.upper()
        param.display_type_rich = _no_type
        param._usage_display_name = lambda: name if param.required else f"[{name}]"
    elif isinstance(param, TyperOption):
        if param.is_flag:
            param.display_type_rich = _no_type


class _TidyParams:
    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _tidy(param)
        return params


class VidgenCommand(_TidyParams, TyperCommand):
    pass


class VidgenGroup(_TidyParams, TyperGroup):
    pass


def register(app: typer.Typer, name: str, function: Any, full_name: str | None = None) -> None:
    """Add a command with vidgen's help style and its examples."""
    app.command(name, cls=VidgenCommand, epilog=epilog(full_name or name))(function)
