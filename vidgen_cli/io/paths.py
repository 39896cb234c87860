"""What kind of input a path is, and listing frame folders in natural order."""

from __future__ import annotations

import re
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".y4m", ".nut", ".flv", ".wmv", ".ogv", ".gif"})


def natural_key(path: Path) -> list:
    """Sort '2.png' before '10.png'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: Path) -> list[Path]:
    """The image files directly inside `folder`, in natural order (hidden files skipped)."""
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image_file(p) and not p.name.startswith(".")),
        key=natural_key,
    )
