"""What kind of input a path is, and listing frame folders in natural order (the suffixes are in io/formats.py)."""

from __future__ import annotations

import re
from pathlib import Path

from vidgen_cli.io.formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES


def natural_key(path: Path) -> list:
    """Sort '2.png' before '10.png'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def is_video_file(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def list_images(folder: Path) -> list[Path]:
    """The image files directly inside `folder`, in natural order (hidden files skipped)."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith(".")),
        key=natural_key,
    )
