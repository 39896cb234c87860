"""Rules every command follows for outputs: never clobber without --overwrite, never write onto an
input, write to a temporary name in the destination folder and rename only on success."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

from vidgen_cli.errors import OutputError
from vidgen_cli.io.formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(output: str | os.PathLike[str], inputs: list[str], overwrite: bool,
                 reads: Sequence[tuple[str, str]] = (), folder: bool | None = None) -> Path:
    """Validate an output path before any work starts. '-' (stdout) always passes.

    `folder`: the command writes a folder there (True: a file in the way is refused, even with
    --overwrite) or a file (False: a folder in the way is refused); None: only a name ending in /
    is known to be a folder.

    `inputs` are the command's main inputs; `reads` are the other files it reads, as
    (option, path) pairs such as ("--audio", "music.mp4"): the output may be none of them (the
    same path, a symbolic or a hard link), nor an image inside a folder one of them names.
    Raises OutputError naming the clash."""
    out = Path(output)
    if str(output) == "-":
        return out
    for source in inputs:
        if source != "-" and _same_file(out, Path(source)):
            raise OutputError(f"{out}: the output is the same as the input; choose another output path")
    check_not_read(out, reads)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(_missing_parent(out, parent))
    if not _can_create_in(parent):
        raise OutputError(f"{out}: the folder {parent} is not writable; choose another output")
    if (folder or str(output).endswith(("/", os.sep))) and out.exists() and not out.is_dir():
        raise OutputError(f"{output}: a file named {out.name} is in the way of this folder (--overwrite replaces a folder with "
                          "a folder, not a file); remove it or choose another output")
    if folder is False and out.is_dir():
        raise OutputError(f"{out}: is a folder; choose a file name for the output")
    if out.exists() and not overwrite:
        raise OutputError(f"{out}: already exists; pass --overwrite to replace it")
    if out.is_dir() and not out.is_symlink():
        _check_replaceable_folder(out, [*inputs, *(source for _, source in reads)])
    return out


def _missing_parent(out: Path, parent: Path) -> str:
    """What is wrong with an output's folder that is not a folder: a file stands at it or above it
    (blk/sub/ where blk is a file), or it does not exist."""
    for ancestor in (parent, *parent.parents):
        if ancestor.exists() and not ancestor.is_dir():
            return f"{out}: {ancestor} is a file, not a folder; choose another output"
    return f"{out}: the folder {parent} does not exist; create it first or choose another output"


def check_not_read(out: Path, reads: Sequence[tuple[str, str | os.PathLike[str]]]) -> None:
    """Refuse an output that is a file the command reads besides its main input (same path,
    symbolic or hard link), or an image inside a folder it reads. `reads`: (option, path) pairs
    such as ("--audio", "music.mp4"). Raises OutputError naming the option."""
    for option, source in reads:
        if os.fspath(source) == "-":
            continue
        path = Path(source)
        if _same_file(out, path):
            raise OutputError(f"{out}: is an input ({option} {source}) and would be replaced; choose another output path")
        if path.is_dir() and out.suffix.lower() in IMAGE_SUFFIXES and path.resolve() in out.resolve().parents:
            raise OutputError(f"{out}: is inside an input folder ({option} {source}); choose another output path")


# What vidgen itself writes into an output folder: frames, clips, flow fields, manifests.
_WRITTEN_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES | {".npz", ".json"}


def _check_replaceable_folder(folder: Path, inputs: list[str]) -> None:
    """--overwrite replaces a whole output folder: refuse when that would delete an input or files
    vidgen does not write (a user's notes, a project folder given by mistake)."""
    root = folder.resolve()
    for source in inputs:
        if source != "-" and root in Path(source).resolve().parents:
            raise OutputError(f"{folder}: holds the input {source}, and --overwrite would replace the whole "
                              "folder; choose another output folder")
    foreign = sorted(entry.name for entry in folder.iterdir() if not entry.name.startswith(".")
                     and (entry.is_file() and entry.suffix.lower() not in _WRITTEN_SUFFIXES))
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OutputError(f"{folder}: holds files vidgen does not write ({shown}), and --overwrite would replace "
                          "the whole folder; choose an empty or new output folder")


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in `folder` (os.access says yes to root on read-only
    and virtual file systems such as /proc; every writer would then fail later, each its own way)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    probe = folder / f".vidgen-probe-{uuid.uuid4().hex[:8]}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:
        return False
    probe.unlink(missing_ok=True)
    return True


# Temporary outputs handed out and not yet moved into place or removed: what a run stopped by a
# signal removes on its way out (discard_unfinished), whatever was writing them.
_unfinished: set[Path] = set()


def _hidden_sibling(final: Path, is_dir: bool) -> Path:
    tag = uuid.uuid4().hex[:8]
    suffix = "" if is_dir else final.suffix
    return final.with_name(f".{final.stem}.vidgen-{tag}.part{suffix}")


def temporary_sibling(final: Path, is_dir: bool = False) -> Path:
    """A hidden name beside `final` (same file system, so the rename is atomic), keeping the suffix.
    Recorded until `commit` or `discard`, so that `discard_unfinished` can remove it."""
    temporary = _hidden_sibling(final, is_dir)
    _unfinished.add(temporary)
    return temporary


def commit(temporary: Path, final: Path) -> None:
    """Move a finished temporary file or folder into place, replacing an old output if allowed."""
    if final.is_dir() and not final.is_symlink() and temporary.is_dir():
        backup = _hidden_sibling(final, is_dir=True)  # not recorded: it holds the old output until the swap is done
        os.replace(final, backup)
        os.replace(temporary, final)
        shutil.rmtree(backup, ignore_errors=True)
    elif final.is_dir() and not temporary.is_dir():
        raise OutputError(f"{final}: is a folder; choose a file name for the output")
    else:
        os.replace(temporary, final)
    _unfinished.discard(temporary)


def discard_unfinished() -> None:
    """Remove every temporary output not moved into place yet (a run stopped by a signal, whose
    writers may not have had the chance to); never raises."""
    for temporary in list(_unfinished):
        discard(temporary)


def discard(temporary: Path | None) -> None:
    """Remove a temporary output after a failure; never raises."""
    if temporary is None:
        return
    _unfinished.discard(temporary)
    try:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
    except OSError:
        pass
