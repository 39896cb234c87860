"""Find, verify, load and save model weights.

A weights file `NAME.pt` is a dict {"arch", "config", "model"} saved with torch.save; beside it
`NAME.json` holds the metadata (training command, data, steps, metrics) and the file's sha256, which
is checked before the file is unpickled with `weights_only=True`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from vidgen_cli.errors import WeightsError


def weights_dirs() -> list[Path]:
    """Folders searched for weights: $VIDGEN_WEIGHTS first, then the installed package data."""
    dirs: list[Path] = []
    if env := os.environ.get("VIDGEN_WEIGHTS"):
        dirs.append(Path(env))
    try:
        dirs.append(Path(str(resources.files("vidgen_cli.weight_files"))))
    except ModuleNotFoundError:
        pass
    dirs.append(Path(__file__).resolve().parent.parent / "weights")
    return dirs


def find(name_or_path: str) -> Path:
    """Resolve a shipped weights name (e.g. 'interp-fusion') or a path to a .pt file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".pt" and candidate.is_file():
        return candidate
    for folder in weights_dirs():
        path = folder / f"{name_or_path}.pt"
        if path.is_file():
            return path
    raise WeightsError(f"no weights named '{name_or_path}'; reinstall vidgen or pass a .pt file path")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_for(name_or_path: str) -> str:
    """The sha256 recorded beside a weights file (`load_checkpoint` refuses a file that differs)."""
    return str(read_metadata(find(name_or_path)).get("sha256"))


def read_metadata(path: Path) -> dict[str, Any]:
    meta_path = path.with_suffix(".json")
    if not meta_path.is_file():
        raise WeightsError(f"weights {path.name} have no metadata file {meta_path.name} beside them: keep the .json that "
                           "`vidgen train` wrote next to its .pt (for vidgen's own weights, reinstall vidgen)")
    try:
        return json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise WeightsError(f"cannot read {meta_path}: {exc}; reinstall vidgen") from exc


# What each architecture's weights do and where they are used, for the line that refuses the wrong kind.
KINDS: dict[str, tuple[str, str]] = {
    "interp-fusion": ("frame interpolation", "`vidgen interpolate --model` takes them"),
    "flow-refiner": ("natural-video frame prediction", "`vidgen predict --model` takes them"),
    "digits-predictor": ("moving-digits prediction", "made by `vidgen train predict --synthetic moving-digits` (64x64 "
                         "synthetic digits); no command runs them on video"),
    "magenta-transformer": ("stylization", "`vidgen stylize --model` takes them"),
}


def check_kind(name_or_path: str, arch: str, option: str = "--model") -> None:
    """Refuse, before any work, weights of another architecture than `arch` (read from the metadata
    beside them, without loading torch): one line naming what the file is and which command takes it.
    Raises UsageError (WeightsError for a missing file or metadata)."""
    from vidgen_cli.errors import UsageError

    path = find(name_or_path)
    found = read_metadata(path).get("arch")
    if found == arch:
        return
    what, where = KINDS.get(str(found), (f"'{found}'", "no vidgen command takes them"))
    wanted = KINDS.get(arch, (arch, ""))[0]
    raise UsageError(f"{option} {name_or_path}: {path.name} holds {what} weights ({found}): {where}; "
                     f"this command takes {wanted} weights ({arch})")


def load_checkpoint(name_or_path: str) -> dict[str, Any]:
    """Verify the sha256 against the metadata, then load the checkpoint dict (weights only)."""
    import torch

    path = find(name_or_path)
    expected = read_metadata(path).get("sha256")
    actual = sha256_of(path)
    if expected != actual:
        raise WeightsError(
            f"weights file {path} is corrupt or was modified (sha256 mismatch); reinstall vidgen"
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for a bad file
        raise WeightsError(f"cannot load weights {path}: {exc}; reinstall vidgen") from exc
    if not isinstance(checkpoint, dict) or not {"arch", "config", "model"} <= checkpoint.keys():
        raise WeightsError(f"{path} is not a vidgen weights file")
    return checkpoint


def load_model(name_or_path: str, placement: Any = None, arch: str | None = None) -> Any:
    """Rebuild a model from its checkpoint and put it in eval mode on the given Placement; with
    `arch`, weights of another architecture are refused first (`check_kind`)."""
    from vidgen_cli.models import build

    if arch is not None:
        check_kind(name_or_path, arch)
    checkpoint = load_checkpoint(name_or_path)
    if arch is not None and checkpoint["arch"] != arch:
        raise WeightsError(f"{find(name_or_path)} holds '{checkpoint['arch']}' weights but its metadata says '{arch}'; reinstall vidgen")
    model = build(checkpoint["arch"], checkpoint["config"])
    model.load_state_dict(checkpoint["model"])
    model.eval()
    if placement is not None:
        model.to(device=placement.device, dtype=placement.dtype)
    return model


def save(path: Path, arch: str, config: Any, model: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    """Write NAME.pt and NAME.json (with the sha256) atomically; returns the metadata written."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config_dict = asdict(config) if is_dataclass(config) else dict(config)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as handle:  # a file object: torch.save would name the archive after a path,
        torch.save({"arch": arch, "config": config_dict, "model": state}, handle)  # and the sha256 with it
    os.replace(tmp, path)
    meta = {"arch": arch, "config": config_dict, **metadata, "sha256": sha256_of(path)}
    meta_tmp = path.with_suffix(".json.part")
    meta_tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    os.replace(meta_tmp, path.with_suffix(".json"))
    return meta
