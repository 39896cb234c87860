"""Key-frame propagation: carry edits painted on a frame through the video along its dense motion.

Each key is a frame of the video with edits painted on it. What was painted is found by comparing
the key with the original frame: where they differ strongly the key is an opaque layer (`alpha`, a
soft 0-1 mask), where they differ a little (a grade, a touch-up) the difference is carried and added.
Outside the edits a frame is the original frame, untouched.

Every frame takes the layer of the nearest keys on either side: the previous key is carried forward
by a FlowChain (vision/chain.py) as frames stream by; the next key is carried backward by a chain run
in reverse over a prepass of grey frames kept on disk (so memory stays flat however far apart the
keys are). The two are blended by time (smoothstep) and by each chain's soft validity, so a region
disoccluded for one key comes from the other; where neither key has seen a point (disocclusion,
content from outside the frame, a failed match), the frame shows the original video, never a stale
copy of a key.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.vision.chain import ChainSettings, FlowChain
from vidgen_cli.vision.flow import pixel_grid, to_gray

OPAQUE_FROM = 6.0  # max channel difference (0-255) at which a key starts to count as painted ...
OPAQUE_AT = 18.0  # ... and where it is fully opaque


@dataclass
class Key:
    index: int  # frame index in the video
    image: np.ndarray  # H x W x 3 uint8 RGB: the edited frame


def check_keys(keys: Sequence[Key], info: VideoInfo, names: Sequence[str] = ()) -> list[Key]:
    """Sorted keys; InputError/UsageError for a key of the wrong size, out of range or repeated."""
    for n, key in enumerate(keys):
        name = names[n] if n < len(names) else f"key {n + 1}"
        h, w = key.image.shape[:2]
        if (w, h) != (info.width, info.height):
            raise InputError(f"--key {name} is {w}x{h} but the video's frames are {info.width}x{info.height}; "
                             f"paint on frame {key.index} exported at the video's size (vidgen split)")
        if key.index < 0 or (info.frame_count and key.index >= info.frame_count):
            raise UsageError(f"--key-frame {key.index}: the video has frames 0 to {info.frame_count - 1}")
    ordered = sorted(keys, key=lambda k: k.index)
    for a, b in zip(ordered, ordered[1:]):
        if a.index == b.index:
            raise UsageError(f"two keys for frame {a.index}; give each key its own --key-frame")
    return ordered


def _layer(edited: np.ndarray, original: np.ndarray) -> dict[str, np.ndarray]:
    """What a key adds to its frame: the key itself, its soft opacity, and the difference."""
    edit, orig = edited.astype(np.float32), original.astype(np.float32)
    diff = np.abs(edit - orig).max(-1)
    alpha = np.clip((diff - OPAQUE_FROM) / (OPAQUE_AT - OPAQUE_FROM), 0, 1)
    alpha = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    return {"edit": edit, "alpha": alpha, "delta": edit - orig}


def _apply_layer(frame: np.ndarray, layer: dict[str, np.ndarray], pull: Callable[[np.ndarray, int], np.ndarray]) -> np.ndarray:
    """The key's layer carried onto `frame` (float32): opaque where painted, additive elsewhere."""
    edit = pull(layer["edit"], cv2.INTER_LANCZOS4)
    delta = pull(layer["delta"], cv2.INTER_LINEAR)
    alpha = np.clip(pull(layer["alpha"], cv2.INTER_LINEAR), 0, 1)[..., None]
    base = frame.astype(np.float32) + delta
    return base + alpha * (edit - base)


class BackwardStore:
    """Disk-backed coordinates of each frame in the *next* key (frames before the last key):
    float16 offsets from the pixel grid and a uint8 soft weight, in a temporary folder."""

    def __init__(self, source: str, info: VideoInfo, keys: Sequence[Key], settings: ChainSettings | None,
                 folder: str | Path | None = None, on_frame: Callable[[int], None] | None = None,
                 frames: Iterator[np.ndarray] | None = None) -> None:
        """`frames`: the frames to read instead of decoding `source` from its start (a --start/--end
        span; key indices count from its first frame)."""
        last = keys[-1].index
        h, w = info.height, info.width
        self.folder = Path(tempfile.mkdtemp(prefix=".vidgen-propagate-", dir=folder))
        try:
            gray = np.lib.format.open_memmap(self.folder / "gray.npy", "w+", np.uint8, (last + 1, h, w))
            self.originals: dict[int, np.ndarray] = {}
            wanted = {k.index for k in keys}
            count = 0
            with (open_input(source, info=info) if frames is None else contextlib.closing(frames)) as reader:
                for count, frame in enumerate(reader):
                    if count > last:
                        break
                    gray[count] = to_gray(frame)
                    if count in wanted:
                        self.originals[count] = frame.copy()
                    if on_frame:
                        on_frame(count + 1)
            if len(self.originals) < len(wanted):
                raise InputError(f"{source}: the video ended after {count + 1} frames, before key frame {last}")
            self.offsets = np.lib.format.open_memmap(self.folder / "offsets.npy", "w+", np.float16, (max(last, 1), h, w, 2))
            self.weights = np.lib.format.open_memmap(self.folder / "weights.npy", "w+", np.uint8, (max(last, 1), h, w))
            grid = pixel_grid(h, w)
            lower = 0
            for key in keys:
                chain = FlowChain(settings)
                chain.start(gray[key.index])
                for k in range(key.index - 1, lower - 1, -1):
                    chain.advance(gray[k])
                    self.offsets[k] = (chain.coords - grid).astype(np.float16)
                    self.weights[k] = np.round(chain.weight() * 255).astype(np.uint8)
                lower = key.index
            del gray
            (self.folder / "gray.npy").unlink()
        except BaseException:
            self.close()
            raise

    def coords(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(H x W x 2 float32 key coordinates, H x W float32 weight) of frame k in the next key."""
        h, w = self.weights.shape[1:]
        return pixel_grid(h, w) + self.offsets[k].astype(np.float32), self.weights[k].astype(np.float32) / 255

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _smoothstep(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


class PropagateStream:
    """Frame processor for `vidgen motion propagate` (see the module docstring). `store` is needed
    when a key is not frame 0 or there are several keys (frames before a key); it owns the originals
    of the keys. Resumable: the state is the frame index and the forward chain."""

    def __init__(self, keys: Sequence[Key], store: BackwardStore | None, settings: ChainSettings | None = None) -> None:
        self.keys = list(keys)
        self.store = store
        self.settings = settings
        self.chain = FlowChain(settings)
        self.index = 0
        self.current: int | None = None  # position in self.keys of the key the forward chain carries
        self.layers: dict[int, dict[str, np.ndarray]] = {}
        self._original: np.ndarray | None = None  # original frame of the current forward key

    def _layer_of(self, n: int, original: np.ndarray | None = None) -> dict[str, np.ndarray]:
        if n not in self.layers:
            key = self.keys[n]
            if original is None:
                assert self.store is not None
                original = self.store.originals[key.index]
            self.layers = {m: v for m, v in self.layers.items() if m >= n - 1}  # keep only nearby keys
            self.layers[n] = _layer(key.image, original)
        return self.layers[n]

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        k = self.index
        self.index += 1
        following = next((n for n, key in enumerate(self.keys) if key.index >= k), None)
        if following is not None and self.keys[following].index == k:  # a key frame: the key as painted
            self.current, self._original = following, frame.copy()
            self.chain.start(frame)
            self._layer_of(following, frame)
            return [self.keys[following].image.copy()]
        candidates: list[tuple[float, np.ndarray, np.ndarray]] = []  # (time weight, layer, chain weight)
        previous = self.current
        if previous is not None:
            self.chain.advance(frame)
            layer = _apply_layer(frame, self._layer_of(previous, self._original), self.chain.pull)
            candidates.append((1.0, layer, self.chain.weight()))
        if following is not None and self.store is not None:
            coords, weight = self.store.coords(k)

            def pull(image: np.ndarray, interpolation: int) -> np.ndarray:
                return cv2.remap(image, coords[..., 0], coords[..., 1], interpolation, borderMode=cv2.BORDER_REPLICATE)

            u = 1.0 if previous is None else (k - self.keys[previous].index) / (self.keys[following].index - self.keys[previous].index)
            w_next = _smoothstep(u)
            if candidates:
                candidates[0] = (1.0 - w_next, *candidates[0][1:])
            candidates.append((w_next, _apply_layer(frame, self._layer_of(following), pull), weight))
        if not candidates:
            return [frame]
        base = frame.astype(np.float32)
        total = np.zeros(frame.shape[:2], np.float32)
        mixed = np.zeros_like(base)
        uncovered = np.ones(frame.shape[:2], np.float32)
        for time_weight, layer, weight in candidates:
            c = time_weight * weight
            total += c
            mixed += c[..., None] * layer
            uncovered *= 1 - weight
        blend = mixed / np.maximum(total, 1e-6)[..., None]
        coverage = ((1 - uncovered) * (total > 1e-6))[..., None]
        out = base + coverage * (blend - base)
        return [np.clip(out + 0.5, 0, 255).astype(np.uint8)]

    def flush(self) -> list[np.ndarray]:
        return []

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"index": np.array(self.index), "current": np.array(-1 if self.current is None else self.current)}
        if self.current is not None and self._original is not None:
            state["original"] = self._original
            state.update({f"chain_{name}": value for name, value in self.chain.state_dict().items()})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.index = int(state["index"])
        current = int(state["current"])
        self.current = None if current < 0 else current
        self._original = np.array(state["original"]) if "original" in state else None
        self.chain.load_state_dict({k[len("chain_"):]: v for k, v in state.items() if k.startswith("chain_")})


def needs_store(keys: Sequence[Key]) -> bool:
    """Frames before some key exist (a key after frame 0, or several keys)."""
    return keys[-1].index > 0
