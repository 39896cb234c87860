"""VMAF through the bundled ffmpeg's libvmaf filter (model vmaf_v0.6.1), fed the frames vidgen matched.

The matched pairs go to one ffmpeg process as a single raw RGB stream, reference and test frames
alternating; the filter graph splits them back into two streams (even and odd frames) and hands
them to libvmaf. So VMAF scores exactly the pairs PSNR and SSIM score, whatever the inputs are
(videos, frame folders, resized), with one decode and flat memory.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from vidgen_cli.errors import InputError
from vidgen_cli.io import ffmpeg

MIN_SIDE = 32  # libvmaf refuses smaller frames (its feature extractors need a few pyramid levels)


@functools.cache
def available() -> bool:
    """Whether the ffmpeg vidgen uses was built with libvmaf."""
    result = ffmpeg.run(["-filters"], timeout=30)
    return b" libvmaf " in result.stdout


class VmafScorer:
    """Push (reference, test) frame pairs, then `finish()` for the per-frame VMAF scores (0-100).

    Frames are H x W x 3 uint8 RGB; they are converted to 4:4:4 Y'CbCr (BT.601, limited range)
    inside ffmpeg. Raises InputError when ffmpeg fails (the message carries its last error line).
    """

    def __init__(self, width: int, height: int, threads: int = 1) -> None:
        if min(width, height) < MIN_SIDE:
            raise InputError(f"VMAF needs frames of at least {MIN_SIDE}x{MIN_SIDE}, got {width}x{height}; pass --no-vmaf")
        self._dir = tempfile.TemporaryDirectory(prefix="vidgen-vmaf-")
        self._log = Path(self._dir.name) / "vmaf.json"
        even_odd = "select='not(mod(n\\,2))',setpts=N/TB"
        odd = "select='mod(n\\,2)',setpts=N/TB"
        graph = (f"[0:v]format=yuv444p,split[a][b];[a]{even_odd}[ref];[b]{odd}[dis];"
                 f"[dis][ref]libvmaf=log_fmt=json:log_path={self._log.as_posix()}:n_threads={threads}")
        command = [*ffmpeg.base_command(), "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", "2",
                   "-i", "pipe:0", "-filter_complex", graph, "-f", "null", "-"]
        command.remove("-nostdin")
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._stderr = b""
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self.count = 0

    def _drain(self) -> None:
        assert self._process.stderr
        self._stderr = self._process.stderr.read()

    def push(self, reference: np.ndarray, test: np.ndarray) -> None:
        assert self._process.stdin
        try:
            self._process.stdin.write(np.ascontiguousarray(reference).tobytes())
            self._process.stdin.write(np.ascontiguousarray(test).tobytes())
        except BrokenPipeError:
            self._fail()
        self.count += 1

    def finish(self) -> list[float]:
        assert self._process.stdin
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        self._process.wait()
        self._reader.join()
        if self._process.returncode != 0:
            self._fail()
        frames = json.loads(self._log.read_text())["frames"]
        scores = [float(f["metrics"]["vmaf"]) for f in sorted(frames, key=lambda f: f["frameNum"])]
        self._dir.cleanup()
        if len(scores) != self.count:
            raise InputError(f"libvmaf scored {len(scores)} of {self.count} frame pairs")
        return scores

    def _fail(self) -> None:
        self._process.kill()
        self._process.wait()
        self._reader.join()
        self._dir.cleanup()
        raise InputError(f"VMAF failed in ffmpeg ({ffmpeg.last_error_line(self._stderr)}); pass --no-vmaf to skip it")

    def close(self) -> None:
        """Stop ffmpeg early (after an error elsewhere)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._dir.cleanup()
