"""Full-reference comparison of two inputs, frame by frame: PSNR, SSIM and (where available) VMAF.

PSNR and SSIM are vidgen_cli.vision.metrics (RGB, 0-255; SSIM with an 11x11 Gaussian window,
sigma 1.5, per channel). VMAF is libvmaf's vmaf_v0.6.1 model through the bundled ffmpeg.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vidgen_cli.evaluate import vmaf as vmaf_module
from vidgen_cli.evaluate.pairs import MatchedFrames, Matching
from vidgen_cli.vision.metrics import psnr, ssim


@dataclass
class FrameScore:
    reference_index: int
    test_index: int
    time: float | None
    psnr: float
    ssim: float
    vmaf: float | None = None

    def to_json(self) -> dict:
        out = {"reference_index": self.reference_index, "test_index": self.test_index,
               "time": None if self.time is None else round(self.time, 6),
               "psnr": round(self.psnr, 4), "ssim": round(self.ssim, 6)}
        if self.vmaf is not None:
            out["vmaf"] = round(self.vmaf, 4)
        return out


@dataclass
class Comparison:
    """Per-frame scores and their means (PSNR in dB, capped at 100 for identical frames; SSIM 0-1; VMAF 0-100)."""

    reference: str
    test: str
    width: int
    height: int
    frames: list[FrameScore] = field(default_factory=list)
    vmaf_note: str | None = None  # why VMAF is missing, when it is
    matching: Matching | None = None  # how the frames were paired (and how many were not)
    notes: list[str] = field(default_factory=list)  # lines for stderr: rotations or display aspects that differ

    def mean(self, metric: str) -> float | None:
        values = [getattr(f, metric) for f in self.frames if getattr(f, metric) is not None]
        return float(np.mean(values)) if values else None

    def to_json(self, per_frame: bool = False) -> dict:
        out: dict = {"reference": self.reference, "test": self.test, "width": self.width, "height": self.height,
                     "frames": len(self.frames)}
        for metric, digits in (("psnr", 4), ("ssim", 6), ("vmaf", 4)):
            value = self.mean(metric)
            out[metric] = None if value is None else round(value, digits)
        if self.matching is not None:
            out.update(self.matching.to_json())
        if self.vmaf_note:
            out["vmaf_note"] = self.vmaf_note
        if per_frame:
            out["per_frame"] = [f.to_json() for f in self.frames]
        return out


def compare(reference: str, test: str, resize: bool = False, partial: bool = False, vmaf: bool | None = None,
            threads: int = 1, on_frame: Callable[[int], None] | None = None, offset: float | None = None) -> Comparison:
    """Score `test` against `reference` (paths to videos, frame folders or images).

    vmaf: True requires libvmaf, False skips it, None uses it when the bundled ffmpeg has it.
    Raises InputError for sizes that differ (unless `resize`: the test is scaled to the
    reference's size) and lengths that differ (unless `partial`: only matched frames are scored).
    offset: seconds from the reference's first frame to the test's (see pairs.match_frames).
    """
    matched = MatchedFrames(reference, test, resize, partial, offset)
    width, height = matched.size
    result = Comparison(reference, test, width, height, matching=matched.matching, notes=matched.notes)
    scorer = None
    want_vmaf = vmaf if vmaf is not None else vmaf_module.available()
    if want_vmaf and not vmaf_module.available():
        from vidgen_cli.errors import UsageError

        raise UsageError("this ffmpeg has no libvmaf filter; set VIDGEN_FFMPEG to a build with it, or drop --vmaf")
    if want_vmaf and min(width, height) < vmaf_module.MIN_SIDE:
        if vmaf:
            scorer = vmaf_module.VmafScorer(width, height, threads)  # raises with the reason
        result.vmaf_note = f"VMAF skipped: frames smaller than {vmaf_module.MIN_SIDE} px"
    elif want_vmaf:
        scorer = vmaf_module.VmafScorer(width, height, threads)
    elif vmaf is None:
        result.vmaf_note = "VMAF skipped: the ffmpeg in use has no libvmaf"
    try:
        for pair in matched:
            result.frames.append(FrameScore(pair.reference_index, pair.test_index, pair.time,
                                            psnr(pair.test, pair.reference), ssim(pair.test, pair.reference)))
            if scorer is not None:
                scorer.push(pair.reference, pair.test)
            if on_frame is not None:
                on_frame(len(result.frames))
        if scorer is not None:
            for frame, score in zip(result.frames, scorer.finish()):
                frame.vmaf = score
            scorer = None
    finally:
        if scorer is not None:
            scorer.close()
    return result
