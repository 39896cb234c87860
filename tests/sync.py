"""Measure picture/sound sync: clips with a white frame and a 50 ms beep at the same instants,
and readers that find those instants again in any output (independently of vidgen's decoder).

    clip = make_sync_clip(tmp / "in.mp4", vfr=True)
    flashes, beeps = flash_times(out), beep_onsets(out)

Times are seconds on the file's timeline (where the earliest stream starts at 0), so a stream
offset shows up as a shifted flash or beep.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from vidgen_cli.io import ffmpeg

EVENTS = (1.0, 2.5)
SAMPLE_RATE = 44100
_PTS_TIME = re.compile(r"\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.e+-]+)")


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-y", *args], capture_output=True, check=True)


def make_sync_clip(path: Path, *, rate: int = 30, seconds: float = 3.0, events: tuple[float, ...] = EVENTS,
                   vfr: bool = False, video_offset: float = 0.0, size: str = "160x120", sar: str | None = None,
                   audio: bool = True, video_codec: list[str] | None = None) -> Path:
    """A test pattern with a white frame at each event time and a 50 ms 1 kHz beep starting there.

    vfr: full rate for the first half, then every third frame only (a phone's variable rate).
    video_offset: the video starts this long after the audio (built with -itsoffset, then remuxed).
    sar: e.g. "4/3" for anamorphic pixels.
    """
    flash = "+".join(f"between(t,{t - 0.001:.3f},{t + 0.001:.3f})" for t in events)
    chain = [f"drawbox=enable='{flash}':color=white:t=fill"]
    if vfr:
        chain.insert(0, f"select='lt(t,{seconds / 2})+not(mod(n,3))'")
    if sar:
        chain.append(f"setsar={sar}")
    video = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    beep = "+".join(f"between(t,{t},{t + 0.05})" for t in events)
    sound = ["-f", "lavfi", "-i", f"aevalsrc='if({beep},0.8*sin(2*PI*1000*t),0)':s={SAMPLE_RATE}:d={seconds}"] if audio else []
    codec = video_codec or (["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "400k"] if path.suffix == ".webm"
                            else ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
    acodec = ["-c:a", "libopus" if path.suffix == ".webm" else "aac"] if audio else []
    timing = ["-vf", ",".join(chain), *(["-fps_mode", "vfr"] if vfr else [])]
    if not video_offset:
        _run([*video, *sound, *codec, *acodec, *timing, str(path)])
        return path
    plain = path.with_name(f"{path.stem}-plain{path.suffix}")
    _run([*video, *sound, *codec, *acodec, *timing, str(plain)])
    _run(["-itsoffset", str(video_offset), "-i", str(plain), "-i", str(plain), "-map", "0:v", "-map", "1:a", "-c", "copy", str(path)])
    return path


def frame_times_and_brightness(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Each displayed frame's time and mean luma (0-255), read with ffmpeg's showinfo and signalstats."""
    result = _run(["-i", str(path), "-map", "0:v:0", "-vf", "signalstats,showinfo=checksum=0,metadata=print:key=lavfi.signalstats.YAVG",
                   "-f", "null", "-"])
    text = result.stderr.decode("utf-8", "replace")
    times = [float(m.group(1)) for m in _PTS_TIME.finditer(text)]
    luma = [float(v) for v in re.findall(r"lavfi\.signalstats\.YAVG=([\d.]+)", text)]
    return np.array(times), np.array(luma[: len(times)])


def flash_times(path: Path, count: int = len(EVENTS), separation: float = 0.3) -> list[float]:
    """Times of the `count` brightest frames at least `separation` s apart, in time order."""
    times, luma = frame_times_and_brightness(path)
    chosen: list[float] = []
    for index in np.argsort(-luma, kind="stable"):
        if all(abs(times[index] - t) >= separation for t in chosen):
            chosen.append(float(times[index]))
        if len(chosen) == count:
            break
    return sorted(chosen)


def beep_onsets(path: Path, separation: float = 0.3) -> list[float]:
    """Start times of the beeps in the first audio stream (silence padded in from the file's start)."""
    result = _run(["-i", str(path), "-map", "0:a:0", "-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar", str(SAMPLE_RATE),
                   "-f", "f32le", "-"])
    samples = np.abs(np.frombuffer(result.stdout, np.float32))
    onsets: list[float] = []
    for index in np.flatnonzero(samples > 0.2):
        t = index / SAMPLE_RATE
        if not onsets or t - onsets[-1] >= separation:
            onsets.append(t)
    return onsets


def frame_times(path: Path) -> np.ndarray:
    return frame_times_and_brightness(path)[0]


def audio_end(path: Path) -> float:
    """When the first audio stream's last sample ends, seconds on the file's timeline."""
    result = _run(["-i", str(path), "-map", "0:a:0", "-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar", str(SAMPLE_RATE),
                   "-f", "f32le", "-"])
    return len(result.stdout) / 4 / SAMPLE_RATE
