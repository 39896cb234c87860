"""An interrupted run leaves no broken output, and --resume continues to the same result."""

from fractions import Fraction

import numpy as np
import pytest
from conftest import decode_all

from vidgen_cli.io.encode import EncodeOptions
from vidgen_cli.runtime.job import OutputSettings, run_job
from vidgen_cli.runtime.resume import work_folder


class Darken:
    """A stateful toy processor: each output mixes the frame with a running mean (state matters)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.mean: np.ndarray | None = None
        self.seen = 0
        self.fail_at = fail_at

    def push(self, frame):
        if self.fail_at is not None and self.seen == self.fail_at:
            raise KeyboardInterrupt
        self.seen += 1
        current = frame.astype(np.float32)
        self.mean = current if self.mean is None else 0.8 * self.mean + 0.2 * current
        return [((current + self.mean) / 2).astype(np.uint8)]

    def flush(self):
        return []

    def state_dict(self):
        return {"mean": self.mean, "seen": np.array(self.seen)}

    def load_state_dict(self, state):
        self.mean, self.seen = state["mean"], int(state["seen"])


@pytest.fixture
def short_segments(monkeypatch):
    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "10")
    monkeypatch.setenv("VIDGEN_SEGMENT_SECONDS", "0")  # cut by frame count only: the same cuts on any machine


def _run(clip, out, processor, resume=False, codec=None):
    settings = OutputSettings(encode=EncodeOptions(codec=codec, preset="ultrafast"), resume=resume)
    return run_job(str(clip), str(out), processor, Fraction(24), settings, {"toy": 1})


@pytest.mark.parametrize("codec", ["ffv1", None])
def test_interrupted_run_keeps_all_it_made_and_resumes_to_the_same_frames(clips, tmp_path, short_segments, codec):
    suffix = ".mkv" if codec else ".mp4"
    reference = tmp_path / f"reference{suffix}"
    _run(clips["plain"], reference, Darken(), codec=codec)
    out = tmp_path / f"out{suffix}"
    with pytest.raises(KeyboardInterrupt):
        _run(clips["plain"], out, Darken(fail_at=17), codec=codec)
    assert not out.exists()
    assert work_folder(out).is_dir()  # finished segments kept for --resume
    result = _run(clips["plain"], out, Darken(), resume=True, codec=codec)
    assert result.resumed_from == 17  # the segment in progress was finished at the interruption
    assert not work_folder(out).exists()
    a, b = decode_all(reference), decode_all(out)
    assert len(a) == len(b) == 24
    if codec == "ffv1":  # lossless: the same frames exactly
        assert all(np.array_equal(x, y) for x, y in zip(a, b))
    else:  # x264 (the default): segments cut elsewhere differ only by encoder rounding near the cut
        assert max(np.abs(x.astype(int) - y.astype(int)).mean() for x, y in zip(a, b)) < 2.0


def test_resume_with_other_options_is_refused(clips, tmp_path, short_segments):
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        _run(clips["plain"], out, Darken(fail_at=15))
    settings = OutputSettings(encode=EncodeOptions(preset="ultrafast"), resume=True)
    from vidgen_cli.errors import UsageError

    with pytest.raises(UsageError, match="start over"):
        run_job(str(clips["plain"]), str(out), Darken(), Fraction(24), settings, {"toy": 2})


def test_audio_is_carried_through_segments(clips, tmp_path, short_segments):
    from vidgen_cli.io.probe import probe

    out = tmp_path / "out.mp4"
    source = probe(clips["audio"])
    result = run_job(str(clips["audio"]), str(out), Darken(), source.fps, OutputSettings(encode=EncodeOptions(preset="ultrafast")), {})
    info = probe(out)
    assert info.has_audio and info.frame_count == result.frames == source.frame_count
    assert abs(info.duration - source.duration) < 1 / float(source.fps)


class Interrupting:
    """Wraps a processor and raises KeyboardInterrupt (Ctrl-C) before the n-th frame."""

    def __init__(self, inner, at: int) -> None:
        self.inner, self.at, self.seen = inner, at, 0

    def push(self, frame):
        if self.seen == self.at:
            raise KeyboardInterrupt
        self.seen += 1
        return self.inner.push(frame)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_stylize_flow_state_resumes_exactly(clips, tmp_path, short_segments):
    import cv2

    from vidgen_cli.stylize.processor import Stylizer

    style = tmp_path / "style.png"
    cv2.imwrite(str(style), np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    stylizer = Stylizer([style], max_side=64, consistency="flow")
    settings = OutputSettings(encode=EncodeOptions(codec="ffv1"))
    run_job(str(clips["plain"]), str(tmp_path / "ref.mkv"), stylizer.processor(), Fraction(24), settings, {"s": 1})
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        run_job(str(clips["plain"]), str(out), Interrupting(stylizer.processor(), 15), Fraction(24), settings, {"s": 1})
    resumed = run_job(str(clips["plain"]), str(out), stylizer.processor(), Fraction(24), OutputSettings(encode=EncodeOptions(codec="ffv1"), resume=True), {"s": 1})
    assert resumed.resumed_from == 15
    a, b = decode_all(tmp_path / "ref.mkv"), decode_all(out)
    assert len(a) == len(b) == 24
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_frames_folder_output_resumes_to_the_same_frames(clips, tmp_path, short_segments):
    import cv2

    settings = OutputSettings(image_format="png")
    run_job(str(clips["plain"]), str(tmp_path / "reference"), Darken(), Fraction(24), settings, {"toy": 1})
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_job(str(clips["plain"]), str(out), Darken(fail_at=17), Fraction(24), settings, {"toy": 1})
    assert not out.exists() and work_folder(out).is_dir()
    resumed = run_job(str(clips["plain"]), str(out), Darken(), Fraction(24), OutputSettings(image_format="png", resume=True), {"toy": 1})
    assert resumed.resumed_from == 17 and resumed.frames == 24
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted(p.name for p in (tmp_path / "reference").glob("*.png")) and len(names) == 24
    for name in names:
        assert np.array_equal(cv2.imread(str(out / name)), cv2.imread(str(tmp_path / "reference" / name)))
    assert (out / "manifest.json").is_file() and not (out / "state.json").exists()


class Tail(Darken):
    """Darken with three more frames made at the end (as interpolation's last frames are), and an
    interruption there: after every input frame was read."""

    def __init__(self, fail_in_flush: bool = False) -> None:
        super().__init__()
        self.fail_in_flush = fail_in_flush

    def flush(self):
        if self.fail_in_flush:
            raise KeyboardInterrupt
        return [self.mean.astype(np.uint8)] * 3


def test_a_run_interrupted_after_its_last_input_frame_resumes(clips, tmp_path, short_segments):
    reference, out = tmp_path / "reference.mkv", tmp_path / "out.mkv"
    _run(clips["plain"], reference, Tail(), codec="ffv1")
    with pytest.raises(KeyboardInterrupt):
        _run(clips["plain"], out, Tail(fail_in_flush=True), codec="ffv1")
    result = _run(clips["plain"], out, Tail(), resume=True, codec="ffv1")  # an IndexError here before
    assert result.resumed_from == 24
    a, b = decode_all(reference), decode_all(out)
    assert len(a) == len(b) == 27
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
