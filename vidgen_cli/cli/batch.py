"""Expand the inputs of a command into jobs (one input, one output) and run them one by one.

One input gives one job with OUTPUT as given. Several inputs, a glob, or a folder whose entries
are videos or frame folders make a batch: OUTPUT is then a folder (each input keeps its name) or a
template such as '{stem}_styled.mp4'. One failing input is reported and the batch goes on unless
--fail-fast; the exit code is 0 only if every input succeeded.
"""

from __future__ import annotations

import glob
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidgen_cli.cli.errors import disk_full, exit_code_for
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


def _mixed_folder(folder: Path) -> tuple[list[Path], list[Path]] | None:
    """A folder (without manifest.json) that holds videos beside images: (videos, images), the
    videos being the batch. None for a frames folder (only images, or a manifest)."""
    if (folder / "manifest.json").exists():
        return None
    files = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")), key=natural_key)
    videos = [p for p in files if is_video_file(p)]
    images = [p for p in files if is_image_file(p)]
    return (videos, images) if videos and images else None


def _names(paths: list[Path], most: int = 3) -> str:
    shown = ", ".join(p.name for p in paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


def _videos_in_subfolders(folder: Path, entries: list[Path]) -> list[Path]:
    """The videos under `folder`'s subfolders (hidden ones and the frame folders already in the
    batch aside) that a batch over the folder does not include."""
    taken = {p.resolve() for p in entries}
    found: list[Path] = []
    for sub in sorted(folder.iterdir(), key=natural_key):
        if not sub.is_dir() or sub.name.startswith(".") or sub.resolve() in taken:
            continue
        for root, dirs, names in os.walk(sub):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(".vidgen-resume"))
            found += [Path(root) / n for n in sorted(names) if not n.startswith(".") and is_video_file(Path(n))]
    return found


def _folder_notes(item: str, entries: list[Path], images: list[Path], warn: Callable[[str], None]) -> None:
    """One line for each thing a batch over folder `item` leaves out: images beside its videos,
    videos in its subfolders."""
    if images:
        warn(f"{item}: holds videos and images; taking its {len(entries)} video(s){' and frame folder(s)' if any(e.is_dir() for e in entries) else ''}, "
             f"skipping {len(images)} image(s) ({_names(images)}); pass images (or a folder of frames) as inputs of their own")
    if nested := _videos_in_subfolders(Path(item), entries):
        example = os.path.join(item, "**", "*" + nested[0].suffix)
        where = ", ".join(str(p.relative_to(item)) for p in nested[:3]) + (f" and {len(nested) - 3} more" if len(nested) > 3 else "")
        warn(f"{item}: {len(nested)} video(s) in subfolders not included ({where}); pass them too, e.g. '{example}'")


def _photos(folder: Path, named: bool = False) -> list[Path] | None:
    """The images of a folder that is a set of photos rather than frames of one video: no
    manifest.json, and either not all the same size or `named` (the output is a {stem} template,
    so each image keeps its name). None for a frames folder."""
    from vidgen_cli.io.imagesize import image_size
    from vidgen_cli.io.paths import list_images

    if (folder / "manifest.json").exists():
        return None
    images = list_images(folder)
    if named:
        return images
    sizes = {image_size(p) for p in images}
    return images if len(sizes) > 1 and None not in sizes else None  # an unreadable header: let probe name it


def expand_inputs(inputs: list[str], photos: bool = False, named: bool = False,
                  warn: Callable[[str], None] | None = None) -> tuple[list[str], bool]:
    """The concrete inputs, and whether this is a batch. With `photos`, a folder of images of
    different sizes (or any folder of images without manifest.json when `named`: the output is a
    {stem} template) is a batch of single images, not one frames folder. A folder that holds
    videos beside images is a batch of its videos (and, with `photos`, of its images). `warn` gets one line for what a folder's batch
    leaves out (its images, videos in its subfolders)."""
    if not inputs:
        raise UsageError("no input given; pass a video, a frames folder, a folder of those, or -")
    expanded: list[str] = []
    batch = len(inputs) > 1
    for item in inputs:
        if item == "-" or os.path.exists(item):
            path = Path(item)
            mixed = _mixed_folder(path) if item != "-" and path.is_dir() else None
            images = _photos(path, named) if photos and not mixed and item != "-" and _is_frames_folder(path) else None
            if images:
                expanded.extend(str(p) for p in images)
                batch = True
            elif item != "-" and path.is_dir() and (mixed or not _is_frames_folder(path)):
                entries = _batch_entries(path)
                if not entries:
                    raise InputError(f"{item}: the folder holds no images, videos or frame folders; pass a video or a folder of frames")
                skipped = mixed[1] if mixed and not photos else []  # a command that takes photos takes them too
                if warn is not None:
                    _folder_notes(item, entries, skipped, warn)
                expanded.extend(str(e) for e in entries)
                if mixed and photos:
                    expanded.extend(str(p) for p in mixed[1])
                batch = True
            else:
                expanded.append(item)
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True), key=lambda p: natural_key(Path(p)))  # '**' spans subfolders
            if not matches:
                raise InputError(f"{item}: the pattern matches no files")
            expanded.extend(matches)
            batch = True
        else:
            raise InputError(f"{item}: no such file or folder; check the path")
    if batch and "-" in expanded:
        raise UsageError("- (stdin) cannot be combined with other inputs")
    return expanded, batch


# The fields of an output template; any other brace is a literal character of the path ('Proj {2024}/'),
# and '{{' or '}}' stands for one brace.
TEMPLATE_FIELDS = ("stem", "name", "ext")
_FIELD = re.compile(r"\{\{|\}\}|\{(" + "|".join(TEMPLATE_FIELDS) + r")\}")


def is_template(output: str) -> bool:
    """Whether `output` names a template field ({stem}, {name}, {ext}) and so is filled per input."""
    return any(found.group(1) for found in _FIELD.finditer(output))


def fill_template(output: str, source: str) -> str:
    """`output` with {stem} (the input's name without its extension; a folder's name), {name} (with
    it) and {ext} (the input file's extension without the dot; '' for a folder or stdin) filled in."""
    path = Path(source)
    is_file = source != "-" and path.is_file()
    values = {"stem": "stdin" if source == "-" else path.stem if is_file else path.name,
              "name": "stdin" if source == "-" else path.name, "ext": path.suffix.lstrip(".") if is_file else ""}
    return _FIELD.sub(lambda found: values[found.group(1)] if found.group(1) else found.group(0)[0], output)


def output_for(source: str, output: str, batch: bool, suffix_for: Callable[[str], str]) -> str:
    """Where one input's result goes. `suffix_for(input)` gives the extension ('' for a folder).
    A template ({stem}...) is filled for one input as for several."""
    if not batch and not is_template(output):
        return output
    path = Path(source)
    stem = "stdin" if source == "-" else path.stem if path.is_file() else path.name
    if is_template(output):
        return fill_template(output, source)
    if output == "-":
        raise UsageError("several inputs cannot all be written to stdout; give -o a folder")
    return str(Path(output) / f"{stem}{suffix_for(source)}")


def refuse_shared_outputs(sources: list[str], output: str, batch: bool, suffix_for: Callable[[str], str]) -> None:
    """Refuse, before any work, a batch in which two inputs would write the same output (a.mp4
    and a.mkv into 'out/{stem}.mp4', or into one frames folder out/a/): the second would replace
    the first. The line names the inputs and a template that keeps them apart, where one does."""
    if not batch or output == "-":
        return

    def collisions(template: str) -> dict[str, list[str]]:
        seen: dict[str, dict[str, str]] = {}  # output -> {the input's real path: the input as given}
        for source in sources:
            where = os.path.normcase(os.path.abspath(output_for(source, template, True, suffix_for)))
            seen.setdefault(where, {}).setdefault(os.path.realpath(source), source)
        return {where: list(given.values()) for where, given in seen.items() if len(given) > 1}

    shared = collisions(output)
    if not shared:
        return
    names = next(iter(shared.values()))
    clash = " and ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    more = f" (and {len(shared) - 1} more such outputs)" if len(shared) > 1 else ""
    if is_template(output):
        tried = [output.replace("{stem}", "{stem}_{ext}", 1), output.replace("{stem}", "{name}", 1)]
    else:  # a folder: each input's name in it, or (frames folders) its whole name
        tried = [os.path.join(output, "{name}") + "/"] if {suffix_for(s) for s in names} == {""} else []
    fix = next((t for t in tried if t != output and not collisions(t)), None)
    advice = f"use a template that keeps them apart, e.g. -o '{fix}'" if fix else "run them separately or give each its own output"
    raise UsageError(f"-o {output}: {clash} would {'both' if len(names) == 2 else 'all'} be written to {output_for(names[0], output, True, suffix_for)}{more}; "
                     f"nothing was done: {advice}")


def make_folders(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; returns the folders this created, deepest first."""
    missing = []
    for ancestor in (folder, *folder.parents):
        if ancestor.exists() or ancestor == ancestor.parent:
            break
        missing.append(ancestor)
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove folders (deepest first) that make_folders created, while they are empty; never raises."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def parse_shard(shard: str | None) -> tuple[int, int] | None:
    """'K/N' (1 <= K <= N) -> (K, N); None stays None."""
    if shard is None:
        return None
    try:
        k, n = (int(part) for part in shard.split("/"))
    except ValueError:
        raise UsageError(f"--shard {shard}: use K/N, e.g. --shard 2/8 for the second of eight workers") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard {shard}: K must be between 1 and N (got {k} of {n})")
    return k, n


def shard_of(sources: list[str], shard: tuple[int, int] | None) -> list[str]:
    """This worker's inputs: every N-th of the naturally sorted list, starting at the K-th, so
    workers given the same inputs split them the same way, whatever order they were listed in."""
    if shard is None:
        return sources
    k, n = shard
    ordered = sorted(dict.fromkeys(sources), key=lambda s: natural_key(Path(s)))
    mine = set(ordered[k - 1 :: n])
    return [s for s in sources if s in mine]


def run_jobs(inputs: list[str], output: str, reporter: Reporter, work: Callable[[Job], dict[str, Any]],
             suffix_for: Callable[[str], str], skip_existing: bool = False, fail_fast: bool = False,
             photos: bool = False, summary: dict[str, Any] | None = None, shard: str | None = None) -> int:
    """Run `work` for each input; returns the exit code for the whole command. With --json the
    last line is a summary object (with `summary` merged in), for one input as for many.

    With `shard` ('K/N'), only this worker's part of the inputs, each claimed first (see
    vidgen_cli.runtime.claims) so that workers sharing the output never process one input twice."""
    from vidgen_cli.runtime.claims import try_claim

    part = parse_shard(shard)
    sources, batch = expand_inputs(inputs, photos, named=is_template(output), warn=reporter.warn)
    refuse_shared_outputs(sources, output, batch, suffix_for)  # every worker's inputs: shards share the outputs
    sources = shard_of(sources, part)
    if batch and not is_template(output):
        file_like = (is_image_file(Path(output)) or is_video_file(Path(output))) and not Path(output).is_dir()
        if (Path(output).exists() and not Path(output).is_dir()) or file_like:
            albums = [i for i in inputs if photos and os.path.isdir(i) and _photos(Path(i))]
            why = (f"{albums[0]} holds images of different sizes, so each is processed on its own (the frames of a video "
                   "share one size); " if albums else "")
            raise UsageError(f"-o {output}: {why}several inputs need a folder or a template such as 'out/{{stem}}.png' as output")
        made = make_folders(Path(output))
    else:
        made = []
    succeeded = failed = skipped = 0
    first_error = 0
    for source in sources:
        destination = output_for(source, output, batch, suffix_for)
        if skip_existing and destination != "-" and os.path.exists(destination):
            skipped += 1
            reporter.emit({"input": source, "output": destination, "skipped": True})
            continue
        made_here = make_folders(Path(destination).parent) if is_template(output) and destination != "-" else []  # a template may name new folders
        claim = None
        if part is not None and destination != "-":
            claim, why = try_claim(destination)
            if claim is None:
                skipped += 1
                reporter.emit({"input": source, "output": destination, "skipped": True, "reason": why})
                continue
        started = time.monotonic()
        try:
            record = work(Job(source, destination))
        except KeyboardInterrupt:
            if claim is not None:
                claim.release(done=False)
            remove_empty(made_here)  # kept work (a resume) keeps its folder
            raise
        except Exception as exc:  # noqa: BLE001 - reported per input, the batch goes on
            from vidgen_cli.cli.errors import debug, quiet_broken_pipe

            if claim is not None:
                claim.release(done=False)
            remove_empty(made_here)  # a failed input leaves no folder behind that only it made
            if quiet_broken_pipe(exc):  # stdout's reader is gone: the whole run ends quietly (cli/errors.py)
                raise BrokenPipeError(str(exc)) from exc
            if debug():
                raise
            # one input fails as an input of a batch does: its record (with the error) and the summary
            exc = disk_full(exc, destination) or exc  # a full disk: the output named, exit 4 (Python or ffmpeg found it)
            failed += 1
            code = exit_code_for(exc)
            first_error = first_error or code
            reporter.emit({"input": source, "output": destination, "error": str(exc), "exit_code": code})
            if fail_fast:
                break
            continue
        if claim is not None:
            claim.release(done=True)
        succeeded += 1
        record = {"input": source, "output": destination, **record, "seconds": round(time.monotonic() - started, 3)}
        reporter.emit(record)
    if not succeeded:
        remove_empty(made)
    reporter.emit({"summary": True, "succeeded": succeeded, "failed": failed, "skipped": skipped, **(summary or {})})
    if batch:
        if failed:
            reporter.note(f"{failed} of {len(sources)} inputs failed")
    return first_error
