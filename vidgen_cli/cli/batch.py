"""Expand the inputs of a command into jobs (one input, one output) and run them one by one.

One input gives one job with OUTPUT as given. Several inputs, a glob, or a folder whose entries
are videos or frame folders make a batch: OUTPUT is then a folder (each input keeps its name) or a
template such as '{stem}_styled.mp4'. One failing input is reported and the batch goes on unless
--fail-fast; the exit code is 0 only if every input succeeded.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidgen_cli.cli.errors import exit_code_for
from vidgen_cli.cli.report import Reporter
from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.paths import is_image_file, is_video_file, natural_key


@dataclass
class Job:
    input: str
    output: str


def _is_frames_folder(path: Path) -> bool:
    return path.is_dir() and any(is_image_file(p) for p in path.iterdir() if p.is_file())


def _batch_entries(folder: Path) -> list[Path]:
    entries = sorted(folder.iterdir(), key=natural_key)
    return [p for p in entries if not p.name.startswith(".") and
            ((p.is_file() and is_video_file(p)) or _is_frames_folder(p))]


def expand_inputs(inputs: list[str]) -> tuple[list[str], bool]:
    """The concrete inputs, and whether this is a batch."""
    if not inputs:
        raise UsageError("no input given; pass a video, a frames folder, a folder of those, or -")
    expanded: list[str] = []
    batch = len(inputs) > 1
    for item in inputs:
        if item == "-" or os.path.exists(item):
            path = Path(item)
            if item != "-" and path.is_dir() and not _is_frames_folder(path):
                entries = _batch_entries(path)
                if not entries:
                    raise InputError(f"{item}: the folder holds no images, videos or frame folders; pass a video or a folder of frames")
                expanded.extend(str(e) for e in entries)
                batch = True
            else:
                expanded.append(item)
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item), key=lambda p: natural_key(Path(p)))
            if not matches:
                raise InputError(f"{item}: the pattern matches no files")
            expanded.extend(matches)
            batch = True
        else:
            raise InputError(f"{item}: no such file or folder; check the path")
    if batch and "-" in expanded:
        raise UsageError("- (stdin) cannot be combined with other inputs")
    return expanded, batch


def output_for(source: str, output: str, batch: bool, suffix_for: Callable[[str], str]) -> str:
    """Where one input's result goes. `suffix_for(input)` gives the extension ('' for a folder)."""
    if not batch:
        return output
    path = Path(source)
    stem = path.stem if path.is_file() else path.name
    if "{" in output:
        try:
            return output.format(stem=stem, name=path.name, ext=suffix_for(source).lstrip("."))
        except (KeyError, IndexError, ValueError) as exc:
            raise UsageError(f"-o {output}: bad template ({exc}); use {{stem}}, {{name}} or {{ext}}") from None
    if output == "-":
        raise UsageError("several inputs cannot all be written to stdout; give -o a folder")
    return str(Path(output) / f"{stem}{suffix_for(source)}")


def run_jobs(inputs: list[str], output: str, reporter: Reporter, work: Callable[[Job], dict[str, Any]],
             suffix_for: Callable[[str], str], skip_existing: bool = False, fail_fast: bool = False) -> int:
    """Run `work` for each input; returns the exit code for the whole command."""
    sources, batch = expand_inputs(inputs)
    if batch and "{" not in output:
        if Path(output).exists() and not Path(output).is_dir():
            raise UsageError(f"-o {output}: several inputs need a folder or a {{stem}} template as output")
        Path(output).mkdir(parents=True, exist_ok=True)
    succeeded = failed = skipped = 0
    first_error = 0
    for source in sources:
        destination = output_for(source, output, batch, suffix_for)
        if skip_existing and destination != "-" and os.path.exists(destination):
            skipped += 1
            reporter.emit({"input": source, "output": destination, "skipped": True})
            continue
        started = time.monotonic()
        try:
            record = work(Job(source, destination))
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - reported per input, the batch goes on
            from vidgen_cli.cli.errors import debug

            if debug() or not batch:
                raise
            failed += 1
            code = exit_code_for(exc)
            first_error = first_error or code
            reporter.emit({"input": source, "output": destination, "error": str(exc), "exit_code": code})
            if fail_fast:
                break
            continue
        succeeded += 1
        record = {"input": source, "output": destination, **record, "seconds": round(time.monotonic() - started, 3)}
        reporter.emit(record)
    if batch:
        reporter.emit({"summary": True, "succeeded": succeeded, "failed": failed, "skipped": skipped})
        if failed:
            reporter.note(f"{failed} of {len(sources)} inputs failed")
    return first_error
