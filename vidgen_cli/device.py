"""The one place that decides where tensors live, in which precision and on how many CPU threads,
and the one bridge between numpy frames and tensors (pad to a multiple, to the device and dtype, and back).

`choose` only resolves options; `set_threads` is the one call that changes torch's thread count,
made once by a command at its top (cli/), never as a side effect of a library call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vidgen_cli.errors import DeviceError

if TYPE_CHECKING:  # torch is imported lazily so that `vidgen --help` stays fast
    import torch


@dataclass(frozen=True)
class Placement:
    """Where a model runs: a torch device and the dtype its inputs should have."""

    device: "torch.device"
    dtype: "torch.dtype"

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def key(self) -> dict[str, str]:
        """{'device': 'cpu', 'dtype': 'float32'}: part of a --resume fingerprint (runtime/resume.py)."""
        return {"device": str(self.device), "dtype": str(self.dtype).removeprefix("torch.")}


def choose(device: str = "auto", half: bool = False) -> Placement:
    """Resolve `--device auto|cpu|cuda|cuda:N` and `--half` into a Placement. No side effects.

    Half precision is only offered on CUDA: on a CPU fp16 convolutions are slower than fp32.
    Raises DeviceError for an unknown name, a CUDA request torch cannot serve (a CPU-only build
    of torch is named as such, with the command that installs the CUDA one), or a GPU index
    beyond the visible ones.
    """
    import torch

    name = device.lower().strip()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    index = _cuda_index(name, device)
    if index is not None:
        _check_cuda(torch, index, device)
    if half and index is None:
        raise DeviceError("--half needs a CUDA device; drop --half to run in float32 on the CPU")
    dtype = torch.float16 if half else torch.float32
    return Placement(device=torch.device(name), dtype=dtype)


CUDA_INSTALL = "pip install -c constraints-cuda.txt 'torch==2.13.0' from the vidgen checkout (or make install TORCH=cuda)"


def _cuda_index(name: str, asked: str) -> int | None:
    """None for the CPU, else the GPU index of `cuda` (0) or `cuda:N`."""
    if name == "cpu":
        return None
    if name == "cuda":
        return 0
    if name.startswith("cuda:") and name[5:].isdigit():
        return int(name[5:])
    raise DeviceError(f"unknown device '{asked}': use auto, cpu, cuda or cuda:N (N a GPU index)")


def _check_cuda(torch: Any, index: int, asked: str) -> None:
    if torch.version.cuda is None and not torch.cuda.is_available():
        raise DeviceError(f"--device {asked}: this torch ({torch.__version__}) is the CPU-only build; for an NVIDIA GPU "
                          f"install the CUDA build: {CUDA_INSTALL}; or use --device cpu")
    if not torch.cuda.is_available():
        raise DeviceError(f"--device {asked}: torch {torch.__version__} (CUDA {torch.version.cuda}) sees no GPU; "
                          "check the driver with nvidia-smi and CUDA_VISIBLE_DEVICES, or use --device cpu")
    if index >= (count := torch.cuda.device_count()):
        raise DeviceError(f"--device {asked}: only {count} GPU(s) visible (cuda:0 to cuda:{count - 1})")


def set_threads(threads: int | None = None) -> int:
    """Set torch's CPU thread count to `threads` (None: `cpu_threads()`); returns the count set."""
    import torch

    count = threads or cpu_threads()
    torch.set_num_threads(count)
    return count


def cpu_threads() -> int:
    """Threads for torch on the CPU: half the cores (at least one), or $VIDGEN_THREADS.

    The pipeline decodes, estimates flow and encodes on other threads at the same time; torch's
    OpenMP workers spin-wait, and competing for every core made a 2-core machine 3-4x slower
    (stylize: 0.22 s a frame with 2 threads, 0.06 s with 1, measured with ffmpeg running beside it).
    """
    import os

    if env := os.environ.get("VIDGEN_THREADS"):
        return max(1, int(env))
    return max(1, (os.cpu_count() or 2) // 2)


# --- the frame <-> tensor bridge -------------------------------------------------------------------


def to_tensor(array: "np.ndarray", placement: Placement | None = None, multiple: int = 1, pad: str = "replicate",
              channels_last: bool = False) -> "torch.Tensor":
    """An H x W x C (or H x W) numpy array as a 1 x C x H' x W' tensor on `placement` (default: CPU
    float32), H' and W' padded up to a multiple of `multiple` at the bottom and right.

    pad: "replicate" (edge pixels) or "reflect". Values are converted, not rescaled: divide uint8
    frames by 255 yourself. `to_array` crops the padding off again.
    """
    import torch
    import torch.nn.functional as F

    device = placement.device if placement else torch.device("cpu")
    dtype = placement.dtype if placement else torch.float32
    data = array if array.ndim == 3 else array[..., None]
    x = torch.from_numpy(np.ascontiguousarray(data)).to(device).permute(2, 0, 1)[None].to(dtype)
    height, width = data.shape[:2]
    bottom, right = (-height) % multiple, (-width) % multiple
    if bottom or right:
        x = F.pad(x, (0, right, 0, bottom), mode=pad)
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def to_array(tensor: "torch.Tensor", height: int, width: int) -> "np.ndarray":
    """The first image of an N x C x H' x W' tensor, cropped to height x width, as an H x W x C
    float32 numpy array on the CPU (the inverse of `to_tensor`, before any rescaling)."""
    return tensor[0, :, :height, :width].float().cpu().numpy().transpose(1, 2, 0)
